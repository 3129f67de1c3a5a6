package org.acodm.train;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.acodm.config.ConfigTree;
import org.acodm.data.DomainSelection;
import org.acodm.data.DomainShards;
import org.acodm.data.Manifest;
import org.acodm.data.MixtureSampler;
import org.acodm.data.SamplerConfig;
import org.acodm.data.Split;
import org.acodm.data.ValidationWindows;
import org.acodm.engine.Model;
import org.acodm.train.config.DataSection;
import org.acodm.train.config.RunConfig;

/**
 * The prepared data a run trains and evaluates on, as its config selects it: the run's domains (data.domains, in
 * their order), the sampler over their train shards, the evaluators on their val windows, and the data's identity for
 * checkpoints. Whatever in the data does not fit the config, or the model, is an error naming the key.
 */
final class RunData implements AutoCloseable {
    private final DomainShards train;
    private final DomainShards val;
    private final List<String> domains;
    private final DataIdentity identity;
    private final MixtureSampler sampler;
    private final Evaluator evaluator;
    private final Evaluator finalEvaluator;

    private RunData(DomainShards train, DomainShards val, List<String> domains, MixtureSampler sampler, Evaluator evaluator,
                    Evaluator finalEvaluator) {
        this.train = train;
        this.val = val;
        this.domains = domains;
        this.identity = DataIdentity.of(train.manifest());
        this.sampler = sampler;
        this.evaluator = evaluator;
        this.finalEvaluator = finalEvaluator;
    }

    static RunData open(ConfigTree tree, RunConfig cfg) throws IOException {
        DataSection data = cfg.data();
        Path dataDir = directory(cfg, tree);
        DomainShards trainShards = DomainShards.open(dataDir, Split.TRAIN), valShards = null;
        try {
            valShards = DomainShards.open(dataDir, Split.VAL);
            Manifest manifest = trainShards.manifest();
            List<String> domains = resolveDomains(tree, data, manifest, dataDir);
            DomainSelection trainDomains = trainShards.select(domains);
            for (int j = 0; j < domains.size(); j++)
                if (trainDomains.tokens(j) == 0)
                    throw new IllegalArgumentException("domain '" + domains.get(j) + "' has no training tokens in " + dataDir);
            boolean perWindow = data.domainGranularity() == DataSection.DomainGranularity.WINDOW;
            SamplerConfig sc = perWindow ? SamplerConfig.perWindow(cfg.run().samplerSeed(), data.batchSize(), data.seqLen())
                    : SamplerConfig.perMicroBatch(cfg.run().samplerSeed(), data.batchSize(), data.seqLen(), data.microBatchSize());
            if (data.forceEachDomain() && sc.microBatches() < domains.size())
                throw new IllegalArgumentException(tree.locate("data.force_each_domain") + ": data.force_each_domain gives each of the "
                        + domains.size() + " domains one of the step's " + sc.microBatches() + " domain draws ("
                        + (perWindow ? "windows: data.batch_size" : "data.micro_batches") + "); raise it to at least " + domains.size()
                        + " or train on fewer domains");
            MixtureSampler sampler = new MixtureSampler(trainDomains, sc.withForceEachDomain(data.forceEachDomain()));
            int[] ids = Evaluator.manifestIds(domains, manifest);
            Evaluator evaluator = new Evaluator(ValidationWindows.build(valShards, data.seqLen(), data.evalWindowsPerDomain()), domains, ids,
                    manifest, Split.VAL, cfg.eval().batchSize(data.batchSize()));
            int finalWindows = cfg.eval().finalWindowsPerDomain();
            Evaluator finalEvaluator = finalWindows == 0 ? null : new Evaluator(ValidationWindows.build(valShards, data.seqLen(), finalWindows),
                    domains, ids, manifest, Split.VAL, cfg.eval().batchSize(data.batchSize()));
            return new RunData(trainShards, valShards, domains, sampler, evaluator, finalEvaluator);
        } catch (RuntimeException | IOException | Error e) {
            if (valShards != null) valShards.close();
            trainShards.close();
            throw e;
        }
    }

    /** data.path, checked to hold prepared data; the error names the key and where it was set. */
    static Path directory(RunConfig cfg, ConfigTree tree) {
        Path dataDir = Path.of(cfg.data().path());
        if (!Files.isRegularFile(dataDir.resolve(Manifest.FILE_NAME)))
            throw new IllegalArgumentException(tree.locate("data.path") + ": data.path '" + cfg.data().path()
                    + "' has no manifest.json (run `acodm prepare` first)");
        return dataDir;
    }

    /** The run's domains: data.domains in its order, or every domain of the manifest; unknown names are errors naming the key. */
    static List<String> resolveDomains(ConfigTree tree, DataSection data, Manifest manifest, Path dataDir) {
        List<String> all = manifest.domains();
        List<String> chosen = data.domains().isEmpty() ? all : data.domains();
        List<String> unknown = new ArrayList<>();
        for (String d : chosen) if (!all.contains(d)) unknown.add(d);
        if (!unknown.isEmpty())
            throw new IllegalArgumentException(tree.locate("data.domains") + ": data.domains names " + unknown
                    + " not in " + dataDir.resolve(Manifest.FILE_NAME) + " (domains: " + all + ")");
        return List.copyOf(chosen);
    }

    /** The model must read every token id of the data and a whole window. */
    void checkModel(Model m, RunConfig cfg, ConfigTree tree) {
        Manifest manifest = manifest();
        if (m.vocabSize() < manifest.tokenizer().vocabSize())
            throw new IllegalArgumentException(tree.locate("model.config") + ": model '" + cfg.model().config() + "' has a vocabulary of "
                    + m.vocabSize() + " but the data's tokenizer (" + manifest.tokenizer().spec() + ") has " + manifest.tokenizer().vocabSize());
        if (cfg.data().seqLen() > m.maxSeq())
            throw new IllegalArgumentException(tree.locate("data.seq_len") + ": data.seq_len " + cfg.data().seqLen()
                    + " exceeds the model's context of " + m.maxSeq());
    }

    Manifest manifest() { return train.manifest(); }
    DataIdentity identity() { return identity; }
    List<String> domains() { return domains; }
    MixtureSampler sampler() { return sampler; }
    Evaluator evaluator() { return evaluator; }
    /** The larger evaluation after the last step (eval.final_windows_per_domain); null when it is 0. */
    Evaluator finalEvaluator() { return finalEvaluator; }

    @Override public void close() {
        train.close();
        val.close();
    }
}
