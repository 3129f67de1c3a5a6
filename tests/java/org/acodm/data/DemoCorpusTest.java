package org.acodm.data;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.zip.GZIPOutputStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The demo corpus's extractors on small files in the packages' formats (tests never use the network). */
class DemoCorpusTest {
    @TempDir Path tmp;

    @Test void dictdEntriesAreCutAtTheirBase64Offsets() throws IOException {
        String a = "lambda\n  An anonymous function.\n";
        String b = "café\n  A place, in Latin-1 here: ";
        byte[] bBytes = (b + "fin\n").getBytes(StandardCharsets.ISO_8859_1);
        byte[] aBytes = a.getBytes(StandardCharsets.UTF_8);
        Path dir = Files.createDirectories(tmp.resolve("usr/share/dictd"));
        try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(dir.resolve("x.dict.dz")))) {
            out.write(aBytes);
            out.write(bBytes);
        }
        // Offsets and lengths in dictd's base64 digits: "A" = 0, "g" = 32, "BA" = 64.
        assertEquals(0, DemoCorpus.base64Number("A"));
        assertEquals(64, DemoCorpus.base64Number("BA"));
        assertEquals(-1, DemoCorpus.base64Number("A-"));
        String index = "00-database-info\tA\tB\nlambda\tA\t" + b64(aBytes.length) + "\ncafe\t" + b64(aBytes.length) + "\t" + b64(bBytes.length) + "\n";
        Files.writeString(dir.resolve("x.index"), index);
        List<String> entries = DemoCorpus.dictd(tmp, "x");
        assertEquals(List.of(a.strip(), (b + "fin").strip()), entries);
    }

    private static String b64(long v) {
        String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        StringBuilder sb = new StringBuilder();
        do { sb.insert(0, alphabet.charAt((int) (v % 64))); v /= 64; } while (v > 0);
        return sb.toString();
    }

    @Test void fortunesSplitOnPercentLines() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("usr/share/games/fortunes"));
        Files.writeString(dir.resolve("wisdom"), "First quote,\n  -- someone\n%\nSecond 50% sure.\n%\n");
        Files.writeString(dir.resolve("wisdom.dat"), "binary index, skipped");
        assertEquals(List.of("First quote,\n  -- someone", "Second 50% sure."), DemoCorpus.fortunes(tmp));
    }

    @Test void decodingNeverLosesBytes() {
        assertEquals("naïve", DemoCorpus.decode("naïve".getBytes(StandardCharsets.UTF_8)));
        assertEquals("naïve", DemoCorpus.decode("naïve".getBytes(StandardCharsets.ISO_8859_1)));
    }

    @Test void pinsAreUniqueAndFullyChecksummed() {
        var names = new HashSet<String>();
        for (DemoCorpus.Pin p : DemoCorpus.PINS) {
            assertTrue(names.add(p.name()), p.name());
            assertTrue(p.sha256().matches("[0-9a-f]{64}"), p.name());
            assertTrue(p.manager().equals("deb") || p.manager().equals("npm"));
        }
        assertTrue(DemoCorpus.PINS.size() >= 8);
    }

    @Test void sha256OfAKnownFile() throws IOException {
        Path f = Files.writeString(tmp.resolve("abc"), "abc");
        assertEquals("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", DemoCorpus.sha256(f));
    }
}
