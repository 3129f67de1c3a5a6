package org.acodm.bench.policy;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.acodm.bench.InTurns;
import org.acodm.bench.Ratios;
import org.acodm.bench.Ratios.Ratio;
import org.acodm.config.Sections;
import org.acodm.engine.Model;
import org.acodm.mixing.AcOdmConfig;
import org.acodm.mixing.AcOdmPolicy;
import org.acodm.mixing.StepObservation;
import org.acodm.train.config.OptimizerSection;
import org.openjdk.jmh.annotations.AuxCounters;
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
import org.openjdk.jmh.infra.Blackhole;

/**
 * Group "policy": one AC-ODM policy step on the CPU (state build, reward, replay insert, one DDPG update on a minibatch
 * of 32, soft update, act) for K domains and L = 9 state layers, at the paper's network size (5 × 1024) and at the demo
 * size (2 × 64), in turns with a tiny model's train step: the ratio says how much of a step the agent costs.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
// One fork: the policy and the model are built once per point (a second), and the pairing steadies the ratio.
@Fork(1)
// Steps of 1-100 ms: iterations of at least 300 ms; three to warm up (the JIT and the replay buffer's first
// minibatches), twelve measured.
@Warmup(iterations = 3, time = 300, timeUnit = TimeUnit.MILLISECONDS)
@Measurement(iterations = 12, time = 300, timeUnit = TimeUnit.MILLISECONDS)
public class PolicyBenchmark {
    static final int LAYERS = 9;
    static final long TOTAL = 1_000_000_000L;

    /** An AC-ODM policy past its first minibatch, fed observations from a fixed pool. */
    @State(Scope.Benchmark)
    public static class Agent {
        /** paper: 5 hidden layers of 1024 (DESIGN.md defaults); demo: 2 of 64 (CPU demos and tests). */
        @Param({"paper", "demo"})
        public String size;

        /** Domains: The Pile's 22, and 7. */
        @Param({"22", "7"})
        public int k;

        AcOdmPolicy policy;
        final List<StepObservation> pool = new ArrayList<>();
        long step;

        @Setup(Level.Trial)
        public void setUp() {
            List<String> domains = new ArrayList<>();
            for (int i = 0; i < k; i++) domains.add("domain-" + i);
            AcOdmConfig c = AcOdmConfig.defaults().withDevice("cpu").withWarmupFraction(0);
            if (size.equals("demo")) c = c.withNetworks(64, 2);
            else if (!size.equals("paper")) throw new IllegalArgumentException("size must be paper or demo, got " + size);
            double[] uniform = new double[k];
            Arrays.fill(uniform, 1.0 / k);
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
                    o.stateNorms(), o.stateDeltaNorms(), o.selfAlignment());
        }

        /** observe (state, reward, buffer, DDPG update, soft update, act) + weights for the next step. */
        double step() {
            policy.observe(at(step++));
            return policy.weights()[0];
        }

        StepObservation observation(List<String> domains, Random r) {
            double[] tokens = new double[k], sums = new double[k];
            for (int i = 0; i < k; i++) {
                tokens[i] = 200 + r.nextInt(2000);
                sums[i] = (2.5 + r.nextDouble()) * tokens[i];
            }
            // Each domain's gradient the mean of two halves' (the split halves of the default self term).
            double[][] g = new double[k][16];
            double[] halves = new double[k];
            for (int i = 0; i < k; i++)
                for (int j = 0; j < 16; j++) {
                    double a = r.nextGaussian(), b = r.nextGaussian();
                    g[i][j] = (a + b) / 2;
                    halves[i] += a * b;
                }
            double[][] s = new double[k][k];
            for (int i = 0; i < k; i++)
                for (int j = 0; j < k; j++) {
                    double dot = 0;
                    for (int d = 0; d < 16; d++) dot += g[i][d] * g[j][d];
                    s[i][j] = dot;
                }
            double[] norms = new double[LAYERS], deltas = new double[LAYERS];
            for (int l = 0; l < LAYERS; l++) {
                norms[l] = 20 + r.nextDouble();
                deltas[l] = 0.01 * r.nextDouble();
            }
            return new StepObservation(domains, 0, TOTAL, sums, tokens, s, 3e-4, norms, deltas, halves);
        }

        @TearDown(Level.Trial)
        public void tearDown() { policy.close(); }
    }

    /** The tiny model of the "step" group: 2 layers, d 64, byte vocabulary, batch 8 × 64 tokens. */
    @State(Scope.Benchmark)
    public static class TinyStep {
        static final int BATCH = 8, WINDOW = 65;
        Model model;
        int[] tokens, domains;

        @Setup(Level.Trial)
        public void setUp() {
            model = new Model("tiny", 1, "cpu");
            model.setOptimizer(Sections.with(OptimizerSection.defaults(), "lr", 1e-6, "min_lr", 1e-6, "warmup_steps", 0).settings(1_000_000));
            Random r = new Random(3);
            tokens = new int[BATCH * WINDOW];
            for (int i = 0; i < tokens.length; i++) tokens[i] = r.nextInt(257);
            domains = new int[BATCH];
            for (int b = 0; b < BATCH; b++) domains[b] = b % 4;
            double loss = step();
            if (!(loss > 4 && loss < 8)) throw new IllegalStateException("unexpected first loss " + loss);
        }

        double step() { return model.trainStep(tokens, BATCH, WINDOW, domains, 4, 1, false).loss(); }

        @TearDown(Level.Trial)
        public void tearDown() { model.close(); }
    }

    /**
     * Each side's wall and process CPU nanoseconds in the current iteration (JMH zeroes the public fields before every
     * iteration), and the sides in turns, whose rotation runs on across iterations.
     */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.EVENTS)
    public static class Times {
        public long policyNs, tinyStepNs, invocations;
        public long policyCpuNs, tinyStepCpuNs;
        InTurns turns;

        @Setup(Level.Trial)
        public void setUp(Agent a, TinyStep s) { turns = new InTurns(a::step, s::step); }

        void run(Blackhole sink) throws Exception {
            long[] ns = turns.run(sink), cpu = turns.cpuNs();
            policyNs += ns[0];
            tinyStepNs += ns[1];
            policyCpuNs += cpu[0];
            tinyStepCpuNs += cpu[1];
            invocations++;
        }
    }

    @Benchmark
    @Ratios(value = @Ratio(label = "policy step / tiny train step", of = "policy", over = "tinyStep", headline = true),
            headlineAt = {"size=paper", "k=22"})
    public void lockstep(Times t, Blackhole sink) throws Exception {
        t.run(sink);
    }

    @Benchmark
    public double policy(Agent a) { return a.step(); }

    @Benchmark
    public double tinyStep(TinyStep s) { return s.step(); }
}
