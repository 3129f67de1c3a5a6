package org.acodm.bench.data;

import org.acodm.data.CorpusSource;
import org.acodm.data.Manifest;
import org.acodm.data.PileDocument;
import org.acodm.data.PileReader;
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

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * {@code prepare} throughput in MB of UTF-8 text per second, per tokenizer, end to end: zstd, UTF-8 checks,
 * JSON, tokenising on all cores, shard writing and fsync. Input: minipile's {@code train/00.jsonl.zst}
 * (45 MB of text, 16 domains) for the byte tokenizer, {@code val.jsonl.zst} (3.4 MB) for the BPE ones.
 * Paired with {@link #readOnly}, the 45 MB file only decompressed and parsed on the reader thread, which
 * bounds what the pipeline can reach; the report is the ratio.
 *
 * <p>MB/s is the {@code textBytes} secondary result (an operations counter, so JMH reports it per second)
 * divided by 10^6.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(1)                                         // one JVM: the cost is I/O and native tokenisers, not JIT variance between forks
@Warmup(iterations = 2, time = 5)                // the Hugging Face tokenizer needs ~2 s per operation, so iterations are long
@Measurement(iterations = 3, time = 5)
public class PrepareBenchmark {
    private Path bigInput;

    /** The tokenizer under test and its output folder; only {@link #prepare} uses it, so the baseline runs once. */
    @State(Scope.Benchmark)
    public static class Run {
        /** byte, tiktoken:cl100k_base, or hf (the GPT-NeoX-20B tokenizer from the shared data). */
        @Param({"byte", "tiktoken:cl100k_base", "hf"})
        public String tokenizer;

        Tokenizer tok;
        Path out;
        Path input;
        long referenceBytes;
        long referenceDocuments;
        Manifest last;

        @Setup(Level.Trial)
        public void open() throws IOException {
            tok = Tokenizer.fromSpec(tokenizer.equals("hf") ? "hf:" + BenchData.neoxTokenizer() : tokenizer);
            out = Files.createTempDirectory("acodm-bench-prepare");
            // The byte tokenizer runs at I/O speed, where a 3 MB file would mostly measure the fixed cost of
            // syncing 32 shard files; it gets a 45 MB training file. The BPE tokenizers are bound by tokenising
            // and get the validation file, so an operation stays within seconds.
            input = tokenizer.equals("byte") ? BenchData.minipile().resolve("train/00.jsonl.zst") : BenchData.minipile().resolve("val.jsonl.zst");
            long[] ref = referenceSize(input);
            referenceDocuments = ref[0];
            referenceBytes = ref[1];
        }

        @Setup(Level.Invocation)
        public void clean() throws IOException {
            // Same inputs into the same folder would be reused, not redone: start every operation empty.
            BenchData.deleteTree(out.resolve("shards"));
        }

        @TearDown(Level.Trial)
        public void close() throws IOException {
            tok.close();
            BenchData.deleteTree(out);
        }
    }

    /** Counts text bytes per operation; reported per second, it is the throughput in bytes/s. */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class TextBytes {
        public long textBytes;
    }

    @Setup(Level.Trial)
    public void open() {
        bigInput = BenchData.minipile().resolve("train/00.jsonl.zst");
    }

    /** Documents and UTF-8 bytes of a file, counted with the JDK's encoder rather than the code under test. */
    static long[] referenceSize(Path file) throws IOException {
        long[] r = new long[2];
        try (PileReader reader = PileReader.open(file, PileReader.Options.pile())) {
            PileDocument d;
            while ((d = reader.next()) != null) {
                r[0]++;
                r[1] += d.text().getBytes(StandardCharsets.UTF_8).length;
            }
        }
        return r;
    }

    @Benchmark
    public Manifest prepare(Run run, TextBytes counter) throws IOException {
        run.last = ShardPreparer.prepare(CorpusSource.resolve(List.of("train=" + run.input)), run.tok, run.out.resolve("shards"),
                ShardPreparer.Options.defaults(), ShardPreparer.Listener.NONE);
        counter.textBytes += run.referenceBytes;
        check(run);
        return run.last;
    }

    /** The baseline: the byte tokenizer's input only decompressed, checked and parsed, on one thread. */
    @Benchmark
    public long readOnly(TextBytes counter) throws IOException {
        long bytes = 0;
        try (PileReader r = PileReader.open(bigInput, PileReader.Options.pile())) {
            PileDocument d;
            while ((d = r.next()) != null) bytes += d.text().getBytes(StandardCharsets.UTF_8).length;
        }
        counter.textBytes += bytes;
        return bytes;
    }

    /**
     * A fast wrong prepare must not win: every output accounts for every document and byte (summing 16 map
     * entries, negligible next to an operation of 50 ms or more).
     */
    private void check(Run run) {
        long docs = 0, bytes = 0, tokens = 0;
        for (Manifest.DomainStats s : run.last.split(Split.TRAIN).values()) {
            docs += s.documents();
            bytes += s.bytes();
            tokens += s.tokens();
        }
        if (docs != run.referenceDocuments || bytes != run.referenceBytes)
            throw new IllegalStateException("prepare wrote " + docs + " documents / " + bytes + " bytes, expected " + run.referenceDocuments + " / " + run.referenceBytes);
        if (run.tokenizer.equals("byte") && tokens != bytes + docs)
            throw new IllegalStateException("byte tokens " + tokens + " != bytes + documents " + (bytes + docs));
        if (tokens < docs * 2) throw new IllegalStateException("implausibly few tokens: " + tokens);
    }
}
