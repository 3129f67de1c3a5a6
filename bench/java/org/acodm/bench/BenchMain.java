package org.acodm.bench;

import java.util.Arrays;
import java.util.Locale;
import org.acodm.bench.data.DataGroup;
import org.acodm.bench.dist.DdpBenchmark;
import org.acodm.bench.engine.AlignmentGroup;
import org.acodm.bench.engine.GpuGroup;
import org.acodm.bench.engine.RewardGroup;
import org.acodm.bench.engine.StepGroup;
import org.acodm.bench.policy.PolicyGroup;

/**
 * bench/run.sh's entry point: {@code java -jar benchmarks.jar GROUP [--warmup N] [--rounds N] [--turn-ms X]} runs
 * one group in lockstep ({@link Lockstep}) and prints its measurements, the headline ratio last. Progress (one line
 * per round) goes to stderr.
 */
public final class BenchMain {
    public static final String GROUPS = "step reward alignment data policy gpu ddp";

    private BenchMain() {}

    public static void main(String[] args) throws Exception {
        if (args.length < 1 || !(" " + GROUPS + " ").contains(" " + args[0] + " ")) {
            System.err.println("usage: benchmarks.jar GROUP [--warmup N] [--rounds N] [--turn-ms X]; groups: " + GROUPS);
            System.exit(2);
        }
        String[] opts = Arrays.copyOfRange(args, 1, args.length);
        System.out.println("== bench " + args[0] + ": " + Machine.describe());
        switch (args[0]) {
            case "step" -> StepGroup.run(Lockstep.Settings.parse(opts, StepGroup.DEFAULTS));
            case "reward" -> RewardGroup.run(Lockstep.Settings.parse(opts, RewardGroup.DEFAULTS));
            case "alignment" -> AlignmentGroup.run(Lockstep.Settings.parse(opts, AlignmentGroup.DEFAULTS));
            case "data" -> DataGroup.run(Lockstep.Settings.parse(opts, DataGroup.DEFAULTS));
            case "policy" -> PolicyGroup.run(Lockstep.Settings.parse(opts, PolicyGroup.DEFAULTS));
            case "gpu" -> GpuGroup.run(Lockstep.Settings.parse(opts, GpuGroup.DEFAULTS));
            case "ddp" -> DdpBenchmark.run(DdpBenchmark.rounds(opts));
            default -> throw new AssertionError(args[0]);
        }
        System.err.println(String.format(Locale.ROOT, "== bench %s done; load average (1, 5, 15 min) %s", args[0], Machine.loadAverage()));
    }
}
