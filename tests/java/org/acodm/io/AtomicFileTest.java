package org.acodm.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The one safe-write helper and the directory lock: what a reader sees, what a failure leaves, what errors say. */
class AtomicFileTest {
    @TempDir Path dir;

    private List<String> names() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test void aWriteReplacesTheFileAndLeavesNoTemporary() throws IOException {
        Path f = dir.resolve("run.json");
        AtomicFile.write(f, "one");
        AtomicFile.write(f, "two");
        assertEquals("two", Files.readString(f));
        assertEquals(List.of("run.json"), names());
    }

    @Test void aFailingBodyLeavesTheOldFileAndNoTemporary() throws IOException {
        Path f = dir.resolve("state.bin");
        AtomicFile.write(f, "old");
        IOException e = assertThrows(IOException.class, () -> AtomicFile.write(f, out -> {
            out.write(new byte[10_000]);
            throw new IOException("the body failed");
        }));
        assertEquals("cannot write " + f + ": the body failed", e.getMessage());
        assertEquals("old", Files.readString(f));
        assertEquals(List.of("state.bin"), names());
    }

    @Test void uncommittedIsRemovedAndTemporariesAreRecognised() throws IOException {
        Path f = dir.resolve("shard.bin");
        try (AtomicFile a = AtomicFile.create(f)) {
            a.stream().write("partial".getBytes(StandardCharsets.UTF_8));
            assertEquals(1, names().size());
            assertTrue(AtomicFile.isTemporary(dir.resolve(names().get(0))), names().get(0));
        }
        assertEquals(List.of(), names());
        Files.writeString(dir.resolve("model.ckpt.tmp-123-4"), "left by a crash");  // the native writer's name
        Files.writeString(dir.resolve("notes.tmp"), "not ours");
        assertEquals(List.of(dir.resolve("model.ckpt.tmp-123-4")), AtomicFile.removeTemporaries(dir));
        assertEquals(List.of("notes.tmp"), names());
    }

    @Test void aFullDiskNamesTheFileTheBytesAndTheFreeSpace() throws Exception {
        Path mount = Files.createDirectories(dir.resolve("small"));
        int rc = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", mount.toString()).inheritIO().start().waitFor();
        assumeTrue(rc == 0, "mounting a tmpfs needs root and a mount namespace that allows it (mount exited " + rc + ")");
        try {
            Path f = mount.resolve("report.html");
            AtomicFile.write(f, "old");
            IOException e = assertThrows(IOException.class, () -> AtomicFile.write(f, new byte[200_000]));
            assertTrue(e.getMessage().startsWith("cannot write " + f + ": No space left on device (the file needs at least 200000 bytes, "), e.getMessage());
            assertTrue(e.getMessage().endsWith(" bytes are free in " + mount + ")"), e.getMessage());
            assertEquals("old", Files.readString(f));
            try (Stream<Path> s = Files.list(mount)) {
                assertEquals(List.of(f), s.toList(), "the temporary is removed");
            }
        } finally {
            new ProcessBuilder("umount", "-l", mount.toString()).inheritIO().start().waitFor();
        }
    }

    @Test void aLockIsRefusedWhileHeldAndFreeAfter() throws IOException {
        try (DirectoryLock held = DirectoryLock.acquire(dir, "train.lock", "train")) {
            assertEquals(Long.toString(ProcessHandle.current().pid()), Files.readString(held.file()).trim());
            DirectoryLock.HeldException e = assertThrows(DirectoryLock.HeldException.class, () -> DirectoryLock.acquire(dir, "train.lock", "train"));
            assertEquals(dir + " is in use by this process (pid " + ProcessHandle.current().pid() + "), which holds the lock train.lock; "
                    + "wait for it to finish or stop it, or choose another directory", e.getMessage());
        }
        DirectoryLock.acquire(dir, "train.lock", "train").close();
    }

    @Test void aFolderIsReplacedWholeAndAFailedSwapPutsTheOldOneBack() throws IOException {
        Path target = Files.createDirectories(dir.resolve("export"));
        Files.writeString(target.resolve("config.json"), "old config");
        Files.writeString(target.resolve("weights"), "old weights");
        Path staged = AtomicFile.createStagingDirectory(target);
        assertTrue(AtomicFile.isTemporary(staged), staged.toString());
        Files.writeString(staged.resolve("config.json"), "new config");
        Files.writeString(staged.resolve("weights"), "new weights");
        AtomicFile.replaceDirectory(staged, target);
        assertEquals("new config", Files.readString(target.resolve("config.json")));
        assertEquals("new weights", Files.readString(target.resolve("weights")));
        try (Stream<Path> s = Files.list(dir)) {
            assertEquals(List.of(target), s.toList(), "neither the staging folder nor the old one is left");
        }
        // The second rename fails (a staged folder on another file system cannot be renamed into place): the old folder
        // is renamed back and the error propagates.
        Path shm = Path.of("/dev/shm");
        assumeTrue(Files.isDirectory(shm) && !Files.getFileStore(shm).equals(Files.getFileStore(dir)), "needs /dev/shm on another file system");
        Path elsewhere = Files.createTempDirectory(shm, "acodm-staged");
        try {
            Files.writeString(elsewhere.resolve("config.json"), "newer config");
            IOException e = assertThrows(IOException.class, () -> AtomicFile.replaceDirectory(elsewhere, target, dir.resolve("aside")));
            assertTrue(e.getMessage().startsWith("cannot rename " + elsewhere + " to " + target + " atomically"), e.getMessage());
            assertEquals("new config", Files.readString(target.resolve("config.json")));
            assertFalse(Files.exists(dir.resolve("aside")));
        } finally {
            Directories.deleteTree(elsewhere);
        }
    }

    @Test void aFileWhereAFolderIsWantedIsNamed() throws IOException {
        Path f = Files.writeString(dir.resolve("out"), "x");
        IOException e = assertThrows(IOException.class, () -> Directories.create(f.resolve("sub")));
        assertEquals(f + " (a parent of " + f.resolve("sub") + ") exists and is a file, not a directory; choose another path or move the file away",
                e.getMessage());
    }
}
