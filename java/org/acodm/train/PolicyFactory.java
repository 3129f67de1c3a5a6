package org.acodm.train;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.acodm.data.Manifest;
import org.acodm.mixing.AcOdmConfig;
import org.acodm.mixing.AcOdmPolicy;
import org.acodm.mixing.DogeConfig;
import org.acodm.mixing.DogePolicy;
import org.acodm.mixing.FrozenActorConfig;
import org.acodm.mixing.FrozenActorPolicy;
import org.acodm.mixing.InitialWeights;
import org.acodm.mixing.MixingPolicy;
import org.acodm.mixing.OdmConfig;
import org.acodm.mixing.OdmPolicy;
import org.acodm.mixing.StaticConfig;
import org.acodm.mixing.StaticPolicy;
import org.acodm.mixing.WeightSource;
import org.acodm.config.ConfigTree;
import org.acodm.train.config.RunConfig;

/** Builds the run's mixing policy from its config: binds mixing.METHOD to that policy's settings record. */
final class PolicyFactory {
    private PolicyFactory() {}

    /** Binds (and so validates) the selected method's settings without building anything. */
    static Object settings(RunConfig cfg, ConfigTree tree) {
        String key = cfg.mixing().settingsKey();
        return switch (cfg.mixing().method()) {
            case STATIC -> tree.bind(key, StaticConfig.class);
            case ODM -> tree.bind(key, OdmConfig.class);
            case DOGE -> tree.bind(key, DogeConfig.class);
            case ACODM -> tree.bind(key, AcOdmConfig.class);
            case FROZEN_ACTOR -> tree.bind(key, FrozenActorConfig.class);
        };
    }

    static MixingPolicy create(RunConfig cfg, ConfigTree tree, List<String> domains, Manifest manifest) {
        Object s = settings(cfg, tree);
        String key = cfg.mixing().settingsKey();
        if (s instanceof StaticConfig c) {
            return new StaticPolicy(domains, weights(tree, key, "source", "weights", "file", c.source(), c.weights(), c.file(), domains, manifest));
        } else if (s instanceof OdmConfig c) {
            return new OdmPolicy(domains, c, weights(tree, key, "initial_source", "initial_weights", "initial_file", c.initialSource(),
                    c.initialWeights(), c.initialFile(), domains, manifest));
        } else if (s instanceof DogeConfig c) {
            return new DogePolicy(domains, c, weights(tree, key, "initial_source", "initial_weights", "initial_file", c.initialSource(),
                    c.initialWeights(), c.initialFile(), domains, manifest));
        } else if (s instanceof AcOdmConfig c) {
            return new AcOdmPolicy(domains, c, cfg.train().steps(), cfg.run().seed(), weights(tree, key, "initial_source", "initial_weights",
                    "initial_file", c.initialSource(), c.initialWeights(), c.initialFile(), domains, manifest));
        } else if (s instanceof FrozenActorConfig c) {
            String actorKey = key + ".actor";
            if (c.actor() == null || c.actor().isBlank())
                throw new IllegalArgumentException(tree.locate(actorKey) + ": " + actorKey + " is required");
            try {
                return new FrozenActorPolicy(Path.of(c.actor()), domains, c.device());
            } catch (IllegalArgumentException | IllegalStateException e) {
                // The actor's own message says what differs (domains, state size); the prefix says which key to fix.
                throw new IllegalArgumentException(tree.locate(actorKey) + ": " + actorKey + " '" + c.actor() + "': " + e.getMessage(), e);
            }
        }
        throw new AssertionError(s);
    }

    /**
     * Resolves a weight source of section {@code key}. A map or file written without its source key means that
     * source (so {@code static: {weights: {Pile-CC: 0.18, ...}}} is the map it looks like, not silently uniform);
     * a map or file that contradicts an explicit source is an error, and so is any problem of the map itself,
     * each naming the key and where it was written.
     */
    private static double[] weights(ConfigTree tree, String key, String sourceKey, String mapKey, String fileKey, WeightSource source,
                                    Map<String, Double> map, String file, List<String> domains, Manifest manifest) {
        boolean hasMap = map != null && !map.isEmpty(), hasFile = file != null && !file.isBlank();
        String src = key + "." + sourceKey, m = key + "." + mapKey, f = key + "." + fileKey;
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
        } catch (IllegalArgumentException | java.io.UncheckedIOException e) {
            throw new IllegalArgumentException(tree.locate(named) + ": " + named + ": " + e.getMessage(), e);
        }
    }

    private static String name(WeightSource s) { return s.name().toLowerCase(java.util.Locale.ROOT); }
}
