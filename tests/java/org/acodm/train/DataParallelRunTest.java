package org.acodm.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.acodm.config.Mappers;
import org.acodm.mixing.ActorExport;
import org.junit.jupiter.params.ParameterizedTest;
import java.util.stream.Stream;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 12, acceptance 1: static, ODM and AC-ODM trained by two ranks over Gloo on 127.0.0.1 (started by
 * {@code acodm train --nproc-per-node 2}) against one process on the same global batch. Every step record — loss,
 * per-domain losses, weights, S, learning rate, gradient norm, the policy's scalars — and every evaluation record
 * agree within 1e-5 relative; only summation orders differ. Rank 0 alone writes the run directory; the replicated
 * policy state is compared across the ranks every 2 steps (a mismatch would stop the run).
 */
class DataParallelRunTest {
    static final double TOLERANCE = 1e-5;

    @TempDir Path dir;

    static Stream<Arguments> methods() {
        return Stream.of(Arguments.of("static", "  method: static\n  static:\n    source: map\n    weights: {Bible: 4, Emails: 2, Github-C: 1, Metamath: 1}"),
                Arguments.of("odm", "  method: odm\n  odm: {}"),
                Arguments.of("acodm", TrainFixtures.ACODM));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("methods")
    void twoRanksEqualOneProcessOnTheSameGlobalBatch(String name, String mixing) throws Exception {
        Path cfg = DistFixtures.config(dir, name, mixing, 8);
        Path one = TrainFixtures.train(cfg, dir.resolve(name + "-1"));
        Path two = DistFixtures.runRanks(cfg, dir.resolve(name + "-2"), 2);

        double worst = DistFixtures.assertClose(one, two, TOLERANCE);
        System.out.printf("%s: 2 ranks vs 1, worst relative difference %.3g%n", name, worst);
        List<JsonNode> steps = TrainFixtures.records(TrainFixtures.metrics(two), "step");
        assertEquals(8, steps.size());
        assertTrue(steps.get(7).has("alignment"), "S is logged");
        assertEquals(3, TrainFixtures.records(TrainFixtures.metrics(two), "eval").size());
        String log = DistFixtures.logText(two);
        assertTrue(log.contains("[rank 0] distributed: 2 ranks (torchrun, rendezvous 127.0.0.1:"), log);
        assertTrue(log.contains("each trains 2 of the 4 windows of a step"), log);
        assertTrue(log.matches("(?s).*\\[rank 0] distributed: 2 ranks over gloo; per step and rank: gradient all-reduce .* sent .*"
                + "all-reduce time [0-9.]+% of step time.*"), log);
        // Rank 1 prints nothing of the run (rank 0 speaks for it), and neither writes anything but rank 0's files.
        assertTrue(log.lines().filter(l -> l.startsWith("[rank 1]")).allMatch(l -> l.contains("Gram kernel")), log);
        JsonNode runJson = Mappers.JSON.readTree(two.resolve("run.json").toFile());
        assertTrue(runJson.get("complete").asBoolean());
        assertEquals("2", runJson.path("numeric_environment").path("world_size").asText());
        if (name.equals("acodm")) assertTrue(Files.isRegularFile(two.resolve(ActorExport.FILE_NAME)));
    }
}
