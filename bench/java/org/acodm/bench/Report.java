package org.acodm.bench;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.acodm.config.Mappers;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/**
 * Reads JMH's JSON results ({@code -rf json}) and prints, for every lockstep benchmark ({@link Ratios}), each side's
 * time per call and each ratio as the median over iterations of the per-iteration ratio of its sides' nanoseconds,
 * with the spread, and the same in process CPU time where the benchmark records it; other benchmarks get their
 * primary score. The last line is the headline: the ratios marked so,
 * at their parameter point. bench/run.sh runs it after JMH.
 */
@Command(name = "report", mixinStandardHelpOptions = true,
        description = "Per-iteration ratios of the lockstep benchmarks in a JMH JSON result file, the headline last.")
public final class Report implements Callable<Integer> {
    /** JMH's secondary metric with the invocations of an iteration; every side ran once per invocation. */
    static final String INVOCATIONS = "invocations";
    static final String SIDE_SUFFIX = "Ns";
    /** A side's process CPU nanoseconds, when the benchmark records them beside the wall time. */
    static final String CPU_SUFFIX = "CpuNs";

    @Parameters(index = "0", paramLabel = "RESULT.json", description = "JMH's JSON result file (java -jar benchmarks.jar -rf json -rff FILE)")
    Path file;

    public static void main(String[] args) {
        System.exit(new CommandLine(new Report()).execute(args));
    }

    /** Median (mean of the middle two for an even count) and spread (nearest-rank quartiles) of per-iteration values. */
    public record Spread(double median, double p25, double p75, double min, double max, int n) {
        public static Spread of(double[] v) {
            if (v.length == 0) throw new IllegalArgumentException("no values");
            double[] s = v.clone();
            Arrays.sort(s);
            int n = s.length;
            double median = n % 2 == 1 ? s[n / 2] : 0.5 * (s[n / 2 - 1] + s[n / 2]);
            return new Spread(median, at(s, 0.25), at(s, 0.75), s[0], s[n - 1], n);
        }

        private static double at(double[] sorted, double q) {
            return sorted[(int) Math.round(q * (sorted.length - 1))];
        }

        /** "spread: p25-p75 a-b, min-max c-d, n iterations" with the given number format. */
        public String describe(String fmt) {
            return String.format(Locale.ROOT, "spread: p25-p75 " + fmt + "-" + fmt + ", min-max " + fmt + "-" + fmt + ", %d iterations",
                    p25, p75, min, max, n);
        }
    }

    /** One benchmark of the file at one parameter point. */
    record Entry(String benchmark, Map<String, String> params, JsonNode json) {
        String shortName() {
            String[] parts = benchmark.split("\\.");
            return parts.length < 2 ? benchmark : parts[parts.length - 2] + "." + parts[parts.length - 1];
        }

        String paramText() {
            List<String> p = new ArrayList<>();
            params.forEach((k, v) -> p.add(k + "=" + v));
            return String.join(", ", p);
        }

        /** The benchmark's short name with its parameter point, if it has one. */
        String title() {
            return paramText().isEmpty() ? shortName() : shortName() + " (" + paramText() + ")";
        }

        /** Per-iteration values of a secondary metric, the forks' iterations one after another. */
        double[] iterations(String metric) {
            JsonNode m = json.path("secondaryMetrics").path(metric);
            if (m.isMissingNode()) throw new IllegalStateException(title() + " has no secondary metric '" + metric + "'");
            List<Double> v = new ArrayList<>();
            for (JsonNode fork : m.path("rawData")) for (JsonNode x : fork) v.add(x.asDouble());
            return v.stream().mapToDouble(Double::doubleValue).toArray();
        }

        /** Side names, from the {@code <side>Ns} counters in the order JMH wrote them. */
        List<String> sides() {
            List<String> s = new ArrayList<>();
            for (Iterator<String> it = json.path("secondaryMetrics").fieldNames(); it.hasNext(); ) {
                String name = it.next();
                if (name.endsWith(SIDE_SUFFIX) && !name.endsWith(CPU_SUFFIX) && !name.contains("."))
                    s.add(name.substring(0, name.length() - SIDE_SUFFIX.length()));
            }
            return s;
        }

        double[] ratio(Ratios.Ratio r) { return ratio(r, SIDE_SUFFIX); }

        /** Per-iteration ratio of the two sides' counters with the given suffix (wall or CPU nanoseconds). */
        double[] ratio(Ratios.Ratio r, String suffix) {
            double[] a = iterations(r.of() + suffix), b = iterations(r.over() + suffix);
            double[] q = new double[a.length];
            for (int i = 0; i < q.length; i++) q[i] = a[i] / b[i];
            return q;
        }

        boolean has(String metric) { return json.path("secondaryMetrics").has(metric); }

        boolean at(String[] point) {
            for (String kv : point) {
                int eq = kv.indexOf('=');
                if (eq < 0 || !kv.substring(eq + 1).equals(params.get(kv.substring(0, eq)))) return false;
            }
            return true;
        }
    }

    @Override
    public Integer call() throws IOException {
        if (!Files.isRegularFile(file)) throw new CommandLine.ParameterException(new CommandLine(this), file + ": no such file");
        JsonNode root = Mappers.JSON.readTree(file.toFile());
        if (!root.isArray() || root.isEmpty()) {
            System.out.println("report: " + file + " holds no JMH results (did every benchmark fail?)");
            return 1;
        }
        System.out.println("== results " + file + "; " + Machine.describe());
        Map<Method, Entry> headlines = new LinkedHashMap<>();
        for (JsonNode run : root) {
            Map<String, String> params = new LinkedHashMap<>();
            run.path("params").properties().forEach(f -> params.put(f.getKey(), f.getValue().asText()));
            Entry e = new Entry(run.path("benchmark").asText(), params, run);
            Method m = method(e.benchmark());
            Ratios ratios = m == null ? null : m.getAnnotation(Ratios.class);
            if (ratios == null) {
                JsonNode pm = run.path("primaryMetric");
                System.out.printf(Locale.ROOT, "%s: %.4g ± %.2g %s%n", e.title(), pm.path("score").asDouble(),
                        pm.path("scoreError").asDouble(), pm.path("scoreUnit").asText());
                continue;
            }
            print(e, ratios);
            if (Arrays.stream(ratios.value()).anyMatch(Ratios.Ratio::headline)) {
                Entry chosen = headlines.get(m);
                boolean wanted = e.at(ratios.headlineAt());
                if (chosen == null || wanted || !chosen.at(ratios.headlineAt())) headlines.put(m, e);
            }
        }
        if (headlines.isEmpty()) {
            System.out.println("report: no lockstep benchmark with a headline ratio in " + file);
            return 1;
        }
        List<String> parts = new ArrayList<>();
        for (Map.Entry<Method, Entry> h : headlines.entrySet()) {
            Entry e = h.getValue();
            List<String> values = new ArrayList<>(), cpu = new ArrayList<>();
            Spread first = null;
            String firstFormat = null;
            for (Ratios.Ratio r : h.getKey().getAnnotation(Ratios.class).value()) {
                if (!r.headline()) continue;
                Spread s = Spread.of(e.ratio(r));
                values.add(r.label() + ": " + String.format(Locale.ROOT, r.format(), s.median()));
                if (e.has(r.of() + CPU_SUFFIX) && e.has(r.over() + CPU_SUFFIX))
                    cpu.add(String.format(Locale.ROOT, r.format(), Spread.of(e.ratio(r, CPU_SUFFIX)).median()));
                if (first == null) {
                    first = s;
                    firstFormat = r.format();
                }
            }
            String where = e.paramText().isEmpty() ? "" : e.paramText() + "; ";
            String inCpu = cpu.isEmpty() ? "" : "; in process CPU time " + String.join(", ", cpu);
            parts.add(String.join("; ", values) + " (" + where + first.describe(firstFormat) + inCpu + ")");
        }
        System.out.println(String.join("; ", parts));
        return 0;
    }

    private static void print(Entry e, Ratios ratios) {
        double[] calls = e.iterations(INVOCATIONS);
        List<String> times = new ArrayList<>();
        for (String side : e.sides()) {
            double[] ns = e.iterations(side + SIDE_SUFFIX);
            double[] ms = new double[ns.length];
            for (int i = 0; i < ms.length; i++) ms[i] = ns[i] / calls[i] / 1e6;
            times.add(String.format(Locale.ROOT, "%s %.4g ms", side, Spread.of(ms).median()));
        }
        System.out.printf(Locale.ROOT, "%s: per call, medians over iterations: %s%n", e.title(), String.join(", ", times));
        for (Ratios.Ratio r : ratios.value()) {
            Spread s = Spread.of(e.ratio(r));
            String line = "  " + r.label() + ": " + String.format(Locale.ROOT, r.format(), s.median()) + " (" + s.describe(r.format()) + ")";
            if (e.has(r.of() + CPU_SUFFIX) && e.has(r.over() + CPU_SUFFIX)) {
                Spread c = Spread.of(e.ratio(r, CPU_SUFFIX));
                line += "; in process CPU time " + String.format(Locale.ROOT, r.format(), c.median()) + " (" + c.describe(r.format()) + ")";
            }
            System.out.println(line);
        }
    }

    /** The benchmark method a JMH result names, or null when this jar does not have it. */
    private static Method method(String benchmark) {
        int dot = benchmark.lastIndexOf('.');
        try {
            Class<?> c = Class.forName(benchmark.substring(0, dot));
            for (Method m : c.getMethods()) if (m.getName().equals(benchmark.substring(dot + 1))) return m;
        } catch (ClassNotFoundException | StringIndexOutOfBoundsException e) {
            // a result from another jar: reported by its primary score
        }
        return null;
    }
}
