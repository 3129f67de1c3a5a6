package org.acodm.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** What a reported figure was measured on: the CPU model, the core count, and how busy the machine was. */
public final class Machine {
    private Machine() {}

    public static String cpu() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) return line.substring(line.indexOf(':') + 1).trim();
            }
        } catch (IOException e) {
            // not Linux: fall through
        }
        return System.getProperty("os.arch");
    }

    public static int cores() { return Runtime.getRuntime().availableProcessors(); }

    /** The 1, 5 and 15 minute load averages, or "unknown". */
    public static String loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (IOException | ArrayIndexOutOfBoundsException e) {
            return "unknown";
        }
    }

    public static String describe() {
        return cpu() + ", " + cores() + " cores, load average (1, 5, 15 min) " + loadAverage();
    }
}
