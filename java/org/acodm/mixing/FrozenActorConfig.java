package org.acodm.mixing;

import org.acodm.config.ConfigErrors;
import org.acodm.config.Default;
import org.acodm.config.Doc;
import org.acodm.config.Sections;
import org.acodm.config.Validated;

/** Section {@code mixing.frozen_actor}: a saved AC-ODM actor drives this run, never updated, no reward computed. */
@Doc("Frozen actor: a proxy run's AC-ODM actor picks the weights of this run")
public record FrozenActorConfig(
        @Default("") @Doc("exported actor file, or the proxy run's directory (its actor.pt)") String actor,
        @Default("auto") @Doc("where the actor runs: cpu, cuda, cuda:N or auto") String device) implements Validated {

    public static FrozenActorConfig defaults() {
        return Sections.defaults(FrozenActorConfig.class);
    }

    @Override public void validate(ConfigErrors e) {
        e.check(actor != null && !actor.isBlank(), "actor", "must name an exported actor file or a proxy run directory");
        e.check(device != null && !device.isBlank(), "device", "must be cpu, cuda, cuda:N or auto");
    }
}
