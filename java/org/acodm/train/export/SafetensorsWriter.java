package org.acodm.train.export;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.acodm.config.Mappers;
import org.acodm.io.AtomicFile;

/**
 * Writes float32 tensors in the safetensors format: an 8-byte little-endian header length N, N bytes of JSON
 * ({@code name -> {dtype, shape, data_offsets}} plus {@code __metadata__}), padded with spaces so the data starts
 * 8-byte aligned, then the tensors' little-endian bytes back to back in header order.
 */
public final class SafetensorsWriter {
    private static final int CHUNK_FLOATS = 1 << 18;

    private SafetensorsWriter() {}

    /** Writes {@code file} through {@link AtomicFile}; {@code metadata} lands in {@code __metadata__}. */
    public static void write(ParameterSource source, Path file, Map<String, String> metadata) throws IOException {
        List<String> names = source.names();
        Set<String> seen = new HashSet<>();
        ObjectNode header = Mappers.JSON.createObjectNode();
        ObjectNode meta = header.putObject("__metadata__");
        Map<String, String> m = new LinkedHashMap<>();
        m.put("format", "pt");
        m.putAll(metadata);
        m.forEach(meta::put);
        long offset = 0;
        long[] sizes = new long[names.size()];
        for (int i = 0; i < names.size(); i++) {
            String name = names.get(i);
            if (name.equals("__metadata__") || !seen.add(name)) throw new IllegalArgumentException("tensor name '" + name + "' is reserved or repeated");
            long[] shape = source.shape(name);
            long n = 1;
            for (long s : shape) {
                if (s < 0) throw new IllegalArgumentException(name + ": negative dimension in shape");
                n = Math.multiplyExact(n, s);
            }
            sizes[i] = n;
            ObjectNode t = header.putObject(name);
            t.put("dtype", "F32");
            ArrayNode sh = t.putArray("shape");
            for (long s : shape) sh.add(s);
            ArrayNode off = t.putArray("data_offsets");
            off.add(offset);
            offset = Math.addExact(offset, Math.multiplyExact(n, 4L));
            off.add(offset);
        }
        byte[] json = Mappers.JSON.writeValueAsBytes(header);
        // Data must start 8-byte aligned: pad the header (after its 8-byte length) with spaces, which JSON ignores.
        int padded = (json.length + 7) / 8 * 8;
        ByteBuffer head = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
        head.putLong(padded).put(json);
        while (head.hasRemaining()) head.put((byte) ' ');
        head.flip();

        try (AtomicFile f = AtomicFile.create(file)) {
            FileChannel ch = f.channel();
            writeFully(ch, head);
            ByteBuffer buf = ByteBuffer.allocateDirect(CHUNK_FLOATS * 4).order(ByteOrder.LITTLE_ENDIAN);
            for (int i = 0; i < names.size(); i++) {
                float[] v = source.values(names.get(i));
                if (v.length != sizes[i])
                    throw new IllegalArgumentException(names.get(i) + ": " + v.length + " values for a shape of " + sizes[i] + " elements");
                for (int from = 0; from < v.length; from += CHUNK_FLOATS) {
                    int len = Math.min(CHUNK_FLOATS, v.length - from);
                    buf.clear();
                    buf.asFloatBuffer().put(v, from, len);
                    buf.limit(len * 4);
                    writeFully(ch, buf);
                }
            }
            f.commit();
        }
    }

    /**
     * The {@code __metadata__} strings of a safetensors file's header; empty when the file is not safetensors (too short,
     * a header length beyond the file, or a header that is not a JSON object).
     */
    public static Map<String, String> metadata(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, java.nio.file.StandardOpenOption.READ)) {
            ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            while (len.hasRemaining() && ch.read(len) >= 0) { /* until 8 bytes or the end */ }
            if (len.hasRemaining()) return Map.of();
            long n = len.flip().getLong();
            if (n <= 0 || n > Math.min(ch.size() - 8, 100L << 20)) return Map.of();
            ByteBuffer head = ByteBuffer.allocate((int) n);
            while (head.hasRemaining() && ch.read(head) >= 0) { /* until the header is read */ }
            com.fasterxml.jackson.databind.JsonNode meta;
            try {
                meta = Mappers.JSON.readTree(head.array()).path("__metadata__");
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                return Map.of();
            }
            Map<String, String> out = new LinkedHashMap<>();
            meta.fields().forEachRemaining(e -> out.put(e.getKey(), e.getValue().asText()));
            return out;
        }
    }

    private static void writeFully(FileChannel ch, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) ch.write(b);
    }

}
