package org.acodm.mixing;

import com.fasterxml.jackson.annotation.JsonProperty;

/** Where the domain scores W come from, before r = z(W) (the reward ablation of AC-ODM). */
public enum RewardSource {
    /** Gradient alignment: W_i = Σ_{j≠i} S_ij / (mean_i sqrt(S_ii) + 1e-6) (AC-ODM's signal). */
    @JsonProperty("alignment") ALIGNMENT,
    /** The step's training loss: W_i = exp(mean loss of domain i) (ODM's signal), so no alignment matrix is needed. */
    @JsonProperty("loss") LOSS
}
