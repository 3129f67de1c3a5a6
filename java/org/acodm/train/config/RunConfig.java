package org.acodm.train.config;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.acodm.config.ConfigErrors;
import org.acodm.config.ConfigException;
import org.acodm.config.ConfigTree;
import org.acodm.config.ConfigWriter;
import org.acodm.config.Doc;
import org.acodm.config.Sections;
import org.acodm.config.Validated;
import org.acodm.mixing.MixingSection;

/**
 * The configuration of one training run, as read from a YAML file (configs/) plus {@code --set} overrides.
 * The reference page docs/config.md is generated from these records.
 */
public record RunConfig(
        @Doc("Name, seed, device and threads.") RunSection run,
        @Doc("The model to train.") ModelSection model,
        @Doc("Corpus, sequence length and batch.") DataSection data,
        @Doc("AdamW and the learning-rate schedule.") OptimizerSection optimizer,
        @Doc("How long to train.") TrainSection train,
        @Doc("Validation during training.") EvalSection eval,
        @Doc("Checkpoints.") CheckpointSection checkpoint,
        @Doc("How domains are mixed.") MixingSection mixing)
        implements Validated {

    public static RunConfig defaults() {
        return Sections.defaults(RunConfig.class);
    }

    /** Reads {@code file}, applies {@code overrides} ("key=value") and binds; throws {@link ConfigException} listing every error. */
    public static RunConfig load(Path file, List<String> overrides) throws IOException {
        return ConfigTree.load(file).withOverrides(overrides).bind(RunConfig.class);
    }

    /** Checks that need two sections at once. */
    @Override public void validate(ConfigErrors errors) {
        if (train.steps() >= 1 && optimizer.warmupSteps() > train.steps())
            errors.add("optimizer.warmup_steps", "must be <= train.steps (" + train.steps() + "), got " + optimizer.warmupSteps());
    }

    /** The resolved configuration as YAML (every key, defaults included), for run directories and checkpoints. */
    public String toYaml() { return ConfigWriter.toYaml(this); }
}
