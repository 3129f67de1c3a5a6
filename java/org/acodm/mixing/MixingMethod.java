package org.acodm.mixing;

import org.acodm.config.ConfigWriter;
import org.acodm.config.DescribedConstant;

/**
 * The mixing methods, one registration each: the YAML key (the value of {@code mixing.method} and the key of its
 * settings, {@code mixing.KEY}), the settings record bound there, the factory that builds the policy, and the
 * lines of the reference page. A new method is a new constant here (plus its settings record and policy); the
 * config section ({@link MixingSection}), the policy factory and docs/config.md follow from it.
 */
public enum MixingMethod implements DescribedConstant {
    STATIC("", "Settings of the static policy (its weights, keyed by domain name).", StaticConfig.class, StaticPolicy::create),
    ODM("", "Settings of ODM (online data mixing, smoothed-mean bandit).", OdmConfig.class, OdmPolicy::create),
    DOGE("", "Settings of DoGE (gradient-alignment domain reweighting).", DogeConfig.class, DogePolicy::create),
    ALIGNMENT("closed-form optimum of AC-ODM's regularised objective, no networks",
            "Settings of the closed-form alignment method (softmax of the smoothed domain scores).", AlignmentConfig.class, AlignmentPolicy::create),
    ACODM("DDPG agent trained on this run", "Settings of AC-ODM (DDPG actor-critic).", AcOdmConfig.class, AcOdmPolicy::create),
    FROZEN_ACTOR("a saved AC-ODM actor drives this run", "Settings of the frozen actor (the saved AC-ODM actor to load).",
            FrozenActorConfig.class, FrozenActorPolicy::create);

    /** Builds a method's policy from its bound settings. */
    @FunctionalInterface
    public interface Factory<S> {
        MixingPolicy create(S settings, PolicyContext context);
    }

    private final String summary;
    private final String keyDoc;
    private final Class<?> settingsClass;
    private final Factory<Object> factory;

    <S> MixingMethod(String summary, String keyDoc, Class<S> settingsClass, Factory<S> factory) {
        this.summary = summary;
        this.keyDoc = keyDoc;
        this.settingsClass = settingsClass;
        this.factory = (settings, context) -> factory.create(settingsClass.cast(settings), context);
    }

    /** The YAML name: {@code acodm}, {@code frozen_actor}. */
    public String key() { return ConfigWriter.enumName(this); }

    /** The record {@code mixing.KEY} binds to. */
    public Class<?> settingsClass() { return settingsClass; }

    /** The policy for {@code settings} (an instance of {@link #settingsClass()}). */
    public MixingPolicy create(Object settings, PolicyContext context) { return factory.create(settings, context); }

    @Override public String summary() { return summary; }
    @Override public String keyDoc() { return keyDoc; }
}
