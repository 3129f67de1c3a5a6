package org.acodm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.acodm.engine.TestPaths;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * bin/acodm on a fresh checkout started by four ranks at once (as srun starts them): the first-use build runs once,
 * under the lock, and every rank then runs the CLI. The checkout is a copy of bin/acodm whose bin/build stands in
 * for the real multi-minute build: it records that it ran, takes two seconds, and puts this build's jar and a
 * library file where bin/build would, so the ranks really run `acodm --version` afterwards.
 */
class FirstUseBuildLockTest {
    @TempDir Path checkout;

    @Test void ranksStartingAtOnceBuildOnce() throws Exception {
        Path jar = TestPaths.root().resolve("target/acodm-cli.jar");
        if (!Files.isRegularFile(jar)) throw new AssertionError(jar + " is missing: run bin/build first (bin/test does)");
        Path bin = Files.createDirectories(checkout.resolve("bin"));
        Files.copy(TestPaths.root().resolve("bin/acodm"), bin.resolve("acodm"));
        Files.writeString(bin.resolve("build"), String.join("\n",
                "#!/usr/bin/env bash",
                "set -euo pipefail",
                "root=\"$(cd \"$(dirname \"${BASH_SOURCE[0]}\")/..\" && pwd)\"",
                "echo $$ >> \"$root/builds.txt\"",
                "sleep 2",
                "mkdir -p \"$root/target\" \"$root/build/cpu\"",
                "cp '" + jar + "' \"$root/target/acodm-cli.jar.tmp\" && mv \"$root/target/acodm-cli.jar.tmp\" \"$root/target/acodm-cli.jar\"",
                "touch \"$root/build/cpu/libacodm.so\"",
                ""), StandardCharsets.UTF_8);
        for (String f : List.of("acodm", "build"))
            Files.setPosixFilePermissions(bin.resolve(f), PosixFilePermissions.fromString("rwxr-xr-x"));

        List<Process> ranks = new ArrayList<>();
        for (int r = 0; r < 4; r++) {
            ProcessBuilder pb = new ProcessBuilder(bin.resolve("acodm").toString(), "--version");
            pb.environment().put("ACODM_JAVA_OPTS", "-Xmx256m");
            pb.redirectErrorStream(true);
            pb.redirectOutput(checkout.resolve("rank" + r + ".log").toFile());
            ranks.add(pb.start());
        }
        int building = 0;
        for (int r = 0; r < 4; r++) {
            Process p = ranks.get(r);
            assertTrue(p.waitFor(120, TimeUnit.SECONDS), "rank " + r + " still running");
            String log = Files.readString(checkout.resolve("rank" + r + ".log"));
            assertEquals(0, p.exitValue(), log);
            assertTrue(log.contains("acodm 0.1.0"), log);
            if (log.contains("acodm: first use, building")) building++;
        }
        assertEquals(1, Files.readAllLines(checkout.resolve("builds.txt")).size(), "builds run");
        assertEquals(1, building, "ranks that said they build");
    }
}
