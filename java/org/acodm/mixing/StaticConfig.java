package org.acodm.mixing;

import java.util.Map;
import org.acodm.config.Default;
import org.acodm.config.Doc;
import org.acodm.config.Sections;

/** Section {@code mixing.static}: fixed domain weights for the whole run. */
@Doc("Static mixing: the same domain weights at every step")
public record StaticConfig(
        @Default("uniform") @Doc("where the weights come from: uniform, natural (proportional to the prepared train tokens), file, map") WeightSource source,
        @Default("") @Doc("YAML weight map (domain name: weight) when source is file, e.g. configs/weights/pile.yaml") String file,
        @Default("{}") @Doc("inline weight map (domain name: weight) when source is map; normalised to sum to 1") Map<String, Double> weights) {

    public static StaticConfig defaults() {
        return Sections.defaults(StaticConfig.class);
    }
}
