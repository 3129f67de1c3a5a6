package org.acodm.mixing;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * What the AC-ODM state measures change against: the loss delta uses the reference loss and the weight-norm
 * block uses ‖W_l − W_l,reference‖. The trainer keeps the reference weights for the norms natively.
 */
public enum DeltaReference {
    /** The previous step (the paper): the trainer snapshots the state layers before every step. */
    @JsonProperty("previous") PREVIOUS,
    /** The first step (the released code): the trainer snapshots the state layers once, before step 0. */
    @JsonProperty("first") FIRST
}
