package org.acodm.bench.engine;

import java.util.Locale;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.acodm.bench.InTurns;
import org.acodm.bench.Ratios;
import org.acodm.bench.Ratios.Ratio;
import org.acodm.bench.kernels.PeakMemory;
import org.acodm.bench.kernels.StepGemms;
import org.acodm.config.Sections;
import org.acodm.engine.Model;
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
 * Group "step": the engine's train step through JNI, in turns with a forward-only eval of the same batch (a train
 * step should cost about three forwards), with the step's own matrix products replayed at the BLAS's rate
 * ({@link StepGemms}: the roofline), and with the same step of a twin model whose attention softmax and optimizer
 * take their plain, unfused paths (what the fused CPU kernels gain, measured in the same turns). Shapes: two tiny byte-vocabulary configs (one of them with an odd batch and
 * length, for the loop tails) and the bench config of bench/pytorch_compare.sh (d 256, 4 layers, vocabulary 50,304,
 * B 8, T 256), whose roofline fraction is the headline. Peak step memory is taken once per trial on a fresh model's
 * first step (the resident set's growth over it) and printed, with the per-product rates after the last iteration.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
// One fork per shape: a fresh process, so the peak-memory probe of setup sees only this shape's model.
@Fork(1)
// Iterations of at least 300 ms: tiny steps (milliseconds) are timed over many invocations, the bench config's
// 2-3 s steps once; two warm-up iterations settle the allocator, ten measured ones give ten per-iteration ratios.
@Warmup(iterations = 2, time = 300, timeUnit = TimeUnit.MILLISECONDS)
@Measurement(iterations = 10, time = 300, timeUnit = TimeUnit.MILLISECONDS)
public class StepBenchmark {
    /** A model of the shape, its batch, and the step's products. */
    @State(Scope.Benchmark)
    public static class Shape {
        /** config:batch:seq. The byte-level configs draw tokens below 257, the bench config over its vocabulary. */
        @Param({"tiny:8:64", "small:7:127", "bench-256:8:256"})
        public String shape;

        String config;
        int batch, seq, window;
        int[] tokens, domains;
        Model model, unfused;
        StepGemms gemms;

        @Setup(Level.Trial)
        public void setUp() {
            String[] f = shape.split(":");
            if (f.length != 3) throw new IllegalArgumentException("shape '" + shape + "' is not config:batch:seq");
            config = f[0];
            batch = Integer.parseInt(f[1]);
            seq = Integer.parseInt(f[2]);
            window = seq + 1;
            boolean bench = config.startsWith("bench");
            Random r = new Random(3);
            tokens = new int[batch * window];
            for (int i = 0; i < tokens.length; i++) tokens[i] = r.nextInt(bench ? 50304 : 257);
            domains = new int[batch];
            for (int b = 0; b < batch; b++) domains[b] = b % 4;
            // Before the timed model exists, so nothing else shares the resident set; the bench config also with the
            // plain loss path (the full B*T x V logits), the memory the chunked LM head saves.
            double[] mem = firstStepMemory(-1);
            System.out.printf(Locale.ROOT, "%s peak step memory: %.1f MB above %.1f MB resting (resident set, a fresh model's first step, "
                    + "LM head + loss in chunks)%n", shape, mem[0], mem[1]);
            if (bench) {
                double[] plain = firstStepMemory(0);
                System.out.printf(Locale.ROOT, "%s peak step memory, plain loss path (full logits): %.1f MB above %.1f MB resting%n", shape,
                        plain[0], plain[1]);
            }
            model = model(-1);
            unfused = model(-1);
            unfused.setFusedAttention(false);
            unfused.setFusedOptimizer(false);
            gemms = new StepGemms(config, batch, seq, 99);
            System.out.printf(Locale.ROOT, "%s step: %.2f GFLOP in matrix products%n", shape, gemms.totalFlops() / 1e9);
        }

        /** A fresh model of the shape, its optimizer set as in the timed runs; loss chunk -1 keeps the engine's default. */
        Model model(long lossChunk) {
            Model m = new Model(config, 1, "cpu");
            // A tiny constant learning rate keeps the model (and so the work per step) the same across iterations.
            m.setOptimizer(Sections.with(OptimizerSection.defaults(), "lr", 1e-6, "min_lr", 1e-6, "warmup_steps", 0).settings(1_000_000));
            if (lossChunk >= 0) m.setLossChunk(lossChunk);
            return m;
        }

        /** Peak memory of a fresh model's first step above the resident set before it, in MB, and that set; checks the loss. */
        double[] firstStepMemory(long lossChunk) {
            try (Model m = model(lossChunk)) {
                String device = m.deviceName();
                PeakMemory.reset(device);
                long resting = PeakMemory.currentBytes(device);
                double loss = m.trainStep(tokens, batch, window, domains, 4, 1, false).loss();
                long peak = PeakMemory.peakBytes(device) - resting;
                // Random tokens against a freshly initialised model: the loss is close to ln(vocabulary).
                double expected = Math.log(m.vocabSize());
                if (!(Math.abs(loss - expected) < 1.5)) throw new IllegalStateException(shape + ": first loss " + loss + ", expected about " + expected);
                return new double[] {peak / 1048576.0, resting / 1048576.0};
            }
        }

        double train() { return model.trainStep(tokens, batch, window, domains, 4, 1, false).loss(); }

        double forward() { return model.evaluate(tokens, batch, window, domains, 4).loss(); }

        double unfused() { return unfused.trainStep(tokens, batch, window, domains, 4, 1, false).loss(); }

        @TearDown(Level.Trial)
        public void tearDown() {
            // The last invocation's per-product times: a breakdown, not a measurement of record.
            if (config.startsWith("bench"))
                for (int i = 0; i < gemms.count(); i++)
                    System.out.printf(Locale.ROOT, "    %-74s %8.2f GFLOP %7.1f GFLOP/s%n", gemms.name(i), gemms.flops(i) / 1e9,
                            gemms.flops(i) / gemms.lastMs(i) / 1e6);
            gemms.close();
            unfused.close();
            model.close();
        }
    }

    /**
     * Each side's wall and process CPU nanoseconds in the current iteration (JMH zeroes the public fields before every
     * iteration), and the sides in turns, whose rotation runs on across iterations.
     */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.EVENTS)
    public static class Times {
        public long trainNs, forwardNs, gemmsNs, unfusedNs, invocations;
        public long trainCpuNs, forwardCpuNs, gemmsCpuNs, unfusedCpuNs;
        InTurns turns;

        @Setup(Level.Trial)
        public void setUp(Shape s) { turns = new InTurns(s::train, s::forward, s.gemms::run, s::unfused); }

        void run(Blackhole sink) throws Exception {
            long[] ns = turns.run(sink), cpu = turns.cpuNs();
            trainNs += ns[0];
            forwardNs += ns[1];
            gemmsNs += ns[2];
            unfusedNs += ns[3];
            trainCpuNs += cpu[0];
            forwardCpuNs += cpu[1];
            gemmsCpuNs += cpu[2];
            unfusedCpuNs += cpu[3];
            invocations++;
        }
    }

    @Benchmark
    @Ratios(value = {
        @Ratio(label = "train/forward", of = "train", over = "forward", format = "%.2f"),
        @Ratio(label = "step with the unfused softmax and optimizer / step", of = "unfused", over = "train"),
        @Ratio(label = "fraction of BLAS roofline with the unfused softmax and optimizer", of = "gemms", over = "unfused"),
        @Ratio(label = "fraction of BLAS roofline", of = "gemms", over = "train", headline = true)},
            headlineAt = "shape=bench-256:8:256")
    public void lockstep(Times t, Blackhole sink) throws Exception {
        t.run(sink);
    }

    @Benchmark
    public double train(Shape s) { return s.train(); }

    @Benchmark
    public double forward(Shape s) { return s.forward(); }

    @Benchmark
    public double gemms(Shape s) { return s.gemms.run(); }

    @Benchmark
    public double unfused(Shape s) { return s.unfused(); }
}
