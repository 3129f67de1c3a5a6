package org.acodm.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The one counter-based generator draws exactly what its two predecessors drew (data.CounterRandom for the sampler,
 * mixing.PolicyRandom for the policies), so runs, checkpoints and golden numbers made before the merge stay valid.
 * The expected checksums fold 200,000 draws of each old generator at random coordinates (bits, unit doubles and
 * ranged ints); they were computed with the old classes of commit e082299 before the merge.
 */
class CounterRandomTest {
    @Test void samplerStreamDrawsWhatTheSamplerDrewBefore() {
        SplittableRandom r = new SplittableRandom(20240611L);
        long h = 0;
        for (int i = 0; i < 200_000; i++) {
            long seed = r.nextLong(), step = r.nextInt(1 << 20), rank = r.nextInt(8), slot = r.nextInt(4096), purpose = r.nextInt(4);
            long b = CounterRandom.SAMPLER.bits(seed, step, rank, slot, purpose);
            long n = 1 + (r.nextLong() >>> (1 + r.nextInt(62)));
            long below = CounterRandom.SAMPLER.below(n, seed, step, rank, slot, purpose);
            assertTrue(below >= 0 && below < n);
            double u = CounterRandom.unit(b);
            h = h * 31 + b;
            h = h * 31 + below;
            h = h * 31 + Double.doubleToRawLongBits(u);
        }
        assertEquals("c2161d50dfb989d8", Long.toHexString(h));
    }

    @Test void policyStreamDrawsWhatThePoliciesDrewBefore() {
        SplittableRandom r = new SplittableRandom(20240612L);
        long h = 0;
        for (int i = 0; i < 200_000; i++) {
            long seed = r.nextLong(), step = r.nextInt(1 << 20), purpose = 1 + r.nextInt(2), index = r.nextInt(4096);
            long b = CounterRandom.POLICY.bits(seed, step, purpose, index);
            double u = CounterRandom.unit(b);
            int n = 1 + r.nextInt(20000);
            int below = CounterRandom.scaled(b, n);
            assertTrue(below >= 0 && below < n);
            h = h * 31 + b;
            h = h * 31 + below;
            h = h * 31 + Double.doubleToRawLongBits(u);
        }
        assertEquals("3eaa76bd15c605f0", Long.toHexString(h));
    }

    @Test void aStreamTakesItsOwnCoordinates() {
        assertThrows(IllegalArgumentException.class, () -> CounterRandom.POLICY.bits(1, 2, 3));
        assertThrows(IllegalArgumentException.class, () -> CounterRandom.SAMPLER.below(0, 1, 2, 3, 4, 5));
    }
}
