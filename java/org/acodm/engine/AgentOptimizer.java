package org.acodm.engine;

/**
 * Adam settings of the agent's actor and critic: linear warmup to {@code maxLr} over {@code warmupSteps}
 * optimizer steps, then a cosine to {@code minLr} at {@code totalSteps}. {@code decoupledWeightDecay}: AdamW
 * (decay independent of the gradient scale) when true, torch.optim.Adam's L2 term when false.
 */
public record AgentOptimizer(double maxLr, double minLr, long warmupSteps, long totalSteps, double weightDecay,
                             double beta1, double beta2, double eps, boolean decoupledWeightDecay) {}
