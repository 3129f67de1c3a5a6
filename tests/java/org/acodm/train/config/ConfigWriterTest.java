package org.acodm.train.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.acodm.config.ConfigDiff;
import org.acodm.config.ConfigTree;
import org.acodm.config.ConfigWriter;
import org.acodm.config.Mappers;
import org.acodm.config.Sections;
import org.acodm.mixing.MixingMethod;
import org.acodm.mixing.MixingSection;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Resolved config written back to YAML/JSON, and the comparison that guards resuming. */
class ConfigWriterTest {
    private static RunConfig sample() {
        RunConfig d = RunConfig.defaults();
        // Strings YAML would read as other types must survive the round trip as strings.
        DataSection data = Sections.with(d.data(), "path", "data/x", "seq_len", 128, "batch_size", 12, "micro_batches", 3,
                "domain_granularity", DataSection.DomainGranularity.WINDOW,
                "domains", List.of("yes", "null", "1e5", "Wikipedia (en)", "Gutenberg (PG-19)", "0x10"), "eval_windows_per_domain", 4);
        MixingSection mixing = d.mixing().withSettings(MixingMethod.STATIC,
                Map.of("weights", Map.of("Github", 0.25, "ArXiv", 0.75)));
        return new RunConfig(Sections.with(d.run(), "name", "2024", "seed", 7L, "device", RunSection.Device.CUDA, "threads", 2),
                new ModelSection("410m"), data, Sections.with(d.optimizer(), "lr", 3e-4, "min_lr", 3e-5, "warmup_steps", 10, "grad_clip", 0.0),
                new TrainSection(20_000_000_000L, 0, false), d.eval(), d.checkpoint(), mixing);
    }

    @Test
    void yamlRoundTripGivesAnEqualRecord() {
        RunConfig c = sample();
        String yaml = c.toYaml();
        RunConfig back = ConfigTree.parse(yaml, "resolved.yaml").bind(RunConfig.class);
        assertEquals(c, back, yaml);
        assertTrue(yaml.startsWith("run:\n  name: \"2024\"\n"), yaml);
        assertTrue(yaml.contains("domain_granularity: window"), yaml);
        assertTrue(ConfigDiff.between(c, back).isEmpty());
    }

    @Test
    void writeYamlIsAtomicAndReadable(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("sub/config.yaml");
        ConfigWriter.writeYaml(sample(), f);
        assertEquals(sample(), ConfigTree.load(f).bind(RunConfig.class));
        assertFalse(Files.exists(dir.resolve("sub/config.yaml.tmp")));
    }

    @Test
    void jsonTreeUsesYamlKeysInDeclarationOrder() throws Exception {
        JsonNode n = ConfigWriter.toNode(sample());
        assertEquals(List.of("run", "model", "data", "optimizer", "train", "eval", "checkpoint", "mixing"), iterable(n.fieldNames()));
        assertEquals(List.of("method", "static", "odm", "doge", "alignment", "acodm", "frozen_actor"), iterable(n.get("mixing").fieldNames()));
        assertEquals(12, n.at("/data/batch_size").asInt());
        assertEquals("static", n.at("/mixing/method").asText());
        // And it embeds in run.json as plain JSON.
        String json = Mappers.JSON.writeValueAsString(n);
        assertTrue(json.contains("\"seq_len\":128"), json);
        Map<String, Object> m = ConfigWriter.toMap(sample().optimizer());
        assertEquals(List.of("lr", "min_lr", "warmup_steps", "weight_decay", "beta1", "beta2", "eps", "grad_clip"), List.copyOf(m.keySet()));
    }

    private static List<String> iterable(java.util.Iterator<String> it) {
        List<String> out = new java.util.ArrayList<>();
        it.forEachRemaining(out::add);
        return out;
    }

    @Test
    void diffListsExactlyTheDifferingDottedKeys() {
        RunConfig a = sample();
        RunConfig b = new RunConfig(a.run(), a.model(),
                Sections.with(a.data(), "domains", List.of("yes")), Sections.with(a.optimizer(), "lr", 6e-4), new TrainSection(5, 0, false),
                a.eval(), a.checkpoint(), a.mixing().withSettings(MixingMethod.STATIC, Map.of("weights", Map.of("Github", 0.5, "ArXiv", 0.75))));
        List<ConfigDiff.Difference> d = ConfigDiff.between(a, b);
        assertEquals(List.of("data.domains", "optimizer.lr", "train.steps", "mixing.static.weights.Github"),
                d.stream().map(ConfigDiff.Difference::key).toList());
        assertEquals("optimizer.lr: 3.0E-4 vs 6.0E-4", d.get(1).toString());
        assertEquals(List.of("data.domains", "optimizer.lr", "mixing.static.weights.Github"),
                ConfigDiff.between(a, b, Set.of("train")).stream().map(ConfigDiff.Difference::key).toList());
    }

    @Test
    void diffComparesNumbersByValueAndReportsAbsentKeys() throws Exception {
        JsonNode saved = Mappers.JSON.readTree("{\"train\":{\"steps\":300.0},\"extra\":{\"x\":1}}");
        JsonNode now = Mappers.JSON.readTree("{\"train\":{\"steps\":300},\"new\":true}");
        List<ConfigDiff.Difference> d = ConfigDiff.between(saved, now);
        assertEquals(List.of(new ConfigDiff.Difference("extra", "{\"x\":1}", "<absent>"), new ConfigDiff.Difference("new", "<absent>", "true")), d);
    }
}
