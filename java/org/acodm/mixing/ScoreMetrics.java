package org.acodm.mixing;

import java.util.List;
import java.util.Map;

/** The metrics of the domain scores, the same for the closed form and AC-ODM. */
final class ScoreMetrics {
    private ScoreMetrics() {}

    /**
     * PREFIX/score/D: the score the weights follow; PREFIX/score_se/D: its standard error before shrinkage;
     * PREFIX/signal_sd: sqrt of the between-domain variance beyond noise (0: the scores carry no signal; NaN: zscore).
     */
    static void put(Map<String, Double> m, String prefix, List<String> domains, double[] scores, DomainSignal signal) {
        double[] se = signal.standardErrors();
        m.put(prefix + "/signal_sd", Math.sqrt(signal.signalVariance()));
        for (int i = 0; i < domains.size(); i++) m.put(prefix + "/score/" + domains.get(i), scores[i]);
        // +inf (too few observations for a spread yet) is logged as NaN: no standard error.
        for (int i = 0; i < domains.size(); i++) m.put(prefix + "/score_se/" + domains.get(i), Double.isFinite(se[i]) ? se[i] : Double.NaN);
    }
}
