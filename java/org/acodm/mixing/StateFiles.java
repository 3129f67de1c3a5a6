package org.acodm.mixing;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.acodm.io.AtomicFile;

/**
 * Binary policy state files: a magic string, a version, the method's key and the domains, then the policy's own
 * fields. Doubles are written bit for bit (NaN included), so a restored policy is exactly the saved one. Files
 * are written through {@link AtomicFile}: a crash never leaves a file that looks complete.
 */
final class StateFiles {
    static final String MAGIC = "acodm-policy-state";
    /**
     * Version 2: AC-ODM's state gained the smoothed scores, the prior and new counters. Version 3 (issue 18): the
     * domain scores of AC-ODM and the closed form became accumulated advantages with standard errors, and AC-ODM and
     * the frozen actor gained the state layout and the critic's form.
     */
    static final int VERSION = 3;
    /** The oldest version each method still reads: the layouts of the others did not change since version 1. */
    private static final Map<MixingMethod, Integer> OLDEST_READABLE =
            Map.of(MixingMethod.ACODM, 3, MixingMethod.ALIGNMENT, 3, MixingMethod.FROZEN_ACTOR, 3);

    interface Writer { void write(DataOutputStream out) throws IOException; }
    interface Reader<T> { T read(DataInputStream in) throws IOException; }

    private StateFiles() {}

    /** Writes a state file through {@link AtomicFile}. */
    static void write(Path file, Writer body) throws IOException {
        AtomicFile.write(file, out -> {
            DataOutputStream data = new DataOutputStream(out);
            body.write(data);
            data.flush();
        });
    }

    static <T> T read(Path file, Reader<T> body) throws IOException {
        if (!Files.isRegularFile(file)) throw new NoSuchFileException(file.toString(), null, "no saved policy state");
        try (DataInputStream in = new DataInputStream(new BufferedInputStream(Files.newInputStream(file)))) {
            return body.read(in);
        }
    }

    /** Names the header carried before it took the methods' keys; such state files still load. */
    private static final Map<MixingMethod, String> FORMER_NAMES = Map.of(MixingMethod.ACODM, "ac-odm", MixingMethod.FROZEN_ACTOR, "frozen-actor");

    /** The common header: magic, version, the method's key, domains. */
    static void writeHeader(DataOutputStream out, MixingMethod method, List<String> domains) throws IOException {
        out.writeUTF(MAGIC);
        out.writeInt(VERSION);
        out.writeUTF(method.key());
        writeStrings(out, domains);
    }

    /** Checks the header against the policy reading it, naming what differs. */
    static void readHeader(DataInputStream in, Path file, MixingMethod method, List<String> domains) throws IOException {
        String magic;
        try {
            magic = in.readUTF();
        } catch (IOException e) {
            throw new IOException(file + " is not an acodm policy state file", e);
        }
        if (!MAGIC.equals(magic)) throw new IOException(file + " is not an acodm policy state file");
        int version = in.readInt();
        int oldest = OLDEST_READABLE.getOrDefault(method, 1);
        if (version < oldest || version > VERSION)
            throw new IOException(file + " has state version " + version + "; this build reads " + method.key() + " state of versions "
                    + oldest + (oldest == VERSION ? "" : " to " + VERSION) + (version < oldest ? " (written by an older acodm: restart the run)" : ""));
        String saved = in.readUTF();
        if (!saved.equals(method.key()) && !saved.equals(FORMER_NAMES.get(method)))
            throw new IOException(file + " holds the state of a '" + saved + "' policy, not of '" + method.key() + "'");
        List<String> savedDomains = readStrings(in);
        if (!savedDomains.equals(domains))
            throw new IOException(file + ": " + DomainLists.describeDifference(domains, savedDomains, "this run", "the saved state"));
    }

    static void writeStrings(DataOutputStream out, List<String> s) throws IOException {
        out.writeInt(s.size());
        for (String x : s) out.writeUTF(x);
    }

    static List<String> readStrings(DataInputStream in) throws IOException {
        int n = in.readInt();
        List<String> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) out.add(in.readUTF());
        return out;
    }

    static void writeDoubles(DataOutputStream out, double[] a) throws IOException {
        out.writeInt(a == null ? -1 : a.length);
        if (a != null) for (double v : a) out.writeLong(Double.doubleToRawLongBits(v));
    }

    static double[] readDoubles(DataInputStream in) throws IOException {
        int n = in.readInt();
        if (n < 0) return null;
        double[] a = new double[n];
        for (int i = 0; i < n; i++) a[i] = Double.longBitsToDouble(in.readLong());
        return a;
    }

    static void writeFloats(DataOutputStream out, float[] a) throws IOException {
        out.writeInt(a == null ? -1 : a.length);
        if (a != null) for (float v : a) out.writeInt(Float.floatToRawIntBits(v));
    }

    static float[] readFloats(DataInputStream in) throws IOException {
        int n = in.readInt();
        if (n < 0) return null;
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = Float.intBitsToFloat(in.readInt());
        return a;
    }

    static double[] readDoubles(DataInputStream in, int expected, String what) throws IOException {
        double[] a = readDoubles(in);
        if (a == null || a.length != expected)
            throw new IOException("saved " + what + " has " + (a == null ? "no" : a.length) + " entries, expected " + expected);
        return a;
    }
}
