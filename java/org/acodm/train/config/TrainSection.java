package org.acodm.train.config;

import org.acodm.config.ConfigErrors;
import org.acodm.config.Default;
import org.acodm.config.Doc;
import org.acodm.config.Sections;
import org.acodm.config.Validated;

/** Length of training. */
public record TrainSection(
        @Default("300") @Doc("Optimizer steps; the learning-rate schedule and the policies' schedules span exactly these.") long steps)
        implements Validated {

    public static TrainSection defaults() {
        return Sections.defaults(TrainSection.class);
    }

    @Override public void validate(ConfigErrors errors) {
        errors.check(steps >= 1, "steps", "must be >= 1, got " + steps);
    }
}
