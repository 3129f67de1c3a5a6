package org.acodm.mixing;

import java.util.Map;
import org.acodm.config.ConfigErrors;
import org.acodm.config.Doc;
import org.acodm.config.Validated;

/**
 * Section {@code mixing.acodm}: the DDPG agent of AC-ODM. Defaults are DESIGN.md section 5 (the paper's sizes and
 * rates); small networks for CPU demos come from config ({@code hidden: 64, layers: 2}).
 */
@Doc("AC-ODM: a DDPG agent picks the domain weights; reward from gradient alignment")
public record AcOdmConfig(
        @Doc("width of every hidden layer of the actor and critic (paper: 1024)") int hidden,
        @Doc("hidden layers (Linear, LayerNorm, ReLU) of the actor and critic (paper: 5)") int layers,
        @Doc("reward: mixture (R = sum alpha_i r_i, one Q value) or vector (released code: r, K Q values)") RewardMode reward,
        @Doc("apply the paper's importance smoothing r_i <- xi r_i + (1 - xi) W_i / alpha_i before the z-score") boolean importance,
        @Doc("xi of the importance smoothing") double importanceSmoothing,
        @Doc("discount gamma of the critic target") double gamma,
        @Doc("soft target update rate tau, applied every step") double tau,
        @Doc("replay buffer capacity (FIFO)") int bufferSize,
        @Doc("minibatch size of every update") int batchSize,
        @Doc("DDPG updates per train step") int updatesPerStep,
        @Doc("peak agent learning rate, reached at the end of the warmup") double maxLr,
        @Doc("final agent learning rate of the cosine schedule") double minLr,
        @Doc("agent weight decay (Linear weights only)") double weightDecay,
        @Doc("true: AdamW (decoupled decay, independent of the gradient scale); false: Adam + L2 (torch.optim.Adam's weight_decay)") boolean decoupledWeightDecay,
        @Doc("Adam beta1 of the agent") double beta1,
        @Doc("Adam beta2 of the agent") double beta2,
        @Doc("Adam epsilon of the agent") double adamEps,
        @Doc("share of the run's steps that follow ODM's weights while the actor imitates them") double warmupFraction,
        @Doc("ODM smoothing a during the warmup") double warmupSmoothing,
        @Doc("exploration: subtract U[0, noise) from each actor weight, clamp at 0, renormalise") double explorationNoise,
        @Doc("weight floor alpha <- (1 - K eps_t) alpha + eps_t with ODM's eps_t, against collapse onto one domain") boolean weightFloor,
        @Doc("the state's last entry is step_feature_scale * (step + 1) / total steps (paper: 100)") double stepFeatureScale,
        @Doc("number of state layers L (mlp.dense_4h_to_h weights picked by relative depth)") int stateLayers,
        @Doc("number of reward layers (the last even layers' mlp.dense_4h_to_h weights) S is computed over") int rewardLayers,
        @Doc("reference of the loss and weight deltas: previous (paper) or first (released code)") DeltaReference deltaReference,
        @Doc("where the agent networks live: cpu, cuda, cuda:N or auto") String device,
        @Doc("CPU threads of the agent's ops; 0: one for networks up to 256 wide (faster than spinning workers), the process setting above") int threads,
        @Doc("initial weights of step 0: uniform, natural (proportional to train tokens), file or map") WeightSource initialSource,
        @Doc("YAML weight map when initial_source is file") String initialFile,
        @Doc("inline weight map when initial_source is map") Map<String, Double> initialWeights) implements Validated {

    public static AcOdmConfig defaults() {
        return new AcOdmConfig(1024, 5, RewardMode.MIXTURE, false, 0.9, 0.95, 0.001, 10_000, 32, 1, 0.01, 0.001, 0.1, true,
                0.9, 0.999, 1e-8, 0.02, 0.5, 1e-3, true, 100.0, 9, 3, DeltaReference.PREVIOUS, "auto", 0, WeightSource.UNIFORM, "", Map.of());
    }

    /** The defaults with small networks (CPU demos and tests). */
    public AcOdmConfig withNetworks(int hiddenWidth, int hiddenLayers) {
        return new AcOdmConfig(hiddenWidth, hiddenLayers, reward, importance, importanceSmoothing, gamma, tau, bufferSize, batchSize,
                updatesPerStep, maxLr, minLr, weightDecay, decoupledWeightDecay, beta1, beta2, adamEps, warmupFraction,
                warmupSmoothing, explorationNoise, weightFloor, stepFeatureScale, stateLayers, rewardLayers, deltaReference, device, threads, initialSource,
                initialFile, initialWeights);
    }

    public AcOdmConfig withReward(RewardMode mode, boolean importanceSmoothingOn) {
        return new AcOdmConfig(hidden, layers, mode, importanceSmoothingOn, importanceSmoothing, gamma, tau, bufferSize, batchSize,
                updatesPerStep, maxLr, minLr, weightDecay, decoupledWeightDecay, beta1, beta2, adamEps, warmupFraction,
                warmupSmoothing, explorationNoise, weightFloor, stepFeatureScale, stateLayers, rewardLayers, deltaReference, device, threads, initialSource,
                initialFile, initialWeights);
    }

    public AcOdmConfig withWarmupFraction(double fraction) {
        return new AcOdmConfig(hidden, layers, reward, importance, importanceSmoothing, gamma, tau, bufferSize, batchSize,
                updatesPerStep, maxLr, minLr, weightDecay, decoupledWeightDecay, beta1, beta2, adamEps, fraction,
                warmupSmoothing, explorationNoise, weightFloor, stepFeatureScale, stateLayers, rewardLayers, deltaReference, device, threads, initialSource,
                initialFile, initialWeights);
    }

    public AcOdmConfig withDevice(String dev) {
        return new AcOdmConfig(hidden, layers, reward, importance, importanceSmoothing, gamma, tau, bufferSize, batchSize,
                updatesPerStep, maxLr, minLr, weightDecay, decoupledWeightDecay, beta1, beta2, adamEps, warmupFraction,
                warmupSmoothing, explorationNoise, weightFloor, stepFeatureScale, stateLayers, rewardLayers, deltaReference, dev, threads, initialSource,
                initialFile, initialWeights);
    }

    public AcOdmConfig withLearningRates(double max, double min) {
        return new AcOdmConfig(hidden, layers, reward, importance, importanceSmoothing, gamma, tau, bufferSize, batchSize,
                updatesPerStep, max, min, weightDecay, decoupledWeightDecay, beta1, beta2, adamEps, warmupFraction,
                warmupSmoothing, explorationNoise, weightFloor, stepFeatureScale, stateLayers, rewardLayers, deltaReference, device, threads,
                initialSource, initialFile, initialWeights);
    }

    public AcOdmConfig withStateScaling(double stepScale, double noise) {
        return new AcOdmConfig(hidden, layers, reward, importance, importanceSmoothing, gamma, tau, bufferSize, batchSize,
                updatesPerStep, maxLr, minLr, weightDecay, decoupledWeightDecay, beta1, beta2, adamEps, warmupFraction,
                warmupSmoothing, noise, weightFloor, stepScale, stateLayers, rewardLayers, deltaReference, device, threads,
                initialSource, initialFile, initialWeights);
    }

    /** The agent's thread count after resolving 0 (auto). */
    public int resolvedThreads() {
        return threads > 0 ? threads : hidden <= 256 ? 1 : 0;
    }

    /** Steps 0 .. warmupSteps(total) − 1 follow ODM. */
    public long warmupSteps(long totalSteps) {
        return (long) Math.ceil(warmupFraction * totalSteps);
    }

    @Override public void validate(ConfigErrors e) {
        e.check(hidden >= 1, "hidden", "must be >= 1, got " + hidden);
        e.check(layers >= 1, "layers", "must be >= 1, got " + layers);
        e.check(reward != null, "reward", "must be mixture or vector");
        e.check(importanceSmoothing >= 0 && importanceSmoothing < 1, "importance_smoothing", "must be in [0, 1), got " + importanceSmoothing);
        e.check(gamma >= 0 && gamma < 1, "gamma", "must be in [0, 1), got " + gamma);
        e.check(tau >= 0 && tau <= 1, "tau", "must be in [0, 1], got " + tau);
        e.check(bufferSize >= 1, "buffer_size", "must be >= 1, got " + bufferSize);
        e.check(batchSize >= 1, "batch_size", "must be >= 1, got " + batchSize);
        e.check(updatesPerStep >= 1, "updates_per_step", "must be >= 1, got " + updatesPerStep);
        e.check(maxLr > 0 && minLr >= 0 && minLr <= maxLr, "max_lr", "needs 0 <= min_lr <= max_lr and max_lr > 0, got " + minLr + " and " + maxLr);
        e.check(weightDecay >= 0, "weight_decay", "must be >= 0, got " + weightDecay);
        e.check(beta1 >= 0 && beta1 < 1 && beta2 >= 0 && beta2 < 1, "beta1", "Adam betas must be in [0, 1)");
        e.check(adamEps > 0, "adam_eps", "must be > 0, got " + adamEps);
        e.check(warmupFraction >= 0 && warmupFraction <= 1, "warmup_fraction", "must be in [0, 1], got " + warmupFraction);
        e.check(warmupSmoothing >= 0 && warmupSmoothing < 1, "warmup_smoothing", "must be in [0, 1), got " + warmupSmoothing);
        e.check(explorationNoise >= 0 && explorationNoise < 1, "exploration_noise", "must be in [0, 1), got " + explorationNoise);
        e.check(stepFeatureScale >= 0 && Double.isFinite(stepFeatureScale), "step_feature_scale", "must be >= 0, got " + stepFeatureScale);
        e.check(stateLayers >= 1, "state_layers", "must be >= 1, got " + stateLayers);
        e.check(rewardLayers >= 1, "reward_layers", "must be >= 1, got " + rewardLayers);
        e.check(deltaReference != null, "delta_reference", "must be previous or first");
        e.check(threads >= 0, "threads", "must be >= 0, got " + threads);
        e.check(device != null && !device.isBlank(), "device", "must be cpu, cuda, cuda:N or auto");
    }
}
