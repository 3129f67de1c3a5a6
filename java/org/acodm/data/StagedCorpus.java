package org.acodm.data;

import com.github.luben.zstd.ZstdOutputStream;
import java.io.BufferedOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.acodm.io.Directories;
import org.acodm.io.StagedDirectory;

/**
 * The output of a corpus built from another ({@code acodm corpus noisy}, {@code acodm corpus split}). Its files are
 * written into a staging folder beside it ({@link StagedDirectory}), which is synced and renamed to the output's name only
 * when every file is complete, so an interrupted build leaves no corpus that looks whole; closed without
 * {@link #commit} (a build that failed) it removes the staging folder. Every output file stands for one file of the
 * input corpus: the same path relative to the corpus, the same format (zstd or plain, by the name).
 */
final class StagedCorpus implements Closeable {
    /** zstd level of rewritten files: fast, and what {@code corpus noisy} always used (its output stays byte-identical). */
    private static final int ZSTD_LEVEL = 3;

    private final Path from;
    private final StagedDirectory stage;
    private final Path staging;

    private StagedCorpus(Path from, StagedDirectory stage) {
        this.from = from;
        this.stage = stage;
        this.staging = stage.path();
    }

    /**
     * Refuses, before any work, an input that is not a folder and an output that exists and is not an empty folder;
     * then starts a fresh staging folder (removing what an interrupted build of the same output left).
     */
    static StagedCorpus create(Path from, Path out) throws IOException {
        if (!Files.isDirectory(from)) throw new IllegalArgumentException("--from " + from + ": not a directory (expected a corpus in The Pile's layout)");
        if (Files.exists(out) && !isEmptyDirectory(out))
            throw new FileAlreadyExistsException(out.toString(), null, "the output exists and is not empty; choose another --out or remove it");
        return new StagedCorpus(from, StagedDirectory.begin(out));
    }

    /** Where the output file standing for {@code source} (a file of the input corpus) is staged. */
    private Path target(Path source) throws IOException {
        Path dst = staging.resolve(from.relativize(source).toString());
        Directories.create(dst.getParent());
        return dst;
    }

    /** Copies {@code source} unchanged. */
    void copy(Path source) throws IOException {
        Files.copy(source, target(source));
    }

    /** A buffered stream writing the file that stands for {@code source}, zstd-compressed when {@code source} is. */
    OutputStream open(Path source) throws IOException {
        OutputStream file = Files.newOutputStream(target(source));
        boolean zst = source.getFileName().toString().endsWith(".zst");
        return new BufferedOutputStream(zst ? new ZstdOutputStream(file, ZSTD_LEVEL) : file, 1 << 16);
    }

    /** Syncs every staged file and gives the folder the output's name (an empty folder there, checked by create, is replaced). */
    void commit() throws IOException {
        stage.commit();
    }

    /** Without {@link #commit}: removes the staging folder. */
    @Override public void close() throws IOException {
        stage.close();
    }

    private static boolean isEmptyDirectory(Path p) throws IOException {
        if (!Files.isDirectory(p)) return false;
        try (Stream<Path> s = Files.list(p)) {
            return s.findAny().isEmpty();
        }
    }
}
