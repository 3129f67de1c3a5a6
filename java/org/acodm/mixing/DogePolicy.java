package org.acodm.mixing;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * DoGE (Fan et al. 2023): a domain whose gradient agrees with the target's gains weight. From S over the alignment
 * layers: W_i = lr_t ⟨g_i, g_target⟩ / (mean_j ‖g_j‖ + 1e-6), clipped to [0, clip · lr_t]; α ← softmax(log α + W / μ).
 * ⟨g_i, g_target⟩ is Σ_j S_ij − S_ii ({@link DogeTarget#UNIVERSAL}), Σ_j (n_j / N) S_ij ({@link DogeTarget#MIX}) or
 * Σ_{t ∈ T} S_it ({@link DogeTarget#DOMAINS}). Only domains present in the step get a W; ‖g_j‖ = sqrt(S_jj) averages
 * over them. The learned weights DoGE reports are the average of the weights after each update, as the released
 * code's {@code avg_dw / dw_update_steps} ({@link #reportedWeights()}). Deviation from DoGE's paper: S covers the
 * configured layers, not the whole model, so the same native kernel serves DoGE and AC-ODM; and a held-out target's
 * gradient comes from the same batch, not a separate one (see docs/mixing.md).
 */
public final class DogePolicy implements MixingPolicy {
    static final String STATE_FILE = "doge.json";

    private final List<String> domains;
    private final DogeConfig config;
    private final int k;
    private final boolean[] target;  // the target domains of DogeTarget.DOMAINS
    private double[] logAlpha;
    private double[] alphaSum;
    private long steps;
    private long lastStep = -1;
    private double lastLr = Double.NaN;

    public DogePolicy(List<String> domains, DogeConfig config, double[] initialWeights) {
        this.domains = List.copyOf(domains);
        this.config = Configs.check(config, "mixing.doge");
        this.k = domains.size();
        if (initialWeights.length != k) throw new IllegalArgumentException(initialWeights.length + " initial weights for " + k + " domains");
        this.target = new boolean[k];
        List<String> unknown = new java.util.ArrayList<>();
        for (String d : config.targetDomains()) {
            int i = this.domains.indexOf(d);
            if (i < 0) unknown.add(d);
            else target[i] = true;
        }
        if (!unknown.isEmpty())
            throw new IllegalArgumentException("target domains " + unknown + " are not domains of this run " + this.domains);
        this.logAlpha = new double[k];
        for (int i = 0; i < k; i++) logAlpha[i] = Math.log(initialWeights[i]);
        this.alphaSum = new double[k];
    }

    /** {@link MixingMethod#DOGE}'s factory. */
    static DogePolicy create(DogeConfig c, PolicyContext run) {
        double[] initial = run.initialWeights(c.initialSource(), c.initialWeights(), c.initialFile());
        try {
            return new DogePolicy(run.domains(), c, initial);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(run.locate("target_domains") + ": " + run.key("target_domains") + ": " + e.getMessage(), e);
        }
    }

    @Override public MixingMethod method() { return MixingMethod.DOGE; }
    @Override public List<String> domains() { return domains; }
    @Override public boolean needsAlignment() { return true; }

    @Override public List<String> rewardLayers(int numLayers) {
        return LayerSelection.names(LayerSelection.rewardPositions(numLayers, config.alignmentLayers()));
    }

    @Override public double[] weights() { return softmax(logAlpha); }

    /** The average of the weights after each update so far (the initial α before any). */
    @Override public double[] reportedWeights() {
        if (steps == 0) return weights();
        double[] avg = new double[k];
        for (int i = 0; i < k; i++) avg[i] = alphaSum[i] / steps;
        return avg;
    }

    @Override public void observe(StepObservation o) {
        long step = PolicyChecks.step(o, domains, lastStep);
        double[][] s = o.alignment();
        if (s == null) throw new IllegalArgumentException("DoGE needs the alignment matrix S in every observation (step " + o.step() + " has none)");
        double lr = config.lr() > 0 ? config.lr() : o.learningRate();
        if (!(lr >= 0) || Double.isInfinite(lr))
            throw new IllegalArgumentException("DoGE needs the step's learning rate (lr = 0 in the config), step " + o.step() + " reports " + lr);
        lastStep = step;
        lastLr = lr;
        update(o, s, lr);
        // The released code's avg_dw += new weights after every update: the average covers α_1 .. α_t, never the
        // initial weights.
        double[] now = weights();
        for (int i = 0; i < k; i++) alphaSum[i] += now[i];
        steps++;
    }

    private void update(StepObservation o, double[][] s, double lr) {
        double normSum = 0;
        int present = 0;
        for (int i = 0; i < k; i++)
            if (o.present(i)) {
                normSum += Math.sqrt(Math.max(0, s[i][i]));
                present++;
            }
        double meanNorm = present == 0 ? 0 : normSum / present;
        if (!(meanNorm > 0) || !Double.isFinite(meanNorm)) return;  // no usable gradients this step: α unchanged
        double tokens = 0;
        for (int j = 0; j < k; j++) tokens += o.domainTokens()[j];
        for (int i = 0; i < k; i++) {
            if (!o.present(i)) continue;
            double dot = 0;
            for (int j = 0; j < k; j++) {
                switch (config.target()) {
                    case UNIVERSAL -> dot += j == i ? 0 : s[i][j];
                    case MIX -> dot += o.domainTokens()[j] / tokens * s[i][j];
                    case DOMAINS -> dot += target[j] ? s[i][j] : 0;
                }
            }
            double w = lr * dot / (meanNorm + 1e-6);
            if (!Double.isFinite(w)) continue;
            w = Math.max(0, Math.min(config.clip() * lr, w));
            logAlpha[i] += w / config.mu();
        }
        // Keep log α normalised so it cannot drift towards overflow over a long run.
        double[] a = softmax(logAlpha);
        for (int i = 0; i < k; i++) logAlpha[i] = Math.log(a[i]);
    }

    static double[] softmax(double[] x) {
        double max = Double.NEGATIVE_INFINITY;
        for (double v : x) max = Math.max(max, v);
        double[] out = new double[x.length];
        double sum = 0;
        for (int i = 0; i < x.length; i++) sum += out[i] = Math.exp(x[i] - max);
        for (int i = 0; i < x.length; i++) out[i] /= sum;
        return out;
    }

    @Override public Map<String, Double> metrics() {
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("doge/lr", lastLr);
        return m;
    }

    record Saved(double[] logWeights, double[] weightSums, long steps, long lastStep, double lastLr) {}

    @Override public void save(Path dir) throws IOException {
        StateFiles.write(dir.resolve(STATE_FILE), method(), domains, new Saved(logAlpha, alphaSum, steps, lastStep, lastLr));
    }

    @Override public void load(Path dir) throws IOException {
        Saved s = StateFiles.read(dir.resolve(STATE_FILE), method(), domains, Saved.class);
        logAlpha = StateFiles.entries(s.logWeights(), k, "DoGE log weights");
        alphaSum = StateFiles.entries(s.weightSums(), k, "DoGE weight sums");
        steps = s.steps();
        lastStep = s.lastStep();
        lastLr = s.lastLr();
    }
}
