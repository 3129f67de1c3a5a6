package org.acodm.mixing;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;

/**
 * The AC-ODM state of dimension 3K + 2L + 1, each block z-scored on its own (DESIGN.md section 5):
 * z(domain mean loss), z(loss − reference loss), z(tokens of each domain), z(‖W_l‖_F), z(‖W_l − W_l,ref‖_F),
 * scale · (step + 1) / total steps (scale 100 in the paper). A domain absent from a step keeps its last observed loss; before its first
 * observation it takes the mean of the observed ones (z = 0 relative to them, no made-up signal). The reference
 * loss is the previous step's (default) or each domain's first observed loss ({@link DeltaReference#FIRST}).
 */
final class StateBuilder {
    private final int k;
    private final int layers;
    private final DeltaReference reference;
    private final double stepScale;
    private double[] lastLoss;     // last observed mean loss per domain, NaN before the first observation
    private double[] previous;     // the filled loss vector of the previous step, null before the first step
    private double[] firstLoss;    // each domain's first observed loss, NaN before it

    StateBuilder(int k, int layers, DeltaReference reference, double stepScale) {
        this.k = k;
        this.stepScale = stepScale;
        this.layers = layers;
        this.reference = reference;
        this.lastLoss = nan(k);
        this.firstLoss = nan(k);
    }

    static int dimension(int k, int layers) { return 3 * k + 2 * layers + 1; }

    int dimension() { return dimension(k, layers); }

    /** The state after observation {@code o}; updates the loss memory. */
    float[] next(StepObservation o) {
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
        double[] loss = lastLoss.clone();
        double fill = 0;
        int seen = 0;
        for (double v : loss) if (!Double.isNaN(v)) { fill += v; seen++; }
        fill = seen == 0 ? 0 : fill / seen;
        for (int i = 0; i < k; i++) if (Double.isNaN(loss[i])) loss[i] = fill;

        double[] delta = new double[k];
        for (int i = 0; i < k; i++) {
            double ref = reference == DeltaReference.FIRST
                    ? (Double.isNaN(firstLoss[i]) ? loss[i] : firstLoss[i])
                    : (previous == null ? loss[i] : previous[i]);
            delta[i] = loss[i] - ref;
        }
        previous = loss;

        float[] s = new float[dimension()];
        int at = 0;
        at = put(s, at, ZScore.of(loss));
        at = put(s, at, ZScore.of(delta));
        at = put(s, at, ZScore.of(o.domainTokens()));
        at = put(s, at, ZScore.of(o.stateNorms()));
        at = put(s, at, ZScore.of(o.stateDeltaNorms()));
        s[at] = (float) (stepScale * (o.step() + 1) / o.totalSteps());
        return s;
    }

    private static int put(float[] s, int at, double[] block) {
        for (double v : block) s[at++] = (float) v;
        return at;
    }

    private static double[] nan(int n) {
        double[] a = new double[n];
        java.util.Arrays.fill(a, Double.NaN);
        return a;
    }

    void write(DataOutputStream out) throws IOException {
        out.writeUTF(reference.name());
        StateFiles.writeDoubles(out, lastLoss);
        StateFiles.writeDoubles(out, previous);
        StateFiles.writeDoubles(out, firstLoss);
    }

    void read(DataInputStream in) throws IOException {
        String ref = in.readUTF();
        if (!ref.equals(reference.name())) throw new IOException("saved state uses delta reference " + ref + ", this run " + reference);
        lastLoss = StateFiles.readDoubles(in, k, "last losses");
        previous = StateFiles.readDoubles(in);
        if (previous != null && previous.length != k) throw new IOException("saved previous losses have " + previous.length + " entries, expected " + k);
        firstLoss = StateFiles.readDoubles(in, k, "first losses");
    }
}
