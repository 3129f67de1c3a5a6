package org.acodm.bench.data;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.acodm.bench.Lockstep;
import org.acodm.data.CorpusSource;
import org.acodm.data.DomainShards;
import org.acodm.data.IndexedDataset;
import org.acodm.data.Manifest;
import org.acodm.data.MixtureSampler;
import org.acodm.data.PileDocument;
import org.acodm.data.PileReader;
import org.acodm.data.SampledBatch;
import org.acodm.data.SamplerConfig;
import org.acodm.data.ShardPreparer;
import org.acodm.data.Split;
import org.acodm.data.Tokenizer;

/**
 * Group "data": {@code prepare} end to end (zstd, UTF-8 checks, JSON, tokenising on every core, shard writing and
 * fsync) per tokenizer, each in turns with its limit on the same text:
 * <ul>
 *   <li>byte — minipile's {@code train/00.jsonl.zst} (45 MB of text), against the same file only decompressed and
 *       parsed on one thread (what the reader thread alone can deliver);</li>
 *   <li>hf (GPT-NeoX-20B) and tiktoken (cl100k_base) — {@code val.jsonl.zst} (3.4 MB of text), against the bare
 *       tokenizer encoding the same documents, already in memory, in a tight loop on every core: for hf, DJL's
 *       batch encode in the batches prepare uses; for tiktoken, jtokkit on one thread per core. prepare / bare
 *       is the headline: what the pipeline around the tokenizer costs.</li>
 * </ul>
 * For hf, DJL's public {@code batchEncode} (which builds an {@link Encoding} per document: ids, tokens as strings,
 * offsets, masks) runs in the same turns, to show what prepare's ids-only path saves. Then the sampler: one step's
 * windows (B 32, T 2048 and 1023) from memory-mapped shards, against copying as many ints from random places of a
 * heap array. Every operation is checked once against the others' token counts, so a fast wrong one cannot win.
 */
public final class DataGroup {
    /** A prepare takes 0.3-2 s: one per turn. */
    public static final Lockstep.Settings DEFAULTS = new Lockstep.Settings(2, 8, 0);
    /** The sampler's 0.1 ms steps are timed over turns of at least this long. */
    static final double SAMPLER_TURN_MS = 100;

    private DataGroup() {}

    public static void run(Lockstep.Settings settings) throws Exception {
        int threads = ShardPreparer.Options.defaults().threads();
        System.out.printf(Locale.ROOT, "prepare threads: %d%n", threads);
        Path train00 = BenchData.minipile().resolve("train/00.jsonl.zst");
        Path val = BenchData.minipile().resolve("val.jsonl.zst");

        List<PileDocument> bigDocs = read(train00);
        long bigBytes = utf8Bytes(bigDocs);
        try (Tokenizer tok = Tokenizer.fromSpec("byte")) {
            Lockstep.Result r = Lockstep.run(List.of(
                    new Lockstep.Side("prepare", () -> prepare(tok, train00, bigDocs.size(), bigBytes)),
                    new Lockstep.Side("read+parse", () -> readOnly(train00, bigBytes))), settings);
            Lockstep.Spread ratio = r.ratio("read+parse", "prepare");
            double p = mbPerS(bigBytes, r.time("prepare").median()), b = mbPerS(bigBytes, r.time("read+parse").median());
            System.out.printf(Locale.ROOT, "prepare byte                 %8.2f MB/s (%7.2f MB/s per core); read+parse only, 1 thread %8.2f MB/s%n",
                    p, p / threads, b);
            System.out.println("prepare byte / read+parse throughput: " + String.format(Locale.ROOT, "%.3f ", ratio.median()) + ratio.describe("%.3f"));
        }
        bigDocs.clear();

        List<PileDocument> valDocs = read(val);
        long valBytes = utf8Bytes(valDocs);
        List<List<String>> batches = batches(valDocs);
        try (Tokenizer tok = Tokenizer.fromSpec("tiktoken:cl100k_base")) {
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            try {
                long tokens = bareTiktoken(tok, batches, pool);
                Lockstep.Result r = Lockstep.run(List.of(
                        new Lockstep.Side("prepare", () -> checkTokens(prepare(tok, val, valDocs.size(), valBytes), tokens + valDocs.size())),
                        new Lockstep.Side("bare", () -> checkTokens(bareTiktoken(tok, batches, pool), tokens))), settings);
                report("tiktoken:cl100k_base", "jtokkit encodeOrdinary, " + threads + " threads", r, valBytes, threads);
            } finally {
                pool.shutdownNow();
            }
        }
        String hfSpec = "hf:" + BenchData.neoxTokenizer();
        Lockstep.Spread hf;
        try (Tokenizer tok = Tokenizer.fromSpec(hfSpec);
             HuggingFaceTokenizer djl = HuggingFaceTokenizer.newInstance(BenchData.neoxTokenizer(), Map.of(
                     "addSpecialTokens", "false", "truncation", "false", "padding", "false"))) {
            long tokens = bareHf(tok, batches);
            Lockstep.Result r = Lockstep.run(List.of(
                    new Lockstep.Side("prepare", () -> checkTokens(prepare(tok, val, valDocs.size(), valBytes), tokens + valDocs.size())),
                    new Lockstep.Side("bare", () -> checkTokens(bareHf(tok, batches), tokens)),
                    new Lockstep.Side("encodings", () -> djlEncodings(djl, batches))), settings);
            hf = report("hf", "DJL batch encode, ids only", r, valBytes, threads);
            double e = mbPerS(valBytes, r.time("encodings").median());
            Lockstep.Spread vs = r.ratio("encodings", "bare");
            System.out.printf(Locale.ROOT, "  DJL batchEncode building Encoding objects (tokens, offsets, masks): %.2f MB/s (%.2f MB/s per core); "
                    + "ids-only / Encoding objects throughput %.2f %s%n", e, e / threads, vs.median(), vs.describe("%.2f"));
        }
        valDocs.clear();

        sampler(settings);
        System.out.println("prepare hf / bare tokenizer throughput: " + String.format(Locale.ROOT, "%.3f ", hf.median())
                + "(threads " + threads + ", " + hf.describe("%.3f").substring(1));
    }

    private static Lockstep.Spread report(String spec, String bareWhat, Lockstep.Result r, long bytes, int threads) {
        double p = mbPerS(bytes, r.time("prepare").median()), b = mbPerS(bytes, r.time("bare").median());
        Lockstep.Spread ratio = r.ratio("bare", "prepare");
        String name = spec.startsWith("hf") ? "hf" : spec.substring(0, spec.indexOf(':'));
        System.out.printf(Locale.ROOT, "prepare %-20s %8.2f MB/s (%7.2f MB/s per core); bare tokenizer (%s) %8.2f MB/s (%7.2f MB/s per core)%n",
                spec, p, p / threads, bareWhat, b, b / threads);
        System.out.println("prepare " + name + " / bare tokenizer throughput: " + String.format(Locale.ROOT, "%.3f ", ratio.median()) + ratio.describe("%.3f"));
        return ratio;
    }

    static double mbPerS(long bytes, double ms) { return bytes / 1e6 / (ms / 1e3); }

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
            if (tok.spec().equals("byte") && t != bytes + docs) throw new IllegalStateException("byte tokens " + t + " != bytes + documents " + (bytes + docs));
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

    static double djlEncodings(HuggingFaceTokenizer djl, List<List<String>> batches) {
        long n = 0;
        for (List<String> b : batches) for (Encoding e : djl.batchEncode(b)) n += e.getIds().length;
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

    private static void sampler(Lockstep.Settings settings) throws Exception {
        Path dir = Files.createTempDirectory("acodm-bench-sampler");
        try {
            try (Tokenizer t = Tokenizer.fromSpec("byte")) {
                ShardPreparer.prepare(CorpusSource.resolve(List.of(BenchData.minipile().resolve("train").toString())), t, dir,
                        ShardPreparer.Options.defaults(), ShardPreparer.Listener.NONE);
            }
            try (DomainShards shards = DomainShards.open(dir, Split.TRAIN)) {
                long total = Arrays.stream(shards.tokenCounts()).sum();
                int[] heap = new int[(int) total];
                for (int i = 0; i < heap.length; i++) heap[i] = i * 31;
                Lockstep.Settings s = new Lockstep.Settings(settings.warmupRounds() + 1, Math.max(settings.rounds(), 10),
                        Math.max(settings.minTurnMs(), SAMPLER_TURN_MS));
                // 2048 is the acceptance size; 1023 is odd so loop tails are exercised.
                for (int seqLen : new int[] {2048, 1023}) {
                    int batch = 32, w = seqLen + 1;
                    MixtureSampler sampler = new MixtureSampler(shards, SamplerConfig.perWindow(1234, batch, seqLen));
                    double[] weights = new double[shards.domainCount()];
                    Arrays.fill(weights, 1.0);
                    selfCheck(sampler, shards, weights, batch, seqLen);
                    int[] dst = new int[batch * w];
                    SplittableRandom random = new SplittableRandom(1);
                    long[] step = {0};
                    Lockstep.Result r = Lockstep.run(List.of(
                            new Lockstep.Side("sample", () -> sampler.sample(step[0]++, 0, weights).tokens()[0]),
                            new Lockstep.Side("copy", () -> {
                                for (int i = 0; i < batch; i++) System.arraycopy(heap, random.nextInt(heap.length - w), dst, i * w, w);
                                return dst[0];
                            })), s);
                    Lockstep.Spread ratio = r.ratio("sample", "copy");
                    System.out.printf(Locale.ROOT, "sampler B=32 T=%-5d %8.4f ms/step (%.2fx of a heap copy, %.4f ms) %s%n", seqLen,
                            r.time("sample").median(), ratio.median(), r.time("copy").median(), ratio.describe("%.2f"));
                }
            }
        } finally {
            BenchData.deleteTree(dir);
        }
    }

    /** One batch, checked against direct reads of the shards, so a fast wrong sampler cannot win. */
    private static void selfCheck(MixtureSampler sampler, DomainShards shards, double[] weights, int batch, int seqLen) {
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
}
