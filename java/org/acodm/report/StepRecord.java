package org.acodm.report;

import java.util.Map;

/** One training step of {@code metrics.jsonl} ({@code "type": "step"}); absent numbers are NaN. */
public record StepRecord(long step, double loss, Map<String, Double> domainLoss, Map<String, Double> weights, double lr,
                         double gradNorm, double tokensPerSecond, double elapsedSeconds) {
    public StepRecord {
        domainLoss = Map.copyOf(domainLoss);
        weights = Map.copyOf(weights);
    }
}
