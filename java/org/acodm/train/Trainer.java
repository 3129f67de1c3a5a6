package org.acodm.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.acodm.data.DomainShards;
import org.acodm.data.Manifest;
import org.acodm.data.MixtureSampler;
import org.acodm.data.SampledBatch;
import org.acodm.data.SamplerConfig;
import org.acodm.data.Split;
import org.acodm.data.ValidationWindows;
import org.acodm.engine.Model;
import org.acodm.engine.NumericEnvironment;
import org.acodm.engine.OptimizerSettings;
import org.acodm.engine.StepResult;
import org.acodm.mixing.AcOdmConfig;
import org.acodm.mixing.AcOdmPolicy;
import org.acodm.mixing.ActorExport;
import org.acodm.mixing.DeltaReference;
import org.acodm.mixing.MixingMethod;
import org.acodm.mixing.MixingPolicy;
import org.acodm.mixing.StepObservation;
import org.acodm.config.ConfigDiff;
import org.acodm.config.ConfigTree;
import org.acodm.config.ConfigWriter;
import org.acodm.train.config.DataSection;
import org.acodm.train.config.RunConfig;
import org.acodm.train.export.GptNeoxDims;

/**
 * One training run, DESIGN.md section 4: the policy gives α, the sampler draws the step's windows from α
 * (a pure function of seed and step), the engine trains, the policy observes; evaluation and atomic
 * checkpoints at their intervals. SIGTERM/SIGINT finish the current step, checkpoint, and stop.
 *
 * RUN_DIR holds run.json, config.yaml (resolved), metrics.jsonl, checkpoints/ and, for AC-ODM, actor.pt.
 */
public final class Trainer implements AutoCloseable {
    /** Keys a resume may change without invalidating the checkpoint. */
    /** Key of the numeric environment in trainer.json and run.json. */
    static final String NUMERIC_ENVIRONMENT = "numeric_environment";
    private static final Set<String> RESUMABLE_KEYS = Set.of("run.name", "run.threads", "run.device", "train.steps",
            "eval.interval", "eval.at_start", "checkpoint.interval", "checkpoint.keep_last");

    private final RunConfig cfg;
    private final ConfigTree tree;
    private final Path runDir;
    private final PrintStream out;
    private final DomainShards train;
    private final DomainShards val;
    private final List<String> domains;
    private final int[] manifestIds;
    private final Model model;
    private final MixingPolicy policy;
    private final MixtureSampler sampler;
    private final Evaluator evaluator;
    private final Checkpoints checkpoints;
    private final List<String> stateLayers;
    private final NumericEnvironment numericEnvironment;
    private final AtomicBoolean stopRequested = new AtomicBoolean();
    private final CountDownLatch stopped = new CountDownLatch(1);
    private long maxSteps = Long.MAX_VALUE;

    /**
     * The plan of a run, for --dry-run and the header of {@code train}. {@code domains} and {@code initialWeights} are
     * empty / null when the data is not there yet; {@code notes} say what could not be checked and why.
     */
    public record Plan(String model, long parameters, List<String> domains, long steps, int batch, int seqLen,
                       long tokensPerStep, double[] initialWeights, String method, List<String> notes) {}

    public Trainer(ConfigTree tree, Path runDir, PrintStream out) throws IOException {
        this.tree = tree;
        this.cfg = tree.bind(RunConfig.class);
        cfg.mixing().bindSettings(tree);  // the method's settings are checked before any heavy work
        this.runDir = runDir;
        this.out = out;
        DataSection data = cfg.data();
        Path dataDir = dataDirectory(cfg, tree);
        DomainShards trainShards = null, valShards = null;
        Model m = null;
        MixingPolicy p = null;
        // A config error found half-way must not leak what was already opened (tests and the demo build many
        // trainers in one JVM); each resource is closed in reverse order before the error propagates.
        try {
            trainShards = DomainShards.open(dataDir, Split.TRAIN);
            valShards = DomainShards.open(dataDir, Split.VAL);
            Manifest manifest = trainShards.manifest();
            this.domains = resolveDomains(tree, data, manifest, dataDir);
            this.manifestIds = manifestIds(domains, manifest);
            for (int j = 0; j < domains.size(); j++)
                if (trainShards.tokens(manifestIds[j]) == 0)
                    throw new IllegalArgumentException("domain '" + domains.get(j) + "' has no training tokens in " + dataDir);
            // The policy comes before the model: its errors (weights naming unknown domains, an actor exported for
            // other domains) are config errors too, and should not wait for a model of possibly billions of weights.
            p = cfg.mixing().createPolicy(tree, domains, manifest, cfg.train().steps(), cfg.run().seed());
            Model.setNumThreads(cfg.run().threads());
            m = new Model(cfg.model().config(), cfg.run().seed(), cfg.run().device().engineName());
            this.numericEnvironment = Model.numericEnvironment().with("device", m.deviceName());
            if (m.vocabSize() < manifest.tokenizer().vocabSize())
                throw new IllegalArgumentException(tree.locate("model.config") + ": model '" + cfg.model().config() + "' has a vocabulary of "
                        + m.vocabSize() + " but the data's tokenizer (" + manifest.tokenizer().spec() + ") has "
                        + manifest.tokenizer().vocabSize());
            if (data.seqLen() > m.maxSeq())
                throw new IllegalArgumentException(tree.locate("data.seq_len") + ": data.seq_len " + data.seqLen()
                        + " exceeds the model's context of " + m.maxSeq());
            var o = cfg.optimizer();
            m.setOptimizer(new OptimizerSettings(o.lr(), o.minLr(), o.warmupSteps(), cfg.train().steps(), o.weightDecay(),
                    o.beta1(), o.beta2(), o.eps(), o.gradClip()));
            if (p.needsAlignment()) m.setAlignmentParameters(p.rewardLayers(m.numLayers()));
            this.stateLayers = p.stateLayers(m.numLayers());
            SamplerConfig sc = data.domainGranularity() == DataSection.DomainGranularity.WINDOW
                    ? SamplerConfig.perWindow(cfg.run().seed(), data.batchSize(), data.seqLen())
                    : SamplerConfig.perMicroBatch(cfg.run().seed(), data.batchSize(), data.seqLen(), data.microBatchSize());
            this.sampler = new MixtureSampler(trainShards, sc);
            this.evaluator = new Evaluator(ValidationWindows.build(valShards, data.seqLen(), data.evalWindowsPerDomain()), domains,
                    manifestIds, manifest, Split.VAL, data.batchSize());
        } catch (RuntimeException | IOException | Error e) {
            if (m != null) m.close();
            if (p != null) p.close();
            if (valShards != null) valShards.close();
            if (trainShards != null) trainShards.close();
            throw e;
        }
        this.train = trainShards;
        this.val = valShards;
        this.model = m;
        this.policy = p;
        this.checkpoints = new Checkpoints(runDir);
    }

    /** data.path, checked to hold prepared data; the error names the key and where it was set. */
    static Path dataDirectory(RunConfig cfg, ConfigTree tree) {
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

    static int[] manifestIds(List<String> domains, Manifest manifest) {
        int[] ids = new int[domains.size()];
        for (int j = 0; j < ids.length; j++) ids[j] = manifest.domains().indexOf(domains.get(j));
        return ids;
    }

    public Plan plan() {
        return new Plan(model.configString(), model.numParameters(), domains, cfg.train().steps(), cfg.data().batchSize(),
                cfg.data().seqLen(), (long) cfg.data().batchSize() * cfg.data().seqLen(), policy.weights(), cfg.mixing().method().key(),
                List.of());
    }

    /**
     * The plan of a run without training and without allocating the model (a 1B model would take ~4 GB just to
     * count its weights): sizes come from {@link ModelShapes}. When data.path holds prepared data, the domains,
     * the vocabulary, the context and the initial weights are checked as a real start would; when it does not
     * (planning a Pile run before preparing The Pile), the plan says so instead of failing.
     */
    public static Plan plan(ConfigTree tree) throws IOException {
        RunConfig cfg = tree.bind(RunConfig.class);
        Object settings = cfg.mixing().bindSettings(tree);
        GptNeoxDims dims;
        try {
            dims = ModelShapes.resolve(cfg.model().config());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(tree.locate("model.config") + ": model.config: " + e.getMessage(), e);
        }
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
            domains = resolveDomains(tree, data, manifest, dataDir);
            if (dims.vocab() < manifest.tokenizer().vocabSize())
                throw new IllegalArgumentException(tree.locate("model.config") + ": model '" + cfg.model().config() + "' has a vocabulary of "
                        + dims.vocab() + " but the data's tokenizer (" + manifest.tokenizer().spec() + ") has " + manifest.tokenizer().vocabSize());
            if (settings instanceof org.acodm.mixing.FrozenActorConfig fa
                    && !Files.isRegularFile(org.acodm.mixing.ActorExport.resolve(Path.of(fa.actor())))) {
                notes.add("actor: " + fa.actor() + " does not exist yet (train the proxy run first); step 0 runs on uniform weights");
                weights = new double[domains.size()];
                java.util.Arrays.fill(weights, 1.0 / domains.size());
            } else {
                try (MixingPolicy p = cfg.mixing().createPolicy(tree, domains, manifest, cfg.train().steps(), cfg.run().seed())) {
                    weights = p.weights();
                }
            }
        }
        return new Plan(model, ModelShapes.parameterCount(dims), domains, cfg.train().steps(), data.batchSize(), data.seqLen(),
                tokensPerStep, weights, cfg.mixing().method().key(), notes);
    }

    /**
     * Exports the AC-ODM actor held in checkpoint directory {@code ckpt} to {@code file}, with the same metadata a
     * finished run writes to its actor.pt: the policy is rebuilt from the checkpoint's config.yaml and domain list
     * (trainer.json), its state loaded from {@code ckpt/policy}, and exported (atomically: a reader never sees half
     * a file). The networks are built on the CPU whatever the run used.
     */
    public static ActorExport exportActor(Path ckpt, Path file) throws IOException {
        Path stateFile = ckpt.resolve(Checkpoints.TRAINER_STATE);
        if (!Files.isRegularFile(stateFile)) throw new IllegalArgumentException(ckpt + " is not a complete checkpoint (no " + Checkpoints.TRAINER_STATE + ")");
        JsonNode state = MetricsLog.JSON.readTree(stateFile.toFile());
        ConfigTree tree = ConfigTree.load(ckpt.resolve("config.yaml"));
        RunConfig cfg = tree.bind(RunConfig.class);
        if (cfg.mixing().method() != MixingMethod.ACODM)
            throw new IllegalArgumentException("checkpoint " + ckpt + " is of a '" + cfg.mixing().method().key()
                    + "' run; only an acodm run trains an actor to export");
        if (!state.path("domains").isArray())
            throw new IllegalArgumentException(stateFile + " lists no domains (a checkpoint written before domains were recorded)");
        List<String> domains = new ArrayList<>();
        state.path("domains").forEach(d -> domains.add(d.asText()));
        AcOdmConfig c = ((AcOdmConfig) cfg.mixing().bindSettings(tree)).withDevice("cpu");
        // Initial weights only matter at step 0; load() replaces them with the checkpoint's.
        double[] uniform = new double[domains.size()];
        java.util.Arrays.fill(uniform, 1.0 / domains.size());
        try (AcOdmPolicy p = new AcOdmPolicy(domains, c, cfg.train().steps(), cfg.run().seed(), uniform)) {
            p.load(ckpt.resolve("policy"));
            Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
            p.exportActor(tmp);
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        }
        return ActorExport.read(file);
    }

    /** Stops after this many steps of this invocation (tests use it to simulate preemption). */
    public void limitSteps(long n) { this.maxSteps = n; }

    /** Asks the loop to finish the current step, checkpoint and return (what SIGTERM does). */
    public void requestStop() { stopRequested.set(true); }

    /** Runs (or resumes) to train.steps. Returns the number of the next step to run. */
    public long run(boolean resume) throws IOException {
        Files.createDirectories(runDir);
        long start = 0;
        long metricsOffset = 0;
        if (resume) {
            var latest = checkpoints.latest();
            if (latest.isPresent()) {
                JsonNode state = MetricsLog.JSON.readTree(latest.get().resolve(Checkpoints.TRAINER_STATE).toFile());
                refuseOtherConfig(latest.get());
                warnOnOtherEnvironment(latest.get(), state);
                model.load(latest.get().resolve("model.ckpt"));
                policy.load(latest.get().resolve("policy"));
                start = state.path("next_step").asLong();
                metricsOffset = state.path("metrics_offset").asLong();
                out.printf(Locale.ROOT, "resuming %s from %s (step %d of %d)%n", cfg.run().name(), latest.get(), start, cfg.train().steps());
            } else {
                out.println("no complete checkpoint in " + checkpoints.directory() + ": starting from step 0");
            }
        } else if (!checkpoints.list().isEmpty()) {
            throw new IllegalStateException(runDir + " already holds checkpoints of a run; use --resume to continue it or another --out");
        }
        writeAtomically(runDir.resolve("config.yaml"), cfg.toYaml());
        writeRunJson(start >= cfg.train().steps());
        Thread hook = new Thread(() -> {
            requestStop();
            try {
                stopped.await(10, TimeUnit.MINUTES);  // let the loop finish the step and write the checkpoint
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "acodm-stop");
        Runtime.getRuntime().addShutdownHook(hook);
        try (MetricsLog log = MetricsLog.open(runDir.resolve("metrics.jsonl"), metricsOffset)) {
            long next = loop(log, start);
            if (next >= cfg.train().steps()) {
                writeRunJson(true);
                if (policy instanceof AcOdmPolicy a) {
                    a.exportActor(runDir.resolve(org.acodm.mixing.ActorExport.FILE_NAME));
                    out.println("actor exported to " + runDir.resolve(org.acodm.mixing.ActorExport.FILE_NAME));
                }
            }
            return next;
        } finally {
            stopped.countDown();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // the JVM is exiting because of the signal; the hook is already running
            }
        }
    }

    private long loop(MetricsLog log, long start) throws IOException {
        final long total = cfg.train().steps();
        final int b = cfg.data().batchSize(), k = domains.size();
        final int microBatches = cfg.data().microBatches();
        final long evalEvery = cfg.eval().interval(), ckptEvery = cfg.checkpoint().interval();
        Progress progress = new Progress(out, start, total, (long) b * cfg.data().seqLen());
        if (start == 0 && cfg.eval().atStart()) writeEval(log, 0);
        if (start == 0 && !stateLayers.isEmpty() && policy.deltaReference() == DeltaReference.FIRST)
            model.setReferenceParameters(stateLayers);
        long step = start, ran = 0;
        long t0 = System.nanoTime();
        while (step < total) {
            double[] alpha = policy.weights();
            SampledBatch batch = sampler.sample(step, 0, toManifestOrder(alpha));
            int[] dom = new int[b];
            for (int i = 0; i < b; i++) dom[i] = fromManifestId(batch.domains()[i]);
            if (!stateLayers.isEmpty() && policy.deltaReference() == DeltaReference.PREVIOUS)
                model.setReferenceParameters(stateLayers);
            long ts = System.nanoTime();
            StepResult r = model.trainStep(batch.tokens(), b, batch.windowLength(), dom, k, microBatches, policy.needsAlignment());
            double[] norms = stateLayers.isEmpty() ? null : model.parameterNorms(stateLayers);
            double[] deltas = stateLayers.isEmpty() ? null : model.referenceDistances(stateLayers);
            policy.observe(StepObservation.of(domains, r, total, norms, deltas));
            double seconds = (System.nanoTime() - ts) / 1e9;
            step++;
            ran++;
            writeStep(log, r, alpha, seconds, (System.nanoTime() - t0) / 1e9);
            progress.update(step, r.loss());
            boolean last = step == total;
            if (last || (evalEvery > 0 && step % evalEvery == 0)) writeEval(log, step);
            boolean stop = stopRequested.get() || ran >= maxSteps;
            if (last || stop || (ckptEvery > 0 && step % ckptEvery == 0)) checkpoint(log, step);
            if (stop && !last) {
                out.printf(Locale.ROOT, "stopped after step %d of %d; checkpoint written, resume with --resume%n", step, total);
                break;
            }
        }
        progress.done();
        return step;
    }

    private void writeStep(MetricsLog log, StepResult r, double[] alpha, double seconds, double elapsed) throws IOException {
        ObjectNode n = log.record("step", r.step() + 1);
        n.put("loss", r.loss());
        ObjectNode dl = n.putObject("domain_loss");
        for (int j = 0; j < domains.size(); j++) if (r.domainTokens()[j] > 0) dl.put(domains.get(j), r.domainMeanLoss(j));
        ObjectNode w = n.putObject("weights");
        for (int j = 0; j < domains.size(); j++) w.put(domains.get(j), alpha[j]);
        // Only a policy whose learned weights are not simply its current weights (DoGE's running average) gets this
        // field; comparing the arrays by reference wrote it for every policy, holding the next step's weights.
        double[] reported = policy.reportedWeights();
        if (!java.util.Arrays.equals(reported, policy.weights())) {
            ObjectNode rw = n.putObject("reported_weights");
            for (int j = 0; j < domains.size(); j++) rw.put(domains.get(j), reported[j]);
        }
        n.put("lr", r.learningRate());
        n.put("grad_norm", r.gradNorm());
        for (Map.Entry<String, Double> e : policy.metrics().entrySet()) n.put("policy_" + e.getKey(), e.getValue());
        // Timing fields are the only ones that differ between an interrupted and an uninterrupted run.
        n.put("tokens_per_s", (double) cfg.data().batchSize() * cfg.data().seqLen() / seconds);
        n.put("elapsed_s", elapsed);
        log.write(n);
    }

    private void writeEval(MetricsLog log, long step) throws IOException {
        Evaluator.Result e = evaluator.evaluate(model);
        ObjectNode n = log.record("eval", step);
        n.put("loss", e.loss());
        n.put("ppl", e.ppl());
        n.put("bpb", e.bpb());
        ObjectNode dl = n.putObject("domain_loss"), dp = n.putObject("domain_ppl"), db = n.putObject("domain_bpb");
        for (int j = 0; j < domains.size(); j++) {
            if (Double.isNaN(e.domainLoss()[j])) continue;
            dl.put(domains.get(j), e.domainLoss()[j]);
            dp.put(domains.get(j), e.domainPpl()[j]);
            db.put(domains.get(j), e.domainBpb()[j]);
        }
        log.write(n);
        out.printf(Locale.ROOT, "eval step %d: average perplexity %.3f, bits per byte %.4f%n", step, e.ppl(), e.bpb());
    }

    private void checkpoint(MetricsLog log, long step) throws IOException {
        long offset = log.sync();
        Path tmp = checkpoints.begin(step);
        model.save(tmp.resolve("model.ckpt"));
        policy.save(tmp.resolve("policy"));
        writeAtomically(tmp.resolve("config.yaml"), cfg.toYaml());
        ObjectNode state = MetricsLog.JSON.createObjectNode();
        state.put("next_step", step);
        state.put("metrics_offset", offset);
        state.put("policy", policy.kind());
        // The domains in the policy's order make a checkpoint self-describing (`acodm actor export --checkpoint`).
        ArrayNode ds = state.putArray("domains");
        domains.forEach(ds::add);
        state.set("sampler", MetricsLog.JSON.valueToTree(sampler.state()));
        state.set(NUMERIC_ENVIRONMENT, MetricsLog.JSON.valueToTree(numericEnvironment.values()));
        writeAtomically(tmp.resolve(Checkpoints.TRAINER_STATE), MetricsLog.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(state));
        checkpoints.commit(tmp, step, cfg.checkpoint().keepLast());
    }

    /**
     * A resume under other threads, another BLAS or CPU, or another libtorch continues the run correctly but not
     * bit for bit as an uninterrupted run would have: say so, naming what differs.
     */
    private void warnOnOtherEnvironment(Path ckpt, JsonNode state) {
        JsonNode saved = state.path(NUMERIC_ENVIRONMENT);
        Map<String, String> then = new java.util.TreeMap<>();
        saved.fields().forEachRemaining(e -> then.put(e.getKey(), e.getValue().asText()));
        List<String> diffs = new NumericEnvironment(then).differences(numericEnvironment);
        if (diffs.isEmpty()) return;
        out.println("acodm: warning: checkpoint " + ckpt + " was written under another numeric environment; the run continues, "
                + "but its numbers will not be bit-identical to an uninterrupted run's (" + String.join("; ", diffs) + ")");
    }

    private void refuseOtherConfig(Path ckpt) throws IOException {
        ConfigTree saved = ConfigTree.load(ckpt.resolve("config.yaml"));
        var diffs = ConfigDiff.between(saved.bind(RunConfig.class), cfg, RESUMABLE_KEYS);
        if (!diffs.isEmpty())
            throw new IllegalArgumentException("checkpoint " + ckpt + " was written under another configuration: "
                    + ConfigDiff.describe(diffs) + " (checkpoint vs " + tree.source() + ")");
    }

    private void writeRunJson(boolean complete) throws IOException {
        ObjectNode n = MetricsLog.JSON.createObjectNode();
        n.put("name", cfg.run().name());
        n.put("method", cfg.mixing().method().key());
        n.put("model", model.configString());
        n.put("parameters", model.numParameters());
        ArrayNode d = n.putArray("domains");
        domains.forEach(d::add);
        n.put("steps", cfg.train().steps());
        n.put("tokens_per_step", (long) cfg.data().batchSize() * cfg.data().seqLen());
        n.put("tokenizer", train.manifest().tokenizer().spec());
        n.put("device", model.deviceName());
        n.set(NUMERIC_ENVIRONMENT, MetricsLog.JSON.valueToTree(numericEnvironment.values()));
        n.put("complete", complete);
        n.set("config", ConfigWriter.toNode(cfg));
        writeAtomically(runDir.resolve("run.json"), MetricsLog.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(n));
    }

    private double[] toManifestOrder(double[] alpha) {
        double[] w = new double[train.domainCount()];
        for (int j = 0; j < alpha.length; j++) w[manifestIds[j]] = alpha[j];
        return w;
    }

    private int fromManifestId(int id) {
        for (int j = 0; j < manifestIds.length; j++) if (manifestIds[j] == id) return j;
        throw new IllegalStateException("sampler drew domain " + id + ", which has zero weight");
    }

    static void writeAtomically(Path file, String text) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.writeString(tmp, text, StandardCharsets.UTF_8);
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    public RunConfig config() { return cfg; }
    public Model model() { return model; }

    @Override public void close() throws IOException {
        policy.close();
        model.close();
        train.close();
        val.close();
    }
}
