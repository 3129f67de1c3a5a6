package org.acodm.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.acodm.config.ConfigTree;
import org.acodm.config.Mappers;
import org.acodm.io.DirectoryLock;
import org.acodm.train.config.RunConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The run directory's rules on their own, without a model or data (the end-to-end cases are RunDirectorySafetyTest,
 * ResumeValidationTest, ConcurrentTrainTest and DataChangedTest): whose folder a run may write into, one trainer per
 * directory, a run's log never replaced without --overwrite and --overwrite removing nothing of the user's, and which
 * checkpoint a resume starts from, with everything it refuses decided before anything changes.
 */
class RunDirectoryTest {
    private static final List<String> DOMAINS = List.of("Bible", "Emails");
    private static final DataIdentity DATA = new DataIdentity("f1", "byte", DOMAINS);
    private static final Map<String, String> ENV = Map.of("threads", "1", "blas", "openblas");

    @TempDir Path tmp;
    private final ByteArrayOutputStream printed = new ByteArrayOutputStream();

    private ConfigTree tree(String... overrides) throws IOException {
        Path file = tmp.resolve("run.yaml");
        Files.writeString(file, String.join("\n", "run:", "  name: r", "model:", "  config: tiny", "data:", "  path: " + tmp.resolve("data"),
                "optimizer:", "  warmup_steps: 2", "train:", "  steps: 8", "checkpoint:", "  keep_last: 3", "mixing:", "  method: static", ""));
        return ConfigTree.load(file).withOverrides(List.of(overrides));
    }

    private RunDirectory dir(Path run, ConfigTree tree, DataIdentity data, Map<String, String> env) {
        RunConfig cfg = tree.bind(RunConfig.class);
        RunJson json = new RunJson("r", "static", "tiny", 1000, DOMAINS, cfg.train().steps(), 128, "byte", "cpu", env, data, false,
                Mappers.JSON.createObjectNode());
        return new RunDirectory(run, tree, cfg, json, true, new PrintStream(printed, true, StandardCharsets.UTF_8));
    }

    private RunDirectory dir(Path run) throws IOException {
        return dir(run, tree(), DATA, ENV);
    }

    private String printed() { return printed.toString(StandardCharsets.UTF_8); }

    /** Checkpoints of steps 2, 4 and 6 as a run writes them (stand-in model and policy), the log 10 bytes per step. */
    private Path runWithCheckpoints() throws IOException {
        Path run = tmp.resolve("run");
        RunDirectory d = dir(run);
        try (DirectoryLock lock = d.lock()) {
            d.begin(d.startingPoint(false, false));
            for (long step : new long[] {2, 4, 6}) {
                Files.writeString(d.metrics(), "x".repeat((int) (10 * step)));
                TrainerState state = new TrainerState(TrainerState.FORMAT_VERSION, step, 10 * step, "static", DOMAINS,
                        Mappers.JSON.createObjectNode(), ENV, DATA, 0);
                d.checkpoint(step, p -> Files.writeString(p, "model of step " + step), p -> {
                    Files.createDirectories(p);
                    Files.writeString(p.resolve("static.json"), "{}");
                }, state, () -> {});
            }
        }
        return run;
    }

    @Test void aFolderOfOtherFilesIsRefusedBeforeTheLockFileIsMadeInIt() throws IOException {
        Path run = tmp.resolve("mine");
        Files.createDirectories(run);
        for (String f : List.of("a.txt", "b.txt", "c.txt", "d.txt", "e.txt", "f.txt", "g.txt")) Files.writeString(run.resolve(f), f);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> dir(run).lock());
        assertEquals(run + " is not empty and is not a run directory (it holds a.txt, b.txt, c.txt, d.txt, e.txt and 2 more); "
                + "train into a new or empty directory (--out)", e.getMessage());
        assertFalse(Files.exists(run.resolve(RunDirectory.LOCK_FILE)));
    }

    @Test void oneTrainerHoldsTheDirectory() throws IOException {
        Path run = tmp.resolve("run");
        try (DirectoryLock held = dir(run).lock()) {
            DirectoryLock.HeldException e = assertThrows(DirectoryLock.HeldException.class, () -> dir(run).lock());
            assertTrue(e.getMessage().startsWith(run + " is in use by this process"), e.getMessage());
        }
        try (DirectoryLock again = dir(run).lock()) {
            assertTrue(Files.isRegularFile(run.resolve(RunDirectory.LOCK_FILE)));
        }
    }

    @Test void aRunsLogIsReplacedOnlyWithOverwriteAndNothingElseIsRemoved() throws IOException {
        Path run = tmp.resolve("run");
        RunDirectory d = dir(run);
        try (DirectoryLock lock = d.lock()) {
            assertEquals(ResumePoint.FRESH, d.startingPoint(false, false));
            d.begin(ResumePoint.FRESH);
            Files.writeString(d.metrics(), "{}\n");
            IllegalStateException log = assertThrows(IllegalStateException.class, () -> d.startingPoint(false, false));
            assertTrue(log.getMessage().startsWith(run + " holds the log of a run (run.json, metrics.jsonl) and no checkpoint"), log.getMessage());

            assertEquals(ResumePoint.FRESH, d.startingPoint(false, true));
            assertTrue(printed().contains("--overwrite: removed " + run.resolve("metrics.jsonl")), printed());
            assertEquals(List.of(RunDirectory.LOCK_FILE), entries(run));

            // A file that no run writes stops --overwrite before it removes anything.
            d.begin(ResumePoint.FRESH);
            Files.delete(run.resolve(RunDirectory.RUN_JSON));
            Files.writeString(run.resolve("notes.txt"), "mine");
            IllegalStateException mine = assertThrows(IllegalStateException.class, () -> d.startingPoint(false, true));
            assertTrue(mine.getMessage().contains("is not a run directory (it holds config.yaml, notes.txt)"), mine.getMessage());
            assertTrue(Files.isRegularFile(run.resolve("config.yaml")));
        }
    }

    @Test void beginCleansUpAndWritesTheRunsFiles() throws IOException {
        Path run = tmp.resolve("run");
        RunDirectory d = dir(run);
        try (DirectoryLock lock = d.lock()) {
            d.begin(d.startingPoint(false, false));
            // What a run killed before its first checkpoint leaves: a checkpoint's temporary folder, a file's temporary.
            Files.createDirectories(run.resolve("checkpoints/.tmp-" + Checkpoints.name(2)));
            Files.writeString(run.resolve("run.json.tmp-4242-1"), "half");
            d.begin(d.startingPoint(true, false));
        }
        assertTrue(printed().contains("no complete checkpoint in " + run.resolve("checkpoints") + ": starting from step 0"), printed());
        assertTrue(printed().contains("removed " + run.resolve("checkpoints/.tmp-" + Checkpoints.name(2)) + ", left by an interrupted checkpoint"));
        assertTrue(printed().contains("removed " + run.resolve("run.json.tmp-4242-1") + ", left by an interrupted write"), printed());
        assertEquals(tree().bind(RunConfig.class).toYaml(), Files.readString(run.resolve("config.yaml")));
        JsonNode json = Mappers.JSON.readTree(run.resolve("run.json").toFile());
        assertFalse(json.get("complete").asBoolean());
        assertEquals("f1", json.get("data").get("fingerprint").asText());
        assertEquals("1", json.get(RunJson.NUMERIC_ENVIRONMENT).get("threads").asText());
        d.writeRunJson(true);
        assertTrue(Mappers.JSON.readTree(run.resolve("run.json").toFile()).get("complete").asBoolean());
    }

    @Test void aResumeTakesTheNewestUsableCheckpointAndSetsTheDamagedOnesAside() throws IOException {
        Path run = runWithCheckpoints();
        Path six = run.resolve("checkpoints").resolve(Checkpoints.name(6));
        Files.writeString(six.resolve(Checkpoints.TRAINER_STATE), "{}");
        RunDirectory d = dir(run);
        try (DirectoryLock lock = d.lock()) {
            ResumePoint from = d.startingPoint(true, false);
            assertEquals(4, from.step());
            assertEquals(40, from.metricsOffset());
            assertEquals(run.resolve("checkpoints").resolve(Checkpoints.name(4)).resolve(Checkpoints.MODEL), from.model());
            assertEquals(1, from.damaged().size());
            assertTrue(Files.isDirectory(six), "nothing moves before every rank has read its checkpoint");
            assertFalse(printed().contains("resuming"), "said once the trainer has loaded the checkpoint");
            d.resuming(from);
            d.begin(from);
        }
        assertFalse(Files.exists(six));
        assertTrue(Files.isDirectory(run.resolve("checkpoints/damaged-" + Checkpoints.name(6))));
        assertTrue(printed().contains("resuming r from " + run.resolve("checkpoints").resolve(Checkpoints.name(4)) + " (step 4 of 8)"), printed());
        assertTrue(printed().contains("is damaged (trainer.json has 2 bytes, the manifest recorded"), printed());
    }

    @Test void aResumeRefusesWhatDoesNotContinueTheRunAndChangesNothing() throws IOException {
        Path run = runWithCheckpoints();
        Map<String, byte[]> before = RunDirectorySafetyTest.files(run);
        // The log cut below the checkpoint's offset.
        Files.writeString(run.resolve("metrics.jsonl"), "x".repeat(30));
        IllegalStateException cut = assertThrows(IllegalStateException.class, () -> dir(run).startingPoint(true, false));
        assertTrue(cut.getMessage().contains("metrics.jsonl has 30 bytes, but checkpoint " + Checkpoints.name(6) + " was written when it had 60"),
                cut.getMessage());
        Files.writeString(run.resolve("metrics.jsonl"), "x".repeat(60));
        // Another configuration, other data, fewer steps than the checkpoint reached.
        IllegalArgumentException config = assertThrows(IllegalArgumentException.class,
                () -> dir(run, tree("optimizer.lr=0.5"), DATA, ENV).startingPoint(true, false));
        assertTrue(config.getMessage().contains("was written under another configuration: ") && config.getMessage().contains("optimizer.lr: 6.0E-4 vs 0.5"),
                config.getMessage());
        IllegalArgumentException data = assertThrows(IllegalArgumentException.class,
                () -> dir(run, tree(), new DataIdentity("f2", "byte", DOMAINS), ENV).startingPoint(true, false));
        assertTrue(data.getMessage().contains("the documents (same tokenizer and domains, other token counts) differ"), data.getMessage());
        IllegalArgumentException steps = assertThrows(IllegalArgumentException.class,
                () -> dir(run, tree("train.steps=5"), DATA, ENV).startingPoint(true, false));
        assertTrue(steps.getMessage().contains("train.steps 5 is below step 6, which checkpoint " + Checkpoints.name(6) + " already reached "
                + "(the run was planned for 8)"), steps.getMessage());
        RunDirectorySafetyTest.assertSameFiles(before, RunDirectorySafetyTest.files(run));

        // More steps, another thread count: the run goes on, saying what that means.
        ResumePoint longer = dir(run, tree("train.steps=10"), DATA, Map.of("threads", "2", "blas", "openblas")).startingPoint(true, false);
        assertEquals(6, longer.step());
        assertTrue(longer.damaged().isEmpty());
        assertTrue(printed().contains("acodm: note: train.steps 10, the run was planned for 8") && printed().contains("steps 9 to 10 train at min_lr"),
                printed());
        assertTrue(printed().contains("was written under another numeric environment") && printed().contains("threads"), printed());
    }

    @Test void aNewRunRefusesADirectoryWithCheckpoints() throws IOException {
        Path run = runWithCheckpoints();
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> dir(run).startingPoint(false, false));
        assertEquals(run + " already holds checkpoints of a run; use --resume to continue it, --overwrite to replace it, or another --out",
                e.getMessage());
    }

    /** The names in {@code dir}, sorted. */
    private static List<String> entries(Path dir) throws IOException {
        return org.acodm.io.Directories.foreignEntries(dir, p -> false);
    }
}
