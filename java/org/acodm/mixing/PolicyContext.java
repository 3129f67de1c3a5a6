package org.acodm.mixing;

import java.io.UncheckedIOException;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.acodm.config.ConfigTree;
import org.acodm.data.Manifest;

/**
 * What a {@link MixingMethod}'s factory gets besides its settings: the run's domains (in the order of every
 * array), the prepared data's manifest, the run's length and seed, and the config tree, so that an error names
 * the key it is about and where that key was written.
 *
 * @param settingsKey the dotted key the settings were bound at ({@code mixing.acodm})
 */
public record PolicyContext(ConfigTree tree, String settingsKey, List<String> domains, Manifest manifest, long totalSteps, long seed) {

    /** The full dotted key of a key of the settings ({@code mixing.frozen_actor.actor}). */
    public String key(String relativeKey) { return settingsKey + "." + relativeKey; }

    /** Where a key of the settings was written ("configs/x.yaml:12"), for error messages. */
    public String locate(String relativeKey) { return tree.locate(key(relativeKey)); }

    /**
     * Resolves the weight source of the settings: keys {@code sourceKey}, {@code mapKey} and {@code fileKey} hold
     * {@code source}, {@code map} and {@code file}. A map or file written without its source key means that source
     * (so {@code static: {weights: {Pile-CC: 0.18, ...}}} is the map it looks like, not silently uniform); a map or
     * file that contradicts an explicit source is an error, and so is any problem of the map itself, each naming
     * the key and where it was written.
     */
    public double[] weights(String sourceKey, String mapKey, String fileKey, WeightSource source, Map<String, Double> map, String file) {
        boolean hasMap = map != null && !map.isEmpty(), hasFile = file != null && !file.isBlank();
        String src = key(sourceKey), m = key(mapKey), f = key(fileKey);
        WeightSource s = source;
        if (tree.node(src).isEmpty()) {
            if (hasMap && hasFile)
                throw new IllegalArgumentException(tree.locate(m) + ": both " + m + " and " + f + " are set; set " + src + " to map or file");
            if (hasMap) s = WeightSource.MAP;
            else if (hasFile) s = WeightSource.FILE;
        } else if (hasMap && s != WeightSource.MAP) {
            throw new IllegalArgumentException(tree.locate(m) + ": " + m + " is set but " + src + " is " + name(s) + "; set " + src + ": map to use it");
        } else if (hasFile && s != WeightSource.FILE) {
            throw new IllegalArgumentException(tree.locate(f) + ": " + f + " is set but " + src + " is " + name(s) + "; set " + src + ": file to use it");
        }
        String named = s == WeightSource.MAP ? m : s == WeightSource.FILE ? f : src;
        try {
            return InitialWeights.resolve(s, file, map, domains, manifest);
        } catch (IllegalArgumentException | UncheckedIOException e) {
            throw new IllegalArgumentException(tree.locate(named) + ": " + named + ": " + e.getMessage(), e);
        }
    }

    /** {@link #weights} of the usual {@code initial_source}, {@code initial_weights}, {@code initial_file} keys. */
    public double[] initialWeights(WeightSource source, Map<String, Double> map, String file) {
        return weights("initial_source", "initial_weights", "initial_file", source, map, file);
    }

    private static String name(WeightSource s) { return s.name().toLowerCase(Locale.ROOT); }
}
