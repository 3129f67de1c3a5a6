package org.acodm.train;

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
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Acceptance 2 of issue 11: every write of a checkpoint fails in turn, and the process is killed (SIGKILL) before
 * writes that leave different things on disk; each time `train --resume` continues from a complete checkpoint and the
 * run's metrics.jsonl equals an uninterrupted run's, record for record. The fault hits the checkpoint of step 4 of an
 * 8-step AC-ODM run (checkpoints every 2 steps): before its rename the resume must come from step 2, after it from 4.
 */
class CheckpointFaultTest {
    private static final long FAULT_STEP = 4;
    /**
     * Kills cost a JVM each (about 10 s on a busy 2-core machine), so one per kind of leftover: an empty temporary
     * folder, a half-written one, a complete one not yet renamed, and a renamed checkpoint before pruning. Every stage
     * is covered by the failing writes above, which leave the same files behind minus the temporary.
     */
    private static final List<String> KILL_STAGES = List.of("model.ckpt", Checkpoints.TRAINER_STATE, "rename", "prune");

    @TempDir static Path dir;
    static Path config;
    static Path reference;

    @BeforeAll static void uninterruptedRun() throws IOException {
        config = TrainFixtures.writeConfig(dir.resolve("acodm.yaml"), "faults", TrainFixtures.ACODM);
        reference = TrainFixtures.train(config, dir.resolve("reference"));
    }

    @Test void everyCheckpointWriteFailingInTurnResumesFromACompleteCheckpoint() throws IOException {
        for (String stage : Checkpoints.STAGES) {
            Path run = dir.resolve("fail-" + stage);
            TrainFixtures.CliResult r;
            Checkpoints.faults = (step, name) -> {
                if (step == FAULT_STEP && name.equals(stage)) throw new IOException("injected fault before " + name + " of step " + step);
            };
            try {
                r = TrainFixtures.cli("train", "--config", config.toString(), "--out", run.toString());
            } finally {
                Checkpoints.faults = (step, name) -> {};
            }
            assertEquals(1, r.rc(), stage + ":\n" + r.all());
            assertTrue(r.err().contains("acodm: injected fault before " + stage + " of step 4"), stage + ":\n" + r.err());
            assertEquals(List.of(), temporaries(run), stage + ": a failed checkpoint leaves no temporary");
            assertTrue(Checkpoints.check(run.resolve("checkpoints/" + Checkpoints.name(2))).usable(), stage + ": step 2 intact");

            String resumed = resume(run, stage);
            assertEquals(expectedResume(stage), resumedFrom(resumed), stage + ":\n" + resumed);
            assertSameMetrics(run, stage);
        }
    }

    @Test void aKillDuringACheckpointResumesFromACompleteCheckpoint() throws Exception {
        for (String stage : KILL_STAGES) {
            Path run = dir.resolve("kill-" + stage);
            Path log = dir.resolve("kill-" + stage + ".log");
            Process p = TrainFixtures.childJava(CheckpointFaultMain.class.getName(),
                    List.of(Long.toString(FAULT_STEP), stage, "train", "--config", config.toString(), "--out", run.toString()), log, Map.of());
            int rc = p.waitFor();
            String out = Files.readString(log, StandardCharsets.UTF_8);
            assertEquals(137, rc, stage + ": not killed (128 + SIGKILL):\n" + out);
            assertTrue(out.contains("killing myself before " + stage + " of step 4"), stage + ":\n" + out);
            boolean tmpLeft = Files.isDirectory(run.resolve("checkpoints/.tmp-" + Checkpoints.name(FAULT_STEP)));
            assertEquals(!stage.equals("prune"), tmpLeft, stage + ": the half-written checkpoint is left by the kill");

            String resumed = resume(run, stage);
            assertEquals(expectedResume(stage), resumedFrom(resumed), stage + ":\n" + resumed);
            if (tmpLeft) assertTrue(resumed.contains("left by an interrupted checkpoint"), stage + ": the resume says it cleaned up:\n" + resumed);
            assertEquals(List.of(), temporaries(run), stage + ": the resume removed the stale temporary");
            assertSameMetrics(run, stage);
        }
    }

    /** Before the rename the checkpoint of step 4 does not exist; from "prune" on it is complete. */
    private static long expectedResume(String stage) {
        return stage.equals("prune") ? FAULT_STEP : FAULT_STEP - 2;
    }

    private static String resume(Path run, String stage) {
        TrainFixtures.CliResult r = TrainFixtures.cli("train", "--config", config.toString(), "--out", run.toString(), "--resume");
        assertEquals(0, r.rc(), stage + ": resume failed:\n" + r.all());
        return r.all();
    }

    private static long resumedFrom(String out) {
        Matcher m = Pattern.compile("resuming \\S+ from \\S+ \\(step (\\d+) of 8\\)").matcher(out);
        assertTrue(m.find(), "no resume line:\n" + out);
        return Long.parseLong(m.group(1));
    }

    private static void assertSameMetrics(Path run, String stage) throws IOException {
        List<JsonNode> want = TrainFixtures.withoutTiming(TrainFixtures.metrics(reference));
        List<JsonNode> got = TrainFixtures.withoutTiming(TrainFixtures.metrics(run));
        assertEquals(8, TrainFixtures.records(want, "step").size());
        assertEquals(want.size(), got.size(), stage + ": records in metrics.jsonl");
        for (int i = 0; i < want.size(); i++) assertEquals(want.get(i), got.get(i), stage + ": record " + i);
        assertFalse(TrainFixtures.metrics(run).isEmpty());
    }

    private static List<String> temporaries(Path run) throws IOException {
        List<String> out = new ArrayList<>();
        try (Stream<Path> s = Files.walk(run)) {
            s.map(p -> run.relativize(p).toString()).filter(p -> p.contains(".tmp-")).forEach(out::add);
        }
        return out;
    }
}
