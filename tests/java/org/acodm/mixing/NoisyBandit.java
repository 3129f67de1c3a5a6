package org.acodm.mixing;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.acodm.data.CounterRandom;

/**
 * A synthetic training run with a known answer at the demo's noise level (issue 18): K = 9 domains, 8 windows a step
 * drawn from the policy's weights (so ~5.5 domains are present in a step, ~1.5 windows each, as in the demo), and a
 * real gradient-alignment matrix S = G Gᵀ of per-domain gradients g_i = m_i + (mean of n_i window noises) in a
 * 256-dimensional gradient space, m_i = (x_i, 0, ..), window noise N(0, I), its windows dealt into two halves as the
 * engine does (the first, third, .. window in half A), so the observations also carry ⟨g_iA, g_iB⟩. A domain's score in one step,
 * w_i = ⟨g_i, mean_{j ∈ P\{i}} g_j⟩ / ‖ḡ‖², then has a standard deviation of ~0.16 around its mean: the per-step noise
 * measured on the demo proxy (docs/mixing.md, "Measured"). The true score of a domain is the expected value of what
 * {@link DomainSignal} accumulates, E⟨g_i, mean_{j ∈ P\{i}} g_j⟩ / E‖ḡ‖² ({@link #moments}, by Monte Carlo); x is scaled
 * so that these scores have a standard deviation across the domains of 0.26 times that per-step noise (the issue's
 * "spread 0.26" in the units of the paper's per-step z-scores, whose noise is 1). {@link #nullRun} makes every x_i
 * equal: every true score is then the same and the right answer is the prior.
 */
final class NoisyBandit {
    static final int K = 9, WINDOWS = 8, DIMENSIONS = 256;
    /** The common direction's mean projection; the true spread in units of the per-step noise. */
    static final double MEAN_X = 3, SPREAD = 0.26;
    /** The scores' target of the default settings: the truth and the calibration are the scores the policies compute. */
    static final AlignmentTarget TARGET = ScoreConfig.defaults().target();
    /** Whether the default settings split the self term. */
    static final boolean SPLIT = DomainSignal.splitSelf(ScoreConfig.defaults());
    static final List<String> DOMAINS;
    static {
        List<String> d = new ArrayList<>();
        for (int i = 0; i < K; i++) d.add("d" + i);
        DOMAINS = List.copyOf(d);
    }

    /** Purposes of this bandit's draws in {@link CounterRandom#POLICY} (far from the policies' own). */
    private static final long WINDOW = 901, GRADIENT = 902, LOSS = 903, TRUTH = 904;

    final long totalSteps;
    final long seed;
    final double[] x;

    private NoisyBandit(long totalSteps, long seed, double[] x) {
        this.totalSteps = totalSteps;
        this.seed = seed;
        this.x = x;
    }

    /**
     * x_i = 3 + c z_i, z a standardised normal draw of the seed, c chosen so that at uniform weights the true scores'
     * standard deviation across domains is 0.26 times the per-step noise.
     */
    static NoisyBandit of(long totalSteps, long seed) {
        double[] z = new double[K];
        double mean = 0;
        for (int i = 0; i < K; i++) mean += (z[i] = normal(seed, -1, 0, i)) / K;
        for (int i = 0; i < K; i++) z[i] -= mean;
        double sd = sd(z);
        double c = 0.6;
        double[] x = new double[K];
        for (int round = 0; round < 2; round++) {
            for (int i = 0; i < K; i++) x[i] = MEAN_X + c * z[i] / sd;
            Moments m = new NoisyBandit(totalSteps, seed, x).moments(uniform(), 2000);
            c *= SPREAD * m.noise() / sd(m.mean());
        }
        for (int i = 0; i < K; i++) x[i] = MEAN_X + c * z[i] / sd;
        return new NoisyBandit(totalSteps, seed, x);
    }

    /** Every domain equally aligned: the null. */
    static NoisyBandit nullRun(long totalSteps, long seed) {
        double[] x = new double[K];
        Arrays.fill(x, MEAN_X);
        return new NoisyBandit(totalSteps, seed, x);
    }

    /** Step t run with weights α: windows drawn from α, per-domain losses (for the state) and S. */
    StepObservation observe(long t, double[] alpha) {
        return draw(seed, t, alpha).observation(t);
    }

    private record Draw(int[] count, double[][] g, double[] self, double[] lossSum, double[] tokens, long total) {
        StepObservation observation(long t) {
            double[][] s = new double[K][K];
            for (int i = 0; i < K; i++)
                for (int j = 0; j <= i; j++) {
                    double dot = 0;
                    for (int d = 0; d < DIMENSIONS; d++) dot += g[i][d] * g[j][d];
                    s[i][j] = s[j][i] = dot;
                }
            return new StepObservation(DOMAINS, t, total, lossSum, tokens, s, 1e-3, null, null, self.clone());
        }
    }

    private Draw draw(long drawSeed, long t, double[] alpha) {
        int[] count = new int[K];
        for (int w = 0; w < WINDOWS; w++) {
            double u = CounterRandom.unit(CounterRandom.POLICY.bits(drawSeed, t, WINDOW, w)), cum = 0;
            int pick = K - 1;
            for (int i = 0; i < K; i++) {
                cum += alpha[i];
                if (u < cum) {
                    pick = i;
                    break;
                }
            }
            count[pick]++;
        }
        double[][] g = new double[K][DIMENSIONS];
        double[] self = new double[K], lossSum = new double[K], tokens = new double[K];
        for (int i = 0; i < K; i++) {
            self[i] = Double.NaN;
            if (count[i] == 0) continue;
            // Half A holds ceil(n/2) windows, B the rest: g_h = m + (mean of its windows' noise), g = (n_A g_A + n_B g_B) / n.
            int nA = (count[i] + 1) / 2, nB = count[i] / 2;
            double dot = 0;
            for (int d = 0; d < DIMENSIONS; d++) {
                double m = d == 0 ? x[i] : 0;
                double a = m + normal(drawSeed, t, GRADIENT, DIMENSIONS * 2 * i + d) / Math.sqrt(nA);
                double b = nB == 0 ? 0 : m + normal(drawSeed, t, GRADIENT, DIMENSIONS * (2 * i + 1) + d) / Math.sqrt(nB);
                g[i][d] = (nA * a + nB * b) / count[i];
                dot += a * b;
            }
            if (nB > 0) self[i] = dot;
            tokens[i] = 128.0 * count[i];
            // Losses fall with time, differ by domain and carry their windows' noise: the state's raw material.
            double loss = 3.0 + 0.05 * i - 0.001 * t + 0.05 / Math.sqrt(count[i]) * normal(drawSeed, t, LOSS, i);
            lossSum[i] = loss * tokens[i];
        }
        return new Draw(count, g, self, lossSum, tokens, totalSteps);
    }

    /**
     * @param mean  the true scores: E⟨g_i, mean_{j ∈ T_i} g_j⟩ / E‖ḡ‖² (given domain i present; T_i per {@link #TARGET}), what
     *              {@link AdvantageEstimate}'s means converge to; only their differences matter to π · exp(A / τ) / Z. With
     *              the self term split, (1 − c_i) E[cross] + c_i E[self] over the steps that carry each part
     * @param noise the per-step standard deviation of a domain's (cross) score around its mean, averaged over the domains
     */
    record Moments(double[] mean, double noise) {}

    /** The true scores and the per-step noise when the mixture is α, over {@code draws} draws. */
    Moments moments(double[] alpha, int draws) {
        double[] sum = new double[K], sumSq = new double[K], n = new double[K], selfSum = new double[K], selfN = new double[K];
        double[] share = new double[K];
        double scale = 0;
        for (int d = 0; d < draws; d++) {
            StepObservation o = draw(seed ^ 0x5DEECE66DL, TRUTH * 100_000 + d, alpha).observation(0);
            DomainScores s = DomainScores.alignment(o.alignment(), o, TARGET, new boolean[K], SPLIT ? SelfTerm.SPLIT : SelfTerm.DIRECT);
            scale += s.scale() / draws;
            if (s.count() < 2) continue;
            for (int i = 0; i < K; i++) {
                if (s.scored()[i]) {
                    sum[i] += s.w()[i];
                    sumSq[i] += s.w()[i] * s.w()[i];
                    n[i]++;
                }
                if (s.split() && s.selfScored()[i]) {
                    selfSum[i] += s.self()[i];
                    selfN[i]++;
                    share[i] = s.selfShare()[i];
                }
            }
        }
        double[] mean = new double[K];
        double noise = 0;
        for (int i = 0; i < K; i++) {
            double m = sum[i] / n[i];
            mean[i] = ((1 - share[i]) * m + (share[i] > 0 ? share[i] * selfSum[i] / selfN[i] : 0)) / scale;
            noise += Math.sqrt(Math.max(0, sumSq[i] / n[i] - m * m)) / scale / K;
        }
        return new Moments(mean, noise);
    }

    /**
     * The true scores when the mixture is α ({@link #moments} over 8,000 draws: their Monte-Carlo error, ~0.002 per
     * score, moves α* by ~0.01 in L1 at τ 0.15).
     */
    double[] trueScores(double[] alpha) { return moments(alpha, 8000).mean(); }

    static double normal(long seed, long t, long purpose, int index) {
        // Box-Muller on two counter draws; 1 − U is in (0, 1], so the log is finite.
        double u1 = 1 - CounterRandom.unit(CounterRandom.POLICY.bits(seed, t, purpose, 2L * index));
        double u2 = CounterRandom.unit(CounterRandom.POLICY.bits(seed, t, purpose, 2L * index + 1));
        return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
    }

    static double sd(double[] v) {
        double mean = 0, var = 0;
        for (double a : v) mean += a / v.length;
        for (double a : v) var += (a - mean) * (a - mean) / v.length;
        return Math.sqrt(var);
    }

    static double[] uniform() {
        double[] a = new double[K];
        Arrays.fill(a, 1.0 / K);
        return a;
    }

    static double l1(double[] a, double[] b) {
        double d = 0;
        for (int i = 0; i < a.length; i++) d += Math.abs(a[i] - b[i]);
        return d;
    }

    /** KL(a ‖ b) in nats. */
    static double kl(double[] a, double[] b) {
        double d = 0;
        for (int i = 0; i < a.length; i++) if (a[i] > 0) d += a[i] * Math.log(a[i] / b[i]);
        return d;
    }
}
