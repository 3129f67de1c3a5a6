package org.acodm.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * An exclusive OS lock ({@code fcntl}, through {@link FileChannel#tryLock}) on a lock file in a folder, held until
 * {@link #close} or the end of the process: the kernel drops it when the process dies, so a killed job never leaves
 * a stale lock behind. The holder writes its pid into the file, so a second process that is refused can name it.
 *
 * <p>POSIX drops all of a process's locks on a file when any descriptor of that file is closed, so this JVM opens
 * a lock file once: a second attempt from this process is refused from the registry below, without opening it.
 */
public final class DirectoryLock implements AutoCloseable {
    private static final Set<Path> HELD = ConcurrentHashMap.newKeySet();

    private final Path file;
    private final FileChannel channel;
    private final FileLock lock;

    private DirectoryLock(Path file, FileChannel channel, FileLock lock) {
        this.file = file;
        this.channel = channel;
        this.lock = lock;
    }

    /** Thrown when another process (or this one) holds the lock. */
    public static final class HeldException extends IOException {
        private static final long serialVersionUID = 1L;
        private final long pid;

        HeldException(String message, long pid) {
            super(message);
            this.pid = pid;
        }

        /** The holder's pid, or -1 when it could not be read. */
        public long pid() { return pid; }
    }

    /**
     * Locks {@code dir/fileName} (creating {@code dir} and the file as needed). {@code job} names what holds such a lock
     * ("train", "prepare") in the refusal: "RUN is in use by another acodm train (pid 4242) ...".
     */
    public static DirectoryLock acquire(Path dir, String fileName, String job) throws IOException {
        Directories.create(dir);
        Path file = dir.resolve(fileName).toAbsolutePath().normalize();
        long self = ProcessHandle.current().pid();
        if (!HELD.add(file)) throw refused(dir, job, file, self, self);
        FileChannel ch = null;
        try {
            ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
            FileLock l;
            try {
                l = ch.tryLock();
            } catch (OverlappingFileLockException e) {
                l = null;
            }
            if (l == null) throw refused(dir, job, file, holder(ch), self);
            ch.truncate(0);
            ch.write(ByteBuffer.wrap((self + "\n").getBytes(StandardCharsets.US_ASCII)), 0);
            ch.force(true);
            return new DirectoryLock(file, ch, l);
        } catch (IOException | RuntimeException e) {
            HELD.remove(file);
            if (ch != null) ch.close();
            throw e;
        }
    }

    private static HeldException refused(Path dir, String job, Path file, long pid, long self) {
        String who = pid == self ? "this process (pid " + pid + ")" : pid > 0 ? "another acodm " + job + " (pid " + pid + ")"
                : "another acodm " + job + " (its pid is not readable from " + file + ")";
        return new HeldException(dir + " is in use by " + who + ", which holds the lock " + file.getFileName()
                + "; wait for it to finish or stop it, or choose another directory", pid);
    }

    /**
     * Who holds {@code dir/fileName} now, without taking it for longer than the probe itself: 0 when nobody does (or the
     * file does not exist), the holder's pid when another process does, this process's pid when it holds it itself, -1
     * when it is held but the pid is not readable. Never creates the file.
     */
    public static long holderOf(Path dir, String fileName) throws IOException {
        Path file = dir.resolve(fileName).toAbsolutePath().normalize();
        if (HELD.contains(file)) return ProcessHandle.current().pid();
        if (!java.nio.file.Files.isRegularFile(file)) return 0;
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            FileLock l;
            try {
                l = ch.tryLock();
            } catch (OverlappingFileLockException e) {
                l = null;
            }
            if (l != null) {
                l.release();
                return 0;
            }
            return holder(ch);
        }
    }

    /** The pid the holder wrote, read through the refused process's own channel; -1 when there is none yet. */
    private static long holder(FileChannel ch) {
        try {
            ByteBuffer b = ByteBuffer.allocate(32);
            // The holder writes its pid just after locking: give it a moment when the file is still empty.
            for (int i = 0; i < 50; i++) {
                b.clear();
                int n = ch.read(b, 0);
                String s = n <= 0 ? "" : new String(b.array(), 0, n, StandardCharsets.US_ASCII).trim();
                if (!s.isEmpty()) return Long.parseLong(s);
                Thread.sleep(10);
            }
        } catch (IOException | NumberFormatException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return -1;
    }

    public Path file() { return file; }

    /** Releases the lock (the file stays: deleting it would race with a process that just opened it). Idempotent. */
    @Override public void close() throws IOException {
        if (!channel.isOpen()) return;
        try {
            lock.release();
        } finally {
            channel.close();
            HELD.remove(file);
        }
    }
}
