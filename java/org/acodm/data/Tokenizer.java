package org.acodm.data;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * Text to token ids and back. {@link #encode} never adds special tokens; the shard writer appends
 * {@link #endOfDocument()} after every document. Implementations are safe to call from several threads.
 */
public interface Tokenizer extends AutoCloseable {
    /** The spec this tokenizer was opened from ({@code byte}, {@code hf:PATH}, {@code tiktoken:NAME}). */
    String spec();

    /** Ids are in {@code [0, vocabSize())}; decides the shard dtype (uint16 when it fits). */
    int vocabSize();

    /** The id appended after every document. */
    int endOfDocument();

    /** The ids of {@code text}, without special tokens and without truncation. */
    int[] encode(String text);

    /** The ids of each text; implementations may parallelise internally. */
    default int[][] encodeAll(List<String> texts) {
        int[][] out = new int[texts.size()][];
        for (int i = 0; i < out.length; i++) out[i] = encode(texts.get(i));
        return out;
    }

    /**
     * Documents as rows of a token shard: each one's ids with {@link #endOfDocument()} appended, in the shard's on-disk
     * form ({@link IndexedDatasetWriter#encode}), with its token count and its text's UTF-8 length.
     */
    record ShardRows(byte[][] encoded, int[] tokens, long[] bytes) {}

    /** {@code texts} as shard rows; a tokenizer whose ids need no {@code int[]} on the way (bytes) writes them directly. */
    default ShardRows encodeForShard(List<String> texts) {
        int[][] ids = encodeAll(texts);
        byte[][] encoded = new byte[ids.length][];
        int[] tokens = new int[ids.length];
        long[] bytes = new long[ids.length];
        for (int i = 0; i < ids.length; i++) {
            encoded[i] = IndexedDatasetWriter.encode(ids[i], endOfDocument(), vocabSize());
            tokens[i] = ids[i].length + 1;
            bytes[i] = Utf8.length(texts.get(i));
        }
        return new ShardRows(encoded, tokens, bytes);
    }

    /** The text of {@code ids}; the exact inverse of {@link #encode} for every tokenizer here. */
    String decode(int[] ids);

    /**
     * A string that changes whenever the tokenizer could produce different ids (spec, file size and time),
     * so prepared shards are redone rather than reused after a tokenizer change.
     */
    String fingerprint();

    /** Notes on how this tokenizer differs from its source, recorded in the manifest ({@code ""} if none). */
    default String notes() { return ""; }

    @Override void close();

    /**
     * Opens a tokenizer from a spec: {@code byte}, {@code hf:PATH/tokenizer.json} or {@code tiktoken:NAME}
     * (r50k_base, p50k_base, p50k_edit, cl100k_base, o200k_base).
     */
    static Tokenizer fromSpec(String spec) throws IOException {
        if (spec == null || spec.isBlank()) throw new IllegalArgumentException("empty tokenizer spec: expected byte, hf:PATH or tiktoken:NAME");
        if (spec.equals("byte")) return new ByteTokenizer();
        if (spec.startsWith("hf:")) return HuggingFaceTokenizerFile.open(spec, Path.of(spec.substring(3)));
        if (spec.startsWith("tiktoken:")) return TiktokenTokenizer.open(spec, spec.substring("tiktoken:".length()));
        throw new IllegalArgumentException("unknown tokenizer spec '" + spec + "': expected byte, hf:PATH/tokenizer.json or tiktoken:NAME");
    }
}
