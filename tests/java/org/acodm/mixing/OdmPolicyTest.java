package org.acodm.mixing;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.acodm.config.Sections;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** ODM against the formulas of DESIGN.md section 5, recomputed by hand here (K = 3, 10 steps). */
class OdmPolicyTest {
    static final List<String> D = List.of("a", "b", "c");
    // Mean losses per step; NaN marks a domain absent from that step (no tokens).
    static final double[][] LOSS = {
            {3.0, 2.5, 4.0}, {2.9, Double.NaN, 3.8}, {2.8, 2.4, Double.NaN}, {2.7, 2.3, 3.5}, {Double.NaN, 2.2, 3.4},
            {2.5, 2.1, 3.3}, {2.4, Double.NaN, 3.2}, {2.35, 2.05, 3.1}, {2.3, 2.0, Double.NaN}, {2.2, 1.95, 2.9}};

    static StepObservation obs(int t, long total) {
        double[] tokens = new double[3], sums = new double[3];
        for (int i = 0; i < 3; i++) {
            if (Double.isNaN(LOSS[t][i])) continue;
            tokens[i] = 100 + 10 * i;
            sums[i] = LOSS[t][i] * tokens[i];
        }
        return new StepObservation(D, t, total, sums, tokens, null, 1e-3, null, null);
    }

    static double eps(int t) { return Math.min(1.0 / 3, Math.sqrt(Math.log(3) / (3.0 * t))); }

    /**
     * Warmup of 2 steps: they run on the initial weights, and (as released) accumulate no reward unless
     * accumulate_during_warmup; afterwards the smoothed mean of exp(loss) sets the weights.
     */
    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void smoothedMeanMatchesHandComputation(boolean accumulateDuringWarmup) {
        OdmConfig c = Sections.with(OdmConfig.defaults(), "warmup_steps", 2L, "accumulate_during_warmup", accumulateDuringWarmup,
                "initial_source", WeightSource.MAP, "initial_weights", Map.of("a", 0.5, "b", 0.25, "c", 0.25));
        OdmPolicy p = new OdmPolicy(D, c, new double[] {0.5, 0.25, 0.25});
        assertArrayEquals(new double[] {0.5, 0.25, 0.25}, p.weights(), 0.0);
        double[] r = new double[3];
        for (int t = 0; t < 10; t++) {
            p.observe(obs(t, 10));
            if (t >= 2 || accumulateDuringWarmup)
                for (int i = 0; i < 3; i++) if (!Double.isNaN(LOSS[t][i])) r[i] = 0.9 * r[i] + 0.1 * Math.exp(LOSS[t][i]);
            double[] expected;
            if (t + 1 < 2) {
                expected = new double[] {0.5, 0.25, 0.25};  // warmup: step 1 still runs on the initial weights
            } else {
                double e = eps(t + 1), sum = r[0] + r[1] + r[2];
                expected = new double[3];
                double norm = 0;
                // Nothing accumulated yet (the released warmup): the rewards give no preference, so uniform.
                for (int i = 0; i < 3; i++) norm += expected[i] = (1 - 3 * e) * (sum > 0 ? r[i] / sum : 1.0 / 3) + e;
                for (int i = 0; i < 3; i++) expected[i] /= norm;
            }
            assertArrayEquals(expected, p.weights(), 1e-12, "after step " + t);
            assertArrayEquals(r, p.rewards(), 1e-12);
            if (t == 1) assertEquals(accumulateDuringWarmup, p.rewards()[0] > 0, "rewards after the warmup's last step");
        }
        // ε stops at 1/K until t > K ln K / ... : by t = 10 it must be below 1/3, so the weights are not uniform.
        assertTrue(eps(10) < 1.0 / 3);
        assertTrue(p.weights()[2] > p.weights()[1], "domain c has the highest losses, so the most weight");
    }

    @Test
    void exp3MatchesHandComputation() {
        OdmConfig c = Sections.with(OdmConfig.defaults(), "variant", OdmVariant.EXP3);
        double[] w = {1.0 / 3, 1.0 / 3, 1.0 / 3};
        OdmPolicy p = new OdmPolicy(D, c, w.clone());
        double[] rhat = new double[3];
        double epsNow = 1.0 / 3;
        for (int t = 0; t < 10; t++) {
            p.observe(obs(t, 10));
            for (int i = 0; i < 3; i++) if (!Double.isNaN(LOSS[t][i])) rhat[i] += 0.1 * LOSS[t][i] / w[i];
            double prev = epsNow;
            epsNow = eps(t + 1);
            double z = 0;
            double[] ex = new double[3];
            for (int i = 0; i < 3; i++) z += ex[i] = Math.exp(prev * rhat[i]);
            double norm = 0;
            for (int i = 0; i < 3; i++) norm += w[i] = ex[i] * (1 - 3 * epsNow) / z + epsNow;
            for (int i = 0; i < 3; i++) w[i] /= norm;
            assertArrayEquals(w, p.weights(), 1e-12, "after step " + t);
        }
    }

    @Test
    void saveLoadContinuesExactly(@TempDir Path dir) throws Exception {
        OdmConfig c = OdmConfig.defaults();
        OdmPolicy a = new OdmPolicy(D, c, new double[] {1.0 / 3, 1.0 / 3, 1.0 / 3});
        for (int t = 0; t < 5; t++) a.observe(obs(t, 10));
        a.save(dir);
        OdmPolicy b = new OdmPolicy(D, c, new double[] {1.0 / 3, 1.0 / 3, 1.0 / 3});
        b.load(dir);
        for (int t = 5; t < 10; t++) {
            a.observe(obs(t, 10));
            b.observe(obs(t, 10));
            assertArrayEquals(a.weights(), b.weights(), 0.0);
        }
        OdmPolicy other = new OdmPolicy(List.of("a", "b", "x"), c, new double[] {0.3, 0.3, 0.4});
        Exception e = assertThrows(java.io.IOException.class, () -> other.load(dir));
        assertTrue(e.getMessage().contains("only in this run: [x]") && e.getMessage().contains("[c]"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> a.observe(obs(3, 10)));
    }

    @Test
    void badSettingsAreNamed() {
        OdmConfig c = Sections.with(OdmConfig.defaults(), "smoothing", 1.5, "warmup_steps", -1L);
        Exception e = assertThrows(RuntimeException.class, () -> new OdmPolicy(D, c, new double[] {0.3, 0.3, 0.4}));
        assertTrue(e.getMessage().contains("mixing.odm.smoothing") && e.getMessage().contains("mixing.odm.warmup_steps"), e.getMessage());
        assertEquals(1.0 / 3, OdmSchedule.epsilon(3, 1));
    }
}
