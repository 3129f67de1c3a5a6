package org.acodm.mixing;

import com.fasterxml.jackson.annotation.JsonProperty;

/** The two ODM update rules. */
public enum OdmVariant {
    /** As released with AC-ODM: R_i ← a R_i + (1 − a) exp(loss_i), w ∝ R (mixed with ε_t). */
    @JsonProperty("smoothed_mean") SMOOTHED_MEAN,
    /** Classic EXP3 (the ODM paper's first code): R̂_i += scale · loss_i / π_i, w ∝ exp(ε_{t−1} R̂) (mixed with ε_t). */
    @JsonProperty("exp3") EXP3
}
