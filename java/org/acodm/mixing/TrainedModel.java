package org.acodm.mixing;

import java.util.List;

/**
 * What a policy may read of the model it steers, around each train step: the Frobenius norms of named parameters
 * and their distance to a snapshot it takes. The trainer implements it over the engine's model; a policy sees
 * nothing else of it.
 */
public interface TrainedModel {
    /** Transformer layers of the model (the layer rules pick parameters by relative depth). */
    int numLayers();

    /** ‖W‖_F of each named parameter. */
    double[] parameterNorms(List<String> names);

    /** Snapshots the named parameters as the reference of {@link #referenceDistances}; checkpoints keep it. */
    void setReferenceParameters(List<String> names);

    /** ‖W − W_reference‖_F of each named parameter. */
    double[] referenceDistances(List<String> names);
}
