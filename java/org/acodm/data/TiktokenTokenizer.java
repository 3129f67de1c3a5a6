package org.acodm.data;

import com.knuddels.jtokkit.Encodings;
import com.knuddels.jtokkit.api.Encoding;
import com.knuddels.jtokkit.api.EncodingType;
import com.knuddels.jtokkit.api.IntArrayList;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;

/**
 * OpenAI's tiktoken encodings through jtokkit (the ranks ship inside its jar). Text is encoded as ordinary
 * text: a literal {@code <|endoftext|>} in a document stays text, as tiktoken's {@code encode_ordinary} does
 * for training data.
 */
public final class TiktokenTokenizer implements Tokenizer {
    /** {vocabulary size including special tokens, end-of-text id}, from each encoding's published definition. */
    private static final Map<EncodingType, int[]> SIZES = Map.of(
            EncodingType.R50K_BASE, new int[]{50257, 50256},
            EncodingType.P50K_BASE, new int[]{50281, 50256},
            EncodingType.P50K_EDIT, new int[]{50284, 50256},
            EncodingType.CL100K_BASE, new int[]{100277, 100257},
            EncodingType.O200K_BASE, new int[]{200019, 199999});

    private final String spec;
    private final Encoding encoding;
    private final int vocabSize;
    private final int endOfDocument;

    private TiktokenTokenizer(String spec, Encoding encoding, int vocabSize, int eod) {
        this.spec = spec;
        this.encoding = encoding;
        this.vocabSize = vocabSize;
        this.endOfDocument = eod;
    }

    static TiktokenTokenizer open(String spec, String name) {
        EncodingType type = EncodingType.fromName(name).orElseThrow(() -> new IllegalArgumentException(
                "unknown tiktoken encoding '" + name + "' in tokenizer spec '" + spec + "': expected one of "
                        + Arrays.stream(EncodingType.values()).map(EncodingType::getName).toList()));
        int[] s = SIZES.get(type);
        return new TiktokenTokenizer(spec, Encodings.newDefaultEncodingRegistry().getEncoding(type), s[0], s[1]);
    }

    @Override public String spec() { return spec; }

    @Override public int vocabSize() { return vocabSize; }

    @Override public int endOfDocument() { return endOfDocument; }

    @Override public int[] encode(String text) { return encoding.encodeOrdinary(text).toArray(); }

    @Override public String decode(int[] ids) {
        IntArrayList l = new IntArrayList(ids.length);
        for (int id : ids) l.add(id);
        return new String(encoding.decodeBytes(l), StandardCharsets.UTF_8);
    }

    @Override public String fingerprint() { return "tiktoken/" + encoding.getName() + "/jtokkit-1"; }

    @Override public void close() {}
}
