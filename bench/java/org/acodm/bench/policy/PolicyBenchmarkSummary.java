package org.acodm.bench.policy;

import java.util.Locale;
import java.util.Map;

/** bench/run.sh policy: the AC-ODM policy step at both sizes against the tiny train step; headline last. */
public final class PolicyBenchmarkSummary {
    private PolicyBenchmarkSummary() {}

    private static double get(Map<String, Double> s, String key) {
        Double v = s.get(key);
        if (v == null) throw new IllegalStateException("no JMH result for '" + key + "' (have " + s.keySet() + ")");
        return v;
    }

    public static String summary(Map<String, Double> s) {
        double paper = get(s, "PolicyStepBenchmark.policyStep size=paper");
        double demo = get(s, "PolicyStepBenchmark.policyStep size=demo");
        double tiny = get(s, "PolicyStepBenchmark.tinyTrainStep");
        return String.format(Locale.ROOT, "AC-ODM policy step, paper size (5 x 1024, K 22, L 9): %8.3f ms%n", paper)
                + String.format(Locale.ROOT, "AC-ODM policy step, demo size  (2 x 64,   K 22, L 9): %8.3f ms%n", demo)
                + String.format(Locale.ROOT, "tiny model train step (2 layers d 64, 8 x 64 tokens):  %8.3f ms%n", tiny)
                + String.format(Locale.ROOT, "policy step (demo size) / tiny train step: %.3f%n", demo / tiny)
                + String.format(Locale.ROOT, "policy step (paper size) / tiny train step: %.3f", paper / tiny);
    }
}
