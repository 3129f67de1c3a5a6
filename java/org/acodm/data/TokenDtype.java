package org.acodm.data;

/** Token element types of the MMIDIDX format that shards use, with Megatron's dtype codes. */
public enum TokenDtype {
    UINT16(8, 2), INT32(4, 4);

    private final int code;
    private final int bytes;

    TokenDtype(int code, int bytes) { this.code = code; this.bytes = bytes; }

    /** Megatron's dtype code, stored in the {@code .idx} header. */
    public int code() { return code; }

    /** Bytes per token in the {@code .bin}. */
    public int bytes() { return bytes; }

    /** uint16 when every id fits (half the disk and page cache), else int32. */
    public static TokenDtype forVocabulary(int vocabSize) { return vocabSize <= 65536 ? UINT16 : INT32; }

    static TokenDtype fromCode(int code) {
        for (TokenDtype d : values()) if (d.code == code) return d;
        return null;
    }
}
