package org.acodm.bench.data;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Turns the JMH results of the {@code data} group into the report: one line per measurement with its
 * baseline ratio, and as the last line {@code prepare byte MB/s: X; sampler ms/step: Y}.
 *
 * <p>Score keys are {@code Class.method[:secondary]} followed by the parameters sorted by name, each as
 * {@code " name=value"}; {@link #key} builds them. The last line is
 * X = {@code PrepareBenchmark.prepare:textBytes tokenizer=byte} / 10^6 (the secondary result counts text
 * bytes per second), Y = {@code SamplerBenchmark.sample batch=32 seqLen=2048} (ms/op, one op = one step).
 *
 * <p>{@code java ... DataBenchmarkSummary RESULT.json} reads a JMH {@code -rf json} result file.
 */
public final class DataBenchmarkSummary {
    private DataBenchmarkSummary() {}

    public static String key(String benchmark, String secondary, Map<String, String> params) {
        String[] parts = benchmark.split("\\.");
        String shortName = parts.length >= 2 ? parts[parts.length - 2] + "." + parts[parts.length - 1] : benchmark;
        StringBuilder sb = new StringBuilder(shortName);
        if (secondary != null) sb.append(':').append(secondary);
        new TreeMap<>(params).forEach((k, v) -> sb.append(' ').append(k).append('=').append(v));
        return sb.toString();
    }

    public static String summary(Map<String, Double> scores) {
        StringBuilder sb = new StringBuilder();
        double read = scores.getOrDefault("PrepareBenchmark.readOnly:textBytes", Double.NaN) / 1e6;
        for (String tok : new String[]{"byte", "tiktoken:cl100k_base", "hf"}) {
            Double v = scores.get("PrepareBenchmark.prepare:textBytes tokenizer=" + tok);
            if (v == null) continue;
            sb.append(String.format(Locale.ROOT, "prepare %-20s %8.1f MB/s  (%.2fx of read+parse only, %.1f MB/s)%n", tok, v / 1e6, v / 1e6 / read, read));
        }
        for (String t : new String[]{"2048", "1023"}) {
            Double s = scores.get("SamplerBenchmark.sample batch=32 seqLen=" + t);
            Double c = scores.get("SamplerBenchmark.copyBaseline batch=32 seqLen=" + t);
            if (s == null) continue;
            sb.append(String.format(Locale.ROOT, "sampler B=32 T=%-5s %8.4f ms/step (%.2fx of a heap copy, %.4f ms)%n", t, s, c == null ? Double.NaN : s / c,
                    c == null ? Double.NaN : c));
        }
        double x = scores.getOrDefault("PrepareBenchmark.prepare:textBytes tokenizer=byte", Double.NaN) / 1e6;
        double y = scores.getOrDefault("SamplerBenchmark.sample batch=32 seqLen=2048", Double.NaN);
        sb.append(String.format(Locale.ROOT, "prepare byte MB/s: %.1f; sampler ms/step: %.3f", x, y));
        return sb.toString();
    }

    /** Scores from a JMH JSON result: primary results under their key, secondary ones under key:name. */
    public static Map<String, Double> scores(Path jmhJson) throws IOException {
        Map<String, Double> out = new LinkedHashMap<>();
        for (JsonNode r : new ObjectMapper().readTree(jmhJson.toFile())) {
            Map<String, String> params = new TreeMap<>();
            for (Map.Entry<String, JsonNode> e : r.path("params").properties()) {
                params.put(e.getKey(), e.getValue().asText());
            }
            String bench = r.path("benchmark").asText();
            out.put(key(bench, null, params), r.path("primaryMetric").path("score").asDouble());
            for (Map.Entry<String, JsonNode> e : r.path("secondaryMetrics").properties()) {
                out.put(key(bench, e.getKey(), params), e.getValue().path("score").asDouble());
            }
        }
        return out;
    }

    public static void main(String[] args) throws IOException {
        if (args.length != 1) {
            System.err.println("usage: DataBenchmarkSummary JMH_RESULT.json");
            System.exit(2);
        }
        System.out.println(summary(scores(Path.of(args[0]))));
    }
}
