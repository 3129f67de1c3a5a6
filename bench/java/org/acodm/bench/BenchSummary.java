package org.acodm.bench;

import java.nio.file.Path;
import java.util.Map;
import org.acodm.bench.data.DataBenchmarkSummary;

/**
 * bench/run.sh's last step: reads a group's JMH JSON result and prints its ratios, the headline last.
 * Score keys are built by {@link DataBenchmarkSummary#key} ("Class.method[:secondary] param=value ...").
 */
public final class BenchSummary {
    private BenchSummary() {}

    public static String summary(String group, Map<String, Double> scores) {
        return switch (group) {
            case "data" -> DataBenchmarkSummary.summary(scores);
            case "step", "reward", "alignment", "gpu" -> org.acodm.bench.engine.EngineBenchmarkSummary.summary(group, scores);
            case "policy" -> org.acodm.bench.policy.PolicyBenchmarkSummary.summary(scores);
            default -> throw new IllegalArgumentException("unknown benchmark group '" + group + "'");
        };
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 2) {
            System.err.println("usage: BenchSummary GROUP JMH_RESULT.json");
            System.exit(2);
        }
        System.out.println(summary(args[0], DataBenchmarkSummary.scores(Path.of(args[1]))));
    }
}
