package org.acodm.bench.policy;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import org.acodm.bench.Lockstep;
import org.acodm.engine.Model;
import org.acodm.engine.OptimizerSettings;
import org.acodm.mixing.AcOdmConfig;
import org.acodm.mixing.AcOdmPolicy;
import org.acodm.mixing.StepObservation;

/**
 * Group "policy": one AC-ODM policy step on the CPU (state build, reward, replay insert, one DDPG update on a
 * minibatch of 32, soft update, act) for The Pile's K = 22 and L = 9, at the paper's network size (5 × 1024) and
 * at the demo size (2 × 64), in turns with a tiny model's train step: the ratio says how much of a step the agent
 * costs.
 */
public final class PolicyGroup {
    static final int K = 22;
    static final int LAYERS = 9;
    static final long TOTAL = 1_000_000_000L;
    /** Steps of 1-100 ms: turns of 300 ms. */
    public static final Lockstep.Settings DEFAULTS = new Lockstep.Settings(3, 12, 300);

    private PolicyGroup() {}

    /** An AC-ODM policy past its first minibatch, fed observations from a fixed pool. */
    static final class Agent implements AutoCloseable {
        final AcOdmPolicy policy;
        final List<StepObservation> pool = new ArrayList<>();
        long step;

        /** paper: 5 hidden layers of 1024 (DESIGN.md defaults); demo: 2 of 64 (CPU demos and tests). */
        Agent(String size) {
            List<String> domains = new ArrayList<>();
            for (int i = 0; i < K; i++) domains.add("domain-" + i);
            AcOdmConfig c = AcOdmConfig.defaults().withDevice("cpu").withWarmupFraction(0);
            if (size.equals("demo")) c = c.withNetworks(64, 2);
            double[] uniform = new double[K];
            Arrays.fill(uniform, 1.0 / K);
            policy = new AcOdmPolicy(domains, c, TOTAL, 7, uniform);
            Random r = new Random(5);
            for (int i = 0; i < 64; i++) pool.add(observation(domains, r));
            // Fill the replay buffer past one minibatch so every measured step runs a full DDPG update.
            for (step = 0; step < 48; step++) policy.observe(at(step));
            double sum = 0;
            for (double w : policy.weights()) sum += w;
            if (Math.abs(sum - 1) > 1e-9 || policy.metrics().get("acodm/updates") < 40)
                throw new IllegalStateException("the policy did not run: weights sum " + sum + ", " + policy.metrics());
        }

        StepObservation at(long t) {
            StepObservation o = pool.get((int) (t % pool.size()));
            return new StepObservation(o.domains(), t, TOTAL, o.domainLossSum(), o.domainTokens(), o.alignment(), o.learningRate(),
                    o.stateNorms(), o.stateDeltaNorms());
        }

        /** observe (state, reward, buffer, DDPG update, soft update, act) + weights for the next step. */
        double step() {
            policy.observe(at(step++));
            return policy.weights()[0];
        }

        @Override public void close() { policy.close(); }
    }

    static StepObservation observation(List<String> domains, Random r) {
        double[] tokens = new double[K], sums = new double[K];
        for (int i = 0; i < K; i++) {
            tokens[i] = 200 + r.nextInt(2000);
            sums[i] = (2.5 + r.nextDouble()) * tokens[i];
        }
        double[][] g = new double[K][16];
        for (double[] row : g) for (int j = 0; j < row.length; j++) row[j] = r.nextGaussian();
        double[][] s = new double[K][K];
        for (int i = 0; i < K; i++)
            for (int j = 0; j < K; j++) {
                double dot = 0;
                for (int d = 0; d < 16; d++) dot += g[i][d] * g[j][d];
                s[i][j] = dot;
            }
        double[] norms = new double[LAYERS], deltas = new double[LAYERS];
        for (int l = 0; l < LAYERS; l++) {
            norms[l] = 20 + r.nextDouble();
            deltas[l] = 0.01 * r.nextDouble();
        }
        return new StepObservation(domains, 0, TOTAL, sums, tokens, s, 3e-4, norms, deltas);
    }

    public static void run(Lockstep.Settings settings) throws Exception {
        // The tiny model of the "step" group: 2 layers, d 64, byte vocabulary, batch 8 × 64 tokens.
        int batch = 8, window = 65;
        try (Agent paper = new Agent("paper"); Agent demo = new Agent("demo"); Model model = new Model("tiny", 1, "cpu")) {
            model.setOptimizer(OptimizerSettings.defaults(1e-6, 1e-6, 0, 1_000_000));
            Random r = new Random(3);
            int[] tokens = new int[batch * window];
            for (int i = 0; i < tokens.length; i++) tokens[i] = r.nextInt(257);
            int[] domains = new int[batch];
            for (int b = 0; b < batch; b++) domains[b] = b % 4;
            double loss = model.trainStep(tokens, batch, window, domains, 4, 1, false).loss();
            if (!(loss > 4 && loss < 8)) throw new IllegalStateException("unexpected first loss " + loss);
            Lockstep.Result res = Lockstep.run(List.of(
                    new Lockstep.Side("policy paper", paper::step),
                    new Lockstep.Side("policy demo", demo::step),
                    new Lockstep.Side("tiny train step", () -> model.trainStep(tokens, batch, window, domains, 4, 1, false).loss())), settings);
            Lockstep.Spread p = res.ratio("policy paper", "tiny train step"), d = res.ratio("policy demo", "tiny train step");
            System.out.printf(Locale.ROOT, "AC-ODM policy step, paper size (5 x 1024, K 22, L 9): %8.3f ms%n", res.time("policy paper").median());
            System.out.printf(Locale.ROOT, "AC-ODM policy step, demo size  (2 x 64,   K 22, L 9): %8.3f ms%n", res.time("policy demo").median());
            System.out.printf(Locale.ROOT, "tiny model train step (2 layers d 64, 8 x 64 tokens):  %8.3f ms%n", res.time("tiny train step").median());
            System.out.println("policy step (demo size) / tiny train step: " + String.format(Locale.ROOT, "%.3f ", d.median()) + d.describe("%.3f"));
            System.out.println("policy step (paper size) / tiny train step: " + String.format(Locale.ROOT, "%.3f ", p.median()) + p.describe("%.3f"));
        }
    }
}
