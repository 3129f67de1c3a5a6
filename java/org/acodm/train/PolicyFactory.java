package org.acodm.train;

import java.nio.file.Path;
import java.util.List;
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
import org.acodm.train.config.ConfigTree;
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
        if (s instanceof StaticConfig c) {
            return new StaticPolicy(domains, InitialWeights.resolve(c.source(), c.file(), c.weights(), domains, manifest));
        } else if (s instanceof OdmConfig c) {
            return new OdmPolicy(domains, c, InitialWeights.resolve(c.initialSource(), c.initialFile(), c.initialWeights(), domains, manifest));
        } else if (s instanceof DogeConfig c) {
            return new DogePolicy(domains, c, InitialWeights.resolve(c.initialSource(), c.initialFile(), c.initialWeights(), domains, manifest));
        } else if (s instanceof AcOdmConfig c) {
            return new AcOdmPolicy(domains, c, cfg.train().steps(), cfg.run().seed(),
                    InitialWeights.resolve(c.initialSource(), c.initialFile(), c.initialWeights(), domains, manifest));
        } else if (s instanceof FrozenActorConfig c) {
            if (c.actor() == null || c.actor().isBlank())
                throw new IllegalArgumentException(tree.locate("mixing.frozen_actor.actor") + ": mixing.frozen_actor.actor is required");
            return new FrozenActorPolicy(Path.of(c.actor()), domains, c.device());
        }
        throw new AssertionError(s);
    }
}
