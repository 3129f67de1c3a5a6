package org.acodm.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 11, case 1: prepare never deletes a file it did not write, and replaces another prepare's output only with
 * --overwrite. Refusals come before any work and change nothing; the same prepare run again (also over updated input
 * files) needs no flag. An input without documents is an error, not an empty manifest.
 */
class PrepareOwnershipTest {
    @TempDir Path tmp;

    private Path corpus(String name, int docs, String domainA) throws IOException {
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < docs; i++) lines.add(TestData.pileLine("document " + i + " of " + name, i % 2 == 0 ? domainA : "Beta"));
        return TestData.writeLines(tmp.resolve("in").resolve(name), lines);
    }

    private static String[] prepare(String... args) { return TestData.prepareCli(args); }

    private static Map<String, String> contents(Path dir) throws IOException {
        Map<String, String> m = new TreeMap<>();
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.filter(Files::isRegularFile).toList()) {
                String rel = dir.relativize(p).toString();
                if (!rel.equals(ShardPreparer.LOCK_FILE)) m.put(rel, java.util.HexFormat.of().formatHex(
                        java.security.MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(p))));
            }
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
        return m;
    }

    @Test void userFilesInTheSplitFoldersAreNeverDeleted() throws Exception {
        Path first = corpus("a.jsonl", 20, "Alpha"), val = corpus("val.jsonl", 6, "Alpha");
        Path out = tmp.resolve("out");
        assertEquals("0", prepare("--input", first.toString(), "--input", "val=" + val, "--out", out.toString())[0]);
        Files.writeString(out.resolve("train/notes.txt"), "mine");
        Files.writeString(out.resolve("val/README"), "mine too");
        Map<String, String> before = contents(out);

        Path other = corpus("b.jsonl", 30, "Gamma"), otherVal = corpus("val-b.jsonl", 8, "Gamma");
        for (String flag : new String[] {null, "--overwrite"}) {
            List<String> args = new ArrayList<>(List.of("--input", other.toString(), "--input", "val=" + otherVal, "--out", out.toString()));
            if (flag != null) args.add(flag);
            String[] r = prepare(args.toArray(new String[0]));
            assertEquals("1", r[0], r[1]);
            assertTrue(r[1].contains("acodm: " + out + ": preparing here would delete files that prepare did not write: train/notes.txt, val/README; "
                    + "move them out of the way first. Nothing was changed"), r[1]);
            assertEquals(before, contents(out), "nothing changed (" + flag + ")");
        }
    }

    @Test void anotherPrepareIsReplacedOnlyWithOverwrite() throws Exception {
        // Every prepare holds val (prepare refuses data without it); the same val file each time, so val/ is reused.
        Path train = corpus("a.jsonl", 20, "Alpha"), test = corpus("t.jsonl", 6, "Alpha"), val = corpus("v.jsonl", 6, "Gamma");
        Path out = tmp.resolve("out");
        assertEquals("0", prepare("--input", train.toString(), "--input", "val=" + val, "--input", "test=" + test, "--out", out.toString())[0]);
        Map<String, String> before = contents(out);

        Path other = corpus("b.jsonl", 30, "Gamma");
        String[] r = prepare("--input", other.toString(), "--input", "val=" + val, "--out", out.toString());
        assertEquals("1", r[0], r[1]);
        assertTrue(r[1].contains("acodm: " + out + " holds data of another prepare: train/ (prepared from " + train + "); test/ (not among these inputs). "
                + "Use --overwrite to replace it, or choose another --out. Nothing was changed"), r[1]);
        assertEquals(before, contents(out));

        // The same prepare again is a reuse; over an updated input file, a refresh: neither needs the flag.
        assertEquals("0", prepare("--input", train.toString(), "--input", "val=" + val, "--input", "test=" + test, "--out", out.toString())[0]);
        assertEquals(before, contents(out));
        corpus("a.jsonl", 24, "Alpha");
        assertEquals("0", prepare("--input", train.toString(), "--input", "val=" + val, "--input", "test=" + test, "--out", out.toString())[0]);
        assertEquals(12, Manifest.read(out).split(Split.TRAIN).get("Alpha").documents());

        r = prepare("--input", other.toString(), "--input", "val=" + val, "--out", out.toString(), "--overwrite");
        assertEquals("0", r[0], r[1]);
        Manifest m = Manifest.read(out);
        assertEquals(List.of("Beta", "Gamma"), m.domains());
        assertFalse(Files.exists(out.resolve("test")), "the replaced prepare's test split is gone with it");
    }

    @Test void aFolderWithOtherFilesIsRefusedUnlessOverwriteWhichKeepsThem() throws Exception {
        Path train = corpus("a.jsonl", 20, "Alpha"), val = corpus("val.jsonl", 6, "Alpha");
        Path out = tmp.resolve("home");
        Files.createDirectories(out.resolve("photos"));
        Files.writeString(out.resolve("photos/cat.jpg"), "meow");
        Files.writeString(out.resolve("todo.txt"), "x");
        String[] r = prepare("--input", train.toString(), "--input", "val=" + val, "--out", out.toString());
        assertEquals("1", r[0], r[1]);
        assertTrue(r[1].contains("acodm: " + out + " is not empty and holds no prepared data (photos, todo.txt); choose a new or empty --out, "
                + "or --overwrite to write beside these files"), r[1]);
        assertFalse(Files.exists(out.resolve(Manifest.FILE_NAME)));
        assertFalse(Files.exists(out.resolve(ShardPreparer.LOCK_FILE)), "refused before a lock file is created there (issue 19, item 14)");

        r = prepare("--input", train.toString(), "--input", "val=" + val, "--out", out.toString(), "--overwrite");
        assertEquals("0", r[0], r[1]);
        assertEquals("meow", Files.readString(out.resolve("photos/cat.jpg")));
        assertEquals("x", Files.readString(out.resolve("todo.txt")));
        assertTrue(Files.isRegularFile(out.resolve("train/Alpha.idx")));
    }

    @Test void anInputWithoutDocumentsIsAnErrorAndWritesNoManifest() throws Exception {
        Path empty = TestData.writeLines(tmp.resolve("in/empty.jsonl"), List.of());
        Path out = tmp.resolve("out");
        IOException e = assertThrows(IOException.class, () -> {
            try (Tokenizer t = Tokenizer.fromSpec("byte")) {
                ShardPreparer.prepare(CorpusSource.resolve(List.of(empty.toString())), t, out, ShardPreparer.Options.defaults(),
                        ShardPreparer.Listener.NONE);
            }
        });
        assertTrue(e.getMessage().startsWith("no documents in " + empty + " (read the text from \"text\" and the domain from \"meta.pile_set_name\""),
                e.getMessage());
        assertFalse(Files.exists(out.resolve(Manifest.FILE_NAME)));
    }

    @Test void anOutputThatIsAFileIsNamedAsSuch() throws Exception {
        Path train = corpus("a.jsonl", 20, "Alpha"), val = corpus("val.jsonl", 6, "Alpha");
        Path file = Files.writeString(tmp.resolve("shards"), "a file");
        String[] r = prepare("--input", train.toString(), "--input", "val=" + val, "--out", file.toString());
        assertEquals("1", r[0], r[1]);
        assertTrue(r[1].contains("acodm: " + file + " exists and is a file, not a directory"), r[1]);
        assertEquals("a file", Files.readString(file));
    }
}
