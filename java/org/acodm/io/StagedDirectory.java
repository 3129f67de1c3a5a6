package org.acodm.io;

import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A folder that appears whole or not at all, as a try-with-resources scope over {@link AtomicFile#createStagingDirectory}
 * and {@link AtomicFile#replaceDirectory}: files are written into a staging folder beside the target and swapped in by
 * {@link #commit}, replacing a folder there as a whole (a reader never sees old and new files mixed; a failed swap puts
 * the old folder back). Closed without {@link #commit} (a build that failed), the staging folder is removed and the
 * target is as it was. Staging folders that a killed process left beside the same target are removed when the next
 * build of it begins.
 */
public final class StagedDirectory implements Closeable {
    private final Path target;
    private final Path staging;
    private boolean done;

    private StagedDirectory(Path target, Path staging) {
        this.target = target;
        this.staging = staging;
    }

    /** Starts a fresh staging folder for {@code target}, removing the staging folders of dead processes beside it. */
    public static StagedDirectory begin(Path target) throws IOException {
        Path abs = target.toAbsolutePath().normalize();
        removeLeftovers(abs);
        return new StagedDirectory(abs, AtomicFile.createStagingDirectory(abs));
    }

    /** {@code NAME.tmp-PID-N} folders beside {@code target} whose process is gone. */
    private static void removeLeftovers(Path target) throws IOException {
        Path parent = target.getParent();
        if (parent == null || !Files.isDirectory(parent)) return;
        Pattern mine = Pattern.compile(Pattern.quote(target.getFileName().toString()) + "\\.tmp-(\\d+)-\\d+");
        try (var s = Files.list(parent)) {
            for (Path p : s.toList()) {
                Matcher m = mine.matcher(p.getFileName().toString());
                if (!m.matches() || !Files.isDirectory(p)) continue;
                long pid = Long.parseLong(m.group(1));
                if (ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) continue;
                Directories.deleteTree(p);
            }
        }
    }

    /** Where the files go until {@link #commit}. */
    public Path path() { return staging; }

    /** The folder this builds. */
    public Path target() { return target; }

    /** Syncs every staged file, then puts the staging folder in place of the target, replacing a folder there as a whole. */
    public void commit() throws IOException {
        AtomicFile.replaceDirectory(staging, target);
        done = true;
    }

    /** Without {@link #commit}: removes the staging folder. */
    @Override public void close() throws IOException {
        if (done) return;
        done = true;
        Directories.deleteTree(staging);
    }
}
