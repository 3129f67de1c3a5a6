package org.acodm.data;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.huggingface.tokenizers.jni.TokenizersLibrary;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.acodm.config.Mappers;

/**
 * A Hugging Face {@code tokenizer.json} (GPT-NeoX-20B for Pythia), run by DJL's bindings to the Rust
 * tokenizers library, fully offline.
 *
 * <p>Two deliberate differences from loading the file as is. DJL truncates to 512 tokens and adds special
 * tokens unless told otherwise, so both are switched off. And a pure Unicode NFC normalizer (GPT-NeoX's only
 * normalizer) is skipped: it would make tokenisation lossy (a decomposed "é" comes back composed), while
 * without it the byte-level BPE still spells every string. On text that is already NFC — all but one of
 * minipile's 2,616 validation documents — the ids are exactly the original tokenizer's.
 */
public final class HuggingFaceTokenizerFile implements Tokenizer {
    private static final List<String> END_OF_DOCUMENT_NAMES = List.of("<|endoftext|>", "<|end_of_text|>", "</s>", "<eos>");

    private final String spec;
    private final HuggingFaceTokenizer tokenizer;
    private final int vocabSize;
    private final int endOfDocument;
    private final String fingerprint;
    private final String notes;

    private HuggingFaceTokenizerFile(String spec, HuggingFaceTokenizer tokenizer, int vocabSize, int eod, String fingerprint, String notes) {
        this.spec = spec;
        this.tokenizer = tokenizer;
        this.vocabSize = vocabSize;
        this.endOfDocument = eod;
        this.fingerprint = fingerprint;
        this.notes = notes;
    }

    static HuggingFaceTokenizerFile open(String spec, Path file) throws IOException {
        if (!Files.isRegularFile(file))
            throw new CorpusFormatException(file, 0, "no such file (expected a Hugging Face tokenizer.json for tokenizer spec '" + spec + "')");
        JsonNode root;
        try {
            root = Mappers.JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw new CorpusFormatException(file, 0, "not a JSON file (expected a Hugging Face tokenizer.json): " + e.getMessage(), e);
        }
        if (!(root instanceof ObjectNode obj) || !root.path("model").isObject())
            throw new CorpusFormatException(file, 0, "missing key \"model\" (expected a Hugging Face tokenizer.json)");

        int maxId = -1;
        for (JsonNode id : root.path("model").path("vocab")) maxId = Math.max(maxId, id.asInt(-1));
        Integer eod = null;
        for (JsonNode t : root.path("added_tokens")) {
            maxId = Math.max(maxId, t.path("id").asInt(-1));
        }
        for (String name : END_OF_DOCUMENT_NAMES) {
            for (JsonNode t : root.path("added_tokens")) {
                if (eod == null && name.equals(t.path("content").asText())) eod = t.path("id").asInt();
            }
        }
        if (maxId < 0) throw new CorpusFormatException(file, 0, "key \"model.vocab\" is empty (expected the token vocabulary)");
        if (eod == null)
            throw new CorpusFormatException(file, 0, "no end-of-document token among \"added_tokens\" (looked for " + END_OF_DOCUMENT_NAMES + ")");

        String notes = "";
        JsonNode norm = root.path("normalizer");
        if (norm.isObject() && "NFC".equals(norm.path("type").asText())) {
            obj.set("normalizer", NullNode.getInstance());
            notes = "NFC normalizer skipped so tokenisation is lossless";
        }
        byte[] json = Mappers.JSON.writeValueAsBytes(obj);
        HuggingFaceTokenizer tok = HuggingFaceTokenizer.newInstance(new ByteArrayInputStream(json), Map.of(
                "addSpecialTokens", "false",
                "truncation", "false",
                "padding", "false",
                "withOverflowingTokens", "false",
                "cleanUpTokenization", "false"));
        String fp = "hf/" + file.toAbsolutePath().normalize() + "/" + Files.size(file) + "/" + Files.getLastModifiedTime(file).toMillis() + "/" + notes;
        return new HuggingFaceTokenizerFile(spec, tok, maxId + 1, eod, fp, notes);
    }

    @Override public String spec() { return spec; }

    @Override public int vocabSize() { return vocabSize; }

    @Override public int endOfDocument() { return endOfDocument; }

    @Override public int[] encode(String text) {
        return toInts(tokenizer.encode(text, false, false).getIds());
    }

    /**
     * The Rust library's batch encode (spread over its own thread pool), keeping only the ids. DJL's public
     * {@code batchEncode} turns each result into an {@code Encoding}: eight JNI calls per document that copy out
     * type ids, word ids, sequence ids, masks, character spans and every token as a Java string, all thrown away
     * here; on minipile's validation text that cost about as much as the tokenising. The native calls are the ones
     * {@code batchEncode} makes (same handle, same {@code addSpecialTokens=false}), so the ids are identical.
     */
    @Override public int[][] encodeAll(List<String> texts) {
        long[] encodings = TokenizersLibrary.LIB.batchEncode(tokenizer.getHandle(), texts.toArray(new String[0]), false);
        int[][] out = new int[encodings.length][];
        try {
            for (int i = 0; i < encodings.length; i++) out[i] = toInts(TokenizersLibrary.LIB.getTokenIds(encodings[i]));
        } finally {
            for (long e : encodings) TokenizersLibrary.LIB.deleteEncoding(e);
        }
        return out;
    }

    @Override public String decode(int[] ids) {
        long[] l = new long[ids.length];
        for (int i = 0; i < ids.length; i++) l[i] = ids[i];
        return tokenizer.decode(l, false);
    }

    @Override public String fingerprint() { return fingerprint; }

    @Override public String notes() { return notes; }

    @Override public void close() { tokenizer.close(); }

    private static int[] toInts(long[] ids) {
        int[] out = new int[ids.length];
        for (int i = 0; i < ids.length; i++) out[i] = Math.toIntExact(ids[i]);
        return out;
    }
}
