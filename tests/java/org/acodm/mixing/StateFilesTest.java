package org.acodm.mixing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The policy-state header names the method by its key, and still reads the names written before it did. */
class StateFilesTest {
    private static final List<String> DOMAINS = List.of("Bible", "Emails");
    private static final Path FILE = Path.of("ckpt/policy/acodm.state");

    private static byte[] header(String name) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeUTF(StateFiles.MAGIC);
            out.writeInt(StateFiles.VERSION);
            out.writeUTF(name);
            StateFiles.writeStrings(out, DOMAINS);
            out.writeLong(42);
        }
        return bytes.toByteArray();
    }

    private static long read(byte[] file, MixingMethod method) throws IOException {
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(file))) {
            StateFiles.readHeader(in, FILE, method, DOMAINS);
            return in.readLong();
        }
    }

    @Test void headerCarriesTheMethodKey() throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            StateFiles.writeHeader(out, MixingMethod.FROZEN_ACTOR, DOMAINS);
            out.writeLong(42);
        }
        assertTrue(java.util.Arrays.equals(header("frozen_actor"), bytes.toByteArray()));
        assertEquals(42, read(bytes.toByteArray(), MixingMethod.FROZEN_ACTOR));
    }

    @Test void stateWrittenUnderTheFormerNamesStillLoads() throws IOException {
        assertEquals(42, read(header("ac-odm"), MixingMethod.ACODM));
        assertEquals(42, read(header("frozen-actor"), MixingMethod.FROZEN_ACTOR));
        assertEquals(42, read(header("acodm"), MixingMethod.ACODM));
        IOException other = assertThrows(IOException.class, () -> read(header("ac-odm"), MixingMethod.ODM));
        assertEquals(FILE + " holds the state of a 'ac-odm' policy, not of 'odm'", other.getMessage());
        assertThrows(IOException.class, () -> read(header("frozen-actor"), MixingMethod.ACODM));
    }
}
