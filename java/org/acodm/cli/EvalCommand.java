package org.acodm.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.io.IOException;
import java.nio.file.Files;
import org.acodm.data.Split;
import org.acodm.engine.Model;
import org.acodm.train.Checkpoints;
import org.acodm.train.Evaluator;
import org.acodm.config.ConfigTree;
import org.acodm.io.DirectoryLock;
import org.acodm.train.config.RunConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code acodm eval}: a run's model from one of its checkpoints, scored on the fixed windows of the validation or
 * test split, exactly as the trainer's evaluations score it (same windows, same averages), so the val numbers
 * of the final checkpoint equal the run's last eval record.
 */
@Command(name = "eval", mixinStandardHelpOptions = true,
        description = "Per-domain loss, perplexity and bits per byte of a run's checkpoint on the val or test split.")
public final class EvalCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--run", required = true, paramLabel = "RUN_DIR", description = "Run directory (config.yaml, checkpoints/).")
    Path run;

    @Option(names = "--split", defaultValue = "val", paramLabel = "SPLIT", description = "val or test (default: ${DEFAULT-VALUE}).")
    String split;

    @Option(names = "--checkpoint", defaultValue = "latest", paramLabel = "WHICH",
            description = "latest, a step number, or a checkpoint directory (default: ${DEFAULT-VALUE}).")
    String checkpoint;

    @Option(names = "--device", paramLabel = "DEVICE", description = "cpu, cuda or auto (default: the run's run.device).")
    String device;

    @Override public Integer call() throws Exception {
        if (Split.parse(split) == Split.TRAIN) throw new IllegalArgumentException("--split: evaluate on val or test, not on the training split");
        PrintWriter w = spec.commandLine().getOut();
        long trainer = DirectoryLock.holderOf(run, "train.lock");
        if (trainer != 0)
            w.println("acodm: note: " + run + " is training now (" + (trainer > 0 ? "pid " + trainer : "its pid is not readable")
                    + "): evaluating its newest complete checkpoint");
        // While the run trains, a new checkpoint can replace the one being read (keep_last): then read the newest again.
        for (int attempt = 1; ; attempt++) {
            try {
                return evaluate(w, trainer != 0);
            } catch (IOException | RuntimeException e) {
                if (trainer == 0 || attempt == 3 || DirectoryLock.holderOf(run, "train.lock") == 0) throw e;
                w.println("acodm: note: the checkpoint changed while it was read (" + e.getMessage() + "); trying the newest again");
            }
        }
    }

    private int evaluate(PrintWriter w, boolean training) throws IOException {
        Split s = Split.parse(split);
        java.util.List<String> missing = java.util.stream.Stream.of("config.yaml", "run.json").filter(f -> !Files.isRegularFile(run.resolve(f))).toList();
        if (!missing.isEmpty())
            throw new IllegalArgumentException("--run " + run + " is not a run directory (" + (Files.isDirectory(run) ? "it has no " + String.join(" or ", missing)
                    : "no such directory") + "; a run directory is what `acodm train --out` writes)"
                    + (training ? "; it is training and has not written them yet: try again in a moment" : ""));
        ConfigTree tree = ConfigTree.load(run.resolve("config.yaml"));
        RunConfig cfg = tree.bind(RunConfig.class);
        Path ckpt;
        try {
            ckpt = Checkpoints.find(run, checkpoint, w::println);
        } catch (IllegalArgumentException e) {
            if (!training) throw e;
            throw new IllegalArgumentException(e.getMessage() + "; the run is training: its first checkpoint comes at step "
                    + Math.min(cfg.checkpoint().interval() > 0 ? cfg.checkpoint().interval() : cfg.train().steps(), cfg.train().steps()), e);
        }
        long step = Checkpoints.stepOf(ckpt);
        Evaluator evaluator = Evaluator.forCheckpoint(cfg, tree, s, ckpt);
        // A domain without windows in this split is left out of the averages; they say which domains they cover.
        java.util.List<String> unscored = new java.util.ArrayList<>();
        for (int j = 0; j < evaluator.domains().size(); j++) if (evaluator.windows(j) == 0) unscored.add(evaluator.domains().get(j));
        if (unscored.size() == evaluator.domains().size())
            throw new IllegalArgumentException(cfg.data().path() + " holds no " + s + " data for any domain of this run " + unscored
                    + ": nothing to evaluate");
        Model.setNumThreads(cfg.run().threads());
        Evaluator.Result r;
        try (Model model = new Model(cfg.model().config(), cfg.run().seed(), device != null ? device : cfg.run().device().engineName())) {
            model.load(ckpt.resolve("model.ckpt"));
            r = evaluator.evaluate(model);
        }
        w.printf(Locale.ROOT, "run         %s (%s, %s)%n", run, cfg.run().name(), cfg.mixing().method().key());
        w.printf(Locale.ROOT, "checkpoint  %s (after step %d of %d)%n", ckpt, step, cfg.train().steps());
        w.printf(Locale.ROOT, "split       %s: up to %d windows of %d tokens per domain%n", s, cfg.data().evalWindowsPerDomain(), cfg.data().seqLen());
        w.printf(Locale.ROOT, "%-28s %8s %12s %12s %10s%n", "domain", "windows", "loss", "perplexity", "bpb");
        for (int j = 0; j < r.domains().length; j++) {
            if (evaluator.windows(j) == 0) w.printf(Locale.ROOT, "%-28s %8d   (no %s data: not in the average)%n", r.domains()[j], 0, s);
            else w.printf(Locale.ROOT, "%-28s %8d %12.6f %12.6f %10.6f%n", r.domains()[j], evaluator.windows(j), r.domainLoss()[j],
                    r.domainPpl()[j], r.domainBpb()[j]);
        }
        String average = unscored.isEmpty() ? "average" : "average of " + (r.domains().length - unscored.size()) + " of " + r.domains().length;
        w.printf(Locale.ROOT, "%-28s %8s %12.6f %12.6f %10.6f%n", average, "", r.loss(), r.ppl(), r.bpb());
        if (!unscored.isEmpty()) w.println("the averages leave out " + unscored + ", which have no " + s + " data in " + cfg.data().path());
        w.flush();
        return 0;
    }
}
