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
}
