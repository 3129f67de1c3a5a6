package org.acodm.train;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.acodm.config.ConfigTree;
import org.acodm.data.Manifest;
import org.acodm.data.Split;
import org.acodm.engine.Model;
import org.acodm.mixing.ActorExport;
import org.acodm.mixing.FrozenActorConfig;
import org.acodm.mixing.MixingPolicy;
import org.acodm.train.config.DataSection;
import org.acodm.train.config.RunConfig;
import org.acodm.train.export.GptNeoxDims;

/**
 * The plan of a run, for {@code train --dry-run} and the header of {@code train}: the model and its size, the
 * domains and the initial weights, the batch and the step count. {@code domains} and {@code initialWeights} are
 * empty / null when the data is not there yet; {@code notes} say what could not be checked and why.
 */
public record RunPlan(String model, long parameters, List<String> domains, long steps, int batch, int seqLen,
                      long tokensPerStep, double[] initialWeights, String method, List<String> notes) {

    /**
     * The plan of a run without training and without allocating the model (a 1B model would take ~4 GB just to
     * count its weights): sizes come from the engine's config parser ({@link Model#shape}). When data.path holds prepared data, the domains,
     * the vocabulary, the context and the initial weights are checked as a real start would; when it does not
     * (planning a Pile run before preparing The Pile), the plan says so instead of failing.
     */
    public static RunPlan dryRun(ConfigTree tree) throws IOException {
        RunConfig cfg = tree.bind(RunConfig.class);
        Object settings = cfg.mixing().bindSettings(tree);
        Model.Shape shape;
        try {
            shape = Model.shape(cfg.model().config());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(tree.locate("model.config") + ": model.config: " + e.getMessage(), e);
        }
        GptNeoxDims dims = GptNeoxDims.parse(shape.config());
        DataSection data = cfg.data();
        if (data.seqLen() > dims.maxSeq())
            throw new IllegalArgumentException(tree.locate("data.seq_len") + ": data.seq_len " + data.seqLen()
                    + " exceeds the context of model '" + cfg.model().config() + "' (" + dims.maxSeq() + ")");
        String model = String.format(Locale.ROOT, "%s (%d layers, d_model %d, %d heads, vocabulary %d, context %d)",
                cfg.model().config(), dims.layers(), dims.dModel(), dims.heads(), dims.vocab(), dims.maxSeq());
        long tokensPerStep = (long) data.batchSize() * data.seqLen();
        List<String> notes = new ArrayList<>();
        List<String> domains = data.domains();
        double[] weights = null;
        Path dataDir = Path.of(data.path());
        if (!Files.isRegularFile(dataDir.resolve(Manifest.FILE_NAME))) {
            notes.add("data: " + dataDir + " holds no prepared data (no manifest.json; " + tree.locate("data.path")
                    + "): domains and initial weights are checked once `acodm prepare` has written it");
        } else {
            Manifest manifest = Manifest.read(dataDir);
            // What a start refuses (DomainShards.open), the plan refuses too, rather than pass and fail at the first eval.
            manifest.requireSplit(Split.TRAIN, dataDir);
            manifest.requireSplit(Split.VAL, dataDir);
            domains = RunData.resolveDomains(tree, data, manifest, dataDir);
            notes.addAll(dataNotes(manifest, domains, data));
            if (dims.vocab() < manifest.tokenizer().vocabSize())
                throw new IllegalArgumentException(tree.locate("model.config") + ": model '" + cfg.model().config() + "' has a vocabulary of "
                        + dims.vocab() + " but the data's tokenizer (" + manifest.tokenizer().spec() + ") has " + manifest.tokenizer().vocabSize());
            if (settings instanceof FrozenActorConfig fa && !Files.isRegularFile(ActorExport.resolve(Path.of(fa.actor())))) {
                notes.add("actor: " + fa.actor() + " does not exist yet (train the proxy run first); step 0 runs on uniform weights");
                weights = new double[domains.size()];
                Arrays.fill(weights, 1.0 / domains.size());
            } else {
                try (MixingPolicy p = cfg.mixing().createPolicy(tree, domains, manifest, cfg.train().steps(), cfg.run().seed())) {
                    weights = p.weights();
                }
            }
        }
        return new RunPlan(model, shape.parameters(), domains, cfg.train().steps(), data.batchSize(), data.seqLen(),
                tokensPerStep, weights, cfg.mixing().method().key(), notes);
    }

    /**
     * A note naming the domains whose training tokens are fewer than one step's windows (data.batch_size windows of
     * data.seq_len + 1 tokens), with their counts: the sampler reads such a domain cyclically, so a step that draws it
     * repeats the same tokens, and a high weight trains on them over and over; and a note naming the domains without
     * val data, which the average over domains leaves out.
     */
    static List<String> dataNotes(Manifest manifest, List<String> domains, DataSection data) {
        List<String> notes = new ArrayList<>();
        long window = data.seqLen() + 1L, step = data.batchSize() * window;
        var train = manifest.split(Split.TRAIN);
        var val = manifest.split(Split.VAL);
        List<String> small = new ArrayList<>(), notEvaluated = new ArrayList<>();
        for (String d : domains) {
            var st = train.get(d);
            long tokens = st == null ? 0 : st.tokens();
            if (tokens > 0 && tokens < step) small.add(String.format(Locale.ROOT, "%s (%,d)", d, tokens));
            if (!val.containsKey(d)) notEvaluated.add(d);
        }
        if (!small.isEmpty())
            notes.add(String.format(Locale.ROOT, "%s fewer training tokens than one step's %d windows of %d tokens (%,d): %s; the windows "
                    + "drawn from %s repeat the same tokens", small.size() == 1 ? "a domain has" : small.size() + " domains have", data.batchSize(),
                    window, step, String.join(", ", small), small.size() == 1 ? "it" : "them"));
        if (!notEvaluated.isEmpty())
            notes.add("no val data for " + notEvaluated + ": they are trained on but never evaluated, and the average over domains leaves them out");
        return notes;
    }
}
