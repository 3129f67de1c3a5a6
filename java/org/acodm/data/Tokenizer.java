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
