package org.acodm.mixing;

import java.util.Map;
import org.acodm.config.ConfigErrors;
import org.acodm.config.Default;
import org.acodm.config.Doc;
import org.acodm.config.Sections;
import org.acodm.config.Validated;

/** Section {@code mixing.alignment}: the regularised objective's closed-form optimum, no networks. */
@Doc("Alignment (closed form): alpha = floor(softmax(log prior + rbar / temperature)) from the smoothed domain scores rbar")
public record AlignmentConfig(
        @Default("0.5") @Doc("temperature tau: the weights are prior * exp(rbar / tau), normalised") double temperature,
        @Default("0.9") @Doc("rho of the smoothed scores rbar_i <- rho rbar_i + (1 - rho) z(W)_i over the domains present") double rewardSmoothing,
        @Default("alignment") @Doc("domain scores W: alignment (gradient alignment from S, as AC-ODM) or loss (ODM's exp(loss))") RewardSource rewardSource,
        @Default("3") @Doc("number of reward layers (the last even layers' mlp.dense_4h_to_h weights) S is computed over") int rewardLayers,
        @Default("true") @Doc("weight floor alpha <- (1 - K eps_t) alpha + eps_t with ODM's eps_t, as AC-ODM") boolean weightFloor,
        @Default("uniform") @Doc("prior pi: uniform, natural (proportional to train tokens), file or map") WeightSource priorSource,
        @Default("") @Doc("YAML weight map when prior_source is file") String priorFile,
        @Default("{}") @Doc("inline weight map when prior_source is map (every weight > 0)") Map<String, Double> priorWeights) implements Validated {

    public static AlignmentConfig defaults() {
        return Sections.defaults(AlignmentConfig.class);
    }

    /** These settings with another value of {@code key} (a YAML key, e.g. {@code temperature}). */
    public AlignmentConfig with(String key, Object value) {
        return Sections.with(this, key, value);
    }

    @Override public void validate(ConfigErrors e) {
        e.check(temperature > 0 && Double.isFinite(temperature), "temperature", "must be > 0, got " + temperature);
        e.check(rewardSmoothing >= 0 && rewardSmoothing < 1, "reward_smoothing", "must be in [0, 1), got " + rewardSmoothing);
        e.check(rewardSource != null, "reward_source", "must be alignment or loss");
        e.check(rewardLayers >= 1, "reward_layers", "must be >= 1, got " + rewardLayers);
    }
}
