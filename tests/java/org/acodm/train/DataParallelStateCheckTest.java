package org.acodm.train;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.acodm.config.Sections;
import org.acodm.engine.ProcessGroup;
import org.acodm.mixing.OdmConfig;
import org.acodm.mixing.OdmPolicy;
import org.acodm.mixing.StepObservation;
import org.junit.jupiter.api.Test;

/**
 * The replicated-state check of data-parallel runs, on two ranks over Gloo in this JVM (one thread each): ODM
 * policies that saw the same steps pass; once rank 1's has seen other losses, both ranks stop with an error naming it.
 */
class DataParallelStateCheckTest {
    static final List<String> D = List.of("a", "b", "c");

    static StepObservation observation(int step, double shift) {
        double[] tokens = {100, 110, 120}, sums = new double[3];
        for (int i = 0; i < 3; i++) sums[i] = (3.0 - 0.1 * step + 0.2 * i + shift) * tokens[i];
        return new StepObservation(D, step, 10, sums, tokens, null, 1e-3, null, null);
    }

    @Test void ranksWhosePolicyStateDiffersStopNamingThem() throws Exception {
        int port = DistFixtures.freePort();
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            List<Future<String>> ranks = new ArrayList<>();
            for (int r = 0; r < 2; r++) {
                final int rank = r;
                ranks.add(pool.submit(() -> {
                    try (ProcessGroup g = ProcessGroup.join(rank, 2, "127.0.0.1", port, Duration.ofSeconds(DistFixtures.DIST_TIMEOUT_S), "gloo",
                            "cpu", "test"); DataParallel dp = new DataParallel(new World(rank, 2, rank, 2, "127.0.0.1", port, "torchrun"), g);
                         OdmPolicy p = new OdmPolicy(D, Sections.defaults(OdmConfig.class), new double[] {1.0 / 3, 1.0 / 3, 1.0 / 3})) {
                        for (int t = 0; t < 4; t++) p.observe(observation(t, 0));
                        assertDoesNotThrow(() -> dp.checkSameState(4, p.weights(), p));
                        p.observe(observation(4, rank == 1 ? 0.5 : 0));  // rank 1 saw other losses
                        return assertThrows(IllegalStateException.class, () -> dp.checkSameState(5, p.weights(), p)).getMessage();
                    }
                }));
            }
            for (Future<String> f : ranks) {
                String m = f.get(120, TimeUnit.SECONDS);
                assertTrue(m.startsWith("after step 5 the domain weights or the policy state of rank 1 differ from rank 0's"), m);
            }
        } finally {
            pool.shutdownNow();
        }
    }
}
