package org.acodm.mixing;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;

/**
 * The paper's scores ({@link ScoreMethod#ZSCORE}): r = z(W) over the scored domains of each step, optionally after the
 * importance smoothing r̂_i ← ξ r̂_i + (1 − ξ) W_i / α_i, and r̄_i ← ρ r̄_i + (1 − ρ) r_i for the scored domains (the
 * others keep theirs; ρ = 0 is the per-step r). A step with fewer than {@link #MIN_SCORED} scored domains carries no
 * information: S is symmetric, so two domains' scores against each other are equal and their z-scores 0.
 */
final class ZScoreEstimate implements ScoreEstimate {
    static final int MIN_SCORED = 3;

    private final int k;
    private final double smoothing;
    private final boolean importance;
    private final double importanceSmoothing;
    private double[] smoothed;          // r̄
    private double[] importanceScores;  // r̂

    ZScoreEstimate(int k, ScoreConfig c) {
        this.k = k;
        this.smoothing = c.smoothing();
        this.importance = c.importance();
        this.importanceSmoothing = c.importanceSmoothing();
        this.smoothed = new double[k];
        this.importanceScores = new double[k];
    }

    @Override public DomainSignal.Outcome fold(DomainScores d, double[] alpha) {
        if (d.count() < MIN_SCORED) return DomainSignal.Outcome.DEGENERATE;
        double[] base = d.w();
        double[] nextImportance = importanceScores;
        if (importance) {
            nextImportance = importanceScores.clone();
            for (int i = 0; i < k; i++)
                if (d.scored()[i])
                    nextImportance[i] = importanceSmoothing * nextImportance[i] + (1 - importanceSmoothing) * d.w()[i] / Math.max(alpha[i], 1e-12);
            for (double v : nextImportance) if (!Double.isFinite(v)) return DomainSignal.Outcome.NOT_FINITE;
            base = nextImportance;
        }
        double[] r = ZScore.masked(base, d.scored());
        for (double v : r) if (!Double.isFinite(v)) return DomainSignal.Outcome.NOT_FINITE;
        importanceScores = nextImportance;
        for (int i = 0; i < k; i++) if (d.scored()[i]) smoothed[i] = smoothing * smoothed[i] + (1 - smoothing) * r[i];
        return DomainSignal.Outcome.USED;
    }

    @Override public double[] scores(double[] alpha) { return smoothed.clone(); }

    @Override public double[] standardErrors() {
        double[] se = new double[k];
        java.util.Arrays.fill(se, Double.NaN);
        return se;
    }

    @Override public double signalVariance() { return Double.NaN; }

    record Saved(double[] smoothed, double[] importanceScores) {}

    @Override public JsonNode save() { return StateFiles.tree(new Saved(smoothed, importanceScores)); }

    @Override public void restore(JsonNode saved) throws IOException {
        Saved s = StateFiles.part(saved, Saved.class, "domain scores");
        smoothed = StateFiles.entries(s.smoothed(), k, "smoothed scores");
        importanceScores = StateFiles.entries(s.importanceScores(), k, "importance scores");
    }
}
