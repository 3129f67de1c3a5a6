package org.acodm.train.config;

import org.acodm.config.ConfigErrors;
import org.acodm.config.Default;
import org.acodm.config.Doc;
import org.acodm.config.Sections;
import org.acodm.config.Validated;

/** Per-domain validation loss, perplexity and bits per byte. */
public record EvalSection(
        @Default("50") @Doc("Evaluate every this many steps (and after the last step); 0 evaluates only after the last step.") long interval,
        @Default("true") @Doc("Also evaluate before the first step, so curves start at the untrained model.") boolean atStart,
        @Default("1024") @Doc("After the last step, also evaluate on this many validation windows per domain (every window when a domain has fewer) and save each window's loss in final_eval.json: the set that comparisons of runs are judged on (its size sets the eval's standard error; docs/study.md). The evaluations during training keep data.eval_windows_per_domain. 0: no separate final evaluation.") int finalWindowsPerDomain,
        @Default("0") @Doc("Windows per forward pass in every evaluation; 0 uses data.batch_size. Results do not depend on it (each window's loss is its own); a larger batch evaluates faster where memory allows.") int batchSize)
        implements Validated {

    /** Windows per forward pass of an evaluation: batch_size, or {@code trainBatch} (data.batch_size) when it is 0. */
    public int batchSize(int trainBatch) { return batchSize > 0 ? batchSize : trainBatch; }

    public static EvalSection defaults() {
        return Sections.defaults(EvalSection.class);
    }

    @Override public void validate(ConfigErrors errors) {
        errors.check(interval >= 0, "interval", "must be >= 0 (0 = only at the end), got " + interval);
        errors.check(batchSize >= 0, "batch_size", "must be >= 0 (0 = data.batch_size), got " + batchSize);
        errors.check(finalWindowsPerDomain >= 0, "final_windows_per_domain", "must be >= 0 (0 = none), got " + finalWindowsPerDomain);
    }
}
