package org.acodm.train;

import java.io.IOException;
import java.io.PrintStream;
import java.util.Locale;
import org.acodm.engine.StepResult;
import org.acodm.train.config.RunConfig;

/**
 * What a run does with non-finite numbers (docs/training.md, "Non-finite steps"): a step whose loss or gradient norm is
 * not finite changed nothing in the engine and is skipped within train.skip_nonfinite_steps over the whole run, else
 * the run stops before anything of it is written; an eval that is not finite always stops the run. The messages say
 * which checkpoint is intact and how to go on.
 */
final class NonFiniteSteps {
    private final RunConfig cfg;
    private final Checkpoints checkpoints;
    private final PrintStream out;
    private long skipped;

    /** @param skipped the steps skipped before this invocation (restored on resume) */
    NonFiniteSteps(RunConfig cfg, Checkpoints checkpoints, PrintStream out, long skipped) {
        this.cfg = cfg;
        this.checkpoints = checkpoints;
        this.out = out;
        this.skipped = skipped;
    }

    /** Non-finite steps skipped so far in the whole run: what a checkpoint records. */
    long skipped() { return skipped; }

    /**
     * Step {@code step} (1-based) came back with a non-finite loss or gradient norm: within the budget it is skipped (said
     * on the console and, by the caller, in the log); past it the run stops here, with the last checkpoint as it was.
     */
    void skipOrStop(long step, StepResult r) throws IOException {
        long budget = cfg.train().skipNonfiniteSteps();
        String what = String.format(Locale.ROOT, "step %d of %d has a non-finite %s (loss %s, gradient norm %s)", step, cfg.train().steps(),
                Double.isFinite(r.loss()) ? "gradient norm" : "loss", r.loss(), r.gradNorm());
        if (skipped < budget) {
            skipped++;
            out.printf(Locale.ROOT, "acodm: warning: %s: skipped, the model is not updated (%d of train.skip_nonfinite_steps %d used)%n",
                    what, skipped, budget);
            return;
        }
        throw new IllegalStateException(what + ": the run stops here and nothing of this step is written; " + lastCheckpoint()
                + ". " + remedy() + ", or resume with train.skip_nonfinite_steps (now " + budget + ") set to skip such steps");
    }

    /**
     * An eval whose loss (or perplexity) is not finite: the training steps since the last checkpoint had finite losses and
     * gradients, but their updates left weights that no longer compute finite numbers. Skipping cannot help, so the run
     * stops before the eval record (which report would refuse) or the checkpoint of this step is written.
     */
    void refuseEval(long step, Evaluator.Result e) throws IOException {
        if (Double.isFinite(e.loss()) && Double.isFinite(e.ppl())) return;
        throw new IllegalStateException(String.format(Locale.ROOT, "the eval after step %d of %d has a non-finite %s (loss %s, perplexity %s): "
                + "the weights diverged; the run stops here and neither this eval nor a checkpoint of this step is written; %s. %s", step,
                cfg.train().steps(), Double.isFinite(e.loss()) ? "perplexity" : "loss", e.loss(), e.ppl(), lastCheckpoint(), remedy()));
    }

    private String lastCheckpoint() throws IOException {
        var all = checkpoints.list();
        return all.isEmpty() ? "no checkpoint was written yet" : "the last checkpoint, " + all.get(all.size() - 1) + ", is intact";
    }

    /** A resume keeps the optimizer settings (they are part of the checkpointed run), so the fix is a new run. */
    private String remedy() {
        return "To train on, start a new run (another --out) with a lower optimizer.lr (now " + cfg.optimizer().lr()
                + ") or a tighter optimizer.grad_clip (now " + (cfg.optimizer().gradClip() > 0 ? cfg.optimizer().gradClip() + ")" : "0: off)");
    }
}
