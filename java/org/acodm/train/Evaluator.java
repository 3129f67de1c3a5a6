package org.acodm.train;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.acodm.data.DomainShards;
import org.acodm.data.Manifest;
import org.acodm.data.Split;
import org.acodm.data.ValidationWindows;
import org.acodm.engine.Model;
import org.acodm.engine.ProcessGroup;
import org.acodm.engine.StepResult;
import org.acodm.config.ConfigTree;
import org.acodm.train.config.RunConfig;

/**
 * Per-domain loss on fixed windows of the validation (or test) split (the same windows at every evaluation and in
 * every run), with perplexity and bits per byte. Bits per byte use each domain's bytes per token in that split,
 * so runs with different tokenizers compare. The run-level numbers are plain means over domains, as the
 * paper reports average perplexity across domains.
 */
public final class Evaluator {
    /**
     * @param windowLoss with a per-window evaluation, the mean token loss of each window of each domain ({@code
     *                   windowLoss[j][w]}, the windows in their fixed order); null otherwise
     */
    public record Result(double loss, double ppl, double bpb, String[] domains, double[] domainLoss, double[] domainPpl,
                  double[] domainBpb, double[][] windowLoss) {}

    private final List<ValidationWindows.DomainWindows> windows;
    private final List<String> domains;
    private final int[] manifestIds;
    private final double[] bytesPerToken;
    private final int batch;

    Evaluator(List<ValidationWindows.DomainWindows> windows, List<String> domains, int[] manifestIds, Manifest manifest,
              Split split, int batch) {
        this.windows = windows;
        this.domains = domains;
        this.manifestIds = manifestIds;
        this.batch = Math.max(1, batch);
        this.bytesPerToken = new double[domains.size()];
        var stats = manifest.split(split);
        for (int j = 0; j < domains.size(); j++) {
            Manifest.DomainStats st = stats.get(domains.get(j));
            // A domain of empty documents has tokens (end-of-document) but no bytes: no bits per byte, not Infinity.
            bytesPerToken[j] = st == null || st.tokens() == 0 || st.bytes() == 0 ? Double.NaN : (double) st.bytes() / st.tokens();
        }
    }

    /**
     * The evaluator a run of {@code cfg} uses for its checkpoint {@code ckpt}, on {@code split}: its domains, data.seq_len
     * windows, data.eval_windows_per_domain of them per domain, batches of data.batch_size. The windows are copied, so no
     * shard stays open. Refused when data.path was prepared again from other input since the checkpoint was written.
     */
    public static Evaluator forCheckpoint(RunConfig cfg, ConfigTree tree, Split split, Path ckpt) throws IOException {
        Path dataDir = RunData.directory(cfg, tree);
        TrainerState state = TrainerState.read(ckpt.resolve(Checkpoints.TRAINER_STATE));
        try (DomainShards shards = DomainShards.open(dataDir, split)) {
            Manifest manifest = shards.manifest();
            if (state.data() != null) {
                String diff = state.data().difference(DataIdentity.of(manifest));
                if (diff != null)
                    throw new IllegalArgumentException(dataDir + " is not the data checkpoint " + ckpt + " was trained on: it was prepared again "
                            + "since, and " + diff + " differ; evaluate on the data the run trained on (prepare it again from the same input)");
            }
            List<String> domains = RunData.resolveDomains(tree, cfg.data(), manifest, dataDir);
            return new Evaluator(ValidationWindows.build(shards, cfg.data().seqLen(), cfg.data().evalWindowsPerDomain()), domains,
                    manifestIds(domains, manifest), manifest, split, cfg.eval().batchSize(cfg.data().batchSize()));
        }
    }

    /** The manifest's id of each of {@code domains}: ValidationWindows are built per manifest domain. */
    static int[] manifestIds(List<String> domains, Manifest manifest) {
        int[] ids = new int[domains.size()];
        for (int j = 0; j < ids.length; j++) ids[j] = manifest.domains().indexOf(domains.get(j));
        return ids;
    }

    public List<String> domains() { return domains; }

    /** Windows evaluated for domain {@code j} of {@link #domains()}. */
    public int windows(int j) { return windows.get(manifestIds[j]).count(); }

    public Result evaluate(Model model) { return evaluate(model, null, false); }

    public Result evaluate(Model model, ProcessGroup group) { return evaluate(model, group, false); }

    /**
     * With {@code group} (data-parallel ranks): each rank evaluates its contiguous share of every domain's windows and
     * the per-domain loss sums and token counts are summed over the ranks, so every rank gets the result one process
     * gets, up to summation order. Every rank must call it at the same point. With {@code perWindow} the result also
     * holds every window's mean loss (each window is its own segment of the engine's per-domain reduction, so the
     * domain totals are the same sums either way).
     */
    public Result evaluate(Model model, ProcessGroup group, boolean perWindow) {
        int k = domains.size();
        int rank = group == null ? 0 : group.rank(), world = group == null ? 1 : group.worldSize();
        // Loss sums, then token counts, then (per window) every window's mean loss at its domain's offset; a rank
        // fills only its share and the all-reduce assembles the rest, the other ranks' slots being zero here.
        int[] offset = new int[k + 1];
        for (int j = 0; j < k; j++) offset[j + 1] = offset[j] + (perWindow ? windows.get(manifestIds[j]).count() : 0);
        double[] sums = new double[2 * k + offset[k]];
        for (int j = 0; j < k; j++) {
            ValidationWindows.DomainWindows w = windows.get(manifestIds[j]);
            int wl = w.windowLength();
            int lo = (int) ((long) w.count() * rank / world), hi = (int) ((long) w.count() * (rank + 1) / world);
            for (int start = lo; start < hi; start += batch) {
                int n = Math.min(batch, hi - start);
                int[] tok = new int[n * wl];
                System.arraycopy(w.tokens(), start * wl, tok, 0, n * wl);
                int[] segment = new int[n];
                if (perWindow) for (int i = 0; i < n; i++) segment[i] = i;
                StepResult r = model.evaluate(tok, n, wl, segment, perWindow ? n : 1);
                for (int i = 0; i < (perWindow ? n : 1); i++) {
                    sums[j] += r.domainLossSum()[i];
                    sums[k + j] += r.domainTokens()[i];
                    if (perWindow) sums[2 * k + offset[j] + start + i] = r.domainLossSum()[i] / r.domainTokens()[i];
                }
            }
        }
        if (group != null) sums = group.allReduceSum(sums, "all-reduce of the evaluation sums");
        double[][] windowLoss = null;
        if (perWindow) {
            windowLoss = new double[k][];
            for (int j = 0; j < k; j++) windowLoss[j] = java.util.Arrays.copyOfRange(sums, 2 * k + offset[j], 2 * k + offset[j + 1]);
        }
        double[] loss = new double[k], ppl = new double[k], bpb = new double[k];
        double lossSum = 0, pplSum = 0, bpbSum = 0;
        int counted = 0, bpbCounted = 0;
        for (int j = 0; j < k; j++) {
            if (windows.get(manifestIds[j]).count() == 0) {
                loss[j] = ppl[j] = bpb[j] = Double.NaN;
                continue;
            }
            loss[j] = sums[j] / sums[k + j];
            ppl[j] = Math.exp(loss[j]);
            bpb[j] = loss[j] / (bytesPerToken[j] * Math.log(2));
            lossSum += loss[j];
            pplSum += ppl[j];
            counted++;
            if (!Double.isNaN(bpb[j])) {
                bpbSum += bpb[j];
                bpbCounted++;
            }
        }
        return new Result(lossSum / counted, pplSum / counted, bpbCounted == 0 ? Double.NaN : bpbSum / bpbCounted,
                domains.toArray(new String[0]), loss, ppl, bpb, windowLoss);
    }
}
