package org.acodm.train.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.acodm.config.ConfigDiff;
import org.acodm.engine.TestPaths;
import org.acodm.mixing.MixingMethod;
import org.junit.jupiter.api.Test;

/** Every config shipped in configs/ loads without errors and says what its name promises. */
class ShippedConfigsTest {
    private static RunConfig load(String rel) throws Exception {
        return RunConfig.load(TestPaths.root().resolve(rel), List.of());
    }

    @Test
    void demoConfigs() throws Exception {
        RunConfig proxy = load("configs/demo/acodm-proxy.yaml");
        assertEquals("demo-proxy", proxy.model().config());
        assertEquals(MixingMethod.ACODM, proxy.mixing().method());
        String[][] targets = {{"acodm-target", "frozen_actor"}, {"odm-target", "odm"}, {"static-natural-target", "static"}, {"uniform-target", "static"}};
        for (String[] t : targets) {
            RunConfig c = load("configs/demo/" + t[0] + ".yaml");
            assertEquals(t[0], c.run().name());
            assertEquals("demo-target", c.model().config());
            assertEquals(t[1], c.mixing().method().key());
            // Targets differ from each other only in name and mixing, so their curves compare like for like.
            assertEquals(List.of(), ConfigDiff.between(c, load("configs/demo/odm-target.yaml"), java.util.Set.of("run.name", "mixing")));
            assertEquals(128, c.data().seqLen());
        }
        assertEquals(Map.of("source", "uniform"), load("configs/demo/uniform-target.yaml").mixing().settings(MixingMethod.STATIC));
    }

    @Test
    void paperConfigs() throws Exception {
        RunConfig proxy = load("configs/paper/acodm-410m-proxy.yaml");
        assertEquals("410m", proxy.model().config());
        assertEquals(1024, proxy.data().seqLen());
        assertEquals(8, proxy.data().microBatchSize());
        for (String name : new String[] {"acodm-1b-target", "odm-1b", "pile-weights-1b"}) {
            RunConfig c = load("configs/paper/" + name + ".yaml");
            assertEquals("1b", c.model().config());
            assertEquals(List.of(), ConfigDiff.between(c, load("configs/paper/odm-1b.yaml"), java.util.Set.of("run.name", "mixing")));
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> w = (Map<String, Object>) load("configs/paper/pile-weights-1b.yaml").mixing().settings(MixingMethod.STATIC).get("weights");
        assertEquals(22, w.size());
        double sum = w.values().stream().mapToDouble(v -> ((Number) v).doubleValue()).sum();
        assertEquals(1.0, sum, 1e-9);
        assertTrue(w.containsKey("Gutenberg (PG-19)"));
    }

    /** The demo study: 6 runs x 3 seeds, compared with uniform, the noise floor measured, the proxy's actor on the target. */
    @Test
    void demoStudy() throws Exception {
        var plan = org.acodm.train.study.StudyPlan.load(TestPaths.root().resolve("configs/demo/study.yaml"), Path.of("runs/demo"), null, List.of());
        assertEquals(List.of("acodm-proxy", "acodm", "alignment", "odm", "uniform", "uniform-resampled"), plan.study().names());
        assertEquals(3, plan.seeds());
        assertEquals("uniform", plan.study().baseline());
        assertEquals("uniform-resampled", plan.study().noiseFloor());
        assertEquals("acodm-proxy", plan.job("acodm", 3).dependsOn());
        assertEquals(1236, plan.job("odm", 3).config().run().seed());
        assertEquals(0, plan.job("acodm-proxy", 1).config().eval().finalWindowsPerDomain());
        assertEquals(256, plan.job("odm", 1).config().eval().finalWindowsPerDomain());
    }

    @Test
    void everyShippedFileIsTested() throws Exception {
        try (var files = java.nio.file.Files.walk(TestPaths.root().resolve("configs"))) {
            // Every run config loads; configs/weights/ holds weight maps (domain: weight), read by the static policy.
            Path weights = TestPaths.root().resolve("configs/weights");
            // study*.yaml are study files (acodm study): every run of them resolves.
            for (Path p : files.filter(f -> f.toString().endsWith(".yaml") && !f.startsWith(weights)).toList()) {
                if (p.getFileName().toString().startsWith("study")) org.acodm.train.study.StudyPlan.load(p, Path.of("runs/unused"), null, List.of());
                else RunConfig.load(p, List.of());
            }
        }
        try (var files = java.nio.file.Files.list(TestPaths.root().resolve("configs/weights"))) {
            for (Path p : files.filter(f -> f.toString().endsWith(".yaml")).toList())
                assertTrue(org.acodm.mixing.WeightMaps.readYaml(p).size() >= 2, p + " holds a weight map");
        }
    }
}
