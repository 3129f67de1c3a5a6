package org.acodm.data;

/**
 * Stateless random numbers: each value is a hash of the coordinates that name it (seed, step, rank, slot,
 * purpose), so the data a step draws depends on nothing but those, and a resumed or re-sharded run draws the
 * same windows. The mixer is SplitMix64's finaliser, which passes BigCrush when fed a counter.
 */
final class CounterRandom {
    private static final long GOLDEN = 0x9E3779B97F4A7C15L;

    private CounterRandom() {}

    static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** A 64-bit value for one coordinate tuple; every field goes through the mixer, so neighbours decorrelate. */
    static long bits(long seed, long step, long rank, long slot, long purpose) {
        long h = mix(seed + GOLDEN);
        h = mix(h ^ (step * GOLDEN + 0x632BE59BD9B4E019L));
        h = mix(h ^ (rank * GOLDEN + 0x8CB92BA72F3D8DD7L));
        h = mix(h ^ (slot * GOLDEN + 0x3C6EF372FE94F82AL));
        return mix(h ^ (purpose * GOLDEN + 0x1F83D9ABFB41BD6BL));
    }

    /** A double uniform in [0, 1) from the top 53 bits. */
    static double unitDouble(long bits) {
        return (bits >>> 11) * 0x1.0p-53;
    }

    /**
     * A long uniform in [0, n) for the tuple, without modulo bias (Lemire's multiply-and-reject; a rejected draw
     * moves on to the next purpose value, still a pure function of the tuple).
     */
    static long below(long n, long seed, long step, long rank, long slot, long purpose) {
        if (n <= 0) throw new IllegalArgumentException("n must be positive, got " + n);
        long threshold = Long.remainderUnsigned(-n, n);
        for (long attempt = 0; ; attempt++) {
            long x = bits(seed, step, rank, slot, purpose + (attempt << 32));
            long lo = x * n;
            if (Long.compareUnsigned(lo, threshold) >= 0) return Math.multiplyHigh(x, n) + ((x >> 63) & n);
        }
    }
}
