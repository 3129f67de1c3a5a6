package org.acodm.mixing;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Decides the domain sampling weights α of every train step. The trainer's loop:
 * <pre>
 *   model.setAlignmentParameters(policy.rewardLayers(n))   // when policy.needsAlignment()
 *   model.setAlignmentSplit(policy.needsSplitAlignment())   // the halves' products of the self term
 *   model.setStateParameters(policy.stateLayers(n))        // when it names any
 *   α = policy.weights()                                   // for step 0: the initial weights
 *   for step in 0 .. total-1:
 *       result = model.trainStep(batch drawn from α)       // S and the state layers' norms included
 *       policy.observe(StepObservation.of(domains, result, total))
 *       α = policy.weights()                               // for the next step
 *   policy.onRunComplete(runDir, log)
 * </pre>
 * What a policy reads of the model it declares once ({@link #rewardLayers}, {@link #stateLayers}) and gets back in every
 * observation; it never calls the model. Observations must come in increasing step order. The whole state saves to a
 * directory and loads back so a resumed run continues bit for bit.
 */
public interface MixingPolicy extends AutoCloseable {

    /** The method this policy implements; its key names the policy in state files and trainer.json. */
    MixingMethod method();

    /** The domains, in the fixed order of every array. */
    List<String> domains();

    /** α for the next step: K non-negative values summing to 1 (a copy). */
    double[] weights();

    /** Takes the result of the step that ran with {@link #weights()} and prepares the next weights. */
    void observe(StepObservation observation);

    /** After the run's last step, to leave in {@code runDir} what other runs use (AC-ODM: its actor); {@code log} says so. */
    default void onRunComplete(Path runDir, PrintStream log) {}

    /** The weights a report should show as "learned" (DoGE: the running average); usually {@link #weights()}. */
    default double[] reportedWeights() { return weights(); }

    /** Scalars for the metrics log (losses, rewards, counters); empty when there are none. */
    default Map<String, Double> metrics() { return Map.of(); }

    /** True when observations must carry the alignment matrix S. */
    default boolean needsAlignment() { return false; }

    /**
     * True when observations must also carry the split halves' products ⟨g_iA, g_iB⟩ (the self term of
     * {@code scores.target: all} without the windows' own noise; {@link StepObservation#selfAlignment}).
     */
    default boolean needsSplitAlignment() { return false; }

    /**
     * Parameters S is computed over, for a model of {@code numLayers} layers: those the policy scores when it
     * {@link #needsAlignment()}; train.log_alignment logs S over them for any policy, and over AC-ODM's default reward
     * layers for a policy without its own.
     */
    default List<String> rewardLayers(int numLayers) {
        return LayerSelection.names(LayerSelection.rewardPositions(numLayers, AcOdmConfig.defaults().rewardLayers()));
    }

    /** Parameters whose norms the observations must carry, for a model of {@code numLayers} layers ({@link StateLayers#NONE} usually). */
    default StateLayers stateLayers(int numLayers) { return StateLayers.NONE; }

    /** Writes the whole state into {@code dir} (created if needed); every file is written atomically. */
    void save(Path dir) throws IOException;

    /** Restores what {@link #save} wrote; refuses state of another policy kind or another domain list. */
    void load(Path dir) throws IOException;

    /** Frees native resources (the AC-ODM networks); idempotent. */
    @Override default void close() {}
}
