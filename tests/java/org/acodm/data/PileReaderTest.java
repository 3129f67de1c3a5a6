package org.acodm.data;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PileReaderTest {
    @TempDir Path tmp;

    private static List<PileDocument> readAll(Path f, PileReader.Options o) throws IOException {
        List<PileDocument> docs = new ArrayList<>();
        try (PileReader r = PileReader.open(f, o)) {
            PileDocument d;
            while ((d = r.next()) != null) docs.add(d);
        }
        return docs;
    }

    private static CorpusFormatException failure(Path f, PileReader.Options o) {
        return assertThrows(CorpusFormatException.class, () -> readAll(f, o));
    }

    private static void assertNames(CorpusFormatException e, Path file, int line, String... expected) {
        String m = e.getMessage();
        assertTrue(m.startsWith(file + (line > 0 ? ":" + line + ":" : ":")), "message should start with FILE:LINE: " + m);
        for (String x : expected) assertTrue(m.contains(x), "message should contain '" + x + "': " + m);
    }

    @Test void plainAndZstdGiveTheSameDocuments() throws IOException {
        List<String> lines = List.of(
                TestData.pileLine("héllo\nwörld \uD83D\uDE00 \"quoted\"", "A"),
                "",
                "{\"meta\": {\"other\": [1, {\"x\": 2}], \"pile_set_name\": \"B\"}, \"id\": 7, \"text\": \"second\\u00e9\"}\r",
                TestData.pileLine("", "A"));
        Path plain = TestData.writeLines(tmp.resolve("a.jsonl"), lines);
        Path zst = TestData.writeLines(tmp.resolve("a.jsonl.zst"), lines);
        List<PileDocument> p = readAll(plain, PileReader.Options.pile());
        List<PileDocument> z = readAll(zst, PileReader.Options.pile());
        assertEquals(p, z);
        assertEquals(3, p.size());
        assertEquals(new PileDocument("héllo\nwörld \uD83D\uDE00 \"quoted\"", "A", 1), p.get(0));
        assertEquals(new PileDocument("secondé", "B", 3), p.get(1)); // blank line 2 skipped, \r stripped
        assertEquals(new PileDocument("", "A", 4), p.get(2));
    }

    /**
     * {@code corpus split} rewrites a document's domain in its raw line: only the value's bytes change, whatever comes
     * before it (multi-byte UTF-8, escapes, a decoy key in an array, a line longer than the reader's 1 MB buffer).
     */
    @Test void lastLineWithDomainReplacesOnlyTheDomainValue() throws IOException {
        String big = "x".repeat(1_500_000);
        List<String> lines = List.of(
                "{\"text\": \"héllo \uD83D\uDE00 ü\", \"meta\": {\"pile_set_name\": \"A\", \"n\": 0.10000000000000000555}, \"id\": 7}",
                "{\"meta\":{\"tags\":[{\"pile_set_name\":\"decoy\"}],\"pile_set_name\":\"B\\u00e9\\\"q\"},\"text\":\"日本\"}\r",
                "{\"text\": \"" + big + "\", \"meta\": {\"pile_set_name\": \"C\"}}",
                "{\"meta\": {\"pile_set_name\": \"D\"}, \"text\": \"after the big one\"}");
        List<String> expected = List.of(
                lines.get(0).replace("\"A\"", "\"A-1\""),
                lines.get(1).replace("\"B\\u00e9\\\"q\"", "\"é-2\"").replace("\r", ""),
                lines.get(2).replace("\"C\"", "\"\\\"C\\\"\""),
                lines.get(3).replace("\"D\"", "\"D-4\""));
        List<String> domains = List.of("A-1", "é-2", "\"C\"", "D-4");
        for (String name : List.of("r.jsonl", "r.jsonl.zst")) {
            Path f = TestData.writeLines(tmp.resolve(name), lines);
            try (PileReader r = PileReader.open(f, PileReader.Options.pile())) {
                for (int i = 0; i < lines.size(); i++) {
                    assertTrue(r.next() != null);
                    assertEquals(expected.get(i), new String(r.lastLineWithDomain(domains.get(i)), StandardCharsets.UTF_8), name + " line " + (i + 1));
                }
                assertNull(r.next());
                assertThrows(IllegalStateException.class, () -> r.lastLineWithDomain("E"));
            }
        }
        Path top = TestData.writeLines(tmp.resolve("top.jsonl"), List.of("{\"source\":\"S\",\"text\":\"t\"}"));
        try (PileReader r = PileReader.open(top, PileReader.Options.pile().withDomainField("source"))) {
            r.next();
            assertEquals("{\"source\":\"S-1\",\"text\":\"t\"}", new String(r.lastLineWithDomain("S-1"), StandardCharsets.UTF_8));
        }
    }

    @Test void domainFieldIsConfigurable() throws IOException {
        Path f = TestData.writeLines(tmp.resolve("slim.jsonl"), List.of(
                "{\"text\": \"t\", \"meta\": {\"redpajama_set_name\": \"RedPajamaArXiv\", \"pile_set_name\": \"no\"}}"));
        assertEquals("RedPajamaArXiv", readAll(f, PileReader.Options.pile().withDomainField("meta.redpajama_set_name")).get(0).domain());
    }

    @Test void readsEveryMinipileValidationDocument() throws IOException {
        Path val = TestData.minipile().resolve("val.jsonl.zst");
        List<PileDocument> docs = readAll(val, PileReader.Options.pile());
        List<TestData.Doc> ref = TestData.readIndependently(val);
        assertEquals(2616, docs.size());
        assertEquals(ref.size(), docs.size());
        for (int i = 0; i < docs.size(); i++) {
            assertEquals(ref.get(i).text(), docs.get(i).text(), "doc " + i);
            assertEquals(ref.get(i).domain(), docs.get(i).domain(), "doc " + i);
        }
        assertEquals(16, docs.stream().map(PileDocument::domain).distinct().count());
    }

    @Test void truncatedZstdNamesTheFile() throws IOException {
        byte[] all = Files.readAllBytes(TestData.minipile().resolve("val.jsonl.zst"));
        Path cut = tmp.resolve("val.jsonl.zst");
        Files.write(cut, Arrays.copyOf(all, all.length / 2));
        CorpusFormatException e = failure(cut, PileReader.Options.pile().withMaxBadLines(1000));
        assertNames(e, cut, (int) e.line(), "compressed data ends early", "truncated");
        assertTrue(e.line() > 1000, "the error should point past the lines read before the cut, got " + e.line());
    }

    @Test void invalidUtf8NamesFileLineAndByte() throws IOException {
        byte[] good = TestData.pileLine("ok", "A").getBytes(StandardCharsets.UTF_8);
        byte[] bad = TestData.pileLine("caf\u00e9", "A").getBytes(StandardCharsets.UTF_8);
        // Replace é's two bytes (C3 A9) by a Latin-1 é (E9) followed by a space: E9 opens a 3-byte sequence that never completes.
        String s = new String(bad, StandardCharsets.ISO_8859_1).replace("\u00c3\u00a9", "\u00e9 ");
        Path f = TestData.write(tmp.resolve("latin1.jsonl"), List.of(good, s.getBytes(StandardCharsets.ISO_8859_1)));
        assertNames(failure(f, PileReader.Options.pile()), f, 2, "byte 0xE9", "not valid UTF-8");
        // An overlong encoding of '/' (C0 AF), which lenient decoders accept.
        Path g = TestData.write(tmp.resolve("overlong.jsonl"), List.of(good, good,
                new byte[]{'{', '"', 't', 'e', 'x', 't', '"', ':', '"', (byte) 0xC0, (byte) 0xAF, '"', '}'}));
        assertNames(failure(g, PileReader.Options.pile()), g, 3, "byte 0xC0", "not valid UTF-8");
    }

    @Test void lineThatIsNotJson() throws IOException {
        Path f = TestData.writeLines(tmp.resolve("a.jsonl"), List.of(TestData.pileLine("x", "A"), "{\"text\": \"unterminated"));
        assertNames(failure(f, PileReader.Options.pile()), f, 2, "not valid JSON");
        Path g = TestData.writeLines(tmp.resolve("b.jsonl"), List.of("[1, 2]"));
        assertNames(failure(g, PileReader.Options.pile()), g, 1, "expected a JSON object, found an array");
        Path h = TestData.writeLines(tmp.resolve("c.jsonl"), List.of(TestData.pileLine("x", "A") + " {}"));
        assertNames(failure(h, PileReader.Options.pile()), h, 1, "one object per line");
    }

    @Test void missingOrWrongTypedFields() throws IOException {
        Path noDomain = TestData.writeLines(tmp.resolve("d.jsonl"), List.of("{\"text\": \"x\", \"meta\": {}}"));
        assertNames(failure(noDomain, PileReader.Options.pile()), noDomain, 1, "missing key \"meta.pile_set_name\"", "expected a string");
        Path metaNotObject = TestData.writeLines(tmp.resolve("m.jsonl"), List.of("{\"text\": \"x\", \"meta\": \"Github\"}"));
        assertNames(failure(metaNotObject, PileReader.Options.pile()), metaNotObject, 1, "missing key \"meta.pile_set_name\"");
        Path numDomain = TestData.writeLines(tmp.resolve("n.jsonl"), List.of("{\"text\": \"x\", \"meta\": {\"pile_set_name\": 3}}"));
        assertNames(failure(numDomain, PileReader.Options.pile()), numDomain, 1, "key \"meta.pile_set_name\" is a number, expected a string");
        Path noText = TestData.writeLines(tmp.resolve("t.jsonl"), List.of("{\"meta\": {\"pile_set_name\": \"A\"}}"));
        assertNames(failure(noText, PileReader.Options.pile()), noText, 1, "missing key \"text\"");
        Path arrText = TestData.writeLines(tmp.resolve("u.jsonl"), List.of("{\"text\": [\"a\"], \"meta\": {\"pile_set_name\": \"A\"}}"));
        assertNames(failure(arrText, PileReader.Options.pile()), arrText, 1, "key \"text\" is an array, expected a string");
        Path nullText = TestData.writeLines(tmp.resolve("v.jsonl"), List.of("{\"text\": null, \"meta\": {\"pile_set_name\": \"A\"}}"));
        assertNames(failure(nullText, PileReader.Options.pile()), nullText, 1, "key \"text\" is null");
    }

    @Test void emptyDomainName() throws IOException {
        Path f = TestData.writeLines(tmp.resolve("e.jsonl"), List.of(TestData.pileLine("x", "A"), TestData.pileLine("y", " ")));
        assertNames(failure(f, PileReader.Options.pile()), f, 2, "key \"meta.pile_set_name\" is an empty string, expected a domain name");
    }

    @Test void badLinesAreSkippedUpToTheLimitPerFileAndReported() throws IOException {
        Path f = TestData.writeLines(tmp.resolve("bad.jsonl"), List.of(
                TestData.pileLine("a", "A"), "not json", TestData.pileLine("b", "A"), "{\"text\": 1, \"meta\": {\"pile_set_name\": \"A\"}}",
                TestData.pileLine("c", "B")));
        try (PileReader r = PileReader.open(f, PileReader.Options.pile().withMaxBadLines(2))) {
            assertEquals("a", r.next().text());
            assertEquals("b", r.next().text());
            assertEquals("c", r.next().text());
            assertNull(r.next());
            PileReader.BadLines bad = r.badLines();
            assertEquals(2, bad.count());
            assertTrue(bad.examples().get(0).startsWith(f + ":2: not valid JSON"), bad.examples().get(0));
            assertTrue(bad.examples().get(1).startsWith(f + ":4: key \"text\" is a number"), bad.examples().get(1));
        }
        CorpusFormatException e = failure(f, PileReader.Options.pile().withMaxBadLines(1));
        assertNames(e, f, 4, "more than --max-bad-lines 1 bad lines in this file");
        assertNames(failure(f, PileReader.Options.pile()), f, 2, "--max-bad-lines N skips");
    }

    @Test void wrongFileKind() {
        Path f = tmp.resolve("corpus.json.gz");
        assertTrue(assertThrows(CorpusFormatException.class, () -> PileReader.open(f, PileReader.Options.pile()))
                .getMessage().contains("expected a .jsonl or .jsonl.zst file"));
        Path missing = tmp.resolve("missing.jsonl");
        assertTrue(assertThrows(CorpusFormatException.class, () -> PileReader.open(missing, PileReader.Options.pile()))
                .getMessage().startsWith(missing + ": no such file"));
    }

    @Test void utf8ValidatorAgreesWithTheJdkOnEdgeCases() {
        byte[][] valid = {"a".getBytes(), "\u00e9".getBytes(StandardCharsets.UTF_8), "\u20ac".getBytes(StandardCharsets.UTF_8),
                "\uD83D\uDE00".getBytes(StandardCharsets.UTF_8), {(byte) 0xF4, (byte) 0x8F, (byte) 0xBF, (byte) 0xBF}};
        byte[][] invalid = {{(byte) 0x80}, {(byte) 0xC3}, {(byte) 0xE0, (byte) 0x80, (byte) 0x80}, {(byte) 0xED, (byte) 0xA0, (byte) 0x80},
                {(byte) 0xF4, (byte) 0x90, (byte) 0x80, (byte) 0x80}, {(byte) 0xF5, (byte) 0x80, (byte) 0x80, (byte) 0x80}, {(byte) 0xFF}};
        for (byte[] v : valid) assertEquals(-1, Utf8.firstInvalid(v, 0, v.length), Arrays.toString(v));
        for (byte[] v : invalid) assertEquals(0, Utf8.firstInvalid(v, 0, v.length), Arrays.toString(v));
    }
}
