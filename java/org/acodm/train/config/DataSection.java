package org.acodm.train.config;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.acodm.config.ConfigErrors;
import org.acodm.config.Default;
import org.acodm.config.Doc;
import org.acodm.config.Sections;
import org.acodm.config.Validated;

/** The prepared corpus and how a step's batch is cut from it. */
public record DataSection(
        @Doc("Directory written by `acodm prepare` (manifest.json and train/val/test shards); relative paths resolve against the working directory. Required.") String path,
        @Default("256") @Doc("Tokens per training window T (each window reads T + 1 tokens: inputs and shifted targets).") int seqLen,
        @Default("8") @Doc("Windows per optimizer step B (global batch).") int batchSize,
        @Default("1") @Doc("Gradient-accumulation micro-batches per step; must divide batch_size.") int microBatches,
        @Default("micro_batch") @Doc("What one domain draw covers: window (each window draws its domain) or micro_batch (all windows of a micro-batch share one).") DomainGranularity domainGranularity,
        @Default("[]") @Doc("Domains to train on, in this order (names as in manifest.json); empty means every domain of the manifest, in its order.") List<String> domains,
        @Default("16") @Doc("Validation windows per domain for each evaluation (fixed for the whole run).") int evalWindowsPerDomain,
        @Default("false") @Doc("Give every domain one micro-batch of each step (one window with domain_granularity: window) and draw only the rest from the weights, as the released AC-ODM code batches: every domain's loss and gradient is fresh at every step. Needs at least as many micro-batches (windows) per step as domains.") boolean forceEachDomain)
        implements Validated {

    /** See {@code domain_granularity}. */
    public enum DomainGranularity { WINDOW, MICRO_BATCH }

    public DataSection {
        domains = domains == null ? List.of() : List.copyOf(domains);
    }

    public static DataSection defaults() {
        return Sections.defaults(DataSection.class);
    }

    /** Windows per micro-batch. */
    public int microBatchSize() { return batchSize / microBatches; }

    @Override public void validate(ConfigErrors errors) {
        errors.check(path != null && !path.isBlank(), "path", "is required: the directory written by `acodm prepare`");
        errors.check(seqLen >= 1, "seq_len", "must be >= 1, got " + seqLen);
        errors.check(batchSize >= 1, "batch_size", "must be >= 1, got " + batchSize);
        if (microBatches < 1) errors.add("micro_batches", "must be >= 1, got " + microBatches);
        else if (batchSize >= 1 && batchSize % microBatches != 0)
            errors.add("micro_batches", microBatches + " does not divide batch_size " + batchSize);
        if ((long) batchSize * (seqLen + 1L) > Integer.MAX_VALUE)
            errors.add("batch_size", "batch_size * (seq_len + 1) = " + (long) batchSize * (seqLen + 1L) + " tokens exceeds one step's limit of " + Integer.MAX_VALUE);
        errors.check(evalWindowsPerDomain >= 1, "eval_windows_per_domain", "must be >= 1, got " + evalWindowsPerDomain);
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < domains.size(); i++) {
            String d = domains.get(i);
            if (d == null || d.isBlank()) errors.add("domains[" + i + "]", "must be a domain name");
            else if (!seen.add(d)) errors.add("domains[" + i + "]", "'" + d + "' is listed twice");
        }
    }
}
