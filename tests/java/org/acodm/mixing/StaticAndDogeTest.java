package org.acodm.mixing;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.acodm.data.Manifest;
import org.acodm.engine.TestPaths;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Static weight maps (files, errors, computed maps) and DoGE against hand-computed updates. */
class StaticAndDogeTest {
    static final List<String> PILE = List.of("Pile-CC", "PubMed Central", "Books3", "OpenWebText2", "ArXiv", "Github", "FreeLaw",
            "StackExchange", "USPTO Backgrounds", "PubMed Abstracts", "Gutenberg (PG-19)", "OpenSubtitles", "Wikipedia (en)",
            "DM Mathematics", "Ubuntu IRC", "BookCorpus2", "EuroParl", "HackerNews", "YoutubeSubtitles", "PhilPapers", "NIH ExPorter",
            "Enron Emails");

    @Test
    void pileWeightsLoadForThe22Domains() throws Exception {
        Map<String, Double> m = WeightMaps.readYaml(TestPaths.root().resolve("configs/weights/pile.yaml"));
        assertEquals(22, m.size());
        double[] a = WeightMaps.resolve(m, PILE, "pile.yaml");
        assertEquals(0.1811, a[0], 1e-4);
        assertEquals(0.0014, a[21], 1e-5);
        double sum = 0;
        for (double v : a) sum += v;
        assertEquals(1.0, sum, 1e-12);
        StaticPolicy p = new StaticPolicy(PILE, InitialWeights.resolve(WeightSource.FILE, TestPaths.root().resolve("configs/weights/pile.yaml").toString(), Map.of(), PILE, null));
        assertArrayEquals(a, p.weights(), 0.0);
    }

    @Test
    void badMapsListEveryOffendingName(@TempDir Path dir) throws Exception {
        List<String> d = List.of("a", "b", "c");
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("a", 1.0);
        m.put("b", -0.5);
        m.put("zz", 2.0);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> WeightMaps.resolve(m, d, "test"));
        assertTrue(e.getMessage().contains("missing domains [c]") && e.getMessage().contains("unknown domains [zz]")
                && e.getMessage().contains("b = -0.5"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> WeightMaps.resolve(Map.of("a", 0.0, "b", 0.0, "c", 0.0), d, "test"));
        assertTrue(e.getMessage().contains("all weights are zero"), e.getMessage());
        Path f = dir.resolve("w.yaml");
        Files.writeString(f, "a: 1\nb: two\nc: 3\n");
        assertTrue(assertThrows(java.io.IOException.class, () -> WeightMaps.readYaml(f)).getMessage().contains("b (\"two\")"));
        // Pile weights on a 16-domain corpus: every Pile name is unknown there, every corpus domain missing.
        e = assertThrows(IllegalArgumentException.class, () -> WeightMaps.resolve(
                WeightMaps.readYaml(TestPaths.root().resolve("configs/weights/pile.yaml")), List.of("Books", "Bible"), "pile.yaml"));
        assertTrue(e.getMessage().contains("missing domains [Books, Bible]") && e.getMessage().contains("Enron Emails"), e.getMessage());
    }

    @Test
    void computedMaps() {
        List<String> d = List.of("x", "y");
        assertArrayEquals(new double[] {0.5, 0.5}, InitialWeights.resolve(WeightSource.UNIFORM, "", Map.of(), d, null), 0.0);
        Manifest m = new Manifest(1, null, "text", "meta.pile_set_name", d,
                Map.of("train", Map.of("x", new Manifest.DomainStats("x", 1, 300, 900), "y", new Manifest.DomainStats("y", 1, 100, 300))),
                List.of(), 0, List.of());
        assertArrayEquals(new double[] {0.75, 0.25}, InitialWeights.resolve(WeightSource.NATURAL, "", Map.of(), d, m), 1e-15);
    }

    /** DoGE's update by hand: W_i = lr (Σ_j S_ij − S_ii) / (mean ‖g‖ + 1e-6), clipped; α ← softmax(log α + W / μ). */
    @Test
    void dogeMatchesHandComputation(@TempDir Path dir) throws Exception {
        List<String> d = List.of("a", "b", "c");
        DogeConfig c = DogeConfig.defaults();
        DogePolicy p = new DogePolicy(d, c, new double[] {1.0 / 3, 1.0 / 3, 1.0 / 3});
        double[][] s = {{4, 1, -1}, {1, 1, 0.5}, {-1, 0.5, 9}};
        double lr = 1e-3;
        StepObservation o = new StepObservation(d, 0, 10, new double[] {3, 3, 3}, new double[] {1, 1, 1}, s, lr, null, null);
        p.observe(o);
        double mean = (2 + 1 + 3) / 3.0 + 1e-6;
        double[] expected = dogeStep(new double[] {1.0 / 3, 1.0 / 3, 1.0 / 3},
                new double[] {lr * (1 - 1) / mean, lr * (1 + 0.5) / mean, lr * (-1 + 0.5) / mean}, lr);
        assertArrayEquals(expected, p.weights(), 1e-12);
        // The released code's avg_dw / dw_update_steps: the average of the weights after each update, here α_1.
        assertArrayEquals(expected, p.reportedWeights(), 1e-15);
        p.save(dir);
        DogePolicy q = new DogePolicy(d, c, new double[] {1.0 / 3, 1.0 / 3, 1.0 / 3});
        q.load(dir);
        StepObservation o2 = new StepObservation(d, 1, 10, new double[] {3, 3, 3}, new double[] {1, 1, 1}, s, lr, null, null);
        p.observe(o2);
        q.observe(o2);
        assertArrayEquals(p.weights(), q.weights(), 0.0);
        assertArrayEquals(p.reportedWeights(), q.reportedWeights(), 0.0);
        double[] second = p.weights();
        for (int i = 0; i < 3; i++) assertEquals((expected[i] + second[i]) / 2, p.reportedWeights()[i], 1e-15);
        assertEquals(List.of("gpt_neox.layers.11.mlp.dense_4h_to_h.weight", "gpt_neox.layers.13.mlp.dense_4h_to_h.weight",
                "gpt_neox.layers.15.mlp.dense_4h_to_h.weight"), p.rewardLayers(16));
    }

    /**
     * The held-out targets: W_i = ⟨g_i, g_mix⟩ = Σ_j (n_j / N) S_ij for the step's mixture, and Σ_{t ∈ T} S_it for named
     * domains; domain c is absent (its row and column of S are 0 and it gets no update).
     */
    @Test
    void dogeHeldOutTargets() {
        List<String> d = List.of("a", "b", "c", "e");
        double[][] s = {{4, 1, 0, -1}, {1, 1, 0, 0.5}, {0, 0, 0, 0}, {-1, 0.5, 0, 9}};
        double[] tokens = {100, 300, 0, 600};
        double lr = 2e-3, mean = (2 + 1 + 3) / 3.0 + 1e-6;
        double[] uniform = {0.25, 0.25, 0.25, 0.25};
        StepObservation o = new StepObservation(d, 0, 10, new double[] {300, 900, 0, 1800}, tokens, s, lr, null, null);

        DogePolicy mix = new DogePolicy(d, DogeConfig.defaults().with("target", DogeTarget.MIX), uniform);
        mix.observe(o);
        double[] w = new double[4];
        for (int i = 0; i < 4; i++) {
            if (i == 2) continue;
            for (int j = 0; j < 4; j++) w[i] += tokens[j] / 1000 * s[i][j];
            w[i] = lr * w[i] / mean;
        }
        assertArrayEquals(dogeStep(uniform, w, lr), mix.weights(), 1e-12);

        DogePolicy named = new DogePolicy(d, DogeConfig.defaults().with("target", DogeTarget.DOMAINS).with("target_domains", List.of("e", "c")), uniform);
        named.observe(o);
        double[] v = {lr * (-1 + 0) / mean, lr * (0.5 + 0) / mean, 0, lr * (9 + 0) / mean};
        assertArrayEquals(dogeStep(uniform, v, lr), named.weights(), 1e-12);
        assertTrue(named.weights()[3] > named.weights()[1] && named.weights()[1] > named.weights()[0], Arrays.toString(named.weights()));

        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new DogePolicy(d,
                DogeConfig.defaults().with("target", DogeTarget.DOMAINS).with("target_domains", List.of("e", "zz")), uniform));
        assertTrue(e.getMessage().contains("[zz]"), e.getMessage());
        RuntimeException r = assertThrows(RuntimeException.class, () -> new DogePolicy(d, DogeConfig.defaults().with("target", DogeTarget.DOMAINS), uniform));
        assertTrue(r.getMessage().contains("mixing.doge.target_domains"), r.getMessage());
    }

    /** softmax(log α + clip(W, 0, 5 lr) / 0.01). */
    static double[] dogeStep(double[] alpha, double[] w, double lr) {
        double[] logit = new double[alpha.length];
        double z = 0;
        for (int i = 0; i < alpha.length; i++) z += Math.exp(logit[i] = Math.log(alpha[i]) + Math.max(0, Math.min(5 * lr, w[i])) / 0.01);
        double[] out = new double[alpha.length];
        for (int i = 0; i < alpha.length; i++) out[i] = Math.exp(logit[i]) / z;
        return out;
    }
}
