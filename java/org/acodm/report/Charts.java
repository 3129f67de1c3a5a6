package org.acodm.report;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.acodm.data.EvalRecord;
import org.acodm.data.StepRecord;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.CategorySeries;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * The report's three kinds of plot, styled to be read on a screen or in a paper draft: large fonts, titled
 * axes, legends outside the data, one consistent colour per domain and per run.
 */
public final class Charts {
    private Charts() {}

    public static final int WIDTH = 1200;
    public static final int HEIGHT = 700;
    /** Stacked weights over time stay readable (and fast to draw) with at most this many points per domain. */
    static final int MAX_POINTS = 400;

    // Tableau 10 for runs; Tableau 20 plus two for up to 22 domains (The Pile), then repeated.
    private static final Color[] RUN_COLORS = hex("1f77b4", "ff7f0e", "2ca02c", "d62728", "9467bd", "8c564b", "e377c2", "7f7f7f", "bcbd22", "17becf");
    private static final Color[] DOMAIN_COLORS = hex("1f77b4", "aec7e8", "ff7f0e", "ffbb78", "2ca02c", "98df8a", "d62728", "ff9896", "9467bd",
            "c5b0d5", "8c564b", "c49c94", "e377c2", "f7b6d2", "7f7f7f", "c7c7c7", "bcbd22", "dbdb8d", "17becf", "9edae5", "393b79", "e7ba52");

    /** Validation perplexity against steps, one line per run, with the best baseline's final perplexity dashed. */
    public static XYChart perplexity(Comparison c) {
        XYChart chart = new XYChartBuilder().width(WIDTH).height(HEIGHT).title("Validation perplexity")
                .xAxisTitle("training step").yAxisTitle("validation perplexity (mean over domains)").build();
        style(chart.getStyler());
        chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideNE);
        double lo = Double.POSITIVE_INFINITY, hi = 0;
        long maxStep = 0;
        int i = 0;
        for (RunLog r : c.runs()) {
            List<Double> x = new ArrayList<>(), y = new ArrayList<>();
            for (EvalRecord e : r.evals()) {
                if (!Double.isFinite(e.ppl()) || e.ppl() <= 0) continue;
                x.add((double) e.step());
                y.add(e.ppl());
                lo = Math.min(lo, e.ppl());
                hi = Math.max(hi, e.ppl());
                maxStep = Math.max(maxStep, e.step());
            }
            Color color = RUN_COLORS[i++ % RUN_COLORS.length];
            if (x.isEmpty()) continue;
            XYSeries s = chart.addSeries(c.label(r) + " (" + r.info().method() + ")", x, y);
            s.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Line);
            s.setLineColor(color);
            s.setMarkerColor(color);
            s.setMarker(SeriesMarkers.CIRCLE);
            s.setLineWidth(2.5f);
        }
        if (Double.isFinite(c.target()) && maxStep > 0) {
            XYSeries t = chart.addSeries(String.format(java.util.Locale.ROOT, "target %.2f (best baseline, final)", c.target()),
                    new double[] {0, maxStep}, new double[] {c.target(), c.target()});
            t.setLineColor(Color.DARK_GRAY);
            t.setMarker(SeriesMarkers.NONE);
            t.setLineStyle(new BasicStroke(1.5f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, new float[] {8f, 6f}, 0f));
        }
        // Perplexity falls by orders of magnitude from the untrained model; a log axis keeps the late, close race visible.
        if (hi > 0 && lo > 0 && hi / lo > 20) chart.getStyler().setYAxisLogarithmic(true);
        if (chart.getSeriesMap().isEmpty()) addEmptyNote(chart);
        return chart;
    }

    /**
     * The same curves from a quarter of the way in, on a linear axis: after the steep start the runs are close,
     * and this is where "who reaches the target first" is read off.
     */
    public static XYChart perplexityLate(Comparison c) {
        long maxStep = 0;
        for (RunLog r : c.runs()) for (EvalRecord e : r.evals()) maxStep = Math.max(maxStep, e.step());
        long from = maxStep / 4;
        XYChart chart = new XYChartBuilder().width(WIDTH).height(HEIGHT).title("Validation perplexity from step " + from)
                .xAxisTitle("training step").yAxisTitle("validation perplexity (mean over domains)").build();
        style(chart.getStyler());
        chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideNE);
        int i = 0;
        for (RunLog r : c.runs()) {
            List<Double> x = new ArrayList<>(), y = new ArrayList<>();
            for (EvalRecord e : r.evals()) {
                if (e.step() < from || !Double.isFinite(e.ppl())) continue;
                x.add((double) e.step());
                y.add(e.ppl());
            }
            Color color = RUN_COLORS[i++ % RUN_COLORS.length];
            if (x.isEmpty()) continue;
            XYSeries s = chart.addSeries(c.label(r) + " (" + r.info().method() + ")", x, y);
            s.setLineColor(color);
            s.setMarkerColor(color);
            s.setMarker(SeriesMarkers.CIRCLE);
            s.setLineWidth(2.5f);
        }
        if (Double.isFinite(c.target()) && maxStep > from) {
            XYSeries t = chart.addSeries(String.format(java.util.Locale.ROOT, "target %.3f (best baseline, final)", c.target()),
                    new double[] {from, maxStep}, new double[] {c.target(), c.target()});
            t.setLineColor(Color.DARK_GRAY);
            t.setMarker(SeriesMarkers.NONE);
            t.setLineStyle(new BasicStroke(1.5f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, new float[] {8f, 6f}, 0f));
        }
        if (chart.getSeriesMap().isEmpty()) addEmptyNote(chart);
        return chart;
    }

    /** One run's domain weights over training as stacked areas (they sum to 1 at every step). */
    public static XYChart weights(RunLog run, String label) {
        XYChart chart = new XYChartBuilder().width(WIDTH).height(HEIGHT).title("Domain weights: " + label + " (" + run.info().method() + ")")
                .xAxisTitle("training step").yAxisTitle("sampling weight (stacked)").build();
        style(chart.getStyler());
        chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideE);
        chart.getStyler().setYAxisMin(0.0);
        chart.getStyler().setYAxisMax(1.0);
        chart.getStyler().setYAxisDecimalPattern("0.0");
        chart.getStyler().setMarkerSize(0);
        List<String> domains = domainsOf(run);
        List<StepRecord> steps = run.steps();
        int n = steps.size();
        if (n == 0 || domains.isEmpty()) {
            addEmptyNote(chart);
            return chart;
        }
        // Bucket means when there are more steps than points: the picture of a policy's drift, not its per-step noise.
        int buckets = Math.min(n, MAX_POINTS);
        double[] x = new double[buckets];
        double[][] w = new double[domains.size()][buckets];
        for (int b = 0; b < buckets; b++) {
            int from = (int) ((long) b * n / buckets), to = (int) ((long) (b + 1) * n / buckets);
            double sx = 0;
            for (int k = from; k < to; k++) {
                StepRecord s = steps.get(k);
                sx += s.step();
                for (int d = 0; d < domains.size(); d++) w[d][b] += s.weights().getOrDefault(domains.get(d), 0.0);
            }
            x[b] = sx / (to - from);
            for (int d = 0; d < domains.size(); d++) w[d][b] /= (to - from);
        }
        // Each domain is one closed band between the cumulative sums below and above it (PolygonArea also gives
        // the legend filled boxes). Added top band first so the legend reads in the stack's order.
        double[] below = new double[buckets];
        double[][] top = new double[domains.size()][buckets];
        for (int d = 0; d < domains.size(); d++) {
            for (int b = 0; b < buckets; b++) top[d][b] = (d == 0 ? 0 : top[d - 1][b]) + w[d][b];
        }
        // Each point stands for a bucket of steps, so the bands extend half a bucket past the first and last
        // centre. (This also keeps the x values unequally spaced: XChart 3.8.8 labels every equally spaced value
        // and the labels overrun each other.)
        double half = 0.5 * n / buckets;
        for (int d = domains.size() - 1; d >= 0; d--) {
            int m = buckets + 2;
            double[] px = new double[2 * m], py = new double[2 * m];
            for (int k = 0; k < m; k++) {
                int b = Math.min(Math.max(k - 1, 0), buckets - 1);
                double xk = k == 0 ? x[0] - half : k == m - 1 ? x[buckets - 1] + half : x[b];
                px[k] = xk;
                py[k] = top[d][b];
                px[2 * m - 1 - k] = xk;
                py[2 * m - 1 - k] = d == 0 ? below[b] : top[d - 1][b];
            }
            XYSeries s = chart.addSeries(domains.get(d), px, py);
            s.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.PolygonArea);
            Color color = DOMAIN_COLORS[d % DOMAIN_COLORS.length];
            s.setFillColor(color);
            s.setLineColor(color);
            s.setLineWidth(0.5f);
            s.setMarker(SeriesMarkers.NONE);
        }
        return chart;
    }

    /** Final validation perplexity per domain, grouped by domain with one bar per run. */
    public static CategoryChart domainPerplexity(Comparison c) {
        List<String> domains = new ArrayList<>();
        Set<String> seen = new LinkedHashSet<>();
        for (RunLog r : c.runs()) seen.addAll(domainsOf(r));
        domains.addAll(seen);
        int width = Math.max(WIDTH, 140 + domains.size() * (30 + 14 * c.runs().size()));
        CategoryChart chart = new CategoryChartBuilder().width(Math.min(width, 2400)).height(HEIGHT + 100)
                .title("Final validation perplexity per domain").xAxisTitle("domain").yAxisTitle("validation perplexity").build();
        style(chart.getStyler());
        chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideS);
        chart.getStyler().setLegendLayout(Styler.LegendLayout.Horizontal);
        chart.getStyler().setXAxisLabelRotation(domains.size() > 6 ? 35 : 0);
        chart.getStyler().setOverlapped(false);
        chart.getStyler().setAvailableSpaceFill(0.8);
        int i = 0;
        boolean any = false;
        for (RunLog r : c.runs()) {
            EvalRecord last = r.finalEval();
            Color color = RUN_COLORS[i++ % RUN_COLORS.length];
            if (last == null || last.domainPpl().isEmpty()) continue;
            List<Double> y = new ArrayList<>();
            for (String d : domains) {
                Double v = last.domainPpl().get(d);
                // XChart has no gaps in category series; 0 reads as "no value" and the table says n/a.
                y.add(v == null || !Double.isFinite(v) ? 0.0 : v);
            }
            CategorySeries s = chart.addSeries(c.label(r), domains, y);
            s.setFillColor(color);
            any = true;
        }
        if (!any) chart.addSeries("no evaluations", List.of("none"), List.of(0.0));
        return chart;
    }

    /**
     * How concentrated each run name's weights are over training, averaged over its seeds: the largest weight
     * ({@code entropy} false) or the entropy of α in nats (true), bucket means of at most {@link #MAX_POINTS} points.
     * Runs reported apart (a proxy) are drawn dashed.
     */
    public static XYChart concentration(SeedTable t, boolean entropy) {
        XYChart chart = new XYChartBuilder().width(WIDTH).height(HEIGHT)
                .title(entropy ? "Entropy of the domain weights (mean over seeds)" : "Largest domain weight (mean over seeds)")
                .xAxisTitle("training step").yAxisTitle(entropy ? "entropy of alpha (nats)" : "max_i alpha_i").build();
        style(chart.getStyler());
        chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideE);
        chart.getStyler().setMarkerSize(0);
        List<SeedTable.Row> rows = new ArrayList<>(t.compared());
        rows.addAll(t.apart());
        for (int i = 0; i < rows.size(); i++) {
            SeedTable.Row row = rows.get(i);
            java.util.TreeMap<Long, Double> series = SeedTable.meanSeries(row,
                    s -> entropy ? SeedTable.entropy(s.weights()) : SeedTable.maxWeight(s.weights()));
            Color color = RUN_COLORS[i % RUN_COLORS.length];
            if (series.isEmpty()) continue;
            List<Long> keys = new ArrayList<>(series.keySet());
            int n = keys.size(), buckets = Math.min(n, MAX_POINTS);
            double[] x = new double[buckets], y = new double[buckets];
            for (int b = 0; b < buckets; b++) {
                int from = (int) ((long) b * n / buckets), to = (int) ((long) (b + 1) * n / buckets);
                for (int k = from; k < to; k++) {
                    x[b] += keys.get(k);
                    y[b] += series.get(keys.get(k));
                }
                x[b] /= to - from;
                y[b] /= to - from;
            }
            boolean apart = i >= t.compared().size();
            XYSeries s = chart.addSeries(row.name() + " (" + row.method() + (apart ? ", " + row.model() : "") + ", " + row.seeds() + " seeds)", x, y);
            s.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Line);
            s.setLineColor(color);
            s.setMarker(SeriesMarkers.NONE);
            s.setLineStyle(apart ? new BasicStroke(2.5f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, new float[] {8f, 6f}, 0f)
                    : new BasicStroke(2.5f));
        }
        if (chart.getSeriesMap().isEmpty()) addEmptyNote(chart);
        return chart;
    }

    private static List<String> domainsOf(RunLog r) {
        if (!r.info().domains().isEmpty()) return r.info().domains();
        Set<String> s = new LinkedHashSet<>();
        r.steps().forEach(st -> s.addAll(st.weights().keySet()));
        return new ArrayList<>(s);
    }

    private static void addEmptyNote(XYChart chart) {
        chart.setTitle(chart.getTitle() + " (no data)");
        XYSeries s = chart.addSeries("no data", new double[] {0}, new double[] {0});
        s.setMarker(SeriesMarkers.NONE);
    }

    private static void style(Styler s) {
        s.setChartBackgroundColor(Color.WHITE);
        s.setPlotBackgroundColor(Color.WHITE);
        s.setPlotBorderVisible(true);
        s.setChartTitleFont(new Font(Font.SANS_SERIF, Font.BOLD, 22));
        s.setLegendFont(new Font(Font.SANS_SERIF, Font.PLAIN, 14));
        s.setLegendBorderColor(Color.LIGHT_GRAY);
        s.setAntiAlias(true);
        s.setChartPadding(12);
        if (s instanceof org.knowm.xchart.style.AxesChartStyler a) {
            a.setAxisTitleFont(new Font(Font.SANS_SERIF, Font.PLAIN, 17));
            a.setAxisTickLabelsFont(new Font(Font.SANS_SERIF, Font.PLAIN, 14));
            a.setPlotGridLinesColor(new Color(225, 225, 225));
            a.setAxisTickPadding(6);
            if (a instanceof org.knowm.xchart.style.XYStyler xy) {
                // Steps are integers; without a pattern bucket-mean x values print as run-together decimals.
                xy.setXAxisDecimalPattern("#,##0");
                xy.setXAxisTickMarkSpacingHint(110);
            }
        }
    }

    private static Color[] hex(String... codes) {
        Color[] out = new Color[codes.length];
        for (int i = 0; i < codes.length; i++) out[i] = new Color(Integer.parseInt(codes[i], 16));
        return out;
    }
}
