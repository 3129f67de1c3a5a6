package org.acodm.engine;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/** Reads the golden files written by tests/golden/make_golden.py (layout documented there). */
final class GoldenFile {
    record Entry(int dtype, long[] dims, ByteBuffer data) {
        float[] floats() {
            float[] out = new float[data.remaining() / 4];
            data.duplicate().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(out);
            return out;
        }

        int[] ints() {
            int[] out = new int[data.remaining() / 4];
            data.duplicate().order(ByteOrder.LITTLE_ENDIAN).asIntBuffer().get(out);
            return out;
        }

        double[] doubles() {
            double[] out = new double[data.remaining() / 8];
            data.duplicate().order(ByteOrder.LITTLE_ENDIAN).asDoubleBuffer().get(out);
            return out;
        }

        String text() {
            byte[] b = new byte[data.remaining()];
            data.duplicate().get(b);
            return new String(b, StandardCharsets.UTF_8);
        }
    }

    static Map<String, Entry> read(Path path) throws IOException {
        ByteBuffer buf = ByteBuffer.wrap(Files.readAllBytes(path)).order(ByteOrder.LITTLE_ENDIAN);
        byte[] magic = new byte[8];
        buf.get(magic);
        if (!new String(magic, StandardCharsets.US_ASCII).equals("ACODMGLD")) throw new IOException(path + ": bad magic");
        int version = buf.getInt();
        if (version != 1) throw new IOException(path + ": unsupported version " + version);
        int count = buf.getInt();
        Map<String, Entry> out = new LinkedHashMap<>();
        for (int i = 0; i < count; i++) {
            byte[] name = new byte[buf.getInt()];
            buf.get(name);
            int dtype = buf.getInt();
            long[] dims = new long[buf.getInt()];
            long n = 1;
            for (int d = 0; d < dims.length; d++) {
                dims[d] = buf.getLong();
                n *= dims[d];
            }
            int width = dtype == 2 ? 8 : dtype == 3 ? 1 : 4;
            ByteBuffer data = buf.slice().order(ByteOrder.LITTLE_ENDIAN).limit(Math.toIntExact(n * width));
            buf.position(buf.position() + Math.toIntExact(n * width));
            out.put(new String(name, StandardCharsets.UTF_8), new Entry(dtype, dims, data));
        }
        return out;
    }

    private GoldenFile() {}
}
