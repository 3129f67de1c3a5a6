package org.acodm.data;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Prepares all of minipile with the byte tokenizer once, then checks the shards against independent readers. */
class PrepareMinipileTest {
    @TempDir static Path shared;
    static Path out;
    static Manifest manifest;
    static double seconds;

    @BeforeAll static void prepare() throws IOException {
        out = shared.resolve("minipile-byte");
        long t0 = System.nanoTime();
        try (Tokenizer t = Tokenizer.fromSpec("byte")) {
            manifest = ShardPreparer.prepare(CorpusSource.resolve(List.of(TestData.minipile().toString())), t, out,
                    ShardPreparer.Options.defaults(), ShardPreparer.Listener.NONE);
        }
        seconds = (System.nanoTime() - t0) / 1e9;
    }

    /** Acceptance 1: tokens = UTF-8 bytes + documents for every split and domain, and those equal an independent count. */
    @Test void byteTokenCountsAreBytesPlusDocuments() throws IOException {
        assertEquals(16, manifest.domains().size());
        assertEquals("uint16", manifest.tokenizer().dtype());
        assertEquals(List.of("train", "val", "test"), new ArrayList<>(manifest.splits().keySet()));
        Map<String, List<Path>> files = Map.of(
                "train", List.of(TestData.minipile().resolve("train/00.jsonl.zst"), TestData.minipile().resolve("train/01.jsonl.zst")),
                "val", List.of(TestData.minipile().resolve("val.jsonl.zst")),
                "test", List.of(TestData.minipile().resolve("test.jsonl.zst")));
        for (var split : files.entrySet()) {
            Map<String, long[]> expected = new TreeMap<>(); // docs, bytes
            for (Path f : split.getValue()) {
                for (TestData.Doc d : TestData.readIndependently(f)) {
                    long[] c = expected.computeIfAbsent(d.domain(), k -> new long[2]);
                    c[0]++;
                    c[1] += d.text().getBytes(StandardCharsets.UTF_8).length;
                }
            }
            Map<String, Manifest.DomainStats> got = manifest.splits().get(split.getKey());
            assertEquals(expected.keySet(), got.keySet());
            for (var e : expected.entrySet()) {
                Manifest.DomainStats s = got.get(e.getKey());
                String where = split.getKey() + "/" + e.getKey();
                assertEquals(e.getValue()[0], s.documents(), where + " documents");
                assertEquals(e.getValue()[1], s.bytes(), where + " bytes");
                assertEquals(s.bytes() + s.documents(), s.tokens(), where + " tokens = bytes + documents");
                MmidIdxReference ref = new MmidIdxReference(out.resolve(s.shard()));
                assertEquals(s.documents(), ref.sizes.length, where);
                assertEquals(s.tokens() * 2, ref.binBytes(), where + " .bin size");
            }
        }
        assertEquals(4, manifest.sources().size());
        assertTrue(manifest.warnings().isEmpty(), manifest.warnings().toString());
    }

    /** Acceptance 1: the validation shards, read by a reader written from the format description, hold the documents in order. */
    @Test void validationShardsHoldEveryDocumentInOrder() throws IOException {
        Map<String, List<String>> byDomain = new HashMap<>();
        for (TestData.Doc d : TestData.readIndependently(TestData.minipile().resolve("val.jsonl.zst")))
            byDomain.computeIfAbsent(d.domain(), k -> new ArrayList<>()).add(d.text());
        assertEquals(16, byDomain.size());
        for (var e : byDomain.entrySet()) {
            Path prefix = out.resolve("val").resolve(e.getKey());
            assertTrue(Files.isRegularFile(prefix.resolveSibling(e.getKey() + ".idx")), "shard named by split and domain: " + prefix);
            MmidIdxReference ref = new MmidIdxReference(prefix);
            assertEquals(1, ref.version);
            assertEquals(8, ref.dtypeCode, "uint16");
            assertEquals(e.getValue().size(), ref.sizes.length);
            assertEquals(ref.sizes.length + 1, ref.docIdx.length);
            long pointer = 0;
            for (int i = 0; i < ref.sizes.length; i++) {
                assertEquals(pointer, ref.pointers[i], "pointer " + i);
                assertEquals(i, ref.docIdx[i]);
                pointer += 2L * ref.sizes[i];
                int[] seq = ref.sequence(i);
                assertEquals(256, seq[seq.length - 1], "every document ends with end-of-document");
                byte[] b = new byte[seq.length - 1];
                for (int k = 0; k < b.length; k++) {
                    assertTrue(seq[k] < 256, "only the last token is end-of-document");
                    b[k] = (byte) seq[k];
                }
                assertEquals(e.getValue().get(i), new String(b, StandardCharsets.UTF_8), e.getKey() + " document " + i);
            }
            assertEquals(ref.sizes.length, ref.docIdx[ref.docIdx.length - 1]);
            // The production reader agrees with the reference one.
            IndexedDataset ds = IndexedDataset.open(prefix);
            assertEquals(ref.totalTokens(), ds.tokens());
            for (int i = 0; i < ds.documents(); i += 13) assertArrayEquals(ref.sequence(i), ds.document(i));
        }
    }

    @Test void throughputIsReported() {
        // Not a benchmark (bench/ has that); a guard against an accidental 10x slowdown: ~90 MB of text.
        System.out.printf("prepare minipile (byte): %.1f s%n", seconds);
        assertTrue(seconds < 60, "prepare took " + seconds + " s");
    }

    @Test void rerunReusesEverySplitAndLeavesFilesUntouched() throws IOException {
        Map<String, Long> before = modificationTimes(out);
        List<String> events = new ArrayList<>();
        try (Tokenizer t = Tokenizer.fromSpec("byte")) {
            ShardPreparer.prepare(CorpusSource.resolve(List.of(TestData.minipile().toString())), t, out, ShardPreparer.Options.defaults(),
                    new ShardPreparer.Listener() {
                        @Override public void splitStarted(Split split, int files, long bytes) { events.add("start " + split); }
                        @Override public void splitFinished(Split split, boolean reused) { events.add((reused ? "reused " : "made ") + split); }
                    });
        }
        assertEquals(List.of("reused train", "reused val", "reused test"), events);
        Map<String, Long> after = modificationTimes(out);
        // The manifest is rewritten; the lock file records the pid of the last prepare that held it.
        for (String rewritten : List.of("manifest.json", ShardPreparer.LOCK_FILE)) {
            after.remove(rewritten);
            before.remove(rewritten);
        }
        assertEquals(before, after);
        assertEquals(manifest, Manifest.read(out));
    }

    @Test void smallDomainsAreReportedNotDropped() throws IOException {
        Path dir = shared.resolve("small");
        Manifest m;
        try (Tokenizer t = Tokenizer.fromSpec("byte")) {
            m = ShardPreparer.prepare(CorpusSource.resolve(List.of("val=" + TestData.minipile().resolve("val.jsonl.zst"))), t, dir,
                    ShardPreparer.Options.defaults().withMinDomainTokens(210_000), ShardPreparer.Listener.NONE);
        }
        assertEquals(16, m.split(Split.VAL).size(), "no domain dropped");
        // From the data README's table: val domains hold ~200-230 KB, so some fall under 210,000 tokens and some do not.
        long small = m.split(Split.VAL).values().stream().filter(s -> s.tokens() < 210_000).count();
        assertTrue(small > 0 && small < 16, "small " + small);
        assertEquals(small, m.warnings().stream().filter(w -> w.contains("fewer than --min-domain-tokens 210000")).count());
        long quotes = m.split(Split.VAL).get("Quotes").tokens();
        assertTrue(quotes < 210_000, "Quotes holds ~200 KB of val text");
        assertTrue(PrepareSummary.table(m).contains("warning: val/Quotes: " + quotes + " tokens, fewer than --min-domain-tokens 210000"),
                PrepareSummary.table(m));
    }

    private static Map<String, Long> modificationTimes(Path dir) throws IOException {
        Map<String, Long> m = new TreeMap<>();
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.filter(Files::isRegularFile).toList()) m.put(dir.relativize(p).toString(), Files.getLastModifiedTime(p).toMillis());
        }
        return m;
    }

    static String digest(Path dir) throws Exception {
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.filter(Files::isRegularFile).sorted().toList()) {
                if (p.getFileName().toString().equals(".prepare.lock")) continue;
                md.update(dir.relativize(p).toString().getBytes(StandardCharsets.UTF_8));
                md.update(Files.readAllBytes(p));
            }
        }
        return java.util.HexFormat.of().formatHex(md.digest());
    }

    @Test void unknownInputsFailBeforeWriting() {
        Path dir = shared.resolve("never");
        assertThrows(java.nio.file.NoSuchFileException.class, () -> CorpusSource.resolve(List.of(shared.resolve("nope").toString())));
        assertFalse(Files.exists(dir));
    }
}
