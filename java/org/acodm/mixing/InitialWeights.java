package org.acodm.mixing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.acodm.data.Manifest;

/** Resolves a weight source (uniform, natural, file, inline map) into α for a run's domains. */
public final class InitialWeights {
    private InitialWeights() {}

    /**
     * @param manifest the prepared data's manifest; needed only for {@link WeightSource#NATURAL} (may be null otherwise)
     */
    public static double[] resolve(WeightSource source, String file, Map<String, Double> map, List<String> domains,
                                   Manifest manifest) {
        if (domains.isEmpty()) throw new IllegalArgumentException("no domains to weight");
        WeightSource s = source == null ? WeightSource.UNIFORM : source;
        switch (s) {
            case UNIFORM:
                return WeightMaps.resolve(WeightMaps.uniform(domains), domains, "uniform");
            case NATURAL:
                if (manifest == null) throw new IllegalArgumentException("weights proportional to tokens need the prepared data's manifest");
                // Proportional among the run's own domains (data.domains may pick some of the manifest's).
                java.util.Map<String, Double> natural = new java.util.LinkedHashMap<>(WeightMaps.proportionalToTokens(manifest));
                natural.keySet().retainAll(domains);
                return WeightMaps.resolve(natural, domains, "proportional to tokens");
            case FILE:
                if (file == null || file.isBlank()) throw new IllegalArgumentException("weight source 'file' needs a file");
                try {
                    return WeightMaps.resolve(WeightMaps.readYaml(Path.of(file)), domains, file);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            case MAP:
                if (map == null || map.isEmpty()) throw new IllegalArgumentException("weight source 'map' needs a weights map");
                return WeightMaps.resolve(map, domains, "(inline)");
            default:
                throw new AssertionError(s);
        }
    }
}
