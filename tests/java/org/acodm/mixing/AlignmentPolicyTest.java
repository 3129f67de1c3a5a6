package org.acodm.mixing;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The closed-form method against its formulas recomputed here, degenerate steps, the loss source, and resume. */
class AlignmentPolicyTest {
    static final List<String> D = List.of("a", "b", "c");
    static final double[] PRIOR = {0.5, 0.25, 0.25};
    // S of each step; a zero row and column mark a domain absent from it (step 2: c absent, fewer than 3 present).
    static final double[][][] S = {
            {{1, 0.5, 0.1}, {0.5, 2, 0.3}, {0.1, 0.3, 1}},
            {{1, -0.2, 0.4}, {-0.2, 1, 0.9}, {0.4, 0.9, 4}},
            {{1, 0.6, 0}, {0.6, 1, 0}, {0, 0, 0}},
            {{2, 0.1, 0.2}, {0.1, 1, -0.5}, {0.2, -0.5, 1}}};

    static StepObservation obs(int t) {
        double[] tokens = new double[3], sums = new double[3];
        for (int i = 0; i < 3; i++) {
            if (S[t][i][i] == 0) continue;
            tokens[i] = 100;
            sums[i] = (2.0 + 0.5 * i + 0.1 * t) * 100;
        }
        return new StepObservation(D, t, 10, sums, tokens, S[t], 1e-3, null, null);
    }

    static double eps(long t) { return Math.min(1.0 / 3, Math.sqrt(Math.log(3) / (3.0 * t))); }

    /**
     * The paper's scores (method zscore) and ODM's floor: α = floor(π exp(r̄ / τ) / Z) with r̄ the EMA (ρ = 0.5) of z(W),
     * W_i = mean_{j≠i} S_ij over the domains present.
     */
    @Test
    void weightsAreTheFlooredClosedFormOfTheZScores() {
        double tau = 0.5, rho = 0.5;
        AlignmentConfig c = AlignmentConfig.defaults().with("temperature", tau).with("floor", FloorSchedule.ODM)
                .withScores("target", AlignmentTarget.OTHERS).withScores("method", ScoreMethod.ZSCORE).withScores("smoothing", rho);
        AlignmentPolicy p = new AlignmentPolicy(D, c, PRIOR);
        assertArrayEquals(new double[] {1.0 / 3, 1.0 / 3, 1.0 / 3}, p.weights(), 1e-15, "step 0: floor(prior) with eps_0 = 1/K");
        double[] rbar = new double[3];
        for (int t = 0; t < S.length; t++) {
            p.observe(obs(t));
            if (t != 2) {
                double[] w = new double[3];
                for (int i = 0; i < 3; i++) for (int j = 0; j < 3; j++) if (j != i) w[i] += S[t][i][j] / 2;
                double mean = (w[0] + w[1] + w[2]) / 3, var = 0;
                for (double v : w) var += (v - mean) * (v - mean) / 3;
                for (int i = 0; i < 3; i++) rbar[i] = rho * rbar[i] + (1 - rho) * (w[i] - mean) / (Math.sqrt(var) + 1e-8);
            }
            double[] expected = new double[3];
            double z = 0;
            for (int i = 0; i < 3; i++) z += expected[i] = PRIOR[i] * Math.exp(rbar[i] / tau);
            double e = eps(t + 1);
            for (int i = 0; i < 3; i++) expected[i] = (1 - 3 * e) * expected[i] / z + e;
            assertArrayEquals(rbar, p.scores(), 1e-12, "scores after step " + t);
            assertArrayEquals(expected, p.weights(), 1e-12, "weights after step " + t);
        }
        assertEquals(1.0, p.metrics().get("alignment/degenerate_steps"), "step 2 had 2 domains");
        assertEquals(p.scores()[1], p.metrics().get("alignment/score/b"));
        assertTrue(eps(4) < 1.0 / 3 && p.weights()[0] != p.weights()[1], "by t = 4 the floor no longer hides the scores");
    }

    /**
     * The default scores, recomputed here from the whole history (weights λ^age, not the policy's running sums): per
     * step w_i = mean_{j ∈ P\{i}} S_ij / s_t with s_t the λ-weighted mean of the steps' ‖ḡ‖² = Σ p_i p_j S_ij; per
     * domain the weighted mean W̄_i, SE_i² = spread_i / n_eff,i; v = max(0, var W̄ − mean SE²); Â_i = (W̄_i − Σ α_j W̄_j /
     * Σ α_j) v / (v + SE_i²) over the domains with 2 effective observations; α = floor(π exp(Â / τ) / Z), floor 0.2 / K.
     */
    @Test
    void weightsAreTheFlooredClosedFormOfTheShrunkAdvantages() {
        double tau = 0.3, lambda = 0.9, eps = 0.2 / 3;
        AlignmentConfig c = AlignmentConfig.defaults().with("temperature", tau).withScores("target", AlignmentTarget.OTHERS)
                .withScores("forgetting", lambda);
        AlignmentPolicy p = new AlignmentPolicy(D, c, PRIOR);
        assertArrayEquals(new double[] {0.5 * 0.8 + eps, 0.25 * 0.8 + eps, 0.25 * 0.8 + eps}, p.weights(), 1e-15, "step 0: floor(prior)");
        double[][] base = {{1.0, 0.2}, {0.9, -0.4}, {0.2, 1.0}};
        List<double[]> w = new java.util.ArrayList<>();   // per used step: w_i / s_t (NaN where not scored)
        List<Double> scales = new java.util.ArrayList<>();
        boolean moved = false;
        for (int t = 0; t < 14; t++) {
            double[] tokens = new double[3], sums = new double[3];
            double[][] g = new double[3][2];
            for (int i = 0; i < 3; i++) {
                boolean absent = (t % 5 == 4 && i == t % 3) || (t == 9 && i != 0);  // step 9: one domain only
                if (absent) continue;
                tokens[i] = 100 * (1 + (i + t) % 3);
                sums[i] = 2.5 * tokens[i];
                for (int d = 0; d < 2; d++) g[i][d] = base[i][d] + 0.3 * Math.sin(1.7 * t + 2.3 * i + d);
            }
            double[][] st = new double[3][3];
            for (int i = 0; i < 3; i++) for (int j = 0; j < 3; j++) st[i][j] = g[i][0] * g[j][0] + g[i][1] * g[j][1];
            double[] alphaBefore = p.weights();
            p.observe(new StepObservation(D, t, 20, sums, tokens, st, 1e-3, null, null));
            int n = 0;
            double total = 0;
            for (int i = 0; i < 3; i++) if (tokens[i] > 0) { n++; total += tokens[i]; }
            if (n < 2) {
                assertEquals(1.0, p.metrics().get("alignment/degenerate_steps"), "step " + t + " had one domain");
                continue;
            }
            double sc = 0;
            for (int i = 0; i < 3; i++) for (int j = 0; j < 3; j++) sc += tokens[i] / total * tokens[j] / total * st[i][j];
            scales.add(sc);
            double num = 0, den = 0;
            for (int u = 0; u < scales.size(); u++) {
                num += Math.pow(lambda, scales.size() - 1 - u) * scales.get(u);
                den += Math.pow(lambda, scales.size() - 1 - u);
            }
            double[] row = new double[3];
            for (int i = 0; i < 3; i++) {
                row[i] = Double.NaN;
                if (tokens[i] == 0) continue;
                double sum = 0;
                for (int j = 0; j < 3; j++) if (j != i && tokens[j] > 0) sum += st[i][j];
                row[i] = sum / (n - 1) / (num / den);
            }
            w.add(row);
            double[] mean = new double[3], se2 = new double[3];
            for (int i = 0; i < 3; i++) {
                double a = 0, aw = 0, aw2 = 0, a2 = 0;
                for (int u = 0; u < w.size(); u++) {
                    if (Double.isNaN(w.get(u)[i])) continue;
                    double wt = Math.pow(lambda, w.size() - 1 - u);
                    a += wt;
                    aw += wt * w.get(u)[i];
                    aw2 += wt * w.get(u)[i] * w.get(u)[i];
                    a2 += wt * wt;
                }
                mean[i] = aw / a;
                double neff = a * a / a2;
                se2[i] = neff < 2 ? Double.POSITIVE_INFINITY : (aw2 / a - mean[i] * mean[i]) * neff / (neff - 1) / neff;
            }
            double[] expected = new double[3];
            int m = 0;
            double mm = 0, noise = 0, baseline = 0, mass = 0;
            for (int i = 0; i < 3; i++)
                if (Double.isFinite(se2[i])) {
                    m++;
                    mm += mean[i];
                    noise += se2[i];
                    baseline += alphaBefore[i] * mean[i];
                    mass += alphaBefore[i];
                }
            if (m >= 2) {
                mm /= m;
                double var = 0;
                for (int i = 0; i < 3; i++) if (Double.isFinite(se2[i])) var += (mean[i] - mm) * (mean[i] - mm) / (m - 1);
                double v = Math.max(0, var - noise / m);
                for (int i = 0; i < 3; i++)
                    if (Double.isFinite(se2[i]) && v > 0) expected[i] = (mean[i] - baseline / mass) * v / (v + se2[i]);
            }
            assertArrayEquals(expected, p.scores(), 1e-12, "scores after step " + t);
            double[] opt = AlignmentPolicy.optimum(PRIOR, expected, tau);
            for (int i = 0; i < 3; i++) opt[i] = (1 - 3 * eps) * opt[i] + eps;
            assertArrayEquals(opt, p.weights(), 1e-12, "weights after step " + t);
            moved |= Math.abs(expected[0]) > 0.05;
        }
        assertTrue(moved, "the scores never left 0, so the test shows nothing");
        assertTrue(p.metrics().get("alignment/signal_sd") > 0, p.metrics().toString());
    }

    @Test
    void lossSourceNeedsNoAlignmentAndFollowsExpLoss() {
        AlignmentPolicy p = new AlignmentPolicy(D, AlignmentConfig.defaults().with("reward_source", RewardSource.LOSS)
                .withScores("method", ScoreMethod.ZSCORE).withScores("smoothing", 0.0), PRIOR);
        assertTrue(!p.needsAlignment());
        assertEquals(LayerSelection.names(LayerSelection.rewardPositions(16, 3)), p.rewardLayers(16), "where train.log_alignment logs S");
        StepObservation o = obs(0);
        p.observe(new StepObservation(D, 0, 10, o.domainLossSum(), o.domainTokens(), null, 1e-3, null, null));
        double[] w = {Math.exp(2.0), Math.exp(2.5), Math.exp(3.0)};
        double mean = (w[0] + w[1] + w[2]) / 3, var = 0;
        for (double v : w) var += (v - mean) * (v - mean) / 3;
        for (int i = 0; i < 3; i++) assertEquals((w[i] - mean) / (Math.sqrt(var) + 1e-8), p.scores()[i], 1e-12);
    }

    @Test
    void saveLoadContinuesExactlyAndBadPriorsAreRefused(@TempDir Path dir) throws Exception {
        AlignmentConfig c = AlignmentConfig.defaults().withScores("target", AlignmentTarget.OTHERS);
        AlignmentPolicy a = new AlignmentPolicy(D, c, PRIOR);
        for (int t = 0; t < 2; t++) a.observe(obs(t));
        a.save(dir);
        AlignmentPolicy b = new AlignmentPolicy(D, c, new double[] {1.0 / 3, 1.0 / 3, 1.0 / 3});
        b.load(dir);
        for (int t = 2; t < S.length; t++) {
            a.observe(obs(t));
            b.observe(obs(t));
            assertArrayEquals(a.weights(), b.weights(), 0.0);
            assertEquals(a.metrics(), b.metrics());
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new AlignmentPolicy(D, c, new double[] {0.5, 0.5, 0}));
        assertTrue(e.getMessage().contains("[c]"), e.getMessage());
        RuntimeException bad = assertThrows(RuntimeException.class, () -> new AlignmentPolicy(D, c.with("temperature", 0.0), PRIOR));
        assertTrue(bad.getMessage().contains("mixing.alignment.temperature"), bad.getMessage());
        Files.copy(dir.resolve(AlignmentPolicy.STATE_FILE), dir.resolve(OdmPolicy.STATE_FILE));
        Exception other = assertThrows(java.io.IOException.class, () -> new OdmPolicy(D, OdmConfig.defaults(), PRIOR).load(dir));
        assertTrue(other.getMessage().contains("holds the state of a 'alignment' policy"), other.getMessage());
    }

    /**
     * Target all with the self term split: the cross part (mean of S_ij over the other domains present) and the halves'
     * products ⟨g_iA, g_iB⟩ are accumulated apart, each from the steps that carry it, and combined as (1 − 1/K) cross +
     * 1/K self; a step where a domain has no halves (NaN) leaves its self part alone. Recomputed here without forgetting
     * or shrinkage (the raw advantages over the mixture). The direct self term scores otherwise; an observation without
     * the halves is refused; the split state saves and loads.
     */
    @Test
    void splitSelfTermIsAccumulatedApartAndWeightedOneOverK(@TempDir Path dir) throws Exception {
        AlignmentConfig c = AlignmentConfig.defaults().withScores("target", AlignmentTarget.ALL).withScores("self_term", SelfTerm.SPLIT)
                .withScores("forgetting", 1.0).withScores("shrinkage", false);
        AlignmentPolicy p = new AlignmentPolicy(D, c, PRIOR);
        AlignmentPolicy direct = new AlignmentPolicy(D, c.withScores("self_term", SelfTerm.DIRECT), PRIOR);
        assertTrue(p.needsSplitAlignment());
        assertTrue(!direct.needsSplitAlignment());
        double[][] halves = {{0.7, Double.NaN, 0.2}, {Double.NaN, 0.5, 1.5}, {0.9, 0.1, Double.NaN}, {0.4, 0.6, 0.3}};
        double[] crossSum = new double[3], crossN = new double[3], selfSum = new double[3], selfN = new double[3];
        double scaleSum = 0;
        for (int t = 0; t < S.length; t++) {
            StepObservation o = obs(t);
            StepObservation split = new StepObservation(D, t, 10, o.domainLossSum(), o.domainTokens(), S[t], 1e-3, null, null, halves[t].clone());
            double[] alpha = p.weights();
            p.observe(split);
            direct.observe(o);
            double scale = 0, total = 0;
            for (int i = 0; i < 3; i++) total += o.domainTokens()[i];
            for (int i = 0; i < 3; i++)
                for (int j = 0; j < 3; j++) scale += o.domainTokens()[i] / total * o.domainTokens()[j] / total * S[t][i][j];
            scaleSum += scale;
            double running = scaleSum / (t + 1);  // forgetting 1: the mean of the steps' scales so far
            int present = 0;
            for (int i = 0; i < 3; i++) if (o.present(i)) present++;
            for (int i = 0; i < 3; i++) {
                if (!o.present(i)) continue;
                double cross = 0;
                for (int j = 0; j < 3; j++) if (j != i && o.present(j)) cross += S[t][i][j] / (present - 1);
                crossSum[i] += cross / running;
                crossN[i]++;
                if (!Double.isNaN(halves[t][i])) {
                    selfSum[i] += halves[t][i] / running;
                    selfN[i]++;
                }
            }
            if (t == S.length - 1) {
                double[] expected = new double[3], mean = new double[3];
                boolean[] known = new boolean[3];
                double base = 0, mass = 0;
                for (int i = 0; i < 3; i++) {
                    known[i] = crossN[i] >= 2 && selfN[i] >= 2;
                    mean[i] = 2.0 / 3 * crossSum[i] / crossN[i] + 1.0 / 3 * selfSum[i] / selfN[i];
                    if (known[i]) {
                        base += alpha[i] * mean[i];
                        mass += alpha[i];
                    }
                }
                for (int i = 0; i < 3; i++) if (known[i]) expected[i] = mean[i] - base / mass;
                assertTrue(known[0] && known[1] && known[2], "every domain has two halves' products by the last step");
                assertArrayEquals(expected, p.scores(), 1e-12, "scores after the last step");
                assertTrue(Math.abs(p.scores()[2] - direct.scores()[2]) > 1e-3, "the direct self term scores the same: " + java.util.Arrays.toString(direct.scores()));
            }
        }
        StepObservation noHalves = new StepObservation(D, S.length, 10, obs(0).domainLossSum(), obs(0).domainTokens(), S[0], 1e-3, null, null);
        IllegalArgumentException none = assertThrows(IllegalArgumentException.class, () -> p.observe(noHalves));
        assertTrue(none.getMessage().contains("split halves"), none.getMessage());
        p.save(dir);
        AlignmentPolicy back = new AlignmentPolicy(D, c, PRIOR);
        back.load(dir);
        assertArrayEquals(p.scores(), back.scores(), 0.0);
        Exception mismatch = assertThrows(java.io.IOException.class, () -> new AlignmentPolicy(D, c.withScores("self_term", SelfTerm.DIRECT), PRIOR).load(dir));
        assertTrue(mismatch.getMessage().contains("self_term"), mismatch.getMessage());
    }

    /** The optimum is the Gibbs distribution; shifting every score by a constant does not change it. */
    @Test
    void optimumIsTheGibbsDistribution() {
        double[] o = AlignmentPolicy.optimum(PRIOR, new double[] {1, 0, -1}, 0.5);
        double z = 0.5 * Math.exp(2) + 0.25 + 0.25 * Math.exp(-2);
        assertArrayEquals(new double[] {0.5 * Math.exp(2) / z, 0.25 / z, 0.25 * Math.exp(-2) / z}, o, 1e-15);
        assertArrayEquals(o, AlignmentPolicy.optimum(PRIOR, new double[] {801, 800, 799}, 0.5), 1e-12, "no overflow");
        assertThrows(IllegalStateException.class, () -> AlignmentPolicy.optimum(PRIOR, new double[3], 0));
    }
}
