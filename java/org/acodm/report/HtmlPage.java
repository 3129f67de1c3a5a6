package org.acodm.report;

import java.util.List;
import java.util.Locale;
import java.util.function.Function;

/** report.html: the summary table, the plots and, per run, what it was (model, method, resolved config). */
final class HtmlPage {
    record Plot(String file, String caption) {}

    private HtmlPage() {}

    static String render(Comparison c, SeedTable seeds, List<Plot> weightPlots, List<String> warnings, String lead, Function<Object, String> json) {
        StringBuilder h = new StringBuilder(16_384);
        h.append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>acodm report</title>\n<style>\n")
         .append("body{font-family:sans-serif;max-width:1280px;margin:2em auto;padding:0 1em;color:#222}\n")
         .append("table{border-collapse:collapse;margin:1em 0}th,td{border:1px solid #ccc;padding:.35em .7em}\n")
         .append("td.num{text-align:right;font-variant-numeric:tabular-nums}th{background:#f3f3f3}\n")
         .append("tr.best td{font-weight:bold}img{max-width:100%;border:1px solid #ddd;margin:.5em 0}\n")
         .append("pre{background:#f7f7f7;padding:.7em;overflow:auto;font-size:.85em}.warn{color:#a40}\n")
         .append("</style>\n</head>\n<body>\n<h1>acodm report</h1>\n");
        h.append(lead);
        if (!lead.isEmpty()) h.append("<h2>Every run</h2>\n");
        h.append("<p>").append(c.runs().size()).append(" run(s). ").append(esc(c.targetNote())).append(".</p>\n");
        h.append("<h2>Summary</h2>\n<table>\n<tr><th>run</th><th>method</th><th>final step</th><th>val perplexity</th><th>bits per byte</th>")
         .append("<th>steps to target</th><th>speed-up</th></tr>\n");
        RunSummary best = null;
        for (RunSummary s : c.rows()) if (Double.isFinite(s.finalPpl()) && (best == null || s.finalPpl() < best.finalPpl())) best = s;
        for (RunSummary s : c.rows()) {
            h.append(s == best ? "<tr class=\"best\">" : "<tr>")
             .append("<td>").append(esc(s.label())).append("</td><td>").append(esc(s.method())).append(s.baseline() ? " (baseline)" : "").append("</td>")
             .append(numCell(s.finalStep() < 0 ? "n/a" : Long.toString(s.finalStep())))
             .append(numCell(Comparison.num(s.finalPpl(), 3))).append(numCell(Comparison.num(s.finalBpb(), 4)))
             .append(numCell(s.reachedTarget() ? Long.toString(s.stepsToTarget()) : "n/a"))
             .append(numCell(Double.isNaN(s.speedup()) ? "n/a" : String.format(Locale.ROOT, "%.2fx", s.speedup())))
             .append("</tr>\n");
        }
        h.append("</table>\n<p>Bold: lowest final perplexity. Bits per byte compare runs with different tokenizers; perplexity does not.</p>\n");
        h.append("<h2>Seeds</h2>\n<p>Runs of the same name and model, one row per name: the mean and sample standard deviation of the final ")
         .append("mean validation perplexity").append(seeds.ignored().isEmpty() ? "" : esc(" over the domains except " + String.join(", ", seeds.ignored())))
         .append(", and over the second half of the logged steps the largest weight, the entropy of the weights (nats)")
         .append(seeds.ignored().isEmpty() ? "" : " and the weight of each ignored domain").append(".</p>\n");
        h.append(seedTable(seeds, seeds.compared(), "Compared: model " + SeedTable.shortModel(seeds.comparedModel())));
        if (!seeds.apart().isEmpty())
            h.append(seedTable(seeds, seeds.apart(), "Reported apart: another model (e.g. the proxy the actor was learned on), not ranked against the comparison"));
        h.append(img(ReportWriter.MAX_WEIGHT_PNG, "Largest domain weight over training, mean over seeds"))
         .append(img(ReportWriter.ENTROPY_PNG, "Entropy of the domain weights over training, mean over seeds"));
        if (!warnings.isEmpty()) {
            h.append("<h2>Warnings</h2>\n<ul>\n");
            for (String w : warnings) h.append("<li class=\"warn\">").append(esc(w)).append("</li>\n");
            h.append("</ul>\n");
        }
        h.append("<h2>Validation perplexity</h2>\n").append(img(ReportWriter.PPL_PNG, "Validation perplexity against training steps, all runs"))
         .append(img(ReportWriter.PPL_LATE_PNG, "The same after the first quarter of training, linear scale, with the target line"));
        h.append("<h2>Final perplexity per domain</h2>\n").append(img(ReportWriter.DOMAIN_PNG, "Final validation perplexity per domain and run"));
        h.append("<h2>Domain weights over training</h2>\n");
        for (Plot p : weightPlots) h.append(img(p.file(), p.caption()));
        h.append("<h2>Runs</h2>\n");
        for (RunLog r : c.runs()) {
            RunInfo i = r.info();
            h.append("<h3>").append(esc(c.label(r))).append("</h3>\n<table>\n")
             .append(row("directory", r.dir().toString())).append(row("method", i.method())).append(row("model", i.model()))
             .append(row("planned steps", Long.toString(i.steps()))).append(row("tokens per step", Long.toString(i.tokensPerStep())))
             .append(row("steps logged", Integer.toString(r.steps().size()))).append(row("evaluations", Integer.toString(r.evals().size())))
             .append(row("domains", String.join(", ", i.domains()))).append("</table>\n")
             .append("<details><summary>resolved configuration</summary>\n<pre>").append(esc(json.apply(i.config()))).append("</pre></details>\n");
        }
        h.append("</body>\n</html>\n");
        return h.toString();
    }

    private static String seedTable(SeedTable t, List<SeedTable.Row> rows, String caption) {
        StringBuilder h = new StringBuilder("<table>\n<caption>").append(esc(caption)).append("</caption>\n<tr><th>run</th><th>method</th><th>model</th>")
                .append("<th>seeds</th><th>val perplexity mean</th><th>sd</th><th>max weight</th><th>entropy</th>");
        for (String d : t.ignored()) h.append("<th>weight ").append(esc(d)).append("</th>");
        h.append("</tr>\n");
        for (SeedTable.Row r : rows) {
            h.append("<tr><td>").append(esc(r.name())).append("</td><td>").append(esc(r.method())).append("</td><td>").append(esc(SeedTable.shortModel(r.model()))).append("</td>")
             .append(numCell(Integer.toString(r.seeds()))).append(numCell(Comparison.num(r.meanPpl(), 3))).append(numCell(Comparison.num(r.sdPpl(), 3)))
             .append(numCell(Comparison.num(r.maxWeight(), 3))).append(numCell(Comparison.num(r.entropy(), 3)));
            for (double w : r.ignoredWeight()) h.append(numCell(Comparison.num(w, 4)));
            h.append("</tr>\n");
        }
        return h.append("</table>\n").toString();
    }

    private static String img(String file, String alt) {
        return "<figure><img src=\"" + esc(file) + "\" alt=\"" + esc(alt) + "\"><figcaption>" + esc(alt) + "</figcaption></figure>\n";
    }

    private static String numCell(String v) { return "<td class=\"num\">" + esc(v) + "</td>"; }

    private static String row(String k, String v) { return "<tr><th>" + esc(k) + "</th><td>" + esc(v) + "</td></tr>\n"; }

    static String esc(String s) {
        StringBuilder b = new StringBuilder(s.length());
        for (char ch : s.toCharArray()) {
            switch (ch) {
                case '<' -> b.append("&lt;");
                case '>' -> b.append("&gt;");
                case '&' -> b.append("&amp;");
                case '"' -> b.append("&quot;");
                case '\'' -> b.append("&#39;");
                default -> b.append(ch);
            }
        }
        return b.toString();
    }
}
