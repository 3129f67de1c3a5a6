package org.acodm.mixing;

import com.fasterxml.jackson.annotation.JsonProperty;

/** How the per-step domain signal W becomes the scores the closed form and AC-ODM act on ({@link DomainSignal}). */
public enum ScoreMethod {
    /**
     * Raw, dimensionless W accumulated over steps with forgetting; each domain scored by its advantage over the current
     * mixture and shrunk by its own standard error, so that scores with no signal behind them are 0 (the prior).
     */
    @JsonProperty("advantage") ADVANTAGE,
    /**
     * The paper's: r = z(W) over the domains present in each step, smoothed by an EMA. Every step has unit variance
     * whatever it carries, so noise alone moves the weights (kept as the ablation).
     */
    @JsonProperty("zscore") ZSCORE
}
