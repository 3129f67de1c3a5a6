package org.acodm.engine;

/** AdamW with linear warmup then cosine decay to minLr, and global-norm clipping (gradClip <= 0: off). */
public record OptimizerSettings(double maxLr, double minLr, long warmupSteps, long totalSteps, double weightDecay,
                                double beta1, double beta2, double eps, double gradClip) {

    /** DESIGN.md's defaults: β 0.9/0.95, eps 1e-8, weight decay 0.1 on matrices, clipping at 1.0. */
    public static OptimizerSettings defaults(double maxLr, double minLr, long warmupSteps, long totalSteps) {
        return new OptimizerSettings(maxLr, minLr, warmupSteps, totalSteps, 0.1, 0.9, 0.95, 1e-8, 1.0);
    }
}
