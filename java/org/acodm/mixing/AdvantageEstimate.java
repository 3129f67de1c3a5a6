package org.acodm.mixing;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;

/**
 * Scores with a known noise level ({@link ScoreMethod#ADVANTAGE}). Each informative step contributes w_i = W_i / s to
 * every scored domain, s the running mean of the steps' scales ‖ḡ‖² (so w is dimensionless and keeps its meaning as
 * the gradients shrink); the past is forgotten at rate λ per step. From its weighted mean W̄_i and spread, each domain
 * gets a standard error SE_i = sd_i / sqrt(n_eff,i) (n_eff = (Σ weights)² / Σ weights²); its advantage over the current
 * mixture A_i = W̄_i − Σ_j α_j W̄_j is shrunk towards 0 by v / (v + SE_i²), v = max(0, var_i W̄_i − mean_i SE_i²) the
 * variance of the true scores across domains beyond noise (empirical Bayes, positive part). With no signal v is 0 and
 * every score 0: the policy stays at its prior. A domain with fewer than {@link #MIN_OBSERVATIONS} effective
 * observations has no standard error yet and scores 0.
 */
final class AdvantageEstimate implements ScoreEstimate {
    static final double MIN_OBSERVATIONS = 2;

    private final int k;
    private final double lambda;
    private final boolean shrink;
    private double[] weight, sum, sumSq, weightSq;  // per domain: Σ λ^a, Σ λ^a w, Σ λ^a w², Σ λ^2a
    private double scaleSum, scaleWeight;

    AdvantageEstimate(int k, ScoreConfig c) {
        this.k = k;
        this.lambda = c.forgetting();
        this.shrink = c.shrinkage();
        this.weight = new double[k];
        this.sum = new double[k];
        this.sumSq = new double[k];
        this.weightSq = new double[k];
    }

    @Override public DomainSignal.Outcome fold(DomainScores d, double[] alpha) {
        if (d.count() == 0) return DomainSignal.Outcome.DEGENERATE;
        double nextScaleSum = lambda * scaleSum + d.scale(), nextScaleWeight = lambda * scaleWeight + 1;
        double scale = nextScaleSum / nextScaleWeight;
        if (!(scale > 0)) return DomainSignal.Outcome.DEGENERATE;  // every gradient so far vanished: nothing to compare
        for (int i = 0; i < k; i++) if (d.scored()[i] && !Double.isFinite(d.w()[i] / scale)) return DomainSignal.Outcome.NOT_FINITE;
        scaleSum = nextScaleSum;
        scaleWeight = nextScaleWeight;
        for (int i = 0; i < k; i++) {
            weight[i] *= lambda;
            sum[i] *= lambda;
            sumSq[i] *= lambda;
            weightSq[i] *= lambda * lambda;
            if (!d.scored()[i]) continue;
            double w = d.w()[i] / scale;
            weight[i] += 1;
            sum[i] += w;
            sumSq[i] += w * w;
            weightSq[i] += 1;
        }
        return DomainSignal.Outcome.USED;
    }

    /** W̄_i (0 before domain i's first score). */
    double[] means() {
        double[] m = new double[k];
        for (int i = 0; i < k; i++) m[i] = weight[i] > 0 ? sum[i] / weight[i] : 0;
        return m;
    }

    /** SE_i², +∞ before {@link #MIN_OBSERVATIONS} effective observations. */
    private double[] variancesOfMeans() {
        double[] out = new double[k];
        double[] m = means();
        for (int i = 0; i < k; i++) {
            double neff = weightSq[i] > 0 ? weight[i] * weight[i] / weightSq[i] : 0;
            if (neff < MIN_OBSERVATIONS) {
                out[i] = Double.POSITIVE_INFINITY;
                continue;
            }
            double spread = Math.max(0, sumSq[i] / weight[i] - m[i] * m[i]) * neff / (neff - 1);
            out[i] = spread / neff;
        }
        return out;
    }

    @Override public double[] standardErrors() {
        double[] se = variancesOfMeans();
        for (int i = 0; i < k; i++) se[i] = Math.sqrt(se[i]);
        return se;
    }

    @Override public double signalVariance() {
        double[] m = means(), se2 = variancesOfMeans();
        int n = 0;
        double mean = 0, noise = 0;
        for (int i = 0; i < k; i++)
            if (Double.isFinite(se2[i])) {
                n++;
                mean += m[i];
                noise += se2[i];
            }
        if (n < 2) return 0;
        mean /= n;
        noise /= n;
        double var = 0;
        for (int i = 0; i < k; i++) if (Double.isFinite(se2[i])) var += (m[i] - mean) * (m[i] - mean) / (n - 1);
        return Math.max(0, var - noise);
    }

    @Override public double[] scores(double[] alpha) {
        double[] m = means(), se2 = variancesOfMeans();
        double base = 0, mass = 0;
        for (int i = 0; i < k; i++)
            if (Double.isFinite(se2[i])) {
                base += alpha[i] * m[i];
                mass += alpha[i];
            }
        double[] out = new double[k];
        if (!(mass > 0)) return out;
        base /= mass;
        double v = signalVariance();
        for (int i = 0; i < k; i++) {
            if (!Double.isFinite(se2[i])) continue;
            double a = m[i] - base;
            out[i] = !shrink ? a : v > 0 ? a * v / (v + se2[i]) : 0;
        }
        return out;
    }

    record Saved(double lambda, double[] weight, double[] sum, double[] sumSq, double[] weightSq, double scaleSum, double scaleWeight) {}

    @Override public JsonNode save() {
        return StateFiles.tree(new Saved(lambda, weight, sum, sumSq, weightSq, scaleSum, scaleWeight));
    }

    @Override public void restore(JsonNode saved) throws IOException {
        Saved s = StateFiles.part(saved, Saved.class, "domain scores");
        if (s.lambda() != lambda) throw new IOException("saved scores forget at " + s.lambda() + " per step, this run at " + lambda);
        weight = StateFiles.entries(s.weight(), k, "score weights");
        sum = StateFiles.entries(s.sum(), k, "score sums");
        sumSq = StateFiles.entries(s.sumSq(), k, "score squares");
        weightSq = StateFiles.entries(s.weightSq(), k, "score weight squares");
        scaleSum = s.scaleSum();
        scaleWeight = s.scaleWeight();
    }
}
