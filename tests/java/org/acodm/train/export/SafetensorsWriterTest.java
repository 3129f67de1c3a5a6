package org.acodm.train.export;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.acodm.config.Mappers;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** safetensors and config.json written here and read back by an independent reader. */
class SafetensorsWriterTest {
    /** An in-memory source; shapes of awkward sizes so chunking and alignment are exercised. */
    static final class MapSource implements ParameterSource {
        final Map<String, long[]> shapes = new LinkedHashMap<>();
        final Map<String, float[]> values = new LinkedHashMap<>();

        void add(String name, long[] shape, float[] v) {
            shapes.put(name, shape);
            values.put(name, v);
        }

        @Override public List<String> names() { return new ArrayList<>(shapes.keySet()); }
        @Override public long[] shape(String name) { return shapes.get(name); }
        @Override public float[] values(String name) { return values.get(name); }
    }

    static float[] random(int n, long seed) {
        Random r = new Random(seed);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) r.nextGaussian();
        return v;
    }

    @Test
    void roundTripsNamesShapesOffsetsAndBitExactValues(@TempDir Path dir) throws Exception {
        MapSource src = new MapSource();
        src.add("a", new long[] {1}, new float[] {Float.NaN});
        src.add("b.weight", new long[] {7, 13}, random(91, 1));
        // Bigger than one write chunk (2^18 floats), with a tail.
        src.add("c", new long[] {3, 100_003}, random(300_009, 2));
        src.add("special", new long[] {5}, new float[] {-0.0f, Float.MIN_VALUE, Float.MAX_VALUE, Float.NEGATIVE_INFINITY, 1e-40f});
        src.add("empty", new long[] {0, 4}, new float[0]);
        Path f = dir.resolve("model.safetensors");
        SafetensorsWriter.write(src, f, Map.of("producer", "test"));

        SafetensorsReference.File file = SafetensorsReference.read(f);
        assertEquals(0, file.headerLength() % 8, "data must start 8-byte aligned");
        assertEquals(Map.of("format", "pt", "producer", "test"), file.metadata());
        assertEquals(src.names(), new ArrayList<>(file.tensors().keySet()));
        long offset = 0;
        for (String name : src.names()) {
            SafetensorsReference.Tensor t = file.tensors().get(name);
            assertArrayEquals(src.shape(name), t.shape(), name);
            assertEquals(offset, t.begin(), name);
            offset += 4L * src.values(name).length;
            assertEquals(offset, t.end(), name);
            float[] want = src.values(name), got = t.values();
            assertEquals(want.length, got.length);
            for (int i = 0; i < want.length; i++)
                assertEquals(Float.floatToRawIntBits(want[i]), Float.floatToRawIntBits(got[i]), name + "[" + i + "]");
        }
        assertEquals(8 + file.headerLength() + offset, Files.size(f));
        assertFalse(Files.exists(dir.resolve("model.safetensors.tmp")));
    }

    @Test
    void refusesValuesThatDoNotMatchTheShapeAndLeavesNoFile(@TempDir Path dir) {
        MapSource src = new MapSource();
        src.add("w", new long[] {2, 3}, new float[5]);
        Path f = dir.resolve("x.safetensors");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SafetensorsWriter.write(src, f, Map.of()));
        assertEquals("w: 5 values for a shape of 6 elements", e.getMessage());
        assertFalse(Files.exists(f));
        assertFalse(Files.exists(dir.resolve("x.safetensors.tmp")));
    }

    @Test
    void dimsGiveEveryGptNeoxShape() {
        GptNeoxDims d = GptNeoxDims.parse("name=tiny,layers=2,d_model=64,heads=4,vocab=384,seq=64,rotary_pct=0.25,rotary_base=10000,dtype=float32");
        assertEquals(new GptNeoxDims(2, 64, 4, 384, 64, 0.25, 10000), d);
        List<String> names = d.parameterNames();
        assertEquals(2 * 12 + 4, names.size());
        assertEquals("gpt_neox.embed_in.weight", names.get(0));
        assertEquals("gpt_neox.layers.1.mlp.dense_4h_to_h.bias", names.get(24));
        assertEquals("embed_out.weight", names.get(27));
        assertArrayEquals(new long[] {384, 64}, d.shape("embed_out.weight"));
        assertArrayEquals(new long[] {192, 64}, d.shape("gpt_neox.layers.0.attention.query_key_value.weight"));
        assertArrayEquals(new long[] {256, 64}, d.shape("gpt_neox.layers.1.mlp.dense_h_to_4h.weight"));
        assertArrayEquals(new long[] {64, 256}, d.shape("gpt_neox.layers.1.mlp.dense_4h_to_h.weight"));
        assertArrayEquals(new long[] {64}, d.shape("gpt_neox.final_layer_norm.bias"));
        // 162,560 = 2 embeddings + 2 layers x 12d^2+13d + final norm: the parameter count of the tiny shape.
        long total = names.stream().mapToLong(n -> { long p = 1; for (long s : d.shape(n)) p *= s; return p; }).sum();
        assertEquals(2L * 384 * 64 + 2L * (12L * 64 * 64 + 13L * 64) + 2L * 64, total);
        assertThrows(IllegalArgumentException.class, () -> d.shape("gpt_neox.layers.2.attention.dense.weight"));
        assertThrows(IllegalArgumentException.class, () -> d.shape("gpt_neox.layers.0.attention.rotary_emb.inv_freq"));
        assertThrows(IllegalArgumentException.class, () -> GptNeoxDims.parse("layers=2,d_model=64"));
    }

    @Test
    void configJsonDescribesTheEngineModel(@TempDir Path dir) throws Exception {
        GptNeoxDims d = new GptNeoxDims(16, 2048, 8, 50304, 2048, 0.25, 10000);
        MapSource src = new MapSource();
        GptNeoxDims small = new GptNeoxDims(1, 8, 2, 128, 16, 0.5, 10000);
        for (String n : small.parameterNames()) {
            long[] s = small.shape(n);
            int count = 1;
            for (long x : s) count *= (int) x;
            src.add(n, s, random(count, n.hashCode()));
        }
        Path[] files = HuggingFaceExport.write(src, small, HuggingFaceExport.TokenIds.guess(small), dir.resolve("hf"));
        JsonNode c = Mappers.JSON.readTree(files[1].toFile());
        assertEquals("GPTNeoXForCausalLM", c.get("architectures").get(0).asText());
        assertEquals(8, c.get("hidden_size").asInt());
        assertEquals(32, c.get("intermediate_size").asInt());
        assertEquals(128, c.get("vocab_size").asInt());
        assertEquals(16, c.get("max_position_embeddings").asInt());
        assertEquals(256, c.get("eos_token_id").asInt());
        assertTrue(c.get("use_parallel_residual").asBoolean());
        assertFalse(c.get("tie_word_embeddings").asBoolean());
        assertEquals(1e-5, c.get("layer_norm_eps").asDouble());
        assertEquals("gelu", c.get("hidden_act").asText());
        assertEquals(src.names(), new ArrayList<>(SafetensorsReference.read(files[0]).tensors().keySet()));

        JsonNode big = HuggingFaceExport.config(d, HuggingFaceExport.TokenIds.guess(d));
        assertEquals(0, big.get("eos_token_id").asInt());
        assertEquals(8192, big.get("intermediate_size").asInt());
        // 2 dims per head of 20 with rotary_pct 0.25 = 5: transformers and the engine would disagree.
        assertThrows(IllegalArgumentException.class, () -> HuggingFaceExport.config(new GptNeoxDims(1, 80, 4, 128, 16, 0.25, 10000),
                HuggingFaceExport.TokenIds.BYTE));
    }
}
