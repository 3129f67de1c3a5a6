package org.acodm.mixing;

/**
 * AC-ODM's domain scores from the gradient-alignment matrix S of one step:
 * W_i = Σ_{j≠i} S_ij / (mean_i sqrt(S_ii) + 1e-6) over the domains present in the step (absent ones score 0).
 * A domain whose gradient agrees with the others' scores high: training on it helps them too.
 */
final class DomainScores {
    private DomainScores() {}

    static boolean[] present(StepObservation o) {
        boolean[] p = new boolean[o.numDomains()];
        for (int i = 0; i < p.length; i++) p[i] = o.present(i);
        return p;
    }

    static double[] alignment(double[][] s, boolean[] present) {
        int k = present.length;
        double normSum = 0;
        int n = 0;
        for (int i = 0; i < k; i++)
            if (present[i]) {
                normSum += Math.sqrt(Math.max(0, s[i][i]));
                n++;
            }
        double denom = (n == 0 ? 0 : normSum / n) + 1e-6;
        double[] w = new double[k];
        for (int i = 0; i < k; i++) {
            if (!present[i]) continue;
            double sum = 0;
            for (int j = 0; j < k; j++) if (j != i && present[j]) sum += s[i][j];
            w[i] = sum / denom;
        }
        return w;
    }
}
