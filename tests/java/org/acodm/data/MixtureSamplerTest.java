package org.acodm.data;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The sampler over minipile's validation text (byte tokenizer) prepared as a train split: 16 domains, ~200k tokens each. */
class MixtureSamplerTest {
    @TempDir static Path tmp;
    static DomainShards shards;
    static DomainShards otherShards;

    @BeforeAll static void prepare() throws IOException {
        try (Tokenizer t = Tokenizer.fromSpec("byte")) {
            ShardPreparer.prepare(CorpusSource.resolve(List.of("train=" + TestData.minipile().resolve("val.jsonl.zst"),
                            "val=" + TestData.minipile().resolve("test.jsonl.zst"))), t, tmp.resolve("a"),
                    ShardPreparer.Options.defaults(), ShardPreparer.Listener.NONE);
            ShardPreparer.prepare(CorpusSource.resolve(List.of("train=" + TestData.minipile().resolve("test.jsonl.zst"))), t, tmp.resolve("b"),
                    ShardPreparer.Options.defaults(), ShardPreparer.Listener.NONE);
        }
        shards = DomainShards.open(tmp.resolve("a"), Split.TRAIN);
        otherShards = DomainShards.open(tmp.resolve("b"), Split.TRAIN);
    }

    @AfterAll static void close() {
        shards.close();
        otherShards.close();
    }

    private static double[] skewedWeights() {
        double[] w = new double[16];
        for (int i = 0; i < w.length; i++) w[i] = i + 1;
        w[3] = 0; // a zero-weight domain must never be drawn
        return w;
    }

    @Test void sameInputsSameWindows() {
        MixtureSampler a = new MixtureSampler(shards, SamplerConfig.perMicroBatch(42, 32, 256, 4));
        MixtureSampler b = new MixtureSampler(shards, SamplerConfig.perMicroBatch(42, 32, 256, 4));
        double[] w = skewedWeights();
        for (long step = 0; step < 20; step++) {
            for (int rank = 0; rank < 2; rank++) {
                SampledBatch x = a.sample(step, rank, w);
                SampledBatch y = b.sample(step, rank, w);
                assertArrayEquals(x.tokens(), y.tokens());
                assertArrayEquals(x.domains(), y.domains());
                assertArrayEquals(x.starts(), y.starts());
            }
        }
        // Order of calls does not matter: no hidden state.
        SampledBatch late = a.sample(7, 1, w);
        a.sample(3, 0, w);
        assertArrayEquals(late.tokens(), b.sample(7, 1, w).tokens());
        // Different step, rank or seed: different windows.
        assertFalse(Arrays.equals(a.sample(7, 0, w).starts(), late.starts()));
        assertFalse(Arrays.equals(a.sample(8, 1, w).starts(), late.starts()));
        MixtureSampler c = new MixtureSampler(shards, SamplerConfig.perMicroBatch(43, 32, 256, 4));
        assertFalse(Arrays.equals(c.sample(7, 1, w).starts(), late.starts()));
    }

    /** Data-parallel ranks draw their slices by global slot: the slices of any world size put together are the batch. */
    @Test void slicesOfAnyWorldSizeMakeUpTheWholeBatch() {
        MixtureSampler s = new MixtureSampler(shards, SamplerConfig.perMicroBatch(42, 32, 256, 4));
        double[] w = skewedWeights();
        for (long step = 0; step < 5; step++) {
            SampledBatch whole = s.sample(step, 0, w);
            for (int world : new int[] {1, 2, 4, 8}) {
                int n = 32 / world;
                for (int r = 0; r < world; r++) {
                    SampledBatch part = s.sampleSlice(step, w, r * n, n);
                    assertEquals(n, part.batchSize());
                    assertArrayEquals(Arrays.copyOfRange(whole.domains(), r * n, r * n + n), part.domains(), "world " + world + " rank " + r);
                    assertArrayEquals(Arrays.copyOfRange(whole.starts(), r * n, r * n + n), part.starts(), "world " + world + " rank " + r);
                    int wl = whole.windowLength();
                    assertArrayEquals(Arrays.copyOfRange(whole.tokens(), r * n * wl, (r + 1) * n * wl), part.tokens(), "world " + world + " rank " + r);
                }
            }
        }
        assertThrows(IllegalArgumentException.class, () -> s.sampleSlice(0, w, 24, 16));
        assertThrows(IllegalArgumentException.class, () -> s.sampleSlice(0, w, -1, 4));
    }

    @Test void saveAndRestoreDrawsTheSameData() throws IOException {
        MixtureSampler a = new MixtureSampler(shards, SamplerConfig.perWindow(2026, 8, 128).withForceEachDomain(false));
        double[] w = skewedWeights();
        String saved = a.state().toJson();
        MixtureSampler.SamplerState state = MixtureSampler.SamplerState.fromJson(saved);
        MixtureSampler restored = MixtureSampler.restore(state, DomainShards.open(tmp.resolve("a"), Split.TRAIN));
        assertEquals(a.config(), restored.config());
        for (long step = 100; step < 110; step++) {
            assertArrayEquals(a.sample(step, 0, w).tokens(), restored.sample(step, 0, w).tokens(), "step " + step);
            assertArrayEquals(a.sample(step, 0, w).domains(), restored.sample(step, 0, w).domains());
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> MixtureSampler.restore(state, otherShards));
        assertTrue(e.getMessage().contains("would not reproduce the run"), e.getMessage());
    }

    @Test void windowsAreTheStreamAtTheirStart() throws IOException {
        MixtureSampler s = new MixtureSampler(shards, SamplerConfig.perWindow(5, 32, 2048));
        SampledBatch b = s.sample(0, 0, skewedWeights());
        assertEquals(32 * 2049, b.tokens().length);
        assertEquals(32, b.domains().length);
        for (int i = 0; i < 32; i++) {
            String name = shards.domains().get(b.domains()[i]);
            MmidIdxReference ref = new MmidIdxReference(tmp.resolve("a/train").resolve(name));
            int[] row = b.row(i);
            for (int k = 0; k < row.length; k++)
                assertEquals(ref.token((b.starts()[i] + k) % ref.totalTokens()), row[k], "row " + i + " token " + k);
        }
    }

    @Test void wrapsAroundTheEndOfADomain() {
        IndexedDataset d = shards.dataset(0);
        int[] dst = new int[10];
        MixtureSampler.readCyclic(d, d.tokens() - 4, dst, 0, 10);
        int[] tail = new int[4];
        int[] head = new int[6];
        d.read(d.tokens() - 4, tail, 0, 4);
        d.read(0, head, 0, 6);
        assertEquals(256, tail[3], "a stream ends with end-of-document, so a wrapped window crosses a document boundary");
        assertArrayEquals(new int[]{tail[0], tail[1], tail[2], tail[3], head[0], head[1], head[2], head[3], head[4], head[5]}, dst);
    }

    /** Acceptance 3: over 100,000 draws, domain frequencies match the weights (chi-square, p > 0.001). */
    @Test void domainFrequenciesMatchTheWeights() {
        MixtureSampler s = new MixtureSampler(shards, SamplerConfig.perWindow(7, 1000, 16));
        double[] w = skewedWeights();
        long[] counts = new long[16];
        for (long step = 0; step < 100; step++) for (int d : s.drawDomains(step, 0, w)) counts[d]++;
        assertEquals(0, counts[3], "zero weight, never drawn");
        assertEquals(100_000, Arrays.stream(counts).sum());
        double sum = Arrays.stream(w).sum();
        double chi2 = 0;
        int cells = 0;
        for (int i = 0; i < 16; i++) {
            if (w[i] == 0) continue;
            double expected = 100_000 * w[i] / sum;
            chi2 += (counts[i] - expected) * (counts[i] - expected) / expected;
            cells++;
        }
        double p = ChiSquare.upperTail(chi2, cells - 1);
        assertTrue(p > 0.001, "chi2 " + chi2 + " with " + (cells - 1) + " dof, p " + p);
        // The test has power: frequencies from uniform weights are rejected.
        double chiUniform = 0;
        for (int i = 0; i < 16; i++) if (w[i] > 0) chiUniform += Math.pow(counts[i] - 100_000.0 / 15, 2) / (100_000.0 / 15);
        assertTrue(ChiSquare.upperTail(chiUniform, 14) < 1e-12);
    }

    @Test void startsAreUniformOverTheStream() {
        MixtureSampler s = new MixtureSampler(shards, SamplerConfig.perWindow(11, 1000, 16));
        double[] w = new double[16];
        w[5] = 1;
        long n = shards.tokens(5);
        long[] bins = new long[20];
        for (long step = 0; step < 50; step++) {
            for (long start : s.sample(step, 0, w).starts()) {
                assertTrue(start >= 0 && start < n);
                bins[(int) (start * 20 / n)]++;
            }
        }
        double chi2 = 0;
        for (long c : bins) chi2 += Math.pow(c - 2500.0, 2) / 2500.0;
        assertTrue(ChiSquare.upperTail(chi2, 19) > 0.001, "chi2 " + chi2);
    }

    @Test void microBatchesShareADomainAndForcedDomainsComeFirst() {
        MixtureSampler s = new MixtureSampler(shards, SamplerConfig.perMicroBatch(3, 64, 8, 2));
        int[] d = s.drawDomains(9, 0, skewedWeights());
        for (int m = 0; m < 32; m++) assertEquals(d[2 * m], d[2 * m + 1]);
        MixtureSampler f = new MixtureSampler(shards, SamplerConfig.perMicroBatch(3, 64, 8, 2).withForceEachDomain(true));
        int[] fd = f.drawDomains(9, 0, skewedWeights());
        for (int k = 0; k < 16; k++) assertEquals(k, fd[2 * k], "micro-batch " + k + " is forced to domain " + k);
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new MixtureSampler(shards, SamplerConfig.perMicroBatch(3, 8, 8, 2).withForceEachDomain(true)))
                .getMessage().contains("at least one micro-batch per domain"));
    }

    /**
     * A run-order selection (data.domains: a reordered subset) takes weights and reports domains in the run's order,
     * and draws exactly the windows the full manifest-order sampler draws from the same weights with zeros elsewhere.
     */
    @Test void selectionInRunOrderDrawsWhatTheManifestOrderDraws() {
        List<String> run = List.of(shards.domains().get(9), shards.domains().get(2), shards.domains().get(14), shards.domains().get(5));
        DomainSelection sel = shards.select(run);
        assertEquals(run, sel.domains());
        for (SamplerConfig c : List.of(SamplerConfig.perWindow(77, 16, 32), SamplerConfig.perMicroBatch(78, 16, 32, 4))) {
            MixtureSampler byRun = new MixtureSampler(sel, c);
            MixtureSampler byId = new MixtureSampler(shards, c);
            double[] w = {0.4, 0.1, 0.3, 0.2};
            double[] full = new double[16];
            for (int j = 0; j < run.size(); j++) full[sel.manifestId(j)] = w[j];
            int seen = 0;
            for (long step = 0; step < 30; step++) {
                SampledBatch a = byRun.sample(step, 0, w), b = byId.sample(step, 0, full);
                assertArrayEquals(b.tokens(), a.tokens());
                assertArrayEquals(b.starts(), a.starts());
                for (int i = 0; i < a.domains().length; i++) {
                    assertEquals(b.domains()[i], sel.manifestId(a.domains()[i]), "window " + i + " of step " + step);
                    seen |= 1 << a.domains()[i];
                }
            }
            assertEquals(0b1111, seen, "every run domain is drawn");
        }
        assertThrows(IllegalArgumentException.class, () -> new MixtureSampler(sel, SamplerConfig.perWindow(1, 4, 8)).sample(0, 0, new double[16]));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> shards.select(List.of("Bible", "Nope"))).getMessage().contains("[Nope]"));
    }

    @Test void badWeightsAreRejectedWithTheDomainName() {
        MixtureSampler s = new MixtureSampler(shards, SamplerConfig.perWindow(1, 4, 8));
        double[] neg = new double[16];
        Arrays.fill(neg, 1);
        neg[2] = -0.5;
        assertTrue(assertThrows(IllegalArgumentException.class, () -> s.sample(0, 0, neg)).getMessage().contains(shards.domains().get(2)));
        neg[2] = Double.NaN;
        assertThrows(IllegalArgumentException.class, () -> s.sample(0, 0, neg));
        assertThrows(IllegalArgumentException.class, () -> s.sample(0, 0, new double[15]));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> s.sample(0, 0, new double[16])).getMessage().contains("sum to 0"));
        Map<String, Double> named = new HashMap<>();
        named.put("Bible", 2.0);
        named.put("Quotes", 1.0);
        double[] w = shards.weights(named);
        assertEquals(2.0, w[shards.manifest().domainId("Bible")]);
        assertEquals(3.0, Arrays.stream(w).sum());
        for (int d : s.drawDomains(0, 0, w)) assertTrue(d == shards.manifest().domainId("Bible") || d == shards.manifest().domainId("Quotes"));
        named.put("Poetry", 1.0);
        assertTrue(assertThrows(IllegalArgumentException.class, () -> shards.weights(named)).getMessage().contains("[Poetry]"));
    }

    @Test void validationWindowsAreFixedAndCoverTheStream() throws IOException {
        try (DomainShards val = DomainShards.open(tmp.resolve("a"), Split.VAL)) {
            List<ValidationWindows.DomainWindows> a = ValidationWindows.build(val, 1024, 1000);
            List<ValidationWindows.DomainWindows> b = ValidationWindows.build(val, 1024, 1000);
            assertEquals(16, a.size());
            for (int i = 0; i < 16; i++) {
                ValidationWindows.DomainWindows x = a.get(i);
                assertArrayEquals(x.tokens(), b.get(i).tokens());
                long n = val.tokens(i);
                assertEquals((n - 1) / 1024, x.count(), "every full window of " + x.name());
                // Stride T: a window's last token is the next window's first, so each target is scored once.
                for (int k = 0; k + 1 < x.count(); k++) assertEquals(x.tokens()[k * 1025 + 1024], x.tokens()[(k + 1) * 1025]);
            }
            List<ValidationWindows.DomainWindows> capped = ValidationWindows.build(val, 1024, 5);
            for (ValidationWindows.DomainWindows x : capped) assertEquals(5, x.count());
            int[] last = new int[1025];
            val.dataset(0).read(val.tokens(0) - 1025, last, 0, 1025);
            assertArrayEquals(last, Arrays.copyOfRange(capped.get(0).tokens(), 4 * 1025, 5 * 1025), "spread windows reach the end");
        }
    }

    /** Chi-square upper tail through the regularised incomplete gamma function (series / continued fraction). */
    static final class ChiSquare {
        static double upperTail(double chi2, int dof) {
            double a = dof / 2.0;
            double x = chi2 / 2.0;
            if (x <= 0) return 1;
            double lnPrefix = a * Math.log(x) - x - lnGamma(a);
            if (x < a + 1) {
                double term = 1 / a, sum = term;
                for (int n = 1; n < 1000; n++) {
                    term *= x / (a + n);
                    sum += term;
                    if (Math.abs(term) < Math.abs(sum) * 1e-15) break;
                }
                return 1 - Math.exp(lnPrefix) * sum;
            }
            double b = x + 1 - a, c = 1 / 1e-300, d = 1 / b, h = d;
            for (int i = 1; i < 1000; i++) {
                double an = -i * (i - a);
                b += 2;
                d = an * d + b;
                if (Math.abs(d) < 1e-300) d = 1e-300;
                c = b + an / c;
                if (Math.abs(c) < 1e-300) c = 1e-300;
                d = 1 / d;
                double del = d * c;
                h *= del;
                if (Math.abs(del - 1) < 1e-15) break;
            }
            return Math.exp(lnPrefix) * h;
        }

        static double lnGamma(double z) {
            double[] g = {676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
                    12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7};
            if (z < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * z)) - lnGamma(1 - z);
            z -= 1;
            double x = 0.99999999999980993;
            for (int i = 0; i < g.length; i++) x += g[i] / (z + i + 1);
            double t = z + g.length - 0.5;
            return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(x);
        }
    }

    @Test void chiSquareReferenceValues() {
        // Known quantiles: P(chi2_15 > 37.697) = 0.001, P(chi2_1 > 3.841) = 0.05, P(chi2_19 > 30.144) = 0.05.
        assertEquals(0.001, ChiSquare.upperTail(37.697, 15), 2e-6);
        assertEquals(0.05, ChiSquare.upperTail(3.841, 1), 1e-4);
        assertEquals(0.05, ChiSquare.upperTail(30.144, 19), 1e-4);
    }
}
