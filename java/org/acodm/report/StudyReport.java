package org.acodm.report;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.acodm.config.Mappers;
import org.acodm.data.EvalRecord;
import org.acodm.data.StepRecord;
import org.acodm.data.WindowLosses;

/**
 * The numbers of a study (`acodm study`): every run compared with the baseline seed by seed. Seed s of every run
 * shares the model's initialisation, the evaluation windows and the sampler stream, so the difference of two runs
 * of one seed is mostly the difference of their mixtures; its spread over seeds gives a Student-t interval, and the
 * per-window losses of the final evaluation give the part of it that is evaluation noise. An interval that holds 0
 * is reported as "not resolved", never as a ranking.
 *
 * <p>The metric is the mean over domains (except the ignored ones) of the validation perplexity, as the paper reports
 * it; a difference is relative, in % of the baseline's value (negative: lower perplexity than the baseline).
 */
public record StudyReport(Setup setup, Row floor, List<Row> compared, List<Row> apart, List<String> notes) {

    /** What the study was: its name, the baseline and noise-floor runs (floor may be empty), the ignored domains, seeds. */
    public record Setup(String study, String baseline, String noiseFloor, List<String> ignored, int seeds) {
        public Setup {
            ignored = List.copyOf(ignored);
        }
    }

    /** One seed of one run as the study found it: its log and (null when it has none) the final evaluation's window losses. */
    public record Member(int seed, RunLog log, WindowLosses windows) {}

    /** A run of the study with the seeds it has. */
    public record Run(String name, List<Member> members) {
        public Run {
            members = List.copyOf(members);
        }
    }

    /** One domain's relative difference to the baseline, over seeds. */
    public record DomainDelta(String domain, Interval delta) {}

    /**
     * One run's line.
     *
     * @param meanPpl       mean over its seeds of the mean validation perplexity
     * @param delta         the paired relative difference to the baseline in %, over seeds (null for the baseline and runs apart)
     * @param evalSe        the evaluation's standard error of {@code delta.mean()} in % (NaN when per-window losses are missing)
     * @param evalSet       "final" (the final evaluation set) or "interval" (the last evaluation during training: no final set)
     * @param finding       "better", "worse", "not resolved", or why there is no finding
     * @param worst         the domain with the largest mean increase over the baseline (null when none is compared)
     * @param stepsToTarget mean over seeds of the steps this run took to reach the baseline's final perplexity (on the
     *                      evaluations during training, linearly interpolated between them); NaN when no seed reached it
     * @param reached       how many seeds reached it
     * @param fewerSteps    100 · (1 − its steps / the baseline's own), over the seeds that reached it
     * @param maxWeight     over the second half of training and the seeds: the mean largest weight
     * @param entropy       the same of the weights' entropy (nats)
     * @param ignoredWeight the same of each ignored domain's weight
     */
    public record Row(String name, String method, String model, int seeds, double meanPpl, Interval delta, double evalSe, String evalSet,
                      String finding, DomainDelta worst, List<DomainDelta> domains, double stepsToTarget, int reached, Interval fewerSteps,
                      double maxWeight, double entropy, Map<String, Double> ignoredWeight) {}

    /**
     * Computes the report; {@code runs} in the study's order, the baseline among them, each with its finished seeds;
     * {@code leftOut} says what was not finished (listed in the report).
     */
    public static StudyReport of(Setup setup, List<Run> runs, List<String> leftOut) {
        Set<String> ignored = Set.copyOf(setup.ignored());
        Run base = null;
        for (Run r : runs) if (r.name().equals(setup.baseline())) base = r;
        if (base == null) throw new IllegalArgumentException("the baseline '" + setup.baseline() + "' is not among the runs");
        List<String> notes = new ArrayList<>(leftOut);
        String model = base.members().isEmpty() ? null : base.members().get(0).log().info().model();
        Row floor = null;
        List<Row> compared = new ArrayList<>(), apart = new ArrayList<>();
        for (Run r : runs) {
            if (r.members().isEmpty()) {
                notes.add(r.name() + ": no finished seed yet");
                continue;
            }
            String m = r.members().get(0).log().info().model();
            boolean sameModel = model != null && model.equals(m);
            Row row = sameModel ? paired(r, base, ignored, setup.ignored(), notes) : unpaired(r, ignored, setup.ignored());
            if (r.name().equals(setup.noiseFloor())) floor = row;
            (sameModel ? compared : apart).add(row);
        }
        return new StudyReport(setup, floor, compared, apart, notes);
    }

    private static Row paired(Run r, Run base, Set<String> ignored, List<String> ignoredOrder, List<String> notes) {
        boolean isBase = r == base;
        List<Double> deltas = new ArrayList<>(), ses = new ArrayList<>(), ppl = new ArrayList<>(), steps = new ArrayList<>(), fewer = new ArrayList<>();
        Map<String, List<Double>> perDomain = new LinkedHashMap<>();
        boolean allFinal = true;
        int seeds = 0;
        for (Member mr : r.members()) {
            Member mb = member(base, mr.seed());
            if (mb == null) {
                notes.add(r.name() + " (seed " + mr.seed() + "): the baseline has no finished run of this seed; left out of the comparison");
                continue;
            }
            boolean finalSet = mr.log().finalSetEval() != null && mb.log().finalSetEval() != null;
            EvalRecord er = finalSet ? mr.log().finalSetEval() : mr.log().finalEval(), eb = finalSet ? mb.log().finalSetEval() : mb.log().finalEval();
            if (er == null || eb == null) continue;
            allFinal &= finalSet;
            seeds++;
            double pr = meanPpl(er, ignored), pb = meanPpl(eb, ignored);
            ppl.add(pr);
            deltas.add(100 * (pr / pb - 1));
            if (finalSet) ses.add(evalSe(mr, mb, er, eb, ignored));
            else ses.add(Double.NaN);
            for (String dom : mb.log().info().domains()) {
                Double v = er.domainPpl().get(dom), b = eb.domainPpl().get(dom);
                if (ignored.contains(dom) || v == null || b == null) continue;
                perDomain.computeIfAbsent(dom, k -> new ArrayList<>()).add(100 * (v / b - 1));
            }
            double target = meanPpl(mb.log().finalEval(), ignored);
            double sb = stepsToReach(mb.log(), target, ignored), sr = stepsToReach(mr.log(), target, ignored);
            steps.add(sr);
            fewer.add(Double.isFinite(sr) && sb > 0 ? 100 * (1 - sr / sb) : Double.NaN);
        }
        Interval delta = isBase ? null : Interval.of(deltas);
        double se = isBase ? Double.NaN : combinedSe(ses);
        List<DomainDelta> domains = new ArrayList<>();
        DomainDelta worst = null;
        if (!isBase) {
            for (Map.Entry<String, List<Double>> e : perDomain.entrySet()) {
                DomainDelta d = new DomainDelta(e.getKey(), Interval.of(e.getValue()));
                domains.add(d);
                if (worst == null || d.delta().mean() > worst.delta().mean()) worst = d;
            }
        }
        int reached = (int) steps.stream().filter(Double::isFinite).count();
        Weights w = weights(r, ignoredOrder);
        return new Row(r.name(), method(r), model(r), seeds, mean(ppl), delta, se, allFinal ? "final" : "interval",
                isBase ? "baseline" : finding(delta), worst, domains, mean(steps), reached, isBase ? null : Interval.of(fewer),
                w.max(), w.entropy(), w.ignored());
    }

    private static Row unpaired(Run r, Set<String> ignored, List<String> ignoredOrder) {
        List<Double> ppl = new ArrayList<>();
        boolean allFinal = true;
        for (Member m : r.members()) {
            EvalRecord e = m.log().finalSetEval() != null ? m.log().finalSetEval() : m.log().finalEval();
            allFinal &= m.log().finalSetEval() != null;
            if (e != null) ppl.add(meanPpl(e, ignored));
        }
        Weights w = weights(r, ignoredOrder);
        return new Row(r.name(), method(r), model(r), r.members().size(), mean(ppl), null, Double.NaN, allFinal ? "final" : "interval",
                "another model: not compared", null, List.of(), Double.NaN, 0, null, w.max(), w.entropy(), w.ignored());
    }

    static String finding(Interval d) {
        if (d.n() == 0) return "no paired seed";
        if (!d.hasInterval()) return "1 seed: no interval";
        if (d.containsZero()) return "not resolved";
        return d.hi() < 0 ? "better" : "worse";
    }

    private static Member member(Run r, int seed) {
        for (Member m : r.members()) if (m.seed() == seed) return m;
        return null;
    }

    static double meanPpl(EvalRecord e, Set<String> ignored) {
        return e == null ? Double.NaN : e.meanPpl(ignored);
    }

    /**
     * The evaluation's standard error (in %) of one seed's relative difference: per domain, the variance over windows
     * of the per-window loss difference (the same windows in both runs) divided by the window count, carried to the
     * mean perplexity to first order — sqrt(Σ_d p_d² σ_Δd² / n_d) / Σ_d p_b,d with p_d the domain's perplexity (the
     * mean of the two runs'). NaN when a domain lacks window losses or the two runs scored different windows.
     */
    static double evalSe(Member mr, Member mb, EvalRecord er, EvalRecord eb, Set<String> ignored) {
        WindowLosses wr = mr.windows(), wb = mb.windows();
        if (wr == null || wb == null || wr.step() != er.step() || wb.step() != eb.step() || wr.seqLen() != wb.seqLen()) return Double.NaN;
        double num = 0, den = 0;
        for (Map.Entry<String, Double> d : eb.domainPpl().entrySet()) {
            String dom = d.getKey();
            if (ignored.contains(dom) || !Double.isFinite(d.getValue())) continue;
            double[] a = wr.losses().get(dom), b = wb.losses().get(dom);
            Double pr = er.domainPpl().get(dom);
            if (a == null || b == null || a.length != b.length || a.length < 2 || pr == null) return Double.NaN;
            int n = a.length;
            double m = 0;
            for (int i = 0; i < n; i++) m += a[i] - b[i];
            m /= n;
            double ss = 0;
            for (int i = 0; i < n; i++) ss += (a[i] - b[i] - m) * (a[i] - b[i] - m);
            double p = (pr + d.getValue()) / 2;
            num += p * p * ss / (n - 1) / n;
            den += d.getValue();
        }
        return den == 0 ? Double.NaN : 100 * Math.sqrt(num) / den;
    }

    /** The standard error of a mean over seeds whose own errors are {@code ses} (independent): sqrt(Σ se²) / n. */
    static double combinedSe(List<Double> ses) {
        if (ses.isEmpty()) return Double.NaN;
        double s = 0;
        for (double v : ses) {
            if (!Double.isFinite(v)) return Double.NaN;
            s += v * v;
        }
        return Math.sqrt(s) / ses.size();
    }

    /**
     * The step at which the run's mean validation perplexity (evaluations during training) first reaches {@code target},
     * linearly interpolated between the two evaluations around the crossing; NaN when it never does.
     */
    static double stepsToReach(RunLog run, double target, Set<String> ignored) {
        if (!Double.isFinite(target)) return Double.NaN;
        double prevStep = Double.NaN, prevPpl = Double.NaN;
        for (EvalRecord e : run.evals()) {
            double p = meanPpl(e, ignored);
            if (p <= target) {
                if (Double.isNaN(prevStep) || prevPpl == p) return e.step();
                return prevStep + (e.step() - prevStep) * (prevPpl - target) / (prevPpl - p);
            }
            prevStep = e.step();
            prevPpl = p;
        }
        return Double.NaN;
    }

    private record Weights(double max, double entropy, Map<String, Double> ignored) {}

    /** Mean over seeds of the second half's mean largest weight, entropy and ignored domains' weights. */
    private static Weights weights(Run r, List<String> ignoredOrder) {
        double max = 0, ent = 0;
        double[] ign = new double[ignoredOrder.size()];
        int n = 0;
        for (Member m : r.members()) {
            List<StepRecord> late = SeedTable.secondHalf(m.log().steps());
            if (late.isEmpty()) continue;
            n++;
            double a = 0, h = 0;
            double[] w = new double[ign.length];
            for (StepRecord s : late) {
                a += SeedTable.maxWeight(s.weights());
                h += SeedTable.entropy(s.weights());
                for (int i = 0; i < w.length; i++) w[i] += s.weights().getOrDefault(ignoredOrder.get(i), Double.NaN);
            }
            max += a / late.size();
            ent += h / late.size();
            for (int i = 0; i < w.length; i++) ign[i] += w[i] / late.size();
        }
        Map<String, Double> ignored = new LinkedHashMap<>();
        for (int i = 0; i < ign.length; i++) ignored.put(ignoredOrder.get(i), n == 0 ? Double.NaN : ign[i] / n);
        return new Weights(n == 0 ? Double.NaN : max / n, n == 0 ? Double.NaN : ent / n, ignored);
    }

    private static String method(Run r) { return r.members().get(0).log().info().method(); }

    private static String model(Run r) { return SeedTable.shortModel(r.members().get(0).log().info().model()); }

    private static double mean(List<Double> v) {
        double s = 0;
        int n = 0;
        for (double x : v) if (Double.isFinite(x)) { s += x; n++; }
        return n == 0 ? Double.NaN : s / n;
    }

    // ---- rendering

    /** The report as Markdown (also what `acodm study` prints). */
    public String markdown() {
        StringBuilder b = new StringBuilder();
        b.append("# Study `").append(setup.study()).append("`: ").append(setup.seeds()).append(setup.seeds() == 1 ? " seed" : " seeds")
         .append(", baseline `").append(setup.baseline()).append("`\n\n");
        b.append(metricSentence()).append("\n\n");
        b.append(floorSentence()).append("\n\n");
        List<String> head = new ArrayList<>(List.of("run", "method", "seeds", "val ppl", "Δ vs " + setup.baseline(), "95% interval", "eval SE",
                "finding", "worst domain", "steps to " + setup.baseline() + "'s final ppl", "fewer steps", "max weight", "entropy"));
        for (String d : setup.ignored()) head.add("weight " + d);
        List<List<String>> rows = new ArrayList<>();
        for (Row r : compared) rows.add(cells(r));
        b.append(markdownTable(head, rows, 2));
        b.append("\nΔ: the mean over seeds of each seed's relative difference to the baseline (negative: lower perplexity). ")
         .append("95% interval: Student t over the seeds' paired differences; a finding is stated only when it excludes 0. ")
         .append("eval SE: the part of Δ that comes from evaluating on a finite set of windows (from per-window losses). ")
         .append("Steps: on the evaluations during training, interpolated; fewer steps is relative to the baseline's own.\n");
        List<Row> withDomains = compared.stream().filter(r -> r.delta() != null && !r.domains().isEmpty()).toList();
        if (!withDomains.isEmpty()) {
            b.append("\n## Per domain: Δ in % (mean over seeds, ± half the 95% interval)\n\n");
            List<String> dh = new ArrayList<>(List.of("domain"));
            withDomains.forEach(r -> dh.add(r.name()));
            List<List<String>> dr = new ArrayList<>();
            for (DomainDelta d : withDomains.get(0).domains()) {
                List<String> c = new ArrayList<>(List.of(d.domain()));
                for (Row r : withDomains) {
                    DomainDelta x = r.domains().stream().filter(y -> y.domain().equals(d.domain())).findFirst().orElse(null);
                    c.add(x == null ? "n/a" : pct(x.delta().mean()) + (x.delta().hasInterval() ? " ± " + num(x.delta().halfWidth(), 2) : ""));
                }
                dr.add(c);
            }
            b.append(markdownTable(dh, dr, 1));
        }
        if (!apart.isEmpty()) {
            b.append("\n## Reported apart: another model (e.g. the proxy an actor was learned on), not compared\n\n");
            List<String> ah = new ArrayList<>(List.of("run", "method", "model", "seeds", "val ppl", "max weight", "entropy"));
            for (String d : setup.ignored()) ah.add("weight " + d);
            List<List<String>> ar = new ArrayList<>();
            for (Row r : apart) {
                List<String> c = new ArrayList<>(List.of(r.name(), r.method(), r.model(), Integer.toString(r.seeds()), num(r.meanPpl(), 3),
                        num(r.maxWeight(), 3), num(r.entropy(), 3)));
                r.ignoredWeight().values().forEach(v -> c.add(num(v, 4)));
                ar.add(c);
            }
            b.append(markdownTable(ah, ar, 3));
        }
        if (!notes.isEmpty()) {
            b.append("\n## Left out\n\n");
            for (String n : notes) b.append("- ").append(n).append('\n');
        }
        return b.toString();
    }

    private String metricSentence() {
        boolean interval = compared.stream().anyMatch(r -> r.evalSet().equals("interval"));
        return "Metric: the mean over domains" + (setup.ignored().isEmpty() ? "" : " except " + String.join(", ", setup.ignored()))
                + " of the validation perplexity, " + (interval ? "on the last evaluation during training for runs without a final evaluation set (no eval SE)"
                : "on the final evaluation set (eval.final_windows_per_domain)")
                + ". Seed s of every run shares the initialisation, the evaluation windows and the sampler stream, so runs are compared seed by seed.";
    }

    private String floorSentence() {
        if (floor == null || floor.delta() == null)
            return "Noise floor: not measured (add the baseline again with another run.sampler_seed_offset as noise_floor).";
        Interval d = floor.delta();
        return "**Noise floor** (`" + floor.name() + "`: the baseline on another sampler stream): Δ " + pct(d.mean()) + " " + interval(d)
                + ", eval SE " + num(floor.evalSe(), 2) + "%" + (d.hasInterval() ? "; differences within about ±" + num(Math.abs(d.mean()) + d.halfWidth(), 2)
                + "% of the baseline are what another sampler stream alone gives." : ".");
    }

    private List<String> cells(Row r) {
        boolean base = r.delta() == null;
        List<String> c = new ArrayList<>(List.of(r.name() + (r.name().equals(setup.noiseFloor()) ? " (noise floor)" : ""), r.method(),
                Integer.toString(r.seeds()), num(r.meanPpl(), 3), base ? "(baseline)" : pct(r.delta().mean()), base ? "" : interval(r.delta()),
                base ? "" : Double.isFinite(r.evalSe()) ? num(r.evalSe(), 2) + "%" : "n/a", base ? "" : r.finding(),
                r.worst() == null ? "" : r.worst().domain() + " " + pct(r.worst().delta().mean()),
                Double.isFinite(r.stepsToTarget()) ? num(r.stepsToTarget(), 0) + (r.reached() < r.seeds() ? " (" + r.reached() + " of " + r.seeds() + " seeds)" : "")
                        : "not reached",
                base || r.fewerSteps() == null || r.fewerSteps().n() == 0 ? "" : pct(r.fewerSteps().mean()) + (r.fewerSteps().hasInterval() ? " " + interval(r.fewerSteps()) : ""),
                num(r.maxWeight(), 3), num(r.entropy(), 3)));
        r.ignoredWeight().values().forEach(v -> c.add(num(v, 4)));
        return c;
    }

    static String interval(Interval d) {
        return d.hasInterval() ? "[" + pct(d.lo()) + ", " + pct(d.hi()) + "]" : "n/a";
    }

    static String pct(double v) {
        return Double.isFinite(v) ? String.format(Locale.ROOT, "%+.2f%%", v) : "n/a";
    }

    private static String num(double v, int decimals) { return Comparison.num(v, decimals); }

    private static String markdownTable(List<String> head, List<List<String>> rows, int textColumns) {
        StringBuilder b = new StringBuilder("| ").append(String.join(" | ", head)).append(" |\n|");
        for (int i = 0; i < head.size(); i++) b.append(i < textColumns ? "---|" : "---:|");
        b.append('\n');
        for (List<String> r : rows) b.append("| ").append(String.join(" | ", r)).append(" |\n");
        return b.toString();
    }

    /** The report as an HTML section (tables and sentences), placed at the top of report.html. */
    public String html() {
        StringBuilder h = new StringBuilder();
        h.append("<h2>Study ").append(HtmlPage.esc(setup.study())).append(": paired comparison with ").append(HtmlPage.esc(setup.baseline())).append("</h2>\n");
        h.append("<p>").append(HtmlPage.esc(metricSentence())).append("</p>\n<p>").append(HtmlPage.esc(floorSentence().replace("**", ""))).append("</p>\n");
        List<String> head = new ArrayList<>(List.of("run", "method", "seeds", "val ppl", "Δ vs " + setup.baseline(), "95% interval", "eval SE",
                "finding", "worst domain", "steps to " + setup.baseline() + "'s final ppl", "fewer steps", "max weight", "entropy"));
        for (String d : setup.ignored()) head.add("weight " + d);
        h.append("<table>\n<tr>");
        for (String c : head) h.append("<th>").append(HtmlPage.esc(c)).append("</th>");
        h.append("</tr>\n");
        for (Row r : compared) {
            h.append("<tr>");
            List<String> c = cells(r);
            for (int i = 0; i < c.size(); i++) h.append(i < 2 ? "<td>" : "<td class=\"num\">").append(HtmlPage.esc(c.get(i))).append("</td>");
            h.append("</tr>\n");
        }
        h.append("</table>\n");
        h.append("<p>Δ: mean over seeds of the relative difference to the baseline (negative: lower perplexity); 95% interval: Student t over the ")
         .append("seeds' paired differences, a finding only when it excludes 0; eval SE: the evaluation set's share of that uncertainty. ")
         .append("The full report, per domain, is report.md; every number is in report.json.</p>\n");
        if (!notes.isEmpty()) {
            h.append("<ul>\n");
            for (String n : notes) h.append("<li class=\"warn\">").append(HtmlPage.esc(n)).append("</li>\n");
            h.append("</ul>\n");
        }
        return h.toString();
    }

    /** Every number of the report as JSON (NaN written as null). */
    public JsonNode json() {
        return finiteOnly(Mappers.JSON.valueToTree(this));
    }

    private static JsonNode finiteOnly(JsonNode n) {
        if (n.isObject()) {
            ObjectNode o = (ObjectNode) n;
            for (Iterator<Map.Entry<String, JsonNode>> it = o.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                e.setValue(finiteOnly(e.getValue()));
            }
            return o;
        }
        if (n.isArray()) {
            ArrayNode a = (ArrayNode) n;
            for (int i = 0; i < a.size(); i++) a.set(i, finiteOnly(a.get(i)));
            return a;
        }
        if (n.isNumber() && !Double.isFinite(n.doubleValue())) return JsonNodeFactory.instance.nullNode();
        if (n.isTextual() && (n.textValue().equals("NaN") || n.textValue().endsWith("Infinity"))) return JsonNodeFactory.instance.nullNode();
        return n;
    }

    /** The domains some compared run was evaluated on, sorted: to check ignored names against. */
    public static Set<String> domainsOf(List<Run> runs) {
        Set<String> all = new TreeSet<>();
        for (Run r : runs) for (Member m : r.members()) all.addAll(m.log().info().domains());
        return all;
    }
}
