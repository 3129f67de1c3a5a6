package org.acodm.mixing;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * DoGE (Fan et al. 2023): a domain whose gradient agrees with the others' gains weight. From S over the alignment
 * layers: W_i = lr_t (Σ_j S_ij − S_ii) / mean_j ‖g_j‖, clipped to [0, clip · lr_t]; α ← softmax(log α + W / μ).
 * Only domains present in the step get a W; ‖g_j‖ = sqrt(S_jj) averages over them. The learned weights DoGE
 * reports are the average of α over the steps run ({@link #reportedWeights()}). Deviation from DoGE's paper: S
 * covers the configured layers, not the whole model, so the same native kernel serves DoGE and AC-ODM.
 */
public final class DogePolicy implements MixingPolicy {
    static final String STATE_FILE = "doge.state";

    private final List<String> domains;
    private final DogeConfig config;
    private final int k;
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
        this.logAlpha = new double[k];
        for (int i = 0; i < k; i++) logAlpha[i] = Math.log(initialWeights[i]);
        this.alphaSum = new double[k];
    }

    /** {@link MixingMethod#DOGE}'s factory. */
    static DogePolicy create(DogeConfig c, PolicyContext run) {
        return new DogePolicy(run.domains(), c, run.initialWeights(c.initialSource(), c.initialWeights(), c.initialFile()));
    }

    @Override public MixingMethod method() { return MixingMethod.DOGE; }
    @Override public List<String> domains() { return domains; }
    @Override public boolean needsAlignment() { return true; }

    @Override public List<String> rewardLayers(int numLayers) {
        return LayerSelection.names(LayerSelection.rewardPositions(numLayers, config.alignmentLayers()));
    }

    @Override public double[] weights() { return softmax(logAlpha); }

    /** The running average of α over the steps observed so far (the current α before any). */
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
        double[] used = weights();
        for (int i = 0; i < k; i++) alphaSum[i] += used[i];
        steps++;

        double normSum = 0;
        int present = 0;
        for (int i = 0; i < k; i++)
            if (o.present(i)) {
                normSum += Math.sqrt(Math.max(0, s[i][i]));
                present++;
            }
        double meanNorm = present == 0 ? 0 : normSum / present;
        if (!(meanNorm > 0) || !Double.isFinite(meanNorm)) return;  // no usable gradients this step: α unchanged
        for (int i = 0; i < k; i++) {
            if (!o.present(i)) continue;
            double rowSum = 0;
            for (int j = 0; j < k; j++) rowSum += s[i][j];
            double w = lr * (rowSum - s[i][i]) / meanNorm;
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

    @Override public void save(Path dir) throws IOException {
        StateFiles.writeAtomically(dir.resolve(STATE_FILE), out -> {
            StateFiles.writeHeader(out, method(), domains);
            StateFiles.writeDoubles(out, logAlpha);
            StateFiles.writeDoubles(out, alphaSum);
            out.writeLong(steps);
            out.writeLong(lastStep);
            out.writeDouble(lastLr);
        });
    }

    @Override public void load(Path dir) throws IOException {
        Path f = dir.resolve(STATE_FILE);
        StateFiles.read(f, in -> {
            StateFiles.readHeader(in, f, method(), domains);
            logAlpha = StateFiles.readDoubles(in, k, "DoGE log weights");
            alphaSum = StateFiles.readDoubles(in, k, "DoGE weight sums");
            steps = in.readLong();
            lastStep = in.readLong();
            lastLr = in.readDouble();
            return null;
        });
    }
}
