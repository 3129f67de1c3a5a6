package org.acodm.mixing;

import org.acodm.config.ConfigErrors;
import org.acodm.config.Validated;

/** Validates a config record built in code the same way the loader validates one read from YAML. */
final class Configs {
    private Configs() {}

    static <T extends Validated> T check(T config, String section) {
        if (config == null) throw new IllegalArgumentException(section + ": no settings");
        ConfigErrors errors = ConfigErrors.detached(section);
        config.validate(errors.scope(section));
        errors.throwIfAny();
        return config;
    }
}
