package org.acodm.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.acodm.config.Mappers;
import org.acodm.io.DirectoryLock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 11, case 2: two `train` processes on one run directory. The run directory's OS lock lets exactly one of them
 * write; the other refuses before it changes anything, naming the holder's pid; a holder killed with SIGKILL leaves
 * no stale lock (the kernel drops it with the process).
 */
class ConcurrentTrainTest {
    @TempDir Path dir;

    private Path config(int steps) throws IOException {
        Path cfg = TrainFixtures.writeConfig(dir.resolve("static-" + steps + ".yaml"), "concurrent", "  method: static");
        Files.writeString(cfg, Files.readString(cfg).replace("  steps: 8\n", "  steps: " + steps + "\n"));
        return cfg;
    }

    private static Process train(Path cfg, Path run, Path log, String... extra) throws IOException {
        List<String> args = new java.util.ArrayList<>(List.of("train", "--config", cfg.toString(), "--out", run.toString()));
        args.addAll(List.of(extra));
        return TrainFixtures.childCli(args, log, Map.of());
    }

    @Test void aSecondTrainWhileTheFirstHoldsTheLockRefusesNamingItsPid() throws Exception {
        Path cfg = config(100_000);  // runs until stopped below
        Path run = dir.resolve("together");
        Process a = train(cfg, run, dir.resolve("a.log"));
        // The second starts only once the first holds the run's lock: no race on which JVM starts faster.
        long deadline = System.nanoTime() + 120_000_000_000L;
        while (DirectoryLock.holderOf(run, RunDirectory.LOCK_FILE) != a.pid()) {
            assertTrue(a.isAlive(), "the first run ended before it was seen holding the lock:\n" + Files.readString(dir.resolve("a.log")));
            assertTrue(System.nanoTime() < deadline, "the first run did not take the lock within two minutes");
            Thread.sleep(5);
        }
        Process b = train(cfg, run, dir.resolve("b.log"));
        int rb = b.waitFor();
        assertTrue(a.isAlive(), "the first run goes on");
        a.destroy();  // SIGTERM: the first finishes its step, checkpoints and stops
        int ra = a.waitFor();
        String la = Files.readString(dir.resolve("a.log")), lb = Files.readString(dir.resolve("b.log"));
        assertEquals(143, ra, la);
        assertEquals(1, rb, lb);
        assertTrue(lb.contains("acodm: " + run + " is in use by another acodm train (pid " + a.pid() + "), which holds the lock train.lock"), lb);
        assertTrue(la.contains("checkpoint written, resume with --resume"), la);
        assertIntactLog(run, TrainFixtures.stepsLogged(run), false);
    }

    @Test void aResumeWhileTheRunIsGoingRefusesAndAKilledHolderLeavesNoStaleLock() throws Exception {
        Path cfg = config(100_000);
        Path run = dir.resolve("apart");
        Process a = train(cfg, run, dir.resolve("first.log"));
        try {
            long deadline = System.nanoTime() + 120_000_000_000L;
            while (TrainFixtures.records(TrainFixtures.metrics(run), "step").size() < 3) {
                assertTrue(a.isAlive(), "the first run ended early:\n" + Files.readString(dir.resolve("first.log")));
                assertTrue(System.nanoTime() < deadline, "no step 3 within two minutes");
                Thread.sleep(5);
            }
            long before = Files.size(run.resolve("run.json"));
            Process b = train(cfg, run, dir.resolve("second.log"), "--resume");
            assertEquals(1, b.waitFor());
            String second = Files.readString(dir.resolve("second.log"), StandardCharsets.UTF_8);
            assertTrue(second.contains("is in use by another acodm train (pid " + a.pid() + ")"), second);
            assertTrue(!second.contains("resuming"), "the refused process must not have started resuming:\n" + second);
            assertEquals(before, Files.size(run.resolve("run.json")));
            assertTrue(a.isAlive(), "the first run goes on");
        } finally {
            a.destroyForcibly();  // SIGKILL
            a.waitFor();
        }
        // The kernel dropped the lock with the killed process: it can be taken at once, the pid file notwithstanding.
        assertEquals(Long.toString(a.pid()), Files.readString(run.resolve(RunDirectory.LOCK_FILE)).trim());
        try (DirectoryLock lock = DirectoryLock.acquire(run, RunDirectory.LOCK_FILE, "train")) {
            assertEquals(Long.toString(ProcessHandle.current().pid()), Files.readString(lock.file()).trim());
        }
    }

    /** Every line is one whole JSON record (no "}" or "{{" lines), the steps run 1..steps once each, and run.json says whether complete. */
    private static void assertIntactLog(Path run, int steps, boolean complete) throws IOException {
        List<String> lines = Files.readAllLines(run.resolve("metrics.jsonl"), StandardCharsets.UTF_8);
        int step = 0;
        for (String line : lines) {
            JsonNode n = Mappers.JSON.readTree(line);
            assertTrue(n.isObject() && line.startsWith("{\"type\":"), line);
            if (n.get("type").asText().equals("step")) assertEquals(++step, n.get("step").asInt(), line);
        }
        assertEquals(steps, step);
        assertEquals(complete, Mappers.JSON.readTree(run.resolve("run.json").toFile()).get("complete").asBoolean());
    }
}
