package org.acodm.mixing;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Policy state files: every double and float reads back to the same bits (a resumed run continues bit for bit), the
 * envelope names the method and the domains, and what another policy, another run or an older acodm wrote is refused
 * with the file and the difference named.
 */
class StateFilesTest {
    private static final List<String> DOMAINS = List.of("Bible", "Emails");

    @TempDir Path dir;

    record Numbers(double[] doubles, float[] floats, long count, double[] absent) {}

    @Test void doublesAndFloatsReadBackBitForBit() throws IOException {
        SplittableRandom r = new SplittableRandom(21);
        double[] d = new double[2000];
        float[] f = new float[2000];
        for (int i = 0; i < d.length; i++) {
            // Raw bit patterns cover every exponent (subnormals included), not just values near 1.
            d[i] = Double.longBitsToDouble(r.nextLong());
            f[i] = Float.intBitsToFloat(r.nextInt());
            if (Double.isNaN(d[i])) d[i] = Double.NaN;
            if (Float.isNaN(f[i])) f[i] = Float.NaN;
        }
        double[] special = {Double.NaN, -0.0, 0.0, Double.MIN_VALUE, Double.MAX_VALUE, Double.NEGATIVE_INFINITY, 0.1, 1.0 / 3};
        float[] specialF = {Float.NaN, -0.0f, Float.MIN_VALUE, Float.MAX_VALUE, Float.POSITIVE_INFINITY, 0.1f, 1.0f / 3};
        System.arraycopy(special, 0, d, 0, special.length);
        System.arraycopy(specialF, 0, f, 0, specialF.length);
        Path file = dir.resolve("odm.json");
        StateFiles.write(file, MixingMethod.ODM, DOMAINS, new Numbers(d, f, 42, null));
        Numbers back = StateFiles.read(file, MixingMethod.ODM, DOMAINS, Numbers.class);
        for (int i = 0; i < d.length; i++) {
            assertEquals(Double.doubleToLongBits(d[i]), Double.doubleToLongBits(back.doubles()[i]), "double " + i + ": " + d[i]);
            assertEquals(Float.floatToIntBits(f[i]), Float.floatToIntBits(back.floats()[i]), "float " + i + ": " + f[i]);
        }
        assertEquals(42, back.count());
        assertEquals(null, back.absent());
    }

    @Test void anotherPolicyOtherDomainsAndOlderFilesAreRefusedByName() throws IOException {
        Path file = dir.resolve("odm.json");
        StateFiles.write(file, MixingMethod.ALIGNMENT, DOMAINS, new Numbers(new double[] {1}, new float[] {2}, 3, null));
        IOException other = assertThrows(IOException.class, () -> StateFiles.read(file, MixingMethod.ODM, DOMAINS, Numbers.class));
        assertEquals(file + " holds the state of a 'alignment' policy, not of 'odm'", other.getMessage());
        IOException domains = assertThrows(IOException.class,
                () -> StateFiles.read(file, MixingMethod.ALIGNMENT, List.of("Bible", "Github"), Numbers.class));
        assertTrue(domains.getMessage().startsWith(file + ": ") && domains.getMessage().contains("Github"), domains.getMessage());

        // A checkpoint of an acodm before JSON state: its binary file is named, with what to do.
        Path old = dir.resolve("old");
        Files.createDirectories(old);
        Files.write(old.resolve("static.state"), new byte[] {0, 18, 'a'});
        IOException binary = assertThrows(IOException.class, () -> StateFiles.read(old.resolve("static.json"), MixingMethod.STATIC, DOMAINS, Numbers.class));
        assertTrue(binary.getMessage().startsWith(old.resolve("static.state") + " holds policy state in the binary format of acodm before state version "
                + StateFiles.VERSION) && binary.getMessage().contains("cannot be resumed"), binary.getMessage());
    }

    @Test void aFieldMissingFromTheStateIsAnError() throws IOException {
        Path file = dir.resolve("static.json");
        StateFiles.write(file, MixingMethod.STATIC, DOMAINS, new Numbers(new double[] {1}, new float[] {2}, 3, null));
        Files.writeString(file, Files.readString(file).replace("\"count\" : 3,", ""));
        IOException e = assertThrows(IOException.class, () -> StateFiles.read(file, MixingMethod.STATIC, DOMAINS, Numbers.class));
        assertTrue(e.getMessage().startsWith(file + ": the saved static state is not readable: ") && e.getMessage().contains("count"), e.getMessage());
        assertArrayEquals(new double[] {1}, StateFiles.entries(new double[] {1}, 1, "weights"));
        IOException short_ = assertThrows(IOException.class, () -> StateFiles.entries(new double[] {1}, 2, "weights"));
        assertEquals("saved weights has 1 entries, expected 2", short_.getMessage());
    }
}
