package org.acodm.report;

/**
 * One row of the summary table.
 *
 * @param label          the run's name, made unique among the compared runs
 * @param finalStep      step of the last evaluation, -1 when there is none
 * @param finalPpl       validation perplexity at the last evaluation (NaN when none)
 * @param finalBpb       bits per byte at the last evaluation (NaN when none or not logged)
 * @param stepsToTarget  first evaluated step whose perplexity is at or below the best baseline's final perplexity; -1 if never
 * @param speedup        steps the best baseline needed for its own final perplexity divided by {@code stepsToTarget}; NaN if either is missing
 */
public record RunSummary(String label, String method, boolean baseline, long finalStep, double finalPpl, double finalBpb,
                         long stepsToTarget, double speedup) {

    public boolean reachedTarget() { return stepsToTarget >= 0; }
}
