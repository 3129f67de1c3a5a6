package org.acodm.mixing;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.acodm.data.CounterRandom;
import org.acodm.engine.AgentNetworks;
import org.acodm.engine.AgentOptimizer;
import org.acodm.engine.StepResult;

/**
 * AC-ODM (arXiv 2505.23878): a DDPG agent whose action is the domain mixture. After each step it builds the
 * state ({@link StateBuilder}), scores the domains by gradient alignment ({@link DomainScores}), stores the
 * transition (s, a, R, s') and trains: during the warmup (the first {@code warmupFraction} of the steps) the
 * weights come from ODM's smoothed-mean rule, the actor imitates them and the critic regresses (1 + γ) R; after
 * it, one DDPG update per step. Target networks follow by soft updates every step, warmup included.
 *
 * <p>Actions live in the actor's space (a softmax output, exploration applied); the weights used for sampling
 * are the action with the weight floor applied, a fixed transform the critic sees as part of the environment.
 * During the warmup the stored action is ODM's weights with the floor removed, so floor(action) is exactly ODM.
 */
public final class AcOdmPolicy implements MixingPolicy {
    static final String STATE_FILE = "acodm.state";
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
    private final StateLayers stateLayers;
    private final OdmPolicy odm;

    private float[] state;         // s_t: the state the current action was chosen in (null before step 0's result)
    private float[] action;        // a_t in the actor's space
    private double[] alpha;        // α_t = floor(a_t), the weights of the step now running
    private double[] importance;   // r̂ of the importance smoothing
    private long lastStep = -1;
    private long updates, imitations, skippedRewards;
    private double lastReward = Double.NaN, lastCriticLoss = Double.NaN, lastActorLoss = Double.NaN, lastImitationLoss = Double.NaN;

    public AcOdmPolicy(List<String> domains, AcOdmConfig config, long totalSteps, long seed, double[] initialWeights) {
        this.domains = List.copyOf(domains);
        this.k = domains.size();
        this.config = Configs.check(config, "mixing.acodm");
        if (totalSteps < 1) throw new IllegalArgumentException("AC-ODM needs the run's total steps (>= 1), got " + totalSteps);
        if (k < 2) throw new IllegalArgumentException("AC-ODM needs at least 2 domains, got " + k);
        if (initialWeights.length != k) throw new IllegalArgumentException(initialWeights.length + " initial weights for " + k + " domains");
        this.totalSteps = totalSteps;
        this.seed = seed;
        this.warmupSteps = config.warmupSteps(totalSteps);
        this.rewardDim = config.reward() == RewardMode.VECTOR ? k : 1;
        this.stateBuilder = new StateBuilder(k, config.stateLayers(), config.deltaReference(), config.stepFeatureScale());
        this.stateLayers = new StateLayers(config.stateLayers(), config.deltaReference());
        int stateDim = stateBuilder.dimension();
        this.buffer = new ReplayBuffer(config.bufferSize(), stateDim, k, rewardDim);
        OdmConfig odmConfig = OdmConfig.defaults().withSmoothing(config.warmupSmoothing());
        this.odm = new OdmPolicy(domains, odmConfig, initialWeights);
        this.agent = new AgentNetworks(stateDim, k, config.hidden(), config.layers(), rewardDim, seed, config.device());
        agent.setThreads(config.resolvedThreads());
        agent.setOptimizer(new AgentOptimizer(config.maxLr(), config.minLr(), warmupSteps, totalSteps, config.weightDecay(),
                config.beta1(), config.beta2(), config.adamEps(), config.decoupledWeightDecay()));
        this.alpha = initialWeights.clone();
        this.importance = new double[k];
    }

    /** {@link MixingMethod#ACODM}'s factory. */
    static AcOdmPolicy create(AcOdmConfig c, PolicyContext run) {
        return new AcOdmPolicy(run.domains(), c, run.totalSteps(), run.seed(),
                run.initialWeights(c.initialSource(), c.initialWeights(), c.initialFile()));
    }

    @Override public MixingMethod method() { return MixingMethod.ACODM; }
    @Override public List<String> domains() { return domains; }
    @Override public double[] weights() { return alpha.clone(); }
    @Override public boolean needsAlignment() { return true; }

    /** The parameters whose norms the state carries, for a model of {@code numLayers} layers. */
    public List<String> stateLayers(int numLayers) { return stateLayers.names(numLayers); }

    @Override public void beforeStep(long step, TrainedModel model) { stateLayers.beforeStep(step, model); }

    @Override public void afterStep(StepResult result, long total, TrainedModel model) {
        observe(stateLayers.observation(domains, result, total, model));
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

    /** floor(μ(s)) without exploration in the current state: what a frozen copy of the actor would choose now. */
    public double[] greedyWeights() {
        if (state == null) return alpha.clone();
        return floor(toDouble(agent.act(state, 1)), lastStep + 1);
    }

    @Override public void observe(StepObservation o) {
        long step = PolicyChecks.step(o, domains, lastStep);  // committed only once the observation is usable
        if (o.alignment() == null)
            throw new IllegalArgumentException("AC-ODM needs the alignment matrix S of every step (step " + o.step() + " has none): "
                    + "train with alignment over rewardLayers()");
        float[] next = stateBuilder.next(o);
        lastStep = step;
        float[] reward = reward(o);
        if (reward == null) skippedRewards++;
        else if (state != null) buffer.add(state, action, reward, next);

        boolean warm = o.step() < warmupSteps;
        if (warm) odm.observe(o);
        train(o.step(), warm);

        long t = o.step() + 1;
        if (t < warmupSteps) {
            alpha = odm.weights();
            action = toFloat(config.weightFloor() ? OdmSchedule.removeFloor(alpha, OdmSchedule.epsilon(k, t)) : alpha);
        } else {
            double[] a = explore(toDouble(agent.act(next, 1)), t);
            action = toFloat(a);
            alpha = floor(a, t);
        }
        state = next;
    }

    /** The reward of the step just observed (for the weights α it ran with), null when it is not finite. */
    private float[] reward(StepObservation o) {
        boolean[] present = DomainScores.present(o);
        double[] w = DomainScores.alignment(o.alignment(), present);
        double[] base = w;
        if (config.importance()) {
            double xi = config.importanceSmoothing();
            double[] smoothed = importance.clone();
            for (int i = 0; i < k; i++)
                if (present[i]) smoothed[i] = xi * smoothed[i] + (1 - xi) * w[i] / Math.max(alpha[i], 1e-12);
            for (double v : smoothed) if (!Double.isFinite(v)) return null;
            importance = smoothed;
            base = smoothed;
        }
        double[] r = ZScore.masked(base, present);
        for (double v : r) if (!Double.isFinite(v)) return null;
        float[] out = new float[rewardDim];
        if (config.reward() == RewardMode.VECTOR) {
            for (int i = 0; i < k; i++) out[i] = (float) r[i];
            lastReward = 0;
            for (double v : r) lastReward += v / k;
        } else {
            double sum = 0;
            for (int i = 0; i < k; i++) sum += alpha[i] * r[i];
            out[0] = (float) sum;
            lastReward = sum;
        }
        return out;
    }

    private void train(long step, boolean warm) {
        if (buffer.size() == 0) return;
        for (int u = 0; u < config.updatesPerStep(); u++) {
            ReplayBuffer.Batch b = buffer.sample(config.batchSize(), seed, step * config.updatesPerStep() + u);
            if (warm) {
                lastImitationLoss = agent.imitate(b.states(), b.actions(), b.n());
                float[] target = b.rewards().clone();
                for (int i = 0; i < target.length; i++) target[i] = (float) ((1 + config.gamma()) * target[i]);
                lastCriticLoss = agent.regressCritic(b.states(), b.actions(), target, b.n());
                imitations++;
            } else {
                AgentNetworks.Losses l = agent.update(b.states(), b.actions(), b.rewards(), b.nextStates(), b.n(), config.gamma());
                lastCriticLoss = l.critic();
                lastActorLoss = l.actor();
                updates++;
            }
            agent.softUpdate(config.tau());
        }
    }

    /** Subtract U[0, noise) from each entry, clamp at 0, renormalise; keyed by (seed, t) so a resume draws the same. */
    private double[] explore(double[] mu, long t) {
        double[] a = new double[k];
        double sum = 0;
        for (int i = 0; i < k; i++) {
            double u = config.explorationNoise() * CounterRandom.unit(CounterRandom.POLICY.bits(seed, t, EXPLORATION, i));
            sum += a[i] = Math.max(0, mu[i] - u);
        }
        for (int i = 0; i < k; i++) a[i] = sum > 0 ? a[i] / sum : 1.0 / k;
        return a;
    }

    private double[] floor(double[] a, long t) {
        return config.weightFloor() ? OdmSchedule.applyFloor(a, OdmSchedule.epsilon(k, t)) : a.clone();
    }

    @Override public Map<String, Double> metrics() {
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("acodm/reward", lastReward);
        m.put("acodm/critic_loss", lastCriticLoss);
        m.put("acodm/actor_loss", lastActorLoss);
        m.put("acodm/imitation_loss", lastImitationLoss);
        m.put("acodm/updates", (double) updates);
        m.put("acodm/imitation_steps", (double) imitations);
        m.put("acodm/replay_size", (double) buffer.size());
        m.put("acodm/skipped_rewards", (double) skippedRewards);
        m.put("acodm/agent_lr", agent.learningRate(Math.max(0, agent.actorSteps() - 1)));
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
        ActorExport meta = new ActorExport(ActorExport.FORMAT_VERSION, domains, config.stateLayers(), ActorExport.STATE_LAYER_RULE,
                stateBuilder.dimension(), config.hidden(), config.layers(), config.deltaReference(), config.weightFloor(),
                config.reward(), totalSteps, lastStep + 1, config);
        ActorExport.write(agent, file, meta);
    }

    @Override public void save(Path dir) throws IOException {
        Files.createDirectories(dir);
        agent.save(dir.resolve(AGENT_FILE));
        StateFiles.writeAtomically(dir.resolve(REPLAY_FILE), buffer::write);
        odm.save(dir);
        StateFiles.writeAtomically(dir.resolve(STATE_FILE), out -> {
            StateFiles.writeHeader(out, method(), domains);
            out.writeLong(totalSteps);
            out.writeLong(seed);
            out.writeUTF(config.reward().name());
            out.writeInt(rewardDim);
            out.writeInt(stateBuilder.dimension());
            stateBuilder.write(out);
            StateFiles.writeFloats(out, state);
            StateFiles.writeFloats(out, action);
            StateFiles.writeDoubles(out, alpha);
            StateFiles.writeDoubles(out, importance);
            out.writeLong(lastStep);
            out.writeLong(updates);
            out.writeLong(imitations);
            out.writeLong(skippedRewards);
            for (double v : new double[] {lastReward, lastCriticLoss, lastActorLoss, lastImitationLoss}) out.writeDouble(v);
        });
    }

    @Override public void load(Path dir) throws IOException {
        Path f = dir.resolve(STATE_FILE);
        StateFiles.read(f, in -> {
            StateFiles.readHeader(in, f, method(), domains);
            long savedTotal = in.readLong();
            long savedSeed = in.readLong();
            String savedReward = in.readUTF();
            int savedRewardDim = in.readInt();
            int savedStateDim = in.readInt();
            if (savedTotal != totalSteps || savedSeed != seed || !savedReward.equals(config.reward().name())
                    || savedRewardDim != rewardDim || savedStateDim != stateBuilder.dimension())
                throw new IOException(f + " was saved by a differently configured AC-ODM policy: total steps " + savedTotal + " vs " + totalSteps
                        + ", seed " + savedSeed + " vs " + seed + ", reward " + savedReward + " vs " + config.reward()
                        + ", state dimension " + savedStateDim + " vs " + stateBuilder.dimension());
            stateBuilder.read(in);
            state = StateFiles.readFloats(in);
            action = StateFiles.readFloats(in);
            alpha = StateFiles.readDoubles(in, k, "weights");
            importance = StateFiles.readDoubles(in, k, "importance scores");
            lastStep = in.readLong();
            updates = in.readLong();
            imitations = in.readLong();
            skippedRewards = in.readLong();
            lastReward = in.readDouble();
            lastCriticLoss = in.readDouble();
            lastActorLoss = in.readDouble();
            lastImitationLoss = in.readDouble();
            return null;
        });
        Path r = dir.resolve(REPLAY_FILE);
        StateFiles.read(r, in -> {
            buffer.read(in);
            return null;
        });
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
