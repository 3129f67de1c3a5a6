package org.acodm.mixing;

import com.fasterxml.jackson.annotation.JsonProperty;

/** What the AC-ODM state holds ({@link StateBuilder}). */
public enum StateLayout {
    /**
     * Per domain a smoothed loss and its slope, z-scored across the domains, and the time: 2K + 1 entries, all of them
     * things a transferred actor sees in the same terms on a larger model.
     */
    @JsonProperty("trends") TRENDS,
    /**
     * The paper's 3K + 2L + 1: z(this step's losses), z(their change), z(this step's token counts), z(state-layer
     * norms), z(their change), time. The token counts are those of the last draw and the norms barely change.
     */
    @JsonProperty("paper") PAPER;

    /** The state dimension for K domains and L state layers. */
    public int dimension(int k, int layers) {
        return this == TRENDS ? 2 * k + 1 : 3 * k + 2 * layers + 1;
    }

    /** True when the state needs the state layers' norms (collected around each step by {@link StateLayers}). */
    public boolean needsNorms() { return this == PAPER; }
}
