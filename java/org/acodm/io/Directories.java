package org.acodm.io;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.function.Predicate;
import java.util.stream.Stream;

/**
 * Output folders: created when missing, a clear error when a file stands where a folder is wanted, and what a folder
 * holds that a tool writing into it did not write (so that it refuses, rather than overwrite someone's files).
 */
public final class Directories {
    private Directories() {}

    /**
     * Creates {@code dir} and its parents as needed. A file in the way (at {@code dir} or at one of its parents) is a
     * {@link NotDirectoryException} saying so, not Java's bare path.
     */
    public static Path create(Path dir) throws IOException {
        if (Files.isDirectory(dir)) return dir;
        for (Path p = dir.toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.exists(p) && !Files.isDirectory(p)) {
                String what = p.equals(dir.toAbsolutePath()) ? dir.toString() : p + " (a parent of " + dir + ")";
                // FileSystemException's message is its "file" alone when nothing else is set: here, the whole sentence.
                throw new NotDirectoryException(what + " exists and is a file, not a directory; choose another path or move the file away");
            }
        }
        try {
            Files.createDirectories(dir);
        } catch (FileAlreadyExistsException e) {
            throw new IOException(dir + ": cannot create the directory: " + e.getFile() + " exists and is not a directory", e);
        }
        return dir;
    }

    /** Deletes {@code p} and everything under it (links are deleted, not followed); nothing when it does not exist. */
    public static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) return;
        try (Stream<Path> walk = Files.walk(p)) {
            for (Path q : walk.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(q);
        }
    }

    /** The names of the entries of {@code dir} that {@code own} does not claim, sorted: what a tool writing there did not put there. */
    public static List<String> foreignEntries(Path dir, Predicate<Path> own) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(own.negate()).map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    /** The first five of {@code names}, then "and N more": how a refusal lists what it found. */
    public static String listing(List<String> names) {
        return String.join(", ", names.subList(0, Math.min(5, names.size()))) + (names.size() > 5 ? " and " + (names.size() - 5) + " more" : "");
    }
}
