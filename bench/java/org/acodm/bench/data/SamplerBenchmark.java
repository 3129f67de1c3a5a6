package org.acodm.bench.data;

import org.acodm.data.CorpusSource;
import org.acodm.data.DomainShards;
import org.acodm.data.IndexedDataset;
import org.acodm.data.MixtureSampler;
import org.acodm.data.SampledBatch;
import org.acodm.data.SamplerConfig;
import org.acodm.data.ShardPreparer;
import org.acodm.data.Split;
import org.acodm.data.Tokenizer;
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

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * Time to draw one step's windows ({@code [B, T+1]} int32 tokens and B domain ids) from memory-mapped uint16
 * shards of all of minipile's training text (16 domains, 90 MB of byte tokens, so windows come from well
 * beyond the CPU caches). Paired with {@link #copyBaseline}, which copies the same number of ints from random
 * places in a heap array of the same size: the ratio is what domain choice, hashing and uint16 widening cost
 * over a bare memory copy.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(1)                                   // the work is memory traffic; one JVM is representative
@Warmup(iterations = 3, time = 2)          // enough for C2 to compile the copy loops
@Measurement(iterations = 5, time = 2)
public class SamplerBenchmark {
    @Param({"32"})
    public int batch;

    /** 2048 is the acceptance size; 1023 is odd so loop tails are exercised. */
    @Param({"2048", "1023"})
    public int seqLen;

    private Path dir;
    private DomainShards shards;
    private MixtureSampler sampler;
    private double[] weights;
    private long step;
    private int[] heap;
    private int[] dst;
    private SplittableRandom random;

    @Setup(Level.Trial)
    public void prepare() throws IOException {
        dir = Files.createTempDirectory("acodm-bench-sampler");
        try (Tokenizer t = Tokenizer.fromSpec("byte")) {
            ShardPreparer.prepare(CorpusSource.resolve(List.of(BenchData.minipile().resolve("train").toString())), t, dir,
                    ShardPreparer.Options.defaults(), ShardPreparer.Listener.NONE);
        }
        shards = DomainShards.open(dir, Split.TRAIN);
        sampler = new MixtureSampler(shards, SamplerConfig.perWindow(1234, batch, seqLen));
        weights = new double[shards.domainCount()];
        Arrays.fill(weights, 1.0);
        long total = Arrays.stream(shards.tokenCounts()).sum();
        heap = new int[(int) total];
        for (int i = 0; i < heap.length; i++) heap[i] = i * 31;
        dst = new int[batch * (seqLen + 1)];
        random = new SplittableRandom(1);
        selfCheck();
    }

    /** One batch, checked against direct reads of the shards, so a fast wrong sampler cannot win. */
    private void selfCheck() {
        SampledBatch b = sampler.sample(999, 0, weights);
        int w = seqLen + 1;
        for (int i = 0; i < batch; i++) {
            IndexedDataset d = shards.dataset(b.domains()[i]);
            for (int k = 0; k < w; k += 97) {
                int[] one = new int[1];
                d.read((b.starts()[i] + k) % d.tokens(), one, 0, 1);
                if (one[0] != b.tokens()[i * w + k]) throw new IllegalStateException("row " + i + " token " + k + " differs from the shard");
            }
        }
        if (!Arrays.equals(b.tokens(), sampler.sample(999, 0, weights).tokens())) throw new IllegalStateException("sampler is not deterministic");
    }

    @Benchmark
    public SampledBatch sample() {
        return sampler.sample(step++, 0, weights);
    }

    @Benchmark
    public int[] copyBaseline() {
        int w = seqLen + 1;
        for (int i = 0; i < batch; i++) System.arraycopy(heap, random.nextInt(heap.length - w), dst, i * w, w);
        return dst;
    }

    @TearDown(Level.Trial)
    public void close() throws IOException {
        shards.close();
        BenchData.deleteTree(dir);
    }
}
