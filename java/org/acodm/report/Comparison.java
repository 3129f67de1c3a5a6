package org.acodm.report;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.nio.file.Path;
import org.acodm.data.EvalRecord;

/**
 * The numbers the paper compares: every run's final perplexity and bits per byte, and how many steps each run
 * needed to reach the final perplexity of the best baseline (the baseline with the lowest final perplexity).
 */
public final class Comparison {
    private final List<RunLog> runs;
    private final Map<RunLog, String> labels;
    private final RunLog bestBaseline;
    private final double target;
    private final List<RunSummary> rows;

    public Comparison(List<RunLog> runs) {
        if (runs.isEmpty()) throw new IllegalArgumentException("no runs to compare");
        this.runs = List.copyOf(runs);
        this.labels = uniqueLabels(this.runs);
        RunLog best = null;
        for (RunLog r : this.runs) {
            if (!r.info().isBaseline() || r.incomplete() != null || !Double.isFinite(r.finalEval().ppl())) continue;
            if (best == null || r.finalEval().ppl() < best.finalEval().ppl()) best = r;
        }
        this.bestBaseline = best;
        this.target = best == null ? Double.NaN : best.finalEval().ppl();
        long baselineSteps = best == null ? -1 : stepsToReach(best, target);
        List<RunSummary> out = new ArrayList<>();
        for (RunLog r : this.runs) {
            EvalRecord last = r.finalEval();
            long reach = best == null ? -1 : stepsToReach(r, target);
            double speedup = reach > 0 && baselineSteps > 0 ? (double) baselineSteps / reach : Double.NaN;
            out.add(new RunSummary(labels.get(r), r.info().method(), r.info().isBaseline(), last == null ? -1 : last.step(),
                    last == null ? Double.NaN : last.ppl(), last == null ? Double.NaN : last.bpb(), reach, speedup));
        }
        this.rows = List.copyOf(out);
    }

    /** The first evaluated step whose perplexity is at or below {@code ppl}; -1 if the run never got there. (Only finished runs are targets.) */
    public static long stepsToReach(RunLog run, double ppl) {
        for (EvalRecord e : run.evals()) if (e.ppl() <= ppl) return e.step();
        return -1;
    }

    public List<RunLog> runs() { return runs; }
    public List<RunSummary> rows() { return rows; }
    public String label(RunLog r) { return labels.get(r); }
    /** The baseline with the lowest final perplexity, or null when no baseline has evaluated. */
    public RunLog bestBaseline() { return bestBaseline; }
    /** Its final perplexity (NaN without a baseline). */
    public double target() { return target; }

    /** The summary as an aligned text table (also printed by {@code acodm report}). */
    public String table() {
        String[] head = {"run", "method", "final step", "val ppl", "bits/byte", "steps to target", "speed-up"};
        List<String[]> cells = new ArrayList<>();
        cells.add(head);
        for (RunSummary s : rows) {
            cells.add(new String[] {s.label(), s.method(), s.finalStep() < 0 ? "n/a" : Long.toString(s.finalStep()), num(s.finalPpl(), 3),
                    num(s.finalBpb(), 4), s.reachedTarget() ? Long.toString(s.stepsToTarget()) : "n/a",
                    Double.isNaN(s.speedup()) ? "n/a" : String.format(Locale.ROOT, "%.2fx", s.speedup())});
        }
        int[] w = new int[head.length];
        for (String[] r : cells) for (int i = 0; i < r.length; i++) w[i] = Math.max(w[i], r[i].length());
        StringBuilder sb = new StringBuilder();
        for (int row = 0; row < cells.size(); row++) {
            String[] r = cells.get(row);
            for (int i = 0; i < r.length; i++) {
                // Text columns left-aligned, numbers right-aligned.
                String f = i < 2 ? "%-" + w[i] + "s" : "%" + w[i] + "s";
                sb.append(String.format(Locale.ROOT, f, r[i])).append(i + 1 < r.length ? "  " : "");
            }
            sb.append('\n');
            if (row == 0) {
                for (int i = 0; i < w.length; i++) sb.append("-".repeat(w[i])).append(i + 1 < w.length ? "  " : "");
                sb.append('\n');
            }
        }
        sb.append(targetNote()).append('\n');
        return sb.toString();
    }

    /** One sentence on what "target" means for this comparison. */
    public String targetNote() {
        if (bestBaseline == null) return "target: n/a (no baseline run with an evaluation; baselines are runs whose method is not acodm or frozen_actor)";
        return String.format(Locale.ROOT, "target: validation perplexity %.3f, the final perplexity of the best baseline '%s' (%s); speed-up = its steps to reach it / the run's",
                target, labels.get(bestBaseline), bestBaseline.info().method());
    }

    static String num(double v, int decimals) {
        return Double.isFinite(v) ? String.format(Locale.ROOT, "%." + decimals + "f", v) : "n/a";
    }

    /** Run names, with the directory name added where two runs share one. */
    private static Map<RunLog, String> uniqueLabels(List<RunLog> runs) {
        Map<String, Integer> count = new HashMap<>();
        for (RunLog r : runs) count.merge(r.info().name(), 1, Integer::sum);
        // Identity: RunLog is a record whose equals/hashCode would walk every metric.
        Map<RunLog, String> out = new IdentityHashMap<>();
        Map<String, Integer> seen = new HashMap<>();
        for (RunLog r : runs) {
            String name = r.info().name();
            // A study keeps seed s of run NAME in .../seed-s/NAME: there the folder above tells the runs apart.
            Path d = r.dir().toAbsolutePath().normalize();
            Path tell = d.getFileName() != null && d.getFileName().toString().equals(name) && d.getParent() != null ? d.getParent().getFileName() : d.getFileName();
            String label = count.get(name) == 1 ? name : name + " (" + tell + ")";
            int n = seen.merge(label, 1, Integer::sum);
            out.put(r, n == 1 ? label : label + " #" + n);
        }
        return out;
    }
}
