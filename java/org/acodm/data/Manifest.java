package org.acodm.data;

import com.fasterxml.jackson.databind.DeserializationFeature;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Map;
import org.acodm.config.Mappers;

/**
 * {@code manifest.json} of a prepared shard directory: what was tokenised with what, and how much of each
 * domain every split holds. Domain ids everywhere (sampler, train step, reports) are indices into
 * {@link #domains()}, the sorted union of all splits' domains. It is written last, so its presence means the
 * shards it lists are complete.
 */
public record Manifest(
        int version,
        TokenizerInfo tokenizer,
        String textField,
        String domainField,
        List<String> domains,
        Map<String, Map<String, DomainStats>> splits,
        List<SourceInfo> sources,
        long minDomainTokens,
        List<String> warnings) {

    public static final String FILE_NAME = "manifest.json";
    public static final int VERSION = 1;

    /** The tokenizer the shards were made with. */
    public record TokenizerInfo(String spec, int vocabSize, int endOfDocument, String dtype, String notes) {}

    /** One domain of one split: its shard prefix (relative to the directory) and its size. */
    public record DomainStats(String shard, long documents, long tokens, long bytes) {}

    /** One input file, its split, its size, and the bad lines skipped in it. */
    public record SourceInfo(String path, String split, long bytes, int badLines, List<String> badLineExamples) {}

    /** How prepared-data JSON files are read: a file written by a newer version may carry fields this one ignores. */
    static <T> T readJson(Path file, Class<T> type) throws IOException {
        return Mappers.JSON.readerFor(type).without(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES).readValue(file.toFile());
    }

    /** The domain id of {@code name}, or -1. */
    public int domainId(String name) { return domains.indexOf(name); }

    /** Per-domain stats of {@code split}, empty when the split was not prepared. */
    public Map<String, DomainStats> split(Split split) { return splits.getOrDefault(split.dirName(), Map.of()); }

    public static Manifest read(Path dir) throws IOException {
        Path f = dir.resolve(FILE_NAME);
        if (!Files.isRegularFile(f))
            throw new NoSuchFileException(f.toString(), null, "no manifest: this is not a finished prepare output (run `acodm prepare` again to finish it)");
        Manifest m;
        try {
            m = readJson(f, Manifest.class);
        } catch (IOException e) {
            throw new CorpusFormatException(f, 0, "not a valid manifest: " + e.getMessage(), e);
        }
        if (m.version() != VERSION) throw new CorpusFormatException(f, 0, "key \"version\" is " + m.version() + ", expected " + VERSION);
        return m;
    }

    void write(Path dir) throws IOException {
        writeJsonAtomically(dir.resolve(FILE_NAME), this);
    }

    /** Writes {@code value} to a temporary name, syncs it, and renames it over {@code target}. */
    static void writeJsonAtomically(Path target, Object value) throws IOException {
        Path tmp = target.resolveSibling(target.getFileName() + ".tmp");
        try (var out = Files.newOutputStream(tmp)) {
            Mappers.JSON.writerWithDefaultPrettyPrinter().writeValue(out, value);
        }
        try (var ch = java.nio.channels.FileChannel.open(tmp, java.nio.file.StandardOpenOption.WRITE)) {
            ch.force(true);
        }
        Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
}
