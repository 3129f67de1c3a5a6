package org.acodm.mixing;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * The per-domain scores the closed-form {@code alignment} method and AC-ODM act on, one implementation for both. Each
 * step: the raw signal W ({@link DomainScores}: gradient alignment against a target set, or ODM's exp(loss)), then the
 * estimate of the configured {@link ScoreMethod}: {@link AdvantageEstimate} (default: accumulated raw W, advantage over
 * the current mixture, shrunk by its standard error) or {@link ZScoreEstimate} (the paper's per-step z(W), smoothed).
 *
 * <p>A step with fewer than two domains present carries no alignment information (one gradient alone aligns with
 * nothing); such a step, one the estimate cannot use (the z-score needs three scored domains), and one whose signal is
 * not finite leave every score as it was.
 */
final class DomainSignal {
    /** What one step did to the scores. */
    enum Outcome {
        /** The step's signal was folded into the scores. */
        USED,
        /** Too few domains to compare: nothing to learn from. */
        DEGENERATE,
        /** A score was not finite (a diverging loss or gradient): the step is skipped. */
        NOT_FINITE
    }

    private final int k;
    private final RewardSource source;
    private final ScoreConfig config;
    private final boolean[] targets;  // the target set of AlignmentTarget.DOMAINS
    private final ScoreEstimate estimate;
    private final boolean split;  // the self term from the split halves (alignment source, settings that split it)

    /**
     * @param section the config section the settings came from ({@code mixing.acodm.scores}), for error messages
     * @throws IllegalArgumentException when a target domain is not one of {@code domains}
     */
    DomainSignal(List<String> domains, RewardSource source, ScoreConfig config, String section) {
        if (source == null) throw new IllegalArgumentException("reward source is required");
        this.k = domains.size();
        this.source = source;
        this.config = Configs.check(config, section);
        this.targets = new boolean[k];
        List<String> unknown = new ArrayList<>();
        for (String d : config.targetDomains()) {
            int i = domains.indexOf(d);
            if (i < 0) unknown.add(d);
            else targets[i] = true;
        }
        if (!unknown.isEmpty())
            throw new IllegalArgumentException(section + ".target_domains: " + unknown + " are not domains of this run " + domains);
        this.split = source == RewardSource.ALIGNMENT && splitSelf(config);
        this.estimate = config.method() == ScoreMethod.ADVANTAGE ? new AdvantageEstimate(k, config, split) : new ZScoreEstimate(k, config);
    }

    /** True when the scores need the alignment matrix S. */
    boolean needsAlignment() { return source == RewardSource.ALIGNMENT; }

    /** True when the scores need the split halves' products: a self term of the advantage estimate, split. */
    boolean needsSplitAlignment() { return split; }

    /** Whether these settings split the self term (target all or domains, self_term split, method advantage). */
    static boolean splitSelf(ScoreConfig c) {
        return c.method() == ScoreMethod.ADVANTAGE && c.selfTerm() == SelfTerm.SPLIT && c.target() != AlignmentTarget.OTHERS;
    }

    ScoreConfig config() { return config; }

    /** Scores the step of {@code o}, which ran with the weights {@code alpha}. */
    Outcome observe(StepObservation o, double[] alpha) {
        DomainScores step;
        if (source == RewardSource.ALIGNMENT) {
            if (o.alignment() == null) throw new IllegalArgumentException("step " + o.step() + " has no alignment matrix S");
            int present = 0;
            for (int i = 0; i < k; i++) if (o.present(i)) present++;
            if (present < 2) return Outcome.DEGENERATE;
            step = DomainScores.alignment(o.alignment(), o, config.target(), targets, split ? SelfTerm.SPLIT : SelfTerm.DIRECT);
        } else {
            step = DomainScores.loss(o);
        }
        if (!step.finite()) return Outcome.NOT_FINITE;
        return estimate.fold(step, alpha);
    }

    /** The scores the objective acts on while the mixture is {@code alpha} (a new array). */
    double[] scores(double[] alpha) { return estimate.scores(alpha); }

    double[] standardErrors() { return estimate.standardErrors(); }

    double signalVariance() { return estimate.signalVariance(); }

    /**
     * What {@link #save} keeps: the signal's settings, checked on restore, and its estimate's state. {@code selfTerm} is
     * null in state saved before the split self term, whose self term was direct.
     */
    record Saved(RewardSource source, ScoreMethod method, AlignmentTarget target, SelfTerm selfTerm, JsonNode estimate) {}

    Saved save() { return new Saved(source, config.method(), config.target(), config.selfTerm(), estimate.save()); }

    void restore(Saved s) throws IOException {
        if (s == null) throw new IOException("the saved domain scores are missing");
        if (s.source() != source) throw new IOException("saved domain scores come from " + s.source() + ", this run's from " + source);
        if (s.method() != config.method() || s.target() != config.target())
            throw new IOException("saved domain scores are " + s.method() + " against " + s.target() + ", this run's " + config.method()
                    + " against " + config.target());
        boolean savedSplit = s.source() == RewardSource.ALIGNMENT && s.selfTerm() == SelfTerm.SPLIT && s.method() == ScoreMethod.ADVANTAGE
                && s.target() != AlignmentTarget.OTHERS;
        if (savedSplit != split)
            throw new IOException("saved domain scores take the self term " + (savedSplit ? "split" : "direct") + ", this run's "
                    + (split ? "split" : "direct") + " (scores.self_term)");
        estimate.restore(s.estimate());
    }
}
