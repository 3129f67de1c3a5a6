package org.acodm.engine;

/**
 * What one train or eval step reports: per-domain sums of token losses and token counts (length K), the
 * mean loss, the gradient norm before clipping, the learning rate used, the 0-based step index, when
 * requested the K×K gradient-alignment matrix S_ij = &lt;g_i, g_j&gt; (null otherwise), after a train step that
 * updated the model, for the state parameters ({@link Model#setStateParameters}), each one's Frobenius norm and its
 * distance to its reference weights (null when none are set), and with split halves ({@link Model#setAlignmentSplit})
 * the K products ⟨g_iA, g_iB⟩ of the gradients of the two halves of each domain's windows (NaN where a domain had
 * fewer than two windows; null without split halves).
 */
public record StepResult(double loss, double gradNorm, double learningRate, long step,
                         double[] domainLossSum, double[] domainTokens, double[][] alignment,
                         double[] stateNorms, double[] stateDistances, double[] selfAlignment) {

    /** A result without split halves. */
    public StepResult(double loss, double gradNorm, double learningRate, long step, double[] domainLossSum,
                      double[] domainTokens, double[][] alignment, double[] stateNorms, double[] stateDistances) {
        this(loss, gradNorm, learningRate, step, domainLossSum, domainTokens, alignment, stateNorms, stateDistances, null);
    }

    /**
     * False when a train step's loss or gradient norm was not finite: the engine then changed nothing (parameters, AdamW
     * moments, step count and schedule stay as they were), since one such update would turn every weight into NaN.
     */
    public boolean updated() {
        return Double.isFinite(loss) && Double.isFinite(gradNorm);
    }

    /** Mean token loss of domain k in this step, NaN when the domain had no tokens. */
    public double domainMeanLoss(int k) {
        return domainTokens[k] > 0 ? domainLossSum[k] / domainTokens[k] : Double.NaN;
    }

    public int numDomains() {
        return domainLossSum.length;
    }
}
