package org.acodm.mixing;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;

/**
 * The paper's AC-ODM state ({@link StateLayout#PAPER}) of dimension 3K + 2L + 1, each block z-scored on its own (DESIGN.md section 5):
 * z(domain mean loss), z(loss − reference loss), z(tokens of each domain), z(‖W_l‖_F), z(‖W_l − W_l,ref‖_F),
 * scale · (step + 1) / total steps (scale 100 in the paper). A domain absent from a step keeps its last observed loss; before its first
 * observation it takes the mean of the observed ones (z = 0 relative to them, no made-up signal). The reference
 * loss is the previous step's (default) or each domain's first observed loss ({@link DeltaReference#FIRST}).
 */
final class PaperState implements StateBuilder {
    private final int k;
    private final int layers;
    private final DeltaReference reference;
    private final double stepScale;
    private double[] lastLoss;     // last observed mean loss per domain, NaN before the first observation
    private double[] previous;     // the filled loss vector of the previous step, null before the first step
    private double[] firstLoss;    // each domain's first observed loss, NaN before it

    PaperState(int k, int layers, DeltaReference reference, double stepScale) {
        this.k = k;
        this.stepScale = stepScale;
        this.layers = layers;
        this.reference = reference;
        this.lastLoss = StateBuilder.nans(k);
        this.firstLoss = StateBuilder.nans(k);
    }

    @Override public StateLayout layout() { return StateLayout.PAPER; }

    @Override public int dimension() { return StateLayout.PAPER.dimension(k, layers); }

    @Override public float[] next(StepObservation o) {
        if (o.stateNorms() == null)
            throw new IllegalArgumentException("step " + o.step() + ": the AC-ODM state needs the norms of the " + layers
                    + " state layers and their distances to the reference weights; the observation has none");
        if (o.stateNorms().length != layers)
            throw new IllegalArgumentException("step " + o.step() + ": " + o.stateNorms().length + " state-layer norms, expected " + layers);
        for (int i = 0; i < k; i++) {
            double loss = o.meanLoss(i);
            if (o.present(i) && Double.isFinite(loss)) {
                lastLoss[i] = loss;
                if (Double.isNaN(firstLoss[i])) firstLoss[i] = loss;
            }
        }
        double[] loss = StateBuilder.filled(lastLoss);

        double[] delta = new double[k];
        for (int i = 0; i < k; i++) {
            double ref = reference == DeltaReference.FIRST
                    ? (Double.isNaN(firstLoss[i]) ? loss[i] : firstLoss[i])
                    : (previous == null ? loss[i] : previous[i]);
            delta[i] = loss[i] - ref;
        }
        previous = loss;

        return StateBuilder.assemble(dimension(), stepScale, o, ZScore.of(loss), ZScore.of(delta), ZScore.of(o.domainTokens()),
                ZScore.of(o.stateNorms()), ZScore.of(o.stateDeltaNorms()));
    }

    record Saved(DeltaReference reference, double[] lastLoss, double[] previous, double[] firstLoss) {}

    @Override public JsonNode save() { return StateFiles.tree(new Saved(reference, lastLoss, previous, firstLoss)); }

    @Override public void restore(JsonNode saved) throws IOException {
        Saved s = StateFiles.part(saved, Saved.class, "state");
        StateFiles.same(s.reference(), reference, "delta reference");
        lastLoss = StateFiles.entries(s.lastLoss(), k, "last losses");
        previous = s.previous() == null ? null : StateFiles.entries(s.previous(), k, "previous losses");
        firstLoss = StateFiles.entries(s.firstLoss(), k, "first losses");
    }
}
