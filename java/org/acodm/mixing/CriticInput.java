package org.acodm.mixing;

import com.fasterxml.jackson.annotation.JsonProperty;

/** How AC-ODM's critic sees the action (docs/mixing.md, "The critic"). */
public enum CriticInput {
    /**
     * Shaped like the reward: Q(s, a) = V(s) + a · q(s), q regressed on the per-domain score vector (K targets per
     * transition); the actor minimises −μ · q(s) + τ KL(μ ‖ π).
     */
    @JsonProperty("shaped") SHAPED,
    /** Q(s, [(a − π) / sd(a)]): the action centred on the prior and divided by the exploration's standard deviation. */
    @JsonProperty("normalised") NORMALISED,
    /** Q(s, [a]): the raw action, ~2e-4 of the critic's input variance (the behaviour before issue 18). */
    @JsonProperty("raw") RAW
}
