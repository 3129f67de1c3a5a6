package org.acodm.train.config;

import org.acodm.config.ConfigErrors;
import org.acodm.config.Default;
import org.acodm.config.Doc;
import org.acodm.config.Sections;
import org.acodm.config.Validated;

/** Which GPT-NeoX shape to train. */
public record ModelSection(
        @Default("demo-proxy") @Doc("Native model config: a named shape (70m, 160m, 410m, 1b, tiny, demo-proxy, demo-target) optionally with overrides, e.g. 'tiny:layers=3,d_model=96'; keys and their bounds: layers 1-1024, d_model 1-65536, heads 1-1024 (dividing d_model), vocab 1-16777216, seq 1-1048576, rotary_pct 0-1, rotary_base > 0, dtype.") String config)
        implements Validated {

    public static ModelSection defaults() {
        return Sections.defaults(ModelSection.class);
    }

    @Override public void validate(ConfigErrors errors) {
        errors.check(config != null && !config.isBlank(), "config", "must name a model shape (e.g. 410m or demo-proxy)");
    }
}
