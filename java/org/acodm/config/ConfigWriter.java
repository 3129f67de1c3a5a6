package org.acodm.config;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Writes bound sections back out: as a Jackson tree (for {@code run.json}), as plain maps, or as YAML that
 * loads back to an equal record (for checkpoints and {@code config.yaml} in a run directory). Keys come out in
 * declaration order with the same names the loader reads.
 */
public final class ConfigWriter {
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    private ConfigWriter() {}

    /** A section record (or any value a section may hold) as a Jackson tree. */
    public static JsonNode toNode(Object value) {
        if (value == null) return NODES.nullNode();
        if (value instanceof JsonNode n) return n.deepCopy();
        if (value instanceof String s) return NODES.textNode(s);
        if (value instanceof Boolean b) return NODES.booleanNode(b);
        if (value instanceof Integer i) return NODES.numberNode(i);
        if (value instanceof Long l) return NODES.numberNode(l);
        if (value instanceof BigInteger b) return NODES.numberNode(b);
        if (value instanceof Float f) return NODES.numberNode(f.doubleValue());
        if (value instanceof Number n) return NODES.numberNode(n.doubleValue());
        if (value instanceof Enum<?> e) return NODES.textNode(RecordSchema.enumName(e));
        if (value instanceof Path p) return NODES.textNode(p.toString());
        if (value instanceof Map<?, ?> m) {
            ObjectNode o = NODES.objectNode();
            m.forEach((k, v) -> o.set(String.valueOf(k), toNode(v)));
            return o;
        }
        if (value instanceof Collection<?> c) {
            ArrayNode a = NODES.arrayNode();
            c.forEach(v -> a.add(toNode(v)));
            return a;
        }
        if (value.getClass().isRecord()) {
            ObjectNode o = NODES.objectNode();
            for (RecordSchema.Field f : RecordSchema.of(value.getClass()).fields()) o.set(f.key(), toNode(f.get(value)));
            return o;
        }
        throw new IllegalArgumentException("cannot write a config value of type " + value.getClass().getName());
    }

    /** The YAML spelling of an enum constant, as the loader reads it back: {@code FROZEN_ACTOR} is {@code frozen_actor}. */
    public static String enumName(Enum<?> e) { return RecordSchema.enumName(e); }

    /** A section record as nested plain maps, e.g. to put a bound mixing section back into {@code mixing.acodm}. */
    @SuppressWarnings("unchecked")
    public static Map<String, Object> toMap(Object record) {
        Object plain = RecordBinder.plain(toNode(record));
        if (!(plain instanceof Map)) throw new IllegalArgumentException("not a section: " + record);
        return new LinkedHashMap<>((Map<String, Object>) plain);
    }

    /** YAML text that {@link ConfigTree#parse} reads back into an equal record. */
    public static String toYaml(Object record) {
        try {
            return Mappers.YAML.writeValueAsString(toNode(record));
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Writes {@link #toYaml} to {@code file} atomically (temporary file, fsync, rename), so a crash leaves the old file or the new one. */
    public static void writeYaml(Object record, Path file) throws IOException {
        writeAtomically(file, toYaml(record).getBytes(StandardCharsets.UTF_8));
    }

    /** Writes {@code bytes} to {@code file} through a temporary file (fsynced, then renamed over it). */
    public static void writeAtomically(Path file, byte[] bytes) throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        if (dir != null) Files.createDirectories(dir);
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
            java.nio.ByteBuffer buf = java.nio.ByteBuffer.wrap(bytes);
            while (buf.hasRemaining()) ch.write(buf);
            ch.force(true);
        }
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
}
