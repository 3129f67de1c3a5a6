package org.acodm.mixing;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.acodm.data.CounterRandom;
import org.acodm.engine.AgentNetworks;

/**
 * AC-ODM (arXiv 2505.23878): a DDPG agent whose action is the domain mixture. After each step it builds the
 * state ({@link StateBuilder}), scores the domains ({@link DomainSignal}, shared with the closed form), stores the
 * transition (s, a, r̄, s') unless the step carried no information, and trains: during the warmup (the first
 * {@code warmupFraction} of the steps) the weights come from ODM's smoothed-mean rule, the actor imitates them and
 * the critic regresses the warmup's rewards; after it, DDPG updates, the targets hard-copied from the online networks
 * when they start and soft-updated after every update.
 *
 * <p>The default objective is regularised (DESIGN.md section 5): the reward R = Σ a_i r̄_i and a soft actor that
 * minimises −Q(s, μ(s)) + τ KL(μ(s) ‖ π), whose optimum π · exp(r̄ / τ) / Z is the closed form the {@code alignment}
 * method uses directly. The default critic is shaped like that reward, Q = V(s) + a · q(s), and learns q from the
 * score vector r̄ of every transition ({@link CriticInput}). Actions live in the actor's space (a softmax output,
 * exploration applied); the weights used for sampling are the action with the weight floor applied, a fixed
 * transform outside the objective. During the warmup the stored action is ODM's weights with the floor removed, so
 * floor(action) is exactly ODM.
 */
public final class AcOdmPolicy implements MixingPolicy {
    static final String STATE_FILE = "acodm.json";
    static final String AGENT_FILE = "agent.pt";
    static final String REPLAY_FILE = "replay.bin";
    /** The purpose of the exploration noise's draws in {@link CounterRandom#POLICY}. */
    static final long EXPLORATION = 1;

    private final List<String> domains;
    private final int k;
    private final AcOdmConfig config;
    private final long totalSteps;
    private final long seed;
    private final long warmupSteps;
    private final int rewardDim;
    private final AgentNetworks agent;
    private final ReplayBuffer buffer;
    private final StateBuilder stateBuilder;
    private final OdmPolicy odm;
    private final DomainSignal signal;
    private final WeightFloor floor;

    private double[] prior;        // π of the KL term (restored by load: the run's own, even if its source changed)
    private float[] state;         // s_t: the state the current action was chosen in (null before step 0's result)
    private float[] action;        // a_t in the actor's space
    private double[] alpha;        // α_t = floor(a_t), the weights of the step now running
    private long lastStep = -1;
    private long updates, imitations, skippedRewards, degenerateSteps;
    private double lastReward = Double.NaN, lastCriticLoss = Double.NaN, lastActorLoss = Double.NaN, lastImitationLoss = Double.NaN;
    private double lastKl = Double.NaN, lastEntropy = Double.NaN, greedyMaxWeight = Double.NaN, optimumMaxWeight = Double.NaN;
    private double optimumDistance = Double.NaN;
    private double[] scores;       // r̄ of the last used step: the reward of its transition

    /** A policy whose prior π comes from {@code config}'s prior source; {@code natural} needs {@link #create}'s manifest. */
    public AcOdmPolicy(List<String> domains, AcOdmConfig config, long totalSteps, long seed, double[] initialWeights) {
        this(domains, config, totalSteps, seed, initialWeights,
                InitialWeights.resolve(config.priorSource(), config.priorFile(), config.priorWeights(), domains, null));
    }

    public AcOdmPolicy(List<String> domains, AcOdmConfig config, long totalSteps, long seed, double[] initialWeights, double[] prior) {
        this.domains = List.copyOf(domains);
        this.k = domains.size();
        this.config = Configs.check(config, "mixing.acodm");
        if (totalSteps < 1) throw new IllegalArgumentException("AC-ODM needs the run's total steps (>= 1), got " + totalSteps);
        if (k < 2) throw new IllegalArgumentException("AC-ODM needs at least 2 domains, got " + k);
        if (initialWeights.length != k) throw new IllegalArgumentException(initialWeights.length + " initial weights for " + k + " domains");
        this.prior = AlignmentPolicy.checkPrior(prior, this.domains);
        this.totalSteps = totalSteps;
        this.seed = seed;
        this.warmupSteps = config.warmupSteps(totalSteps);
        this.rewardDim = config.reward() == RewardMode.VECTOR || config.critic() == CriticInput.SHAPED ? k : 1;
        this.stateBuilder = StateBuilder.of(config.state(), k, config.stateLayers(), config.deltaReference(), config.stepFeatureScale());
        this.signal = new DomainSignal(this.domains, config.rewardSource(), config.scores(), "mixing.acodm.scores");
        this.floor = new WeightFloor(config.floor(), config.floorShare(), k);
        this.scores = new double[k];
        int stateDim = stateBuilder.dimension();
        this.buffer = new ReplayBuffer(config.bufferSize(), stateDim, k, rewardDim);
        OdmConfig odmConfig = OdmConfig.defaults().withSmoothing(config.warmupSmoothing());
        this.odm = new OdmPolicy(domains, odmConfig, initialWeights);
        this.agent = new AgentNetworks(stateDim, k, config.hidden(), config.layers(), rewardDim, seed, config.device(),
                config.critic() == CriticInput.SHAPED ? AgentNetworks.CriticForm.SHAPED : AgentNetworks.CriticForm.CONCAT);
        agent.setThreads(config.resolvedThreads());
        if (config.critic() == CriticInput.NORMALISED) agent.setActionNormalisation(this.prior, explorationSd());
        agent.setOptimizer(config.optimizerSettings(totalSteps));
        if (config.reward() == RewardMode.REGULARISED)
            agent.setRegulariser(this.prior, config.temperature(), config.targetEntropy(), config.temperatureLr());
        this.alpha = initialWeights.clone();
    }

    /** {@link MixingMethod#ACODM}'s factory. */
    static AcOdmPolicy create(AcOdmConfig c, PolicyContext run) {
        double[] prior = run.weights("prior_source", "prior_weights", "prior_file", c.priorSource(), c.priorWeights(), c.priorFile());
        try {
            AlignmentPolicy.checkPrior(prior, run.domains());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(run.locate("prior_source") + ": " + run.key("prior_source") + ": " + e.getMessage(), e);
        }
        return new AcOdmPolicy(run.domains(), c, run.totalSteps(), run.seed(),
                run.initialWeights(c.initialSource(), c.initialWeights(), c.initialFile()), prior);
    }

    @Override public MixingMethod method() { return MixingMethod.ACODM; }
    @Override public List<String> domains() { return domains; }
    @Override public double[] weights() { return alpha.clone(); }
    @Override public boolean needsAlignment() { return signal.needsAlignment(); }

    @Override public boolean needsSplitAlignment() { return signal.needsSplitAlignment(); }

    @Override public StateLayers stateLayers(int numLayers) {
        return config.state().needsNorms() ? StateLayers.of(config.stateLayers(), config.deltaReference(), numLayers) : StateLayers.NONE;
    }

    @Override public List<String> rewardLayers(int numLayers) {
        return LayerSelection.names(LayerSelection.rewardPositions(numLayers, config.rewardLayers()));
    }

    public AcOdmConfig config() { return config; }
    public long warmupSteps() { return warmupSteps; }
    public int stateDim() { return stateBuilder.dimension(); }
    public ReplayBuffer replayBuffer() { return buffer; }
    /** The native networks (owned by this policy; closed with it). */
    public AgentNetworks networks() { return agent; }
    /** The state the current weights were chosen in (null before the first observation), a copy. */
    public float[] lastState() { return state == null ? null : state.clone(); }
    /** The prior π of the KL term, a copy. */
    public double[] prior() { return prior.clone(); }
    /** The domain scores r̄ of the last used step (the reward of its transition), a copy. */
    public double[] scores() { return scores.clone(); }

    /** The regularised objective's optimum π · exp(r̄ / τ) / Z at the current scores and temperature (before any floor). */
    public double[] optimum() { return AlignmentPolicy.optimum(prior, scores, agent.temperature()); }

    /** floor(μ(s)) without exploration in the current state: what a frozen copy of the actor would choose now. */
    public double[] greedyWeights() {
        if (state == null) return alpha.clone();
        return floor.apply(toDouble(agent.act(state, 1)), lastStep + 1);
    }

    @Override public void observe(StepObservation o) {
        long step = PolicyChecks.step(o, domains, lastStep);  // committed only once the observation is usable
        if (needsAlignment() && o.alignment() == null)
            throw new IllegalArgumentException("AC-ODM needs the alignment matrix S of every step (step " + o.step() + " has none): "
                    + "train with alignment over rewardLayers()");
        float[] next = stateBuilder.next(o);
        lastStep = step;
        switch (signal.observe(o, alpha)) {
            case DEGENERATE -> degenerateSteps++;
            case NOT_FINITE -> skippedRewards++;
            case USED -> {
                // The advantage is over the mixture the step ran with: the action, before the floor (step 0: the
                // initial weights, which no transition stores).
                scores = signal.scores(action != null ? toDouble(action) : alpha);
                float[] reward = reward();
                if (state != null) buffer.add(state, action, reward, next);
            }
        }

        boolean warm = o.step() < warmupSteps;
        if (warm) odm.observe(o);
        train(o.step(), warm);

        long t = o.step() + 1;
        double[] best = config.reward() == RewardMode.REGULARISED ? optimum() : null;
        if (best != null) optimumMaxWeight = max(floor.apply(best, t));
        if (t < warmupSteps) {
            alpha = odm.weights();
            action = toFloat(floor.remove(alpha, t));
        } else {
            double[] mu = toDouble(agent.act(next, 1));
            greedyMaxWeight = max(floor.apply(mu, t));
            if (best != null) {
                optimumDistance = 0;
                for (int i = 0; i < k; i++) optimumDistance += Math.abs(mu[i] - best[i]);
            }
            double[] a = explore(mu, t);
            action = toFloat(a);
            alpha = floor.apply(a, t);
        }
        state = next;
    }

    /**
     * The reward of the step just observed, from the scores r̄: the scalar R = Σ a_i r̄_i for the regularised objective
     * (a: the action the step ran with, so that the objective's optimum is exactly the closed form), Σ α_i r̄_i for
     * the linear one (α: the floored weights, as the paper); the vector r̄ itself for the shaped critic (which learns
     * R through q) and for the released code's vector reward. {@code lastReward} is R in every case but the latter
     * (the mean of r̄).
     */
    private float[] reward() {
        double[] r = scores;
        // Step 0 ran with the initial weights: no action of the actor's yet (and no transition to store).
        double[] w = config.reward() == RewardMode.REGULARISED && action != null ? toDouble(action) : alpha;
        double sum = 0;
        for (int i = 0; i < k; i++) sum += (config.reward() == RewardMode.VECTOR ? 1.0 / k : w[i]) * r[i];
        lastReward = sum;
        if (rewardDim == 1) return new float[] {(float) sum};
        return toFloat(r);
    }

    private void train(long step, boolean warm) {
        if (buffer.size() == 0) return;
        for (int u = 0; u < config.updatesPerStep(); u++) {
            ReplayBuffer.Batch b = buffer.sample(config.batchSize(), seed, step * config.updatesPerStep() + u);
            if (warm) {
                lastImitationLoss = agent.imitate(b.states(), b.actions(), b.n());
                lastCriticLoss = agent.regressCritic(b.states(), b.actions(), warmupTargets(b), b.n());
                imitations++;
            } else {
                // DDPG starts from targets equal to the networks the warmup trained (the released code's hard copy):
                // soft updates alone would leave them a third of the way there after 400 steps at tau 0.001.
                if (updates == 0) agent.softUpdate(1.0);
                AgentNetworks.Losses l = agent.update(b.states(), b.actions(), b.rewards(), b.nextStates(), b.n(), config.gamma());
                lastCriticLoss = l.critic();
                lastActorLoss = l.actor();
                lastKl = l.kl();
                lastEntropy = l.entropy();
                updates++;
            }
            agent.softUpdate(config.tau());
        }
    }

    /**
     * The warmup's critic targets, the value of repeating the stored reward forever at the discount's horizon: (1 + γ) R
     * for a concat critic (R the scalar or vector reward); for the shaped critic the heads' targets (γ a · r̄, r̄), since
     * Q = V + a · q then equals (1 + γ) a · r̄.
     */
    private float[] warmupTargets(ReplayBuffer.Batch b) {
        float[] r = b.rewards();
        if (config.critic() != CriticInput.SHAPED || rewardDim != k) {
            float[] target = r.clone();
            for (int i = 0; i < target.length; i++) target[i] = (float) ((1 + config.gamma()) * target[i]);
            return target;
        }
        float[] target = new float[b.n() * (1 + k)];
        for (int n = 0; n < b.n(); n++) {
            double value = 0;
            for (int i = 0; i < k; i++) {
                value += (double) b.actions()[n * k + i] * r[n * k + i];
                target[n * (1 + k) + 1 + i] = r[n * k + i];
            }
            target[n * (1 + k)] = (float) (config.gamma() * value);
        }
        return target;
    }

    /**
     * The standard deviation of one action weight under exploration, around the actor's μ: β sqrt((K − 1) / (K² (K + 1)))
     * for the Dirichlet mix (Var Dir(1)_i = (K − 1) / (K² (K + 1))), noise / sqrt(12) for the subtractive noise.
     */
    private double explorationSd() {
        double sd = config.exploration() == Exploration.DIRICHLET
                ? config.explorationMix() * Math.sqrt((k - 1.0) / ((double) k * k * (k + 1)))
                : config.explorationNoise() / Math.sqrt(12);
        if (!(sd > 0))
            throw new IllegalArgumentException("mixing.acodm.critic: normalised divides the action by its exploration's standard deviation, "
                    + "which is 0 here (exploration_mix or exploration_noise is 0)");
        return sd;
    }

    /** The explored action for step t, keyed by (seed, t) so that a resumed run draws the same. */
    private double[] explore(double[] mu, long t) {
        double[] a = new double[k];
        if (config.exploration() == Exploration.DIRICHLET) {
            // Dir(1) is a normalised vector of Exp(1) draws; 1 − U is in (0, 1], so the log is finite.
            double[] d = new double[k];
            double sum = 0;
            for (int i = 0; i < k; i++)
                sum += d[i] = -Math.log(1 - CounterRandom.unit(CounterRandom.POLICY.bits(seed, t, EXPLORATION, i)));
            double beta = config.explorationMix(), total = 0;
            for (int i = 0; i < k; i++) total += a[i] = (1 - beta) * mu[i] + beta * d[i] / sum;
            // μ is a float softmax (sums to 1 within 1e-7); the weights should sum to 1 in double precision.
            for (int i = 0; i < k; i++) a[i] /= total;
            return a;
        }
        double sum = 0;
        for (int i = 0; i < k; i++) {
            double u = config.explorationNoise() * CounterRandom.unit(CounterRandom.POLICY.bits(seed, t, EXPLORATION, i));
            sum += a[i] = Math.max(0, mu[i] - u);
        }
        for (int i = 0; i < k; i++) a[i] = sum > 0 ? a[i] / sum : 1.0 / k;
        return a;
    }

    private static double max(double[] a) {
        double m = Double.NEGATIVE_INFINITY;
        for (double v : a) m = Math.max(m, v);
        return m;
    }

    @Override public Map<String, Double> metrics() {
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("acodm/reward", lastReward);
        m.put("acodm/critic_loss", lastCriticLoss);
        m.put("acodm/actor_loss", lastActorLoss);
        m.put("acodm/imitation_loss", lastImitationLoss);
        m.put("acodm/kl", lastKl);
        m.put("acodm/entropy", lastEntropy);
        m.put("acodm/temperature", config.reward() == RewardMode.REGULARISED ? agent.temperature() : Double.NaN);
        m.put("acodm/greedy_max_weight", greedyMaxWeight);
        m.put("acodm/optimum_max_weight", optimumMaxWeight);
        m.put("acodm/optimum_l1", optimumDistance);
        m.put("acodm/updates", (double) updates);
        m.put("acodm/imitation_steps", (double) imitations);
        m.put("acodm/replay_size", (double) buffer.size());
        m.put("acodm/skipped_rewards", (double) skippedRewards);
        m.put("acodm/degenerate_steps", (double) degenerateSteps);
        m.put("acodm/agent_lr", agent.learningRate(Math.max(0, agent.actorSteps() - 1)));
        ScoreMetrics.put(m, "acodm", domains, scores, signal);
        return m;
    }

    /** The proxy's legacy: its actor, as {@code runDir/actor.pt}, for a frozen-actor run to load. */
    @Override public void onRunComplete(Path runDir, PrintStream log) {
        Path file = runDir.resolve(ActorExport.FILE_NAME);
        exportActor(file);
        log.println("actor exported to " + file);
    }

    /** Writes the actor with everything another run needs to use it (see {@link ActorExport}). Atomic. */
    public void exportActor(Path file) {
        ActorExport meta = new ActorExport(ActorExport.FORMAT_VERSION, domains, config.state(), config.stateLayers(),
                ActorExport.STATE_LAYER_RULE, stateBuilder.dimension(), config.hidden(), config.layers(), config.deltaReference(),
                config.stepFeatureScale(), config.floor(), config.floorShare(), config.reward(), totalSteps, lastStep + 1, config);
        ActorExport.write(agent, file, meta);
    }

    /**
     * What {@link #save} keeps besides the networks (agent.pt), the replay buffer (replay.bin) and the warmup's ODM: the
     * settings a restored policy must share, the state builder's and the scores' memory, the last step's state, action
     * and weights, and the counters and last values of {@link #metrics}.
     */
    record Saved(long totalSteps, long seed, RewardMode reward, int rewardDim, CriticInput critic, StateLayout state, int stateDim,
                 JsonNode stateBuilder, DomainSignal.Saved signal, double[] scores, double[] prior, float[] lastState, float[] action,
                 double[] weights, long lastStep, long updates, long imitations, long skippedRewards, long degenerateSteps, double lastReward,
                 double lastCriticLoss, double lastActorLoss, double lastImitationLoss, double lastKl, double lastEntropy, double greedyMaxWeight,
                 double optimumMaxWeight, double optimumDistance) {}

    @Override public void save(Path dir) throws IOException {
        Files.createDirectories(dir);
        agent.save(dir.resolve(AGENT_FILE));
        buffer.save(dir.resolve(REPLAY_FILE));
        odm.save(dir);
        StateFiles.write(dir.resolve(STATE_FILE), method(), domains, new Saved(totalSteps, seed, config.reward(), rewardDim, config.critic(),
                config.state(), stateBuilder.dimension(), stateBuilder.save(), signal.save(), scores, prior, state, action, alpha, lastStep, updates,
                imitations, skippedRewards, degenerateSteps, lastReward, lastCriticLoss, lastActorLoss, lastImitationLoss, lastKl, lastEntropy,
                greedyMaxWeight, optimumMaxWeight, optimumDistance));
    }

    @Override public void load(Path dir) throws IOException {
        Path f = dir.resolve(STATE_FILE);
        Saved s = StateFiles.read(f, method(), domains, Saved.class);
        if (s.totalSteps() != totalSteps || s.seed() != seed || s.reward() != config.reward() || s.rewardDim() != rewardDim
                || s.critic() != config.critic() || s.state() != config.state() || s.stateDim() != stateBuilder.dimension())
            throw new IOException(f + " was saved by a differently configured AC-ODM policy: total steps " + s.totalSteps() + " vs " + totalSteps
                    + ", seed " + s.seed() + " vs " + seed + ", reward " + s.reward() + " vs " + config.reward()
                    + ", critic " + s.critic() + " vs " + config.critic() + ", state " + s.state() + " vs " + config.state()
                    + " (dimension " + s.stateDim() + " vs " + stateBuilder.dimension() + ")");
        stateBuilder.restore(s.stateBuilder());
        signal.restore(s.signal());
        scores = StateFiles.entries(s.scores(), k, "scores");
        prior = StateFiles.entries(s.prior(), k, "prior");
        state = s.lastState();
        action = s.action();
        alpha = StateFiles.entries(s.weights(), k, "weights");
        lastStep = s.lastStep();
        updates = s.updates();
        imitations = s.imitations();
        skippedRewards = s.skippedRewards();
        degenerateSteps = s.degenerateSteps();
        lastReward = s.lastReward();
        lastCriticLoss = s.lastCriticLoss();
        lastActorLoss = s.lastActorLoss();
        lastImitationLoss = s.lastImitationLoss();
        lastKl = s.lastKl();
        lastEntropy = s.lastEntropy();
        greedyMaxWeight = s.greedyMaxWeight();
        optimumMaxWeight = s.optimumMaxWeight();
        optimumDistance = s.optimumDistance();
        buffer.load(dir.resolve(REPLAY_FILE));
        odm.load(dir);
        agent.load(dir.resolve(AGENT_FILE));
    }

    @Override public void close() { agent.close(); }

    static float[] toFloat(double[] a) {
        float[] out = new float[a.length];
        for (int i = 0; i < a.length; i++) out[i] = (float) a[i];
        return out;
    }

    static double[] toDouble(float[] a) {
        double[] out = new double[a.length];
        for (int i = 0; i < a.length; i++) out[i] = a[i];
        return out;
    }
}
