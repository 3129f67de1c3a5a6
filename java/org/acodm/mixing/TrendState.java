package org.acodm.mixing;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;

/**
 * The AC-ODM state {@link StateLayout#TRENDS} of dimension 2K + 1: z over the domains of each domain's smoothed loss,
 * z of its slope (the fast smoothed loss minus a slow one: how far it has fallen lately), and the time. The losses are
 * smoothed per observation of the domain (an absent domain keeps its values; one never observed takes the mean of
 * the others, z = 0), so the state is not the noise of one step's few windows, and z-scores make it read the same on
 * a proxy and on a larger target whose losses are lower.
 */
final class TrendState implements StateBuilder {
    /** The fast and slow smoothing of the domain losses, per observation of the domain. */
    static final double FAST = 0.9, SLOW = 0.98;

    private final int k;
    private final double stepScale;
    private double[] fast;   // NaN before the domain's first observation
    private double[] slow;

    TrendState(int k, double stepScale) {
        this.k = k;
        this.stepScale = stepScale;
        this.fast = StateBuilder.nans(k);
        this.slow = StateBuilder.nans(k);
    }

    @Override public StateLayout layout() { return StateLayout.TRENDS; }

    @Override public int dimension() { return StateLayout.TRENDS.dimension(k, 0); }

    @Override public float[] next(StepObservation o) {
        for (int i = 0; i < k; i++) {
            double loss = o.meanLoss(i);
            if (!o.present(i) || !Double.isFinite(loss)) continue;
            if (Double.isNaN(fast[i])) {
                fast[i] = slow[i] = loss;
            } else {
                fast[i] = FAST * fast[i] + (1 - FAST) * loss;
                slow[i] = SLOW * slow[i] + (1 - SLOW) * loss;
            }
        }
        double[] slope = new double[k];
        for (int i = 0; i < k; i++) slope[i] = fast[i] - slow[i];  // NaN where never observed
        return StateBuilder.assemble(dimension(), stepScale, o, ZScore.of(StateBuilder.filled(fast)), ZScore.of(StateBuilder.filled(slope)));
    }

    record Saved(StateLayout layout, double[] fast, double[] slow) {}

    @Override public JsonNode save() { return StateFiles.tree(new Saved(layout(), fast, slow)); }

    @Override public void restore(JsonNode saved) throws IOException {
        Saved s = StateFiles.part(saved, Saved.class, "state");
        StateFiles.same(s.layout(), layout(), "layout");
        fast = StateFiles.entries(s.fast(), k, "fast smoothed losses");
        slow = StateFiles.entries(s.slow(), k, "slow smoothed losses");
    }
}
