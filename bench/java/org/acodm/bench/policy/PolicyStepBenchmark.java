package org.acodm.bench.policy;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.acodm.engine.Model;
import org.acodm.engine.OptimizerSettings;
import org.acodm.mixing.AcOdmConfig;
import org.acodm.mixing.AcOdmPolicy;
import org.acodm.mixing.StepObservation;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Group "policy": one AC-ODM policy step on the CPU (state build, reward, replay insert, one DDPG update on a
 * minibatch of 32, soft update, act) for The Pile's K = 22 and L = 9, at the paper's network size (5 × 1024) and
 * at the demo size (2 × 64), next to a tiny model's train step in the same run: the ratio says how much of a
 * step the agent costs.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(1)                                  // the work is native; one JVM is representative
@Warmup(iterations = 2, time = 2)         // first updates allocate libtorch's caches
@Measurement(iterations = 4, time = 3)
public class PolicyStepBenchmark {
    static final int K = 22;
    static final int LAYERS = 9;
    static final long TOTAL = 1_000_000_000L;

    @State(Scope.Benchmark)
    public static class Agent {
        /** paper: 5 hidden layers of 1024 (DESIGN.md defaults); demo: 2 of 64 (CPU demos and tests). */
        @Param({"paper", "demo"})
        public String size;

        AcOdmPolicy policy;
        List<StepObservation> pool;
        long step;

        @Setup(Level.Trial)
        public void setup() {
            List<String> domains = new ArrayList<>();
            for (int i = 0; i < K; i++) domains.add("domain-" + i);
            AcOdmConfig c = AcOdmConfig.defaults().withDevice("cpu").withWarmupFraction(0);
            if (size.equals("demo")) c = c.withNetworks(64, 2);
            double[] uniform = new double[K];
            java.util.Arrays.fill(uniform, 1.0 / K);
            policy = new AcOdmPolicy(domains, c, TOTAL, 7, uniform);
            pool = new ArrayList<>();
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

        @TearDown(Level.Trial)
        public void tearDown() { policy.close(); }
    }

    /** The tiny model of the "step" group: 2 layers, d 64, byte vocabulary, batch 8 × 64 tokens. */
    @State(Scope.Benchmark)
    public static class TinyModel {
        Model model;
        int[] tokens;
        int[] domains;
        final int batch = 8;
        final int window = 65;

        @Setup(Level.Trial)
        public void setup() {
            model = new Model("tiny", 1, "cpu");
            model.setOptimizer(OptimizerSettings.defaults(1e-6, 1e-6, 0, 1_000_000));
            Random r = new Random(3);
            tokens = new int[batch * window];
            for (int i = 0; i < tokens.length; i++) tokens[i] = r.nextInt(257);
            domains = new int[batch];
            for (int b = 0; b < batch; b++) domains[b] = b % 4;
            double loss = model.trainStep(tokens, batch, window, domains, 4, 1, false).loss();
            if (!(loss > 4 && loss < 8)) throw new IllegalStateException("unexpected first loss " + loss);
        }

        @TearDown(Level.Trial)
        public void tearDown() { model.close(); }
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

    /** observe (state, reward, buffer, DDPG update, soft update, act) + weights for the next step. */
    @Benchmark
    public double policyStep(Agent a) {
        a.policy.observe(a.at(a.step++));
        return a.policy.weights()[0];
    }

    @Benchmark
    public double tinyTrainStep(TinyModel m) {
        return m.model.trainStep(m.tokens, m.batch, m.window, m.domains, 4, 1, false).loss();
    }
}
