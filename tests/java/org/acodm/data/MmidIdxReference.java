package org.acodm.data;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * An MMIDIDX reader written only from the format's description, sharing no code with {@link IndexedDataset}:
 * .idx = magic "MMIDIDX\0\0", uint64 version, uint8 dtype code, uint64 sequence count, uint64 document count,
 * int32 sizes[seq], int64 pointers[seq] (byte offsets into .bin), int64 doc_idx[doc]; all little-endian.
 */
public final class MmidIdxReference {
    public final int dtypeCode;
    public final long version;
    public final int[] sizes;
    public final long[] pointers;
    public final long[] docIdx;
    private final byte[] bin;

    public MmidIdxReference(Path prefix) throws IOException {
        byte[] idx = Files.readAllBytes(prefix.resolveSibling(prefix.getFileName() + ".idx"));
        bin = Files.readAllBytes(prefix.resolveSibling(prefix.getFileName() + ".bin"));
        try (DataInputStream in = new DataInputStream(new java.io.ByteArrayInputStream(idx))) {
            byte[] magic = new byte[9];
            in.readFully(magic);
            if (!new String(magic, java.nio.charset.StandardCharsets.ISO_8859_1).equals("MMIDIDX\0\0")) throw new IOException("bad magic");
            version = le64(in);
            dtypeCode = in.readUnsignedByte();
            long seq = le64(in);
            long docs = le64(in);
            sizes = new int[(int) seq];
            pointers = new long[(int) seq];
            docIdx = new long[(int) docs];
            for (int i = 0; i < seq; i++) sizes[i] = (int) le(in, 4);
            for (int i = 0; i < seq; i++) pointers[i] = le64(in);
            for (int i = 0; i < docs; i++) docIdx[i] = le64(in);
            if (in.read() != -1) throw new IOException("trailing bytes in .idx");
        }
    }

    private static long le64(InputStream in) throws IOException { return le(in, 8); }

    private static long le(InputStream in, int n) throws IOException {
        long v = 0;
        for (int i = 0; i < n; i++) {
            int b = in.read();
            if (b < 0) throw new IOException("truncated .idx");
            v |= (long) b << (8 * i);
        }
        return v;
    }

    public int elementBytes() {
        switch (dtypeCode) {
            case 8: case 3: return 2;
            case 4: return 4;
            default: throw new IllegalStateException("dtype " + dtypeCode);
        }
    }

    public long binBytes() { return bin.length; }

    /** Tokens of sequence {@code i}, read at its pointer. */
    public int[] sequence(int i) {
        int e = elementBytes();
        int[] out = new int[sizes[i]];
        int p = (int) pointers[i];
        for (int k = 0; k < out.length; k++) {
            int v = 0;
            for (int b = 0; b < e; b++) v |= (bin[p + k * e + b] & 0xFF) << (8 * b);
            out[k] = v;
        }
        return out;
    }

    /** Token {@code t} of the concatenated stream. */
    public int token(long t) {
        int e = elementBytes();
        int v = 0;
        for (int b = 0; b < e; b++) v |= (bin[(int) (t * e) + b] & 0xFF) << (8 * b);
        return v;
    }

    public long totalTokens() { return bin.length / elementBytes(); }
}
