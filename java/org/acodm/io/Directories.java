package org.acodm.io;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/** Output folders: created when missing, and a clear error when a file stands where a folder is wanted. */
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
}
