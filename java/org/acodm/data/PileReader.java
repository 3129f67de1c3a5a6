package org.acodm.data;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.github.luben.zstd.ZstdInputStream;

import java.io.Closeable;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.acodm.config.Mappers;

/**
 * Streams the documents of one Pile-style file ({@code .jsonl} or {@code .jsonl.zst}): one JSON object per
 * line, the text and the domain name at configurable key paths. Memory is bounded by the longest line, not
 * by the file. Every problem names the file and line; up to {@code maxBadLines} bad lines per file are
 * skipped and counted instead of failing, but a damaged compressed stream always fails, since nothing after
 * the damage can be trusted.
 */
public final class PileReader implements Closeable {
    /** How to read a file. */
    public record Options(FieldPath textField, FieldPath domainField, int maxBadLines) {
        public Options {
            if (maxBadLines < 0) throw new IllegalArgumentException("maxBadLines must be >= 0, got " + maxBadLines);
        }

        /** The Pile's keys ({@code text}, {@code meta.pile_set_name}), no bad line tolerated. */
        public static Options pile() { return new Options(FieldPath.parse("text"), FieldPath.parse("meta.pile_set_name"), 0); }

        public Options withDomainField(String dotted) { return new Options(textField, FieldPath.parse(dotted), maxBadLines); }

        public Options withMaxBadLines(int n) { return new Options(textField, domainField, n); }
    }

    /** The bad lines skipped in one file: how many, and the first few messages. */
    public record BadLines(Path file, int count, List<String> examples) {}

    private static final int MAX_EXAMPLES = 5;
    // Pile documents can be tens of MB (a whole book); the shared mapper lifts Jackson's 20 MB string limit.
    private static final JsonFactory JSON = Mappers.JSON.getFactory();

    private final Path file;
    private final Options options;
    private final CountingInputStream raw;
    private final InputStream in;
    private byte[] buf = new byte[1 << 20];
    private int start;   // first unread byte in buf
    private int limit;   // end of valid bytes in buf
    private boolean eof;
    private long lineNo;
    // The line of the document next() returned last (in buf) and its domain value's bytes within it, quotes included.
    private int lineOff, lineLen, domainFrom, domainTo;
    private int badCount;
    private final List<String> badExamples = new ArrayList<>();

    private PileReader(Path file, Options options) throws IOException {
        this.file = file;
        this.options = options;
        String name = file.getFileName().toString();
        if (!name.endsWith(".jsonl") && !name.endsWith(".jsonl.zst"))
            throw new CorpusFormatException(file, 0, "expected a .jsonl or .jsonl.zst file");
        InputStream fin;
        try {
            fin = Files.newInputStream(file);
        } catch (NoSuchFileException e) {
            throw new CorpusFormatException(file, 0, "no such file", e);
        }
        this.raw = new CountingInputStream(fin);
        InputStream decoded = raw;
        if (name.endsWith(".zst")) {
            try {
                decoded = new ZstdInputStream(raw);
            } catch (IOException e) {
                raw.close();
                throw new CorpusFormatException(file, 0, "not a zstd stream: " + e.getMessage(), e);
            }
        }
        this.in = decoded;
    }

    /** Opens {@code file}; its format is decided by the name ({@code .jsonl} or {@code .jsonl.zst}). */
    public static PileReader open(Path file, Options options) throws IOException {
        return new PileReader(file, options);
    }

    public Path file() { return file; }

    /** Bytes of the file (compressed, for {@code .zst}) consumed so far; drives progress and ETA. */
    public long bytesRead() { return raw.count; }

    /** Bad lines skipped so far in this file. */
    public BadLines badLines() { return new BadLines(file, badCount, List.copyOf(badExamples)); }

    /** The next document, or {@code null} at the end of the file. */
    public PileDocument next() throws IOException {
        lineLen = 0;  // reading on may move the buffer's bytes: the last line is only there until the next call
        while (true) {
            int nl = nextLine();
            if (nl < 0) return null;
            int off = start;
            int len = nl - start;
            start = nl + 1;
            if (len > 0 && buf[off + len - 1] == '\r') len--;
            if (isBlank(buf, off, len)) continue; // blank lines (a trailing newline, editors) carry no document
            try {
                PileDocument d = parse(off, len);
                lineOff = off;
                lineLen = len;
                return d;
            } catch (CorpusFormatException e) {
                if (badCount >= options.maxBadLines()) {
                    String hint = options.maxBadLines() == 0
                            ? " (--max-bad-lines N skips up to N bad lines per file)"
                            : " (more than --max-bad-lines " + options.maxBadLines() + " bad lines in this file)";
                    throw new CorpusFormatException(file, e.line(), e.problem() + hint, e.getCause());
                }
                badCount++;
                if (badExamples.size() < MAX_EXAMPLES) badExamples.add(e.getMessage());
            }
        }
    }

    /**
     * The line of the document {@link #next} returned last, exactly as in the file (without its line break) except that
     * its domain value is {@code domain}: every other field and byte is kept ({@code acodm corpus split} relabels
     * documents this way, so nothing it does not mean to change goes through a JSON round trip).
     */
    public byte[] lastLineWithDomain(String domain) throws IOException {
        if (lineLen == 0) throw new IllegalStateException(file + ": the last call to next() returned no document");
        byte[] value = Mappers.JSON.writeValueAsBytes(domain);
        byte[] out = new byte[lineLen - (domainTo - domainFrom) + value.length];
        System.arraycopy(buf, lineOff, out, 0, domainFrom);
        System.arraycopy(value, 0, out, domainFrom, value.length);
        System.arraycopy(buf, lineOff + domainTo, out, domainFrom + value.length, lineLen - domainTo);
        return out;
    }

    /** Index in {@code buf} of the next '\n' (or of the end of a last line without one), or -1 at end of file. */
    private int nextLine() throws IOException {
        int scanFrom = start;
        while (true) {
            for (int i = scanFrom; i < limit; i++) {
                if (buf[i] == '\n') { lineNo++; return i; }
            }
            if (eof) {
                if (start < limit) { // last line without a newline
                    lineNo++;
                    if (limit == buf.length) grow();
                    return limit;
                }
                return -1;
            }
            scanFrom = limit - start;
            fill();
            // fill() moves the unread bytes to the front of buf, so scanning resumes at the same content.
        }
    }

    private void fill() throws IOException {
        if (start > 0) {
            System.arraycopy(buf, start, buf, 0, limit - start);
            limit -= start;
            start = 0;
        }
        if (limit == buf.length) grow();
        int n;
        try {
            n = in.read(buf, limit, buf.length - limit);
        } catch (IOException e) {
            throw new CorpusFormatException(file, lineNo + 1,
                    "the compressed data ends early or is damaged (truncated download?): " + e.getMessage(), e);
        }
        if (n < 0) eof = true; else limit += n;
    }

    private void grow() {
        if (buf.length >= Integer.MAX_VALUE - 16)
            throw new IllegalStateException(file + ":" + (lineNo + 1) + ": line longer than 2 GB");
        buf = java.util.Arrays.copyOf(buf, (int) Math.min(Integer.MAX_VALUE - 16L, buf.length * 2L));
    }

    private static boolean isBlank(byte[] b, int off, int len) {
        for (int i = off; i < off + len; i++) {
            byte c = b[i];
            if (c != ' ' && c != '\t' && c != '\r') return false;
        }
        return true;
    }

    private PileDocument parse(int off, int len) throws CorpusFormatException {
        int bad = Utf8.firstInvalid(buf, off, len);
        if (bad >= 0)
            throw new CorpusFormatException(file, lineNo, String.format(
                    "byte 0x%02X at byte %d of the line is not valid UTF-8 (expected UTF-8 encoded JSON)",
                    buf[off + bad] & 0xFF, bad + 1));
        String[] found = new String[2];
        JsonToken[] kinds = new JsonToken[2];
        try (JsonParser p = JSON.createParser(buf, off, len)) {
            JsonToken t = p.nextToken();
            if (t != JsonToken.START_OBJECT)
                throw new CorpusFormatException(file, lineNo, "expected a JSON object, found " + describe(t));
            scanObject(p, 0, 3, found, kinds);
            JsonToken after = p.nextToken();
            if (after != null)
                throw new CorpusFormatException(file, lineNo, "unexpected content after the JSON object (expected one object per line)");
        } catch (JsonProcessingException e) {
            throw new CorpusFormatException(file, lineNo, "not valid JSON at column "
                    + e.getLocation().getColumnNr() + ": " + e.getOriginalMessage().lines().findFirst().orElse(""), e);
        } catch (IOException e) {
            throw new CorpusFormatException(file, lineNo, "not valid JSON: " + e.getMessage(), e);
        }
        String text = require(found[0], kinds[0], options.textField(), "the document text");
        String domain = require(found[1], kinds[1], options.domainField(), "the domain name (set --domain-field for other corpora)");
        if (domain.isBlank())
            throw new CorpusFormatException(file, lineNo, "key \"" + options.domainField() + "\" is an empty string, expected a domain name");
        return new PileDocument(text, domain, lineNo);
    }

    private String require(String value, JsonToken kind, FieldPath path, String what) throws CorpusFormatException {
        if (value != null) return value;
        if (kind == null) throw new CorpusFormatException(file, lineNo, "missing key \"" + path + "\" (expected a string: " + what + ")");
        throw new CorpusFormatException(file, lineNo, "key \"" + path + "\" is " + describe(kind) + ", expected a string: " + what);
    }

    /**
     * Walks an object whose START_OBJECT was just read, at key depth {@code depth}, capturing the values of
     * the text path (slot 0) and the domain path (slot 1); everything else is skipped without building it.
     * {@code active} has bit s set while the keys above this object match path s.
     */
    private void scanObject(JsonParser p, int depth, int active, String[] found, JsonToken[] kinds) throws IOException {
        JsonToken t;
        while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            JsonToken v = p.nextToken();
            int descend = 0;
            for (int s = 0; s < 2; s++) {
                FieldPath fp = s == 0 ? options.textField() : options.domainField();
                if ((active & (1 << s)) == 0 || !fp.keys().get(depth).equals(name)) continue;
                if (depth == fp.depth() - 1) {
                    kinds[s] = v;
                    found[s] = v == JsonToken.VALUE_STRING ? p.getText() : null;
                    if (s == 1 && found[s] != null) {
                        // Offsets count from the line's start; after getText the parser stands past the closing quote.
                        domainFrom = (int) p.currentTokenLocation().getByteOffset();
                        domainTo = (int) p.currentLocation().getByteOffset();
                    }
                } else if (v == JsonToken.START_OBJECT) {
                    descend |= 1 << s;
                } // else an intermediate key that is not an object: the path does not exist, reported as missing
            }
            if (descend != 0) scanObject(p, depth + 1, descend, found, kinds);
            else if (v == JsonToken.START_OBJECT || v == JsonToken.START_ARRAY) p.skipChildren();
        }
        if (t != JsonToken.END_OBJECT) throw new IOException("expected a key or '}', found " + describe(t));
    }

    private static String describe(JsonToken t) {
        if (t == null) return "nothing";
        switch (t) {
            case START_OBJECT: return "an object";
            case START_ARRAY: return "an array";
            case VALUE_STRING: return "a string";
            case VALUE_NUMBER_INT: case VALUE_NUMBER_FLOAT: return "a number";
            case VALUE_TRUE: case VALUE_FALSE: return "a boolean";
            case VALUE_NULL: return "null";
            default: return t.toString();
        }
    }

    @Override public void close() throws IOException {
        in.close();
    }

    /** Counts the bytes taken from the file, under any decompression. */
    private static final class CountingInputStream extends FilterInputStream {
        long count;

        CountingInputStream(InputStream in) { super(in); }

        @Override public int read() throws IOException {
            int b = super.read();
            if (b >= 0) count++;
            return b;
        }

        @Override public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, len);
            if (n > 0) count += n;
            return n;
        }

        @Override public long skip(long n) throws IOException {
            long s = super.skip(n);
            count += s;
            return s;
        }
    }
}
