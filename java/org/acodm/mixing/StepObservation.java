package org.acodm.mixing;

import java.util.List;
import java.util.Objects;
import org.acodm.engine.StepResult;

/**
 * What a policy sees after one train step: the domains (fixed order, K), the step's per-domain loss sums and token
 * counts, optionally the K×K gradient-alignment matrix S over the policy's {@link MixingPolicy#rewardLayers reward
 * layers}, the learning rate the model used, and optionally the Frobenius norms of the AC-ODM state layers and of
 * their change from the reference weights (the policy's {@link MixingPolicy#stateLayers}, measured by the engine in the
 * step), and with split halves the products ⟨g_iA, g_iB⟩ of the two halves of each domain's windows (NaN where a
 * domain had fewer than two windows; null without split halves: {@link MixingPolicy#needsSplitAlignment}). Arrays are
 * not copied; whoever builds an observation must not reuse them.
 *
 * @param step       0-based index of the step that produced these numbers
 * @param totalSteps steps planned for the run (the AC-ODM state carries 100 · (step + 1) / totalSteps)
 */
public record StepObservation(List<String> domains, long step, long totalSteps, double[] domainLossSum,
                              double[] domainTokens, double[][] alignment, double learningRate, double[] stateNorms,
                              double[] stateDeltaNorms, double[] selfAlignment) {

    /** An observation without split halves. */
    public StepObservation(List<String> domains, long step, long totalSteps, double[] domainLossSum, double[] domainTokens,
                           double[][] alignment, double learningRate, double[] stateNorms, double[] stateDeltaNorms) {
        this(domains, step, totalSteps, domainLossSum, domainTokens, alignment, learningRate, stateNorms, stateDeltaNorms, null);
    }

    public StepObservation {
        Objects.requireNonNull(domains, "domains");
        Objects.requireNonNull(domainLossSum, "domainLossSum");
        Objects.requireNonNull(domainTokens, "domainTokens");
        int k = domains.size();
        if (domainLossSum.length != k || domainTokens.length != k)
            throw new IllegalArgumentException("step " + step + ": " + k + " domains but " + domainLossSum.length
                    + " loss sums and " + domainTokens.length + " token counts");
        if (step < 0 || totalSteps < 1 || step >= totalSteps)
            throw new IllegalArgumentException("step " + step + " is outside a run of " + totalSteps + " steps");
        if (alignment != null) {
            if (alignment.length != k) throw new IllegalArgumentException("alignment matrix has " + alignment.length + " rows, expected " + k);
            for (double[] row : alignment)
                if (row == null || row.length != k) throw new IllegalArgumentException("alignment matrix rows must have " + k + " entries");
        }
        if ((stateNorms == null) != (stateDeltaNorms == null)
                || (stateNorms != null && stateNorms.length != stateDeltaNorms.length))
            throw new IllegalArgumentException("state-layer norms and their reference distances must both be given, with one entry per layer");
        if (selfAlignment != null && (alignment == null || selfAlignment.length != k))
            throw new IllegalArgumentException("the split halves' products need the alignment matrix and one entry per domain, got "
                    + selfAlignment.length + " for " + k + " domains");
    }

    /** An observation from the engine's step result. */
    public static StepObservation of(List<String> domains, StepResult r, long totalSteps) {
        return new StepObservation(domains, r.step(), totalSteps, r.domainLossSum(), r.domainTokens(), r.alignment(),
                r.learningRate(), r.stateNorms(), r.stateDistances(), r.selfAlignment());
    }

    public int numDomains() { return domains.size(); }

    /** True when domain k had tokens in this step. */
    public boolean present(int k) { return domainTokens[k] > 0; }

    /** Mean token loss of domain k in this step, NaN when absent. */
    public double meanLoss(int k) { return present(k) ? domainLossSum[k] / domainTokens[k] : Double.NaN; }
}
