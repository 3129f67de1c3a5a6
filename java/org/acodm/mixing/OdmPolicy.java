package org.acodm.mixing;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * ODM (Albalak et al. 2023): each domain is a bandit arm rewarded by its training loss this step, so domains
 * the model still finds hard are sampled more; ε_t keeps every domain alive. DESIGN.md section 5 has the formulas.
 * Weights after observing step s (0-based) use t = s + 1; steps before {@code warmupSteps} use the initial weights
 * and, as in the released code, accumulate no reward ({@code accumulateDuringWarmup} makes them accumulate). A domain
 * absent from a step keeps its reward.
 */
public final class OdmPolicy implements MixingPolicy {
    static final String STATE_FILE = "odm.json";

    private final List<String> domains;
    private final OdmConfig config;
    private final double[] initial;
    private final int k;
    // Smoothed mean: R_i. EXP3: the cumulative importance-weighted reward R̂_i.
    private double[] reward;
    private double[] alpha;
    private double eps;
    private double prevEps;
    private long lastStep = -1;
    private long skippedLosses;

    public OdmPolicy(List<String> domains, OdmConfig config, double[] initialWeights) {
        this.domains = List.copyOf(domains);
        this.config = Configs.check(config, "mixing.odm");
        this.k = domains.size();
        if (initialWeights.length != k) throw new IllegalArgumentException(initialWeights.length + " initial weights for " + k + " domains");
        this.initial = initialWeights.clone();
        this.reward = new double[k];
        this.alpha = initial.clone();
        this.eps = 1.0 / k;
        this.prevEps = 1.0 / k;
    }

    /** {@link MixingMethod#ODM}'s factory. */
    static OdmPolicy create(OdmConfig c, PolicyContext run) {
        return new OdmPolicy(run.domains(), c, run.initialWeights(c.initialSource(), c.initialWeights(), c.initialFile()));
    }

    @Override public MixingMethod method() { return MixingMethod.ODM; }
    @Override public List<String> domains() { return domains; }
    @Override public double[] weights() { return alpha.clone(); }

    /** The bandit's reward estimates (R for smoothed mean, R̂ for EXP3), a copy. */
    public double[] rewards() { return reward.clone(); }

    /** ε_t of the latest update. */
    public double epsilon() { return eps; }

    @Override public void observe(StepObservation o) {
        lastStep = PolicyChecks.step(o, domains, lastStep);
        long t = o.step() + 1;
        boolean learns = o.step() >= config.warmupSteps() || config.accumulateDuringWarmup();
        for (int i = 0; i < k && learns; i++) {
            if (!o.present(i)) continue;
            double loss = o.meanLoss(i);
            if (!Double.isFinite(loss) || (config.variant() == OdmVariant.SMOOTHED_MEAN && !Double.isFinite(Math.exp(loss)))) {
                skippedLosses++;
                continue;
            }
            if (config.variant() == OdmVariant.SMOOTHED_MEAN)
                reward[i] = config.smoothing() * reward[i] + (1 - config.smoothing()) * Math.exp(loss);
            else
                reward[i] += config.exp3RewardScale() * loss / alpha[i];
        }
        prevEps = eps;
        eps = OdmSchedule.epsilon(k, t);
        alpha = t < config.warmupSteps() ? initial.clone() : computeWeights();
    }

    private double[] computeWeights() {
        double[] base = new double[k];
        if (config.variant() == OdmVariant.SMOOTHED_MEAN) {
            double sum = 0;
            for (double r : reward) sum += r;
            for (int i = 0; i < k; i++) base[i] = sum > 0 ? reward[i] / sum : 1.0 / k;
        } else {
            // exp(ε_{t-1} R̂_i) / Σ_j exp(ε_{t-1} R̂_j), shifted by the maximum so it cannot overflow.
            double max = Double.NEGATIVE_INFINITY;
            for (double r : reward) max = Math.max(max, prevEps * r);
            double sum = 0;
            for (int i = 0; i < k; i++) sum += base[i] = Math.exp(prevEps * reward[i] - max);
            for (int i = 0; i < k; i++) base[i] /= sum;
        }
        double[] w = OdmSchedule.applyFloor(base, eps);
        double sum = 0;
        for (double v : w) sum += v;
        for (int i = 0; i < k; i++) w[i] /= sum;
        return w;
    }

    @Override public Map<String, Double> metrics() {
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("odm/epsilon", eps);
        m.put("odm/skipped_losses", (double) skippedLosses);
        return m;
    }

    record Saved(OdmVariant variant, double[] reward, double[] weights, double eps, double prevEps, long lastStep, long skippedLosses) {}

    @Override public void save(Path dir) throws IOException {
        StateFiles.write(dir.resolve(STATE_FILE), method(), domains, new Saved(config.variant(), reward, alpha, eps, prevEps, lastStep, skippedLosses));
    }

    @Override public void load(Path dir) throws IOException {
        Path f = dir.resolve(STATE_FILE);
        Saved s = StateFiles.read(f, method(), domains, Saved.class);
        if (s.variant() != config.variant()) throw new IOException(f + " holds ODM state of variant " + s.variant() + ", this run uses " + config.variant());
        reward = StateFiles.entries(s.reward(), k, "ODM rewards");
        alpha = StateFiles.entries(s.weights(), k, "ODM weights");
        eps = s.eps();
        prevEps = s.prevEps();
        lastStep = s.lastStep();
        skippedLosses = s.skippedLosses();
    }
}
