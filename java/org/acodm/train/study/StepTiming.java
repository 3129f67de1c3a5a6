package org.acodm.train.study;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.acodm.config.ConfigTree;
import org.acodm.config.Mappers;
import org.acodm.data.Manifest;
import org.acodm.data.StepRecord;
import org.acodm.io.Directories;
import org.acodm.train.Trainer;
import org.acodm.train.config.RunConfig;

/**
 * A study's time estimate from a measured step: each run's config trains a few steps into a temporary directory
 * (the same model, batch, policy and threads; no evaluation or checkpoint until it stops), and the median seconds
 * of its steps after the first, with the evaluations priced as forward passes, give the run's time. A frozen-actor
 * run measures as static weights (its actor does not exist before its proxy has run; the actor's forward is tiny).
 */
public final class StepTiming {
    /** Steps measured after one warm-up step. */
    static final int MEASURED_STEPS = 4;

    /**
     * @param stepSeconds median seconds of a training step
     * @param runSeconds  the whole run's estimate: steps, evaluations during training and the final evaluation
     */
    public record Estimate(double stepSeconds, double runSeconds) {}

    private StepTiming() {}

    public static Estimate measure(StudyPlan.Job job) throws IOException {
        RunConfig cfg = job.config();
        ConfigTree t = job.tree().withOverrides(List.of("eval.at_start=false", "eval.interval=0", "eval.final_windows_per_domain=0",
                "checkpoint.interval=0", "checkpoint.keep_last=1"));
        if (job.dependsOn() != null) t = t.withOverride("mixing={method: static, static: {source: uniform}}");
        Path dir = Files.createTempDirectory("acodm-step-timing");
        List<Double> seconds = new ArrayList<>();
        try {
            try (Trainer trainer = new Trainer(t, dir, new PrintStream(OutputStream.nullOutputStream()))) {
                trainer.limitSteps(1 + MEASURED_STEPS);
                trainer.run(false);
            }
            for (String line : Files.readAllLines(dir.resolve("metrics.jsonl"))) {
                JsonNode n = Mappers.JSON.readTree(line);
                if (!n.path("type").asText().equals(StepRecord.TYPE)) continue;
                StepRecord step = Mappers.JSON.treeToValue(n, StepRecord.class);
                if (step.step() > 1) seconds.add(cfg.data().batchSize() * (double) cfg.data().seqLen() / step.tokensPerSecond());
            }
        } finally {
            Directories.deleteTree(dir);
        }
        Collections.sort(seconds);
        double step = seconds.get(seconds.size() / 2);
        return new Estimate(step, cfg.train().steps() * step + evalTokens(cfg) * forwardSecondsPerToken(cfg, step));
    }

    /** A forward pass costs about a third of a training step (forward + backward ≈ 3 forwards) per token. */
    private static double forwardSecondsPerToken(RunConfig cfg, double stepSeconds) {
        return stepSeconds / (3.0 * cfg.data().batchSize() * (cfg.data().seqLen() + 1));
    }

    /** Tokens the run's evaluations read: every evaluation during training, and the final set. */
    static long evalTokens(RunConfig cfg) throws IOException {
        Manifest m = Manifest.read(Path.of(cfg.data().path()));
        List<String> domains = cfg.data().domains().isEmpty() ? m.domains() : cfg.data().domains();
        Map<String, Manifest.DomainStats> val = m.split(org.acodm.data.Split.VAL);
        int t = cfg.data().seqLen();
        long small = 0, large = 0;
        for (String d : domains) {
            Manifest.DomainStats s = val.get(d);
            long available = s == null || s.tokens() == 0 ? 0 : Math.max(1, (s.tokens() - 1) / t);
            small += Math.min(available, cfg.data().evalWindowsPerDomain());
            large += Math.min(available, cfg.eval().finalWindowsPerDomain());
        }
        long interval = cfg.eval().interval();
        long evals = (cfg.eval().atStart() ? 1 : 0) + (interval > 0 ? cfg.train().steps() / interval : 0)
                + (interval > 0 && cfg.train().steps() % interval == 0 ? 0 : 1);
        return (evals * small + large) * (t + 1);
    }
}
