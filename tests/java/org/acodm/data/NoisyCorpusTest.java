package org.acodm.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.acodm.cli.Main;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** `acodm corpus noisy`: the copy, the Noise domain's size and text, determinism, and the refusals. */
class NoisyCorpusTest {
    @TempDir Path tmp;

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

    /** minipile through the CLI: 16 domains copied, a 17th of random printable text, median-sized in every split. */
    @Test void minipileGetsAMedianSizedNoiseDomain() throws IOException {
        Path out = tmp.resolve("noisy");
        StringWriter so = new StringWriter(), se = new StringWriter();
        CommandLine cl = Main.commandLine();
        cl.setOut(new PrintWriter(so));
        cl.setErr(new PrintWriter(se));
        assertEquals(0, cl.execute("corpus", "noisy", "--from", TestData.minipile().toString(), "--out", out.toString(), "--seed", "5"), se.toString());
        assertTrue(so.toString().contains("wrote " + out), so.toString());

        // The first train file is copied byte for byte; the last of each split holds its own documents, then Noise.
        assertArrayEquals(Files.readAllBytes(TestData.minipile().resolve("train/00.jsonl.zst")), Files.readAllBytes(out.resolve("train/00.jsonl.zst")));
        for (String[] split : new String[][] {{"train/01.jsonl.zst"}, {"val.jsonl.zst"}, {"test.jsonl.zst"}}) {
            List<TestData.Doc> before = TestData.readIndependently(TestData.minipile().resolve(split[0]));
            List<TestData.Doc> after = TestData.readIndependently(out.resolve(split[0]));
            assertEquals(before, after.subList(0, before.size()), split[0] + ": the original documents, unchanged and first");
            List<TestData.Doc> noise = after.subList(before.size(), after.size());
            assertFalse(noise.isEmpty());
            long expected = median(bytesPerDomain(split[0].startsWith("train")
                    ? concat(TestData.readIndependently(TestData.minipile().resolve("train/00.jsonl.zst")), before) : before));
            long bytes = 0;
            int[] counts = new int[128];
            for (TestData.Doc d : noise) {
                assertEquals(NoisyCorpus.DOMAIN, d.domain());
                bytes += d.text().length();
                for (char c : d.text().toCharArray()) {
                    assertTrue(c >= 0x20 && c <= 0x7E, "not printable ASCII: " + (int) c);
                    counts[c]++;
                }
            }
            assertEquals(expected, bytes, split[0] + ": Noise has as many bytes as the median domain");
            // Uniform over the 95 characters: every count within 10% of bytes / 95 (n ≥ 140,000 here).
            for (int c = 0x20; c <= 0x7E; c++) assertEquals(bytes / 95.0, counts[c], bytes / 95.0 * 0.1, "character " + (char) c);
        }
        assertTrue(so.toString().lines().anyMatch(l -> l.startsWith("train ") && l.contains(" 16 ")), so.toString());
    }

    @Test void theTextIsAFunctionOfTheSeedAndRefusalsNameTheirCause() throws IOException {
        Path corpus = tmp.resolve("small");
        TestData.writeLines(corpus.resolve("train/00.jsonl"), List.of(TestData.pileLine("alpha beta", "A"), TestData.pileLine("gamma delta epsilon", "B"),
                TestData.pileLine("zeta", "C")));
        TestData.writeLines(corpus.resolve("val.jsonl"), List.of(TestData.pileLine("eta", "A"), TestData.pileLine("theta iota", "B")));
        PileReader.Options o = PileReader.Options.pile();
        List<NoisyCorpus.SplitSummary> s = NoisyCorpus.build(corpus, tmp.resolve("a"), 1, o, m -> { });
        NoisyCorpus.build(corpus, tmp.resolve("b"), 1, o, m -> { });
        NoisyCorpus.build(corpus, tmp.resolve("c"), 2, o, m -> { });
        assertEquals(List.of(new NoisyCorpus.SplitSummary(Split.TRAIN, 3, 10, 1, 10), new NoisyCorpus.SplitSummary(Split.VAL, 2, 6, 1, 6)), s);
        assertArrayEquals(Files.readAllBytes(tmp.resolve("a/train/00.jsonl")), Files.readAllBytes(tmp.resolve("b/train/00.jsonl")));
        assertNotEquals(Files.readString(tmp.resolve("a/train/00.jsonl")), Files.readString(tmp.resolve("c/train/00.jsonl")));
        assertEquals(NoisyCorpus.noiseText(1, Split.VAL, 0, 6),
                TestData.readIndependently(tmp.resolve("a/val.jsonl")).get(2).text(), "plain .jsonl stays plain, Noise appended");
        assertFalse(Files.exists(tmp.resolve(".a.partial")), "the staging folder is renamed into place");

        IOException full = assertThrows(IOException.class, () -> NoisyCorpus.build(corpus, tmp.resolve("a"), 1, o, m -> { }));
        assertTrue(full.getMessage().contains("not empty"), full.getMessage());
        CorpusFormatException twice = assertThrows(CorpusFormatException.class, () -> NoisyCorpus.build(tmp.resolve("a"), tmp.resolve("d"), 1, o, m -> { }));
        assertTrue(twice.getMessage().contains(tmp.resolve("a/train/00.jsonl") + ":4") && twice.getMessage().contains("already has a domain named 'Noise'"),
                twice.getMessage());
        assertFalse(Files.exists(tmp.resolve("d")));
    }

    private static <T> List<T> concat(List<T> a, List<T> b) {
        List<T> out = new ArrayList<>(a);
        out.addAll(b);
        return out;
    }
}
