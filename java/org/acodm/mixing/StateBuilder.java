package org.acodm.mixing;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;

/**
 * Builds the AC-ODM state from each step's observation, for the learning agent and the frozen actor alike (the same
 * layout on the proxy and the target is what makes the actor transferable). Layouts: {@link StateLayout}.
 */
interface StateBuilder {
    static StateBuilder of(StateLayout layout, int k, int layers, DeltaReference reference, double stepScale) {
        return switch (layout) {
            case TRENDS -> new TrendState(k, stepScale);
            case PAPER -> new PaperState(k, layers, reference, stepScale);
        };
    }

    StateLayout layout();

    int dimension();

    /** The state after observation {@code o}; updates what the builder remembers of earlier steps. */
    float[] next(StepObservation o);

    /** What the builder remembers of earlier steps, as its own record ({@link StateFiles#tree}). */
    JsonNode save();

    /** Restores what {@link #save} returned; refuses the state of another layout or size. */
    void restore(JsonNode saved) throws IOException;

    static double[] nans(int n) {
        double[] a = new double[n];
        java.util.Arrays.fill(a, Double.NaN);
        return a;
    }

    /** {@code v} with its NaN entries (domains not observed yet) replaced by the mean of the others (0 when none is). */
    static double[] filled(double[] v) {
        double[] out = v.clone();
        double fill = 0;
        int seen = 0;
        for (double x : v) if (!Double.isNaN(x)) { fill += x; seen++; }
        fill = seen == 0 ? 0 : fill / seen;
        for (int i = 0; i < out.length; i++) if (Double.isNaN(out[i])) out[i] = fill;
        return out;
    }

    /** The blocks one after the other, then the time entry scale · (step + 1) / total steps. */
    static float[] assemble(int dimension, double stepScale, StepObservation o, double[]... blocks) {
        float[] s = new float[dimension];
        int at = 0;
        for (double[] block : blocks) for (double v : block) s[at++] = (float) v;
        s[at] = (float) (stepScale * (o.step() + 1) / o.totalSteps());
        return s;
    }
}
