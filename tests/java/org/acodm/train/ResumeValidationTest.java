package org.acodm.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.acodm.config.Mappers;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 11, cases 3 and 5: what `--resume` does with damaged checkpoints and a cut metrics log. Every checkpoint is
 * checked (its manifest's sizes and CRC32C, trainer.json's keys and types) before anything is truncated or
 * deleted; a damaged newest one is named, set aside, and the next older usable one is used; when none is usable,
 * or the log is shorter than the checkpoint's offset, the resume refuses and changes nothing. Checkpoints written
 * before manifests still resume, with a note.
 */
class ResumeValidationTest {
    @TempDir static Path dir;
    static Path config;
    static Path reference;

    @BeforeAll static void uninterruptedRun() throws IOException {
        config = TrainFixtures.writeConfig(dir.resolve("static.yaml"), "resume-checks", "  method: static");
        reference = TrainFixtures.train(config, dir.resolve("reference"));
    }

    /** A run stopped after step 6 of 8: checkpoints step 4 and step 6 (keep_last 2). */
    private static Path stoppedRun(String name) {
        Path run = dir.resolve(name);
        TrainFixtures.CliResult r = TrainFixtures.cli("train", "--config", config.toString(), "--out", run.toString(), "--max-steps", "6");
        assertEquals(0, r.rc(), r.all());
        return run;
    }

    private static Path ckpt(Path run, long step) {
        return run.resolve("checkpoints").resolve(Checkpoints.name(step));
    }

    @Test void anEmptiedTrainerStateIsCaughtAndTheOlderCheckpointUsed() throws IOException {
        Path run = stoppedRun("emptied");
        Files.writeString(ckpt(run, 6).resolve(Checkpoints.TRAINER_STATE), "{}\n");  // the reproduction
        TrainFixtures.CliResult r = TrainFixtures.cli("train", "--config", config.toString(), "--out", run.toString(), "--resume");
        assertEquals(0, r.rc(), r.all());
        String out = r.all();
        assertTrue(out.contains("checkpoint " + ckpt(run, 6) + " is damaged (trainer.json has 3 bytes, the manifest recorded"), out);
        assertTrue(out.contains("\"next_step\" is missing") && out.contains("\"metrics_offset\" is missing"), out);
        assertTrue(out.contains("moved it to " + run.resolve("checkpoints/damaged-" + Checkpoints.name(6))), out);
        assertTrue(out.contains("resuming resume-checks from " + ckpt(run, 4) + " (step 4 of 8)"), out);
        assertTrue(Files.isDirectory(run.resolve("checkpoints/damaged-" + Checkpoints.name(6))), "kept for inspection");
        assertSameMetrics(run);
    }

    @Test void aFlippedByteInTheModelIsCaughtByItsChecksum() throws IOException {
        Path run = stoppedRun("flipped");
        Path model = ckpt(run, 6).resolve("model.ckpt");
        try (FileChannel ch = FileChannel.open(model, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            ByteBuffer b = ByteBuffer.allocate(1);
            long at = ch.size() / 2;
            ch.read(b, at);
            b.put(0, (byte) (b.get(0) ^ 0x40));
            ch.write(b.rewind(), at);
        }
        Checkpoints.Checked c = Checkpoints.check(ckpt(run, 6));
        assertFalse(c.usable());
        assertTrue(c.describeProblems().matches("model.ckpt has CRC32C [0-9a-f]{8}, the manifest recorded [0-9a-f]{8} \\(its content changed\\)"),
                c.describeProblems());
        // eval of the latest checkpoint says which one it passed over and why, and leaves it where it is.
        TrainFixtures.CliResult e = TrainFixtures.cli("eval", "--run", run.toString());
        assertEquals(0, e.rc(), e.all());
        assertTrue(e.out().contains("acodm: warning: checkpoint " + ckpt(run, 6) + " is damaged (model.ckpt has CRC32C "), e.out());
        assertTrue(e.out().contains("; using the newest usable one, " + Checkpoints.name(4)), e.out());
        assertTrue(e.out().contains("checkpoint  " + ckpt(run, 4) + " (after step 4 of 8)"), e.out());
        assertTrue(Files.isDirectory(ckpt(run, 6)), "eval moves nothing");
        TrainFixtures.CliResult r = TrainFixtures.cli("train", "--config", config.toString(), "--out", run.toString(), "--resume");
        assertEquals(0, r.rc(), r.all());
        assertTrue(r.all().contains("(step 4 of 8)"), r.all());
        assertSameMetrics(run);
    }

    @Test void noUsableCheckpointRefusesAndChangesNothing() throws IOException {
        Path run = stoppedRun("all-bad");
        Files.writeString(ckpt(run, 6).resolve(Checkpoints.TRAINER_STATE), "not json at all");
        Files.delete(ckpt(run, 4).resolve("config.yaml"));
        Map<String, Long> before = sizes(run);
        TrainFixtures.CliResult r = TrainFixtures.cli("train", "--config", config.toString(), "--out", run.toString(), "--resume");
        assertEquals(1, r.rc(), r.all());
        String err = r.err();
        assertTrue(err.contains("acodm: cannot resume " + run + ": no usable checkpoint (" + Checkpoints.name(6) + ": "), err);
        // A garbage trainer.json is named with the parser's complaint, not a bare Jackson message.
        assertTrue(err.contains(ckpt(run, 6).resolve(Checkpoints.TRAINER_STATE) + ":1: not valid JSON: Unrecognized token 'not'"), err);
        assertTrue(err.contains(Checkpoints.name(4) + ": config.yaml is missing"), err);
        assertTrue(err.contains("nothing was changed"), err);
        assertEquals(before, sizes(run), "nothing truncated, moved or deleted");
    }

    @Test void aCutLogRefusesNamingTheFileTheOffsetAndItsSize() throws IOException {
        Path run = stoppedRun("cut-log");
        Path metrics = run.resolve("metrics.jsonl");
        long offset = TrainerState.read(ckpt(run, 6).resolve(Checkpoints.TRAINER_STATE)).metricsOffset();
        long cut = Files.size(metrics) / 3;
        try (FileChannel ch = FileChannel.open(metrics, StandardOpenOption.WRITE)) {
            ch.truncate(cut);
        }
        Map<String, Long> before = sizes(run);
        TrainFixtures.CliResult r = TrainFixtures.cli("train", "--config", config.toString(), "--out", run.toString(), "--resume");
        assertEquals(1, r.rc(), r.all());
        assertTrue(r.err().contains("acodm: cannot resume " + run + ": " + metrics + " has " + cut + " bytes, but checkpoint "
                + Checkpoints.name(6) + " was written when it had " + offset + " (the log was cut or replaced since); restore the log"), r.err());
        assertFalse(r.err().contains("ClosedChannelException"), r.err());
        assertEquals(before, sizes(run), "nothing changed");
    }

    @Test void aCheckpointFromBeforeManifestsStillResumesWithANote() throws IOException {
        Path run = stoppedRun("legacy");
        for (long step : new long[] {4, 6}) {
            // What a checkpoint looked like before this format: no manifest, no format_version, data or skipped_steps.
            Files.delete(ckpt(run, step).resolve(Checkpoints.MANIFEST));
            Path state = ckpt(run, step).resolve(Checkpoints.TRAINER_STATE);
            ObjectNode n = (ObjectNode) Mappers.JSON.readTree(state.toFile());
            n.remove(List.of("format_version", "data", "skipped_steps"));
            Files.writeString(state, Mappers.JSON.writeValueAsString(n));
        }
        Files.createDirectories(run.resolve("checkpoints/.tmp-" + Checkpoints.name(8)));
        Files.writeString(run.resolve("checkpoints/.tmp-" + Checkpoints.name(8) + "/model.ckpt"), "half a checkpoint");
        TrainFixtures.CliResult r = TrainFixtures.cli("train", "--config", config.toString(), "--out", run.toString(), "--resume");
        assertEquals(0, r.rc(), r.all());
        String out = r.all();
        assertTrue(out.contains("checkpoint " + Checkpoints.name(6) + " was written before checkpoints had a manifest: its keys and files are "
                + "checked, not their checksums"), out);
        assertTrue(out.contains("does not record its data"), out);
        assertTrue(out.contains("removed " + run.resolve("checkpoints/.tmp-" + Checkpoints.name(8)) + ", left by an interrupted checkpoint"), out);
        assertTrue(out.contains("(step 6 of 8)"), out);
        assertSameMetrics(run);

        // Without a manifest, a trainer.json with missing keys is still caught by its own check.
        Path run2 = stoppedRun("legacy-empty");
        for (long step : new long[] {4, 6}) Files.delete(ckpt(run2, step).resolve(Checkpoints.MANIFEST));
        Files.writeString(ckpt(run2, 6).resolve(Checkpoints.TRAINER_STATE), "{}");
        Checkpoints.Checked c = Checkpoints.check(ckpt(run2, 6));
        assertEquals(List.of(ckpt(run2, 6).resolve(Checkpoints.TRAINER_STATE) + ": \"next_step\" is missing; \"metrics_offset\" is missing; "
                + "\"policy\" must be a non-empty string, got nothing (the key is missing); \"sampler\" must be an object, got nothing (the key is missing)"),
                c.problems());
    }

    /** Every file under the run with its size: what "nothing was changed" compares. */
    private static Map<String, Long> sizes(Path run) throws IOException {
        Map<String, Long> out = new TreeMap<>();
        try (Stream<Path> s = Files.walk(run)) {
            for (Path p : s.filter(Files::isRegularFile).toList())
                if (!p.getFileName().toString().equals(RunDirectory.LOCK_FILE)) out.put(run.relativize(p).toString(), Files.size(p));
        }
        return out;
    }

    private static void assertSameMetrics(Path run) throws IOException {
        List<JsonNode> want = TrainFixtures.withoutTiming(TrainFixtures.metrics(reference));
        List<JsonNode> got = TrainFixtures.withoutTiming(TrainFixtures.metrics(run));
        assertEquals(want.size(), got.size(), "records in metrics.jsonl");
        for (int i = 0; i < want.size(); i++) assertEquals(want.get(i), got.get(i), "record " + i);
        assertTrue(Files.readString(run.resolve("run.json"), StandardCharsets.UTF_8).contains("\"complete\" : true"));
    }
}
