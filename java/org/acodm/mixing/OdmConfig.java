package org.acodm.mixing;

import java.util.Map;
import org.acodm.config.ConfigErrors;
import org.acodm.config.Default;
import org.acodm.config.Doc;
import org.acodm.config.Sections;
import org.acodm.config.Validated;

/** Section {@code mixing.odm}: online data mixing as a multi-armed bandit over domains, rewarded by training loss. */
@Doc("ODM: online data mixing with a loss-rewarded bandit (smoothed mean or EXP3)")
public record OdmConfig(
        @Default("smoothed_mean") @Doc("update rule: smoothed_mean (as released with AC-ODM) or exp3 (classic, importance-weighted)") OdmVariant variant,
        @Default("0.9") @Doc("smoothed_mean: weight a of the old reward in R <- a R + (1 - a) exp(loss)") double smoothing,
        @Default("0") @Doc("steps at the start that use the initial weights") long warmupSteps,
        @Default("false") @Doc("false: no reward is accumulated during warmup_steps, updates start after it (the released code); true: rewards accumulate during the warmup too") boolean accumulateDuringWarmup,
        @Default("0.1") @Doc("exp3: reward = scale * domain mean loss (the released EXP3 code divides the loss by 10)") double exp3RewardScale,
        @Default("uniform") @Doc("initial weights: uniform, natural (proportional to train tokens), file or map") WeightSource initialSource,
        @Default("") @Doc("YAML weight map when initialSource is file") String initialFile,
        @Default("{}") @Doc("inline weight map when initialSource is map") Map<String, Double> initialWeights) implements Validated {

    public static OdmConfig defaults() {
        return Sections.defaults(OdmConfig.class);
    }

    @Override public void validate(ConfigErrors errors) {
        errors.check(variant != null, "variant", "must be smoothed_mean or exp3");
        errors.check(smoothing >= 0 && smoothing < 1, "smoothing", "must be in [0, 1), got " + smoothing);
        errors.check(warmupSteps >= 0, "warmup_steps", "must be >= 0, got " + warmupSteps);
        errors.check(exp3RewardScale > 0, "exp3_reward_scale", "must be > 0, got " + exp3RewardScale);
    }

    public OdmConfig withSmoothing(double a) {
        return Sections.with(this, "smoothing", a);
    }
}
