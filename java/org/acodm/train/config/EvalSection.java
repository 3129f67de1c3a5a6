package org.acodm.train.config;

import org.acodm.config.ConfigErrors;
import org.acodm.config.Default;
import org.acodm.config.Doc;
import org.acodm.config.Sections;
import org.acodm.config.Validated;

/** Per-domain validation loss, perplexity and bits per byte. */
public record EvalSection(
        @Default("50") @Doc("Evaluate every this many steps (and after the last step); 0 evaluates only after the last step.") long interval,
        @Default("true") @Doc("Also evaluate before the first step, so curves start at the untrained model.") boolean atStart)
        implements Validated {

    public static EvalSection defaults() {
        return Sections.defaults(EvalSection.class);
    }

    @Override public void validate(ConfigErrors errors) {
        errors.check(interval >= 0, "interval", "must be >= 0 (0 = only at the end), got " + interval);
    }
}
