package org.acodm.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 12, acceptance 3: a bad environment is one clear line, for ranks started the way torchrun or srun start them
 * (`acodm train` in a child JVM with the variables set): WORLD_SIZE without MASTER_ADDR, RANK >= WORLD_SIZE, a port in
 * use, a world size that does not divide the batch, ranks started with different configurations (a config hash
 * compared at the rendezvous). Every wait is bounded by the test's short run.dist_timeout.
 */
class DistributedEnvironmentTest {
    @TempDir static Path dir;
    static Path cfg;

    @BeforeAll static void config() throws Exception {
        cfg = DistFixtures.config(dir, "env", "  method: odm\n  odm: {}", 8);
    }

    /** Runs one rank with {@code env} added; returns its whole output, which must be exactly one line, and exit 1. */
    private static String oneLine(String name, Map<String, String> env, String... extra) throws Exception {
        Path run = dir.resolve(name);
        Process p = start(run, env, extra);
        assertEquals(1, DistFixtures.await(p, DistFixtures.RUN_LIMIT_S, run), () -> DistFixtures.logText(run));
        return single(run);
    }

    private static Process start(Path run, Map<String, String> env, String... extra) throws Exception {
        List<String> args = new java.util.ArrayList<>(List.of("train", "--config", cfg.toString(), "--out", run.toString()));
        args.addAll(List.of(extra));
        return TrainFixtures.childCli(args, DistFixtures.log(run), env);
    }

    private static String single(Path run) {
        String out = DistFixtures.logText(run).strip();
        assertEquals(1, out.lines().count(), "one line, no stack trace or plan:\n" + out);
        assertTrue(out.startsWith("acodm: "), out);
        return out;
    }

    @Test void worldSizeWithoutMasterAddr() throws Exception {
        String line = oneLine("no-addr", Map.of("WORLD_SIZE", "2", "RANK", "0"));
        assertEquals("acodm: WORLD_SIZE=2 but MASTER_ADDR is not set: it is the host of rank 0, where the ranks meet "
                + "(torchrun and `acodm train --nproc-per-node` set it)", line);
    }

    @Test void rankOutsideTheWorld() throws Exception {
        String line = oneLine("rank", Map.of("WORLD_SIZE", "2", "RANK", "2", "MASTER_ADDR", "127.0.0.1"));
        assertEquals("acodm: RANK=2 is outside WORLD_SIZE=2 (ranks are 0 .. 1)", line);
    }

    @Test void portInUse() throws Exception {
        try (ServerSocket s = new ServerSocket()) {
            s.bind(new InetSocketAddress(InetAddress.getByName("0.0.0.0"), 0));
            int port = s.getLocalPort();
            String line = oneLine("port", Map.of("WORLD_SIZE", "2", "RANK", "0", "MASTER_ADDR", "127.0.0.1", "MASTER_PORT", Integer.toString(port)));
            assertTrue(line.contains("rendezvous: port " + port + " is in use on this host, so rank 0 cannot listen there"), line);
        }
    }

    @Test void worldSizeThatDoesNotDivideTheBatch() throws Exception {
        String line = oneLine("divide", Map.of("WORLD_SIZE", "3", "RANK", "0", "MASTER_ADDR", "127.0.0.1",
                "MASTER_PORT", Integer.toString(DistFixtures.freePort())));
        assertTrue(line.matches("acodm: .*env\\.yaml.*: data\\.batch_size 4 is not divisible by the world size 3: every rank trains an equal slice "
                + "of the global batch"), line);
    }

    @Test void ranksStartedWithDifferentConfigs() throws Exception {
        int port = DistFixtures.freePort();
        Map<String, String> env = new HashMap<>(Map.of("WORLD_SIZE", "2", "MASTER_ADDR", "127.0.0.1", "MASTER_PORT", Integer.toString(port)));
        env.put("RANK", "0");
        Process r0 = start(dir.resolve("config-r0"), env);
        env.put("RANK", "1");
        Process r1 = start(dir.resolve("config-r1"), env, "--set", "optimizer.lr=1.0e-3");
        assertEquals(1, DistFixtures.await(r0, DistFixtures.RUN_LIMIT_S, dir.resolve("config-r0")));
        assertEquals(1, DistFixtures.await(r1, DistFixtures.RUN_LIMIT_S, dir.resolve("config-r1")));
        for (String r : List.of("config-r0", "config-r1")) {
            String line = single(dir.resolve(r));
            assertTrue(line.matches("acodm: process group: rendezvous: rank 1 was started with another configuration than rank 0 \\(config hash "
                    + "[0-9a-f]{12} vs [0-9a-f]{12}\\): start every rank with the same --config and --set options"), r + ": " + line);
        }
    }
}
