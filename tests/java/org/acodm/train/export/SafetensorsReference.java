package org.acodm.train.export;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.acodm.config.Mappers;

/**
 * A minimal safetensors reader written from the format description alone (not from the writer), checking
 * everything a loader relies on: header length, alignment, offsets that tile the data exactly, F32 payloads.
 */
final class SafetensorsReference {
    record Tensor(String dtype, long[] shape, long begin, long end, float[] values) {}

    record File(Map<String, Tensor> tensors, Map<String, String> metadata, long headerLength) {}

    static File read(Path path) throws IOException {
        byte[] all = Files.readAllBytes(path);
        if (all.length < 8) throw new IllegalStateException("shorter than the 8-byte header length");
        long n = ByteBuffer.wrap(all, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        if (n <= 0 || 8 + n > all.length) throw new IllegalStateException("header length " + n + " does not fit a file of " + all.length);
        String headerText = new String(all, 8, (int) n, StandardCharsets.UTF_8);
        if (!headerText.startsWith("{")) throw new IllegalStateException("header does not start with '{'");
        JsonNode header = Mappers.JSON.readTree(headerText);
        long dataStart = 8 + n;
        long dataLength = all.length - dataStart;
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        Map<String, String> meta = new LinkedHashMap<>();
        List<long[]> ranges = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = header.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (e.getKey().equals("__metadata__")) {
                e.getValue().fields().forEachRemaining(m -> meta.put(m.getKey(), m.getValue().textValue()));
                continue;
            }
            JsonNode t = e.getValue();
            String dtype = t.get("dtype").textValue();
            long[] shape = new long[t.get("shape").size()];
            long count = 1;
            for (int i = 0; i < shape.length; i++) {
                shape[i] = t.get("shape").get(i).longValue();
                count *= shape[i];
            }
            long begin = t.get("data_offsets").get(0).longValue(), end = t.get("data_offsets").get(1).longValue();
            if (!dtype.equals("F32")) throw new IllegalStateException(e.getKey() + ": dtype " + dtype);
            if (end - begin != 4 * count) throw new IllegalStateException(e.getKey() + ": " + (end - begin) + " bytes for " + count + " floats");
            if (end > dataLength) throw new IllegalStateException(e.getKey() + ": ends past the data");
            float[] v = new float[(int) count];
            ByteBuffer.wrap(all, (int) (dataStart + begin), (int) (end - begin)).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(v);
            tensors.put(e.getKey(), new Tensor(dtype, shape, begin, end, v));
            ranges.add(new long[] {begin, end});
        }
        // The tensors must cover the data buffer exactly, without holes or overlaps.
        ranges.sort((a, b) -> Long.compare(a[0], b[0]));
        long at = 0;
        for (long[] r : ranges) {
            if (r[0] != at) throw new IllegalStateException("hole or overlap at byte " + at);
            at = r[1];
        }
        if (at != dataLength) throw new IllegalStateException("data has " + dataLength + " bytes, tensors cover " + at);
        return new File(tensors, meta, n);
    }
}
