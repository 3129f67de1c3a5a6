package org.acodm.mixing;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * How a domain's alignment with itself enters the scores when it is one of its own targets ({@code scores.target: all},
 * or {@code domains} naming it). S_ii = ‖g_i‖² is biased by the gradient noise of the domain's own windows,
 * E S_ii = ‖E g_i‖² + tr Σ_i / n_i, so it grows as the mixture draws the domain less (docs/mixing.md, "Domain scores").
 */
public enum SelfTerm {
    /**
     * The domain's windows in a step dealt into two halves, ⟨g_iA, g_iB⟩: unbiased for ‖E g_i‖², known only in steps
     * with two or more of its windows. Accumulated apart from the cross terms and weighted 1/|T| (the domain's share of
     * the mean over its target set T), so steps without it leave no bias behind.
     */
    @JsonProperty("split") SPLIT,
    /** S_ii as measured, in the per-step mean over the targets present (the behaviour before the split halves). */
    @JsonProperty("direct") DIRECT
}
