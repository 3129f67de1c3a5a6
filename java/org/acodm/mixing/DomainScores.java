package org.acodm.mixing;

/**
 * One step's raw domain signal W, before any estimator sees it ({@link DomainSignal}). From the gradient-alignment
 * matrix S (S_ij = ⟨g_i, g_j⟩, g_i the gradient of domain i's mean loss in the step): W_i = mean_{j ∈ T_i} S_ij over a
 * target set T_i of the domains present ({@link AlignmentTarget}); its scale is ‖ḡ‖² = Σ_ij p_i p_j S_ij, the squared
 * norm of the step's whole-batch gradient (p_i: domain i's share of the step's tokens), so W / ‖ḡ‖² is dimensionless.
 * From the losses (ODM's signal, the reward ablation): W_i = exp(loss_i), scaled by its mean over the present domains.
 *
 * @param w      W_i for the scored domains, 0 elsewhere
 * @param scored the domains with a score this step (present, with a non-empty target set)
 * @param scale  the step's scale of W (> 0 unless the step's gradients vanish)
 */
record DomainScores(double[] w, boolean[] scored, double scale) {

    static boolean[] present(StepObservation o) {
        boolean[] p = new boolean[o.numDomains()];
        for (int i = 0; i < p.length; i++) p[i] = o.present(i);
        return p;
    }

    int count() {
        int n = 0;
        for (boolean b : scored) if (b) n++;
        return n;
    }

    /** W from S against {@code target} ({@code targets}: the target set of {@link AlignmentTarget#DOMAINS}). */
    static DomainScores alignment(double[][] s, StepObservation o, AlignmentTarget target, boolean[] targets) {
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
                boolean in = present[j] && switch (target) {
                    case OTHERS -> j != i;
                    case ALL -> true;
                    case DOMAINS -> targets[j];
                };
                if (in) {
                    sum += s[i][j];
                    n++;
                }
            }
            if (n == 0) continue;
            w[i] = sum / n;
            scored[i] = true;
        }
        return new DomainScores(w, scored, scale);
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
        return true;
    }
}
