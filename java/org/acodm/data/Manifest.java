package org.acodm.data;

import com.fasterxml.jackson.databind.DeserializationFeature;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.acodm.config.Mappers;
import org.acodm.io.AtomicFile;

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

    /**
     * SHA-256 (hex) of what decides the shards' content: the tokenizer, the text and domain fields, the domains and every
     * split's per-domain documents, tokens and bytes. Not the source paths or the warnings: the same corpus prepared again
     * from another folder is the same data. Runs record it, so data prepared again from other input is noticed.
     */
    public String fingerprint() {
        var identity = new java.util.LinkedHashMap<String, Object>();
        identity.put("version", version);
        identity.put("tokenizer", tokenizer);
        identity.put("text_field", textField);
        identity.put("domain_field", domainField);
        identity.put("domains", domains);
        identity.put("splits", splits);
        try {
            byte[] canonical = Mappers.JSON.writer().with(com.fasterxml.jackson.databind.SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS)
                    .writeValueAsBytes(identity);
            return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(canonical));
        } catch (com.fasterxml.jackson.core.JsonProcessingException | java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("cannot fingerprint a manifest", e);
        }
    }

    /** The domain id of {@code name}, or -1. */
    public int domainId(String name) { return domains.indexOf(name); }

    /** Per-domain stats of {@code split}, empty when the split was not prepared. */
    public Map<String, DomainStats> split(Split split) { return splits.getOrDefault(split.dirName(), Map.of()); }

    /**
     * Per-domain stats of {@code split}, refused when the data holds no document of it: prepared without such input (or,
     * for val, before prepare refused that). The error names the directory, the split and the splits there are.
     */
    public Map<String, DomainStats> requireSplit(Split split, Path dir) {
        Map<String, DomainStats> stats = split(split);
        if (!stats.isEmpty()) return stats;
        List<String> present = splits.entrySet().stream().filter(e -> !e.getValue().isEmpty()).map(Map.Entry::getKey).toList();
        String why = switch (split) {
            case TRAIN -> "there is nothing to train on";
            case VAL -> "every run evaluates on val (at the latest after its last step), and `eval` scores on it";
            case TEST -> "`eval --split test` scores on it";
        };
        throw new IllegalArgumentException(dir + " holds no " + split + " split (" + dir.resolve(FILE_NAME) + " lists "
                + (present.isEmpty() ? "no split with documents" : String.join(", ", present) + " only") + "): " + why
                + "; prepare it again with the " + split + " file among the inputs (--input " + split + "=FILE)");
    }

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

    /** Writes {@code value} as JSON through {@link AtomicFile}. */
    static void writeJsonAtomically(Path target, Object value) throws IOException {
        AtomicFile.write(target, Mappers.JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(value));
    }
}
