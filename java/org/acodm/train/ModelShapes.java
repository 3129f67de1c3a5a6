package org.acodm.train;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.acodm.train.export.GptNeoxDims;

/**
 * The engine's model shapes resolved in Java, so that {@code train --dry-run} can size a 1B model without the
 * native constructor allocating it (~4 GB of weights, twice that again for Adam). Mirrors
 * native/src/config.cpp (named shapes, "name:key=value,..." overrides, vocabulary padded to 128);
 * ModelShapesTest checks it against the engine's own configString() and numParameters(), so the two cannot
 * drift apart silently.
 */
public final class ModelShapes {
    private ModelShapes() {}

    /** {layers, d_model, heads, vocab, seq} of every named shape, in native/src/config.cpp's order. */
    private static final Map<String, int[]> NAMED = new LinkedHashMap<>();
    static {
        NAMED.put("70m", new int[] {6, 512, 8, 50304, 2048});
        NAMED.put("160m", new int[] {12, 768, 12, 50304, 2048});
        NAMED.put("410m", new int[] {24, 1024, 16, 50304, 2048});
        NAMED.put("1b", new int[] {16, 2048, 8, 50304, 2048});
        NAMED.put("tiny", new int[] {2, 64, 4, 384, 64});
        NAMED.put("small", new int[] {4, 128, 4, 384, 256});
        NAMED.put("demo-proxy", new int[] {4, 128, 4, 384, 256});
        NAMED.put("demo-target", new int[] {6, 192, 6, 384, 256});
        NAMED.put("bench-256", new int[] {4, 256, 8, 50304, 256});
    }

    /** The dimensions of a model config as {@code model.config} writes it ("1b", "tiny:layers=3", or a canonical string). */
    public static GptNeoxDims resolve(String spec) {
        String name = spec, overrides = "";
        int colon = spec.indexOf(':');
        if (colon >= 0) {
            name = spec.substring(0, colon);
            overrides = spec.substring(colon + 1);
        }
        if (name.startsWith("name=")) {  // canonical: the name is one key among the others
            overrides = spec;
            name = keyValues(spec).getOrDefault("name", "");
        }
        int[] s = NAMED.get(name);
        if (s == null) throw new IllegalArgumentException("unknown model config '" + name + "' (known: " + String.join(", ", NAMED.keySet()) + ")");
        int layers = s[0], d = s[1], heads = s[2], vocab = s[3], seq = s[4];
        double rotaryPct = 0.25, rotaryBase = 10000.0;
        for (Map.Entry<String, String> e : keyValues(overrides).entrySet()) {
            String v = e.getValue();
            try {
                switch (e.getKey()) {
                    case "name", "dtype" -> { }
                    case "layers" -> layers = Integer.parseInt(v);
                    case "d_model" -> d = Integer.parseInt(v);
                    case "heads" -> heads = Integer.parseInt(v);
                    case "vocab" -> vocab = (int) ((Long.parseLong(v) + 127) / 128 * 128);
                    case "seq" -> seq = Integer.parseInt(v);
                    case "rotary_pct" -> rotaryPct = Double.parseDouble(v);
                    case "rotary_base" -> rotaryBase = Double.parseDouble(v);
                    default -> throw new IllegalArgumentException("model config '" + spec + "': unknown key '" + e.getKey()
                            + "' (keys: layers, d_model, heads, vocab, seq, rotary_pct, rotary_base, dtype)");
                }
            } catch (NumberFormatException ex) {
                throw new IllegalArgumentException("model config '" + spec + "': key '" + e.getKey() + "' needs a number, got '" + v + "'");
            }
        }
        try {
            return new GptNeoxDims(layers, d, heads, vocab, seq, rotaryPct, rotaryBase);
        } catch (IllegalArgumentException ex) {
            throw new IllegalArgumentException("model config '" + spec + "': " + ex.getMessage());
        }
    }

    /** Parameters of a model of these dimensions (every tensor of {@link GptNeoxDims#parameterNames()}). */
    public static long parameterCount(GptNeoxDims dims) {
        long n = 0;
        for (String p : dims.parameterNames()) {
            long size = 1;
            for (long x : dims.shape(p)) size *= x;
            n += size;
        }
        return n;
    }

    public static List<String> names() { return List.copyOf(NAMED.keySet()); }

    private static Map<String, String> keyValues(String text) {
        Map<String, String> out = new LinkedHashMap<>();
        for (String item : text.split(",")) {
            if (item.isEmpty()) continue;
            int eq = item.indexOf('=');
            if (eq < 0) out.put(item, "");
            else out.put(item.substring(0, eq), item.substring(eq + 1));
        }
        return out;
    }
}
