package org.acodm.train.export;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.acodm.config.Mappers;
import org.acodm.io.AtomicFile;
import org.acodm.io.Directories;

/**
 * A model directory that {@code transformers.GPTNeoXForCausalLM.from_pretrained(dir)} loads: {@code model.safetensors}
 * and {@code config.json}. The engine computes what that class computes (parallel residual, exact GELU,
 * LayerNorm eps 1e-5, rotary on rotary_pct of each head, untied embeddings), so the config states exactly that.
 */
public final class HuggingFaceExport {
    public static final String WEIGHTS = "model.safetensors";
    public static final String CONFIG = "config.json";
    /** The safetensors metadata entry that marks a file as acodm's export, and its value. */
    static final String PRODUCER_KEY = "producer";
    static final String PRODUCER = "acodm";

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

    /**
     * Writes both files into a staging folder beside {@code outDir} and puts it in place of {@code outDir} whole (see
     * {@link AtomicFile#replaceDirectory}), so a failed or interrupted export never leaves new weights beside an old
     * config.json. {@code outDir} may be absent, empty, or an earlier export ({@link #requireReplaceable}); returns the
     * paths of the two files.
     */
    public static Path[] write(ParameterSource params, GptNeoxDims dims, TokenIds ids, Path outDir) throws IOException {
        ObjectNode config = config(dims, ids);
        for (String name : params.names()) {
            long[] expected = dims.shape(name);
            if (!java.util.Arrays.equals(expected, params.shape(name)))
                throw new IllegalArgumentException(name + ": shape " + java.util.Arrays.toString(params.shape(name)) + " does not match the config's "
                        + java.util.Arrays.toString(expected));
        }
        requireReplaceable(outDir);
        // A link to a folder is followed: the export replaces the folder it leads to, and the link stays.
        Path target = Files.isDirectory(outDir) ? outDir.toRealPath() : outDir.toAbsolutePath().normalize();
        Path staged = AtomicFile.createStagingDirectory(target);
        try {
            SafetensorsWriter.write(params, staged.resolve(WEIGHTS), Map.of(PRODUCER_KEY, PRODUCER));
            AtomicFile.write(staged.resolve(CONFIG), Mappers.JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(config));
            AtomicFile.replaceDirectory(staged, target);
        } finally {
            Directories.deleteTree(staged);  // gone already after a successful swap
        }
        return new Path[] {outDir.resolve(WEIGHTS), outDir.resolve(CONFIG)};
    }

    /**
     * What an export may replace: nothing, an empty folder, or an earlier export, recognised by holding exactly config.json
     * and a model.safetensors whose header says acodm wrote it (temporaries of an interrupted write aside). Anything else
     * is refused, naming what is there, since the export replaces the folder whole.
     */
    public static void requireReplaceable(Path dir) throws IOException {
        if (!Files.exists(dir)) return;
        if (!Files.isDirectory(dir))
            throw new java.nio.file.NotDirectoryException("--out " + dir + " exists and is a file, not a directory; choose another --out");
        java.util.List<String> names = new java.util.ArrayList<>();
        try (java.util.stream.Stream<Path> s = Files.list(dir)) {
            for (Path p : s.sorted().toList()) if (!AtomicFile.isTemporary(p)) names.add(p.getFileName().toString());
        }
        if (names.isEmpty()) return;
        boolean export = names.contains(CONFIG) && names.contains(WEIGHTS) && Files.isRegularFile(dir.resolve(WEIGHTS))
                && PRODUCER.equals(SafetensorsWriter.metadata(dir.resolve(WEIGHTS)).get(PRODUCER_KEY));
        java.util.List<String> others = new java.util.ArrayList<>(names);
        others.removeAll(java.util.List.of(CONFIG, WEIGHTS));
        if (export && others.isEmpty()) return;
        String held = String.join(", ", names.subList(0, Math.min(6, names.size()))) + (names.size() > 6 ? " and " + (names.size() - 6) + " more" : "");
        if (export)
            throw new IOException("--out " + dir + " holds an earlier export and files it did not write (" + String.join(", ", others) + "); the export "
                    + "replaces the folder whole, so they would be lost: move them away or choose another --out. Nothing was changed");
        throw new IOException("--out " + dir + " is not empty and is not an earlier export (it holds " + held + "; an export is config.json and "
                + "a model.safetensors written by acodm, nothing else): choose a new or empty --out. Nothing was changed");
    }
}
