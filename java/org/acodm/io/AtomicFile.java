package org.acodm.io;

import java.io.Closeable;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The one way a file of a run, a checkpoint, prepared data, a report or an export reaches the disk: its bytes go to
 * a temporary file beside it ({@code NAME.tmp-PID-N}, created exclusively, so two writers never share one), which is
 * fsynced, renamed over the target, and the folder fsynced. A reader sees the old file or the complete new one;
 * on any failure the temporary is removed, the target is left as it was, and the error names the target and the
 * cause (for a full disk also the bytes written and the bytes free). The engine's native writer
 * ({@code native/src/archive.cpp}) does the same for its archives, with the same temporary names.
 *
 * <pre>
 * AtomicFile.write(runDir.resolve("run.json"), json);                  // small files: all at once
 * try (AtomicFile f = AtomicFile.create(shard)) {                      // streamed: write, then commit
 *     f.channel().write(buffer);
 *     f.commit();
 * }                                                                    // closed without commit: removed
 * </pre>
 */
public final class AtomicFile implements Closeable {
    /** What a temporary of this class or of the native writer is called: {@code NAME.tmp-PID-N}. */
    private static final Pattern TEMPORARY = Pattern.compile(".*\\.tmp-\\d+-\\d+");
    private static final AtomicLong COUNTER = new AtomicLong();

    /** Writes a file's content to a stream (not to be closed by the body). */
    public interface Body {
        void writeTo(OutputStream out) throws IOException;
    }

    private final Path target;
    private final Path tmp;
    private final FileChannel channel;
    private boolean committed;

    private AtomicFile(Path target, Path tmp, FileChannel channel) {
        this.target = target;
        this.tmp = tmp;
        this.channel = channel;
    }

    /** Starts writing {@code target} (its folder is created if needed); nothing is visible under its name before {@link #commit}. */
    public static AtomicFile create(Path target) throws IOException {
        Path folder = folderOf(target);
        Directories.create(folder);
        for (int attempt = 0; ; attempt++) {
            Path tmp = temporarySibling(target);
            try {
                return new AtomicFile(target, tmp, FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE));
            } catch (java.nio.file.FileAlreadyExistsException e) {
                if (attempt >= 100) throw failure(target, "cannot create a temporary file in " + folder, e, 0);
            } catch (IOException e) {
                throw failure(target, "cannot create a temporary file in " + folder, e, 0);
            }
        }
    }

    /** The temporary file's channel, positioned at its end. */
    public FileChannel channel() {
        if (committed) throw new IllegalStateException(target + " is already committed");
        return channel;
    }

    /** The temporary file as an unbuffered stream (callers buffer); closing it does not commit or abort. */
    public OutputStream stream() {
        OutputStream raw = Channels.newOutputStream(channel());
        return new OutputStream() {
            @Override public void write(int b) throws IOException { raw.write(b); }
            @Override public void write(byte[] b, int off, int len) throws IOException { raw.write(b, off, len); }
        };
    }

    /** Bytes written so far. */
    public long size() throws IOException { return channel.size(); }

    /** Syncs the temporary, renames it over the target and syncs the folder. On failure the temporary is removed. */
    public void commit() throws IOException {
        if (committed) return;
        long bytes = 0;
        try {
            bytes = channel.size();
            channel.force(true);
            channel.close();
        } catch (IOException e) {
            close();
            throw failure(target, null, e, bytes);
        }
        try {
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            close();
            throw failure(target, "cannot rename " + tmp.getFileName() + " to it", e, bytes);
        }
        committed = true;
        syncFolder(folderOf(target));
    }

    /** Without {@link #commit}: closes and deletes the temporary, leaving the target as it was. Idempotent. */
    @Override public void close() {
        if (committed) return;
        try {
            channel.close();
        } catch (IOException ignored) {
            // the file is deleted next; nothing of it is kept
        }
        try {
            Files.deleteIfExists(tmp);
        } catch (IOException ignored) {
            // a temporary that cannot be deleted is removed by the next run that holds the folder's lock
        }
        committed = true;
    }

    /** Writes {@code bytes} as the whole content of {@code target}. */
    public static void write(Path target, byte[] bytes) throws IOException {
        try (AtomicFile f = create(target)) {
            ByteBuffer b = ByteBuffer.wrap(bytes);
            try {
                while (b.hasRemaining()) f.channel.write(b);
            } catch (IOException e) {
                f.close();  // before the free space is measured: what a retry would have
                throw failure(target, null, e, bytes.length);
            }
            f.commit();
        }
    }

    /** Writes {@code text} as UTF-8. */
    public static void write(Path target, String text) throws IOException {
        write(target, text.getBytes(StandardCharsets.UTF_8));
    }

    /** Writes what {@code body} writes (through a buffer). */
    public static void write(Path target, Body body) throws IOException {
        try (AtomicFile f = create(target)) {
            try (OutputStream out = new java.io.BufferedOutputStream(f.stream(), 1 << 16)) {
                body.writeTo(out);
            } catch (IOException e) {
                long written = f.channel.size();
                f.close();
                throw failure(target, null, e, written);
            }
            f.commit();
        }
    }

    /** Copies {@code source} to {@code target}. */
    public static void copy(Path source, Path target) throws IOException {
        try (AtomicFile f = create(target); FileChannel in = FileChannel.open(source, StandardOpenOption.READ)) {
            long size = in.size();
            try {
                for (long at = 0; at < size; ) at += in.transferTo(at, size - at, f.channel);
            } catch (IOException e) {
                f.close();
                throw failure(target, "copying " + source, e, size);
            }
            f.commit();
        }
    }

    /**
     * Renames a file or a directory whose content is already synced ({@link #syncTree}), atomically, then syncs the
     * folders of both names, so the move survives a power loss. Replaces nothing: the target must not exist.
     */
    public static void move(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            throw new IOException("cannot rename " + from + " to " + to + " atomically (another file system?): " + e.getMessage(), e);
        }
        syncFolder(folderOf(to));
        Path a = folderOf(from).toAbsolutePath().normalize(), b = folderOf(to).toAbsolutePath().normalize();
        if (!a.equals(b)) syncFolder(a);
    }

    /**
     * A new, empty folder beside {@code target} ({@code NAME.tmp-PID-N}, on the same file system), in which to build the
     * folder's new content before {@link #replaceDirectory} puts it in place whole.
     */
    public static Path createStagingDirectory(Path target) throws IOException {
        Directories.create(folderOf(target));
        for (int attempt = 0; ; attempt++) {
            Path dir = temporarySibling(target);
            try {
                return Files.createDirectory(dir);
            } catch (java.nio.file.FileAlreadyExistsException e) {
                if (attempt >= 100) throw failure(target, "cannot create a staging folder beside it", e, 0);
            } catch (IOException e) {
                throw failure(target, "cannot create a staging folder beside it", e, 0);
            }
        }
    }

    /**
     * Puts the complete folder {@code staged} in place of {@code target} (which may be absent): syncs {@code staged}'s
     * files, renames {@code target} to a temporary name beside it, {@code staged} to {@code target}, and deletes the old
     * folder. A reader finds the old folder or the new one, never a mix of the two; a crash between the renames leaves
     * {@code target} missing, the old content and the new in the two temporary folders beside it.
     */
    public static void replaceDirectory(Path staged, Path target) throws IOException {
        replaceDirectory(staged, target, temporarySibling(target));
    }

    /** As {@link #replaceDirectory(Path, Path)}, the old folder moved to {@code aside} (which must not exist) before it is deleted. */
    public static void replaceDirectory(Path staged, Path target, Path aside) throws IOException {
        syncTree(staged);
        boolean movedAside = Files.exists(target, java.nio.file.LinkOption.NOFOLLOW_LINKS);
        if (movedAside) move(target, aside);
        try {
            move(staged, target);
        } catch (IOException e) {
            if (movedAside) {
                try {
                    move(aside, target);  // the old folder back where it was
                } catch (IOException again) {
                    e.addSuppressed(again);
                }
            }
            throw e;
        }
        Directories.deleteTree(aside);
    }

    private static Path temporarySibling(Path target) {
        return target.resolveSibling(target.getFileName() + ".tmp-" + ProcessHandle.current().pid() + "-" + COUNTER.getAndIncrement());
    }

    /** fsyncs every file and folder under {@code dir} (files first, the folder itself last). */
    public static void syncTree(Path dir) throws IOException {
        List<Path> all = new ArrayList<>();
        try (Stream<Path> s = Files.walk(dir)) {
            s.forEach(all::add);
        }
        for (int i = all.size() - 1; i >= 0; i--) {
            Path p = all.get(i);
            if (Files.isDirectory(p)) syncFolder(p);
            else try (FileChannel c = FileChannel.open(p, StandardOpenOption.WRITE)) {
                c.force(true);
            }
        }
    }

    /** fsyncs a folder, so the names created, renamed or removed in it are durable. */
    public static void syncFolder(Path dir) throws IOException {
        try (FileChannel c = FileChannel.open(dir, StandardOpenOption.READ)) {
            c.force(true);
        } catch (IOException e) {
            // Some file systems refuse to sync a directory (EINVAL); Linux's local ones all accept it. What else fails
            // here (EIO) means the names may not be on disk.
            if (!String.valueOf(e.getMessage()).contains("Invalid argument"))
                throw new IOException("cannot sync folder " + dir + ": " + e.getMessage(), e);
        }
    }

    /** True for a name this class or the native writer gives its temporaries. */
    public static boolean isTemporary(Path file) {
        return TEMPORARY.matcher(file.getFileName().toString()).matches();
    }

    /**
     * Deletes the temporaries in {@code dir} (not below it) that crashed writers left; only for a caller that holds the
     * folder's {@link DirectoryLock}, since no one else may be writing there. Returns the files removed.
     */
    public static List<Path> removeTemporaries(Path dir) throws IOException {
        List<Path> removed = new ArrayList<>();
        if (!Files.isDirectory(dir)) return removed;
        try (Stream<Path> s = Files.list(dir)) {
            for (Path p : (Iterable<Path>) s::iterator) {
                if (isTemporary(p) && Files.isRegularFile(p)) {
                    Files.deleteIfExists(p);
                    removed.add(p);
                }
            }
        }
        return removed;
    }

    private static Path folderOf(Path file) {
        Path parent = file.toAbsolutePath().getParent();
        return parent != null ? parent : file.toAbsolutePath().getRoot();
    }

    /** "cannot write T: CAUSE", and for a full disk "(N bytes written, M bytes are free in FOLDER)". */
    static IOException failure(Path target, String doing, IOException e, long bytes) {
        if (e.getMessage() != null && e.getMessage().startsWith("cannot write " + target + ":")) return e;
        String cause = e.getMessage() != null ? e.getMessage() : e.toString();
        StringBuilder sb = new StringBuilder("cannot write ").append(target).append(": ");
        if (doing != null) sb.append(doing).append(": ");
        sb.append(cause);
        if (isDiskFull(e)) {
            Path folder = folderOf(target);
            sb.append(" (the file needs at least ").append(bytes).append(" bytes");
            try {
                sb.append(", ").append(Files.getFileStore(folder).getUsableSpace()).append(" bytes are free in ").append(folder);
            } catch (IOException ignored) {
                // the free space is a hint only
            }
            sb.append(")");
        }
        return new IOException(sb.toString(), e);
    }

    private static boolean isDiskFull(IOException e) {
        String m = String.valueOf(e.getMessage());
        return m.contains("No space left on device") || m.contains("Disk quota exceeded") || m.contains("File too large");
    }
}
