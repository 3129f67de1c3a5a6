package org.acodm.data;

import org.acodm.cli.Main;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Bad input during prepare: clear errors, skipped-line accounting, and no damage to what was written before. */
class PrepareFailureTest {
    @TempDir Path tmp;

    private Path corpus(String name, int docs, String... extraLines) throws IOException {
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < docs; i++) lines.add(TestData.pileLine("document " + i + " of " + name + " \u00e9", i % 2 == 0 ? "Alpha" : "Beta Gamma"));
        lines.addAll(List.of(extraLines));
        return TestData.writeLines(tmp.resolve("in").resolve(name), lines);
    }

    private static Manifest prepare(Path out, List<String> inputs, int maxBadLines, List<String> events) throws IOException {
        return prepare(out, inputs, maxBadLines, events, false);
    }

    private static Manifest prepare(Path out, List<String> inputs, int maxBadLines, List<String> events, boolean overwrite) throws IOException {
        try (Tokenizer t = Tokenizer.fromSpec("byte")) {
            return ShardPreparer.prepare(CorpusSource.resolve(inputs), t, out,
                    ShardPreparer.Options.defaults().withReader(PileReader.Options.pile().withMaxBadLines(maxBadLines)).withOverwrite(overwrite),
                    new ShardPreparer.Listener() {
                        @Override public void splitFinished(Split split, boolean reused) { events.add((reused ? "reused " : "made ") + split); }
                    });
        }
    }

    /** SHA-256 over the finished output (names and bytes), ignoring the staging area and the lock file. */
    private static String digest(Path dir) throws Exception {
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.filter(Files::isRegularFile).sorted().toList()) {
                String rel = dir.relativize(p).toString();
                if (rel.startsWith(ShardPreparer.STAGING) || rel.equals(".prepare.lock")) continue;
                md.update(rel.getBytes(StandardCharsets.UTF_8));
                md.update(Files.readAllBytes(p));
            }
        }
        return java.util.HexFormat.of().formatHex(md.digest());
    }

    private static List<String> finishedLooking(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.map(p -> dir.relativize(p).toString())
                    .filter(r -> !r.startsWith(ShardPreparer.STAGING) && (r.endsWith(".idx") || r.endsWith(".bin") || r.equals("manifest.json")))
                    .toList();
        }
    }

    @Test void failedRunLeavesEarlierOutputIntact() throws Exception {
        Path out = tmp.resolve("out");
        Path train = corpus("train.jsonl", 50);
        Path val = corpus("val.jsonl", 10);
        Manifest first = prepare(out, List.of(train.toString(), val.toString()), 0, new ArrayList<>());
        assertEquals(List.of("Alpha", "Beta Gamma"), first.domains());
        assertEquals("train/Beta_Gamma", first.split(Split.TRAIN).get("Beta Gamma").shard(), "unsafe characters become _");
        String before = digest(out);

        Path broken = corpus("train2.jsonl", 30, "{\"text\": \"x\", \"meta\": {\"pile_set_name\": 5}}");
        CorpusFormatException e = assertThrows(CorpusFormatException.class,
                () -> prepare(out, List.of(train.toString(), "train=" + broken, val.toString()), 0, new ArrayList<>(), true));
        assertTrue(e.getMessage().startsWith(broken + ":31: key \"meta.pile_set_name\" is a number, expected a string"), e.getMessage());
        assertEquals(before, digest(out), "the failed run must not touch the finished output");
        assertEquals(first, Manifest.read(out));
    }

    @Test void interruptedRunLeavesNothingThatLooksFinishedAndResumes() throws Exception {
        Path out = tmp.resolve("out");
        Path train = corpus("train.jsonl", 40);
        Path val = corpus("val.jsonl", 10);
        Path badTest = corpus("test.jsonl", 10, "this line is not JSON");
        List<String> inputs = List.of(train.toString(), val.toString(), badTest.toString());
        assertThrows(CorpusFormatException.class, () -> prepare(out, inputs, 0, new ArrayList<>()));
        assertEquals(List.of(), finishedLooking(out), "no manifest or shard outside the staging area");
        try (Stream<Path> s = Files.walk(out)) {
            assertFalse(s.anyMatch(p -> p.toString().endsWith(".tmp")), "the failed split's temporaries are removed");
        }

        // Fix the test file: train and val finished in staging before the failure, so they are kept, not redone.
        corpus("test.jsonl", 10);
        List<String> events = new ArrayList<>();
        Manifest m = prepare(out, inputs, 0, events);
        assertEquals(List.of("reused train", "reused val", "made test"), events);
        assertEquals(5, m.split(Split.TEST).get("Alpha").documents());
        assertFalse(Files.exists(out.resolve(ShardPreparer.STAGING)));
        for (Split s : Split.values()) assertTrue(Files.isRegularFile(out.resolve(s.dirName()).resolve("Alpha.idx")));

        // Changed input (more documents): the split is redone, the others reused.
        corpus("val.jsonl", 12);
        events.clear();
        m = prepare(out, inputs, 0, events);
        assertEquals(List.of("reused train", "made val", "reused test"), events);
        assertEquals(6, m.split(Split.VAL).get("Alpha").documents());
        assertEquals(6, new MmidIdxReference(out.resolve("val/Alpha")).sizes.length);
    }

    @Test void badLinesAreCountedPerFileAndReported() throws IOException {
        Path a = corpus("00.jsonl", 20, "oops", "{\"text\": \"t\", \"meta\": {\"pile_set_name\": \"\"}}");
        Path b = corpus("01.jsonl", 20, "{\"text\": 1}", TestData.pileLine("late", "Alpha"), "[]");
        Path out = tmp.resolve("out");
        Manifest m = prepare(out, List.of(a.toString(), b.toString()), 2, new ArrayList<>());
        assertEquals(2, m.sources().get(0).badLines());
        assertEquals(2, m.sources().get(1).badLines());
        assertTrue(m.sources().get(0).badLineExamples().get(0).startsWith(a + ":21: not valid JSON"));
        assertTrue(m.sources().get(0).badLineExamples().get(1).startsWith(a + ":22: key \"meta.pile_set_name\" is an empty string"));
        assertEquals(21, m.split(Split.TRAIN).get("Alpha").documents(), "10 + 10 + the line after the bad ones");
        assertTrue(m.warnings().stream().anyMatch(w -> w.startsWith(a + ": skipped 2 bad line(s)")), m.warnings().toString());
        // A limit of 1 per file: the second bad line of 00.jsonl fails the run.
        CorpusFormatException e = assertThrows(CorpusFormatException.class, () -> prepare(tmp.resolve("out1"), List.of(a.toString(), b.toString()), 1, new ArrayList<>()));
        assertTrue(e.getMessage().startsWith(a + ":22:") && e.getMessage().contains("more than --max-bad-lines 1"), e.getMessage());
    }

    @Test void cliPrintsTheTableOrOneLineErrors() throws IOException {
        Path train = corpus("train.jsonl", 30), val = corpus("val.jsonl", 6);
        Path out = tmp.resolve("cli-out");
        StringWriter so = new StringWriter();
        StringWriter se = new StringWriter();
        var cl = Main.commandLine();
        cl.setOut(new PrintWriter(so));
        cl.setErr(new PrintWriter(se));
        int rc = cl.execute("prepare", "--input", train.toString(), "--input", val.toString(), "--tokenizer", "byte", "--out", out.toString(), "--quiet");
        assertEquals(0, rc, se.toString());
        assertTrue(so.toString().contains("Beta Gamma"), so.toString());
        assertTrue(so.toString().contains("tokenizer byte (vocabulary 257, end-of-document 256, uint16 tokens)"), so.toString());

        Path missingTok = tmp.resolve("nope/tokenizer.json");
        se.getBuffer().setLength(0);
        rc = cl.execute("prepare", "--input", train.toString(), "--input", val.toString(), "--tokenizer", "hf:" + missingTok, "--out", out.toString(), "--quiet");
        assertEquals(1, rc);
        assertTrue(se.toString().startsWith("acodm: " + missingTok + ": no such file (expected a Hugging Face tokenizer.json"), se.toString());

        Path bad = TestData.write(tmp.resolve("in/bad.jsonl"), List.of(new byte[]{'{', (byte) 0xFF, '}'}));
        se.getBuffer().setLength(0);
        rc = cl.execute("prepare", "--input", bad.toString(), "--input", val.toString(), "--tokenizer", "byte", "--out", tmp.resolve("cli-out2").toString(), "--quiet");
        assertEquals(1, rc);
        assertTrue(se.toString().startsWith("acodm: " + bad + ":1: byte 0xFF"), se.toString());
        assertEquals(1, se.toString().strip().lines().count(), "one line, no stack trace");
    }
}
