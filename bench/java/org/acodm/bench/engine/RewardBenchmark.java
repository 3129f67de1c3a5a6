package org.acodm.bench.engine;

import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.acodm.bench.InTurns;
import org.acodm.bench.Ratios;
import org.acodm.bench.Ratios.Ratio;
import org.acodm.config.Sections;
import org.acodm.engine.Model;
import org.acodm.engine.StepResult;
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
 * Group "reward": what the alignment matrix S costs inside a train step. Identical models (d 256, 4 layers, T 256,
 * B 16, byte-level vocabulary) on the same batch: a plain step, a step that also returns S over two reward layers
 * (capture method), and the same step with S from one autograd pass per domain. {@link #lockstep} runs them in turns,
 * eight plain and eight capture steps beside one backward step per invocation; each also runs alone. Before timing, capture's S is checked against backward's on the same first step.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
// One fork: the models take ~10 s to build and check; the lockstep pairing, not more forks, is what steadies the ratio.
@Fork(1)
// An invocation takes 6-9 s (eight plain and eight capture steps, one backward), so an iteration of at least 1 ms is
// one invocation: one warm-up invocation settles the allocator and the caches, ten measured ones give ten
// per-iteration ratios.
@Warmup(iterations = 1, time = 1, timeUnit = TimeUnit.MILLISECONDS)
@Measurement(iterations = 10, time = 1, timeUnit = TimeUnit.MILLISECONDS)
public class RewardBenchmark {
    static final String CONFIG = "bench-256:vocab=384";
    static final int BATCH = 16, WINDOW = 257;
    /** Plain and capture steps per invocation (one backward step). */
    static final int PAIRS = 8;
    static final List<String> REWARD_LAYERS = List.of(
            "gpt_neox.layers.0.mlp.dense_4h_to_h.weight", "gpt_neox.layers.2.mlp.dense_4h_to_h.weight");

    /** The batch: random byte tokens, window b in domain b mod K. */
    @State(Scope.Benchmark)
    public static class Batch {
        /** Domains of the step: 16 (every window its own), and 7, which does not divide the batch. */
        @Param({"16", "7"})
        public int domains;

        int[] tokens, domainIds;

        @Setup(Level.Trial)
        public void setUp() {
            Random r = new Random(5);
            tokens = new int[BATCH * WINDOW];
            for (int i = 0; i < tokens.length; i++) tokens[i] = r.nextInt(257);
            domainIds = new int[BATCH];
            for (int b = 0; b < BATCH; b++) domainIds[b] = b % domains;
        }

        double step(Model m, boolean alignment) {
            StepResult s = m.trainStep(tokens, BATCH, WINDOW, domainIds, domains, 1, alignment);
            return alignment ? s.loss() + s.alignment()[domains - 1][domains - 1] : s.loss();
        }
    }

    static Model model(String method) {
        Model m = new Model(CONFIG, 1, "cpu");
        // A tiny constant learning rate keeps the model (and so the work per step) the same across iterations.
        m.setOptimizer(Sections.with(OptimizerSection.defaults(), "lr", 1e-6, "min_lr", 1e-6, "warmup_steps", 0).settings(1_000_000));
        if (!method.equals("plain")) {
            m.setAlignmentParameters(REWARD_LAYERS);
            m.setAlignmentMethod(method);
        }
        return m;
    }

    /** A model that steps without S. */
    @State(Scope.Benchmark)
    public static class Plain {
        Model model;

        @Setup(Level.Trial)
        public void setUp() { model = model("plain"); }

        @TearDown(Level.Trial)
        public void tearDown() { model.close(); }
    }

    /** A model that returns S by the capture method, checked once against one backward pass per domain. */
    @State(Scope.Benchmark)
    public static class Capture {
        Model model;

        @Setup(Level.Trial)
        public void setUp(Batch batch) {
            model = model("capture");
            // Same weights, same batch: both methods must give the same S on the first step (a fast wrong one cannot win).
            double[][] sc = model.trainStep(batch.tokens, BATCH, WINDOW, batch.domainIds, batch.domains, 1, true).alignment();
            double[][] sb;
            try (Model reference = model("backward")) {
                sb = reference.trainStep(batch.tokens, BATCH, WINDOW, batch.domainIds, batch.domains, 1, true).alignment();
            }
            for (int i = 0; i < batch.domains; i++)
                for (int j = 0; j < batch.domains; j++) {
                    double scale = Math.sqrt(sb[i][i] * sb[j][j]);
                    if (!(sb[i][i] > 0) || !(Math.abs(sc[i][j] - sb[i][j]) <= 1e-4 * scale))
                        throw new IllegalStateException("S[" + i + "][" + j + "]: capture " + sc[i][j] + " vs backward " + sb[i][j]);
                }
        }

        @TearDown(Level.Trial)
        public void tearDown() { model.close(); }
    }

    /** A model that returns S by one autograd pass per domain (the reference method). */
    @State(Scope.Benchmark)
    public static class Backward {
        Model model;

        @Setup(Level.Trial)
        public void setUp() { model = model("backward"); }

        @TearDown(Level.Trial)
        public void tearDown() { model.close(); }
    }

    /**
     * Each side's wall and process CPU nanoseconds per call in the current iteration (JMH zeroes the public fields before
     * every iteration; the repeated sides' sums are divided by their {@link #PAIRS}), and the sides in turns, whose
     * rotation runs on across iterations.
     */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.EVENTS)
    public static class Times {
        public long plainNs, captureNs, backwardNs, invocations;
        public long plainCpuNs, captureCpuNs, backwardCpuNs;
        InTurns turns;

        @Setup(Level.Trial)
        public void setUp(Batch batch, Plain plain, Capture capture, Backward backward) {
            // The plain and capture steps (0.3-0.4 s) differ by about a tenth while one step's time wanders by a fifth on
            // a shared machine: eight of each per invocation, in turns, beside one backward step (several seconds).
            turns = new InTurns(new int[] {PAIRS, PAIRS, 1}, () -> batch.step(plain.model, false), () -> batch.step(capture.model, true),
                    () -> batch.step(backward.model, true));
        }

        void run(Blackhole sink) throws Exception {
            long[] ns = turns.run(sink), cpu = turns.cpuNs();
            plainNs += ns[0] / PAIRS;
            captureNs += ns[1] / PAIRS;
            backwardNs += ns[2];
            plainCpuNs += cpu[0] / PAIRS;
            captureCpuNs += cpu[1] / PAIRS;
            backwardCpuNs += cpu[2];
            invocations++;
        }
    }

    @Benchmark
    @Ratios(value = {
        @Ratio(label = "step with S / plain step", of = "capture", over = "plain", headline = true),
        @Ratio(label = "K-backward / ours", of = "backward", over = "capture", format = "%.2f", headline = true)},
            headlineAt = "domains=16")
    public void lockstep(Times t, Blackhole sink) throws Exception {
        t.run(sink);
    }

    @Benchmark
    public double plain(Batch batch, Plain plain) { return batch.step(plain.model, false); }

    @Benchmark
    public double capture(Batch batch, Capture capture) { return batch.step(capture.model, true); }

    @Benchmark
    public double backward(Batch batch, Backward backward) { return batch.step(backward.model, true); }
}
