package org.acodm.io;

import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;

/**
 * A folder that appears whole or not at all: its files are written into a staging folder beside it
 * ({@code .NAME.partial}), synced, and swapped in under the folder's name by {@link #commit}. A folder of that name
 * already there is replaced as a whole (renamed aside, the new one renamed in, the old one deleted), so a reader never
 * sees old and new files mixed, and an interruption leaves either the old folder or the new one (plus a staging or
 * {@code .NAME.old} folder that the next build removes). Closed without {@link #commit} (a build that failed), the
 * staging folder is removed and the target is as it was.
 */
public final class StagedDirectory implements Closeable {
    private final Path target;
    private final Path staging;
    private final Path old;
    private boolean done;

    private StagedDirectory(Path target, Path staging, Path old) {
        this.target = target;
        this.staging = staging;
        this.old = old;
    }

    /** Starts a fresh staging folder for {@code target}, removing what an interrupted build of the same target left. */
    public static StagedDirectory begin(Path target) throws IOException {
        Path abs = target.toAbsolutePath().normalize();
        Path staging = abs.resolveSibling("." + abs.getFileName() + ".partial");
        Path old = abs.resolveSibling("." + abs.getFileName() + ".old");
        Directories.create(abs.getParent());
        Directories.deleteTree(staging);
        Directories.deleteTree(old);
        Directories.create(staging);
        return new StagedDirectory(abs, staging, old);
    }

    /** Where the files go until {@link #commit}. */
    public Path path() { return staging; }

    /** The folder this builds. */
    public Path target() { return target; }

    /** Syncs every staged file, then gives the staging folder the target's name, replacing a folder there as a whole. */
    public void commit() throws IOException {
        AtomicFile.syncTree(staging);
        boolean replace = Files.exists(target, LinkOption.NOFOLLOW_LINKS);
        if (replace) AtomicFile.move(target, old);
        AtomicFile.move(staging, target);
        done = true;
        if (replace) Directories.deleteTree(old);
    }

    /** Without {@link #commit}: removes the staging folder. */
    @Override public void close() throws IOException {
        if (done) return;
        done = true;
        Directories.deleteTree(staging);
    }
}
