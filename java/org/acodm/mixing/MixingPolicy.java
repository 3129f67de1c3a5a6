package org.acodm.mixing;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.acodm.engine.StepResult;

/**
 * Decides the domain sampling weights α of every train step. The trainer's loop:
 * <pre>
 *   α = policy.weights()                        // for step 0: the initial weights
 *   for step in 0 .. total-1:
 *       policy.beforeStep(step, model)
 *       result = model.trainStep(batch drawn from α, withAlignment = policy.needsAlignment())
 *       policy.afterStep(result, total, model)   // observe(...) with what the policy reads of the model
 *       α = policy.weights()                    // for the next step
 *   policy.onRunComplete(runDir, log)
 * </pre>
 * The trainer supplies the alignment matrix S over {@link #rewardLayers} when {@link #needsAlignment()}; whatever
 * else a policy's state needs of the model (AC-ODM's weight norms) it collects itself through the hooks and the
 * narrow {@link TrainedModel} view. Observations must come in increasing step order. The whole state saves to a
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

    /** Before step {@code step} trains (after the previous step's {@link #afterStep}); the default reads nothing. */
    default void beforeStep(long step, TrainedModel model) {}

    /** After a step trained: {@link #observe}s its result, with whatever the policy reads of {@code model}. */
    default void afterStep(StepResult result, long totalSteps, TrainedModel model) {
        observe(StepObservation.of(domains(), result, totalSteps, null, null));
    }

    /** After the run's last step, to leave in {@code runDir} what other runs use (AC-ODM: its actor); {@code log} says so. */
    default void onRunComplete(Path runDir, PrintStream log) {}

    /** The weights a report should show as "learned" (DoGE: the running average); usually {@link #weights()}. */
    default double[] reportedWeights() { return weights(); }

    /** Scalars for the metrics log (losses, rewards, counters); empty when there are none. */
    default Map<String, Double> metrics() { return Map.of(); }

    /** True when observations must carry the alignment matrix S. */
    default boolean needsAlignment() { return false; }

    /** Parameters S is computed over, for a model of {@code numLayers} layers (empty when S is not needed). */
    default List<String> rewardLayers(int numLayers) { return List.of(); }

    /** Writes the whole state into {@code dir} (created if needed); every file is written atomically. */
    void save(Path dir) throws IOException;

    /** Restores what {@link #save} wrote; refuses state of another policy kind or another domain list. */
    void load(Path dir) throws IOException;

    /** Frees native resources (the AC-ODM networks); idempotent. */
    @Override default void close() {}
}
