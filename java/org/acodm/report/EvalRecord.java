package org.acodm.report;

import java.util.Map;

/** One evaluation of {@code metrics.jsonl} ({@code "type": "eval"}): loss, perplexity and bits per byte as means over domains, per domain too. */
public record EvalRecord(long step, double loss, double ppl, double bpb, Map<String, Double> domainLoss, Map<String, Double> domainPpl,
                         Map<String, Double> domainBpb) {
    public EvalRecord {
        domainLoss = Map.copyOf(domainLoss);
        domainPpl = Map.copyOf(domainPpl);
        domainBpb = Map.copyOf(domainBpb);
    }

    /** The mean over the domains not in {@code ignored} of the per-domain perplexity (the logged mean when none is ignored). */
    public double meanPpl(java.util.Collection<String> ignored) {
        if (ignored.isEmpty()) return ppl;
        double sum = 0;
        int n = 0;
        for (Map.Entry<String, Double> d : domainPpl.entrySet()) {
            if (ignored.contains(d.getKey()) || !Double.isFinite(d.getValue())) continue;
            sum += d.getValue();
            n++;
        }
        return n == 0 ? Double.NaN : sum / n;
    }
}
