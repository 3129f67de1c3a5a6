package org.acodm.data;

import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The memory-mapped shards of one split of a prepared directory, indexed by domain id (the manifest's
 * domain order). A domain absent from this split has no dataset and zero tokens.
 */
public final class DomainShards implements Closeable {
    private final Path dir;
    private final Split split;
    private final Manifest manifest;
    private final IndexedDataset[] datasets;

    private DomainShards(Path dir, Split split, Manifest manifest, IndexedDataset[] datasets) {
        this.dir = dir;
        this.split = split;
        this.manifest = manifest;
        this.datasets = datasets;
    }

    /**
     * Opens every domain shard of {@code split} under {@code dir} and checks it against the manifest. A split with no
     * document is refused ({@link Manifest#requireSplit}): a run on data without val failed only at its first eval.
     */
    public static DomainShards open(Path dir, Split split) throws IOException {
        Manifest m = Manifest.read(dir);
        IndexedDataset[] ds = new IndexedDataset[m.domains().size()];
        Map<String, Manifest.DomainStats> stats = m.requireSplit(split, dir);
        for (int i = 0; i < ds.length; i++) {
            Manifest.DomainStats st = stats.get(m.domains().get(i));
            if (st == null) continue;
            IndexedDataset d = IndexedDataset.open(dir.resolve(st.shard()));
            if (d.tokens() != st.tokens() || d.documents() != st.documents())
                throw new CorpusFormatException(dir.resolve(st.shard() + ".idx"), 0, d.tokens() + " tokens in " + d.documents()
                        + " documents, but manifest.json says " + st.tokens() + " in " + st.documents() + " (shards and manifest are from different runs)");
            ds[i] = d;
        }
        return new DomainShards(dir, split, m, ds);
    }

    public Manifest manifest() { return manifest; }

    public Split split() { return split; }

    public Path directory() { return dir; }

    /** Domain names; the index is the domain id. */
    public List<String> domains() { return manifest.domains(); }

    public int domainCount() { return datasets.length; }

    /** The shard of domain {@code id}, or {@code null} when this split has none. */
    public IndexedDataset dataset(int id) { return datasets[id]; }

    public long tokens(int id) { return datasets[id] == null ? 0 : datasets[id].tokens(); }

    /** Token counts of every domain, in id order. */
    public long[] tokenCounts() {
        long[] t = new long[datasets.length];
        for (int i = 0; i < t.length; i++) t[i] = tokens(i);
        return t;
    }

    /** Every domain, in the manifest's order (index = domain id). */
    public DomainSelection all() { return DomainSelection.of(this, domains()); }

    /** {@code runDomains} in their order (index j = runDomains[j]); each must be a domain of the manifest. */
    public DomainSelection select(List<String> runDomains) { return DomainSelection.of(this, runDomains); }

    /**
     * A weight vector in domain-id order from a map keyed by domain name (DoReMi's format). Every name must be
     * a domain of the manifest; a domain missing from the map gets weight 0.
     */
    public double[] weights(Map<String, ? extends Number> byName) {
        double[] w = new double[datasets.length];
        List<String> unknown = new ArrayList<>();
        for (Map.Entry<String, ? extends Number> e : byName.entrySet()) {
            int id = manifest.domainId(e.getKey());
            if (id < 0) unknown.add(e.getKey()); else w[id] = e.getValue().doubleValue();
        }
        if (!unknown.isEmpty())
            throw new IllegalArgumentException("unknown domain(s) " + unknown + " in the weights; the prepared domains are " + manifest.domains());
        return w;
    }

    @Override public void close() {
        for (IndexedDataset d : datasets) if (d != null) d.close();
    }
}
