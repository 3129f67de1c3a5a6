package org.acodm.mixing;

import com.fasterxml.jackson.annotation.JsonProperty;

/** What the AC-ODM agent optimises: the critic's reward and the actor's loss. r̄ are the smoothed domain scores. */
public enum RewardMode {
    /**
     * The regularised objective J_τ(a) = Σ a_i r̄_i − τ KL(a ‖ π) (default): the critic learns Q of R = Σ a_i r̄_i
     * (a: the action the step ran with, before the weight floor), the soft actor minimises −Q(s, μ(s)) + τ KL(μ(s) ‖ π).
     * Its optimum π · exp(r̄ / τ) / Z is interior and known in closed form (the {@code alignment} method).
     */
    @JsonProperty("regularised") REGULARISED,
    /**
     * The linear surrogate alone: R = Σ α_i r̄_i (α: the floored weights), one Q value, no KL. A linear function on the
     * simplex is maximised at a vertex, so this objective collapses onto one domain by construction; kept as the
     * paper's objective for comparison.
     */
    @JsonProperty("mixture") MIXTURE,
    /**
     * The released code: the reward is the vector r̄, the critic outputs K values and the actor maximises their
     * mean. z-scores sum to zero and do not depend on the action, so the actor gets almost no signal; kept for
     * reproduction only.
     */
    @JsonProperty("vector") VECTOR
}
