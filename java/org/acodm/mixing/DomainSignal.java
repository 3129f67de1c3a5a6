package org.acodm.mixing;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;

/**
 * The per-domain scores AC-ODM and the closed-form {@code alignment} method act on. Each step: W from the
 * gradient-alignment matrix S ({@link DomainScores}) or from the losses (ODM's exp(loss)); optionally the paper's
 * importance smoothing r̂_i ← ξ r̂_i + (1 − ξ) W_i / α_i; r = z(W) over the domains present; and the smoothed
 * scores r̄_i ← ρ r̄_i + (1 − ρ) r_i for the present domains (absent ones keep theirs; ρ = 0 is the per-step r).
 * Per-step z-scores are noisy; the smoothing is what makes the ranking usable (DESIGN.md section 5).
 *
 * <p>A step with fewer than {@link #MIN_PRESENT} domains carries no information: S is symmetric, so two domains'
 * alignment scores are equal and their z-scores 0. Such a step, and one whose scores are not finite, leaves every
 * score as it was.
 */
final class DomainSignal {
    /** What one step did to the scores. */
    enum Outcome {
        /** The step's r was computed and folded into r̄. */
        USED,
        /** Fewer than {@link #MIN_PRESENT} domains were present: nothing to learn from. */
        DEGENERATE,
        /** A score was not finite (a diverging loss or gradient): the step is skipped. */
        NOT_FINITE
    }

    static final int MIN_PRESENT = 3;

    private final int k;
    private final RewardSource source;
    private final double smoothing;
    private final boolean importance;
    private final double importanceSmoothing;
    private double[] step;        // r of the last used step
    private double[] smoothed;    // r̄
    private double[] importanceScores;  // r̂

    DomainSignal(int k, RewardSource source, double smoothing, boolean importance, double importanceSmoothing) {
        if (source == null) throw new IllegalArgumentException("reward source is required");
        if (!(smoothing >= 0 && smoothing < 1)) throw new IllegalArgumentException("score smoothing must be in [0, 1), got " + smoothing);
        this.k = k;
        this.source = source;
        this.smoothing = smoothing;
        this.importance = importance;
        this.importanceSmoothing = importanceSmoothing;
        this.step = new double[k];
        this.smoothed = new double[k];
        this.importanceScores = new double[k];
    }

    /** True when the scores need the alignment matrix S. */
    boolean needsAlignment() { return source == RewardSource.ALIGNMENT; }

    /** Scores the step of {@code o}, which ran with the weights {@code alpha} (used by the importance smoothing). */
    Outcome observe(StepObservation o, double[] alpha) {
        boolean[] present = DomainScores.present(o);
        int n = 0;
        for (boolean p : present) if (p) n++;
        if (n < MIN_PRESENT) return Outcome.DEGENERATE;
        double[] w;
        if (source == RewardSource.ALIGNMENT) {
            if (o.alignment() == null) throw new IllegalArgumentException("step " + o.step() + " has no alignment matrix S");
            w = DomainScores.alignment(o.alignment(), present);
        } else {
            w = new double[k];
            for (int i = 0; i < k; i++) if (present[i]) w[i] = Math.exp(o.meanLoss(i));
        }
        for (double v : w) if (!Double.isFinite(v)) return Outcome.NOT_FINITE;
        double[] base = w;
        double[] nextImportance = importanceScores;
        if (importance) {
            nextImportance = importanceScores.clone();
            for (int i = 0; i < k; i++)
                if (present[i]) nextImportance[i] = importanceSmoothing * nextImportance[i] + (1 - importanceSmoothing) * w[i] / Math.max(alpha[i], 1e-12);
            for (double v : nextImportance) if (!Double.isFinite(v)) return Outcome.NOT_FINITE;
            base = nextImportance;
        }
        double[] r = ZScore.masked(base, present);
        for (double v : r) if (!Double.isFinite(v)) return Outcome.NOT_FINITE;
        importanceScores = nextImportance;
        step = r;
        double[] s = smoothed.clone();
        for (int i = 0; i < k; i++) if (present[i]) s[i] = smoothing * s[i] + (1 - smoothing) * r[i];
        smoothed = s;
        return Outcome.USED;
    }

    /** r̄, a copy. */
    double[] smoothed() { return smoothed.clone(); }

    /** r of the last used step, a copy (zeros before the first). */
    double[] lastStep() { return step.clone(); }

    void write(DataOutputStream out) throws IOException {
        out.writeUTF(source.name());
        StateFiles.writeDoubles(out, step);
        StateFiles.writeDoubles(out, smoothed);
        StateFiles.writeDoubles(out, importanceScores);
    }

    void read(DataInputStream in) throws IOException {
        String s = in.readUTF();
        if (!s.equals(source.name())) throw new IOException("saved domain scores come from " + s + ", this run's from " + source);
        step = StateFiles.readDoubles(in, k, "step scores");
        smoothed = StateFiles.readDoubles(in, k, "smoothed scores");
        importanceScores = StateFiles.readDoubles(in, k, "importance scores");
    }
}
