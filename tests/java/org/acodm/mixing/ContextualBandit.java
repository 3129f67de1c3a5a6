package org.acodm.mixing;

import java.util.Arrays;
import java.util.List;
import org.acodm.data.CounterRandom;

/**
 * A synthetic training run with a known answer, for AC-ODM: K = 3 domains, a binary context that changes at
 * random every step and is visible in the state (domain losses: the context's domain has a higher loss), and an
 * alignment matrix whose domain scores are known in closed form. In context 0, W = (0.6, 0.8, 0.2)/(1 + 1e-6)
 * (best domain 1); in context 1, W = (0.6, 0.2, 0.8)/(1 + 1e-6) (best domain 2). With the mixture reward
 * R = Σ α_i z(W)_i, the optimal policy puts all the weight it controls on the best domain of the context.
 */
final class ContextualBandit {
    static final List<String> DOMAINS = List.of("alpha", "beta", "gamma");
    static final int LAYERS = 9;

    final long totalSteps;
    final long envSeed;

    ContextualBandit(long totalSteps, long envSeed) {
        this.totalSteps = totalSteps;
        this.envSeed = envSeed;
    }

    /** Context of step t (0 or 1), a pure function of (envSeed, t). */
    int context(long t) {
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

    /** Result of step t run with weights α: losses announce the next step's context; S is this step's. */
    StepObservation observe(long t, double[] alpha) {
        int next = context(t + 1);
        double[] tokens = new double[3];
        double[] lossSum = new double[3];
        for (int i = 0; i < 3; i++) {
            tokens[i] = Math.max(1, Math.round(4096 * alpha[i]));
            double loss = 3.0 - 0.0002 * t + (i == 2 * next ? 0.4 : 0.0);
            lossSum[i] = loss * tokens[i];
        }
        double[] norms = new double[LAYERS];
        double[] deltas = new double[LAYERS];
        for (int l = 0; l < LAYERS; l++) {
            norms[l] = 10 + l + 0.001 * t;
            deltas[l] = 0.01 * (1 + (l % 3));
        }
        return new StepObservation(DOMAINS, t, totalSteps, lossSum, tokens, alignment(context(t)), 1e-3, norms, deltas);
    }

    static double[] uniform() {
        double[] a = new double[3];
        Arrays.fill(a, 1.0 / 3);
        return a;
    }
}
