package org.acodm.data;

/**
 * The windows of one step, ready for the native train step: {@code tokens} holds {@code batchSize} rows of
 * {@code windowLength} (= T + 1) ids, row-major; {@code domains[i]} is the domain of row i as an index into the
 * sampler's {@link DomainSelection} (the run's order; the manifest's id when it samples every domain);
 * {@code starts[i]} the row's first token in its domain's stream (for logs and tests).
 */
public record SampledBatch(int[] tokens, int[] domains, long[] starts, int batchSize, int windowLength) {
    /** Row {@code i} as a new array. */
    public int[] row(int i) {
        int[] r = new int[windowLength];
        System.arraycopy(tokens, i * windowLength, r, 0, windowLength);
        return r;
    }
}
