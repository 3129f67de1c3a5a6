package org.acodm.data;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.IntBuffer;
import java.nio.MappedByteBuffer;
import java.nio.ShortBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;

/**
 * A memory-mapped Megatron/GPT-NeoX indexed dataset ({@code .bin} + {@code .idx}). The {@code .idx} is read
 * and checked whole (sizes, pointers, document index); the {@code .bin} is mapped in 1 GiB segments, since a
 * single Java mapping stops at 2 GB. Reads use absolute positions only, so one instance serves many threads.
 */
public final class IndexedDataset implements Closeable {
    private static final long SEGMENT_BYTES = 1L << 30;

    private final Path bin;
    private final TokenDtype dtype;
    private final int[] sizes;
    private final long[] starts; // token offset of each document, plus the total at the end
    private final ShortBuffer[] shorts;
    private final IntBuffer[] ints;
    private final long segmentTokens;

    private IndexedDataset(Path bin, TokenDtype dtype, int[] sizes, long[] starts, ShortBuffer[] shorts, IntBuffer[] ints, long segmentTokens) {
        this.bin = bin;
        this.dtype = dtype;
        this.sizes = sizes;
        this.starts = starts;
        this.shorts = shorts;
        this.ints = ints;
        this.segmentTokens = segmentTokens;
    }

    /** Opens {@code prefix.idx} and maps {@code prefix.bin}. */
    public static IndexedDataset open(Path prefix) throws IOException {
        Path idx = IndexedDatasetWriter.withSuffix(prefix, ".idx");
        Path bin = IndexedDatasetWriter.withSuffix(prefix, ".bin");
        if (!Files.isRegularFile(idx)) throw new CorpusFormatException(idx, 0, "no such file (expected an MMIDIDX index; did prepare finish?)");
        if (!Files.isRegularFile(bin)) throw new CorpusFormatException(bin, 0, "no such file (expected the token data beside " + idx.getFileName() + ")");
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(idx)).order(ByteOrder.LITTLE_ENDIAN);
        if (b.remaining() < 34) throw new CorpusFormatException(idx, 0, "too short for an MMIDIDX header (" + b.remaining() + " bytes)");
        byte[] magic = new byte[9];
        b.get(magic);
        if (!Arrays.equals(magic, IndexedDatasetWriter.MAGIC)) throw new CorpusFormatException(idx, 0, "bad magic (expected MMIDIDX\\0\\0)");
        long version = b.getLong();
        if (version != IndexedDatasetWriter.VERSION) throw new CorpusFormatException(idx, 0, "version " + version + " (expected 1)");
        int code = b.get() & 0xFF;
        TokenDtype dtype = TokenDtype.fromCode(code);
        if (dtype == null) throw new CorpusFormatException(idx, 0, "dtype code " + code + " (expected 8 = uint16 or 4 = int32 token ids)");
        long seqCount = b.getLong();
        long docCount = b.getLong();
        if (seqCount < 0 || seqCount > Integer.MAX_VALUE - 1 || docCount != seqCount + 1)
            throw new CorpusFormatException(idx, 0, "sequence count " + seqCount + " and document count " + docCount
                    + " (expected one sequence per document: document count = sequences + 1)");
        int n = (int) seqCount;
        long expectedLength = 34L + 4L * n + 8L * n + 8L * docCount;
        if (b.capacity() != expectedLength)
            throw new CorpusFormatException(idx, 0, "length " + b.capacity() + " bytes (expected " + expectedLength + " for " + n + " sequences)");
        int[] sizes = new int[n];
        long[] starts = new long[n + 1];
        for (int i = 0; i < n; i++) {
            sizes[i] = b.getInt();
            if (sizes[i] < 0) throw new CorpusFormatException(idx, 0, "negative size at sequence " + i);
            starts[i + 1] = starts[i] + sizes[i];
        }
        for (int i = 0; i < n; i++) {
            long p = b.getLong();
            if (p != starts[i] * dtype.bytes())
                throw new CorpusFormatException(idx, 0, "pointer of sequence " + i + " is " + p + " (expected " + starts[i] * dtype.bytes() + ": sequences are packed in order)");
        }
        for (long i = 0; i < docCount; i++) {
            long d = b.getLong();
            if (d != i) throw new CorpusFormatException(idx, 0, "doc_idx[" + i + "] = " + d + " (expected " + i + ": one sequence per document)");
        }
        long total = starts[n];
        long binBytes = Files.size(bin);
        if (binBytes != total * dtype.bytes())
            throw new CorpusFormatException(bin, 0, binBytes + " bytes (expected " + total * dtype.bytes() + " for the " + total + " tokens in " + idx.getFileName() + ")");

        int segCount = (int) ((binBytes + SEGMENT_BYTES - 1) / SEGMENT_BYTES);
        ShortBuffer[] shorts = dtype == TokenDtype.UINT16 ? new ShortBuffer[segCount] : null;
        IntBuffer[] ints = dtype == TokenDtype.INT32 ? new IntBuffer[segCount] : null;
        try (FileChannel ch = FileChannel.open(bin, StandardOpenOption.READ)) {
            for (int s = 0; s < segCount; s++) {
                long off = s * SEGMENT_BYTES;
                MappedByteBuffer m = ch.map(FileChannel.MapMode.READ_ONLY, off, Math.min(SEGMENT_BYTES, binBytes - off));
                m.order(ByteOrder.LITTLE_ENDIAN);
                if (shorts != null) shorts[s] = m.asShortBuffer(); else ints[s] = m.asIntBuffer();
            }
        }
        return new IndexedDataset(bin, dtype, sizes, starts, shorts, ints, SEGMENT_BYTES / dtype.bytes());
    }

    public TokenDtype dtype() { return dtype; }

    public int documents() { return sizes.length; }

    /** All tokens, end-of-document tokens included. */
    public long tokens() { return starts[sizes.length]; }

    /** The tokens of document {@code i}, its end-of-document token included. */
    public int[] document(int i) {
        int[] out = new int[sizes[i]];
        read(starts[i], out, 0, out.length);
        return out;
    }

    /** Copies tokens {@code [position, position + length)} of the concatenated stream into {@code dst}. */
    public void read(long position, int[] dst, int offset, int length) {
        if (position < 0 || length < 0 || position + length > tokens())
            throw new IndexOutOfBoundsException("tokens [" + position + ", " + (position + length) + ") outside [0, " + tokens() + ") of " + bin);
        short[] scratch = dtype == TokenDtype.UINT16 ? new short[Math.min(length, 1 << 16)] : null;
        while (length > 0) {
            int seg = (int) (position / segmentTokens);
            int within = (int) (position - seg * segmentTokens);
            int n = (int) Math.min(length, segmentTokens - within);
            if (shorts != null) {
                ShortBuffer sb = shorts[seg];
                for (int done = 0; done < n; ) {
                    int k = Math.min(n - done, scratch.length);
                    sb.get(within + done, scratch, 0, k);
                    for (int j = 0; j < k; j++) dst[offset + done + j] = scratch[j] & 0xFFFF;
                    done += k;
                }
            } else {
                ints[seg].get(within, dst, offset, n);
            }
            position += n;
            offset += n;
            length -= n;
        }
    }

    /** Unmapping is left to the garbage collector: Java 17 has no safe explicit unmap for mapped buffers. */
    @Override public void close() {}
}
