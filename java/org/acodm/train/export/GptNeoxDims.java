package org.acodm.train.export;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.acodm.engine.KeyValues;

/**
 * The dimensions of a GPT-NeoX model and the shapes they give every parameter under Hugging Face
 * {@code GPTNeoXForCausalLM} naming (the engine uses the same names and layouts: fused QKV rows grouped per head,
 * Linear weights as [out, in]).
 */
public record GptNeoxDims(int layers, int dModel, int heads, int vocab, int maxSeq, double rotaryPct, double rotaryBase) {
    public GptNeoxDims {
        if (layers < 1 || dModel < 1 || heads < 1 || vocab < 1 || maxSeq < 1)
            throw new IllegalArgumentException("layers, d_model, heads, vocab and seq must be positive");
        if (dModel % heads != 0) throw new IllegalArgumentException("d_model " + dModel + " is not divisible by heads " + heads);
    }

    /**
     * From the engine's canonical config string ({@code Model.configString()}:
     * {@code name=tiny,layers=2,d_model=64,heads=4,vocab=384,seq=64,rotary_pct=0.25,rotary_base=10000,dtype=float32}).
     */
    public static GptNeoxDims parse(String canonical) {
        Map<String, String> kv = KeyValues.decode(canonical, ',');
        for (String k : List.of("layers", "d_model", "heads", "vocab", "seq", "rotary_pct", "rotary_base"))
            if (!kv.containsKey(k)) throw new IllegalArgumentException("model config '" + canonical + "' lacks '" + k + "' (expected the engine's canonical config string)");
        try {
            return new GptNeoxDims(Integer.parseInt(kv.get("layers")), Integer.parseInt(kv.get("d_model")), Integer.parseInt(kv.get("heads")),
                    Integer.parseInt(kv.get("vocab")), Integer.parseInt(kv.get("seq")), Double.parseDouble(kv.get("rotary_pct")),
                    Double.parseDouble(kv.get("rotary_base")));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("model config '" + canonical + "': " + e.getMessage(), e);
        }
    }

    public int headSize() { return dModel / heads; }

    public int intermediateSize() { return 4 * dModel; }

    /** Every parameter name, in GPTNeoXForCausalLM's order (the engine's order too). */
    public List<String> parameterNames() {
        List<String> out = new ArrayList<>(12 * layers + 4);
        out.add("gpt_neox.embed_in.weight");
        for (int i = 0; i < layers; i++) {
            String p = "gpt_neox.layers." + i + ".";
            for (String s : LAYER_PARAMS) out.add(p + s);
        }
        out.add("gpt_neox.final_layer_norm.weight");
        out.add("gpt_neox.final_layer_norm.bias");
        out.add("embed_out.weight");
        return out;
    }

    private static final List<String> LAYER_PARAMS = List.of(
            "input_layernorm.weight", "input_layernorm.bias", "post_attention_layernorm.weight", "post_attention_layernorm.bias",
            "attention.query_key_value.weight", "attention.query_key_value.bias", "attention.dense.weight", "attention.dense.bias",
            "mlp.dense_h_to_4h.weight", "mlp.dense_h_to_4h.bias", "mlp.dense_4h_to_h.weight", "mlp.dense_4h_to_h.bias");

    /** The shape of a parameter from its name; an unknown name or layer index is an error. */
    public long[] shape(String name) {
        long d = dModel, v = vocab, ff = intermediateSize();
        switch (name) {
            case "gpt_neox.embed_in.weight", "embed_out.weight": return new long[] {v, d};
            case "gpt_neox.final_layer_norm.weight", "gpt_neox.final_layer_norm.bias": return new long[] {d};
            default: break;
        }
        String prefix = "gpt_neox.layers.";
        if (name.startsWith(prefix)) {
            int dot = name.indexOf('.', prefix.length());
            if (dot > 0) {
                int layer;
                try {
                    layer = Integer.parseInt(name.substring(prefix.length(), dot));
                } catch (NumberFormatException e) {
                    layer = -1;
                }
                if (layer >= 0 && layer < layers) {
                    switch (name.substring(dot + 1)) {
                        case "input_layernorm.weight", "input_layernorm.bias", "post_attention_layernorm.weight", "post_attention_layernorm.bias",
                                "attention.dense.bias", "mlp.dense_4h_to_h.bias": return new long[] {d};
                        case "attention.query_key_value.weight": return new long[] {3 * d, d};
                        case "attention.query_key_value.bias": return new long[] {3 * d};
                        case "attention.dense.weight": return new long[] {d, d};
                        case "mlp.dense_h_to_4h.weight": return new long[] {ff, d};
                        case "mlp.dense_h_to_4h.bias": return new long[] {ff};
                        case "mlp.dense_4h_to_h.weight": return new long[] {d, ff};
                        default: break;
                    }
                }
            }
        }
        throw new IllegalArgumentException("'" + name + "' is not a parameter of a " + layers + "-layer GPT-NeoX model");
    }
}
