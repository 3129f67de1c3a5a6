package org.acodm.mixing;

import java.util.List;
import org.acodm.engine.StepResult;

/**
 * The weight-norm part of the AC-ODM state, collected around each step for {@link AcOdmPolicy} and
 * {@link FrozenActorPolicy}: the state layers picked by relative depth, the reference snapshot before the step
 * (before every step for {@link DeltaReference#PREVIOUS}, before step 0 only for {@link DeltaReference#FIRST}),
 * and after it their norms and distances to that reference, carried by the step's observation.
 */
final class StateLayers {
    private final int count;
    private final DeltaReference reference;
    private List<String> names;
    private int namesFor = -1;

    StateLayers(int count, DeltaReference reference) {
        this.count = count;
        this.reference = reference;
    }

    /** The parameter names of the state layers of a model of {@code numLayers} layers. */
    List<String> names(int numLayers) {
        if (numLayers != namesFor) {
            names = LayerSelection.names(LayerSelection.statePositions(numLayers, count));
            namesFor = numLayers;
        }
        return names;
    }

    void beforeStep(long step, TrainedModel model) {
        if (reference == DeltaReference.PREVIOUS || step == 0) model.setReferenceParameters(names(model.numLayers()));
    }

    /** The observation of {@code result} with the state layers' norms and reference distances after the step. */
    StepObservation observation(List<String> domains, StepResult result, long totalSteps, TrainedModel model) {
        List<String> n = names(model.numLayers());
        return StepObservation.of(domains, result, totalSteps, model.parameterNorms(n), model.referenceDistances(n));
    }
}
