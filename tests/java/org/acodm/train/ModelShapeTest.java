package org.acodm.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.acodm.engine.Model;
import org.acodm.train.export.GptNeoxDims;
import org.junit.jupiter.api.Test;

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
}
