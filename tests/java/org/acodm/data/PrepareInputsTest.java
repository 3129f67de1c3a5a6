package org.acodm.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 19, items 1, 2, 11 and 12: what prepare is given is read whole or refused, naming the file. A corpus file that
 * cannot be read (a broken link, a link loop) is an error, not a silent skip; inputs without a val split, or with a val
 * file that is a train file's copy or link, are refused before any work; domains that a run could not train or evaluate
 * properly are warned about by name. Every refusal leaves the output directory as it was.
 */
class PrepareInputsTest {
    @TempDir Path tmp;

    private static String[] prepare(String... args) { return TestData.prepareCli(args); }

    /** A file of {@code docs} documents alternating between the two domains, its text telling it apart by {@code tag}. */
    private Path corpus(Path file, int docs, String tag, String domainA, String domainB) throws IOException {
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < docs; i++) lines.add(TestData.pileLine("document " + i + " of " + tag, i % 2 == 0 ? domainA : domainB));
        return TestData.writeLines(file, lines);
    }

    /** Every file under {@code dir} (relative path) with its SHA-256: what a refused prepare must leave as it was. */
    static Map<String, String> contents(Path dir) throws IOException {
        Map<String, String> m = new TreeMap<>();
        if (!Files.exists(dir)) return m;
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.filter(Files::isRegularFile).toList())
                m.put(dir.relativize(p).toString(), java.util.HexFormat.of().formatHex(sha256().digest(Files.readAllBytes(p))));
        }
        return m;
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }

    @Test void unreadableCorpusFilesAreErrorsNamingThemAndFollowedLinksAreRead() throws IOException {
        Path pile = tmp.resolve("pile");
        corpus(pile.resolve("train/00.jsonl"), 20, "train 00", "Alpha", "Beta");
        corpus(pile.resolve("val.jsonl"), 6, "val", "Alpha", "Beta");
        Path out = tmp.resolve("out");
        String[] r = prepare("--input", pile.toString(), "--out", out.toString());
        assertEquals("0", r[0], r[1]);
        Map<String, String> before = contents(out);

        // Item 1: a link to a file on a disk that is not mounted was skipped, its documents missing from the shards.
        Path broken = pile.resolve("train/01.jsonl");
        Files.createSymbolicLink(broken, tmp.resolve("not-mounted/01.jsonl"));
        r = prepare("--input", pile.toString(), "--out", out.toString());
        assertEquals("1", r[0], r[1]);
        assertEquals("acodm: " + broken + ": a symbolic link to " + tmp.resolve("not-mounted/01.jsonl") + ", which does not exist: its documents "
                + "cannot be read; fix the link or remove it", r[1].strip());
        assertEquals(before, contents(out));
        // Given as the input itself, the same.
        r = prepare("--input", broken.toString(), "--input", pile.resolve("val.jsonl").toString(), "--out", out.toString());
        assertTrue(r[1].startsWith("acodm: " + broken + ": a symbolic link to "), r[1]);

        Files.delete(broken);
        Files.createSymbolicLink(broken, Path.of("01.jsonl"));  // a link to itself
        r = prepare("--input", pile.toString(), "--out", out.toString());
        assertEquals("1", r[0], r[1]);
        assertTrue(r[1].startsWith("acodm: " + broken + ": a symbolic link (to 01.jsonl) that leads to no file (")
                && r[1].contains("a link loop?); fix the link or remove it"), r[1]);
        assertEquals(before, contents(out));
        Files.delete(broken);

        Path loop = pile.resolve("train/again");
        Files.createSymbolicLink(loop, pile);  // a folder link back to the corpus' root
        r = prepare("--input", pile.toString(), "--out", out.toString());
        assertEquals("1", r[0], r[1]);
        assertEquals("acodm: " + loop + ": a symbolic link loop: this folder link leads back to a folder above it; remove the link, or pass "
                + "the files it should add as their own --input", r[1].strip());
        assertEquals(before, contents(out));
        Files.delete(loop);

        // A link to a folder of more train files is followed, not skipped: its documents are prepared.
        corpus(tmp.resolve("elsewhere/02.jsonl"), 10, "train 02", "Alpha", "Beta");
        Files.createSymbolicLink(pile.resolve("train/more"), tmp.resolve("elsewhere"));
        r = prepare("--input", pile.toString(), "--out", out.toString(), "--overwrite");  // other train files: another prepare
        assertEquals("0", r[0], r[1]);
        Manifest m = Manifest.read(out);
        assertEquals(15, m.split(Split.TRAIN).get("Alpha").documents());
        assertEquals(15, m.split(Split.TRAIN).get("Beta").documents());
    }

    @Test void inputsWithoutValDocumentsAreRefusedNamingTheSplit() throws IOException {
        Path train = corpus(tmp.resolve("in/train.jsonl"), 20, "train", "Alpha", "Beta");
        Path out = tmp.resolve("out");
        String[] r = prepare("--input", train.toString(), "--out", out.toString());
        assertEquals("1", r[0], r[1]);
        assertEquals("acodm: no val split among the inputs (" + train + "): every run evaluates on the val split, so data without one cannot be "
                + "trained on; add the validation file, e.g. --input val=PATH/val.jsonl.zst (a Pile-layout directory's val.jsonl.zst is found by "
                + "itself)", r[1].strip());
        assertFalse(Files.exists(out), "refused before anything is written");

        Path val = corpus(tmp.resolve("in/val.jsonl"), 6, "val", "Alpha", "Beta");
        assertEquals("0", prepare("--input", train.toString(), "--input", val.toString(), "--out", out.toString())[0]);
        Map<String, String> before = contents(out);
        // A val file of blank lines holds no document: the same data without val, refused the same way (--overwrite or not).
        Path blank = TestData.writeLines(tmp.resolve("in/blank.jsonl"), List.of("", "  "));
        r = prepare("--input", train.toString(), "--input", "val=" + blank, "--out", out.toString(), "--overwrite");
        assertEquals("1", r[0], r[1]);
        assertEquals("acodm: the val split's input (" + blank + ") holds no documents: every run evaluates on val, so data without one "
                + "cannot be trained on; " + out + " was not changed", r[1].strip().lines().reduce((a, b) -> b).orElse(""));
        Map<String, String> after = contents(out);
        after.keySet().removeIf(k -> k.startsWith(ShardPreparer.STAGING + "/"));  // prepare's own scratch, reused or wiped by the next run
        assertEquals(before, after);
    }

    @Test void aValFileThatIsATrainFileIsRefusedByContentNotByPath() throws IOException {
        Path train = corpus(tmp.resolve("in/train.jsonl"), 20, "train", "Alpha", "Beta");
        Path out = tmp.resolve("out");
        Path copy = Files.copy(train, tmp.resolve("in/copy.jsonl"));
        String[] r = prepare("--input", train.toString(), "--input", "val=" + copy, "--out", out.toString());
        assertEquals("1", r[0], r[1]);
        String sha = java.util.HexFormat.of().formatHex(sha256().digest(Files.readAllBytes(train)));
        assertEquals("acodm: val file " + copy + " is a copy of train file " + train + " (the same SHA-256, " + sha + "): the model would be "
                + "evaluated on text it trains on; pass the val split's own file", r[1].strip());
        assertFalse(Files.exists(out));

        Path link = Files.createSymbolicLink(tmp.resolve("in/val.jsonl"), train);
        r = prepare("--input", train.toString(), "--input", link.toString(), "--out", out.toString());
        assertEquals("1", r[0], r[1]);
        assertEquals("acodm: val file " + link + " is the same file as train file " + train + " (a link to it): the model would be evaluated on "
                + "text it trains on; pass the val split's own file", r[1].strip());
        assertFalse(Files.exists(out));

        // The same size is not the same content: a val file of other documents of exactly the train file's length passes.
        Files.delete(link);
        Path other = Files.writeString(tmp.resolve("in/other.jsonl"), Files.readString(train).replace("document 0 of", "document 9 of"));
        assertEquals(Files.size(train), Files.size(other));
        r = prepare("--input", train.toString(), "--input", "val=" + other, "--out", out.toString());
        assertEquals("0", r[0], r[1]);
    }

    @Test void domainsARunCannotTrainOrEvaluateProperlyAreWarnedAboutByName() throws IOException {
        List<String> train = new ArrayList<>(), val = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            train.add(TestData.pileLine("a longer document number " + i + " about alpha", "Alpha"));
            train.add(TestData.pileLine("the unevaluated domain's document " + i, "NoVal"));
        }
        train.add(TestData.pileLine("hello!", "Tiny"));  // 6 bytes: 7 tokens with end-of-document
        for (int i = 0; i < 3; i++) train.add(TestData.pileLine("", "Empty"));
        for (int i = 0; i < 6; i++) val.add(TestData.pileLine("held out alpha " + i, "Alpha"));
        val.add(TestData.pileLine("bye", "Tiny"));
        val.add(TestData.pileLine("", "Empty"));
        Path t = TestData.writeLines(tmp.resolve("in/train.jsonl"), train), v = TestData.writeLines(tmp.resolve("in/val.jsonl"), val);
        Path out = tmp.resolve("out");
        String[] r = prepare("--input", t.toString(), "--input", v.toString(), "--out", out.toString(), "--min-domain-tokens", "50");
        assertEquals("0", r[0], r[1]);
        List<String> expected = List.of(
                "train/Empty: its 3 document(s) are all empty (0 bytes of text, 3 end-of-document tokens): training on it teaches nothing but "
                        + "end-of-document",
                "train/Tiny: 7 tokens, fewer than --min-domain-tokens 50; a run that samples it repeats these tokens, as often as its weight asks",
                "val/Empty: its 1 document(s) are all empty (0 bytes of text, 1 end-of-document tokens): its bits per byte are undefined",
                "val/NoVal: no documents in this split: 'NoVal' is trained on but never evaluated, and the average over domains leaves it out",
                "val/Tiny: 4 tokens, fewer than --min-domain-tokens 50");
        Manifest m = Manifest.read(out);
        assertEquals(expected, m.warnings().stream().sorted().toList());
        for (String w : expected) assertTrue(r[2].contains("warning: " + w + System.lineSeparator()), r[2]);
    }
}
