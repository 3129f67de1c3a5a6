package org.acodm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.acodm.train.TrainFixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 19, case 13: `acodm eval` on a run that is training says so (naming the trainer's pid) and scores the newest
 * complete checkpoint, even while new checkpoints replace old ones (checkpoint every step, keep_last 1); before the
 * first checkpoint it says when that comes.
 */
class EvalWhileTrainingTest {
    @TempDir Path dir;

    @Test void evalOfATrainingRunUsesItsNewestCompleteCheckpoint() throws Exception {
        Path cfg = TrainFixtures.writeConfig(dir.resolve("t.yaml"), "t", "  method: static");
        Files.writeString(cfg, Files.readString(cfg).replace("  steps: 8\n", "  steps: 100000\n").replace("  interval: 2\n  keep_last: 2\n",
                "  interval: 1\n  keep_last: 1\n"));
        Path run = dir.resolve("run");
        Process p = TrainFixtures.childCli(List.of("train", "--config", cfg.toString(), "--out", run.toString()), dir.resolve("train.log"), Map.of());
        try {
            long deadline = System.nanoTime() + 120_000_000_000L;
            while (!Files.isDirectory(run.resolve("checkpoints")) || TrainFixtures.records(TrainFixtures.metrics(run), "step").size() < 3) {
                assertTrue(p.isAlive(), Files.readString(dir.resolve("train.log")));
                assertTrue(System.nanoTime() < deadline, "no checkpoint within two minutes");
                Thread.sleep(20);
            }
            for (int i = 0; i < 3; i++) {
                TrainFixtures.CliResult r = TrainFixtures.cli("eval", "--run", run.toString());
                assertEquals(0, r.rc(), r.all());
                assertTrue(r.out().contains("acodm: note: " + run + " is training now (pid " + p.pid() + "): evaluating its newest complete checkpoint"),
                        r.out());
                assertTrue(r.out().matches("(?s).*\\naverage +[0-9.]+ +[0-9.]+ +[0-9.]+\\n.*"), r.out());
            }
        } finally {
            p.destroyForcibly();
            p.waitFor();
        }
    }
}
