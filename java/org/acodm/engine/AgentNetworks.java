package org.acodm.engine;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.function.ToIntFunction;
import org.acodm.nativeapi.AgentNative;

/**
 * The AC-ODM agent's networks in native memory: a softmax actor and a critic (LayerNorm MLPs), their target
 * copies and Adam optimizers. Minibatches cross as flat row-major float arrays; nothing is retained.
 */
public final class AgentNetworks implements AutoCloseable {
    /**
     * One DDPG update's numbers, each measured before its optimizer step: the critic's and the actor's loss (the
     * regulariser included), and the actor's mean KL(μ(s) ‖ prior) and entropy H(μ(s)) over the minibatch.
     */
    public record Losses(double critic, double actor, double kl, double entropy) {}

    /** How the critic sees the action (native {@code acodm::CriticForm}). */
    public enum CriticForm {
        /** Q(s, a) = MLP([s, (a − center) / scale]): the raw action unless {@link #setActionNormalisation} is called. */
        CONCAT,
        /** Q(s, a) = V(s) + a · q(s), shaped like the reward R = a · r: rewards are the per-domain vectors r (K wide). */
        SHAPED
    }

    private final NativeHandle<AgentNative.Handle> handle;
    private final int stateDim;
    private final int numActions;
    private final int criticOutputs;
    private final CriticForm criticForm;

    /** Networks with the {@link CriticForm#CONCAT concat} critic. */
    public AgentNetworks(int stateDim, int numActions, int hidden, int layers, int criticOutputs, long seed, String device) {
        this(stateDim, numActions, hidden, layers, criticOutputs, seed, device, CriticForm.CONCAT);
    }

    /**
     * @param criticOutputs the width of a reward: 1 (scalar) or K (the released code's vector reward) for the concat
     *                      critic, K for the shaped one; 0 builds the actor alone (a frozen transferred actor)
     * @param device        "cpu", "cuda", "cuda:N" or "auto"
     */
    public AgentNetworks(int stateDim, int numActions, int hidden, int layers, int criticOutputs, long seed, String device,
                         CriticForm form) {
        if (device == null) throw new IllegalArgumentException("device is null");
        if (form == null) throw new IllegalArgumentException("critic form is null");
        this.handle = new NativeHandle<>("agent networks",
                () -> new AgentNative.Handle(stateDim, numActions, hidden, layers, criticOutputs, seed, device, form.ordinal()));
        this.stateDim = stateDim;
        this.numActions = numActions;
        this.criticOutputs = criticOutputs;
        this.criticForm = form;
    }

    /** An actor-only object holding the actor of an {@link #exportActor exported} file. */
    public static AgentNetworks importedActor(Path file, String device) {
        ExportedShape shape = exportedShape(file);
        AgentNetworks a = new AgentNetworks(shape.stateDim(), shape.numActions(), shape.hidden(), shape.layers(), 0, 0, device);
        try {
            a.importActor(file);
        } catch (RuntimeException e) {
            a.close();
            throw e;
        }
        return a;
    }

    /** Network shape recorded in an exported actor file. */
    public record ExportedShape(int stateDim, int numActions, int hidden, int layers) {}

    public static ExportedShape exportedShape(Path file) {
        requireReadable(file);
        String config = NativeHandle.call("exported actor " + file, () -> AgentNative.exportedActorConfig(file.toString()));
        Map<String, String> v = KeyValues.decode(config, ',');
        ToIntFunction<String> get = key -> Integer.parseInt(v.getOrDefault(key, "0"));
        return new ExportedShape(get.applyAsInt("state"), get.applyAsInt("actions"), get.applyAsInt("hidden"), get.applyAsInt("layers"));
    }

    /** The metadata document stored with an exported actor. */
    public static String exportedMetadata(Path file) {
        requireReadable(file);
        return NativeHandle.call("exported actor " + file, () -> AgentNative.exportedActorMetadata(file.toString()));
    }

    public int stateDim() { handle.get(); return stateDim; }
    public int numActions() { handle.get(); return numActions; }
    public int criticOutputs() { handle.get(); return criticOutputs; }
    public CriticForm criticForm() { handle.get(); return criticForm; }
    public int hidden() { return handle.get().hidden(); }
    public int layers() { return handle.get().layers(); }
    public String configString() { return handle.apply(AgentNative.Handle::configString); }
    public String deviceName() { return handle.apply(AgentNative.Handle::deviceName); }
    public long numParameters() { return handle.get().numParameters(); }

    /** Intra-op CPU threads inside this object's calls (0: the process setting); small networks are fastest on 1. */
    public void setThreads(int threads) {
        if (threads < 0) throw new IllegalArgumentException("threads must be >= 0, got " + threads);
        handle.get().setThreads(threads);
    }

    /** Adam for both networks; they do not clip their gradients, so {@code gradClip} must be 0. */
    public void setOptimizer(OptimizerSettings o) {
        handle.apply(h -> {
            try (var settings = o.toNative()) {
                h.setOptimizer(settings);
            }
            return null;
        });
    }

    /**
     * The soft actor: {@link #update}'s actor loss becomes −mean Q(s, μ(s)) + τ · mean KL(μ(s) ‖ prior), whose optimum
     * for a critic linear in the action, Q = ⟨a, r⟩, is prior · exp(r / τ) / Z. τ = 0 is the linear objective;
     * {@code targetEntropy} > 0 (nats, at most ln K) adapts τ after every update by
     * log τ ← log τ + tauLr · (targetEntropy − mean H(μ(s))). Saved with the networks.
     */
    public void setRegulariser(double[] prior, double tau, double targetEntropy, double tauLr) {
        if (prior == null || prior.length != numActions)
            throw new IllegalArgumentException("prior has " + (prior == null ? "no" : prior.length) + " weights, expected " + numActions);
        float[] p = new float[prior.length];
        for (int i = 0; i < p.length; i++) p[i] = (float) prior[i];
        handle.apply(h -> {
            h.setRegulariser(p, tau, targetEntropy, tauLr);
            return null;
        });
    }

    /** The soft actor's current τ (0 when the actor has no regulariser). */
    public double temperature() { return handle.get().temperature(); }

    public double learningRate(long step) { return handle.get().learningRate(step); }
    public long actorSteps() { return handle.get().actorSteps(); }
    public long criticSteps() { return handle.get().criticSteps(); }

    /** Actor outputs for n states ([n, stateDim] row-major) as [n, K]. */
    public float[] act(float[] states, int n) {
        check(states, n, stateDim, "states");
        float[] out = new float[n * numActions];
        handle.apply(h -> {
            h.act(states, n, out);
            return null;
        });
        return out;
    }

    /** Critic outputs Q(s, a) for n pairs as [n, criticOutputs]. */
    public float[] qValues(float[] states, float[] actions, int n) {
        check(states, n, stateDim, "states");
        check(actions, n, numActions, "actions");
        float[] out = new float[n * Math.max(1, criticOutputs)];
        handle.apply(h -> {
            h.qValues(states, actions, n, out);
            return null;
        });
        return out;
    }

    /** The shaped critic's heads on n states as [n, 1 + K]: V(s), then q(s). */
    public float[] criticHeads(float[] states, int n) {
        check(states, n, stateDim, "states");
        float[] out = new float[n * (1 + numActions)];
        handle.apply(h -> {
            h.criticHeads(states, n, out);
            return null;
        });
        return out;
    }

    /** The concat critic sees (a − center) / scale instead of the raw action; saved with the networks. */
    public void setActionNormalisation(double[] center, double scale) {
        if (center == null || center.length != numActions)
            throw new IllegalArgumentException("action center has " + (center == null ? "no" : center.length) + " entries, expected " + numActions);
        float[] c = new float[numActions];
        for (int i = 0; i < c.length; i++) c[i] = (float) center[i];
        handle.apply(h -> {
            h.setActionNormalisation(c, scale);
            return null;
        });
    }

    /**
     * One DDPG step (critic, then actor through the updated critic) on n transitions; rewards are [n, criticOutputs]
     * (the shaped critic: the per-domain score vectors).
     */
    public Losses update(float[] states, float[] actions, float[] rewards, float[] nextStates, int n, double gamma) {
        check(states, n, stateDim, "states");
        check(actions, n, numActions, "actions");
        check(rewards, n, criticOutputs, "rewards");
        check(nextStates, n, stateDim, "next states");
        return handle.apply(h -> {
            try (var l = new AgentNative.UpdateLosses()) {
                h.update(states, actions, rewards, nextStates, n, gamma, l);
                return new Losses(l.critic(), l.actor(), l.kl(), l.entropy());
            }
        });
    }

    /** Behaviour cloning: one actor step on MSE(mu(s), targets); returns the loss before the step. */
    public double imitate(float[] states, float[] targets, int n) {
        check(states, n, stateDim, "states");
        check(targets, n, numActions, "targets");
        return handle.apply(h -> h.imitate(states, targets, n));
    }

    /**
     * One critic step on MSE(Q(s, a), targets) with targets [n, criticOutputs], or for the shaped critic MSE of its
     * heads (V, q) to targets [n, 1 + K]; returns the loss before the step.
     */
    public double regressCritic(float[] states, float[] actions, float[] targets, int n) {
        check(states, n, stateDim, "states");
        check(actions, n, numActions, "actions");
        check(targets, n, criticForm == CriticForm.SHAPED && criticOutputs > 0 ? 1 + numActions : criticOutputs, "targets");
        return handle.apply(h -> h.regressCritic(states, actions, targets, n));
    }

    /** MSE of the actor's outputs to targets, without an update. */
    public double actorError(float[] states, float[] targets, int n) {
        check(states, n, stateDim, "states");
        check(targets, n, numActions, "targets");
        return handle.apply(h -> h.actorError(states, targets, n));
    }

    /** target ← rate · online + (1 − rate) · target for both networks; rate 1 is a hard copy. */
    public void softUpdate(double rate) {
        handle.apply(h -> {
            h.softUpdate(rate);
            return null;
        });
    }

    /** Atomic (temporary name, sync, rename): all four networks, Adam moments, step counts, schedule and regulariser. */
    public void save(Path file) {
        handle.apply(h -> {
            h.save(file.toString());
            return null;
        });
    }

    public void load(Path file) {
        requireReadable(file);
        handle.apply(h -> {
            h.load(file.toString());
            return null;
        });
    }

    /** Atomic: the online actor and {@code metadata} (a JSON document the caller defines). */
    public void exportActor(Path file, String metadata) {
        handle.apply(h -> {
            h.exportActor(file.toString(), metadata);
            return null;
        });
    }

    public void importActor(Path file) {
        requireReadable(file);
        handle.apply(h -> {
            h.importActor(file.toString());
            return null;
        });
    }

    public boolean isClosed() { return handle.isClosed(); }

    @Override public void close() { handle.close(); }

    private void check(float[] a, int n, int cols, String what) {
        handle.get();
        if (a == null) throw new IllegalArgumentException(what + " is null");
        if (n < 1) throw new IllegalArgumentException("batch size must be >= 1, got " + n);
        if (cols < 1) throw new IllegalArgumentException(what + ": these networks have no critic (actor only)");
        if (a.length != (long) n * cols)
            throw new IllegalArgumentException(what + " has " + a.length + " values, expected " + n + " x " + cols);
    }

    private static void requireReadable(Path file) {
        if (!Files.isReadable(file)) throw new IllegalArgumentException(file + " does not exist or is not readable");
    }
}
