package org.acodm.bench.data;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.acodm.bench.InTurns;
import org.acodm.bench.Ratios;
import org.acodm.bench.Ratios.Ratio;
import org.acodm.data.CorpusSource;
import org.acodm.data.DomainShards;
import org.acodm.data.IndexedDataset;
import org.acodm.data.MixtureSampler;
import org.acodm.data.SampledBatch;
import org.acodm.data.SamplerConfig;
import org.acodm.data.ShardPreparer;
import org.acodm.data.Split;
import org.acodm.data.Tokenizer;
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
 * Group "data", sampler: one step's windows (B 32, uniform weights over minipile's 16 domains) drawn from memory-mapped
 * byte shards, in turns with copying as many ints from random places of a heap array. One batch is checked against
 * direct reads of the shards before timing, so a fast wrong sampler cannot win.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
// One fork per length: the shards are prepared once per process (seconds), the pairing steadies the ratio.
@Fork(1)
// A step takes 0.01-0.1 ms: iterations of 100 ms hold thousands; three to warm up the JIT, ten measured.
@Warmup(iterations = 3, time = 100, timeUnit = TimeUnit.MILLISECONDS)
@Measurement(iterations = 10, time = 100, timeUnit = TimeUnit.MILLISECONDS)
public class SamplerBenchmark {
    static final int BATCH = 32;

    @State(Scope.Benchmark)
    public static class Shards {
        /** Tokens per window: 2048 (the acceptance size), and the odd 1023 and 13 for the copy loops' tails. */
        @Param({"2048", "1023", "13"})
        public int seq;

        Path dir;
        DomainShards shards;
        MixtureSampler sampler;
        double[] weights;
        int[] heap, dst;
        SplittableRandom random = new SplittableRandom(1);
        long step;

        @Setup(Level.Trial)
        public void setUp() throws Exception {
            dir = Files.createTempDirectory("acodm-bench-sampler");
            try (Tokenizer t = Tokenizer.fromSpec("byte")) {
                ShardPreparer.prepare(CorpusSource.resolve(List.of(BenchData.minipile().resolve("train").toString())), t, dir,
                        ShardPreparer.Options.defaults(), ShardPreparer.Listener.NONE);
            }
            shards = DomainShards.open(dir, Split.TRAIN);
            long total = Arrays.stream(shards.tokenCounts()).sum();
            heap = new int[(int) total];
            for (int i = 0; i < heap.length; i++) heap[i] = i * 31;
            dst = new int[BATCH * (seq + 1)];
            sampler = new MixtureSampler(shards, SamplerConfig.perWindow(1234, BATCH, seq));
            weights = new double[shards.domainCount()];
            Arrays.fill(weights, 1.0);
            selfCheck();
        }

        double sample() { return sampler.sample(step++, 0, weights).tokens()[0]; }

        double copy() {
            int w = seq + 1;
            for (int i = 0; i < BATCH; i++) System.arraycopy(heap, random.nextInt(heap.length - w), dst, i * w, w);
            return dst[0];
        }

        /** One batch, checked against direct reads of the shards, so a fast wrong sampler cannot win. */
        void selfCheck() {
            SampledBatch b = sampler.sample(999, 0, weights);
            int w = seq + 1;
            for (int i = 0; i < BATCH; i++) {
                IndexedDataset d = shards.dataset(b.domains()[i]);
                for (int k = 0; k < w; k += w < 200 ? 1 : 97) {
                    int[] one = new int[1];
                    d.read((b.starts()[i] + k) % d.tokens(), one, 0, 1);
                    if (one[0] != b.tokens()[i * w + k]) throw new IllegalStateException("row " + i + " token " + k + " differs from the shard");
                }
            }
            if (!Arrays.equals(b.tokens(), sampler.sample(999, 0, weights).tokens())) throw new IllegalStateException("sampler is not deterministic");
        }

        @TearDown(Level.Trial)
        public void tearDown() throws Exception {
            shards.close();
            BenchData.deleteTree(dir);
        }
    }

    /**
     * Each side's wall and process CPU nanoseconds in the current iteration (JMH zeroes the public fields before every
     * iteration), and the sides in turns, whose rotation runs on across iterations.
     */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.EVENTS)
    public static class Times {
        public long sampleNs, copyNs, invocations;
        public long sampleCpuNs, copyCpuNs;
        InTurns turns;

        @Setup(Level.Trial)
        public void setUp(Shards s) { turns = new InTurns(s::sample, s::copy); }

        void run(Blackhole sink) throws Exception {
            long[] ns = turns.run(sink), cpu = turns.cpuNs();
            sampleNs += ns[0];
            copyNs += ns[1];
            sampleCpuNs += cpu[0];
            copyCpuNs += cpu[1];
            invocations++;
        }
    }

    @Benchmark
    @Ratios(@Ratio(label = "sampler / heap copy time", of = "sample", over = "copy", format = "%.2f"))
    public void lockstep(Times t, Blackhole sink) throws Exception {
        t.run(sink);
    }

    @Benchmark
    public double sample(Shards s) { return s.sample(); }

    @Benchmark
    public double copy(Shards s) { return s.copy(); }
}
