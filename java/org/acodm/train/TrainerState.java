package org.acodm.train;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.acodm.config.Mappers;

/**
 * A checkpoint's {@code trainer.json}: where the loop stands (the next step, the byte length of metrics.jsonl, the
 * non-finite steps skipped so far), which policy and domains, the sampler's state, the numeric environment and the
 * prepared data the run trained on. {@link #read} checks every key's presence and type before anything trusts it
 * (a missing key once read as 0 and resumed a run from step 0 over its own log).
 *
 * <p>Format 1 adds {@code format_version}, {@code data} and {@code skipped_steps}; files written before it (no
 * {@code format_version}) still read, with those keys absent.
 */
record TrainerState(int formatVersion, long nextStep, long metricsOffset, String policy, List<String> domains, JsonNode sampler,
                    Map<String, String> numericEnvironment, DataIdentity data, long skippedSteps) {
    static final String FILE_NAME = "trainer.json";
    static final int FORMAT_VERSION = 1;

    ObjectNode toJson() {
        ObjectNode n = Mappers.JSON.createObjectNode();
        n.put("format_version", formatVersion);
        n.put("next_step", nextStep);
        n.put("metrics_offset", metricsOffset);
        n.put("skipped_steps", skippedSteps);
        n.put("policy", policy);
        // The domains in the policy's order make a checkpoint self-describing (`acodm actor export --checkpoint`).
        ArrayNode ds = n.putArray("domains");
        domains.forEach(ds::add);
        n.set("sampler", sampler);
        n.set(RunJson.NUMERIC_ENVIRONMENT, Mappers.JSON.valueToTree(numericEnvironment));
        n.set("data", data.toJson());
        return n;
    }

    byte[] toBytes() throws IOException {
        return Mappers.JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(toJson());
    }

    /** Reads and checks {@code file}; the error names the file and every key that is missing or of the wrong type. */
    static TrainerState read(Path file) throws IOException {
        JsonNode n;
        try {
            n = Mappers.JSON.readTree(file.toFile());
        } catch (JsonProcessingException e) {
            var loc = e.getLocation();
            throw new IOException(file + (loc != null ? ":" + loc.getLineNr() : "") + ": not valid JSON: " + e.getOriginalMessage(), e);
        }
        if (n == null || !n.isObject()) throw new IOException(file + ": expected a JSON object, got " + (n == null ? "an empty file" : n.getNodeType()));
        List<String> problems = new ArrayList<>();
        JsonNode version = n.get("format_version");
        int format = 0;
        if (version != null) {
            if (!version.isInt()) problems.add("\"format_version\" must be an integer, got " + version);
            else if (version.intValue() != FORMAT_VERSION)
                throw new IOException(file + ": format_version " + version.intValue() + ", this build reads " + FORMAT_VERSION + " (or files without one)");
            else format = FORMAT_VERSION;
        }
        boolean current = format == FORMAT_VERSION;
        long next = count(n, "next_step", true, problems);
        long offset = count(n, "metrics_offset", true, problems);
        long skipped = count(n, "skipped_steps", current, problems);
        String policy = text(n, "policy", problems);
        List<String> domains = strings(n, "domains", current, problems);
        JsonNode sampler = n.get("sampler");
        if (sampler == null || !sampler.isObject()) problems.add("\"sampler\" must be an object, got " + describe(sampler));
        Map<String, String> env = new TreeMap<>();
        JsonNode e = n.get(RunJson.NUMERIC_ENVIRONMENT);
        if (e != null && e.isObject()) e.fields().forEachRemaining(f -> env.put(f.getKey(), f.getValue().asText()));
        else if (e != null || current) problems.add("\"" + RunJson.NUMERIC_ENVIRONMENT + "\" must be an object, got " + describe(e));
        DataIdentity data = null;
        JsonNode d = n.get("data");
        if (d != null || current) {
            try {
                data = DataIdentity.fromJson(d);
            } catch (IllegalArgumentException ex) {
                problems.add("\"data\": " + ex.getMessage());
            }
        }
        if (!problems.isEmpty()) throw new IOException(file + ": " + String.join("; ", problems));
        return new TrainerState(format, next, offset, policy, domains, sampler, env, data, Math.max(0, skipped));
    }

    private static long count(JsonNode n, String key, boolean required, List<String> problems) {
        JsonNode v = n.get(key);
        if (v == null) {
            if (required) problems.add("\"" + key + "\" is missing");
            return -1;
        }
        if (!v.isIntegralNumber() || !v.canConvertToLong() || v.longValue() < 0) {
            problems.add("\"" + key + "\" must be an integer >= 0, got " + v);
            return -1;
        }
        return v.longValue();
    }

    private static String text(JsonNode n, String key, List<String> problems) {
        JsonNode v = n.get(key);
        if (v == null || !v.isTextual() || v.textValue().isEmpty()) {
            problems.add("\"" + key + "\" must be a non-empty string, got " + describe(v));
            return null;
        }
        return v.textValue();
    }

    private static List<String> strings(JsonNode n, String key, boolean required, List<String> problems) {
        JsonNode v = n.get(key);
        if (v == null && !required) return null;
        if (v == null || !v.isArray()) {
            problems.add("\"" + key + "\" must be a list of strings, got " + describe(v));
            return null;
        }
        List<String> out = new ArrayList<>();
        for (JsonNode x : v) {
            if (!x.isTextual()) {
                problems.add("\"" + key + "\" must be a list of strings, holds " + x);
                return null;
            }
            out.add(x.textValue());
        }
        return List.copyOf(out);
    }

    private static String describe(JsonNode v) {
        return v == null ? "nothing (the key is missing)" : v.toString();
    }
}
