package org.acodm.data;


import java.io.IOException;
import java.util.Arrays;
import java.util.List;
import org.acodm.config.Mappers;

/**
 * Draws a step's training windows from the domain mixture over a {@link DomainSelection}: weights and the drawn
 * domains are indices into the selection (a run's domains in its order). For every micro-batch (or window) a
 * domain is drawn from the weights, then every window of it gets a start uniform over the domain's token stream (the
 * shard's documents back to back, each ending with the end-of-document token). The stream is read as a
 * cycle, so a start near the end wraps to the beginning: every start is equally likely and even a domain
 * shorter than one window can be sampled.
 *
 * <p>Nothing here is mutable: a draw is a pure function of (seed, step, rank, weights) through
 * {@link CounterRandom}, so a resumed run, or a rerun, draws exactly the same windows. The saved
 * {@link SamplerState} is the configuration plus the identity of the data, checked on restore.
 */
public final class MixtureSampler {
    private static final int PURPOSE_DOMAIN = 1;
    private static final int PURPOSE_START = 2;

    private final DomainSelection domains;
    private final SamplerConfig config;

    /** A sampler over every domain of {@code shards}, in the manifest's order (weights and domains by domain id). */
    public MixtureSampler(DomainShards shards, SamplerConfig config) {
        this(shards.all(), config);
    }

    public MixtureSampler(DomainSelection domains, SamplerConfig config) {
        this.domains = domains;
        this.config = config;
        if (config.forceEachDomain()) {
            int nonEmpty = forcedDomains().length;
            if (nonEmpty > config.microBatches())
                throw new IllegalArgumentException("forceEachDomain needs at least one micro-batch per domain: " + nonEmpty
                        + " domains but " + config.microBatches() + " micro-batches per step");
        }
    }

    public SamplerConfig config() { return config; }

    /** Draws the windows of {@code step} for {@code rank}; weights and the batch's domains index the sampler's selection. */
    public SampledBatch sample(long step, int rank, double[] weights) {
        return draw(step, rank, weights, 0, config.batchSize());
    }

    /**
     * Windows {@code first .. first + count - 1} of {@code step}'s global batch: what one data-parallel rank trains.
     * Every slot is drawn as {@code sample(step, 0, weights)} draws it, so the windows of a step do not depend on how
     * many ranks share it.
     */
    public SampledBatch sampleSlice(long step, double[] weights, int first, int count) {
        if (first < 0 || count < 1 || first + count > config.batchSize())
            throw new IllegalArgumentException("windows " + first + " .. " + (first + count - 1) + " are outside a batch of " + config.batchSize());
        return draw(step, 0, weights, first, count);
    }

    private SampledBatch draw(long step, int rank, double[] weights, int first, int count) {
        int[] all = drawDomains(step, rank, weights);
        int[] domains = Arrays.copyOfRange(all, first, first + count);
        int w = config.windowLength();
        int[] tokens = new int[count * w];
        long[] starts = new long[count];
        for (int i = 0; i < count; i++) {
            IndexedDataset d = this.domains.dataset(domains[i]);
            long n = d.tokens();
            long start = CounterRandom.SAMPLER.below(n, config.seed(), step, rank, first + i, PURPOSE_START);
            starts[i] = start;
            readCyclic(d, start, tokens, i * w, w);
        }
        return new SampledBatch(tokens, domains, starts, count, w);
    }

    /** The domain (index into the selection) of each window of {@code step} for {@code rank}, without reading tokens. */
    public int[] drawDomains(long step, int rank, double[] weights) {
        double[] cum = cumulative(weights);
        int[] order = domains.drawOrder();
        int[] out = new int[config.batchSize()];
        int mb = config.microBatchSize();
        int[] forced = config.forceEachDomain() ? forcedDomains() : new int[0];
        for (int m = 0; m < config.microBatches(); m++) {
            int domain = m < forced.length ? forced[m]
                    : order[pick(cum, CounterRandom.unit(CounterRandom.SAMPLER.bits(config.seed(), step, rank, m, PURPOSE_DOMAIN)))];
            Arrays.fill(out, m * mb, (m + 1) * mb, domain);
        }
        return out;
    }

    /** The domains with training tokens, in draw order: the first micro-batches of a step when forceEachDomain. */
    private int[] forcedDomains() {
        return Arrays.stream(domains.drawOrder()).filter(j -> domains.tokens(j) > 0).toArray();
    }

    /** Cumulative weights in draw order (the manifest's), so that the draw does not depend on the run's order. */
    private double[] cumulative(double[] weights) {
        int k = domains.size();
        if (weights.length != k)
            throw new IllegalArgumentException(weights.length + " weights for " + k + " domains " + domains.domains());
        int[] order = domains.drawOrder();
        double[] cum = new double[k];
        double sum = 0;
        for (int r = 0; r < k; r++) {
            int j = order[r];
            double w = weights[j];
            if (!(w >= 0) || Double.isInfinite(w))
                throw new IllegalArgumentException("weight of domain " + domains.domains().get(j) + " is " + w + ", expected a finite value >= 0");
            if (w > 0 && domains.tokens(j) == 0)
                throw new IllegalArgumentException("domain " + domains.domains().get(j) + " has weight " + w + " but no tokens in the "
                        + domains.shards().split() + " split");
            sum += w;
            cum[r] = sum;
        }
        if (!(sum > 0)) throw new IllegalArgumentException("domain weights sum to " + sum + ", expected a positive sum");
        return cum;
    }

    /** The first domain whose cumulative weight exceeds {@code u * total}; zero-weight domains can never be it. */
    private static int pick(double[] cum, double u) {
        double x = u * cum[cum.length - 1];
        int lo = 0;
        int hi = cum.length - 1;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (cum[mid] > x) hi = mid; else lo = mid + 1;
        }
        return lo;
    }

    /** Reads {@code length} tokens from {@code start}, wrapping past the end of the stream to its beginning. */
    static void readCyclic(IndexedDataset d, long start, int[] dst, int offset, int length) {
        long n = d.tokens();
        while (length > 0) {
            int k = (int) Math.min(length, n - start);
            d.read(start, dst, offset, k);
            offset += k;
            length -= k;
            start = 0;
        }
    }

    /** The state to save in a checkpoint: the configuration and the identity of the data it draws from. */
    public SamplerState state() {
        DomainShards shards = domains.shards();
        return new SamplerState(SamplerState.VERSION, config, shards.split().dirName(), shards.domains(), shards.tokenCounts());
    }

    /** A sampler that draws exactly what the saved one did, after checking {@code shards} hold the same data. */
    public static MixtureSampler restore(SamplerState state, DomainShards shards) {
        if (state.version() != SamplerState.VERSION)
            throw new IllegalArgumentException("sampler state version " + state.version() + ", expected " + SamplerState.VERSION);
        if (!state.split().equals(shards.split().dirName()) || !state.domains().equals(shards.domains())
                || !Arrays.equals(state.tokens(), shards.tokenCounts()))
            throw new IllegalArgumentException("the saved sampler drew from other data (split " + state.split() + ", domains "
                    + state.domains() + ", tokens " + Arrays.toString(state.tokens()) + ") than " + shards.directory()
                    + " holds; resuming on it would not reproduce the run");
        return new MixtureSampler(shards, state.config());
    }

    /** Saved form of a sampler; JSON through {@link #toJson()} / {@link #fromJson(String)}. */
    public record SamplerState(int version, SamplerConfig config, String split, List<String> domains, long[] tokens) {
        public static final int VERSION = 1;
        public String toJson() {
            try {
                return Mappers.JSON.writeValueAsString(this);
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }

        public static SamplerState fromJson(String json) throws IOException {
            return Mappers.JSON.readValue(json, SamplerState.class);
        }
    }
}
