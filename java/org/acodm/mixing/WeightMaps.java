package org.acodm.mixing;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.acodm.config.ConfigTree;
import org.acodm.data.Manifest;
import org.acodm.data.Split;

/**
 * Named domain-weight maps (DoReMi's format: {@code domain name: weight}, never a positional list) and their
 * resolution against a run's domain order. Weights need not sum to 1; they are normalised here.
 */
public final class WeightMaps {
    private WeightMaps() {}

    /**
     * Reads a YAML file whose top level is a map of domain name to weight, through the config reader: duplicate names,
     * anchors and aliases, and non-finite numbers are errors naming the file and line, as in a config file.
     */
    public static Map<String, Double> readYaml(Path file) throws IOException {
        if (!Files.exists(file))
            throw new NoSuchFileException(file.toString(), null, "no such weight map" + (file.isAbsolute() ? "" : " (relative to " + Path.of("").toAbsolutePath() + ")"));
        ConfigTree tree = ConfigTree.loadMapping(file, "weight map");
        JsonNode root = tree.node("").orElseThrow();
        Map<String, Double> out = new LinkedHashMap<>();
        List<String> bad = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (e.getValue().isNumber()) out.put(e.getKey(), e.getValue().doubleValue());
            else bad.add(e.getKey() + " (" + e.getValue() + ") at " + tree.locate(e.getKey()));
        }
        if (!bad.isEmpty()) throw new IOException(file + ": weights must be numbers; not numbers: " + String.join(", ", bad));
        requireFiniteSum(out, out.keySet(), tree::locate);
        return out;
    }

    /**
     * Weights are normalised by their sum, and a sum beyond the range of a double (1e308 + 1e308) divides every weight
     * down to 0: refused, naming the weight at which the sum overflowed ({@code where} says where that key was written).
     */
    private static void requireFiniteSum(Map<String, Double> weights, Iterable<String> keys, java.util.function.Function<String, String> where) {
        double sum = 0;
        for (String k : keys) {
            Double v = weights.get(k);
            if (v == null || !Double.isFinite(v)) continue;  // reported on their own, as non-finite
            sum += v;
            if (!Double.isFinite(sum))
                throw new IllegalArgumentException(where.apply(k) + ": the weights up to '" + k + "' (" + v + ") sum beyond the range of a double "
                        + "(about 1.8e308), so every normalised weight would be 0; weights are relative: scale them all down");
        }
    }

    /**
     * α in {@code domains} order from a named map. Every domain must be named, no other name may appear, no
     * weight may be negative or non-finite, and at least one must be positive; all offending names are listed.
     */
    public static double[] resolve(Map<String, Double> weights, List<String> domains, String source) {
        List<String> missing = new ArrayList<>();
        for (String d : domains) if (!weights.containsKey(d)) missing.add(d);
        List<String> unknown = new ArrayList<>();
        List<String> negative = new ArrayList<>();
        for (Map.Entry<String, Double> e : weights.entrySet()) {
            if (!domains.contains(e.getKey())) unknown.add(e.getKey());
            Double v = e.getValue();
            if (v == null || !(v >= 0) || Double.isInfinite(v)) negative.add(e.getKey() + " = " + v);
        }
        List<String> problems = new ArrayList<>();
        if (!missing.isEmpty()) problems.add("missing domains " + missing);
        if (!unknown.isEmpty()) problems.add("unknown domains " + unknown + " (this run's domains: " + domains + ")");
        if (!negative.isEmpty()) problems.add("negative or non-finite weights " + negative);
        if (problems.isEmpty()) {
            double sum = 0;
            for (String d : domains) sum += weights.get(d);
            if (sum <= 0) problems.add("all weights are zero");
        }
        if (!problems.isEmpty()) throw new IllegalArgumentException("weight map " + source + ": " + String.join("; ", problems));
        requireFiniteSum(weights, domains, key -> "weight map " + source);
        double[] a = new double[domains.size()];
        double sum = 0;
        for (int i = 0; i < a.length; i++) sum += a[i] = weights.get(domains.get(i));
        for (int i = 0; i < a.length; i++) a[i] /= sum;
        return a;
    }

    public static Map<String, Double> uniform(List<String> domains) {
        Map<String, Double> out = new LinkedHashMap<>();
        for (String d : domains) out.put(d, 1.0 / domains.size());
        return out;
    }

    /** Proportional to each domain's training tokens in a prepared-data manifest. */
    public static Map<String, Double> proportionalToTokens(Manifest manifest) {
        Map<String, Manifest.DomainStats> train = manifest.split(Split.TRAIN);
        if (train.isEmpty()) throw new IllegalArgumentException("the prepared data has no train split to weight by tokens");
        long total = 0;
        for (Manifest.DomainStats s : train.values()) total += s.tokens();
        if (total <= 0) throw new IllegalArgumentException("the prepared train split holds no tokens");
        Map<String, Double> out = new LinkedHashMap<>();
        for (String d : manifest.domains()) {
            Manifest.DomainStats s = train.get(d);
            out.put(d, s == null ? 0.0 : (double) s.tokens() / total);
        }
        return out;
    }
}
