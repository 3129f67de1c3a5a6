package org.acodm.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;
import org.acodm.train.TrainFixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** `acodm corpus split`, the null corpus: a seeded partition of one domain into parts of equal size that prepares and trains. */
class NullCorpusTest {
    @TempDir Path tmp;

    /** The texts of {@code domain}'s documents, each with how often it occurs. */
    private static Map<String, Integer> texts(List<TestData.Doc> docs, String domain) {
        Map<String, Integer> m = new HashMap<>();
        for (TestData.Doc d : docs) if (d.domain().equals(domain)) m.merge(d.text(), 1, Integer::sum);
        return m;
    }

    private static List<TestData.Doc> read(Path dir, List<String> files) throws IOException {
        List<TestData.Doc> docs = new ArrayList<>();
        for (String f : files) docs.addAll(TestData.readIndependently(dir.resolve(f)));
        return docs;
    }

    /**
     * Acceptance: minipile's Bible dealt into 4 parts through the CLI. In every split each Bible document is in exactly
     * one part (the texts, with their multiplicities, are Bible's), nothing else is in the corpus, the parts' sizes
     * differ by at most one document, the table says so, and the corpus prepares and trains.
     */
    @Test void minipileBibleIsAPartitionIntoEqualPartsThatTrains() throws IOException {
        Path out = tmp.resolve("bible4");
        TrainFixtures.CliResult r = TrainFixtures.cli("corpus", "split", "--from", TestData.minipile().toString(), "--domain", "Bible",
                "--parts", "4", "--seed", "3", "--out", out.toString());
        assertEquals(0, r.rc(), r.all());
        assertTrue(r.out().contains("wrote " + out + " (Pile layout, Bible cut into 4 parts)"), r.out());
        List<String> parts = List.of("Bible-1", "Bible-2", "Bible-3", "Bible-4");
        Map<String, List<String>> splits = Map.of("train", List.of("train/00.jsonl.zst", "train/01.jsonl.zst"), "val", List.of("val.jsonl.zst"),
                "test", List.of("test.jsonl.zst"));
        for (var split : splits.entrySet()) {
            Map<String, Integer> bible = texts(read(TestData.minipile(), split.getValue()), "Bible");
            List<TestData.Doc> got = read(out, split.getValue());
            Map<String, Integer> union = new HashMap<>();
            int[] sizes = new int[parts.size()];
            long[] bytes = new long[parts.size()];
            for (TestData.Doc d : got) {
                int p = parts.indexOf(d.domain());
                assertTrue(p >= 0, split.getKey() + ": a document of " + d.domain() + ", not of a part");
                union.merge(d.text(), 1, Integer::sum);
                sizes[p]++;
                bytes[p] += d.text().getBytes(StandardCharsets.UTF_8).length;
            }
            assertEquals(bible, union, split.getKey() + ": every Bible document in exactly one part");
            int min = Integer.MAX_VALUE, max = 0;
            for (int s : sizes) { min = Math.min(min, s); max = Math.max(max, s); }
            assertTrue(min > 0 && max - min <= 1, split.getKey() + ": part sizes " + java.util.Arrays.toString(sizes));
            for (int p = 0; p < parts.size(); p++) {
                String row = String.format(Locale.ROOT, "%-6s %-24s %,10d %,14d", split.getKey(), parts.get(p), sizes[p], bytes[p]);
                assertTrue(r.out().contains(row), "the table has '" + row + "':\n" + r.out());
            }
        }
        try (Stream<Path> files = Files.walk(out)) {
            assertEquals(List.of("test.jsonl.zst", "train/00.jsonl.zst", "train/01.jsonl.zst", "val.jsonl.zst"),
                    files.filter(Files::isRegularFile).map(f -> out.relativize(f).toString()).sorted().toList());
        }
        TinyRun.prepareAndTrain(out, parts, tmp.resolve("work"));
    }

    /** A small corpus: domain A in two train files (zstd and plain) and val, with fields beyond text and domain; B and C besides. */
    private Path smallCorpus() throws IOException {
        Path corpus = tmp.resolve("small");
        List<String> t0 = new ArrayList<>(), t1 = new ArrayList<>(), val = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            // Non-ASCII text before the domain, and a number a JSON round trip would rewrite: the lines must survive as they are.
            String line = "{\"id\": " + i + ", \"text\": \"dócument " + i + " \\u00e9\", \"meta\": {\"pile_set_name\": \"A\", \"score\": 0.10000000000000000555, "
                    + "\"tags\": [\"x\", {\"pile_set_name\": \"decoy\"}]}}";
            (i < 12 ? t0 : t1).add(line);
            if (i % 3 == 0) (i < 12 ? t0 : t1).add(TestData.pileLine("b " + i, "B"));
        }
        for (int i = 0; i < 5; i++) {
            val.add(TestData.pileLine("held out " + i, "A"));
            val.add(TestData.pileLine("held out b " + i, "B"));
        }
        TestData.writeLines(corpus.resolve("train/00.jsonl.zst"), t0);
        TestData.writeLines(corpus.resolve("train/01.jsonl"), t1);
        TestData.writeLines(corpus.resolve("train/02.jsonl"), List.of(TestData.pileLine("c", "C")));
        TestData.writeLines(corpus.resolve("val.jsonl"), val);
        return corpus;
    }

    /** Each text of the corpus under {@code dir}, mapped to the domain it is in. */
    private static Map<String, String> assignment(Path dir, List<String> files) throws IOException {
        Map<String, String> m = new HashMap<>();
        for (TestData.Doc d : read(dir, files)) assertEquals(null, m.put(d.text(), d.domain()), d.text() + " twice");
        return m;
    }

    @Test void theSeedFixesTheDealAndLinesKeepEveryOtherField() throws IOException {
        Path corpus = smallCorpus();
        PileReader.Options o = PileReader.Options.pile();
        List<NullCorpus.Part> a = NullCorpus.build(corpus, tmp.resolve("a"), "A", 3, 1, o, m -> { });
        NullCorpus.build(corpus, tmp.resolve("b"), "A", 3, 1, o, m -> { });
        NullCorpus.build(corpus, tmp.resolve("c"), "A", 3, 2, o, m -> { });
        List<String> files = List.of("train/00.jsonl.zst", "train/01.jsonl", "val.jsonl");
        for (String f : files) assertArrayEquals(Files.readAllBytes(tmp.resolve("a").resolve(f)), Files.readAllBytes(tmp.resolve("b").resolve(f)), f);
        assertFalse(Files.exists(tmp.resolve("a/train/02.jsonl")), "a file without documents of A has no counterpart");
        assertNotEquals(assignment(tmp.resolve("a"), files), assignment(tmp.resolve("c"), files), "another seed deals the documents another way");
        assertEquals(List.of("train A-1 7", "train A-2 7", "train A-3 6", "val A-1 2", "val A-2 2", "val A-3 1"),
                a.stream().map(p -> p.split() + " " + p.domain() + " " + p.documents()).toList());
        assertEquals(20 * "dócument 1 é".getBytes(StandardCharsets.UTF_8).length + 10, a.get(0).bytes() + a.get(1).bytes() + a.get(2).bytes(),
                "UTF-8 bytes of the train texts (10 of the 20 numbers have two digits)");

        // zstd stays zstd, plain stays plain; every line is its input line with the domain value rewritten, and nothing else.
        byte[] zstd = Files.readAllBytes(tmp.resolve("a/train/00.jsonl.zst"));
        assertEquals(0xFD2FB528, (zstd[0] & 0xFF) | (zstd[1] & 0xFF) << 8 | (zstd[2] & 0xFF) << 16 | (zstd[3] & 0xFF) << 24, "zstd magic");
        assertTrue(new String(Files.readAllBytes(tmp.resolve("a/val.jsonl")), StandardCharsets.UTF_8).startsWith("{\"text\":\"held out 0\""));
        Map<String, String> dealt = assignment(tmp.resolve("a"), files);
        List<String> in = new ArrayList<>(), outLines = new ArrayList<>();
        for (String f : files) {
            for (String line : new String(readDecompressed(corpus.resolve(f)), StandardCharsets.UTF_8).split("\n"))
                if (TestData.readLine(line).domain().equals("A")) in.add(line);
            outLines.addAll(List.of(new String(readDecompressed(tmp.resolve("a").resolve(f)), StandardCharsets.UTF_8).split("\n")));
        }
        assertEquals(25, in.size());
        assertEquals(in.size(), outLines.size());
        for (int i = 0; i < in.size(); i++) {
            String part = dealt.get(TestData.readLine(in.get(i)).text());
            assertTrue(part.matches("A-[123]"), part);
            assertEquals(in.get(i).replace("\"A\"", "\"" + part + "\""), outLines.get(i), "line " + (i + 1) + " of A, in input order");
        }
    }

    @Test void refusalsNameTheirCause() throws IOException {
        Path corpus = smallCorpus();
        PileReader.Options o = PileReader.Options.pile();
        IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class, () -> NullCorpus.build(corpus, tmp.resolve("x"), "Z", 3, 1, o, m -> { }));
        assertEquals(corpus + ": no domain 'Z' (read from \"meta.pile_set_name\"); its domains: A, B, C", unknown.getMessage());
        IllegalArgumentException one = assertThrows(IllegalArgumentException.class, () -> NullCorpus.build(corpus, tmp.resolve("x"), "A", 1, 1, o, m -> { }));
        assertEquals("--parts must be at least 2, got 1 (one part is the domain itself)", one.getMessage());
        IllegalArgumentException few = assertThrows(IllegalArgumentException.class, () -> NullCorpus.build(corpus, tmp.resolve("x"), "A", 6, 1, o, m -> { }));
        assertEquals(corpus + ": too few documents of 'A' for 6 parts (each part needs one in every split): val has 5", few.getMessage());
        IllegalArgumentException both = assertThrows(IllegalArgumentException.class, () -> NullCorpus.build(corpus, tmp.resolve("x"), "B", 8, 1, o, m -> { }));
        assertTrue(both.getMessage().endsWith("for 8 parts (each part needs one in every split): train has 7, val has 5"), both.getMessage());

        Files.createDirectories(tmp.resolve("full"));
        Files.writeString(tmp.resolve("full/keep.txt"), "mine");
        FileAlreadyExistsException full = assertThrows(FileAlreadyExistsException.class,
                () -> NullCorpus.build(corpus, tmp.resolve("full"), "A", 3, 1, o, m -> { }));
        assertTrue(full.getMessage().contains("the output exists and is not empty"), full.getMessage());
        assertEquals("mine", Files.readString(tmp.resolve("full/keep.txt")));

        // Through the CLI: one line naming the cause, exit code 1, and no staging folder or output left behind.
        TrainFixtures.CliResult r = TrainFixtures.cli("corpus", "split", "--from", corpus.toString(), "--domain", "A", "--parts", "6",
                "--out", tmp.resolve("x").toString());
        assertEquals(1, r.rc(), r.all());
        assertTrue(r.err().contains("acodm: " + corpus + ": too few documents of 'A' for 6 parts"), r.err());
        assertFalse(Files.exists(tmp.resolve("x")));
        try (Stream<Path> left = Files.list(tmp)) {
            assertEquals(List.of(), left.filter(p -> p.getFileName().toString().startsWith(".")).toList(), "a refused build leaves no staging folder");
        }
    }

    /**
     * The deal is a uniform random permutation dealt round-robin: over 6,000 seeds, 3 documents in 3 parts take each
     * of the 6 orders equally often (chi-square, 5 degrees of freedom, below its 0.1% point 20.5), and 5 documents in
     * 2 parts put each document in part 1 with probability 3/5 (a shuffle that never leaves an element in place, a
     * classic off-by-one, fails both).
     */
    @Test void theDealIsUniform() {
        int seeds = 6000;
        Map<String, Integer> orders = new HashMap<>();
        int[] inFirst = new int[5];
        for (long seed = 0; seed < seeds; seed++) {
            orders.merge(java.util.Arrays.toString(NullCorpus.assign(seed, Split.TRAIN, 3, 3)), 1, Integer::sum);
            int[] part = NullCorpus.assign(seed, Split.VAL, 5, 2);
            int[] sizes = new int[2];
            for (int i = 0; i < 5; i++) {
                sizes[part[i]]++;
                if (part[i] == 0) inFirst[i]++;
            }
            assertArrayEquals(new int[] {3, 2}, sizes);
        }
        assertEquals(6, orders.size(), orders.toString());
        double chi2 = 0;
        for (int n : orders.values()) chi2 += Math.pow(n - seeds / 6.0, 2) / (seeds / 6.0);
        assertTrue(chi2 < 20.5, "chi-square " + chi2 + " over " + orders);
        // sd of each count: sqrt(6000 · 0.6 · 0.4) = 38; 5 sd is 190.
        for (int i = 0; i < 5; i++) assertEquals(seeds * 0.6, inFirst[i], 190, "document " + i + " in part 1");
        assertNotEquals(java.util.Arrays.toString(NullCorpus.assign(1, Split.TRAIN, 50, 4)), java.util.Arrays.toString(NullCorpus.assign(1, Split.VAL, 50, 4)),
                "each split is dealt by its own draws");
    }

    private static byte[] readDecompressed(Path f) throws IOException {
        try (var raw = Files.newInputStream(f);
             var in = f.toString().endsWith(".zst") ? new com.github.luben.zstd.ZstdInputStream(raw) : raw) {
            return in.readAllBytes();
        }
    }
}
