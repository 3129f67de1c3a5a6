package org.acodm.mixing;

import com.fasterxml.jackson.annotation.JsonProperty;

/** What DoGE scores a domain's gradient g_i against (DoGE's {@code tgt_domains}). */
public enum DogeTarget {
    /** The other training domains: W_i = Σ_j S_ij − S_ii (DoGE's universal mode, train = target). */
    @JsonProperty("universal") UNIVERSAL,
    /**
     * The whole mixture (the released default config, {@code tgt_domains: "mix"}): W_i = ⟨g_i, g_mix⟩ with
     * g_mix = Σ_j (n_j / N) g_j over this step's tokens, so W_i = Σ_j (n_j / N) S_ij.
     */
    @JsonProperty("mix") MIX,
    /** A named set T of domains ({@code target_domains}): W_i = Σ_{t ∈ T} S_it. */
    @JsonProperty("domains") DOMAINS
}
