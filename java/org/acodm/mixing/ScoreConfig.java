package org.acodm.mixing;

import java.util.List;
import org.acodm.config.ConfigErrors;
import org.acodm.config.Default;
import org.acodm.config.Doc;
import org.acodm.config.Sections;
import org.acodm.config.Validated;

/**
 * The {@code scores} subsection shared by {@code mixing.alignment} and {@code mixing.acodm}: how the per-step domain
 * signal becomes the scores both methods act on ({@link DomainSignal}, one implementation for both).
 */
@Doc("Each step's signal W is accumulated into the scores; the default reports each domain's advantage over the current mixture, shrunk by its standard error.")
public record ScoreConfig(
        @Default("advantage") @Doc("advantage: raw dimensionless W accumulated with forgetting, each domain's advantage over the current mixture shrunk by its standard error (no signal: the prior); zscore: the paper's per-step z(W), smoothed by an EMA (unit variance whatever a step carries)") ScoreMethod method,
        @Default("others") @Doc("what a domain's gradient is scored against: others (the paper: the other domains present), all (self included: first-order progress on the mean of the domain losses, the self term per self_term) or domains (target_domains)") AlignmentTarget target,
        @Default("[]") @Doc("the target domains when target is domains (names of this run's domains)") List<String> targetDomains,
        @Default("split") @Doc("how a domain's own S_ii enters when it is one of its targets (target all, or domains naming it); split: <g_iA, g_iB> of two halves of its windows in a step, free of their noise, accumulated apart and weighted 1/|targets| (needs method advantage; zscore reads S_ii directly); direct: S_ii = |g_i|^2 as measured, which carries the windows' noise tr(Sigma_i)/n_i") SelfTerm selfTerm,
        @Default("0.995") @Doc("advantage: weight of the past per informative step in the accumulated W and its spread (1: no forgetting)") double forgetting,
        @Default("true") @Doc("advantage: shrink each advantage by v / (v + SE_i^2), v the between-domain variance beyond noise; false uses the raw advantages") boolean shrinkage,
        @Default("0.9") @Doc("zscore: rho of the smoothed scores rbar_i <- rho rbar_i + (1 - rho) z(W)_i over the domains present; 0: the per-step z(W) (paper)") double smoothing,
        @Default("false") @Doc("zscore: apply the paper's importance smoothing r_i <- xi r_i + (1 - xi) W_i / alpha_i before the z-score") boolean importance,
        @Default("0.9") @Doc("zscore: xi of the importance smoothing") double importanceSmoothing) implements Validated {

    public ScoreConfig {
        targetDomains = targetDomains == null ? List.of() : List.copyOf(targetDomains);
    }

    public static ScoreConfig defaults() {
        return Sections.defaults(ScoreConfig.class);
    }

    /** These settings with another value of {@code key} (a YAML key, e.g. {@code method}). */
    public ScoreConfig with(String key, Object value) {
        return Sections.with(this, key, value);
    }

    @Override public void validate(ConfigErrors e) {
        e.check(method != null, "method", "must be advantage or zscore");
        e.check(target != null, "target", "must be others, all or domains");
        e.check(selfTerm != null, "self_term", "must be split or direct");
        e.check(target != AlignmentTarget.DOMAINS || !targetDomains.isEmpty(), "target_domains", "must name at least one domain when target is domains");
        e.check(target == AlignmentTarget.DOMAINS || targetDomains.isEmpty(), "target_domains",
                "is set but target is " + (target == null ? null : target.name().toLowerCase(java.util.Locale.ROOT)) + "; set target: domains to use it");
        e.check(forgetting > 0 && forgetting <= 1, "forgetting", "must be in (0, 1], got " + forgetting);
        e.check(smoothing >= 0 && smoothing < 1, "smoothing", "must be in [0, 1), got " + smoothing);
        e.check(importanceSmoothing >= 0 && importanceSmoothing < 1, "importance_smoothing", "must be in [0, 1), got " + importanceSmoothing);
        e.check(!importance || method == ScoreMethod.ZSCORE, "importance", "is the paper's smoothing before the z-score; it needs method: zscore");
    }
}
