package org.acodm.mixing;

import java.util.List;

/**
 * The weight-norm part of the paper's AC-ODM state ({@link StateLayout#PAPER}): the parameters whose Frobenius norms,
 * and distances to their reference weights, each step's result must carry, and what the reference is (the weights before
 * every step for {@link DeltaReference#PREVIOUS}, before step 0 for {@link DeltaReference#FIRST}). The trainer declares
 * them to the model once; the model measures them in every train step.
 *
 * @param names parameter names, in the order of the state's blocks; empty when the state reads no norms
 */
public record StateLayers(List<String> names, DeltaReference reference) {
    /** No state layers: the steps report no norms. */
    public static final StateLayers NONE = new StateLayers(List.of(), DeltaReference.PREVIOUS);

    public StateLayers {
        names = List.copyOf(names);
    }

    /** {@code count} layers of a model of {@code numLayers} picked by relative depth ({@link LayerSelection#statePositions}). */
    static StateLayers of(int count, DeltaReference reference, int numLayers) {
        return new StateLayers(LayerSelection.names(LayerSelection.statePositions(numLayers, count)), reference);
    }
}
