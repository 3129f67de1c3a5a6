package org.acodm.report;

import java.util.List;

/**
 * The mean of a few paired differences (one per seed) with its two-sided 95% confidence interval from Student's t:
 * mean ± t(0.975, n − 1) · sd / √n. With one value there is no interval (lo and hi are NaN).
 *
 * @param n    how many values
 * @param mean their mean
 * @param sd   their sample standard deviation (NaN below two values)
 */
public record Interval(int n, double mean, double sd, double lo, double hi) {
    /** Student's t at 0.975 for 1..30 degrees of freedom (the printed tables' values, to 3 decimals). */
    private static final double[] T975 = {12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179,
            2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042};

    /** The interval of the finite values of {@code values}. */
    public static Interval of(List<Double> values) {
        double sum = 0;
        int n = 0;
        for (double v : values) if (Double.isFinite(v)) { sum += v; n++; }
        if (n == 0) return new Interval(0, Double.NaN, Double.NaN, Double.NaN, Double.NaN);
        double mean = sum / n;
        if (n == 1) return new Interval(1, mean, Double.NaN, Double.NaN, Double.NaN);
        double ss = 0;
        for (double v : values) if (Double.isFinite(v)) ss += (v - mean) * (v - mean);
        double sd = Math.sqrt(ss / (n - 1));
        double half = t975(n - 1) * sd / Math.sqrt(n);
        return new Interval(n, mean, sd, mean - half, mean + half);
    }

    /**
     * The 0.975 quantile of Student's t with {@code df} degrees of freedom: the table up to 30, above it the
     * Cornish-Fisher expansion around the normal quantile (within 1e-3 of the exact value there).
     */
    public static double t975(int df) {
        if (df < 1) throw new IllegalArgumentException("degrees of freedom must be >= 1, got " + df);
        if (df <= T975.length) return T975[df - 1];
        double z = 1.959963984540054, z3 = z * z * z, z5 = z3 * z * z, z7 = z5 * z * z;
        double v = df;
        return z + (z3 + z) / (4 * v) + (5 * z5 + 16 * z3 + 3 * z) / (96 * v * v) + (3 * z7 + 19 * z5 + 17 * z3 - 15 * z) / (384 * v * v * v);
    }

    /** There is an interval and it holds 0: the data cannot tell the sign of the difference. */
    public boolean containsZero() { return n >= 2 && lo <= 0 && hi >= 0; }

    /** There is an interval (two values or more). */
    public boolean hasInterval() { return n >= 2; }

    /** Half the interval's width (NaN without one). */
    public double halfWidth() { return hasInterval() ? (hi - lo) / 2 : Double.NaN; }
}
