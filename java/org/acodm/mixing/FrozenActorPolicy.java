package org.acodm.mixing;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.acodm.engine.AgentNetworks;

/**
 * Transfer: an actor exported by a proxy run's {@link AcOdmPolicy} picks the weights of this run. It builds the
 * same state (same layout, same state-layer rule by relative depth, same delta reference) and applies the same
 * weight floor; it computes no reward, stores nothing and never updates the actor, and does not explore. Step 0
 * runs on uniform weights (there is no observation yet to build a state from).
 */
public final class FrozenActorPolicy implements MixingPolicy {
    static final String STATE_FILE = "frozen-actor.json";

    private final List<String> domains;
    private final int k;
    private final ActorExport export;
    private final Path actorFile;
    private final AgentNetworks actor;
    private final StateBuilder stateBuilder;
    private final WeightFloor floor;
    private double[] alpha;
    private float[] state;
    private long lastStep = -1;

    /** Loads the actor of {@code actorPath} (a file, or a proxy run directory holding actor.pt) for a run over {@code domains}. */
    public FrozenActorPolicy(Path actorPath, List<String> domains, String device) {
        this.domains = List.copyOf(domains);
        this.k = domains.size();
        this.actorFile = ActorExport.resolve(actorPath);
        this.export = ActorExport.read(actorFile);
        export.checkCompatible(this.domains, export.stateLayers());
        this.actor = AgentNetworks.importedActor(actorFile, device);
        actor.setThreads(export.hidden() <= 256 ? 1 : 0);
        if (actor.stateDim() != export.stateDim())
            throw new IllegalArgumentException(actorFile + ": the actor's network takes " + actor.stateDim()
                    + " inputs but its metadata says " + export.stateDim());
        this.stateBuilder = StateBuilder.of(export.stateLayout(), k, export.stateLayers(), export.deltaReference(), export.stepFeatureScale());
        this.floor = new WeightFloor(export.floor(), export.floorShare(), k);
        this.alpha = new double[k];
        java.util.Arrays.fill(alpha, 1.0 / k);
    }

    /** {@link MixingMethod#FROZEN_ACTOR}'s factory; errors name mixing.frozen_actor.actor and where it was set. */
    static FrozenActorPolicy create(FrozenActorConfig c, PolicyContext run) {
        String actorKey = run.key("actor");
        if (c.actor() == null || c.actor().isBlank())
            throw new IllegalArgumentException(run.locate("actor") + ": " + actorKey + " is required");
        try {
            return new FrozenActorPolicy(Path.of(c.actor()), run.domains(), c.device());
        } catch (IllegalArgumentException | IllegalStateException e) {
            // The actor's own message says what differs (domains, state size); the prefix says which key to fix.
            throw new IllegalArgumentException(run.locate("actor") + ": " + actorKey + " '" + c.actor() + "': " + e.getMessage(), e);
        }
    }

    public ActorExport export() { return export; }

    @Override public MixingMethod method() { return MixingMethod.FROZEN_ACTOR; }
    @Override public List<String> domains() { return domains; }
    @Override public double[] weights() { return alpha.clone(); }

    /** The state layers of the proxy's rule, for a model of {@code numLayers} layers (none for the trends state). */
    @Override public StateLayers stateLayers(int numLayers) {
        return export.stateLayout().needsNorms() ? StateLayers.of(export.stateLayers(), export.deltaReference(), numLayers) : StateLayers.NONE;
    }

    public float[] lastState() { return state == null ? null : state.clone(); }

    @Override public void observe(StepObservation o) {
        long step = PolicyChecks.step(o, domains, lastStep);
        state = stateBuilder.next(o);
        lastStep = step;
        double[] mu = AcOdmPolicy.toDouble(actor.act(state, 1));
        alpha = floor.apply(mu, o.step() + 1);
    }

    record Saved(StateLayout layout, int stateDim, JsonNode stateBuilder, float[] state, double[] weights, long lastStep) {}

    @Override public void save(Path dir) throws IOException {
        StateFiles.write(dir.resolve(STATE_FILE), method(), domains, new Saved(export.stateLayout(), export.stateDim(), stateBuilder.save(), state,
                alpha, lastStep));
    }

    @Override public void load(Path dir) throws IOException {
        Path f = dir.resolve(STATE_FILE);
        Saved s = StateFiles.read(f, method(), domains, Saved.class);
        if (s.layout() != export.stateLayout() || s.stateDim() != export.stateDim())
            throw new IOException(f + " was saved with a " + s.layout() + " state of dimension " + s.stateDim() + ", this actor takes a "
                    + export.stateLayout() + " state of dimension " + export.stateDim());
        stateBuilder.restore(s.stateBuilder());
        state = s.state();
        alpha = StateFiles.entries(s.weights(), k, "weights");
        lastStep = s.lastStep();
    }

    @Override public void close() { actor.close(); }
}
