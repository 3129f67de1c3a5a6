package org.acodm.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.acodm.config.Mappers;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A run's numbers depend on its config, not on how it was started: the same config trained in this JVM (surefire's
 * environment, whatever the caller exported) and through the user's launcher {@code bin/acodm} with the thread
 * variables set both ways gives identical metrics, since the engine pins libtorch's, OpenMP's and the BLAS
 * library's pools to run.threads. Before that pin, Debian's OpenBLAS sized its pool from OPENBLAS_NUM_THREADS /
 * OMP_NUM_THREADS or the core count, and the losses differed from step 0 in the 8th digit.
 */
class ReproducibilityTest {
    @TempDir Path dir;

    /**
     * Wide enough (d 256, 64-token windows of 8) that OpenBLAS splits its products across threads when it may; the
     * tiny model's products are below its threading threshold and would agree even without the pin.
     */
    private Path config() throws Exception {
        Path cfg = TrainFixtures.writeConfig(dir.resolve("acodm.yaml"), "repro", TrainFixtures.ACODM);
        String yaml = Files.readString(cfg)
                .replace("  config: tiny\n", "  config: tiny:d_model=256,heads=4\n")
                .replace("  seq_len: 32\n", "  seq_len: 64\n")
                .replace("  batch_size: 4\n  micro_batches: 4\n", "  batch_size: 8\n  micro_batches: 4\n")
                .replace("  steps: 8\n", "  steps: 6\n");
        Files.writeString(cfg, yaml);
        return cfg;
    }

    @Test void inProcessAndLauncherRunsAgreeWhateverTheThreadVariablesSay() throws Exception {
        Path cfg = config();
        Path inProcess = TrainFixtures.train(cfg, dir.resolve("in-process"));
        for (String threads : List.of("1", "2")) {
            Path run = dir.resolve("launcher-" + threads);
            Path log = dir.resolve("launcher-" + threads + ".log");
            Process p = TrainFixtures.launcher(List.of("train", "--config", cfg.toString(), "--out", run.toString()), log,
                    Map.of("OMP_NUM_THREADS", threads, "OPENBLAS_NUM_THREADS", threads));
            int rc = p.waitFor();
            assertEquals(0, rc, () -> read(log));
            List<JsonNode> want = TrainFixtures.withoutTiming(TrainFixtures.metrics(inProcess));
            List<JsonNode> got = TrainFixtures.withoutTiming(TrainFixtures.metrics(run));
            assertEquals(want.size(), got.size(), "records with OMP_NUM_THREADS=OPENBLAS_NUM_THREADS=" + threads);
            for (int i = 0; i < want.size(); i++)
                assertEquals(want.get(i), got.get(i), "record " + i + " with OMP_NUM_THREADS=OPENBLAS_NUM_THREADS=" + threads);
            JsonNode env = Mappers.JSON.readTree(run.resolve("run.json").toFile()).path(RunJson.NUMERIC_ENVIRONMENT);
            assertEquals("1", env.path("threads").asText(), env.toString());
            assertTrue(env.path("blas_threads").asText().equals("1") || env.path("blas_threads").asText().equals("-1"), env.toString());
        }
    }

    @Test void aResumeUnderOtherThreadsSaysItIsNoLongerBitExact() throws Exception {
        Path cfg = TrainFixtures.writeConfig(dir.resolve("static.yaml"), "threads", "  method: static\n  static: {source: uniform}");
        Path run = dir.resolve("run");
        TrainFixtures.CliResult first = TrainFixtures.cli("train", "--config", cfg.toString(), "--out", run.toString(), "--max-steps", "4");
        assertEquals(0, first.rc(), first.all());
        JsonNode saved = Mappers.JSON.readTree(
                run.resolve("checkpoints/" + Checkpoints.name(4) + "/" + Checkpoints.TRAINER_STATE).toFile()).path(RunJson.NUMERIC_ENVIRONMENT);
        for (String key : List.of("threads", "blas", "blas_threads", "cpu", "cpu_isa", "gram_kernel", "libtorch", "device"))
            assertTrue(saved.hasNonNull(key), "the checkpoint records " + key + ": " + saved);

        TrainFixtures.CliResult resumed = TrainFixtures.cli("train", "--config", cfg.toString(), "--out", run.toString(), "--resume",
                "--set", "run.threads=2");
        assertEquals(0, resumed.rc(), resumed.all());
        assertTrue(resumed.out().contains("another numeric environment"), resumed.all());
        assertTrue(resumed.out().contains("threads: 1 then vs 2 now"), resumed.all());
        assertEquals(8, TrainFixtures.records(TrainFixtures.metrics(run), "step").size());
    }

    private static String read(Path log) {
        try {
            return Files.readString(log, StandardCharsets.UTF_8);
        } catch (java.io.IOException e) {
            return "(no log: " + e + ")";
        }
    }
}
