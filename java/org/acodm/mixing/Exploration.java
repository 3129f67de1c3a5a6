package org.acodm.mixing;

import com.fasterxml.jackson.annotation.JsonProperty;

/** How AC-ODM perturbs the actor's action μ before a step runs with it. */
public enum Exploration {
    /** a = (1 − β) μ + β d with d ~ Dir(1), a uniform point of the simplex: can put weight back on a domain at 0. */
    @JsonProperty("dirichlet") DIRICHLET,
    /** The paper's: subtract U[0, noise) from each weight, clamp at 0, renormalise. Cannot restore a domain at 0. */
    @JsonProperty("subtractive") SUBTRACTIVE
}
