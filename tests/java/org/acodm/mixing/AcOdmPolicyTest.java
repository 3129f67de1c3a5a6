package org.acodm.mixing;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.acodm.engine.AgentNetworks;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The AC-ODM policy end to end on synthetic step results: learning, warmup imitation, resume and transfer. */
class AcOdmPolicyTest {
    /** CPU-test networks: 2 hidden layers of 64, everything else the defaults (mixture reward, paper rates). */
    static AcOdmConfig small() {
        return AcOdmConfig.defaults().withNetworks(64, 2).withDevice("cpu");
    }

    /**
     * Acceptance 2: a contextual bandit whose best domain depends on one state feature. After at most 3,000 DDPG
     * updates the actor's own output (the weight above the floor) puts > 80% on the best domain in each context.
     */
    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3})
    void learnsTheBestDomainOfEachContext(long seed) {
        // 1,500 steps: 30 warmup steps, then 1,470 DDPG updates (within the 3,000 allowed).
        long total = 1500;
        ContextualBandit env = new ContextualBandit(total, 1000 + seed);
        try (AcOdmPolicy p = new AcOdmPolicy(ContextualBandit.DOMAINS, small(), total, seed, ContextualBandit.uniform())) {
            double[][] share = new double[2][2];  // per context: sum of mu_best, count (over the last 300 steps)
            for (long t = 0; t < total; t++) {
                p.observe(env.observe(t, p.weights()));
                if (t >= total - 300) {
                    int c = env.context(t + 1);
                    float[] mu = p.networks().act(p.lastState(), 1);
                    share[c][0] += mu[ContextualBandit.best(c)];
                    share[c][1] += 1;
                }
            }
            long updates = p.metrics().get("acodm/updates").longValue();
            assertTrue(updates <= 3000, "updates: " + updates);
            for (int c = 0; c < 2; c++) {
                double mean = share[c][0] / share[c][1];
                assertTrue(mean > 0.8, "seed " + seed + ", context " + c + ": the actor puts " + mean + " on domain "
                        + ContextualBandit.best(c) + " after " + updates + " updates");
            }
        }
    }

    /** Acceptance 3: during the warmup the actor learns ODM's weights (floor removed) to MSE < 1e-3 on a fixed set. */
    @Test
    void warmupClonesTheOdmWeights() {
        long total = 400;
        AcOdmConfig c = small().withWarmupFraction(1.0);
        ContextualBandit env = new ContextualBandit(total, 7);
        try (AcOdmPolicy p = new AcOdmPolicy(ContextualBandit.DOMAINS, c, total, 5, ContextualBandit.uniform())) {
            assertEquals(400, p.warmupSteps());
            for (long t = 0; t < total - 1; t++) p.observe(env.observe(t, p.weights()));
            assertEquals(0, p.metrics().get("acodm/updates"));
            // The fixed set: the last 64 transitions, whose actions are ODM's weights with the floor removed.
            ReplayBuffer b = p.replayBuffer();
            int[] idx = new int[64];
            for (int i = 0; i < 64; i++) idx[i] = b.size() - 64 + i;
            ReplayBuffer.Batch batch = b.gather(idx);
            double mse = p.networks().actorError(batch.states(), batch.actions(), batch.n());
            assertTrue(mse < 1e-3, "behaviour-cloning MSE " + mse);
            // And the ODM weights really moved away from uniform, so the check is not trivial.
            double spread = 0;
            for (int i = 0; i < 3; i++) spread = Math.max(spread, Math.abs(batch.actions()[i] - 1.0 / 3));
            assertTrue(spread > 0.01, "ODM targets stayed uniform: " + spread);
        }
    }

    /** Acceptance 4a: save mid-run (buffer, networks, optimizer states), load into a fresh policy, continue bit for bit. */
    @Test
    void saveLoadContinuesBitForBit(@TempDir Path dir) throws Exception {
        long total = 120;
        AcOdmConfig c = small().withWarmupFraction(0.2);
        ContextualBandit env = new ContextualBandit(total, 11);
        List<double[]> straightWeights = new ArrayList<>();
        List<Map<String, Double>> straightMetrics = new ArrayList<>();
        try (AcOdmPolicy p = new AcOdmPolicy(ContextualBandit.DOMAINS, c, total, 3, ContextualBandit.uniform())) {
            for (long t = 0; t < total; t++) {
                p.observe(env.observe(t, p.weights()));
                straightWeights.add(p.weights());
                straightMetrics.add(p.metrics());
            }
        }
        int cut = 60;
        try (AcOdmPolicy p = new AcOdmPolicy(ContextualBandit.DOMAINS, c, total, 3, ContextualBandit.uniform())) {
            for (long t = 0; t < cut; t++) p.observe(env.observe(t, p.weights()));
            p.save(dir);
        }
        try (AcOdmPolicy q = new AcOdmPolicy(ContextualBandit.DOMAINS, c, total, 3, ContextualBandit.uniform())) {
            q.load(dir);
            assertArrayEquals(straightWeights.get(cut - 1), q.weights());
            for (long t = cut; t < total; t++) {
                q.observe(env.observe(t, q.weights()));
                assertArrayEquals(straightWeights.get((int) t), q.weights(), 0.0, "weights after step " + t);
                assertEquals(straightMetrics.get((int) t), q.metrics(), "losses after step " + t);
            }
            assertTrue(q.metrics().get("acodm/updates") > 50);
        }
    }

    /** Acceptance 4b: an exported actor, loaded frozen, chooses bit-identical weights to the live actor. */
    @Test
    void exportedActorActsLikeTheLiveOne(@TempDir Path dir) {
        long total = 100;
        AcOdmConfig c = small().withWarmupFraction(0.1);
        ContextualBandit env = new ContextualBandit(total, 13);
        List<StepObservation> seen = new ArrayList<>();
        try (AcOdmPolicy live = new AcOdmPolicy(ContextualBandit.DOMAINS, c, total, 4, ContextualBandit.uniform())) {
            for (long t = 0; t < 60; t++) {
                StepObservation o = env.observe(t, live.weights());
                seen.add(o);
                live.observe(o);
            }
            Path file = dir.resolve("proxy-run").resolve(ActorExport.FILE_NAME);
            live.exportActor(file);
            ActorExport meta = ActorExport.read(file.getParent());
            assertEquals(ContextualBandit.DOMAINS, meta.domains());
            assertEquals(3 * 3 + 2 * 9 + 1, meta.stateDim());
            assertEquals(60, meta.stepsTrained());

            try (FrozenActorPolicy frozen = new FrozenActorPolicy(file.getParent(), ContextualBandit.DOMAINS, "cpu")) {
                assertEquals(live.stateLayers(16), frozen.stateLayers(16));
                for (StepObservation o : seen) frozen.observe(o);
                assertArrayEquals(live.lastState(), frozen.lastState());
                assertArrayEquals(live.greedyWeights(), frozen.weights(), 0.0);
                assertTrue(frozen.metrics().isEmpty());
                assertTrue(!frozen.needsAlignment());
            }
            try (AgentNetworks copy = AgentNetworks.importedActor(file, "cpu")) {
                float[] states = new float[5 * live.stateDim()];
                for (int i = 0; i < states.length; i++) states[i] = (float) Math.sin(i);
                assertArrayEquals(live.networks().act(states, 5), copy.act(states, 5));
            }

            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> new FrozenActorPolicy(file, List.of("alpha", "gamma", "delta"), "cpu"));
            assertTrue(e.getMessage().contains("only in this run: [delta]") && e.getMessage().contains("only in the actor: [beta]"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class,
                    () -> new FrozenActorPolicy(file, List.of("beta", "alpha", "gamma"), "cpu"));
            assertTrue(e.getMessage().contains("another order"), e.getMessage());
            ActorExport m = ActorExport.read(file);
            e = assertThrows(IllegalArgumentException.class, () -> m.checkCompatible(ContextualBandit.DOMAINS, 7));
            assertTrue(e.getMessage().contains("dimension 28") && e.getMessage().contains("builds 24"), e.getMessage());
        }
    }

    @Test
    void vectorRewardAndImportanceRun() {
        long total = 60;
        ContextualBandit env = new ContextualBandit(total, 17);
        try (AcOdmPolicy p = new AcOdmPolicy(ContextualBandit.DOMAINS, small().withReward(RewardMode.VECTOR, true).withWarmupFraction(0.2),
                total, 1, ContextualBandit.uniform())) {
            assertEquals(3, p.networks().criticOutputs());
            for (long t = 0; t < total; t++) p.observe(env.observe(t, p.weights()));
            assertTrue(Double.isFinite(p.metrics().get("acodm/critic_loss")));
            double sum = 0;
            for (double w : p.weights()) sum += w;
            assertEquals(1.0, sum, 1e-12);
        }
    }

    @Test
    void refusesObservationsItCannotUse() {
        try (AcOdmPolicy p = new AcOdmPolicy(ContextualBandit.DOMAINS, small(), 10, 1, ContextualBandit.uniform())) {
            StepObservation o = new ContextualBandit(10, 1).observe(0, p.weights());
            StepObservation noS = new StepObservation(o.domains(), 0, 10, o.domainLossSum(), o.domainTokens(), null, 1e-3,
                    o.stateNorms(), o.stateDeltaNorms());
            assertTrue(assertThrows(IllegalArgumentException.class, () -> p.observe(noS)).getMessage().contains("alignment matrix"));
            StepObservation noNorms = new StepObservation(o.domains(), 0, 10, o.domainLossSum(), o.domainTokens(), o.alignment(), 1e-3,
                    null, null);
            assertTrue(assertThrows(IllegalArgumentException.class, () -> p.observe(noNorms)).getMessage().contains("state layers"));
            p.observe(o);
            assertTrue(assertThrows(IllegalArgumentException.class, () -> p.observe(o)).getMessage().contains("increasing order"));
        }
    }
}
