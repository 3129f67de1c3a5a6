package org.acodm.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.acodm.engine.Model;
import org.acodm.train.export.GptNeoxDims;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Model.shape (the dry-run's sizes: the engine's config parser, without building a model) agrees with a built
 * model and with Pythia's published sizes, and its errors reach Java as IllegalArgumentException.
 */
class ModelShapeTest {
    /** Shapes small enough to allocate here, with overrides of every kind (vocabulary padding included). */
    @Test void matchesABuiltModel() {
        for (String spec : new String[] {"tiny", "small", "demo-proxy", "demo-target", "tiny:layers=3,d_model=96,heads=6", "tiny:vocab=300,seq=48",
                "bench-256:layers=1", "tiny:rotary_pct=0.5,rotary_base=500"}) {
            try (Model m = new Model(spec, 1, "cpu")) {
                Model.Shape shape = Model.shape(spec);
                assertEquals(m.configString(), shape.config(), spec);
                assertEquals(m.numParameters(), shape.parameters(), spec);
                assertEquals(shape, Model.shape(m.configString()), "canonical form of " + spec);
                // The export side's view of the same dimensions counts the same parameters.
                GptNeoxDims dims = GptNeoxDims.parse(shape.config());
                long fromDims = 0;
                for (String p : dims.parameterNames()) {
                    long size = 1;
                    for (long x : dims.shape(p)) size *= x;
                    fromDims += size;
                }
                assertEquals(m.numParameters(), fromDims, spec);
            }
        }
        assertEquals(new GptNeoxDims(2, 64, 4, 384, 64, 0.25, 10000.0), GptNeoxDims.parse(Model.shape("tiny:vocab=300").config()));
    }

    /** Total parameters of the Pythia checkpoints on Hugging Face (untied embeddings, vocabulary 50,304). */
    @Test void pythiaSizes() {
        assertEquals(70_426_624L, Model.shape("70m").parameters());
        assertEquals(162_322_944L, Model.shape("160m").parameters());
        assertEquals(405_334_016L, Model.shape("410m").parameters());
        assertEquals(1_011_781_632L, Model.shape("1b").parameters());
        assertEquals(new GptNeoxDims(16, 2048, 8, 50304, 2048, 0.25, 10000.0), GptNeoxDims.parse(Model.shape("1b").config()));
    }

    @Test void errorsSayWhatIsWrong() {
        String e = assertThrows(IllegalArgumentException.class, () -> Model.shape("2b")).getMessage();
        assertTrue(e.contains("unknown model config '2b'") && e.contains("410m"), e);
        e = assertThrows(IllegalArgumentException.class, () -> Model.shape("tiny:depth=3")).getMessage();
        assertTrue(e.contains("unknown key 'depth'"), e);
        e = assertThrows(IllegalArgumentException.class, () -> Model.shape("tiny:heads=5")).getMessage();
        assertTrue(e.contains("not divisible by heads 5"), e);
        e = assertThrows(IllegalArgumentException.class, () -> Model.shape("tiny:layers=x")).getMessage();
        assertTrue(e.contains("key 'layers' needs an integer, got 'x'"), e);
        assertThrows(IllegalArgumentException.class, () -> Model.shape(" "));
    }

    /**
     * Issue 19, item 8: integer keys were cast to int, so layers=4294967298 built 2 layers, and layers=1000000 built a
     * layout of 12 million parameter names (1.4 GB) before any check; a rotary base of 0 or below gave NaN at step 0.
     */
    @Test void keysBeyondTheirBoundsAreRefusedNamingTheKeyAndTheBound() {
        Map<String, String> refusals = Map.ofEntries(
                Map.entry("tiny:layers=4294967298", "key 'layers' is 4294967298, above its limit of 1024"),
                Map.entry("tiny:layers=1000000", "key 'layers' is 1000000, above its limit of 1024"),
                Map.entry("tiny:d_model=4294967360", "key 'd_model' is 4294967360, above its limit of 65536"),
                Map.entry("tiny:heads=4294967300", "key 'heads' is 4294967300, above its limit of 1024"),
                Map.entry("tiny:seq=4294967360", "key 'seq' is 4294967360, above its limit of 1048576"),
                Map.entry("tiny:vocab=99999999999999999999", "key 'vocab' is 99999999999999999999, above its limit of 16777216"),
                Map.entry("tiny:layers=0", "key 'layers' is 0, it must be at least 1"),
                Map.entry("tiny:seq=-64", "key 'seq' is -64, it must be at least 1"),
                Map.entry("tiny:rotary_base=0", "key 'rotary_base' must be a finite number above 0, got '0'"),
                Map.entry("tiny:rotary_base=-10000", "key 'rotary_base' must be a finite number above 0, got '-10000'"),
                Map.entry("tiny:rotary_base=nan", "key 'rotary_base' must be a finite number above 0, got 'nan'"),
                Map.entry("tiny:rotary_base=inf", "key 'rotary_base' must be a finite number above 0, got 'inf'"));
        assertTimeoutPreemptively(Duration.ofSeconds(10), () -> {
            for (Map.Entry<String, String> e : refusals.entrySet()) {
                String m = assertThrows(IllegalArgumentException.class, () -> Model.shape(e.getKey()), e.getKey()).getMessage();
                assertEquals("model config '" + e.getKey() + "': " + e.getValue(), m);
            }
        });
        // The bounds themselves are shapes (sized, not built).
        assertEquals(1024, GptNeoxDims.parse(Model.shape("tiny:layers=1024").config()).layers());
        assertEquals(1 << 20, GptNeoxDims.parse(Model.shape("tiny:seq=1048576").config()).maxSeq());
        assertEquals(Model.shape("tiny").parameters(), Model.shape("tiny:rotary_base=0.5").parameters());
    }

    @Test void theDryRunAndTheExportRefuseThemToo(@TempDir Path dir) throws Exception {
        Path cfg = TrainFixtures.writeConfig(dir.resolve("c.yaml"), "huge", "  method: static");
        TrainFixtures.CliResult r = assertTimeoutPreemptively(Duration.ofSeconds(60), () -> TrainFixtures.cli("train", "--dry-run", "--config",
                cfg.toString(), "--set", "model.config=tiny:layers=1000000"));
        assertEquals(1, r.rc(), r.all());
        assertTrue(r.err().contains("model.config: model config 'tiny:layers=1000000': key 'layers' is 1000000, above its limit of 1024"), r.all());
        Path ckpt = dir.resolve("m.ckpt");
        try (Model m = new Model("tiny", 1, "cpu")) {
            m.save(ckpt);
        }
        r = TrainFixtures.cli("export", "hf", "--checkpoint", ckpt.toString(), "--config", "tiny:layers=4294967298", "--out", dir.resolve("hf").toString());
        assertEquals(1, r.rc(), r.all());
        assertTrue(r.err().contains("model config 'tiny:layers=4294967298': key 'layers' is 4294967298, above its limit of 1024"), r.all());
        assertTrue(!java.nio.file.Files.exists(dir.resolve("hf")), "nothing exported");
    }
}
