package org.acodm.mixing;

import com.fasterxml.jackson.annotation.JsonProperty;

/** Where a fixed weight map comes from. */
public enum WeightSource {
    /** 1/K each. */
    @JsonProperty("uniform") UNIFORM,
    /** Proportional to each domain's train tokens in the prepared data (manifest.json). */
    @JsonProperty("natural") NATURAL,
    /** A YAML file of {@code domain: weight} (for example configs/weights/pile.yaml). */
    @JsonProperty("file") FILE,
    /** The inline {@code weights} map of the config section. */
    @JsonProperty("map") MAP
}
