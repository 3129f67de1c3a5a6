package org.acodm.mixing;

import java.util.Arrays;
import java.util.List;
import org.acodm.data.CounterRandom;

/**
 * A synthetic training run with a known answer, for AC-ODM: K = 3 domains, a binary context visible in the state
 * (the domain losses announce the next step's context: the context's domain has a higher loss), and an alignment
 * matrix per context whose domain scores are known in closed form. In context 0, W = (0.6, 0.8, 0.2)/(1 + 1e-6)
 * (best domain 1); in context 1, W = (0.6, 0.2, 0.8)/(1 + 1e-6) (best domain 2). The context changes at random
 * every step ({@link #ContextualBandit}) or once, at a given step ({@link #switching}).
 */
final class ContextualBandit {
    static final List<String> DOMAINS = List.of("alpha", "beta", "gamma");
    static final int LAYERS = 9;

    final long totalSteps;
    final long envSeed;
    private final long switchAt;          // < 0: random contexts
    private boolean tokensFollowWeights = true;
    private int gapEvery;                 // > 0: every gapEvery-th step one domain is absent
    private boolean hidden;               // the losses do not announce the context

    ContextualBandit(long totalSteps, long envSeed) {
        this(totalSteps, envSeed, -1);
    }

    private ContextualBandit(long totalSteps, long envSeed, long switchAt) {
        this.totalSteps = totalSteps;
        this.envSeed = envSeed;
        this.switchAt = switchAt;
    }

    /** Context 0 before step {@code at}, context 1 from it on. */
    static ContextualBandit switching(long totalSteps, long at) {
        return new ContextualBandit(totalSteps, 0, at);
    }

    /** Every window count fixed (the action does not change the next state), instead of 4096 α_i. */
    ContextualBandit withFixedTokens() {
        tokensFollowWeights = false;
        return this;
    }

    /** The losses no longer announce the context: the state cannot tell the contexts apart (a non-stationary reward). */
    ContextualBandit withHiddenContext() {
        hidden = true;
        return this;
    }

    /** Domain beta is absent from every {@code n}-th step (with 2 domains left, per-step z-scores carry no information). */
    ContextualBandit withGapEvery(int n) {
        gapEvery = n;
        return this;
    }

    /** Context of step t (0 or 1), a pure function of (envSeed, t). */
    int context(long t) {
        if (switchAt >= 0) return t < switchAt ? 0 : 1;
        return (int) (CounterRandom.POLICY.bits(envSeed, t, 99, 0) >>> 63);
    }

    static int best(int context) { return context == 0 ? 1 : 2; }

    static double[][] alignment(int context) {
        double[][] s = {{1, 0, 0}, {0, 1, 0}, {0, 0, 1}};
        if (context == 0) {
            s[0][1] = s[1][0] = 0.6;
            s[1][2] = s[2][1] = 0.2;
        } else {
            s[0][2] = s[2][0] = 0.6;
            s[1][2] = s[2][1] = 0.2;
        }
        return s;
    }

    /** z(W) of a context, W_i = Σ_{j≠i} S_ij: the per-step z-scores a policy sees when every domain is present. */
    static double[] scores(int context) {
        double[][] s = alignment(context);
        double[] w = new double[3];
        for (int i = 0; i < 3; i++) for (int j = 0; j < 3; j++) if (j != i) w[i] += s[i][j];
        return ZScore.of(w);
    }

    /** Result of step t run with weights α: losses announce the next step's context; S is this step's. */
    StepObservation observe(long t, double[] alpha) {
        int next = context(t + 1);
        double[] tokens = new double[3];
        double[] lossSum = new double[3];
        double[][] s = alignment(context(t));
        boolean gap = gapEvery > 0 && t % gapEvery == gapEvery - 1;
        for (int i = 0; i < 3; i++) {
            tokens[i] = gap && i == 1 ? 0 : tokensFollowWeights ? Math.max(1, Math.round(4096 * alpha[i])) : 1365;
            double loss = 3.0 - 0.0002 * t + (!hidden && i == 2 * next ? 0.4 : 0.0) + (hidden ? 0.1 * i : 0.0);
            lossSum[i] = loss * tokens[i];
        }
        if (gap) for (int j = 0; j < 3; j++) s[1][j] = s[j][1] = 0;
        double[] norms = new double[LAYERS];
        double[] deltas = new double[LAYERS];
        for (int l = 0; l < LAYERS; l++) {
            norms[l] = 10 + l + 0.001 * t;
            deltas[l] = 0.01 * (1 + (l % 3));
        }
        // Noise-free gradients: the two halves of a domain's windows have its gradient, so <g_iA, g_iB> = S_ii.
        double[] halves = new double[3];
        for (int i = 0; i < 3; i++) halves[i] = tokens[i] > 0 ? s[i][i] : Double.NaN;
        return new StepObservation(DOMAINS, t, totalSteps, lossSum, tokens, s, 1e-3, norms, deltas, halves);
    }

    static double[] uniform() {
        double[] a = new double[3];
        Arrays.fill(a, 1.0 / 3);
        return a;
    }
}
