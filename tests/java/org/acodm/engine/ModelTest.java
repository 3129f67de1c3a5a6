package org.acodm.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The engine through JNI: the same golden numbers as the native tests, resume, and every bad input. */
class ModelTest {
    /** AdamW (0.9, 0.95), decay 0.1, clipping at 1, warming up over 2 of 6 steps. */
    private static final OptimizerSettings ADAMW = new OptimizerSettings(2e-3, 2e-4, 2, 6, 0.1, 0.9, 0.95, 1e-8, true, 1.0);

    private static double relativeError(float[] a, float[] b) {
        double diff = 0, scale = 0;
        for (int i = 0; i < a.length; i++) {
            diff = Math.max(diff, Math.abs((double) a[i] - b[i]));
            scale = Math.max(scale, Math.abs(b[i]));
        }
        return diff / Math.max(scale, 1e-30);
    }

    private static int[] randomTokens(int n, int vocab, long seed) {
        Random r = new Random(seed);
        int[] t = new int[n];
        for (int i = 0; i < n; i++) t[i] = r.nextInt(vocab);
        return t;
    }

    @Test
    void matchesTheIndependentPyTorchGolden() throws Exception {
        Map<String, GoldenFile.Entry> g = GoldenFile.read(TestPaths.root().resolve("tests/golden/gpt_neox_tiny.golden"));
        try (Model m = new Model(g.get("config").text(), 1, "cpu")) {
            for (String name : m.parameterNames()) m.setParameter(name, g.get("param/" + name).floats());
            GoldenFile.Entry tok = g.get("tokens");
            int b = (int) tok.dims()[0], w = (int) tok.dims()[1], t = w - 1;
            int[] windows = tok.ints();
            int[] inputs = new int[b * t];
            for (int i = 0; i < b; i++) System.arraycopy(windows, i * w, inputs, i * t, t);
            assertTrue(relativeError(m.forwardLogits(inputs, b, t), g.get("logits").floats()) < 1e-4);

            double loss = m.lossAndGradients(windows, b, w);
            double ref = g.get("loss").doubles()[0];
            assertEquals(ref, loss, 1e-4 * Math.abs(ref));
            for (String name : m.parameterNames()) {
                double err = relativeError(m.gradient(name), g.get("grad/" + name).floats());
                assertTrue(err < 1e-4, name + ": relative error " + err);
            }

            double[] o = g.get("optimizer").doubles();
            // The golden file's nine values end with grad_clip; PyTorch's reference is AdamW.
            m.setOptimizer(new OptimizerSettings(o[0], o[1], (long) o[2], (long) o[3], o[4], o[5], o[6], o[7], true, o[8]));
            double[] expected = g.get("train_losses").doubles();
            for (int s = 0; s < expected.length; s++) {
                StepResult r = m.trainStep(windows, b, w, new int[b], 1, 1, false);
                assertEquals(expected[s], r.loss(), 1e-4 * Math.abs(expected[s]), "AdamW step " + s);
                assertEquals(s, r.step());
                assertNull(r.alignment());
            }
        }
    }

    @Test
    void resumeFromCheckpointIsBitIdentical(@TempDir Path dir) throws java.io.IOException {
        int b = 4, w = 17;
        int[] domains = {0, 1, 2, 1};
        double[] expected = new double[6];
        try (Model m = new Model("tiny", 42, "cpu")) {
            m.setOptimizer(ADAMW);
            for (int s = 0; s < 6; s++) expected[s] = m.trainStep(randomTokens(b * w, 257, s), b, w, domains, 3, 2, false).loss();
        }
        Path ckpt = dir.resolve("model.ckpt");
        try (Model m = new Model("tiny", 42, "cpu")) {
            m.setOptimizer(ADAMW);
            for (int s = 0; s < 3; s++) m.trainStep(randomTokens(b * w, 257, s), b, w, domains, 3, 2, false);
            m.save(ckpt);
        }
        assertTrue(Files.exists(ckpt));
        try (var left = Files.list(dir)) {
            assertEquals(List.of("model.ckpt"), left.map(p -> p.getFileName().toString()).sorted().toList(), "a save leaves only its file");
        }
        try (Model m = new Model("tiny", 7, "cpu")) {
            m.load(ckpt);
            assertEquals(3, m.stepCount());
            for (int s = 3; s < 6; s++) {
                StepResult r = m.trainStep(randomTokens(b * w, 257, s), b, w, domains, 3, 2, false);
                assertEquals(expected[s], r.loss(), 0.0, "step " + s);
            }
        }
    }

    @Test
    void reportsPerDomainSumsAndAlignment() {
        int b = 6, w = 9;
        int[] tokens = randomTokens(b * w, 384, 3);
        int[] domains = {0, 2, 2, 0, 2, 0};
        try (Model m = new Model("tiny", 1, "cpu")) {
            m.setOptimizer(ADAMW);
            m.setAlignmentParameters(List.of("gpt_neox.layers.1.mlp.dense_4h_to_h.weight"));
            StepResult r = m.trainStep(tokens, b, w, domains, 3, 1, true);
            assertArrayEquals(new double[] {24, 0, 24}, r.domainTokens());
            assertEquals(r.loss(), (r.domainLossSum()[0] + r.domainLossSum()[2]) / 48, 1e-9);
            assertTrue(Double.isNaN(r.domainMeanLoss(1)));
            double[][] s = r.alignment();
            assertNotNull(s);
            assertTrue(s[0][0] > 0 && s[2][2] > 0);
            assertEquals(s[0][2], s[2][0], 1e-12 * Math.abs(s[0][2]));
            assertEquals(0.0, s[1][1]);
            assertEquals(0.0, s[0][1]);
        }
    }

    @Test
    void badInputBecomesJavaExceptionsWithMessages() {
        NativeException unknown = assertThrows(NativeException.class, () -> new Model("bogus", 1, "cpu"));
        assertTrue(unknown.getMessage().contains("unknown model config 'bogus'"), unknown.getMessage());
        NativeException badKey = assertThrows(NativeException.class, () -> new Model("tiny:width=3", 1, "cpu"));
        assertTrue(badKey.getMessage().contains("unknown key 'width'"), badKey.getMessage());
        assertThrows(NativeException.class, () -> new Model("tiny", 1, "cuda"));

        Model m = new Model("tiny", 1, "cpu");
        int[] tokens = randomTokens(2 * 9, 384, 1);
        IllegalArgumentException shape = assertThrows(IllegalArgumentException.class,
                () -> m.trainStep(tokens, 3, 9, new int[3], 1, 1, false));
        assertTrue(shape.getMessage().contains("expected batch 3 x window 9"), shape.getMessage());
        assertThrows(IllegalArgumentException.class, () -> m.trainStep(tokens, 2, 9, new int[1], 1, 1, false));
        assertThrows(IllegalArgumentException.class, () -> m.trainStep(tokens, 2, 9, new int[2], 1, 3, false));
        tokens[10] = 50000;
        NativeException vocab = assertThrows(NativeException.class, () -> m.trainStep(tokens, 2, 9, new int[2], 1, 1, false));
        assertTrue(vocab.getMessage().contains("token id 50000 at window 1, position 1 is outside the vocabulary [0, 384)"),
                vocab.getMessage());
        tokens[10] = 3;
        NativeException domain = assertThrows(NativeException.class, () -> m.trainStep(tokens, 2, 9, new int[] {0, 5}, 2, 1, false));
        assertTrue(domain.getMessage().contains("domain id 5 of window 1"), domain.getMessage());
        NativeException unset = assertThrows(NativeException.class, () -> m.trainStep(tokens, 2, 9, new int[2], 1, 1, false));
        assertTrue(unset.getMessage().contains("call setOptimizer()"), unset.getMessage());
        assertEquals(0, m.stepCount());
        NativeException clipped = assertThrows(NativeException.class,
                () -> m.setOptimizer(new OptimizerSettings(1e-3, 1e-4, 0, 10, 0.1, 0.9, 0.95, 1e-8, true, -1)));
        assertTrue(clipped.getMessage().contains("grad_clip must be >= 0"), clipped.getMessage());
        assertThrows(NativeException.class, () -> m.parameter("no.such.weight"));
        assertThrows(IllegalArgumentException.class, () -> m.load(Path.of("does-not-exist.ckpt")));

        m.close();
        m.close();  // idempotent
        assertThrows(IllegalStateException.class, () -> m.trainStep(tokens, 2, 9, new int[2], 1, 1, false));
        assertThrows(IllegalStateException.class, m::numParameters);
        assertThrows(IllegalStateException.class, m::parameterNames);
    }

    @Test
    void refusesACheckpointOfAnotherShape(@TempDir Path dir) {
        Path ckpt = dir.resolve("tiny.ckpt");
        try (Model a = new Model("tiny", 1, "cpu"); Model b = new Model("tiny:d_model=32,heads=2", 1, "cpu")) {
            a.save(ckpt);
            NativeException e = assertThrows(NativeException.class, () -> b.load(ckpt));
            assertTrue(e.getMessage().contains("d_model (32 vs 64)"), e.getMessage());
        }
    }
}
