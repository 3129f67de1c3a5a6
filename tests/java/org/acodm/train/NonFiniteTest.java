package org.acodm.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.acodm.config.Mappers;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 11, case 6: non-finite numbers. A non-finite config value is a config error naming the key and where it was
 * written; a step whose loss or gradient norm is not finite (optimizer.lr 1e6 makes step 2's loss NaN) stops the run
 * there with nothing of that step written and the last checkpoint intact, unless train.skip_nonfinite_steps allows it
 * to be skipped (no update; a skipped_step record), a budget that counts over the whole run, resumes included.
 */
class NonFiniteTest {
    @TempDir Path dir;

    private Path config(String name) throws IOException {
        Path cfg = TrainFixtures.writeConfig(dir.resolve(name + ".yaml"), name, "  method: static");
        // A checkpoint after every step, so "the last checkpoint" is the step just before the bad one.
        Files.writeString(cfg, Files.readString(cfg).replace("  interval: 2\n", "  interval: 1\n"));
        return cfg;
    }

    @Test void nonFiniteConfigNumbersAreConfigErrors() throws IOException {
        Path cfg = config("inf");
        TrainFixtures.CliResult r = TrainFixtures.cli("train", "--config", cfg.toString(), "--out", dir.resolve("r1").toString(),
                "--set", "optimizer.lr=1e400");
        assertEquals(1, r.rc());
        assertTrue(r.err().contains("acodm: --set optimizer.lr=1e400: optimizer.lr: '1e400' is not a finite number"), r.err());
        Files.writeString(cfg, Files.readString(cfg).replace("  lr: 3.0e-3\n", "  lr: 3.0e+400\n"));
        r = TrainFixtures.cli("train", "--config", cfg.toString(), "--out", dir.resolve("r2").toString());
        assertEquals(1, r.rc());
        int line = Files.readAllLines(cfg).indexOf("  lr: 3.0e+400") + 1;
        assertTrue(r.err().contains("acodm: " + cfg + ":" + line + ": optimizer.lr: '3.0e+400' is not a finite number"), r.err());
        assertFalse(Files.exists(dir.resolve("r1/metrics.jsonl")) || Files.exists(dir.resolve("r2/metrics.jsonl")));
    }

    @Test void aNaNLossStopsTheRunAtThatStepWithTheLastCheckpointIntact() throws IOException {
        Path cfg = config("nan"), run = dir.resolve("nan");
        TrainFixtures.CliResult r = TrainFixtures.cli("train", "--config", cfg.toString(), "--out", run.toString(), "--set", "optimizer.lr=1e6");
        assertEquals(1, r.rc(), r.all());
        Path last = run.resolve("checkpoints").resolve(Checkpoints.name(1));
        assertTrue(r.err().contains("acodm: step 2 of 8 has a non-finite loss (loss NaN, gradient norm NaN): the run stops here and nothing of "
                + "this step is written; the last checkpoint, " + last + ", is intact. To train on, start a new run (another --out) with a lower "
                + "optimizer.lr (now 1000000.0) or a tighter optimizer.grad_clip (now 1.0), or resume with train.skip_nonfinite_steps (now 0) "
                + "set to skip such steps"), r.err());
        List<JsonNode> steps = TrainFixtures.records(TrainFixtures.metrics(run), "step");
        assertEquals(1, steps.size(), "only step 1 is logged");
        assertEquals(List.of(Checkpoints.name(1)), checkpointNames(run));
        Checkpoints.Checked c = Checkpoints.check(last);
        assertTrue(c.usable(), c.problems().toString());
        assertEquals(Files.size(run.resolve("metrics.jsonl")), c.state().metricsOffset(), "the log ends where the last checkpoint left it");
    }

    @Test void anEvalWithANonFiniteLossStopsTheRunBeforeTheEvalOrACheckpointIsWritten() throws IOException {
        // optimizer.lr 1e3: every training step has a finite loss and gradient norm, but the last update leaves weights whose
        // eval is NaN; the run used to finish with "ppl":"NaN", which report refuses.
        Path cfg = config("diverge"), run = dir.resolve("diverge");
        TrainFixtures.CliResult r = TrainFixtures.cli("train", "--config", cfg.toString(), "--out", run.toString(),
                "--set", "optimizer.lr=1e3", "--set", "train.steps=3");
        assertEquals(1, r.rc(), r.all());
        Path last = run.resolve("checkpoints").resolve(Checkpoints.name(2));
        assertTrue(r.err().contains("acodm: the eval after step 3 of 3 has a non-finite loss (loss NaN, perplexity NaN): the weights diverged; "
                + "the run stops here and neither this eval nor a checkpoint of this step is written; the last checkpoint, " + last
                + ", is intact. To train on, start a new run (another --out) with a lower optimizer.lr (now 1000.0)"), r.err());
        List<JsonNode> all = TrainFixtures.metrics(run);
        assertEquals(3, TrainFixtures.records(all, "step").size(), "every step had a finite loss");
        for (JsonNode n : TrainFixtures.records(all, "step")) assertTrue(n.get("loss").isNumber(), n.toString());
        List<JsonNode> evals = TrainFixtures.records(all, "eval");
        assertEquals(1, evals.size(), "only the eval at step 0");
        assertEquals(0, evals.get(0).get("step").asInt());
        assertTrue(evals.get(0).get("ppl").isNumber(), evals.get(0).toString());
        assertEquals(List.of(Checkpoints.name(1), Checkpoints.name(2)), checkpointNames(run));
        assertTrue(Checkpoints.check(last).usable());
        assertFalse(Mappers.JSON.readTree(run.resolve("run.json").toFile()).get("complete").asBoolean());
    }

    @Test void skippedStepsChangeNothingAndTheBudgetSpansResumes() throws IOException {
        Path cfg = config("skip"), run = dir.resolve("skip");
        TrainFixtures.CliResult r = TrainFixtures.cli("train", "--config", cfg.toString(), "--out", run.toString(),
                "--set", "optimizer.lr=1e6", "--set", "train.skip_nonfinite_steps=2");
        assertEquals(1, r.rc(), r.all());
        assertTrue(r.out().contains("acodm: warning: step 2 of 8 has a non-finite loss (loss NaN, gradient norm NaN): skipped, the model is "
                + "not updated (1 of train.skip_nonfinite_steps 2 used)"), r.out());
        assertTrue(r.out().contains("step 3 of 8 has a non-finite loss") && r.out().contains("(2 of train.skip_nonfinite_steps 2 used)"), r.out());
        assertTrue(r.err().contains("acodm: step 4 of 8 has a non-finite loss"), r.err());
        List<JsonNode> skipped = TrainFixtures.records(TrainFixtures.metrics(run), "skipped_step");
        assertEquals(2, skipped.size());
        assertEquals(2, skipped.get(0).get("step").asInt());
        assertEquals("non-finite loss", skipped.get(0).get("reason").asText());
        assertEquals(2, skipped.get(1).get("skipped_steps").asInt());
        assertEquals(1, TrainFixtures.records(TrainFixtures.metrics(run), "step").size());
        TrainerState s = Checkpoints.check(run.resolve("checkpoints").resolve(Checkpoints.name(3))).state();
        assertEquals(2, s.skippedSteps());

        // One more allowed on resume: step 4 is skipped as the third, step 5 stops the run. (Step 1's update at lr 1e6 left
        // weights that compute NaN, so the eval after step 4 would stop the run first: evals are off for this resume.)
        r = TrainFixtures.cli("train", "--config", cfg.toString(), "--out", run.toString(), "--resume",
                "--set", "optimizer.lr=1e6", "--set", "train.skip_nonfinite_steps=3", "--set", "eval.interval=0");
        assertEquals(1, r.rc(), r.all());
        assertTrue(r.out().contains("step 4 of 8 has a non-finite loss") && r.out().contains("(3 of train.skip_nonfinite_steps 3 used)"), r.out());
        assertTrue(r.err().contains("acodm: step 5 of 8 has a non-finite loss"), r.err());
        assertEquals(3, TrainFixtures.records(TrainFixtures.metrics(run), "skipped_step").size());
    }

    private static List<String> checkpointNames(Path run) throws IOException {
        try (var s = Files.list(run.resolve("checkpoints"))) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }
}
