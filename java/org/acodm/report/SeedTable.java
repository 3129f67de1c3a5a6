package org.acodm.report;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.acodm.data.EvalRecord;
import org.acodm.data.StepRecord;

/**
 * Runs of the same name and model repeated with different seeds, summarised as one row: the mean ± sd of the final
 * mean validation perplexity (over the domains not ignored), and what the weights did over the second half of the
 * logged steps (their largest entry, their entropy and the weight of each ignored domain). The comparison is among
 * the runs of the model most runs use; runs of another model (a proxy) are reported apart, never ranked with them.
 *
 * @param ignored domains left out of the perplexity means and reported by their weight instead (e.g. an unlearnable
 *                {@code Noise} domain)
 */
public record SeedTable(List<Row> compared, List<Row> apart, String comparedModel, List<String> ignored, List<String> leftOut) {

    /**
     * One run name's seeds.
     *
     * @param finalPpl         each seed's final mean validation perplexity over the domains not ignored
     * @param maxWeight        mean over the second half of the logged steps of max_i α_i, averaged over the seeds
     * @param entropy          the same of −Σ α_i ln α_i (nats)
     * @param ignoredWeight    the same of each ignored domain's weight, in the order of {@link SeedTable#ignored()}
     * @param runs             the seeds' runs, in the order given
     */
    public record Row(String name, String method, String model, List<Double> finalPpl, double maxWeight, double entropy,
                      List<Double> ignoredWeight, List<RunLog> runs) {
        public Row {
            finalPpl = List.copyOf(finalPpl);
            ignoredWeight = List.copyOf(ignoredWeight);
            runs = List.copyOf(runs);
        }

        /** The mean of the seeds' final perplexities (NaN when none evaluated). */
        public double meanPpl() { return mean(finalPpl); }

        /** Their sample standard deviation (NaN with fewer than two seeds). */
        public double sdPpl() {
            List<Double> v = finite(finalPpl);
            if (v.size() < 2) return Double.NaN;
            double m = mean(v), ss = 0;
            for (double x : v) ss += (x - m) * (x - m);
            return Math.sqrt(ss / (v.size() - 1));
        }

        public int seeds() { return runs.size(); }
    }

    public SeedTable {
        compared = List.copyOf(compared);
        apart = List.copyOf(apart);
        ignored = List.copyOf(ignored);
        leftOut = List.copyOf(leftOut);
    }

    /**
     * Groups {@code runs} by (name, model, setup: the configuration but for its seed) in order of first appearance;
     * runs of one name with other setups (another dataset, another rate) are rows of their own, never averaged as seeds.
     * Two runs of one group with the same seed are the same run twice: refused. Runs that cannot be ranked (not
     * finished, never evaluated) are left out and listed in {@link #leftOut()}.
     */
    public static SeedTable of(List<RunLog> runs, Set<String> ignoredDomains) {
        if (runs.isEmpty()) throw new IllegalArgumentException("no runs to summarise");
        List<String> ignored = new ArrayList<>(new java.util.TreeSet<>(ignoredDomains));
        Map<String, List<RunLog>> groups = new LinkedHashMap<>();
        Map<String, Integer> perModel = new LinkedHashMap<>();
        List<String> leftOut = new ArrayList<>();
        for (RunLog r : runs) {
            String why = r.incomplete();
            if (why != null) {
                leftOut.add(r.dir() + " (" + r.info().name() + "): " + why);
                continue;
            }
            List<RunLog> g = groups.computeIfAbsent(r.info().name() + "\u0000" + r.info().model() + "\u0000" + r.info().setup(), k -> new ArrayList<>());
            for (RunLog o : g)
                if (r.info().seed() != null && r.info().seed().equals(o.info().seed()))
                    throw new IllegalArgumentException(o.dir() + " and " + r.dir() + " are both run '" + r.info().name() + "' with seed " + r.info().seed()
                            + " and the same configuration: the same run twice (or a copy); give each run once");
            g.add(r);
            perModel.merge(r.info().model(), 1, Integer::sum);
        }
        if (groups.isEmpty()) throw new IllegalArgumentException("no run to summarise: every run was left out (" + String.join("; ", leftOut) + ")");
        // The model most runs use is the one compared (ties: the first seen).
        String model = null;
        for (Map.Entry<String, Integer> e : perModel.entrySet()) if (model == null || e.getValue() > perModel.get(model)) model = e.getKey();
        List<Row> compared = new ArrayList<>(), apart = new ArrayList<>();
        Map<String, Integer> perName = new LinkedHashMap<>();
        for (List<RunLog> g : groups.values()) {
            // A second setup under a taken name is told apart by its first directory.
            int n = perName.merge(g.get(0).info().name() + "\u0000" + g.get(0).info().model(), 1, Integer::sum);
            Row row = row(g, ignored, n == 1 ? g.get(0).info().name() : g.get(0).info().name() + " [" + g.get(0).dir() + "]");
            (row.model().equals(model) ? compared : apart).add(row);
        }
        return new SeedTable(compared, apart, model, ignored, leftOut);
    }

    private static Row row(List<RunLog> runs, List<String> ignored, String name) {
        RunInfo info = runs.get(0).info();
        List<Double> ppl = new ArrayList<>();
        double maxW = 0, ent = 0;
        double[] ign = new double[ignored.size()];
        int withSteps = 0;
        for (RunLog r : runs) {
            ppl.add(finalPpl(r, ignored));
            List<StepRecord> late = secondHalf(r.steps());
            if (late.isEmpty()) continue;
            withSteps++;
            double m = 0, h = 0;
            double[] w = new double[ignored.size()];
            for (StepRecord s : late) {
                m += maxWeight(s.weights());
                h += entropy(s.weights());
                for (int i = 0; i < w.length; i++) w[i] += s.weights().getOrDefault(ignored.get(i), Double.NaN);
            }
            maxW += m / late.size();
            ent += h / late.size();
            for (int i = 0; i < w.length; i++) ign[i] += w[i] / late.size();
        }
        List<Double> ignoredWeight = new ArrayList<>();
        for (double v : ign) ignoredWeight.add(withSteps == 0 ? Double.NaN : v / withSteps);
        return new Row(name, info.method(), info.model(), ppl, withSteps == 0 ? Double.NaN : maxW / withSteps,
                withSteps == 0 ? Double.NaN : ent / withSteps, ignoredWeight, runs);
    }

    /** The final evaluation's mean perplexity over the domains not ignored (the logged mean when none is). */
    static double finalPpl(RunLog r, List<String> ignored) {
        EvalRecord e = r.finalEval();
        return e == null ? Double.NaN : e.meanPpl(ignored);
    }

    /** The step records of the second half of the run's logged steps (by step number). */
    static List<StepRecord> secondHalf(List<StepRecord> steps) {
        if (steps.isEmpty()) return List.of();
        long last = steps.get(steps.size() - 1).step();
        List<StepRecord> out = new ArrayList<>();
        for (StepRecord s : steps) if (2 * s.step() >= last) out.add(s);
        return out;
    }

    static double maxWeight(Map<String, Double> w) {
        double m = Double.NaN;
        for (double v : w.values()) if (Double.isNaN(m) || v > m) m = v;
        return m;
    }

    /** −Σ α ln α in nats (0 ln 0 = 0); NaN for an empty map. */
    static double entropy(Map<String, Double> w) {
        if (w.isEmpty()) return Double.NaN;
        double h = 0;
        for (double v : w.values()) if (v > 0) h -= v * Math.log(v);
        return h;
    }

    /**
     * A per-step series averaged over the seeds of a row: for each logged step number, the mean of {@code f} over the
     * seeds that logged it. Keys are step numbers, ascending.
     */
    static TreeMap<Long, Double> meanSeries(Row row, java.util.function.ToDoubleFunction<StepRecord> f) {
        Map<Long, double[]> acc = new HashMap<>();
        for (RunLog r : row.runs())
            for (StepRecord s : r.steps()) {
                double v = f.applyAsDouble(s);
                if (!Double.isFinite(v)) continue;
                double[] a = acc.computeIfAbsent(s.step(), k -> new double[2]);
                a[0] += v;
                a[1]++;
            }
        TreeMap<Long, Double> out = new TreeMap<>();
        for (Map.Entry<Long, double[]> e : acc.entrySet()) out.put(e.getKey(), e.getValue()[0] / e.getValue()[1]);
        return out;
    }

    /** Both tables as aligned text (the compared runs, then those reported apart). */
    public String table() {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "seeds: final mean val perplexity%s; weights over the second half of training%n",
                ignored.isEmpty() ? "" : " over the domains except " + String.join(", ", ignored)));
        sb.append(text(compared, "compared (model " + shortModel(comparedModel) + ")"));
        if (!apart.isEmpty()) sb.append(text(apart, "reported apart (another model, not ranked against the comparison)"));
        for (String l : leftOut) sb.append("left out (cannot be ranked): ").append(l).append('\n');
        return sb.toString();
    }

    private String text(List<Row> rows, String title) {
        List<String> head = new ArrayList<>(List.of("run", "method", "model", "seeds", "val ppl mean", "sd", "max weight", "entropy"));
        for (String d : ignored) head.add("weight " + d);
        List<String[]> cells = new ArrayList<>();
        cells.add(head.toArray(new String[0]));
        for (Row r : rows) {
            List<String> c = new ArrayList<>(List.of(r.name(), r.method(), shortModel(r.model()), Integer.toString(r.seeds()), Comparison.num(r.meanPpl(), 3),
                    Comparison.num(r.sdPpl(), 3), Comparison.num(r.maxWeight(), 3), Comparison.num(r.entropy(), 3)));
            for (double w : r.ignoredWeight()) c.add(Comparison.num(w, 4));
            cells.add(c.toArray(new String[0]));
        }
        int[] w = new int[head.size()];
        for (String[] r : cells) for (int i = 0; i < r.length; i++) w[i] = Math.max(w[i], r[i].length());
        StringBuilder sb = new StringBuilder(title).append('\n');
        for (int row = 0; row < cells.size(); row++) {
            String[] r = cells.get(row);
            for (int i = 0; i < r.length; i++)
                sb.append(String.format(Locale.ROOT, i < 3 ? "%-" + w[i] + "s" : "%" + w[i] + "s", r[i])).append(i + 1 < r.length ? "  " : "");
            sb.append('\n');
        }
        return sb.toString();
    }

    /** A model's name for the tables: {@code name=X,...} (run.json's model description) is shown as X. */
    static String shortModel(String model) {
        if (!model.startsWith("name=")) return model;
        int comma = model.indexOf(',');
        return comma < 0 ? model.substring(5) : model.substring(5, comma);
    }

    private static List<Double> finite(List<Double> v) {
        List<Double> out = new ArrayList<>();
        for (double x : v) if (Double.isFinite(x)) out.add(x);
        return out;
    }

    private static double mean(List<Double> v) {
        List<Double> f = finite(v);
        if (f.isEmpty()) return Double.NaN;
        double s = 0;
        for (double x : f) s += x;
        return s / f.size();
    }
}
