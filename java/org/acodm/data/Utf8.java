package org.acodm.data;

/**
 * Strict UTF-8 validation of raw line bytes. JSON parsers accept some invalid sequences (overlong forms,
 * encoded surrogates), and a silently repaired byte would make token counts disagree with the source, so
 * every line is checked before it is parsed. ASCII runs, the common case, cost one comparison per byte.
 */
final class Utf8 {
    private Utf8() {}

    /** Returns -1 when {@code b[off, off+len)} is valid UTF-8, else the offset (from {@code off}) of the first bad byte. */
    static int firstInvalid(byte[] b, int off, int len) {
        int i = off;
        int end = off + len;
        while (i < end) {
            int c = b[i];
            if (c >= 0) { i++; continue; }
            c &= 0xFF;
            int need;
            int min;
            if (c >= 0xC2 && c <= 0xDF) { need = 1; min = 0x80; }
            else if (c >= 0xE0 && c <= 0xEF) { need = 2; min = 0x800; }
            else if (c >= 0xF0 && c <= 0xF4) { need = 3; min = 0x10000; }
            else return i - off;
            if (i + need >= end) return i - off; // sequence cut off by the end of the line
            int cp = c & (0x3F >> need);
            for (int k = 1; k <= need; k++) {
                int cc = b[i + k] & 0xFF;
                if ((cc & 0xC0) != 0x80) return i - off;
                cp = (cp << 6) | (cc & 0x3F);
            }
            if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return i - off;
            i += need + 1;
        }
        return -1;
    }

    /** UTF-8 length without encoding; the string is valid (a reader checked it), so surrogates come in pairs. */
    static long length(String s) {
        long n = 0;
        int len = s.length();
        for (int i = 0; i < len; i++) {
            char c = s.charAt(i);
            if (c < 0x80) n++;
            else if (c < 0x800) n += 2;
            else if (Character.isHighSurrogate(c)) { n += 4; i++; }
            else n += 3;
        }
        return n;
    }
}
