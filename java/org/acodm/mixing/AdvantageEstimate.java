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
 *
 * <p>With the self term split ({@link SelfTerm#SPLIT}) the cross part and the self part are accumulated apart, each
 * from the steps that carry it, and combined as W̄_i = (1 − c_i) C̄_i + c_i D̄_i with SE_i² = (1 − c_i)² SE(C̄_i)² +
 * c_i² SE(D̄_i)², c_i the self term's share ({@link DomainScores#selfShare}); a part with weight > 0 and too few
 * observations leaves the domain without a standard error.
 */
final class AdvantageEstimate implements ScoreEstimate {
    static final double MIN_OBSERVATIONS = 2;

    private final int k;
    private final double lambda;
    private final boolean shrink;
    private final Sums cross;
    private final Sums self;     // null unless the self term is split
    private double[] selfShare;  // c_i, from the steps (fixed by the target set)
    private double scaleSum, scaleWeight;

    /** Forgetting sums of one part of the scores, per domain. */
    private static final class Sums {
        double[] weight, sum, sumSq, weightSq;  // Σ λ^a, Σ λ^a w, Σ λ^a w², Σ λ^2a

        Sums(int k) {
            weight = new double[k];
            sum = new double[k];
            sumSq = new double[k];
            weightSq = new double[k];
        }

        void forget(int i, double lambda) {
            weight[i] *= lambda;
            sum[i] *= lambda;
            sumSq[i] *= lambda;
            weightSq[i] *= lambda * lambda;
        }

        void add(int i, double w) {
            weight[i] += 1;
            sum[i] += w;
            sumSq[i] += w * w;
            weightSq[i] += 1;
        }

        double mean(int i) { return weight[i] > 0 ? sum[i] / weight[i] : 0; }

        /** The variance of the mean, +∞ before {@link #MIN_OBSERVATIONS} effective observations. */
        double varianceOfMean(int i) {
            double neff = weightSq[i] > 0 ? weight[i] * weight[i] / weightSq[i] : 0;
            if (neff < MIN_OBSERVATIONS) return Double.POSITIVE_INFINITY;
            double m = mean(i);
            double spread = Math.max(0, sumSq[i] / weight[i] - m * m) * neff / (neff - 1);
            return spread / neff;
        }
    }

    AdvantageEstimate(int k, ScoreConfig c, boolean splitSelf) {
        this.k = k;
        this.lambda = c.forgetting();
        this.shrink = c.shrinkage();
        this.cross = new Sums(k);
        this.self = splitSelf ? new Sums(k) : null;
        this.selfShare = new double[k];
    }

    @Override public DomainSignal.Outcome fold(DomainScores d, double[] alpha) {
        if (d.count() == 0) return DomainSignal.Outcome.DEGENERATE;
        if (d.split() != (self != null))
            throw new IllegalStateException("the step's self term is " + (d.split() ? "split" : "direct") + ", the estimate's is not");
        double nextScaleSum = lambda * scaleSum + d.scale(), nextScaleWeight = lambda * scaleWeight + 1;
        double scale = nextScaleSum / nextScaleWeight;
        if (!(scale > 0)) return DomainSignal.Outcome.DEGENERATE;  // every gradient so far vanished: nothing to compare
        for (int i = 0; i < k; i++) {
            if (d.scored()[i] && !Double.isFinite(d.w()[i] / scale)) return DomainSignal.Outcome.NOT_FINITE;
            if (self != null && d.selfScored()[i] && !Double.isFinite(d.self()[i] / scale)) return DomainSignal.Outcome.NOT_FINITE;
        }
        scaleSum = nextScaleSum;
        scaleWeight = nextScaleWeight;
        if (self != null) selfShare = d.selfShare().clone();
        for (int i = 0; i < k; i++) {
            cross.forget(i, lambda);
            if (d.scored()[i]) cross.add(i, d.w()[i] / scale);
            if (self == null) continue;
            self.forget(i, lambda);
            if (d.selfScored()[i]) self.add(i, d.self()[i] / scale);
        }
        return DomainSignal.Outcome.USED;
    }

    /** W̄_i (0 before domain i's first score). */
    double[] means() {
        double[] m = new double[k];
        for (int i = 0; i < k; i++) {
            double c = self == null ? 0 : selfShare[i];
            m[i] = (c < 1 ? (1 - c) * cross.mean(i) : 0) + (c > 0 ? c * self.mean(i) : 0);
        }
        return m;
    }

    /** SE_i², +∞ while a part with weight > 0 has fewer than {@link #MIN_OBSERVATIONS} effective observations. */
    private double[] variancesOfMeans() {
        double[] out = new double[k];
        for (int i = 0; i < k; i++) {
            double c = self == null ? 0 : selfShare[i];
            out[i] = (c < 1 ? (1 - c) * (1 - c) * cross.varianceOfMean(i) : 0) + (c > 0 ? c * c * self.varianceOfMean(i) : 0);
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

    /** The split self term's sums and shares; null when the self term is not split (and in state saved before it). */
    record SavedSelf(double[] weight, double[] sum, double[] sumSq, double[] weightSq, double[] share) {}

    record Saved(double lambda, double[] weight, double[] sum, double[] sumSq, double[] weightSq, double scaleSum, double scaleWeight,
                 SavedSelf self) {}

    @Override public JsonNode save() {
        SavedSelf s = self == null ? null : new SavedSelf(self.weight, self.sum, self.sumSq, self.weightSq, selfShare);
        return StateFiles.tree(new Saved(lambda, cross.weight, cross.sum, cross.sumSq, cross.weightSq, scaleSum, scaleWeight, s));
    }

    @Override public void restore(JsonNode saved) throws IOException {
        Saved s = StateFiles.part(saved, Saved.class, "domain scores");
        if (s.lambda() != lambda) throw new IOException("saved scores forget at " + s.lambda() + " per step, this run at " + lambda);
        if ((s.self() == null) != (self == null))
            throw new IOException("saved scores " + (s.self() == null ? "have no" : "have a") + " split self term, this run's "
                    + (self == null ? "has none" : "has one"));
        cross.weight = StateFiles.entries(s.weight(), k, "score weights");
        cross.sum = StateFiles.entries(s.sum(), k, "score sums");
        cross.sumSq = StateFiles.entries(s.sumSq(), k, "score squares");
        cross.weightSq = StateFiles.entries(s.weightSq(), k, "score weight squares");
        if (self != null) {
            self.weight = StateFiles.entries(s.self().weight(), k, "self-term weights");
            self.sum = StateFiles.entries(s.self().sum(), k, "self-term sums");
            self.sumSq = StateFiles.entries(s.self().sumSq(), k, "self-term squares");
            self.weightSq = StateFiles.entries(s.self().weightSq(), k, "self-term weight squares");
            selfShare = StateFiles.entries(s.self().share(), k, "self-term shares");
        }
        scaleSum = s.scaleSum();
        scaleWeight = s.scaleWeight();
    }
}
