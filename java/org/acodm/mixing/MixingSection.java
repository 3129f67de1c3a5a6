package org.acodm.mixing;

import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.acodm.config.ConfigTree;
import org.acodm.config.Default;
import org.acodm.config.Doc;
import org.acodm.config.KeyPerConstant;
import org.acodm.config.Sections;
import org.acodm.data.Manifest;

/**
 * Section {@code mixing}: the method ({@code mixing.method}) and, under {@code mixing.METHOD}, each method's
 * settings. Both follow from {@link MixingMethod}: one key per registered method, kept here as the free-form
 * mapping the user wrote and bound to that method's settings record when the run starts ({@link #bindSettings}),
 * so that a resolved config records exactly what was written.
 */
public record MixingSection(
        @Default("static") @Doc("Mixing policy: {choices}.") MixingMethod method,
        @Default("{}") @KeyPerConstant Map<MixingMethod, Map<String, Object>> settings) {

    /** The key of this section in a run config. */
    public static final String KEY = "mixing";

    public MixingSection {
        Map<MixingMethod, Map<String, Object>> all = new EnumMap<>(MixingMethod.class);
        for (MixingMethod m : MixingMethod.values()) {
            Map<String, Object> s = settings == null ? null : settings.get(m);
            all.put(m, s == null ? Map.of() : s);
        }
        settings = Collections.unmodifiableMap(all);
    }

    public static MixingSection defaults() {
        return Sections.defaults(MixingSection.class);
    }

    /** The dotted key of {@code m}'s settings ({@code mixing.acodm}), for {@code ConfigTree.bind}. */
    public static String settingsKey(MixingMethod m) { return KEY + "." + m.key(); }

    /** The dotted key of the selected method's settings. */
    public String settingsKey() { return settingsKey(method); }

    /** The settings of {@code m} as written (empty when the config has none). */
    public Map<String, Object> settings(MixingMethod m) { return settings.get(m); }

    /** A copy with {@code m}'s settings replaced. */
    public MixingSection withSettings(MixingMethod m, Map<String, Object> replacement) {
        Map<MixingMethod, Map<String, Object>> s = new EnumMap<>(settings);
        s.put(m, replacement);
        return new MixingSection(method, s);
    }

    /** Binds (and so validates) the selected method's settings at {@link #settingsKey()} to its record, building nothing. */
    public Object bindSettings(ConfigTree tree) {
        return tree.bind(settingsKey(), method.settingsClass());
    }

    /** The run's policy: the selected method's settings bound from {@code tree} and handed to its factory. */
    public MixingPolicy createPolicy(ConfigTree tree, List<String> domains, Manifest manifest, long totalSteps, long seed) {
        PolicyContext context = new PolicyContext(tree, settingsKey(), domains, manifest, totalSteps, seed);
        return method.create(bindSettings(tree), context);
    }
}
