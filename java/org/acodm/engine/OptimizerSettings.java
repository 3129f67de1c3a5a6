package org.acodm.engine;

import org.acodm.nativeapi.OptimizerNative;

/**
 * Adam with linear warmup to {@code maxLr} over {@code warmupSteps} optimizer steps, then a cosine to {@code minLr} at
 * {@code totalSteps}; decay on weight matrices only, AdamW (decay independent of the gradient scale) when
 * {@code decoupledWeightDecay}, else torch.optim.Adam's L2 term; the global gradient norm clipped to {@code gradClip}
 * (0: off). The engine has no settings of its own: these come from the config sections ({@code optimizer},
 * {@code mixing.acodm}), which hold the defaults.
 */
public record OptimizerSettings(double maxLr, double minLr, long warmupSteps, long totalSteps, double weightDecay,
                                double beta1, double beta2, double eps, boolean decoupledWeightDecay, double gradClip) {

    /** The native struct of these settings; the caller closes it. */
    OptimizerNative.Settings toNative() {
        return new OptimizerNative.Settings().max_lr(maxLr).min_lr(minLr).warmup(warmupSteps).total(totalSteps)
                .weight_decay(weightDecay).beta1(beta1).beta2(beta2).eps(eps).decoupled(decoupledWeightDecay).grad_clip(gradClip);
    }
}
