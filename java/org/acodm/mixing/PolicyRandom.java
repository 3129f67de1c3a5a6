package org.acodm.mixing;

/**
 * Stateless random numbers for the policies: each value is a hash of (seed, step, purpose, index), so a resumed
 * policy draws exactly what an uninterrupted one would, with no generator state to save. The mixer is
 * SplitMix64's finaliser applied to each coordinate in turn.
 */
final class PolicyRandom {
    static final long EXPLORATION = 1;
    static final long MINIBATCH = 2;

    private static final long GOLDEN = 0x9E3779B97F4A7C15L;

    private PolicyRandom() {}

    static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    static long bits(long seed, long step, long purpose, long index) {
        long h = mix(seed + GOLDEN);
        h = mix(h ^ (step * GOLDEN + 0x2545F4914F6CDD1DL));
        h = mix(h ^ (purpose * GOLDEN + 0x6A09E667F3BCC909L));
        return mix(h ^ (index * GOLDEN + 0x3C6EF372FE94F82BL));
    }

    /** Uniform in [0, 1) from the top 53 bits. */
    static double unit(long seed, long step, long purpose, long index) {
        return (bits(seed, step, purpose, index) >>> 11) * 0x1.0p-53;
    }

    /** Uniform in [0, n), n > 0 (the multiply-high bias is below 2^-32 for the sizes used here). */
    static int below(int n, long seed, long step, long purpose, long index) {
        return (int) Math.multiplyHigh(bits(seed, step, purpose, index) >>> 1, (long) n << 1);
    }
}
