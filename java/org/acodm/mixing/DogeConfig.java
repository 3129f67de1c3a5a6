package org.acodm.mixing;

import java.util.List;
import java.util.Map;
import org.acodm.config.ConfigErrors;
import org.acodm.config.Default;
import org.acodm.config.Doc;
import org.acodm.config.Sections;
import org.acodm.config.Validated;

/** Section {@code mixing.doge}: DoGE's online reweighting by gradient alignment. */
@Doc("DoGE: exponentiated update of the domain weights from the gradient-alignment matrix S")
public record DogeConfig(
        @Default("0.01") @Doc("mu: temperature of alpha <- softmax(log alpha + W / mu)") double mu,
        @Default("0.0") @Doc("reweighting rate lr_t; 0 uses the model's learning rate of the step (DoGE's choice)") double lr,
        @Default("5.0") @Doc("W is clipped to [0, clip * lr_t]") double clip,
        @Default("3") @Doc("number of layers S is computed over: the last ones of even depth (mlp.dense_4h_to_h weights)") int alignmentLayers,
        @Default("universal") @Doc("what a domain's gradient is scored against: universal (the other domains), mix (the step's mixture, the released default) or domains (target_domains)") DogeTarget target,
        @Default("[]") @Doc("the target domains when target is domains (names of this run's domains)") List<String> targetDomains,
        @Default("uniform") @Doc("initial weights: uniform, natural (proportional to train tokens), file or map") WeightSource initialSource,
        @Default("") @Doc("YAML weight map when initialSource is file") String initialFile,
        @Default("{}") @Doc("inline weight map when initialSource is map") Map<String, Double> initialWeights) implements Validated {

    public DogeConfig {
        targetDomains = targetDomains == null ? List.of() : List.copyOf(targetDomains);
    }

    public static DogeConfig defaults() {
        return Sections.defaults(DogeConfig.class);
    }

    /** These settings with another value of {@code key} (a YAML key, e.g. {@code target}). */
    public DogeConfig with(String key, Object value) {
        return Sections.with(this, key, value);
    }

    @Override public void validate(ConfigErrors errors) {
        errors.check(mu > 0, "mu", "must be > 0, got " + mu);
        errors.check(lr >= 0, "lr", "must be >= 0 (0: the model's learning rate), got " + lr);
        errors.check(clip > 0, "clip", "must be > 0, got " + clip);
        errors.check(alignmentLayers >= 1, "alignment_layers", "must be >= 1, got " + alignmentLayers);
        errors.check(target != null, "target", "must be universal, mix or domains");
        errors.check(target != DogeTarget.DOMAINS || (targetDomains != null && !targetDomains.isEmpty()), "target_domains",
                "must name at least one domain when target is domains");
        errors.check(target == DogeTarget.DOMAINS || targetDomains == null || targetDomains.isEmpty(), "target_domains",
                "is set but target is " + (target == null ? null : target.name().toLowerCase(java.util.Locale.ROOT)) + "; set target: domains to use it");
    }
}
