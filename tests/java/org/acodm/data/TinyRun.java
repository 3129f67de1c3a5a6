package org.acodm.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.acodm.train.TrainFixtures;

/**
 * That a generated corpus is usable end to end: it prepares with the byte tokenizer, and the tiny model trains a few
 * steps on all its domains with uniform weights, evaluating every domain before and after.
 */
final class TinyRun {
    private TinyRun() {}

    static final int STEPS = 6;

    /** Prepares {@code corpus} into {@code work/shards}, trains on it in {@code work/run}; returns the run's metrics records. */
    static List<JsonNode> prepareAndTrain(Path corpus, List<String> domains, Path work) throws IOException {
        Path shards = work.resolve("shards");
        Manifest m;
        try (Tokenizer t = Tokenizer.fromSpec("byte")) {
            m = ShardPreparer.prepare(CorpusSource.resolve(List.of(corpus.toString())), t, shards, ShardPreparer.Options.defaults(),
                    ShardPreparer.Listener.NONE);
        }
        assertEquals(domains, m.domains(), "the prepared domains");
        for (Split s : Split.values())
            for (String d : domains) assertTrue(m.split(s).get(d).tokens() > 0, s + " " + d + " has no tokens");

        Path config = work.resolve("tiny.yaml");
        Files.writeString(config, String.join("\n",
                "run:", "  name: tiny", "  seed: 3", "  device: cpu", "  threads: 1",
                "model:", "  config: tiny",
                "data:", "  path: " + shards, "  seq_len: 32", "  batch_size: 8", "  micro_batches: 1", "  domain_granularity: window",
                "  eval_windows_per_domain: 2",
                "optimizer:", "  lr: 3.0e-3", "  min_lr: 3.0e-4", "  warmup_steps: 1",
                "train:", "  steps: " + STEPS,
                "eval:", "  interval: 0", "  at_start: true",
                "checkpoint:", "  interval: 0",
                "mixing:", "  method: static", "  static:", "    source: uniform", ""), StandardCharsets.UTF_8);
        Path run = TrainFixtures.train(config, work.resolve("run"));
        List<JsonNode> all = TrainFixtures.metrics(run);
        List<JsonNode> steps = TrainFixtures.records(all, "step");
        assertEquals(STEPS, steps.size(), "step records");
        for (JsonNode s : steps) {
            List<String> keys = new ArrayList<>();
            s.get("weights").fieldNames().forEachRemaining(keys::add);
            assertEquals(domains, keys, "the run trains on every domain of the corpus");
            for (String d : domains) assertEquals(1.0 / domains.size(), s.get("weights").get(d).asDouble(), 1e-12, d);
            assertTrue(Double.isFinite(s.get("loss").asDouble()) && s.get("grad_norm").asDouble() > 0, s.toString());
        }
        List<JsonNode> evals = TrainFixtures.records(all, "eval");
        assertEquals(List.of(0L, (long) STEPS), evals.stream().map(e -> e.get("step").asLong()).toList(), "eval before and after training");
        for (JsonNode e : evals)
            for (String d : domains) assertTrue(Double.isFinite(e.get("domain_loss").get(d).asDouble()), d + " evaluated: " + e);
        assertTrue(evals.get(1).get("loss").asDouble() < evals.get(0).get("loss").asDouble(),
                "training lowers the eval loss: " + evals.get(0).get("loss") + " -> " + evals.get(1).get("loss"));
        return all;
    }
}
