package org.acodm.data;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.stream.IntStream;

/**
 * The domains a run trains on, over the shards of one split, in the run's order: index j is the run's domain j
 * ({@code data.domains}), whatever its id in the manifest. The sampler takes weights and reports domains by this
 * index, so the trainer hands weights and domain ids between policy, sampler and engine without converting them.
 * Draws walk the domains in manifest order ({@link #drawOrder()}): listing the same domains in another order
 * renumbers them but draws the same windows.
 */
public final class DomainSelection {
    private final DomainShards shards;
    private final List<String> domains;
    private final int[] ids;
    private final int[] drawOrder;

    private DomainSelection(DomainShards shards, List<String> domains, int[] ids) {
        this.shards = shards;
        this.domains = List.copyOf(domains);
        this.ids = ids;
        this.drawOrder = IntStream.range(0, ids.length).boxed().sorted(Comparator.comparingInt(j -> ids[j])).mapToInt(j -> j).toArray();
    }

    /** {@code domains} of {@code shards}, in that order; each must be a domain of the manifest, listed once. */
    static DomainSelection of(DomainShards shards, List<String> domains) {
        int[] ids = new int[domains.size()];
        List<String> unknown = new ArrayList<>();
        for (int j = 0; j < ids.length; j++) {
            ids[j] = shards.manifest().domainId(domains.get(j));
            if (ids[j] < 0) unknown.add(domains.get(j));
        }
        if (!unknown.isEmpty())
            throw new IllegalArgumentException("unknown domain(s) " + unknown + "; the prepared domains are " + shards.domains());
        if (Arrays.stream(ids).distinct().count() != ids.length) throw new IllegalArgumentException("domains listed twice: " + domains);
        return new DomainSelection(shards, domains, ids);
    }

    public DomainShards shards() { return shards; }

    /** The domain names, index j = domain j. */
    public List<String> domains() { return domains; }

    public int size() { return ids.length; }

    /** The manifest's id of domain {@code j}. */
    public int manifestId(int j) { return ids[j]; }

    /** The shard of domain {@code j}, or {@code null} when this split has none. */
    public IndexedDataset dataset(int j) { return shards.dataset(ids[j]); }

    public long tokens(int j) { return shards.tokens(ids[j]); }

    /** The indices j in manifest order, the order in which the sampler lays out the weights it draws from. */
    int[] drawOrder() { return drawOrder; }
}
