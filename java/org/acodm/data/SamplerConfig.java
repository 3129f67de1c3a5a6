package org.acodm.data;

/**
 * What the sampler draws per step and rank: {@code batchSize} windows of {@code sequenceLength + 1} tokens
 * (inputs and shifted targets). With {@link Granularity#MICRO_BATCH} every run of {@code microBatchSize}
 * consecutive windows shares one domain (the per-domain gradients then come from whole micro-batches); with
 * {@link Granularity#WINDOW} each window draws its own. {@code forceEachDomain} gives the first micro-batches
 * one each to every domain with training tokens and draws only the rest from the weights (the released AC-ODM
 * code's batching, which keeps every domain's loss fresh).
 */
public record SamplerConfig(long seed, int batchSize, int sequenceLength, Granularity granularity, int microBatchSize, boolean forceEachDomain) {
    public enum Granularity { MICRO_BATCH, WINDOW }

    public SamplerConfig {
        if (batchSize < 1) throw new IllegalArgumentException("batchSize must be >= 1, got " + batchSize);
        if (sequenceLength < 1) throw new IllegalArgumentException("sequenceLength must be >= 1, got " + sequenceLength);
        if ((long) batchSize * (sequenceLength + 1L) > Integer.MAX_VALUE) throw new IllegalArgumentException("batchSize * (sequenceLength + 1) exceeds one Java array");
        if (granularity == null) throw new IllegalArgumentException("granularity is required");
        if (granularity == Granularity.WINDOW) microBatchSize = 1;
        if (microBatchSize < 1 || batchSize % microBatchSize != 0)
            throw new IllegalArgumentException("microBatchSize " + microBatchSize + " must divide batchSize " + batchSize);
    }

    /** One domain per window. */
    public static SamplerConfig perWindow(long seed, int batchSize, int sequenceLength) {
        return new SamplerConfig(seed, batchSize, sequenceLength, Granularity.WINDOW, 1, false);
    }

    /** One domain per micro-batch of {@code microBatchSize} windows. */
    public static SamplerConfig perMicroBatch(long seed, int batchSize, int sequenceLength, int microBatchSize) {
        return new SamplerConfig(seed, batchSize, sequenceLength, Granularity.MICRO_BATCH, microBatchSize, false);
    }

    public SamplerConfig withForceEachDomain(boolean force) {
        return new SamplerConfig(seed, batchSize, sequenceLength, granularity, microBatchSize, force);
    }

    public int microBatches() { return batchSize / microBatchSize; }

    public int windowLength() { return sequenceLength + 1; }
}
