package org.acodm.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 11, case 4, with a real full disk: a tmpfs just large enough for one checkpoint holds the run directory, so
 * the second checkpoint runs out of space. The run must stop with an error naming the file and the bytes, leave no
 * temporary and the first checkpoint intact; resuming on the same full disk fails the same clean way, and once the
 * disk is larger the resume finishes with the metrics of an uninterrupted run. Needs root (mount); skipped otherwise.
 */
class DiskFullTest {
    @TempDir Path dir;
    private Path mount;

    @AfterEach void unmount() throws Exception {
        if (mount != null) TrainFixtures.command("umount", "-l", mount.toString());
    }

    @Test void aFullDiskWhileCheckpointingStopsCleanlyAndTheRunResumesOnceThereIsRoom() throws Exception {
        Path config = TrainFixtures.writeConfig(dir.resolve("static.yaml"), "disk-full", "  method: static");
        Path reference = TrainFixtures.train(config, dir.resolve("reference"));
        long checkpointBytes = bytes(reference.resolve("checkpoints").resolve(Checkpoints.name(8)));

        // Room for the run's small files and one checkpoint, and half of a second one.
        long size = (checkpointBytes * 3 / 2 + (256 << 10)) / 4096 * 4096;
        mount = dir.resolve("tmpfs");
        Files.createDirectories(mount);
        int rc = TrainFixtures.command("mount", "-t", "tmpfs", "-o", "size=" + size, "tmpfs", mount.toString());
        if (rc != 0) mount = null;
        assumeTrue(rc == 0, "mounting a tmpfs needs root and a mount namespace that allows it (mount exited " + rc + ")");

        Path runDir = mount.resolve("run");
        for (int attempt = 0; attempt < 2; attempt++) {
            List<String> args = new ArrayList<>(List.of("train", "--config", config.toString(), "--out", runDir.toString()));
            if (attempt > 0) args.add("--resume");
            TrainFixtures.CliResult r = TrainFixtures.cli(args.toArray(new String[0]));
            assertEquals(1, r.rc(), r.all());
            Path tmpModel = runDir.resolve("checkpoints/.tmp-" + Checkpoints.name(4) + "/model.ckpt");
            assertTrue(r.err().contains("cannot write model checkpoint " + tmpModel + ": No space left on device (the file needs "), r.err());
            assertTrue(r.err().contains(" bytes are free in "), r.err());
            assertTrue(r.all().contains(attempt == 0 ? "eval step 4" : "resuming disk-full from"), r.all());
            assertEquals(List.of(), temporaries(runDir), "no temporary is left behind");
            assertEquals(List.of(Checkpoints.name(2)), names(runDir.resolve("checkpoints")));
            assertTrue(Checkpoints.check(runDir.resolve("checkpoints").resolve(Checkpoints.name(2))).usable(), "step 2 intact");
        }

        assertEquals(0, TrainFixtures.command("mount", "-o", "remount,size=" + size * 4, mount.toString()));
        TrainFixtures.CliResult r = TrainFixtures.cli("train", "--config", config.toString(), "--out", runDir.toString(), "--resume");
        assertEquals(0, r.rc(), r.all());
        assertTrue(r.all().contains("(step 2 of 8)"), r.all());
        List<JsonNode> want = TrainFixtures.withoutTiming(TrainFixtures.metrics(reference));
        List<JsonNode> got = TrainFixtures.withoutTiming(TrainFixtures.metrics(runDir));
        assertEquals(want, got);
    }

    private static long bytes(Path d) throws IOException {
        try (Stream<Path> s = Files.walk(d)) {
            long n = 0;
            for (Path p : s.filter(Files::isRegularFile).toList()) n += Files.size(p);
            return n;
        }
    }

    private static List<String> temporaries(Path run) throws IOException {
        try (Stream<Path> s = Files.walk(run)) {
            return s.map(p -> run.relativize(p).toString()).filter(p -> p.contains(".tmp")).toList();
        }
    }

    private static List<String> names(Path d) throws IOException {
        try (Stream<Path> s = Files.list(d)) {
            return new ArrayList<>(s.map(p -> p.getFileName().toString()).sorted().toList());
        }
    }
}
