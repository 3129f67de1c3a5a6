package org.acodm.mixing;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Decides the domain sampling weights α of every train step. The trainer's loop:
 * <pre>
 *   α = policy.weights()                        // for step 0: the initial weights
 *   for step in 0 .. total-1:
 *       result = model.trainStep(batch drawn from α, withAlignment = policy.needsAlignment())
 *       policy.observe(StepObservation.of(domains, result, total, norms, deltaNorms))
 *       α = policy.weights()                    // for the next step
 * </pre>
 * What the trainer supplies, per policy: the alignment matrix S over {@link #rewardLayers} when
 * {@link #needsAlignment()}; the Frobenius norms of the {@link #stateLayers} and their distances to the
 * {@link #deltaReference} weights when {@code stateLayers} is not empty (else null). Observations must come in
 * increasing step order. The whole state saves to a directory and loads back so a resumed run continues bit for bit.
 */
public interface MixingPolicy extends AutoCloseable {

    /** "static", "odm", "doge", "ac-odm", "frozen-actor". */
    String kind();

    /** The domains, in the fixed order of every array. */
    List<String> domains();

    /** α for the next step: K non-negative values summing to 1 (a copy). */
    double[] weights();

    /** Takes the result of the step that ran with {@link #weights()} and prepares the next weights. */
    void observe(StepObservation observation);

    /** The weights a report should show as "learned" (DoGE: the running average); usually {@link #weights()}. */
    default double[] reportedWeights() { return weights(); }

    /** Scalars for the metrics log (losses, rewards, counters); empty when there are none. */
    default Map<String, Double> metrics() { return Map.of(); }

    /** True when observations must carry the alignment matrix S. */
    default boolean needsAlignment() { return false; }

    /** Parameters S is computed over, for a model of {@code numLayers} layers (empty when S is not needed). */
    default List<String> rewardLayers(int numLayers) { return List.of(); }

    /** Parameters whose norms the observations carry, for a model of {@code numLayers} layers (empty: none). */
    default List<String> stateLayers(int numLayers) { return List.of(); }

    /** Reference weights of the norm distances (only meaningful when {@link #stateLayers} is not empty). */
    default DeltaReference deltaReference() { return DeltaReference.PREVIOUS; }

    /** Writes the whole state into {@code dir} (created if needed); every file is written atomically. */
    void save(Path dir) throws IOException;

    /** Restores what {@link #save} wrote; refuses state of another policy kind or another domain list. */
    void load(Path dir) throws IOException;

    /** Frees native resources (the AC-ODM networks); idempotent. */
    @Override default void close() {}
}
