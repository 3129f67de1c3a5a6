package org.acodm.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The engine's "key=value" text read back as the native side writes it: lines, comma lists, the engine's own output. */
class KeyValuesTest {
    @Test
    void readsLinesAndCommaListsInTheirOrder() {
        Map<String, String> lines = KeyValues.decode("threads=2\ncpu=Some CPU @ 2.0GHz, x=y\n\nblas=openblas (/usr/lib/libblas.so.3)\n", '\n');
        assertEquals(List.of("threads", "cpu", "blas"), List.copyOf(lines.keySet()));
        assertEquals("Some CPU @ 2.0GHz, x=y", lines.get("cpu"));  // only the first '=' separates; commas belong to the value
        Map<String, String> items = KeyValues.decode("state=19,actions=9,,flag,hidden=64", ',');
        assertEquals(Map.of("state", "19", "actions", "9", "flag", "", "hidden", "64"), items);
    }

    @Test
    void readsWhatTheEngineWrites() {
        int threads = Model.numThreads();  // first: the engine pins its default thread count on first use
        Map<String, String> env = Model.numericEnvironment().values();
        for (String key : List.of("threads", "blas", "blas_core", "blas_threads", "cpu", "cpu_isa", "gram_kernel", "libtorch"))
            assertEquals(true, env.containsKey(key) && !env.get(key).isEmpty(), key + " in " + env);
        assertEquals(Integer.toString(threads), env.get("threads"));
        Model.Shape shape = Model.shape("tiny:layers=3");
        Map<String, String> config = KeyValues.decode(shape.config(), ',');
        assertEquals("3", config.get("layers"));
        assertEquals("tiny", config.get("name"));
    }
}
