package org.acodm.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.acodm.config.Mappers;
import org.acodm.engine.AgentNetworks;
import org.acodm.engine.TestPaths;
import org.acodm.mixing.ActorExport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Preemption, for real: `acodm train` runs in a separate JVM, is killed at a random step (SIGKILL: no chance to
 * save anything; SIGTERM: the trainer finishes the step and checkpoints), and `train --resume` finishes the
 * run. Its metrics.jsonl must equal an uninterrupted run's record for record — every field but the two timing
 * fields — which holds only if the model, optimizer, sampler, policy state (AC-ODM: networks, Adam, replay
 * buffer) and the log itself all resume exactly. Every run here — the killed one, its resume and the uninterrupted
 * reference — is a child JVM started the same way, so the comparison is like with like (ReproducibilityTest shows
 * that the launcher and the caller's thread variables do not matter either).
 */
class KillResumeTest {
    /** Fixed, so a failure repeats; the kill step is drawn from it. */
    private static final long SEED = 0x5EEDL;
    private static final int STEPS = 60;

    @TempDir Path dir;

    @Test void sigkillMidRunThenResumeEqualsAnUninterruptedRun() throws Exception {
        int k = 3 + new Random(SEED).nextInt(18);  // early enough that a busy machine cannot finish the run before the kill
        Path cfg = config("acodm", TrainFixtures.ACODM);
        Path run = dir.resolve("killed");
        Process p = start(cfg, run);
        try {
            waitForStep(p, run, k);
            p.destroyForcibly();  // SIGKILL
            p.waitFor();
        } finally {
            p.destroyForcibly();
        }
        int reached = TrainFixtures.stepsLogged(run);
        assertTrue(reached >= k && reached < STEPS, "killed at step " + reached + " of " + STEPS + " (wanted mid-run, from " + k + ")");
        assertFalse(Mappers.JSON.readTree(run.resolve("run.json").toFile()).get("complete").asBoolean());

        String r = resume(cfg, run);
        long from = resumedFrom(r);
        // Checkpoints every 2 steps: the newest complete one is at most 2 steps (plus the one being written) back.
        assertTrue(from >= 2 && from <= reached && reached - from <= 3, "resumed from " + from + " after the kill at " + reached);

        Path reference = reference(cfg);
        assertSameRecords(reference, run);
        assertSameActor(reference.resolve(ActorExport.FILE_NAME), run.resolve(ActorExport.FILE_NAME));
    }

    @Test void sigtermCheckpointsAndStopsThenResumeEqualsAnUninterruptedRun() throws Exception {
        int k = 3 + new Random(SEED + 1).nextInt(18);
        // DoGE: its state (log-weights and the running sum behind reported_weights) must survive too.
        Path cfg = config("doge", "  method: doge\n  doge: {}");
        Path run = dir.resolve("stopped");
        Process p = start(cfg, run);
        int exit;
        try {
            waitForStep(p, run, k);
            p.destroy();  // SIGTERM on Linux
            exit = p.waitFor();
        } finally {
            p.destroyForcibly();
        }
        String log = Files.readString(run.resolveSibling("stopped.log"), StandardCharsets.UTF_8);
        Matcher m = Pattern.compile("stopped after step (\\d+) of " + STEPS + "; checkpoint written").matcher(log);
        assertTrue(m.find(), "no 'stopped after step' line (exit " + exit + "):\n" + log);
        long stoppedAt = Long.parseLong(m.group(1));
        assertTrue(stoppedAt >= k && stoppedAt < STEPS, "stopped at " + stoppedAt);
        // The JVM exits as a signalled process does (128 + 15), but only after the shutdown hook let the step finish.
        assertEquals(143, exit, log);
        assertTrue(Files.isRegularFile(run.resolve("checkpoints/" + Checkpoints.name(stoppedAt) + "/" + Checkpoints.TRAINER_STATE)),
                "no checkpoint of the step it stopped after");
        assertEquals(stoppedAt, TrainFixtures.stepsLogged(run), "the log ends at the step it stopped after");

        String r = resume(cfg, run);
        assertEquals(stoppedAt, resumedFrom(r), "a clean stop loses no step");

        Path reference = reference(cfg);
        assertSameRecords(reference, run);
    }

    private Path config(String name, String mixing) throws IOException {
        Path cfg = TrainFixtures.writeConfig(dir.resolve(name + ".yaml"), name, mixing);
        // Longer than the other tests' runs so the kill lands mid-run; the same checkpoint cadence (every 2 steps).
        String yaml = Files.readString(cfg).replace("  steps: 8\n", "  steps: " + STEPS + "\n").replace("  interval: 4\n", "  interval: 10\n");
        Files.writeString(cfg, yaml);
        return cfg;
    }

    /** `acodm train` in a child JVM with this JVM's classpath, output to RUN.log. */
    private static Process start(Path cfg, Path run, String... extra) throws IOException {
        List<String> args = new ArrayList<>(List.of("train", "--config", cfg.toString(), "--out", run.toString()));
        args.addAll(List.of(extra));
        return TrainFixtures.childCli(args, run.resolveSibling(run.getFileName() + ".log"), java.util.Map.of());
    }

    /** The uninterrupted run, in a child JVM like the others. */
    private Path reference(Path cfg) throws Exception {
        Path run = dir.resolve("reference");
        Process p = start(cfg, run);
        assertEquals(0, p.waitFor(), () -> log(run));
        return run;
    }

    /** Polls metrics.jsonl until it holds step {@code k}; fails if the process ends first or takes over a minute. */
    private static void waitForStep(Process p, Path run, int k) throws Exception {
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (TrainFixtures.stepsLogged(run) < k) {
            if (!p.isAlive())
                throw new AssertionError("the training process ended (exit " + p.exitValue() + ") before step " + k + ":\n"
                        + Files.readString(run.resolveSibling(run.getFileName() + ".log")));
            if (System.nanoTime() > deadline) throw new AssertionError("no step " + k + " within a minute");
            Thread.sleep(2);
        }
    }

    /** `train --resume` in a child JVM; returns what it printed. */
    private static String resume(Path cfg, Path run) throws Exception {
        Path logFile = run.resolveSibling(run.getFileName() + ".resume.log");
        List<String> args = List.of("train", "--config", cfg.toString(), "--out", run.toString(), "--resume");
        Process p = TrainFixtures.childCli(args, logFile, java.util.Map.of());
        int rc = p.waitFor();
        String out = Files.readString(logFile, StandardCharsets.UTF_8);
        assertEquals(0, rc, out);
        assertFalse(out.contains("another numeric environment"), "a resume in the same environment warned:\n" + out);
        return out;
    }

    private static String log(Path run) {
        try {
            return Files.readString(run.resolveSibling(run.getFileName() + ".log"), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    private static long resumedFrom(String out) {
        Matcher m = Pattern.compile("resuming \\S+ from \\S+ \\(step (\\d+) of " + STEPS + "\\)").matcher(out);
        assertTrue(m.find(), "the resumed run did not start from a checkpoint:\n" + out);
        return Long.parseLong(m.group(1));
    }

    /** Same number of lines, and every record equal as JSON once the timing fields are removed. */
    private static void assertSameRecords(Path reference, Path resumed) throws IOException {
        List<JsonNode> want = TrainFixtures.withoutTiming(TrainFixtures.metrics(reference)), got = TrainFixtures.withoutTiming(TrainFixtures.metrics(resumed));
        assertEquals(STEPS, TrainFixtures.records(want, "step").size());
        assertEquals(Files.readAllLines(reference.resolve("metrics.jsonl")).size(), Files.readAllLines(resumed.resolve("metrics.jsonl")).size(),
                "lines in metrics.jsonl");
        for (int i = 0; i < want.size(); i++) assertEquals(want.get(i), got.get(i), "record " + i);
        assertTrue(Mappers.JSON.readTree(resumed.resolve("run.json").toFile()).get("complete").asBoolean());
    }

    /** Both actors choose bit-identical weights in the same (random, non-zero) states. */
    private static void assertSameActor(Path a, Path b) {
        assertEquals(ActorExport.read(a), ActorExport.read(b));
        try (AgentNetworks x = AgentNetworks.importedActor(a, "cpu"); AgentNetworks y = AgentNetworks.importedActor(b, "cpu")) {
            int n = 5;
            float[] states = new float[n * x.stateDim()];
            Random r = new Random(SEED);
            for (int i = 0; i < states.length; i++) states[i] = (float) r.nextGaussian();
            assertArrayEquals(x.act(states, n), y.act(states, n));
        }
    }
}
