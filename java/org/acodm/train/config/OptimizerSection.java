package org.acodm.train.config;

import org.acodm.config.ConfigErrors;
import org.acodm.config.Default;
import org.acodm.config.Doc;
import org.acodm.config.Sections;
import org.acodm.config.Validated;
import org.acodm.engine.OptimizerSettings;

/** AdamW with linear warmup and cosine decay, as GPT-NeoX/Pythia train. */
public record OptimizerSection(
        @Default("6.0e-4") @Doc("Peak learning rate, reached at the end of warmup.") double lr,
        @Default("6.0e-5") @Doc("Learning rate at the end of the cosine decay (the last step).") double minLr,
        @Default("30") @Doc("Steps of linear warmup from 0 to lr.") int warmupSteps,
        @Default("0.1") @Doc("Decoupled weight decay, applied to weight matrices only (not biases, norms).") double weightDecay,
        @Default("0.9") @Doc("Adam beta1.") double beta1,
        @Default("0.95") @Doc("Adam beta2.") double beta2,
        @Default("1.0e-8") @Doc("Adam epsilon.") double eps,
        @Default("1.0") @Doc("Clip the global gradient norm to this; 0 disables clipping.") double gradClip)
        implements Validated {

    public static OptimizerSection defaults() {
        return Sections.defaults(OptimizerSection.class);
    }

    /** The engine's settings of a run of {@code totalSteps} steps: AdamW, the schedule ending at the last step. */
    public OptimizerSettings settings(long totalSteps) {
        return new OptimizerSettings(lr, minLr, warmupSteps, totalSteps, weightDecay, beta1, beta2, eps, true, gradClip);
    }

    @Override public void validate(ConfigErrors errors) {
        errors.check(lr > 0, "lr", "must be > 0, got " + lr);
        errors.check(minLr >= 0, "min_lr", "must be >= 0, got " + minLr);
        if (lr > 0 && minLr > lr) errors.add("min_lr", "must be <= lr (" + lr + "), got " + minLr);
        errors.check(warmupSteps >= 0, "warmup_steps", "must be >= 0, got " + warmupSteps);
        errors.check(weightDecay >= 0, "weight_decay", "must be >= 0, got " + weightDecay);
        errors.check(beta1 >= 0 && beta1 < 1, "beta1", "must lie in [0, 1), got " + beta1);
        errors.check(beta2 >= 0 && beta2 < 1, "beta2", "must lie in [0, 1), got " + beta2);
        errors.check(eps > 0, "eps", "must be > 0, got " + eps);
        errors.check(gradClip >= 0, "grad_clip", "must be >= 0 (0 disables), got " + gradClip);
    }
}
