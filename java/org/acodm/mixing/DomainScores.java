package org.acodm.mixing;

/**
 * One step's raw domain signal W, before any estimator sees it ({@link DomainSignal}). From the gradient-alignment
 * matrix S (S_ij = ⟨g_i, g_j⟩, g_i the gradient of domain i's mean loss in the step): W_i = mean_{j ∈ T_i} S_ij over a
 * target set T_i of the domains present ({@link AlignmentTarget}); its scale is ‖ḡ‖² = Σ_ij p_i p_j S_ij, the squared
 * norm of the step's whole-batch gradient (p_i: domain i's share of the step's tokens), so W / ‖ḡ‖² is dimensionless.
 * From the losses (ODM's signal, the reward ablation): W_i = exp(loss_i), scaled by its mean over the present domains.
 *
 * <p>With the self term split ({@link SelfTerm#SPLIT}), W_i is the cross part alone, the mean of S_ij over the targets
 * j ≠ i present, and the self term comes apart: ⟨g_iA, g_iB⟩ of the two halves of domain i's windows, where the step
 * has both; the estimate weights it by {@code selfShare} = 1/|T| for a domain in its own target set T (so that the score
 * is the alignment with the mean gradient of T: (1 − 1/|T|) · cross + 1/|T| · self) and 0 otherwise.
 *
 * @param w          W_i for the scored domains, 0 elsewhere
 * @param scored     the domains with a score this step (present, with a non-empty target set)
 * @param scale      the step's scale of W (> 0 unless the step's gradients vanish)
 * @param self       split self term: ⟨g_iA, g_iB⟩ where {@code selfScored}, 0 elsewhere; null when the self term is not split
 * @param selfScored split self term: the domains with both halves in this step and in their own target set
 * @param selfShare  split self term: the weight of domain i's self term in its score (1/|T| or 0)
 */
record DomainScores(double[] w, boolean[] scored, double scale, double[] self, boolean[] selfScored, double[] selfShare) {

    DomainScores(double[] w, boolean[] scored, double scale) {
        this(w, scored, scale, null, null, null);
    }

    boolean split() { return self != null; }

    static boolean[] present(StepObservation o) {
        boolean[] p = new boolean[o.numDomains()];
        for (int i = 0; i < p.length; i++) p[i] = o.present(i);
        return p;
    }

    /** The domains with a cross score or a split self term this step. */
    int count() {
        int n = 0;
        for (int i = 0; i < scored.length; i++) if (scored[i] || (self != null && selfScored[i])) n++;
        return n;
    }

    /**
     * W from S against {@code target} ({@code targets}: the target set of {@link AlignmentTarget#DOMAINS}); with
     * {@code selfTerm} SPLIT and a target that can hold the domain itself, the self term apart from the observation's
     * split halves (which it must carry).
     */
    static DomainScores alignment(double[][] s, StepObservation o, AlignmentTarget target, boolean[] targets, SelfTerm selfTerm) {
        boolean split = selfTerm == SelfTerm.SPLIT && target != AlignmentTarget.OTHERS;
        if (split && o.selfAlignment() == null)
            throw new IllegalArgumentException("step " + o.step() + " has no split halves' products (the model's alignment split is off)");
        int k = s.length;
        boolean[] present = present(o);
        double tokens = 0;
        for (int i = 0; i < k; i++) if (present[i]) tokens += o.domainTokens()[i];
        double scale = 0;
        for (int i = 0; i < k; i++)
            for (int j = 0; j < k; j++)
                if (present[i] && present[j]) scale += o.domainTokens()[i] / tokens * (o.domainTokens()[j] / tokens) * s[i][j];
        double[] w = new double[k];
        boolean[] scored = new boolean[k];
        for (int i = 0; i < k; i++) {
            if (!present[i]) continue;
            double sum = 0;
            int n = 0;
            for (int j = 0; j < k; j++) {
                boolean in = present[j] && (j != i || !split) && isTarget(target, targets, i, j);
                if (in) {
                    sum += s[i][j];
                    n++;
                }
            }
            if (n == 0) continue;
            w[i] = sum / n;
            scored[i] = true;
        }
        if (!split) return new DomainScores(w, scored, scale);
        int size = 0;
        for (int j = 0; j < k; j++) if (isTarget(target, targets, -1, j)) size++;
        double[] self = new double[k], share = new double[k];
        boolean[] selfScored = new boolean[k];
        for (int i = 0; i < k; i++) {
            if (!isTarget(target, targets, -1, i)) continue;
            share[i] = 1.0 / size;
            double v = o.selfAlignment()[i];
            if (present[i] && !Double.isNaN(v)) {
                self[i] = v;
                selfScored[i] = true;
            }
        }
        return new DomainScores(w, scored, scale, self, selfScored, share);
    }

    /** Whether domain j is in domain i's target set; i = −1 asks whether j is in the target set at all (its own self term). */
    private static boolean isTarget(AlignmentTarget target, boolean[] targets, int i, int j) {
        return switch (target) {
            case OTHERS -> j != i;
            case ALL -> true;
            case DOMAINS -> targets[j];
        };
    }

    /** ODM's signal: W_i = exp(mean loss of domain i) for the present domains. */
    static DomainScores loss(StepObservation o) {
        int k = o.numDomains();
        boolean[] present = present(o);
        double[] w = new double[k];
        double sum = 0;
        int n = 0;
        for (int i = 0; i < k; i++)
            if (present[i]) {
                sum += w[i] = Math.exp(o.meanLoss(i));
                n++;
            }
        return new DomainScores(w, present, n == 0 ? 0 : sum / n);
    }

    boolean finite() {
        if (!Double.isFinite(scale)) return false;
        for (double v : w) if (!Double.isFinite(v)) return false;
        if (self != null) for (double v : self) if (!Double.isFinite(v)) return false;
        return true;
    }
}
