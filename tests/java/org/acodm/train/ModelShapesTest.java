package org.acodm.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.acodm.engine.Model;
import org.acodm.train.export.GptNeoxDims;
import org.junit.jupiter.api.Test;

/** ModelShapes (the dry-run's sizes, computed without a model) agrees with the engine and with Pythia's published sizes. */
class ModelShapesTest {
    /** Shapes small enough to allocate here, with overrides of every kind (vocabulary padding included). */
    @Test void matchesTheEngine() {
        for (String spec : new String[] {"tiny", "small", "demo-proxy", "demo-target", "tiny:layers=3,d_model=96,heads=6", "tiny:vocab=300,seq=48",
                "bench-256:layers=1", "tiny:rotary_pct=0.5,rotary_base=500"}) {
            try (Model m = new Model(spec, 1, "cpu")) {
                GptNeoxDims engine = GptNeoxDims.parse(m.configString());
                assertEquals(engine, ModelShapes.resolve(spec), spec);
                assertEquals(engine, ModelShapes.resolve(m.configString()), "canonical form of " + spec);
                assertEquals(m.numParameters(), ModelShapes.parameterCount(ModelShapes.resolve(spec)), spec);
            }
        }
    }

    /** Total parameters of the Pythia checkpoints on Hugging Face (untied embeddings, vocabulary 50,304). */
    @Test void pythiaSizes() {
        assertEquals(70_426_624L, ModelShapes.parameterCount(ModelShapes.resolve("70m")));
        assertEquals(162_322_944L, ModelShapes.parameterCount(ModelShapes.resolve("160m")));
        assertEquals(405_334_016L, ModelShapes.parameterCount(ModelShapes.resolve("410m")));
        assertEquals(1_011_781_632L, ModelShapes.parameterCount(ModelShapes.resolve("1b")));
    }

    @Test void errorsSayWhatIsWrong() {
        String e = assertThrows(IllegalArgumentException.class, () -> ModelShapes.resolve("2b")).getMessage();
        assertTrue(e.contains("unknown model config '2b'") && e.contains("410m"), e);
        e = assertThrows(IllegalArgumentException.class, () -> ModelShapes.resolve("tiny:depth=3")).getMessage();
        assertTrue(e.contains("unknown key 'depth'"), e);
        e = assertThrows(IllegalArgumentException.class, () -> ModelShapes.resolve("tiny:heads=5")).getMessage();
        assertTrue(e.contains("not divisible by heads 5"), e);
    }
}
