package org.acodm.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.acodm.io.Directories;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A directory that holds a run's log is never overwritten without --overwrite (issue 19, case 3), and a resume with
 * another train.steps is defined (the planned schedule is kept; steps past its end train at min_lr) or refused when
 * it would cut the run below its checkpoint (case 7). Files before and after are compared byte for byte.
 */
class RunDirectorySafetyTest {
    @TempDir Path dir;

    static Map<String, byte[]> files(Path run) throws IOException {
        Map<String, byte[]> m = new TreeMap<>();
        try (var s = Files.walk(run)) {
            for (Path p : s.filter(Files::isRegularFile).toList())
                if (!p.getFileName().toString().equals("train.lock")) m.put(run.relativize(p).toString(), Files.readAllBytes(p));
        }
        return m;
    }

    static void assertSameFiles(Map<String, byte[]> before, Map<String, byte[]> after) {
        assertEquals(before.keySet(), after.keySet());
        for (String k : before.keySet()) assertArrayEquals(before.get(k), after.get(k), k);
    }

    @Test void aFinishedRunWithoutCheckpointsIsNotReplaced() throws IOException {
        Path cfg = TrainFixtures.writeConfig(dir.resolve("a.yaml"), "a", "  method: static");
        Path run = dir.resolve("run");
        assertEquals(0, TrainFixtures.cli("train", "--config", cfg.toString(), "--out", run.toString()).rc());
        Directories.deleteTree(run.resolve("checkpoints"));
        Map<String, byte[]> before = files(run);
        Path other = TrainFixtures.writeConfig(dir.resolve("b.yaml"), "b", "  method: odm");
        for (List<String> extra : List.of(List.<String>of(), List.of("--resume"))) {
            List<String> args = new java.util.ArrayList<>(List.of("train", "--config", other.toString(), "--out", run.toString(), "--set", "run.seed=9"));
            args.addAll(extra);
            TrainFixtures.CliResult r = TrainFixtures.cli(args.toArray(new String[0]));
            assertEquals(1, r.rc(), r.all());
            assertTrue(r.err().contains(extra.isEmpty() ? "holds the log of a run (run.json, metrics.jsonl) and no checkpoint"
                    : "it holds a finished run (run.json says complete) whose checkpoints are gone") && r.err().contains("--overwrite"), r.err());
            assertSameFiles(before, files(run));
        }
        // --overwrite replaces it: the new run's log, no trace of the old one.
        TrainFixtures.CliResult r = TrainFixtures.cli("train", "--config", other.toString(), "--out", run.toString(), "--overwrite");
        assertEquals(0, r.rc(), r.all());
        assertTrue(r.out().contains("--overwrite: removed " + run.resolve("metrics.jsonl")), r.out());
        assertEquals("odm", org.acodm.config.Mappers.JSON.readTree(run.resolve("run.json").toFile()).get("method").asText());
        assertTrue(Files.readString(run.resolve("config.yaml")).contains("method: odm"));
        // A directory with a user's own file is still refused, --overwrite or not.
        Files.writeString(run.resolve("notes.txt"), "mine");
        Directories.deleteTree(run.resolve("run.json"));
        TrainFixtures.CliResult foreign = TrainFixtures.cli("train", "--config", other.toString(), "--out", run.toString(), "--overwrite");
        assertEquals(1, foreign.rc());
        assertTrue(foreign.err().contains("is not empty and is not a run directory (it holds checkpoints, config.yaml, final_eval.json, metrics.jsonl, notes.txt)"), foreign.err());
    }

    @Test void resumeKeepsThePlannedScheduleAndNeverCutsBelowTheCheckpoint() throws IOException {
        Path cfg = TrainFixtures.writeConfig(dir.resolve("a.yaml"), "a", "  method: static");
        Path run = dir.resolve("run");
        assertEquals(0, TrainFixtures.cli("train", "--config", cfg.toString(), "--out", run.toString(), "--max-steps", "6").rc());
        Map<String, byte[]> before = files(run);
        TrainFixtures.CliResult cut = TrainFixtures.cli("train", "--config", cfg.toString(), "--out", run.toString(), "--resume", "--set", "train.steps=4");
        assertEquals(1, cut.rc());
        assertTrue(cut.err().contains("--set train.steps=4: train.steps 4 is below step 6, which checkpoint step-000000006 already reached (the run was planned for 8)"),
                cut.err());
        assertSameFiles(before, files(run));

        TrainFixtures.CliResult longer = TrainFixtures.cli("train", "--config", cfg.toString(), "--out", run.toString(), "--resume", "--set", "train.steps=12");
        assertEquals(0, longer.rc(), longer.all());
        assertTrue(longer.out().contains("acodm: note: train.steps 12, the run was planned for 8: the learning-rate schedule stays the planned one "
                + "(warmup, then cosine to optimizer.min_lr 3.0E-4 at step 8); steps 9 to 12 train at min_lr"), longer.out());
        List<JsonNode> steps = TrainFixtures.records(TrainFixtures.metrics(run), "step");
        assertEquals(12, steps.size());
        for (JsonNode s : steps.subList(8, 12)) assertEquals(3.0e-4, s.get("lr").asDouble(), 1e-12, s.toString());
        assertTrue(steps.get(6).get("lr").asDouble() > 3.0e-4);
    }
}
