package org.acodm.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.acodm.train.RunPlan;
import org.acodm.train.Trainer;
import org.acodm.train.World;
import org.acodm.config.ConfigTree;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code acodm train}: one run from a YAML config, resumable. Started by torchrun or srun (RANK / WORLD_SIZE or
 * Slurm's variables), it is one rank of a data-parallel run; with {@code --nproc-per-node N} it starts N local ranks
 * itself ({@link LocalLauncher}).
 */
@Command(name = "train", mixinStandardHelpOptions = true,
        description = {"Train a model with a mixing policy from a YAML run config (configs/, docs/config.md).",
                "SIGTERM or Ctrl-C finish the current step, write a checkpoint and exit; --resume continues.",
                "Data-parallel: one process per rank under torchrun or srun, or --nproc-per-node N (docs/distributed.md)."})
public final class TrainCommand implements Callable<Integer> {
    @Option(names = "--config", required = true, description = "Run configuration (YAML).")
    Path config;

    @Option(names = "--out", description = "Run directory (default: runs/<run.name>).")
    Path out;

    @Option(names = "--set", description = "Override a key: --set optimizer.lr=3e-4 (repeatable).")
    List<String> overrides = new ArrayList<>();

    @Option(names = "--resume", description = "Continue from the newest complete checkpoint in the run directory.")
    boolean resume;

    @Option(names = "--overwrite", description = "Replace the run already in the run directory (its log, checkpoints and final files); without it a directory holding a run's log is never overwritten.")
    boolean overwrite;

    @Option(names = "--dry-run", description = {"Check the config (and the data, when data.path holds it), print the plan, train nothing.",
            "Allocates no model and needs no GPU; a missing data.path is reported, not an error."})
    boolean dryRun;

    @Option(names = "--max-steps", hidden = true, description = "Stop (with a checkpoint) after this many steps of this invocation.")
    long maxSteps = Long.MAX_VALUE;

    @Option(names = "--nproc-per-node", paramLabel = "N",
            description = {"Start N local ranks of a data-parallel run (like torchrun --standalone): a free port, each rank's output prefixed",
                    "with [rank R], signals forwarded; if a rank dies the others are ended and the command fails naming it."})
    Integer nprocPerNode;

    @Override public Integer call() throws Exception {
        ConfigTree tree = ConfigTree.load(config).withOverrides(overrides);
        Path runDir = out != null ? out : Path.of("runs", tree.bind(org.acodm.train.config.RunConfig.class).run().name());
        if (dryRun) {
            printPlan(RunPlan.dryRun(tree), runDir);
            return 0;
        }
        if (nprocPerNode != null) return LocalLauncher.run(nprocPerNode, rankArguments(runDir), System.getenv(), System.out, System.err);
        World world = World.fromEnvironment(System.getenv());
        LocalLauncher.stopWhenLauncherGoes();
        try (Trainer t = new Trainer(tree, runDir, System.out, world)) {
            if (t.leader()) printPlan(t.plan(), runDir);
            t.limitSteps(maxSteps);
            t.overwrite(overwrite);
            t.run(resume);
        }
        return 0;
    }

    /** What each rank started by --nproc-per-node runs: this command without that option, the run directory fixed. */
    private List<String> rankArguments(Path runDir) {
        List<String> args = new ArrayList<>(List.of("train", "--config", config.toString(), "--out", runDir.toString()));
        for (String o : overrides) args.addAll(List.of("--set", o));
        if (resume) args.add("--resume");
        if (overwrite) args.add("--overwrite");
        if (maxSteps != Long.MAX_VALUE) args.addAll(List.of("--max-steps", Long.toString(maxSteps)));
        return args;
    }

    static void printPlan(RunPlan p, Path runDir) {
        System.out.printf(Locale.ROOT, "run dir     %s%n", runDir);
        System.out.printf(Locale.ROOT, "model       %s (%,d parameters)%n", p.model(), p.parameters());
        System.out.printf(Locale.ROOT, "method      %s%n", p.method());
        System.out.printf(Locale.ROOT, "steps       %,d x %d windows x %d tokens = %,d tokens per step, %,d in all%n", p.steps(), p.batch(),
                p.seqLen(), p.tokensPerStep(), p.tokensPerStep() * p.steps());
        if (p.initialWeights() != null) {
            System.out.println("domains     initial weight   expected tokens (at the initial weights)");
            for (int j = 0; j < p.domains().size(); j++)
                System.out.printf(Locale.ROOT, "  %-28s %6.4f   %,15d%n", p.domains().get(j), p.initialWeights()[j],
                        Math.round(p.initialWeights()[j] * p.tokensPerStep() * p.steps()));
        } else {
            System.out.println("domains     " + (p.domains().isEmpty() ? "every domain of the prepared data" : p.domains()));
        }
        for (String note : p.notes()) System.out.println("note        " + note);
    }
}
