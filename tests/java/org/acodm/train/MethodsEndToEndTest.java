package org.acodm.train;

import static org.acodm.train.TrainFixtures.DOMAINS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.acodm.config.Mappers;
import org.acodm.data.Manifest;
import org.acodm.data.Split;
import org.acodm.engine.Model;
import org.acodm.mixing.ActorExport;
import org.acodm.mixing.StateLayout;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every mixing method trains end to end through the real CLI (`acodm train` on a YAML written here, with --set
 * overrides): 8 steps of the tiny model on 4 minipile domains, and everything a run leaves behind is checked —
 * run.json, every metrics record, the checkpoints, and for AC-ODM the exported actor, which the frozen_actor
 * run then loads.
 */
class MethodsEndToEndTest {
    @TempDir static Path dir;
    private static Path acodmRun;

    /** The AC-ODM proxy run (trained once; the frozen_actor test needs its actor). */
    static synchronized Path acodmRun() throws IOException {
        if (acodmRun == null) {
            Path cfg = TrainFixtures.writeConfig(dir.resolve("acodm.yaml"), "acodm", TrainFixtures.ACODM);
            acodmRun = TrainFixtures.train(cfg, dir.resolve("runs/acodm"));
        }
        return acodmRun;
    }

    @Test void staticWeightsStayFixed() throws IOException {
        // The file asks for uniform; --set replaces the section with an inline map (source inferred from it).
        Path cfg = TrainFixtures.writeConfig(dir.resolve("static.yaml"), "static", "  method: static\n  static:\n    source: uniform");
        Path run = TrainFixtures.train(cfg, dir.resolve("runs/static"),
                "--set", "mixing.static={weights: {Bible: 4, Emails: 2, Github-C: 1, Metamath: 1}}");
        List<JsonNode> steps = checkRun(run, "static");
        for (JsonNode s : steps) {
            assertFalse(s.has("reported_weights"), "a static policy reports the weights it uses: " + s);
            assertEquals(0.5, s.get("weights").get("Bible").asDouble(), 1e-12);
            assertEquals(0.25, s.get("weights").get("Emails").asDouble(), 1e-12);
            assertEquals(0.125, s.get("weights").get("Metamath").asDouble(), 1e-12);
        }
    }

    @Test void odmMovesWeightsTowardsHighLoss() throws IOException {
        Path cfg = TrainFixtures.writeConfig(dir.resolve("odm.yaml"), "odm", "  method: odm\n  odm: {}");
        List<JsonNode> steps = checkRun(TrainFixtures.train(cfg, dir.resolve("runs/odm")), "odm");
        assertUniform(steps.get(0));  // initial weights
        // ε_t = 1/K keeps ODM uniform through t = 5; step 7 trains with the weights of t = 6.
        for (int i = 0; i < 6; i++) assertUniform(steps.get(i));
        // The weights of step 8 (chosen after observing step 7) rank the domains as ODM's smoothed mean of exp(loss) over
        // the losses logged with steps 1 to 7 does (smoothing 0.9 from 0, a domain absent from a step keeps its value):
        // the domain of the highest such loss gets the most weight, above uniform.
        double[] r = new double[DOMAINS.size()];
        for (JsonNode s : steps.subList(0, 7))
            for (int j = 0; j < r.length; j++) {
                JsonNode loss = s.get("domain_loss").get(DOMAINS.get(j));
                if (loss != null) r[j] = 0.9 * r[j] + 0.1 * Math.exp(loss.asDouble());
            }
        JsonNode w = steps.get(7).get("weights");
        int top = 0;
        for (int j = 1; j < r.length; j++) if (r[j] > r[top]) top = j;
        assertTrue(w.get(DOMAINS.get(top)).asDouble() > 0.25 + 1e-3, "the highest-loss domain " + DOMAINS.get(top) + " is not favoured: " + w);
        for (int i = 0; i < r.length; i++)
            for (int j = 0; j < r.length; j++)
                if (r[i] > r[j])
                    assertTrue(w.get(DOMAINS.get(i)).asDouble() > w.get(DOMAINS.get(j)).asDouble(),
                            DOMAINS.get(i) + " has the higher smoothed exp(loss) (" + r[i] + " vs " + r[j] + ") but not the higher weight: " + w);
    }

    @Test void dogeReportsItsRunningAverage() throws IOException {
        Path cfg = TrainFixtures.writeConfig(dir.resolve("doge.yaml"), "doge", "  method: doge\n  doge: {}");
        List<JsonNode> steps = checkRun(TrainFixtures.train(cfg, dir.resolve("runs/doge")), "doge");
        // After observing step t, DoGE reports the mean of the weights after each of its t updates (the released
        // code's avg_dw): α_1 .. α_t, which steps 2 .. t + 1 train with. The record of step 7 (written after the 7th
        // observation) reports α_1 .. α_7, the weights of the records of steps 2 .. 8.
        double[] mean = new double[DOMAINS.size()];
        for (JsonNode s : steps.subList(1, 8))
            for (int j = 0; j < mean.length; j++) mean[j] += s.get("weights").get(DOMAINS.get(j)).asDouble() / 7;
        JsonNode reported = steps.get(6).get("reported_weights");
        assertTrue(reported != null, "no reported_weights in DoGE's step records");
        for (int j = 0; j < mean.length; j++) assertEquals(mean[j], reported.get(DOMAINS.get(j)).asDouble(), 1e-12, DOMAINS.get(j));
        assertNotEquals(0.25, steps.get(7).get("weights").get("Bible").asDouble(), 1e-9, "DoGE never moved the weights");
    }

    /**
     * The closed form: weights from the alignment scores that it logs; with force_each_domain every step draws each of
     * the 4 domains once (4 windows), so every step is informative and the weights cannot change the batch: the domain
     * losses of every record name all 4 domains. Without shrinkage, so that 8 steps of a tiny model move the weights
     * (shrunk, scores with no signal beyond their noise are 0 and the weights the prior, which would show no wiring).
     */
    @Test void alignmentFollowsItsScoresWithEveryDomainForced() throws IOException {
        Path cfg = TrainFixtures.writeConfig(dir.resolve("alignment.yaml"), "alignment",
                "  method: alignment\n  alignment: {reward_layers: 2, scores: {shrinkage: false}}");
        List<JsonNode> steps = checkRun(TrainFixtures.train(cfg, dir.resolve("runs/alignment"), "--set", "data.force_each_domain=true"), "alignment");
        for (JsonNode s : steps) assertEquals(4, s.get("domain_loss").size(), s.toString());
        JsonNode last = steps.get(7);
        assertEquals(0.0, last.get("policy_alignment/degenerate_steps").asDouble());
        // α after step 8 is not logged; that of step 8 (after observing step 7) follows the scores logged with step 7.
        double[] r = new double[4], w = new double[4];
        for (int j = 0; j < 4; j++) {
            r[j] = steps.get(6).get("policy_alignment/score/" + DOMAINS.get(j)).asDouble();
            w[j] = last.get("weights").get(DOMAINS.get(j)).asDouble();
        }
        double eps = 0.2 / 4, tau = 0.15;  // the fixed floor's default share of uniform, the default temperature
        double z = 0;
        for (double v : r) z += Math.exp(v / tau);
        for (int j = 0; j < 4; j++) assertEquals((1 - 4 * eps) * Math.exp(r[j] / tau) / z + eps, w[j], 1e-9, DOMAINS.get(j));
        assertNotEquals(0.25, w[0], 1e-6, "the scores never moved the weights");
    }

    @Test void acodmTrainsItsAgentAndExportsTheActor() throws IOException {
        Path run = acodmRun();
        List<JsonNode> steps = checkRun(run, "acodm");
        assertUniform(steps.get(0));
        assertFalse(steps.get(7).has("reported_weights"), "AC-ODM's learned weights are the ones it uses");
        // Warmup: ceil(0.3 * 8) = 3 steps follow ODM, then one DDPG update per step. A step stores a transition when it
        // has one (not step 0: a transition needs the state before and after) and when at least 2 of the 4 domains
        // were drawn (one gradient alone aligns with nothing); the agent trains once its buffer holds a transition:
        // imitation during the warmup, DDPG after it.
        int stored = 0, degenerate = 0, imitations = 0, updates = 0;
        for (int i = 0; i < 8; i++) {
            if (steps.get(i).get("domain_loss").size() < 2) degenerate++;
            else if (i > 0) stored++;
            if (stored > 0) {
                if (i < 3) imitations++;
                else updates++;
            }
        }
        JsonNode last = steps.get(7);
        assertEquals(imitations, last.get("policy_acodm/imitation_steps").asDouble(), last.toString());
        assertEquals(updates, last.get("policy_acodm/updates").asDouble());
        assertEquals(stored, last.get("policy_acodm/replay_size").asDouble(), "one transition per informative step after the first");
        assertEquals(degenerate, last.get("policy_acodm/degenerate_steps").asDouble());
        assertTrue(updates >= 3, "the run barely trained its agent: " + updates + " updates");
        // Exploration makes each step's weights differ.
        assertNotEquals(steps.get(6).get("weights").get("Bible").asDouble(), steps.get(7).get("weights").get("Bible").asDouble());
        assertTrue(Double.isFinite(last.get("policy_acodm/critic_loss").asDouble()), last.toString());
        ActorExport a = ActorExport.read(run.resolve(ActorExport.FILE_NAME));
        assertEquals(DOMAINS, a.domains());
        assertEquals(8, a.stepsTrained());
        assertEquals(8, a.proxyTotalSteps());
        assertEquals(32, a.hidden());
        assertEquals(2, a.layers());
        assertEquals(StateLayout.TRENDS, a.stateLayout());
        assertEquals(2 * 4 + 1, a.stateDim());
    }

    @Test void frozenActorDrivesARunWithTheExportedActor() throws IOException {
        Path proxy = acodmRun();
        Path cfg = TrainFixtures.writeConfig(dir.resolve("frozen.yaml"), "frozen", "  method: frozen_actor\n  frozen_actor:\n    actor: nowhere");
        Path run = TrainFixtures.train(cfg, dir.resolve("runs/frozen"), "--set", "mixing.frozen_actor.actor=" + proxy.resolve(ActorExport.FILE_NAME),
                "--set", "model.config=tiny:layers=3");  // a different (deeper) target than the proxy, as in transfer
        List<JsonNode> steps = checkRun(run, "frozen_actor");
        assertUniform(steps.get(0));  // no state before the first observation
        boolean moved = false;
        for (JsonNode s : steps.subList(1, steps.size())) moved |= Math.abs(s.get("weights").get("Bible").asDouble() - 0.25) > 1e-6;
        assertTrue(moved, "the frozen actor never chose anything but uniform weights");
        assertFalse(Files.exists(run.resolve(ActorExport.FILE_NAME)), "a frozen actor run has no actor of its own to export");
        assertEquals(Model.shape("tiny:layers=3").parameters(),
                Mappers.JSON.readTree(run.resolve("run.json").toFile()).get("parameters").asLong());
    }

    private static void assertUniform(JsonNode step) {
        for (String d : DOMAINS) assertEquals(0.25, step.get("weights").get(d).asDouble(), 1e-12, step.toString());
    }

    /** What every finished run must hold; returns its step records. */
    static List<JsonNode> checkRun(Path run, String method) throws IOException {
        JsonNode info = Mappers.JSON.readTree(run.resolve("run.json").toFile());
        assertTrue(info.get("complete").asBoolean(), info.toString());
        assertEquals(method, info.get("method").asText());
        assertEquals(8, info.get("steps").asLong());
        assertEquals(4 * 32, info.get("tokens_per_step").asLong());
        List<String> domains = new ArrayList<>();
        info.get("domains").forEach(d -> domains.add(d.asText()));
        assertEquals(DOMAINS, domains);
        assertTrue(info.get("model").asText().contains("layers="), info.get("model").asText());
        assertTrue(Files.isRegularFile(run.resolve("config.yaml")));

        List<JsonNode> all = TrainFixtures.metrics(run);
        List<JsonNode> steps = TrainFixtures.records(all, "step");
        assertEquals(8, steps.size(), "step records");
        for (int i = 0; i < steps.size(); i++) {
            JsonNode s = steps.get(i);
            assertEquals(i + 1, s.get("step").asLong());
            double sum = 0;
            List<String> keys = new ArrayList<>();
            s.get("weights").fieldNames().forEachRemaining(keys::add);
            assertEquals(DOMAINS, keys, "weights are keyed by domain, in the run's order");
            for (String d : DOMAINS) {
                double w = s.get("weights").get(d).asDouble();
                assertTrue(w >= 0, s.toString());
                sum += w;
            }
            // 1e-6, not 1e-12: the frozen actor's weights are a float softmax (floored), exact to float precision only.
            assertEquals(1.0, sum, 1e-6, "weights of step " + (i + 1) + " sum to " + sum);
            // Four windows per step: each domain in the record was drawn, and its mean loss is a sane cross-entropy.
            assertTrue(s.get("domain_loss").size() >= 1 && s.get("domain_loss").size() <= 4, s.toString());
            s.get("domain_loss").fields().forEachRemaining(e -> {
                assertTrue(DOMAINS.contains(e.getKey()), e.getKey());
                assertTrue(e.getValue().asDouble() > 0 && e.getValue().asDouble() < 10, e.toString());
            });
            assertTrue(Double.isFinite(s.get("loss").asDouble()) && s.get("grad_norm").asDouble() > 0, s.toString());
            assertTrue(s.get("tokens_per_s").asDouble() > 0 && s.has("elapsed_s"), s.toString());
        }
        List<JsonNode> evals = TrainFixtures.records(all, "eval");
        assertEquals(List.of(0L, 4L, 8L), evals.stream().map(e -> e.get("step").asLong()).toList(), "eval at start, every 4 steps and at the end");
        var val = Manifest.read(TrainFixtures.data()).split(Split.VAL);
        for (JsonNode e : evals) {
            double pplSum = 0, bpbSum = 0;
            for (String d : DOMAINS) {
                double loss = e.get("domain_loss").get(d).asDouble(), ppl = e.get("domain_ppl").get(d).asDouble();
                assertEquals(Math.exp(loss), ppl, 1e-9 * ppl, d);
                // Bits per byte: the loss in bits spread over the val split's bytes per token (a little under 1 with the
                // byte tokenizer: every document adds an end-of-document token).
                Manifest.DomainStats st = val.get(d);
                double bpb = e.get("domain_bpb").get(d).asDouble();
                assertEquals(loss * st.tokens() / (st.bytes() * Math.log(2)), bpb, 1e-9 * bpb, d);
                assertTrue(st.bytes() < st.tokens() && st.tokens() < 1.02 * st.bytes(), st.toString());
                pplSum += ppl;
                bpbSum += bpb;
            }
            assertEquals(pplSum / 4, e.get("ppl").asDouble(), 1e-9 * pplSum, "average perplexity over domains");
            assertEquals(bpbSum / 4, e.get("bpb").asDouble(), 1e-9 * bpbSum);
        }
        // The untrained model predicts ~uniformly over the 384 (padded) ids; 8 steps must already lower the loss.
        assertEquals(Math.log(384), evals.get(0).get("loss").asDouble(), 0.3);
        assertTrue(evals.get(2).get("loss").asDouble() < evals.get(0).get("loss").asDouble() - 0.05,
                "eval loss " + evals.get(0).get("loss") + " -> " + evals.get(2).get("loss"));

        // keep_last 2 of the checkpoints every 2 steps: steps 6 and 8, each complete.
        List<String> ckpts;
        try (var s = Files.list(run.resolve("checkpoints"))) {
            ckpts = s.map(p -> p.getFileName().toString()).sorted().toList();
        }
        assertEquals(List.of("step-000000006", "step-000000008"), ckpts);
        Path last = run.resolve("checkpoints/step-000000008");
        for (String f : List.of("model.ckpt", "config.yaml", Checkpoints.TRAINER_STATE)) assertTrue(Files.isRegularFile(last.resolve(f)), f);
        assertTrue(Files.isDirectory(last.resolve("policy")));
        JsonNode state = Mappers.JSON.readTree(last.resolve(Checkpoints.TRAINER_STATE).toFile());
        assertEquals(8, state.get("next_step").asLong());
        assertEquals(Files.size(run.resolve("metrics.jsonl")), state.get("metrics_offset").asLong(), "the final checkpoint covers the whole log");
        return steps;
    }

    @Test void runJsonCountsTheModelsParameters() throws IOException {
        Path run = acodmRun();
        try (Model m = new Model("tiny", 1, "cpu")) {
            assertEquals(m.numParameters(), Mappers.JSON.readTree(run.resolve("run.json").toFile()).get("parameters").asLong());
        }
    }
}
