package org.acodm.data;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Path;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TokenizerTest {
    private static Tokenizer neox() throws IOException {
        return Tokenizer.fromSpec("hf:" + TestData.neoxTokenizer());
    }

    @Test void byteTokenizerIsUtf8PlusEndOfDocument() throws IOException {
        try (Tokenizer t = Tokenizer.fromSpec("byte")) {
            assertEquals(257, t.vocabSize());
            assertEquals(256, t.endOfDocument());
            assertArrayEquals(new int[]{0x68, 0xC3, 0xA9, 0xF0, 0x9F, 0x98, 0x80}, t.encode("hé\uD83D\uDE00"));
            assertEquals("hé\uD83D\uDE00", t.decode(new int[]{0x68, 0xC3, 0xA9, 0xF0, 0x9F, 0x98, 0x80, 256}));
            assertThrows(IllegalArgumentException.class, () -> t.decode(new int[]{257}));
        }
    }

    @Test void neoxKnownIds() throws IOException {
        try (Tokenizer t = neox()) {
            assertArrayEquals(new int[]{12092, 1533, 2}, t.encode("Hello world!"));
            assertArrayEquals(new int[]{50274}, t.encode("    "));
            assertEquals(50277, t.vocabSize());
            assertEquals(0, t.endOfDocument());
            assertEquals("Hello world!", t.decode(new int[]{12092, 1533, 2}));
        }
    }

    @Test void neoxDoesNotTruncateLongDocuments() throws IOException {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 3000; i++) sb.append("word").append(i).append(i % 17 == 0 ? ".\n" : " ");
        String text = sb.toString();
        try (Tokenizer t = neox()) {
            int[] ids = t.encode(text);
            assertTrue(ids.length > 6000, "expected far more than DJL's default 512 tokens, got " + ids.length);
            assertEquals(text, t.decode(ids));
            assertArrayEquals(ids, t.encodeAll(List.of("x", text))[1]);
        }
    }

    /** Acceptance: the tokens of every minipile validation document decode to its exact text. */
    @Test void neoxRoundTripsEveryMinipileValidationDocument() throws IOException {
        List<TestData.Doc> docs = TestData.readIndependently(TestData.minipile().resolve("val.jsonl.zst"));
        assertEquals(2616, docs.size());
        List<String> texts = new ArrayList<>();
        for (TestData.Doc d : docs) texts.add(d.text());
        try (Tokenizer t = neox()) {
            int[][] ids = t.encodeAll(texts);
            long tokens = 0;
            for (int i = 0; i < texts.size(); i++) {
                assertEquals(texts.get(i), t.decode(ids[i]), "document " + (i + 1) + " of val.jsonl.zst (" + docs.get(i).domain() + ")");
                tokens += ids[i].length;
            }
            // ~3.4 MB of text at 2.6-5.2 bytes per token (data README): a sanity bound that catches truncation.
            assertTrue(tokens > 600_000 && tokens < 1_400_000, "tokens " + tokens);
        }
    }

    /**
     * The NFC normalizer is skipped for losslessness; on NFC text the ids must equal the unmodified tokenizer's,
     * and on the one non-NFC validation document ours round-trips where the original cannot.
     */
    @Test void skippingNfcChangesNothingOnNfcText() throws IOException {
        List<TestData.Doc> docs = TestData.readIndependently(TestData.minipile().resolve("val.jsonl.zst"));
        try (Tokenizer ours = neox();
             HuggingFaceTokenizer original = HuggingFaceTokenizer.newInstance(TestData.neoxTokenizer(),
                     Map.of("addSpecialTokens", "false", "truncation", "false", "padding", "false"))) {
            int nfc = 0;
            int nonNfc = 0;
            for (int i = 0; i < docs.size(); i += 7) {
                String text = docs.get(i).text();
                long[] o = original.encode(text, false, false).getIds();
                int[] expected = new int[o.length];
                for (int k = 0; k < o.length; k++) expected[k] = (int) o[k];
                if (Normalizer.isNormalized(text, Normalizer.Form.NFC)) {
                    assertArrayEquals(expected, ours.encode(text), "document " + (i + 1));
                    nfc++;
                }
            }
            for (TestData.Doc d : docs) {
                if (Normalizer.isNormalized(d.text(), Normalizer.Form.NFC)) continue;
                nonNfc++;
                long[] o = original.encode(d.text(), false, false).getIds();
                assertNotEquals(d.text(), original.decode(o, false), "the original tokenizer normalises this document");
                assertEquals(d.text(), ours.decode(ours.encode(d.text())));
            }
            assertTrue(nfc > 300, "compared " + nfc);
            assertEquals(1, nonNfc, "minipile val has exactly one non-NFC document");
        }
    }

    @Test void tiktokenCl100k() throws IOException {
        try (Tokenizer t = Tokenizer.fromSpec("tiktoken:cl100k_base")) {
            assertArrayEquals(new int[]{9906, 1917}, t.encode("Hello world"));
            assertEquals(100277, t.vocabSize());
            assertEquals(100257, t.endOfDocument());
            assertEquals(TokenDtype.INT32, TokenDtype.forVocabulary(t.vocabSize()));
            String s = "Special <|endoftext|> stays text, é \uD83D\uDE00";
            int[] ids = t.encode(s);
            for (int id : ids) assertNotEquals(100257, id);
            assertEquals(s, t.decode(ids));
        }
        try (Tokenizer r = Tokenizer.fromSpec("tiktoken:r50k_base")) {
            assertArrayEquals(new int[]{15496, 995}, r.encode("Hello world"));
            assertEquals(TokenDtype.UINT16, TokenDtype.forVocabulary(r.vocabSize()));
        }
    }

    @Test void badSpecsAndMissingFiles() {
        Path missing = TestData.root().resolve("no/such/tokenizer.json");
        CorpusFormatException e = assertThrows(CorpusFormatException.class, () -> Tokenizer.fromSpec("hf:" + missing));
        assertTrue(e.getMessage().startsWith(missing + ": no such file"), e.getMessage());
        assertTrue(e.getMessage().contains("expected a Hugging Face tokenizer.json"), e.getMessage());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Tokenizer.fromSpec("tiktoken:gpt5")).getMessage().contains("cl100k_base"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Tokenizer.fromSpec("sentencepiece:x")).getMessage().contains("expected byte, hf:PATH"));
        assertFalse(assertThrows(CorpusFormatException.class, () -> Tokenizer.fromSpec("hf:" + TestData.minipile().resolve("val.jsonl.zst")))
                .getMessage().isEmpty());
    }
}
