package org.acodm.train.export;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import org.acodm.config.Mappers;

/**
 * A model directory that {@code transformers.GPTNeoXForCausalLM.from_pretrained(dir)} loads: {@code model.safetensors}
 * and {@code config.json}. The engine computes what that class computes (parallel residual, exact GELU,
 * LayerNorm eps 1e-5, rotary on rotary_pct of each head, untied embeddings), so the config states exactly that.
 */
public final class HuggingFaceExport {
    public static final String WEIGHTS = "model.safetensors";
    public static final String CONFIG = "config.json";

    /** End-of-text ids: {@code <|endoftext|>} is 0 in GPT-NeoX-20B's tokenizer; the byte tokenizer's end-of-document is 256. */
    public record TokenIds(int bos, int eos) {
        public static final TokenIds GPT_NEOX = new TokenIds(0, 0);
        public static final TokenIds BYTE = new TokenIds(256, 256);

        /** Byte-level shapes have a vocabulary of 257 padded to 384; anything larger is taken to be GPT-NeoX's. */
        public static TokenIds guess(GptNeoxDims dims) { return dims.vocab() <= 512 ? BYTE : GPT_NEOX; }
    }


    private HuggingFaceExport() {}

    /** config.json contents for {@code dims}. */
    public static ObjectNode config(GptNeoxDims dims, TokenIds ids) {
        // transformers takes int(head_size * rotary_pct) dims; the engine rounds that down to even. They agree only when it is even.
        int hfRotary = (int) (dims.headSize() * dims.rotaryPct());
        if (hfRotary % 2 != 0)
            throw new IllegalArgumentException("head size " + dims.headSize() + " x rotary_pct " + dims.rotaryPct() + " = " + hfRotary
                    + " rotary dims is odd; transformers would rotate a different number of dims than the engine");
        ObjectNode c = Mappers.JSON.createObjectNode();
        c.putArray("architectures").add("GPTNeoXForCausalLM");
        c.put("model_type", "gpt_neox");
        c.put("hidden_size", dims.dModel());
        c.put("num_hidden_layers", dims.layers());
        c.put("num_attention_heads", dims.heads());
        c.put("intermediate_size", dims.intermediateSize());
        c.put("vocab_size", dims.vocab());
        c.put("max_position_embeddings", dims.maxSeq());
        c.put("rotary_pct", dims.rotaryPct());
        c.put("rotary_emb_base", dims.rotaryBase());
        c.put("use_parallel_residual", true);
        c.put("hidden_act", "gelu");
        c.put("layer_norm_eps", 1e-5);
        c.put("tie_word_embeddings", false);
        c.put("attention_bias", true);
        c.put("attention_dropout", 0.0);
        c.put("hidden_dropout", 0.0);
        c.put("initializer_range", 0.02);
        c.put("use_cache", true);
        c.put("bos_token_id", ids.bos());
        c.put("eos_token_id", ids.eos());
        c.put("torch_dtype", "float32");
        return c;
    }

    /** Writes both files into {@code outDir} (created if needed), each atomically; returns their paths. */
    public static Path[] write(ParameterSource params, GptNeoxDims dims, TokenIds ids, Path outDir) throws IOException {
        ObjectNode config = config(dims, ids);
        for (String name : params.names()) {
            long[] expected = dims.shape(name);
            if (!java.util.Arrays.equals(expected, params.shape(name)))
                throw new IllegalArgumentException(name + ": shape " + java.util.Arrays.toString(params.shape(name)) + " does not match the config's "
                        + java.util.Arrays.toString(expected));
        }
        Files.createDirectories(outDir);
        Path weights = outDir.resolve(WEIGHTS);
        SafetensorsWriter.write(params, weights, Map.of("producer", "acodm"));
        Path cfg = outDir.resolve(CONFIG);
        Path tmp = cfg.resolveSibling(CONFIG + ".tmp");
        Files.write(tmp, Mappers.JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(config));
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
            ch.force(true);
        }
        Files.move(tmp, cfg, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        return new Path[] {weights, cfg};
    }
}
