package org.acodm.train.config;

import org.acodm.config.ConfigTree;
import org.acodm.config.ConfigWriter;
import org.acodm.config.Doc;
import org.acodm.config.Key;
import java.util.Map;

/**
 * The domain-mixing policy and its settings. Each method's settings live under its own key and are bound
 * to that method's record (in org.acodm.mixing) with {@code tree.bind("mixing." + method.key(), ...)};
 * here they are kept as free-form mappings so that this section does not depend on the policies.
 */
public record MixingSection(
        @Doc("Mixing policy: static, odm, doge, acodm (DDPG agent trained on this run), frozen_actor (a saved AC-ODM actor drives this run).") Method method,
        @Key("static") @Doc("Settings of the static policy (its weights, keyed by domain name).") Map<String, Object> staticSettings,
        @Key("odm") @Doc("Settings of ODM (online data mixing, smoothed-mean bandit).") Map<String, Object> odm,
        @Key("doge") @Doc("Settings of DoGE (gradient-alignment domain reweighting).") Map<String, Object> doge,
        @Key("acodm") @Doc("Settings of AC-ODM (DDPG actor-critic).") Map<String, Object> acodm,
        @Key("frozen_actor") @Doc("Settings of the frozen actor (the saved AC-ODM actor to load).") Map<String, Object> frozenActor) {

    /** Mixing policies; {@link #key()} is both the YAML value of {@code method} and the key of its settings. */
    public enum Method {
        STATIC, ODM, DOGE, ACODM, FROZEN_ACTOR;

        public String key() { return ConfigWriter.enumName(this); }

        /** Baselines are what AC-ODM is compared against in reports. */
        public boolean isBaseline() { return this != ACODM && this != FROZEN_ACTOR; }
    }

    public MixingSection {
        staticSettings = staticSettings == null ? Map.of() : staticSettings;
        odm = odm == null ? Map.of() : odm;
        doge = doge == null ? Map.of() : doge;
        acodm = acodm == null ? Map.of() : acodm;
        frozenActor = frozenActor == null ? Map.of() : frozenActor;
    }

    public static MixingSection defaults() {
        return new MixingSection(Method.STATIC, Map.of(), Map.of(), Map.of(), Map.of(), Map.of());
    }

    /** The dotted key of the selected method's settings, for {@code ConfigTree.bind}. */
    public String settingsKey() { return "mixing." + method.key(); }

    /** The raw settings of {@code m}. */
    public Map<String, Object> settings(Method m) {
        return switch (m) {
            case STATIC -> staticSettings;
            case ODM -> odm;
            case DOGE -> doge;
            case ACODM -> acodm;
            case FROZEN_ACTOR -> frozenActor;
        };
    }

    /** A copy with {@code m}'s settings replaced, e.g. by the bound record written back with {@link ConfigWriter#toMap}. */
    public MixingSection withSettings(Method m, Map<String, Object> settings) {
        return new MixingSection(method,
                m == Method.STATIC ? settings : staticSettings,
                m == Method.ODM ? settings : odm,
                m == Method.DOGE ? settings : doge,
                m == Method.ACODM ? settings : acodm,
                m == Method.FROZEN_ACTOR ? settings : frozenActor);
    }
}
