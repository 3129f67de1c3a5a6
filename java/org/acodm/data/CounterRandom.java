package org.acodm.data;

/**
 * Stateless random numbers: each value is a hash of the coordinates that name it, so what a run draws depends on
 * nothing but those, and a resumed or re-sharded run draws the same. The mixer is SplitMix64's finaliser (it passes
 * BigCrush when fed a counter): the seed goes in first, then every coordinate, each offset by its own salt so
 * that neighbouring tuples decorrelate. A stream fixes the coordinates and their salts; the salts are part of
 * the output, so they never change.
 */
public final class CounterRandom {
    private static final long GOLDEN = 0x9E3779B97F4A7C15L;

    /** The sampler's draws: coordinates (step, rank, slot, purpose). */
    public static final CounterRandom SAMPLER = new CounterRandom(0x632BE59BD9B4E019L, 0x8CB92BA72F3D8DD7L, 0x3C6EF372FE94F82AL, 0x1F83D9ABFB41BD6BL);
    /** The mixing policies' draws: coordinates (step, purpose, index); AC-ODM's exploration is purpose 1, the replay buffer's minibatches 2. */
    public static final CounterRandom POLICY = new CounterRandom(0x2545F4914F6CDD1DL, 0x6A09E667F3BCC909L, 0x3C6EF372FE94F82BL);

    /**
     * Generated text ({@code acodm corpus noisy}): coordinates (split, domain · 2^32 + document, position), domain
     * counted from 0. The domain shares the document's coordinate so that domain 0 draws what the single Noise domain
     * drew before there could be several: a corpus built with one Noise domain stays byte-identical.
     */
    public static final CounterRandom CORPUS = new CounterRandom(0x5BE0CD19137E2179L, 0xCBBB9D5DC1059ED8L, 0x629A292A367CD507L);
    /** The shuffle that deals a domain's documents into parts ({@code acodm corpus split}): coordinates (split, position). */
    public static final CounterRandom PARTITION = new CounterRandom(0x9159015A3070DD17L, 0x152FECD8F70E5939L);

    private final long[] salts;

    private CounterRandom(long... salts) {
        this.salts = salts;
    }

    static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** A 64-bit value for one coordinate tuple of this stream; every coordinate goes through the mixer. */
    public long bits(long seed, long... coordinates) {
        if (coordinates.length != salts.length)
            throw new IllegalArgumentException("this stream takes " + salts.length + " coordinates, got " + coordinates.length);
        long h = mix(seed + GOLDEN);
        for (int i = 0; i < salts.length; i++) h = mix(h ^ (coordinates[i] * GOLDEN + salts[i]));
        return h;
    }

    /** A double uniform in [0, 1) from the top 53 bits. */
    public static double unit(long bits) {
        return (bits >>> 11) * 0x1.0p-53;
    }

    /**
     * An int in [0, n), n > 0, from one draw's top 63 bits by multiply-high: no rejection, so it costs one hash, with
     * a bias below n / 2^63 (the replay buffer's minibatches, whose sizes keep it far below anything measurable).
     */
    public static int scaled(long bits, int n) {
        return (int) Math.multiplyHigh(bits >>> 1, (long) n << 1);
    }

    /**
     * A long uniform in [0, n) for the tuple, without modulo bias (Lemire's multiply-and-reject; a rejected draw
     * moves on by adding {@code attempt << 32} to the last coordinate, so it stays a pure function of the tuple).
     */
    public long below(long n, long seed, long... coordinates) {
        if (n <= 0) throw new IllegalArgumentException("n must be positive, got " + n);
        long threshold = Long.remainderUnsigned(-n, n);
        long[] c = coordinates.clone();
        long last = c[c.length - 1];
        for (long attempt = 0; ; attempt++) {
            c[c.length - 1] = last + (attempt << 32);
            long x = bits(seed, c);
            long lo = x * n;
            if (Long.compareUnsigned(lo, threshold) >= 0) return Math.multiplyHigh(x, n) + ((x >> 63) & n);
        }
    }
}
