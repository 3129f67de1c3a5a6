package org.acodm.train.config;

import org.acodm.config.ConfigErrors;
import org.acodm.config.Default;
import org.acodm.config.Doc;
import org.acodm.config.Sections;
import org.acodm.config.Validated;

/** Length of training. */
public record TrainSection(
        @Default("300") @Doc("Optimizer steps; the learning-rate schedule and the policies' schedules span exactly these.") long steps,
        @Default("0") @Doc("Steps with a non-finite loss or gradient norm that may be skipped (no update of the model, the optimizer or "
                + "the policy; logged as skipped_step records) in the whole run before it stops at the next one. 0: stop at the "
                + "first, leaving the last checkpoint as it was.") long skipNonfiniteSteps,
        @Default("false") @Doc("Write each step's gradient-alignment matrix S to metrics.jsonl (field alignment: row domain -> column domain -> S_ij). S comes from the policy's reward layers, or for a policy that needs none from the last three even layers' mlp.dense_4h_to_h weights (AC-ODM's default), which costs its capture and Gram per step.") boolean logAlignment)
        implements Validated {

    public static TrainSection defaults() {
        return Sections.defaults(TrainSection.class);
    }

    @Override public void validate(ConfigErrors errors) {
        errors.check(steps >= 1, "steps", "must be >= 1, got " + steps);
        errors.check(skipNonfiniteSteps >= 0, "skip_nonfinite_steps", "must be >= 0, got " + skipNonfiniteSteps);
    }
}
