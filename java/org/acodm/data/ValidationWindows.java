package org.acodm.data;

import java.util.ArrayList;
import java.util.List;

/**
 * Fixed evaluation windows per domain, the same at every evaluation and in every run. Windows step by T, so
 * consecutive windows overlap by one token and every target token is scored once; when a domain has more
 * windows than {@code maxWindowsPerDomain}, that many are spread evenly over its stream. A domain shorter
 * than one window gets a single window read cyclically (some tokens repeat), so it is still evaluated.
 */
public final class ValidationWindows {
    /** The windows of one domain: {@code count} rows of {@code windowLength} ids, row-major. */
    public record DomainWindows(int domain, String name, int[] tokens, int count, int windowLength) {}

    private ValidationWindows() {}

    public static List<DomainWindows> build(DomainShards shards, int sequenceLength, int maxWindowsPerDomain) {
        if (sequenceLength < 1 || maxWindowsPerDomain < 1) throw new IllegalArgumentException("sequenceLength and maxWindowsPerDomain must be >= 1");
        int w = sequenceLength + 1;
        List<DomainWindows> out = new ArrayList<>();
        for (int id = 0; id < shards.domainCount(); id++) {
            IndexedDataset d = shards.dataset(id);
            long n = d == null ? 0 : d.tokens();
            long available = n < w ? (n == 0 ? 0 : 1) : (n - 1) / sequenceLength;
            int count = (int) Math.min(available, maxWindowsPerDomain);
            int[] tokens = new int[count * w];
            for (int k = 0; k < count; k++) {
                long start;
                if (available <= maxWindowsPerDomain) start = (long) k * sequenceLength;
                else start = count == 1 ? 0 : Math.round((double) k * (n - w) / (count - 1));
                MixtureSampler.readCyclic(d, start, tokens, k * w, w);
            }
            out.add(new DomainWindows(id, shards.domains().get(id), tokens, count, w));
        }
        return out;
    }
}
