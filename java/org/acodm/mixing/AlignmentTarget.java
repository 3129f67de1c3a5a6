package org.acodm.mixing;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * What a domain's gradient g_i is scored against: the mean gradient of a target set of the domains present in the
 * step, W_i = mean_{j ∈ T_i} S_ij (docs/mixing.md, "Domain scores").
 */
public enum AlignmentTarget {
    /** The other domains, T_i = P \ {i} (the paper: Σ_{j≠i} S_ij). Unbiased: no domain's gradient noise meets itself. */
    @JsonProperty("others") OTHERS,
    /**
     * Every domain, self included: the first-order decrease of the mean of the domain losses after a step
     * on domain i. S_ii carries the gradient noise of domain i's few windows (E S_ii = ‖ḡ_i‖² + noise / n_i), which
     * favours noisy and rarely drawn domains; {@link SelfTerm#SPLIT} (the default self term) takes it from two halves
     * of the windows instead.
     */
    @JsonProperty("all") ALL,
    /** A user's target set ({@code target_domains}, DoGE's held-out mode), self included when i is a target. */
    @JsonProperty("domains") DOMAINS
}
