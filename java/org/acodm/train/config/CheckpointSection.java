package org.acodm.train.config;

import org.acodm.config.ConfigErrors;
import org.acodm.config.Default;
import org.acodm.config.Doc;
import org.acodm.config.Sections;
import org.acodm.config.Validated;

/** Resumable checkpoints of everything a run needs to continue bit for bit. */
public record CheckpointSection(
        @Default("100") @Doc("Write a checkpoint every this many steps (and after the last step); 0 writes only the final one.") long interval,
        @Default("2") @Doc("Checkpoints kept in the run directory; older ones are deleted after a newer one is complete.") int keepLast)
        implements Validated {

    public static CheckpointSection defaults() {
        return Sections.defaults(CheckpointSection.class);
    }

    @Override public void validate(ConfigErrors errors) {
        errors.check(interval >= 0, "interval", "must be >= 0 (0 = only the final checkpoint), got " + interval);
        errors.check(keepLast >= 1, "keep_last", "must be >= 1, got " + keepLast);
    }
}
