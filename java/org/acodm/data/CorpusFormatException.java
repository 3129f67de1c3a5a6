package org.acodm.data;

import java.io.IOException;
import java.nio.file.Path;

/**
 * Input that does not have the expected shape. The message always starts with {@code FILE:LINE:} (or just
 * {@code FILE:} when no line applies) so a user can open the file at the spot.
 */
public final class CorpusFormatException extends IOException {
    private static final long serialVersionUID = 1L;
    private final transient Path file;
    private final long line;

    public CorpusFormatException(Path file, long line, String problem) {
        this(file, line, problem, null);
    }

    public CorpusFormatException(Path file, long line, String problem, Throwable cause) {
        super(file + (line > 0 ? ":" + line : "") + ": " + problem, cause);
        this.file = file;
        this.line = line;
    }

    /** The file the problem is in. */
    public Path file() { return file; }

    /** 1-based line number, or 0 when the problem is not tied to one line. */
    public long line() { return line; }

    /** The message without the {@code FILE:LINE:} prefix. */
    public String problem() {
        String m = getMessage();
        String prefix = file + (line > 0 ? ":" + line : "") + ": ";
        return m.startsWith(prefix) ? m.substring(prefix.length()) : m;
    }
}
