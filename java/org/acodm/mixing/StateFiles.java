package org.acodm.mixing;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import org.acodm.config.Mappers;
import org.acodm.io.AtomicFile;

/**
 * Policy state files: a policy's state as a record of its own, in JSON through {@link Mappers#JSON}, inside an envelope
 * that names the format, its version, the method's key and the domains. Jackson writes every double and float so that it
 * reads back to the same bits (NaN and the infinities as strings), so a restored policy is exactly the saved one. Files
 * are written through {@link AtomicFile}: a crash never leaves a file that looks complete.
 */
final class StateFiles {
    static final String FORMAT = "acodm-policy-state";
    /** Version 4: JSON records. Versions 1 to 3 were binary files named {@code *.state}, which this build does not read. */
    static final int VERSION = 4;

    /** What every state file holds around the policy's own {@code state}. */
    record Envelope<T>(String format, int version, String method, List<String> domains, T state) {}

    private StateFiles() {}

    /** Writes {@code state}, the state of a {@code method} policy over {@code domains}, to {@code file} atomically. */
    static void write(Path file, MixingMethod method, List<String> domains, Object state) throws IOException {
        AtomicFile.write(file, Mappers.JSON.writerWithDefaultPrettyPrinter()
                .writeValueAsBytes(new Envelope<>(FORMAT, VERSION, method.key(), domains, state)));
    }

    /**
     * The state {@link #write} left in {@code file}, checked to be of {@code method} over {@code domains}; every error
     * names the file and what differs. A policy directory of an older acodm (binary {@code *.state} files) is refused,
     * naming the file it holds.
     */
    static <T> T read(Path file, MixingMethod method, List<String> domains, Class<T> type) throws IOException {
        if (!Files.isRegularFile(file)) {
            Path binary = file.resolveSibling(file.getFileName().toString().replaceFirst("\\.json$", ".state"));
            if (Files.isRegularFile(binary))
                throw new IOException(binary + " holds policy state in the binary format of acodm before state version " + VERSION
                        + ", which this build does not read (it reads " + file.getFileName() + "): the run cannot be resumed from this "
                        + "checkpoint; train it again into another --out, or resume it with the acodm that wrote it");
            throw new NoSuchFileException(file.toString(), null, "no saved policy state");
        }
        Envelope<?> header;
        try {
            // The header first, so that the state of another policy is named as such, not as a field this one lacks.
            header = Mappers.JSON.readerFor(Envelope.class).without(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES).readValue(file.toFile());
        } catch (JsonProcessingException ex) {
            throw new IOException(file + " is not a readable acodm policy state file: " + ex.getOriginalMessage(), ex);
        }
        if (header == null || !FORMAT.equals(header.format())) throw new IOException(file + " is not an acodm policy state file");
        if (header.version() != VERSION)
            throw new IOException(file + " has state version " + header.version() + "; this build reads version " + VERSION);
        if (!method.key().equals(header.method()))
            throw new IOException(file + " holds the state of a '" + header.method() + "' policy, not of '" + method.key() + "'");
        if (!domains.equals(header.domains()))
            throw new IOException(file + ": " + DomainLists.describeDifference(domains, header.domains(), "this run", "the saved state"));
        JavaType envelope = Mappers.JSON.getTypeFactory().constructParametricType(Envelope.class, type);
        try {
            Envelope<T> e = Mappers.JSON.readerFor(envelope).with(DeserializationFeature.FAIL_ON_MISSING_CREATOR_PROPERTIES).readValue(file.toFile());
            if (e.state() == null) throw new IOException(file + " holds no state");
            return e.state();
        } catch (JsonProcessingException ex) {
            throw new IOException(file + ": the saved " + method.key() + " state is not readable: " + ex.getOriginalMessage(), ex);
        }
    }

    /** A part of a policy's state whose record type depends on its implementation (a state builder, a score estimate). */
    static JsonNode tree(Object part) {
        return Mappers.JSON.valueToTree(part);
    }

    /** The record {@link #tree} made of a part; {@code what} names the part in the error. */
    static <T> T part(JsonNode saved, Class<T> type, String what) throws IOException {
        try {
            T t = saved == null || saved.isNull() ? null
                    : Mappers.JSON.readerFor(type).with(DeserializationFeature.FAIL_ON_MISSING_CREATOR_PROPERTIES).treeToValue(saved, type);
            if (t == null) throw new IOException("the saved " + what + " is missing");
            return t;
        } catch (JsonProcessingException e) {
            throw new IOException("the saved " + what + " is not readable: " + e.getOriginalMessage(), e);
        }
    }

    /** {@code a}, checked to have one entry per domain (or {@code expected}); {@code what} names it in the error. */
    static double[] entries(double[] a, int expected, String what) throws IOException {
        if (a == null || a.length != expected)
            throw new IOException("saved " + what + " has " + (a == null ? "no" : a.length) + " entries, expected " + expected);
        return a;
    }

    /** The saved {@code name} of an enum constant against this run's; {@code what} names the setting in the error. */
    static void same(Enum<?> saved, Enum<?> now, String what) throws IOException {
        if (saved != now) throw new IOException("saved state has " + what + " " + saved + ", this run " + now);
    }
}
