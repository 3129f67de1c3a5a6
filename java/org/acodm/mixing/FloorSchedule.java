package org.acodm.mixing;

import com.fasterxml.jackson.annotation.JsonProperty;

/** The weight floor of AC-ODM, the closed form and the frozen actor: α ← (1 − K ε) a + ε ({@link WeightFloor}). */
public enum FloorSchedule {
    /** A fixed ε = {@code floor_share} / K: a deviation from the prior keeps 1 − floor_share of its size from the first step on. */
    @JsonProperty("fixed") FIXED,
    /**
     * ODM's ε_t = min(1/K, sqrt(ln K / (K t))): uniform until t ≈ K ln K, then shrinks every deviation from uniform
     * to 1 − K ε_t of its size (0.37 / 0.56 / 0.69 / 0.78 at t = 50 / 100 / 200 / 400 for K = 9).
     */
    @JsonProperty("odm") ODM,
    /** No floor. */
    @JsonProperty("none") NONE
}
