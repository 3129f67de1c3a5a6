package org.acodm.mixing;

/**
 * DESIGN.md's z(x) = clamp((x − mean) / (std + 1e-8), −3, 3) over one block, std the population standard
 * deviation (divide by n). A constant block maps to zeros.
 */
final class ZScore {
    static final double EPS = 1e-8;
    static final double CLAMP = 3.0;

    private ZScore() {}

    static double[] of(double[] x) {
        double[] out = new double[x.length];
        if (x.length == 0) return out;
        double mean = 0;
        for (double v : x) mean += v;
        mean /= x.length;
        double var = 0;
        for (double v : x) var += (v - mean) * (v - mean);
        double std = Math.sqrt(var / x.length);
        for (int i = 0; i < x.length; i++) out[i] = Math.max(-CLAMP, Math.min(CLAMP, (x[i] - mean) / (std + EPS)));
        return out;
    }

    /** z over the entries where {@code mask} is true; the others are 0. */
    static double[] masked(double[] x, boolean[] mask) {
        int n = 0;
        for (boolean b : mask) if (b) n++;
        double[] sub = new double[n];
        for (int i = 0, j = 0; i < x.length; i++) if (mask[i]) sub[j++] = x[i];
        double[] z = of(sub);
        double[] out = new double[x.length];
        for (int i = 0, j = 0; i < x.length; i++) if (mask[i]) out[i] = z[j++];
        return out;
    }
}
