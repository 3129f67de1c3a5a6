package org.acodm.data;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;

/**
 * Writes one Megatron/GPT-NeoX indexed dataset ({@code PREFIX.bin} + {@code PREFIX.idx}, the {@code MMIDIDX}
 * layout, version 1), one sequence per document. Both files are written under {@code .tmp} names and renamed
 * only by {@link #finish()}, the {@code .bin} first, so a {@code .idx} — what readers open — never exists
 * before its data is complete; {@link #close()} without {@code finish()} deletes the temporaries.
 */
public final class IndexedDatasetWriter implements Closeable {
    static final byte[] MAGIC = {'M', 'M', 'I', 'D', 'I', 'D', 'X', 0, 0};
    static final long VERSION = 1;

    private final Path bin;
    private final Path idx;
    private final Path binTmp;
    private final Path idxTmp;
    private final TokenDtype dtype;
    private final FileChannel out;
    private final ByteBuffer buf = ByteBuffer.allocateDirect(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
    private int[] sizes = new int[1024];
    private int documents;
    private long tokens;
    private boolean finished;

    /** Starts {@code prefix.bin}/{@code prefix.idx} for ids in {@code [0, vocabSize)}. */
    public IndexedDatasetWriter(Path prefix, int vocabSize) throws IOException {
        this.dtype = TokenDtype.forVocabulary(vocabSize);
        this.bin = withSuffix(prefix, ".bin");
        this.idx = withSuffix(prefix, ".idx");
        this.binTmp = withSuffix(prefix, ".bin.tmp");
        this.idxTmp = withSuffix(prefix, ".idx.tmp");
        Files.createDirectories(bin.toAbsolutePath().getParent());
        this.out = FileChannel.open(binTmp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE);
    }

    static Path withSuffix(Path prefix, String suffix) {
        return prefix.resolveSibling(prefix.getFileName() + suffix);
    }

    public TokenDtype dtype() { return dtype; }

    public int documents() { return documents; }

    public long tokens() { return tokens; }

    /**
     * Encodes a document (ids then end-of-document) in this dtype's on-disk form, checking every id; runs on the
     * tokeniser threads so the single writer thread only copies bytes.
     */
    public static byte[] encode(int[] ids, int endOfDocument, int vocabSize) {
        TokenDtype dtype = TokenDtype.forVocabulary(vocabSize);
        if ((long) ids.length + 1 > Integer.MAX_VALUE / dtype.bytes())
            throw new IllegalArgumentException("document of " + (ids.length + 1L) + " tokens is too long for one sequence");
        ByteBuffer b = ByteBuffer.allocate((ids.length + 1) * dtype.bytes()).order(ByteOrder.LITTLE_ENDIAN);
        int bad = 0;
        if (dtype == TokenDtype.UINT16) {
            for (int id : ids) { bad |= id | (vocabSize - 1 - id); b.putShort((short) id); }
            b.putShort((short) endOfDocument);
        } else {
            for (int id : ids) { bad |= id | (vocabSize - 1 - id); b.putInt(id); }
            b.putInt(endOfDocument);
        }
        // Any id below 0 or above vocabSize - 1 makes one of the two terms negative, so the OR's sign bit is set.
        if (bad < 0 || endOfDocument < 0 || endOfDocument >= vocabSize) {
            for (int id : ids) if (id < 0 || id >= vocabSize) throw new IllegalArgumentException("token id " + id + " outside the vocabulary [0, " + vocabSize + ")");
            throw new IllegalArgumentException("end-of-document id " + endOfDocument + " outside the vocabulary [0, " + vocabSize + ")");
        }
        return b.array();
    }

    /** Appends one document already in on-disk form (from {@link #encode}); {@code tokens} counts its end-of-document. */
    public void addEncoded(byte[] encoded, int tokens) throws IOException {
        if (finished) throw new IllegalStateException("writer already finished");
        if ((long) tokens * dtype.bytes() != encoded.length) throw new IllegalArgumentException(encoded.length + " bytes for " + tokens + " tokens of " + dtype);
        if (documents == Integer.MAX_VALUE - 1) throw new IllegalStateException("more than 2^31 documents in one shard");
        if (encoded.length > buf.remaining()) {
            flush();
            if (encoded.length > buf.capacity()) {
                ByteBuffer w = ByteBuffer.wrap(encoded);
                while (w.hasRemaining()) out.write(w);
            } else {
                buf.put(encoded);
            }
        } else {
            buf.put(encoded);
        }
        if (documents == sizes.length) sizes = Arrays.copyOf(sizes, sizes.length * 2);
        sizes[documents++] = tokens;
        this.tokens += tokens;
    }

    private void flush() throws IOException {
        buf.flip();
        while (buf.hasRemaining()) out.write(buf);
        buf.clear();
    }

    /** Writes the index, syncs both files and gives them their final names. */
    public void finish() throws IOException {
        if (finished) return;
        flush();
        out.force(true);
        out.close();
        writeIndex();
        Files.move(binTmp, bin, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        Files.move(idxTmp, idx, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        finished = true;
    }

    private void writeIndex() throws IOException {
        try (FileChannel ch = FileChannel.open(idxTmp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
            ByteBuffer head = ByteBuffer.allocate(9 + 8 + 1 + 8 + 8).order(ByteOrder.LITTLE_ENDIAN);
            head.put(MAGIC).putLong(VERSION).put((byte) dtype.code()).putLong(documents).putLong(documents + 1L);
            head.flip();
            while (head.hasRemaining()) ch.write(head);
            ByteBuffer b = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
            for (int i = 0; i < documents; i++) {
                if (b.remaining() < 8) b = drain(ch, b);
                b.putInt(sizes[i]);
            }
            long pointer = 0;
            for (int i = 0; i < documents; i++) {
                if (b.remaining() < 8) b = drain(ch, b);
                b.putLong(pointer);
                pointer += (long) sizes[i] * dtype.bytes();
            }
            // One sequence per document: doc_idx is 0, 1, ..., documents.
            for (long i = 0; i <= documents; i++) {
                if (b.remaining() < 8) b = drain(ch, b);
                b.putLong(i);
            }
            drain(ch, b);
            ch.force(true);
        }
    }

    private static ByteBuffer drain(FileChannel ch, ByteBuffer b) throws IOException {
        b.flip();
        while (b.hasRemaining()) ch.write(b);
        b.clear();
        return b;
    }

    /** Without {@link #finish()}: abandons the shard and removes its temporaries. */
    @Override public void close() throws IOException {
        if (finished) return;
        try {
            out.close();
        } finally {
            Files.deleteIfExists(binTmp);
            Files.deleteIfExists(idxTmp);
        }
    }

    @Override public String toString() { return new String(MAGIC, StandardCharsets.US_ASCII).trim() + " writer " + bin; }
}
