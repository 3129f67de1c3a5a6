package org.acodm.bench.data;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.acodm.bench.InTurns;
import org.acodm.bench.Ratios;
import org.acodm.bench.Ratios.Ratio;
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
import org.openjdk.jmh.infra.Blackhole;

/**
 * Group "data", prepare: {@code prepare} end to end (zstd, UTF-8 checks, JSON, tokenising on every core, shard writing
 * and fsync) per tokenizer, in turns with its limit on the same text:
 * <ul>
 *   <li>byte — minipile's {@code train/00.jsonl.zst} (45 MB of text), against the same file only decompressed and
 *       parsed on one thread (what the reader thread alone can deliver);</li>
 *   <li>hf (GPT-NeoX-20B) and tiktoken (cl100k_base) — {@code val.jsonl.zst} (3.4 MB of text), against the bare
 *       tokenizer encoding the same documents, already in memory, in a tight loop on every core: for hf, the batch
 *       encode prepare uses, in its batches; for tiktoken, jtokkit on one thread per core. prepare / bare (hf) is the
 *       group's headline: what the pipeline around the tokenizer costs.</li>
 * </ul>
 * Every side's token and byte counts are checked on every call, so a fast wrong one cannot win.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
// One fork per tokenizer: the documents held in memory (45 MB of text for byte) go with the process.
@Fork(1)
// A prepare takes 0.3-10 s: one invocation per iteration; two to warm up (the JIT, the tokenizer's caches), eight measured.
@Warmup(iterations = 2, time = 1, timeUnit = TimeUnit.MILLISECONDS)
@Measurement(iterations = 8, time = 1, timeUnit = TimeUnit.MILLISECONDS)
public class PrepareBenchmark {
    @State(Scope.Benchmark)
    public static class Text {
        /** The tokenizer spec; "hf" stands for the GPT-NeoX-20B tokenizer.json of ../shared/data/tokenizers. */
        @Param({"byte", "tiktoken:cl100k_base", "hf"})
        public String tokenizer;

        Path input;
        List<PileDocument> docs;
        long bytes, bareTokens;
        List<List<String>> batches;
        Tokenizer tok;
        ExecutorService pool;
        int threads;

        @Setup(Level.Trial)
        public void setUp() throws Exception {
            threads = ShardPreparer.Options.defaults().threads();
            boolean bytes8 = tokenizer.equals("byte");
            input = BenchData.minipile().resolve(bytes8 ? "train/00.jsonl.zst" : "val.jsonl.zst");
            docs = read(input);
            bytes = utf8Bytes(docs);
            batches = batches(docs);
            tok = Tokenizer.fromSpec(tokenizer.equals("hf") ? "hf:" + BenchData.neoxTokenizer() : tokenizer);
            pool = Executors.newFixedThreadPool(threads);
            bareTokens = bytes8 ? bytes : tokenizer.equals("hf") ? bareHf(tok, batches) : bareTiktoken(tok, batches, pool);
            System.out.printf(Locale.ROOT, "prepare %s: %s, %d documents, %.2f MB of text, %d prepare threads%n", tokenizer, input.getFileName(),
                    docs.size(), bytes / 1e6, threads);
        }

        /** prepare into a fresh folder, its counts checked; every document ends with one end-of-document token. */
        double prepare() throws IOException {
            return checkTokens(PrepareBenchmark.prepare(tok, input, docs.size(), bytes), bareTokens + docs.size());
        }

        /** The limit prepare is compared with: read+parse for byte, the bare tokenizer for the others. */
        double bare() throws Exception {
            if (tokenizer.equals("byte")) return readOnly(input, bytes);
            return checkTokens(tokenizer.equals("hf") ? bareHf(tok, batches) : bareTiktoken(tok, batches, pool), bareTokens);
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            pool.shutdownNow();
            tok.close();
        }
    }

    /**
     * Each side's wall and process CPU nanoseconds in the current iteration (JMH zeroes the public fields before every
     * iteration), and the sides in turns, whose rotation runs on across iterations.
     */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.EVENTS)
    public static class Times {
        public long prepareNs, bareNs, invocations;
        public long prepareCpuNs, bareCpuNs;
        InTurns turns;

        @Setup(Level.Trial)
        public void setUp(Text text) { turns = new InTurns(text::prepare, text::bare); }

        void run(Blackhole sink) throws Exception {
            long[] ns = turns.run(sink), cpu = turns.cpuNs();
            prepareNs += ns[0];
            bareNs += ns[1];
            prepareCpuNs += cpu[0];
            bareCpuNs += cpu[1];
            invocations++;
        }
    }

    @Benchmark
    @Ratios(value = @Ratio(label = "prepare / bare tokenizer throughput", of = "bare", over = "prepare", headline = true),
            headlineAt = "tokenizer=hf")
    public void lockstep(Times t, Blackhole sink) throws Exception {
        t.run(sink);
    }

    @Benchmark
    public double prepare(Text text) throws IOException { return text.prepare(); }

    @Benchmark
    public double bare(Text text) throws Exception { return text.bare(); }

    static List<PileDocument> read(Path file) throws IOException {
        List<PileDocument> docs = new ArrayList<>();
        try (PileReader r = PileReader.open(file, PileReader.Options.pile())) {
            PileDocument d;
            while ((d = r.next()) != null) docs.add(d);
        }
        return docs;
    }

    /** UTF-8 bytes counted with the JDK's encoder rather than the code under test. */
    static long utf8Bytes(List<PileDocument> docs) {
        long n = 0;
        for (PileDocument d : docs) n += d.text().getBytes(StandardCharsets.UTF_8).length;
        return n;
    }

    /** The documents' texts in batches the way prepare cuts them. */
    static List<List<String>> batches(List<PileDocument> docs) {
        List<List<String>> out = new ArrayList<>();
        List<String> cur = new ArrayList<>();
        long chars = 0;
        for (PileDocument d : docs) {
            cur.add(d.text());
            chars += d.text().length();
            if (chars >= ShardPreparer.CHUNK_CHARS || cur.size() >= ShardPreparer.CHUNK_DOCS) {
                out.add(cur);
                cur = new ArrayList<>();
                chars = 0;
            }
        }
        if (!cur.isEmpty()) out.add(cur);
        return out;
    }

    static double checkTokens(long got, long expected) {
        if (got != expected) throw new IllegalStateException(got + " tokens, expected " + expected);
        return got;
    }

    /** prepare into a fresh folder; every document and byte must be accounted for. Returns the tokens written. */
    static long prepare(Tokenizer tok, Path input, long docs, long bytes) throws IOException {
        Path out = Files.createTempDirectory("acodm-bench-prepare");
        try {
            Manifest m = ShardPreparer.prepare(CorpusSource.resolve(List.of("train=" + input)), tok, out,
                    ShardPreparer.Options.defaults(), ShardPreparer.Listener.NONE);
            long d = 0, b = 0, t = 0;
            for (Manifest.DomainStats s : m.split(Split.TRAIN).values()) {
                d += s.documents();
                b += s.bytes();
                t += s.tokens();
            }
            if (d != docs || b != bytes) throw new IllegalStateException("prepare wrote " + d + " documents / " + b + " bytes, expected " + docs + " / " + bytes);
            return t;
        } finally {
            BenchData.deleteTree(out);
        }
    }

    /** The byte tokenizer's input only decompressed, checked and parsed, on one thread. */
    static double readOnly(Path file, long expectedBytes) throws IOException {
        long bytes = 0;
        try (PileReader r = PileReader.open(file, PileReader.Options.pile())) {
            PileDocument d;
            while ((d = r.next()) != null) bytes += d.text().getBytes(StandardCharsets.UTF_8).length;
        }
        return checkTokens(bytes, expectedBytes);
    }

    static long bareHf(Tokenizer tok, List<List<String>> batches) {
        long n = 0;
        for (List<String> b : batches) for (int[] ids : tok.encodeAll(b)) n += ids.length;
        return n;
    }

    static long bareTiktoken(Tokenizer tok, List<List<String>> batches, ExecutorService pool) throws Exception {
        List<Future<Long>> parts = new ArrayList<>();
        for (List<String> b : batches) {
            parts.add(pool.submit(() -> {
                long n = 0;
                for (String text : b) n += tok.encode(text).length;
                return n;
            }));
        }
        long n = 0;
        for (Future<Long> f : parts) n += f.get();
        return n;
    }
}
