package org.acodm.mixing;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The regularised objective without networks: after each step the smoothed domain scores r̄ ({@link DomainSignal},
 * the same scores AC-ODM's reward uses) give α = floor(softmax(log π + r̄ / τ)), the maximiser of
 * Σ α_i r̄_i − τ KL(α ‖ π) on the simplex, with ODM's ε_t floor. It is the ablation that says what AC-ODM's actor
 * adds beyond its own objective's optimum. Before any informative step r̄ = 0 and α = floor(π).
 */
public final class AlignmentPolicy implements MixingPolicy {
    static final String STATE_FILE = "alignment.state";

    private final List<String> domains;
    private final int k;
    private final AlignmentConfig config;
    private final DomainSignal signal;
    private double[] prior;
    private double[] alpha;
    private long lastStep = -1;
    private long degenerateSteps, skippedSteps;

    public AlignmentPolicy(List<String> domains, AlignmentConfig config, double[] prior) {
        this.domains = List.copyOf(domains);
        this.k = domains.size();
        this.config = Configs.check(config, "mixing.alignment");
        if (k < 2) throw new IllegalArgumentException("the alignment method needs at least 2 domains, got " + k);
        this.prior = checkPrior(prior, this.domains);
        this.signal = new DomainSignal(k, config.rewardSource(), config.rewardSmoothing(), false, 0);
        this.alpha = floor(prior, 0);
    }

    /** {@link MixingMethod#ALIGNMENT}'s factory. */
    static AlignmentPolicy create(AlignmentConfig c, PolicyContext run) {
        double[] prior = run.weights("prior_source", "prior_weights", "prior_file", c.priorSource(), c.priorWeights(), c.priorFile());
        try {
            return new AlignmentPolicy(run.domains(), c, prior);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(run.locate("prior_source") + ": " + run.key("prior_source") + ": " + e.getMessage(), e);
        }
    }

    /**
     * softmax(log π + r̄ / τ) = π · exp(r̄ / τ) / Z: the maximiser of Σ α_i r̄_i − τ KL(α ‖ π) over the simplex
     * (the Gibbs variational principle). Computed with the maximum exponent subtracted, so no score overflows.
     */
    static double[] optimum(double[] prior, double[] scores, double tau) {
        if (!(tau > 0)) throw new IllegalStateException("the regularised optimum needs a temperature > 0, got " + tau);
        int n = prior.length;
        double[] logits = new double[n];
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) max = Math.max(max, logits[i] = Math.log(prior[i]) + scores[i] / tau);
        double sum = 0;
        double[] out = new double[n];
        for (int i = 0; i < n; i++) sum += out[i] = Math.exp(logits[i] - max);
        for (int i = 0; i < n; i++) out[i] /= sum;
        return out;
    }

    /** The prior, checked: one weight per domain, each finite and > 0 (KL(α ‖ π) is infinite where π is 0). */
    static double[] checkPrior(double[] prior, List<String> domains) {
        if (prior == null || prior.length != domains.size())
            throw new IllegalArgumentException((prior == null ? "no" : prior.length) + " prior weights for " + domains.size() + " domains");
        List<String> zero = new java.util.ArrayList<>();
        for (int i = 0; i < prior.length; i++) if (!(prior[i] > 0) || Double.isInfinite(prior[i])) zero.add(domains.get(i));
        if (!zero.isEmpty())
            throw new IllegalArgumentException("prior weights must all be > 0 (the KL to a prior is infinite where it is 0); not so for " + zero);
        return prior.clone();
    }

    @Override public MixingMethod method() { return MixingMethod.ALIGNMENT; }
    @Override public List<String> domains() { return domains; }
    @Override public double[] weights() { return alpha.clone(); }
    @Override public boolean needsAlignment() { return signal.needsAlignment(); }

    @Override public List<String> rewardLayers(int numLayers) {
        if (!needsAlignment()) return List.of();
        return LayerSelection.names(LayerSelection.rewardPositions(numLayers, config.rewardLayers()));
    }

    /** The smoothed scores r̄, a copy. */
    public double[] scores() { return signal.smoothed(); }

    @Override public void observe(StepObservation o) {
        long step = PolicyChecks.step(o, domains, lastStep);
        if (needsAlignment() && o.alignment() == null)
            throw new IllegalArgumentException("the alignment method needs the alignment matrix S of every step (step " + o.step() + " has none)");
        lastStep = step;
        switch (signal.observe(o, alpha)) {
            case DEGENERATE -> degenerateSteps++;
            case NOT_FINITE -> skippedSteps++;
            case USED -> { }
        }
        alpha = floor(optimum(prior, signal.smoothed(), config.temperature()), o.step() + 1);
    }

    private double[] floor(double[] a, long t) {
        return config.weightFloor() ? OdmSchedule.applyFloor(a, OdmSchedule.epsilon(k, t)) : a.clone();
    }

    @Override public Map<String, Double> metrics() {
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("alignment/degenerate_steps", (double) degenerateSteps);
        m.put("alignment/skipped_steps", (double) skippedSteps);
        double[] r = signal.smoothed();
        for (int i = 0; i < k; i++) m.put("alignment/score/" + domains.get(i), r[i]);
        return m;
    }

    @Override public void save(Path dir) throws IOException {
        StateFiles.write(dir.resolve(STATE_FILE), out -> {
            StateFiles.writeHeader(out, method(), domains);
            signal.write(out);
            StateFiles.writeDoubles(out, prior);
            StateFiles.writeDoubles(out, alpha);
            out.writeLong(lastStep);
            out.writeLong(degenerateSteps);
            out.writeLong(skippedSteps);
        });
    }

    @Override public void load(Path dir) throws IOException {
        Path f = dir.resolve(STATE_FILE);
        StateFiles.read(f, in -> {
            StateFiles.readHeader(in, f, method(), domains);
            signal.read(in);
            prior = StateFiles.readDoubles(in, k, "prior");
            alpha = StateFiles.readDoubles(in, k, "weights");
            lastStep = in.readLong();
            degenerateSteps = in.readLong();
            skippedSteps = in.readLong();
            return null;
        });
    }
}
