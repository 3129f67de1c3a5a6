package org.acodm.data;

import java.nio.charset.StandardCharsets;

/**
 * Ids 0..255 are the UTF-8 bytes of the text, 256 ends a document. Needs no file, so the CPU demos and tests
 * run anywhere; bits per byte fall straight out of its loss.
 */
public final class ByteTokenizer implements Tokenizer {
    public static final int END_OF_DOCUMENT = 256;

    @Override public String spec() { return "byte"; }

    @Override public int vocabSize() { return 257; }

    @Override public int endOfDocument() { return END_OF_DOCUMENT; }

    @Override public int[] encode(String text) {
        byte[] b = text.getBytes(StandardCharsets.UTF_8);
        int[] ids = new int[b.length];
        for (int i = 0; i < b.length; i++) ids[i] = b[i] & 0xFF;
        return ids;
    }

    /** The document's shard form: each UTF-8 byte as a little-endian uint16, then end-of-document. */
    static byte[] encodeUint16(String text) {
        byte[] b = text.getBytes(StandardCharsets.UTF_8);
        byte[] out = new byte[2 * b.length + 2];
        for (int i = 0; i < b.length; i++) out[2 * i] = b[i]; // high bytes stay 0
        out[2 * b.length] = (byte) END_OF_DOCUMENT;
        out[2 * b.length + 1] = (byte) (END_OF_DOCUMENT >>> 8);
        return out;
    }

    /**
     * Byte tokens are the UTF-8 bytes themselves: widened straight to uint16, without the int[] round trip, which is most
     * of the tokeniser's cost at this speed.
     */
    @Override public ShardRows encodeForShard(java.util.List<String> texts) {
        byte[][] encoded = new byte[texts.size()][];
        int[] tokens = new int[encoded.length];
        long[] bytes = new long[encoded.length];
        for (int i = 0; i < encoded.length; i++) {
            encoded[i] = encodeUint16(texts.get(i));
            tokens[i] = encoded[i].length / 2;
            bytes[i] = tokens[i] - 1;
        }
        return new ShardRows(encoded, tokens, bytes);
    }

    @Override public String decode(int[] ids) {
        byte[] b = new byte[ids.length];
        int n = 0;
        for (int id : ids) {
            if (id < 0 || id > END_OF_DOCUMENT) throw new IllegalArgumentException("id " + id + " is outside the byte vocabulary [0, 257)");
            if (id != END_OF_DOCUMENT) b[n++] = (byte) id;
        }
        return new String(b, 0, n, StandardCharsets.UTF_8);
    }

    @Override public String fingerprint() { return "byte/1"; }

    @Override public void close() {}
}
