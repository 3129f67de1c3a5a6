package org.acodm.mixing;

/**
 * ODM's exploration rate ε_t = min(1/K, sqrt(ln K / (K t))), t ≥ 1 the number of steps observed. It keeps every
 * domain at ≥ ε_t and is also the AC-ODM weight floor {@code α ← (1 − K ε_t) α + ε_t}.
 */
public final class OdmSchedule {
    private OdmSchedule() {}

    public static double epsilon(int k, long t) {
        if (t < 1) return 1.0 / k;
        return Math.min(1.0 / k, Math.sqrt(Math.log(k) / ((double) k * t)));
    }

    /** (1 − K ε) a + ε: a probability vector stays one, and no entry falls below ε. */
    static double[] applyFloor(double[] a, double eps) {
        int k = a.length;
        double[] out = new double[k];
        for (int i = 0; i < k; i++) out[i] = (1 - k * eps) * a[i] + eps;
        return out;
    }

    /** Inverse of {@link #applyFloor} (clamped at 0, renormalised); uniform when ε = 1/K leaves nothing to invert. */
    static double[] removeFloor(double[] alpha, double eps) {
        int k = alpha.length;
        double scale = 1 - k * eps;
        double[] out = new double[k];
        if (scale <= 1e-12) {
            java.util.Arrays.fill(out, 1.0 / k);
            return out;
        }
        double sum = 0;
        for (int i = 0; i < k; i++) sum += out[i] = Math.max(0, (alpha[i] - eps) / scale);
        for (int i = 0; i < k; i++) out[i] = sum > 0 ? out[i] / sum : 1.0 / k;
        return out;
    }
}
