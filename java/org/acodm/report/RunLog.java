package org.acodm.report;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.acodm.config.Mappers;
import org.acodm.data.EvalRecord;
import org.acodm.data.StepRecord;

/**
 * A run directory as the trainer leaves it: {@code run.json} and {@code metrics.jsonl}. Reading is forgiving
 * where a crash explains the damage (a truncated last line is skipped with a warning; records repeated after a
 * resume replace the earlier ones) and strict elsewhere (a corrupt line in the middle is an error naming it).
 */
/**
 * @param finalSetEval the evaluation on the larger final set after the last step ({@code "type": "final_eval"},
 *                     eval.final_windows_per_domain), or null when the run has none (yet)
 */
public record RunLog(Path dir, RunInfo info, List<StepRecord> steps, List<EvalRecord> evals, EvalRecord finalSetEval, List<String> warnings) {
    public static final String RUN_FILE = "run.json";
    public static final String METRICS_FILE = "metrics.jsonl";


    public RunLog {
        steps = List.copyOf(steps);
        evals = List.copyOf(evals);
        warnings = List.copyOf(warnings);
    }

    /** The last evaluation, or null when the run never evaluated. */
    public EvalRecord finalEval() {
        return evals.isEmpty() ? null : evals.get(evals.size() - 1);
    }

    /**
     * Why this run cannot be ranked against others (null when it can): it did not finish, never evaluated, or logged
     * no step. A run stopped early would otherwise look like the best baseline (its early perplexity is "reached" at once).
     */
    public String incomplete() {
        if (steps.isEmpty()) return "no training step logged";
        if (finalEval() == null) return "never evaluated";
        if (!info.complete()) return "not finished (" + steps.get(steps.size() - 1).step() + " of " + info.steps() + " steps logged)";
        return null;
    }

    public static RunLog read(Path dir) {
        if (!Files.isDirectory(dir)) throw new RunDataException(dir + ": not a directory");
        Path runFile = dir.resolve(RUN_FILE);
        if (!Files.isRegularFile(runFile)) throw new RunDataException(dir + ": no " + RUN_FILE + " (not a run directory, or the run never started)");
        RunInfo info = readInfo(runFile);
        List<String> warnings = new ArrayList<>();
        List<StepRecord> steps = new ArrayList<>();
        List<EvalRecord> evals = new ArrayList<>();
        List<EvalRecord> finals = new ArrayList<>();
        Path metrics = dir.resolve(METRICS_FILE);
        if (!Files.isRegularFile(metrics)) {
            warnings.add(metrics + ": missing; the run has no metrics yet");
        } else {
            readMetrics(metrics, steps, evals, finals, warnings);
        }
        // A final evaluation belongs to the run as it ended: one older than the last logged step (a run extended since) is not final.
        EvalRecord last = finals.isEmpty() ? null : finals.get(finals.size() - 1);
        if (last != null && !steps.isEmpty() && last.step() < steps.get(steps.size() - 1).step()) last = null;
        return new RunLog(dir, info, steps, evals, last, warnings);
    }

    private static RunInfo readInfo(Path file) {
        JsonNode n;
        try {
            n = Mappers.JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw new RunDataException(file + ": not valid JSON: " + e.getMessage(), e);
        }
        if (n == null || !n.isObject()) throw new RunDataException(file + ": expected a JSON object");
        String name = text(n, "name", file, 0);
        String method = text(n, "method", file, 0);
        JsonNode doms = n.get("domains");
        if (doms == null || !doms.isArray()) throw new RunDataException(file + ": missing \"domains\" (a list of domain names)");
        List<String> domains = new ArrayList<>();
        doms.forEach(d -> domains.add(d.asText()));
        String model = n.path("model").asText("");
        long steps = n.path("steps").asLong(0);
        long tps = n.path("tokens_per_step").asLong(0);
        JsonNode config = n.has("config") ? n.get("config") : JsonNodeFactory.instance.objectNode();
        JsonNode seed = config.path("run").get("seed");
        // run.json without "complete" predates the flag; such a run counts as complete (its log decides what it shows).
        boolean complete = !n.has("complete") || n.get("complete").asBoolean(false);
        return new RunInfo(name, method, model, domains, steps, tps, config, complete, seed != null && seed.canConvertToLong() ? seed.asLong() : null,
                setup(config));
    }

    private static void readMetrics(Path file, List<StepRecord> steps, List<EvalRecord> evals, List<EvalRecord> finals, List<String> warnings) {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new RunDataException(file + ": cannot read: " + e.getMessage(), e);
        }
        String[] lines = text.split("\n", -1);
        // The last element is "" when the file ends with a newline; otherwise it is the line a crash cut short.
        int last = lines.length - 1;
        while (last >= 0 && lines[last].isBlank()) last--;
        for (int i = 0; i <= last; i++) {
            String line = lines[i];
            if (line.isBlank()) continue;
            JsonNode n;
            try {
                n = Mappers.JSON.readTree(line);
            } catch (JsonProcessingException e) {
                if (i == last) {
                    warnings.add(file + ":" + (i + 1) + ": ignored a truncated last line (the run stopped while writing it)");
                    continue;
                }
                throw new RunDataException(file + ":" + (i + 1) + ": not valid JSON: " + e.getOriginalMessage());
            }
            if (n == null || !n.isObject()) throw new RunDataException(file + ":" + (i + 1) + ": expected a JSON object");
            String type = n.path("type").asText("");
            if (type.equals(StepRecord.TYPE)) {
                StepRecord r = record(StepRecord.class, n, file, i + 1);
                // A resumed run logs again from its checkpoint: the newer records replace the ones it rewinds over.
                while (!steps.isEmpty() && steps.get(steps.size() - 1).step() >= r.step()) steps.remove(steps.size() - 1);
                steps.add(r);
            } else if (type.equals(EvalRecord.EVAL) || type.equals(EvalRecord.FINAL_EVAL)) {
                EvalRecord r = record(EvalRecord.class, n, file, i + 1);
                if (Double.isNaN(r.ppl())) throw new RunDataException(file + ":" + (i + 1) + ": " + type + " record without \"ppl\" or \"loss\"");
                List<EvalRecord> into = r.finalSet() ? finals : evals;
                while (!into.isEmpty() && into.get(into.size() - 1).step() >= r.step()) into.remove(into.size() - 1);
                into.add(r);
            }
            // Other record types (agent diagnostics, ...) are not part of the report.
        }
    }

    /** Keys two seeds of one experiment may differ in. */
    private static final java.util.Set<String> NOT_SETUP = java.util.Set.of("name", "seed", "threads", "device", "dist_timeout", "dist_bucket_mb",
            "dist_check_interval");

    /** The configuration without run.name, run.seed and where it ran, as canonical JSON (sorted keys). */
    private static String setup(JsonNode config) {
        com.fasterxml.jackson.databind.node.ObjectNode c = config.isObject() ? config.deepCopy() : JsonNodeFactory.instance.objectNode();
        if (c.get("run") instanceof com.fasterxml.jackson.databind.node.ObjectNode run) run.remove(NOT_SETUP);
        try {
            return Mappers.JSON.writer().with(com.fasterxml.jackson.databind.SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS)
                    .writeValueAsString(Mappers.JSON.treeToValue(c, Object.class));
        } catch (JsonProcessingException e) {
            return c.toString();
        }
    }

    private static String text(JsonNode n, String key, Path file, int line) {
        JsonNode v = n.get(key);
        if (v == null || !v.isTextual()) throw new RunDataException(file + (line > 0 ? ":" + line : "") + ": missing \"" + key + "\" (a string)");
        return v.textValue();
    }

    /**
     * The line as a {@code type} record; fields it does not know (written by a newer trainer) are skipped, a field of the
     * wrong type or a missing step is an error naming the file and line.
     */
    private static <T> T record(Class<T> type, JsonNode n, Path file, int line) {
        try {
            return Mappers.JSON.readerFor(type).without(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES).treeToValue(n, type);
        } catch (JsonProcessingException e) {
            throw new RunDataException(file + ":" + line + ": " + e.getOriginalMessage());
        }
    }
}
