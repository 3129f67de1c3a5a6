package org.acodm.mixing;

import com.fasterxml.jackson.annotation.JsonProperty;

/** What the AC-ODM critic learns to predict. */
public enum RewardMode {
    /** R = Σ α_i r_i, one Q value: the linear surrogate of the interaction energy the paper optimises (default). */
    @JsonProperty("mixture") MIXTURE,
    /**
     * The released code: the reward is the vector r, the critic outputs K values and the actor maximises their
     * mean. z(W) sums to zero and does not depend on the action, so the actor gets almost no signal; kept for
     * reproduction only.
     */
    @JsonProperty("vector") VECTOR
}
