package org.acodm.mixing;

import java.util.Map;
import org.acodm.config.ConfigErrors;
import org.acodm.config.Default;
import org.acodm.config.Doc;
import org.acodm.config.Sections;
import org.acodm.config.Validated;

/** Section {@code mixing.alignment}: the regularised objective's closed-form optimum, no networks. */
@Doc("Alignment (closed form): alpha = floor(softmax(log prior + rbar / temperature)) from the domain scores rbar")
public record AlignmentConfig(
        @Default("0.15") @Doc("temperature tau: the weights are prior * exp(rbar / tau), normalised; how strongly to follow a score once the noise is discounted") double temperature,
        @Doc("The domain scores rbar the weights follow; the same keys and implementation as mixing.acodm.scores (docs/mixing.md, \"Domain scores\").") ScoreConfig scores,
        @Default("alignment") @Doc("domain signal W: alignment (gradient alignment from S, as AC-ODM) or loss (ODM's exp(loss))") RewardSource rewardSource,
        @Default("3") @Doc("number of reward layers (the last even layers' mlp.dense_4h_to_h weights) S is computed over") int rewardLayers,
        @Default("fixed") @Doc("weight floor alpha <- (1 - K eps) a + eps: fixed (eps = floor_share / K), odm (ODM's eps_t schedule) or none") FloorSchedule floor,
        @Default("0.2") @Doc("the fixed floor as a share of the uniform weight: eps = floor_share / K, so every deviation from the prior keeps 1 - floor_share of its size whatever K (0.2: eps 0.022 for 9 domains)") double floorShare,
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

    /** These settings with another value of {@code key} of the {@code scores} subsection (e.g. {@code method}). */
    public AlignmentConfig withScores(String key, Object value) {
        return Sections.with(this, "scores", scores.with(key, value));
    }

    @Override public void validate(ConfigErrors e) {
        e.check(temperature > 0 && Double.isFinite(temperature), "temperature", "must be > 0, got " + temperature);
        e.check(rewardSource != null, "reward_source", "must be alignment or loss");
        e.check(rewardLayers >= 1, "reward_layers", "must be >= 1, got " + rewardLayers);
        e.check(floor != null, "floor", "must be fixed, odm or none");
        e.check(floorShare >= 0 && floorShare < 1, "floor_share", "must be in [0, 1), got " + floorShare);
    }
}
