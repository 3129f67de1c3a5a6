package org.acodm.mixing;

import java.util.Map;
import org.acodm.config.ConfigErrors;
import org.acodm.config.Default;
import org.acodm.config.Doc;
import org.acodm.config.Sections;
import org.acodm.config.Validated;
import org.acodm.engine.OptimizerSettings;

/**
 * Section {@code mixing.acodm}: the DDPG agent of AC-ODM. Defaults are DESIGN.md section 5 (the paper's sizes and
 * rates, the regularised objective, Dirichlet exploration); small networks for CPU demos come from config
 * ({@code hidden: 64, layers: 2}).
 */
@Doc("AC-ODM: a DDPG agent picks the domain weights; reward from gradient alignment")
public record AcOdmConfig(
        @Default("1024") @Doc("width of every hidden layer of the actor and critic (paper: 1024)") int hidden,
        @Default("5") @Doc("hidden layers (Linear, LayerNorm, ReLU) of the actor and critic (paper: 5)") int layers,
        @Default("regularised") @Doc("objective: regularised (soft actor, max sum a_i rbar_i - temperature * KL(a || prior)), mixture (the linear sum alpha_i rbar_i alone; collapses onto one domain by construction) or vector (released code: rbar as K Q values)") RewardMode reward,
        @Default("alignment") @Doc("domain signal W: alignment (gradient alignment from S) or loss (ODM's exp(loss), the reward ablation)") RewardSource rewardSource,
        @Doc("The domain scores rbar the reward and the objective use; the same keys and implementation as mixing.alignment.scores (docs/mixing.md, \"Domain scores\").") ScoreConfig scores,
        @Default("0.15") @Doc("temperature tau of the regularised objective (its optimum is prior * exp(rbar / tau)): how strongly to follow a score once the noise is discounted; the starting value when target_entropy adapts it") double temperature,
        @Default("0.0") @Doc("adapt the temperature so the actor's entropy approaches this many nats (at most ln K); 0 keeps the temperature fixed") double targetEntropy,
        @Default("0.05") @Doc("step size of the temperature's adaptation: log tau += temperature_lr * (target_entropy - H(mu))") double temperatureLr,
        @Default("uniform") @Doc("prior pi of the KL term: uniform, natural (proportional to train tokens), file or map") WeightSource priorSource,
        @Default("") @Doc("YAML weight map when prior_source is file") String priorFile,
        @Default("{}") @Doc("inline weight map when prior_source is map (every weight > 0)") Map<String, Double> priorWeights,
        @Default("shaped") @Doc("critic: shaped (Q = V(s) + a . q(s), q regressed on the per-domain scores), normalised (Q of [s, (a - prior) / sd(a)]) or raw (Q of [s, a], the paper's)") CriticInput critic,
        @Default("0.0") @Doc("discount gamma of the critic target (the reward is myopic: the scores do not depend on the action; paper: 0.95)") double gamma,
        @Default("0.001") @Doc("soft target update rate tau, applied every step") double tau,
        @Default("10000") @Doc("replay buffer capacity (FIFO)") int bufferSize,
        @Default("32") @Doc("minibatch size of every update") int batchSize,
        @Default("1") @Doc("DDPG updates per train step") int updatesPerStep,
        @Default("0.01") @Doc("peak agent learning rate, reached at the end of the warmup") double maxLr,
        @Default("0.001") @Doc("final agent learning rate of the cosine schedule") double minLr,
        @Default("0.1") @Doc("agent weight decay (Linear weights only)") double weightDecay,
        @Default("true") @Doc("true: AdamW (decoupled decay, independent of the gradient scale); false: Adam + L2 (torch.optim.Adam's weight_decay)") boolean decoupledWeightDecay,
        @Default("0.9") @Doc("Adam beta1 of the agent") double beta1,
        @Default("0.999") @Doc("Adam beta2 of the agent") double beta2,
        @Default("1.0e-8") @Doc("Adam epsilon of the agent") double adamEps,
        @Default("0.02") @Doc("share of the run's steps that follow ODM's weights while the actor imitates them") double warmupFraction,
        @Default("0.5") @Doc("ODM smoothing a during the warmup") double warmupSmoothing,
        @Default("dirichlet") @Doc("exploration: dirichlet (a = (1 - exploration_mix) mu + exploration_mix d, d ~ Dir(1)) or subtractive (paper: subtract U[0, exploration_noise), clamp, renormalise)") Exploration exploration,
        @Default("0.1") @Doc("beta of the Dirichlet exploration: the share of each action drawn uniformly from the simplex (a raw or normalised critic learns the reward's slope from this spread; the shaped one learns it from the scores and needs none; issue 10: 0.3)") double explorationMix,
        @Default("0.001") @Doc("subtractive exploration: subtract U[0, noise) from each actor weight, clamp at 0, renormalise") double explorationNoise,
        @Default("fixed") @Doc("weight floor alpha <- (1 - K eps) a + eps against collapse onto one domain: fixed (eps = floor_share / K), odm (ODM's eps_t schedule, the paper's) or none") FloorSchedule floor,
        @Default("0.2") @Doc("the fixed floor as a share of the uniform weight: eps = floor_share / K, so every deviation from the prior keeps 1 - floor_share of its size whatever K (0.2: eps 0.022 for 9 domains)") double floorShare,
        @Default("trends") @Doc("state: trends (per domain the smoothed loss and its slope, z-scored, and the time: 2K + 1) or paper (z of this step's losses, their change, token counts, state-layer norms and their change, and the time: 3K + 2L + 1)") StateLayout state,
        @Default("1.0") @Doc("the state's last entry is step_feature_scale * (step + 1) / total steps (released code: 100, which swamps the z-scored entries)") double stepFeatureScale,
        @Default("9") @Doc("state: paper: number of state layers L (mlp.dense_4h_to_h weights picked by relative depth)") int stateLayers,
        @Default("3") @Doc("number of reward layers (the last even layers' mlp.dense_4h_to_h weights) S is computed over") int rewardLayers,
        @Default("previous") @Doc("reference of the loss and weight deltas: previous (paper) or first (released code)") DeltaReference deltaReference,
        @Default("auto") @Doc("where the agent networks live: cpu, cuda, cuda:N or auto") String device,
        @Default("0") @Doc("CPU threads of the agent's ops; 0: one for networks up to 256 wide (faster than spinning workers), the process setting above") int threads,
        @Default("uniform") @Doc("initial weights of step 0: uniform, natural (proportional to train tokens), file or map") WeightSource initialSource,
        @Default("") @Doc("YAML weight map when initial_source is file") String initialFile,
        @Default("{}") @Doc("inline weight map when initial_source is map") Map<String, Double> initialWeights) implements Validated {

    public static AcOdmConfig defaults() {
        return Sections.defaults(AcOdmConfig.class);
    }

    /** These settings with other network sizes (small ones for CPU demos and tests). */
    public AcOdmConfig withNetworks(int hiddenWidth, int hiddenLayers) {
        return Sections.with(this, "hidden", hiddenWidth, "layers", hiddenLayers);
    }

    /** These settings with another value of {@code key} of the {@code scores} subsection (e.g. {@code method}). */
    public AcOdmConfig withScores(String key, Object value) {
        return Sections.with(this, "scores", scores.with(key, value));
    }

    /** These settings with another value of {@code key} (a YAML key, e.g. {@code temperature}). */
    public AcOdmConfig with(String key, Object value) {
        return Sections.with(this, key, value);
    }

    public AcOdmConfig withWarmupFraction(double fraction) {
        return Sections.with(this, "warmup_fraction", fraction);
    }

    public AcOdmConfig withDevice(String dev) {
        return Sections.with(this, "device", dev);
    }

    /** The agent's thread count after resolving 0 (auto). */
    public int resolvedThreads() {
        return threads > 0 ? threads : hidden <= 256 ? 1 : 0;
    }

    /** Steps 0 .. warmupSteps(total) − 1 follow ODM. */
    public long warmupSteps(long totalSteps) {
        return (long) Math.ceil(warmupFraction * totalSteps);
    }

    /**
     * The agent's Adam over a run of {@code totalSteps}: its learning rate warms up over the ODM warmup's steps
     * ({@link #warmupSteps}) and ends its cosine at the last step; the networks do not clip their gradients.
     */
    public OptimizerSettings optimizerSettings(long totalSteps) {
        return new OptimizerSettings(maxLr, minLr, warmupSteps(totalSteps), totalSteps, weightDecay, beta1, beta2, adamEps,
                decoupledWeightDecay, 0.0);
    }

    @Override public void validate(ConfigErrors e) {
        e.check(hidden >= 1, "hidden", "must be >= 1, got " + hidden);
        e.check(layers >= 1, "layers", "must be >= 1, got " + layers);
        e.check(reward != null, "reward", "must be regularised, mixture or vector");
        e.check(rewardSource != null, "reward_source", "must be alignment or loss");
        e.check(temperature > 0 && temperature <= 1e4, "temperature", "must be in (0, 1e4], got " + temperature);
        e.check(targetEntropy >= 0 && Double.isFinite(targetEntropy), "target_entropy", "must be >= 0 (0: fixed temperature), got " + targetEntropy);
        e.check(temperatureLr > 0 && Double.isFinite(temperatureLr), "temperature_lr", "must be > 0, got " + temperatureLr);
        e.check(targetEntropy == 0 || reward == RewardMode.REGULARISED, "target_entropy",
                "adapts the temperature of the regularised objective; reward is " + (reward == null ? null : reward.name().toLowerCase(java.util.Locale.ROOT)));
        e.check(exploration != null, "exploration", "must be dirichlet or subtractive");
        e.check(explorationMix >= 0 && explorationMix <= 1, "exploration_mix", "must be in [0, 1], got " + explorationMix);
        e.check(critic != null, "critic", "must be shaped, normalised or raw");
        e.check(reward != RewardMode.VECTOR || critic != CriticInput.SHAPED, "critic",
                "shaped (the default) learns one score per domain from the state alone; reward: vector (the released code's K Q values of [s, a]) needs critic: raw or normalised");
        e.check(floor != null, "floor", "must be fixed, odm or none");
        e.check(floorShare >= 0 && floorShare < 1, "floor_share", "must be in [0, 1), got " + floorShare);
        e.check(state != null, "state", "must be trends or paper");
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
