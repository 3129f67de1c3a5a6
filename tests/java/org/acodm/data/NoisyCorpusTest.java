package org.acodm.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.acodm.train.TrainFixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** `acodm corpus noisy`: the copy, the noise domains' sizes and text, determinism, and the refusals. */
class NoisyCorpusTest {
    @TempDir Path tmp;

    /**
     * What the code wrote before there could be several noise domains (commit 7615328) for minipile at seed 5: the
     * SHA-256 of each rewritten file's decompressed content ({@code zstd -dc FILE | sha256sum}), so a zstd-jni that
     * compresses differently does not matter, but any changed byte of the text does.
     */
    static final Map<String, String> MINIPILE_SEED_5 = Map.of(
            "train/01.jsonl.zst", "d3136958963ce61efea7f86e4a368a4bc5c774ce8de343cbae218fbd968a0450",
            "val.jsonl.zst", "fe4cd7f4fd9c94c9398424c3a3943dae5e6828f1d04254d40c7773cbd3379bd0",
            "test.jsonl.zst", "dbed808a6bee08ad64fbe57a2f5ee387171cd68c72de477e2d9da3f3c45f04c4");
    /** The same for the small corpus of {@link #theTextIsAFunctionOfTheSeedAndRefusalsNameTheirCause} at seed 1 (plain files). */
    static final Map<String, String> SMALL_SEED_1 = Map.of(
            "train/00.jsonl", "382d12c44540b465743a46834a5d42679335c8a09b416cffadfc5b08f5aeff39",
            "val.jsonl", "a733847f32a8a9283144de12aacffb991d72f0ed7f5ae0a9c41c0872f621151c");

    /** Documents per domain of a Pile file, read independently; the text bytes per domain. */
    static Map<String, Long> bytesPerDomain(List<TestData.Doc> docs) {
        Map<String, Long> m = new HashMap<>();
        for (TestData.Doc d : docs) m.merge(d.domain(), (long) d.text().getBytes(StandardCharsets.UTF_8).length, Long::sum);
        return m;
    }

    static long median(Map<String, Long> bytes) {
        List<Long> v = new ArrayList<>(bytes.values());
        v.sort(null);
        int n = v.size();
        return n % 2 == 1 ? v.get(n / 2) : (v.get(n / 2 - 1) + v.get(n / 2)) / 2;
    }

    /** minipile through the CLI: 16 domains copied, a 17th of random printable text, median-sized in every split, as before. */
    @Test void minipileGetsAMedianSizedNoiseDomain() throws IOException {
        Path out = tmp.resolve("noisy");
        String printed = noisy(out, "--seed", "5");
        assertTrue(printed.contains("wrote " + out + " (Pile layout, domain Noise added)"), printed);
        checkNoise(out, List.of(NoisyCorpus.DOMAIN));
        assertTrue(printed.lines().anyMatch(l -> l.startsWith("train ") && l.contains(" 16 ")), printed);
        for (var e : MINIPILE_SEED_5.entrySet())
            assertEquals(e.getValue(), sha256(out.resolve(e.getKey()), true), e.getKey() + ": one Noise domain writes what it wrote before");
    }

    /**
     * {@code --noise-domains 4} adds Noise-1 .. Noise-4, each as large as the median domain and each its own text; the
     * corpus prepares and trains, and uniform weights over its 20 domains spend a fifth of the data on noise.
     */
    @Test void fourNoiseDomainsEachGetTheMedianAndTheCorpusTrains() throws IOException {
        Path out = tmp.resolve("noisy4");
        String printed = noisy(out, "--seed", "5", "--noise-domains", "4");
        assertTrue(printed.contains("wrote " + out + " (Pile layout, 4 domains Noise-1 .. Noise-4 added)"), printed);
        List<String> names = List.of("Noise-1", "Noise-2", "Noise-3", "Noise-4");
        checkNoise(out, names);
        assertTrue(printed.lines().anyMatch(l -> l.matches("train +16 +6,006,103 +4 +6,006,103 +1,467")), printed);

        TreeSet<String> domains = new TreeSet<>(names);
        for (TestData.Doc d : TestData.readIndependently(TestData.minipile().resolve("val.jsonl.zst"))) domains.add(d.domain());
        assertEquals(20, domains.size());
        List<JsonNode> metrics = TinyRun.prepareAndTrain(out, List.copyOf(domains), tmp.resolve("work"));
        JsonNode weights = TrainFixtures.records(metrics, "step").get(0).get("weights");
        double noise = 0;
        for (String n : names) noise += weights.get(n).asDouble();
        assertEquals(0.2, noise, 1e-9, "uniform weights spend 4 / 20 of the data on noise");
    }

    /** Runs {@code acodm corpus noisy} on minipile into {@code out}; returns what it printed to stdout. */
    private static String noisy(Path out, String... options) {
        List<String> args = new ArrayList<>(List.of("corpus", "noisy", "--from", TestData.minipile().toString(), "--out", out.toString()));
        args.addAll(List.of(options));
        TrainFixtures.CliResult r = TrainFixtures.cli(args.toArray(new String[0]));
        assertEquals(0, r.rc(), r.all());
        return r.out();
    }

    /**
     * The first train file is copied byte for byte; the last of each split holds its own documents, then each noise
     * domain's documents in turn: the median domain's bytes of printable ASCII, uniform over the 95 characters.
     */
    private static void checkNoise(Path out, List<String> names) throws IOException {
        assertArrayEquals(Files.readAllBytes(TestData.minipile().resolve("train/00.jsonl.zst")), Files.readAllBytes(out.resolve("train/00.jsonl.zst")));
        for (String file : List.of("train/01.jsonl.zst", "val.jsonl.zst", "test.jsonl.zst")) {
            List<TestData.Doc> before = TestData.readIndependently(TestData.minipile().resolve(file));
            List<TestData.Doc> after = TestData.readIndependently(out.resolve(file));
            assertEquals(before, after.subList(0, before.size()), file + ": the original documents, unchanged and first");
            long expected = median(bytesPerDomain(file.startsWith("train")
                    ? concat(TestData.readIndependently(TestData.minipile().resolve("train/00.jsonl.zst")), before) : before));
            List<TestData.Doc> noise = after.subList(before.size(), after.size());
            List<String> texts = new ArrayList<>();
            int at = 0;
            for (String name : names) {
                StringBuilder text = new StringBuilder();
                for (; at < noise.size() && noise.get(at).domain().equals(name); at++) text.append(noise.get(at).text());
                assertEquals(expected, text.length(), file + ": " + name + " has as many bytes as the median domain");
                int[] counts = new int[128];
                for (int i = 0; i < text.length(); i++) {
                    char c = text.charAt(i);
                    assertTrue(c >= 0x20 && c <= 0x7E, "not printable ASCII: " + (int) c);
                    counts[c]++;
                }
                // Uniform over the 95 characters: every count within 10% of bytes / 95 (n ≥ 140,000 here).
                for (int c = 0x20; c <= 0x7E; c++) assertEquals(expected / 95.0, counts[c], expected / 95.0 * 0.1, name + ", character " + (char) c);
                assertFalse(texts.contains(text.toString()), name + " repeats another noise domain's text");
                texts.add(text.toString());
            }
            assertEquals(noise.size(), at, file + ": only " + names + ", in that order, after the original documents");
        }
    }

    @Test void theTextIsAFunctionOfTheSeedAndRefusalsNameTheirCause() throws IOException {
        Path corpus = tmp.resolve("small");
        TestData.writeLines(corpus.resolve("train/00.jsonl"), List.of(TestData.pileLine("alpha beta", "A"), TestData.pileLine("gamma delta epsilon", "B"),
                TestData.pileLine("zeta", "C")));
        TestData.writeLines(corpus.resolve("val.jsonl"), List.of(TestData.pileLine("eta", "A"), TestData.pileLine("theta iota", "B")));
        PileReader.Options o = PileReader.Options.pile();
        List<NoisyCorpus.SplitSummary> s = NoisyCorpus.build(corpus, tmp.resolve("a"), 1, 1, o, m -> { });
        NoisyCorpus.build(corpus, tmp.resolve("b"), 1, 1, o, m -> { });
        NoisyCorpus.build(corpus, tmp.resolve("c"), 2, 1, o, m -> { });
        assertEquals(List.of(new NoisyCorpus.SplitSummary(Split.TRAIN, 3, 10, 1, 1, 10), new NoisyCorpus.SplitSummary(Split.VAL, 2, 6, 1, 1, 6)), s);
        for (var e : SMALL_SEED_1.entrySet())
            assertEquals(e.getValue(), sha256(tmp.resolve("a").resolve(e.getKey()), false), e.getKey() + ": one Noise domain writes what it wrote before");
        assertArrayEquals(Files.readAllBytes(tmp.resolve("a/train/00.jsonl")), Files.readAllBytes(tmp.resolve("b/train/00.jsonl")));
        assertNotEquals(Files.readString(tmp.resolve("a/train/00.jsonl")), Files.readString(tmp.resolve("c/train/00.jsonl")));
        assertEquals(NoisyCorpus.noiseText(1, Split.VAL, 0, 0, 6),
                TestData.readIndependently(tmp.resolve("a/val.jsonl")).get(2).text(), "plain .jsonl stays plain, Noise appended");
        try (var names = Files.list(tmp)) {
            assertEquals(List.of(), names.map(p -> p.getFileName().toString()).filter(n -> n.contains(".tmp-")).toList(),
                    "the staging folder is renamed into place");
        }

        // Three domains: the first holds what the single one holds; each is a function of (seed, its index) alone.
        NoisyCorpus.build(corpus, tmp.resolve("three"), 1, 3, o, m -> { });
        List<TestData.Doc> val3 = TestData.readIndependently(tmp.resolve("three/val.jsonl"));
        assertEquals(List.of("Noise-1", "Noise-2", "Noise-3"), val3.subList(2, 5).stream().map(TestData.Doc::domain).toList());
        assertEquals(TestData.readIndependently(tmp.resolve("a/val.jsonl")).get(2).text(), val3.get(2).text());
        for (int i = 0; i < 3; i++) assertEquals(NoisyCorpus.noiseText(1, Split.VAL, i, 0, 6), val3.get(2 + i).text());
        assertEquals(3, new TreeSet<>(val3.subList(2, 5).stream().map(TestData.Doc::text).toList()).size(), "three different texts");

        IOException full = assertThrows(IOException.class, () -> NoisyCorpus.build(corpus, tmp.resolve("a"), 1, 1, o, m -> { }));
        assertTrue(full.getMessage().contains("not empty"), full.getMessage());
        CorpusFormatException twice = assertThrows(CorpusFormatException.class, () -> NoisyCorpus.build(tmp.resolve("a"), tmp.resolve("d"), 1, 1, o, m -> { }));
        assertTrue(twice.getMessage().contains(tmp.resolve("a/train/00.jsonl") + ":4") && twice.getMessage().contains("already has a domain named 'Noise'"),
                twice.getMessage());
        // Noise-1 and Noise-2 are refused where one of them is a domain already (Noise-1: train's fourth line); Noise is not one of them.
        CorpusFormatException taken = assertThrows(CorpusFormatException.class, () -> NoisyCorpus.build(tmp.resolve("three"), tmp.resolve("d"), 1, 2, o, m -> { }));
        assertTrue(taken.getMessage().contains(tmp.resolve("three/train/00.jsonl") + ":4") && taken.getMessage().contains("already has a domain named 'Noise-1'"),
                taken.getMessage());
        NoisyCorpus.build(tmp.resolve("a"), tmp.resolve("e"), 1, 2, o, m -> { });
        IllegalArgumentException none = assertThrows(IllegalArgumentException.class, () -> NoisyCorpus.build(corpus, tmp.resolve("d"), 1, 0, o, m -> { }));
        assertEquals("--noise-domains must be at least 1, got 0", none.getMessage());
        try (Stream<Path> left = Files.list(tmp)) {
            assertEquals(List.of(), left.filter(p -> p.getFileName().toString().startsWith(".")).toList(), "a refused build leaves no staging folder");
        }
        assertFalse(Files.exists(tmp.resolve("d")));
    }

    /** SHA-256 of a file's bytes, or of its decompressed content. */
    static String sha256(Path file, boolean decompress) throws IOException {
        MessageDigest md;
        try {
            md = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        try (InputStream raw = Files.newInputStream(file);
             InputStream in = new DigestInputStream(decompress ? new com.github.luben.zstd.ZstdInputStream(raw) : raw, md)) {
            in.transferTo(java.io.OutputStream.nullOutputStream());
        }
        return HexFormat.of().formatHex(md.digest());
    }

    private static <T> List<T> concat(List<T> a, List<T> b) {
        List<T> out = new ArrayList<>(a);
        out.addAll(b);
        return out;
    }
}
