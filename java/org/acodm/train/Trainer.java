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
import org.acodm.config.ConfigDiff;
import org.acodm.config.ConfigTree;
import org.acodm.config.ConfigWriter;
import org.acodm.config.Mappers;
import org.acodm.data.DomainSelection;
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
import org.acodm.mixing.LayerSelection;
import org.acodm.mixing.MixingPolicy;
import org.acodm.mixing.TrainedModel;
import org.acodm.train.config.DataSection;
import org.acodm.train.config.RunConfig;

/**
 * One training run, DESIGN.md section 4: the policy gives α, the sampler draws the step's windows from α
 * (a pure function of seed and step), the engine trains, the policy observes; evaluation and atomic
 * checkpoints at their intervals. SIGTERM/SIGINT finish the current step, checkpoint, and stop.
 *
 * RUN_DIR holds run.json, config.yaml (resolved), metrics.jsonl, checkpoints/ and, for AC-ODM, actor.pt.
 *
 * <p>Data-parallel ({@link World} from the environment, {@link DataParallel}): every rank trains its slice of each
 * global batch and holds the whole replicated state; rank 0 alone writes the run directory, and a checkpoint counts
 * as complete only once every rank has finished its step (a barrier before the rename).
 */
public final class Trainer implements AutoCloseable {
    /** Key of the numeric environment in trainer.json and run.json. */
    static final String NUMERIC_ENVIRONMENT = "numeric_environment";
    /** Keys a resume may change without invalidating the checkpoint. */
    private static final Set<String> RESUMABLE_KEYS = Set.of("run.name", "run.threads", "run.device", "run.dist_timeout",
            "run.dist_bucket_mb", "run.dist_check_interval", "train.steps", "train.log_alignment", "eval.interval", "eval.at_start",
            "checkpoint.interval", "checkpoint.keep_last");

    private final RunConfig cfg;
    private final ConfigTree tree;
    private final Path runDir;
    private final PrintStream out;
    private final DomainShards train;
    private final DomainShards val;
    private final List<String> domains;
    private final Model model;
    private final TrainedModel trainedModel;
    private final MixingPolicy policy;
    private final MixtureSampler sampler;
    private final Evaluator evaluator;
    private final Checkpoints checkpoints;
    private final NumericEnvironment numericEnvironment;
    private final DataParallel dp;
    private final AtomicBoolean stopRequested = new AtomicBoolean();
    private final CountDownLatch stopped = new CountDownLatch(1);
    private long maxSteps = Long.MAX_VALUE;

    public Trainer(ConfigTree tree, Path runDir, PrintStream out) throws IOException {
        this(tree, runDir, out, World.single());
    }

    /** A trainer that is one rank of {@code world}; it joins the other ranks before it builds the model. */
    public Trainer(ConfigTree tree, Path runDir, PrintStream out, World world) throws IOException {
        this.tree = tree;
        this.cfg = tree.bind(RunConfig.class);
        cfg.mixing().bindSettings(tree);  // the method's settings are checked before any heavy work
        this.runDir = runDir;
        // Only rank 0 speaks for the run; the others report errors (thrown) and nothing else.
        this.out = world.rank() == 0 ? out : new PrintStream(java.io.OutputStream.nullOutputStream());
        DataSection data = cfg.data();
        Path dataDir = dataDirectory(cfg, tree);
        DomainShards trainShards = null, valShards = null;
        Model m = null;
        MixingPolicy p = null;
        DataParallel d = null;
        // A config error found half-way must not leak what was already opened (tests and the demo build many
        // trainers in one JVM); each resource is closed in reverse order before the error propagates.
        try {
            trainShards = DomainShards.open(dataDir, Split.TRAIN);
            valShards = DomainShards.open(dataDir, Split.VAL);
            Manifest manifest = trainShards.manifest();
            this.domains = resolveDomains(tree, data, manifest, dataDir);
            DomainSelection trainDomains = trainShards.select(domains);
            for (int j = 0; j < domains.size(); j++)
                if (trainDomains.tokens(j) == 0)
                    throw new IllegalArgumentException("domain '" + domains.get(j) + "' has no training tokens in " + dataDir);
            // The policy comes before the model: its errors (weights naming unknown domains, an actor exported for
            // other domains) are config errors too, and should not wait for a model of possibly billions of weights.
            p = cfg.mixing().createPolicy(tree, domains, manifest, cfg.train().steps(), cfg.run().seed());
            String device = DataParallel.device(cfg.run().device(), world);
            d = DataParallel.join(world, cfg, tree, device);
            Model.setNumThreads(DataParallel.threads(cfg.run().threads(), world));
            m = new Model(cfg.model().config(), cfg.run().seed(), device);
            NumericEnvironment env = Model.numericEnvironment().with("device", m.deviceName());
            // Another world size sums the batch in another order: a resume under it is exact to float tolerance only.
            this.numericEnvironment = world.distributed() ? env.with("world_size", Integer.toString(world.size())) : env;
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
            else if (cfg.train().logAlignment()) m.setAlignmentParameters(LayerSelection.names(LayerSelection.rewardPositions(m.numLayers(), 3)));
            if (d.group() != null) m.attach(d.group(), Math.round(cfg.run().distBucketMb() * (1 << 20)));
            SamplerConfig sc = data.domainGranularity() == DataSection.DomainGranularity.WINDOW
                    ? SamplerConfig.perWindow(cfg.run().seed(), data.batchSize(), data.seqLen())
                    : SamplerConfig.perMicroBatch(cfg.run().seed(), data.batchSize(), data.seqLen(), data.microBatchSize());
            this.sampler = new MixtureSampler(trainDomains, sc);
            this.evaluator = new Evaluator(ValidationWindows.build(valShards, data.seqLen(), data.evalWindowsPerDomain()), domains,
                    Evaluator.manifestIds(domains, manifest), manifest, Split.VAL, data.batchSize());
        } catch (RuntimeException | IOException | Error e) {
            if (m != null) m.close();
            if (d != null) d.close();
            if (p != null) p.close();
            if (valShards != null) valShards.close();
            if (trainShards != null) trainShards.close();
            throw e;
        }
        this.train = trainShards;
        this.val = valShards;
        this.model = m;
        this.dp = d;
        this.trainedModel = new PolicyView(m);
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

    /** The plan of this run, with the model's own shape and the policy's initial weights (the header of {@code train}). */
    public RunPlan plan() {
        return new RunPlan(model.configString(), model.numParameters(), domains, cfg.train().steps(), cfg.data().batchSize(),
                cfg.data().seqLen(), (long) cfg.data().batchSize() * cfg.data().seqLen(), policy.weights(), cfg.mixing().method().key(),
                List.of());
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
                JsonNode state = Mappers.JSON.readTree(latest.get().resolve(Checkpoints.TRAINER_STATE).toFile());
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
        dp.checkSameStart(start, runDir);
        if (dp.world().distributed())
            out.printf(Locale.ROOT, "distributed: %d ranks (%s, rendezvous %s:%d, %s); each trains %d of the %d windows of a step%n",
                    dp.world().size(), dp.world().source(), dp.world().masterAddr(), dp.world().masterPort(), dp.group().backend(),
                    dp.count(cfg.data().batchSize()), cfg.data().batchSize());
        if (dp.leader()) {
            writeAtomically(runDir.resolve("config.yaml"), cfg.toYaml());
            writeRunJson(start >= cfg.train().steps());
        }
        Thread hook = new Thread(() -> {
            requestStop();
            try {
                stopped.await(10, TimeUnit.MINUTES);  // let the loop finish the step and write the checkpoint
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "acodm-stop");
        Runtime.getRuntime().addShutdownHook(hook);
        try (MetricsLog log = dp.leader() ? MetricsLog.open(runDir.resolve("metrics.jsonl"), metricsOffset) : null) {
            long next = loop(log, start);
            dp.printSummary(out);
            if (next >= cfg.train().steps() && dp.leader()) {
                writeRunJson(true);
                policy.onRunComplete(runDir, out);
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

    /** The loop of every rank; {@code log} is rank 0's (null on the others, which write nothing). */
    private long loop(MetricsLog log, long start) throws IOException {
        final long total = cfg.train().steps();
        final int b = cfg.data().batchSize(), k = domains.size();
        final int microBatches = dp.microBatches(b, cfg.data().microBatches());
        final boolean alignment = policy.needsAlignment() || cfg.train().logAlignment();
        final long evalEvery = cfg.eval().interval(), ckptEvery = cfg.checkpoint().interval();
        final long checkEvery = cfg.run().distCheckInterval();
        Progress progress = new Progress(out, start, total, (long) b * cfg.data().seqLen());
        if (start == 0 && cfg.eval().atStart()) writeEval(log, 0);
        long step = start, ran = 0;
        long t0 = System.nanoTime();
        while (step < total) {
            double[] alpha = policy.weights();
            SampledBatch batch = sampler.sampleSlice(step, alpha, dp.first(b), dp.count(b));
            long ts = System.nanoTime();
            policy.beforeStep(step, trainedModel);
            StepResult r = model.trainStep(batch.tokens(), batch.batchSize(), batch.windowLength(), batch.domains(), k, microBatches, alignment);
            policy.afterStep(r, total, trainedModel);
            double seconds = (System.nanoTime() - ts) / 1e9;
            step++;
            ran++;
            if (log != null) writeStep(log, r, alpha, seconds, (System.nanoTime() - t0) / 1e9);
            progress.update(step, r.loss());
            boolean last = step == total;
            if (checkEvery > 0 && (last || step % checkEvery == 0)) dp.checkSameState(step, policy.weights(), policy);
            if (last || (evalEvery > 0 && step % evalEvery == 0)) writeEval(log, step);
            boolean stop = dp.anyRank(stopRequested.get() || ran >= maxSteps);
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
        if (cfg.train().logAlignment() && r.alignment() != null) {
            ObjectNode s = n.putObject("alignment");
            for (int i = 0; i < domains.size(); i++) {
                ObjectNode row = s.putObject(domains.get(i));
                for (int j = 0; j < domains.size(); j++) row.put(domains.get(j), r.alignment()[i][j]);
            }
        }
        // Timing fields are the only ones that differ between an interrupted and an uninterrupted run.
        n.put("tokens_per_s", (double) cfg.data().batchSize() * cfg.data().seqLen() / seconds);
        n.put("elapsed_s", elapsed);
        log.write(n);
    }

    /** Every rank evaluates its share; rank 0 writes the record. */
    private void writeEval(MetricsLog log, long step) throws IOException {
        Evaluator.Result e = evaluator.evaluate(model, dp.group());
        if (log == null) return;
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
        if (!dp.leader()) {
            dp.barrier("checkpoint of step " + step);
            return;
        }
        long offset = log.sync();
        Path tmp = checkpoints.begin(step);
        model.save(tmp.resolve("model.ckpt"));
        policy.save(tmp.resolve("policy"));
        writeAtomically(tmp.resolve("config.yaml"), cfg.toYaml());
        ObjectNode state = Mappers.JSON.createObjectNode();
        state.put("next_step", step);
        state.put("metrics_offset", offset);
        state.put("policy", policy.method().key());
        // The domains in the policy's order make a checkpoint self-describing (`acodm actor export --checkpoint`).
        ArrayNode ds = state.putArray("domains");
        domains.forEach(ds::add);
        state.set("sampler", Mappers.JSON.valueToTree(sampler.state()));
        state.set(NUMERIC_ENVIRONMENT, Mappers.JSON.valueToTree(numericEnvironment.values()));
        writeAtomically(tmp.resolve(Checkpoints.TRAINER_STATE), Mappers.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(state));
        dp.barrier("checkpoint of step " + step);  // complete only when every rank has finished the step
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
        ObjectNode n = Mappers.JSON.createObjectNode();
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
        n.set(NUMERIC_ENVIRONMENT, Mappers.JSON.valueToTree(numericEnvironment.values()));
        n.put("complete", complete);
        n.set("config", ConfigWriter.toNode(cfg));
        writeAtomically(runDir.resolve("run.json"), Mappers.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(n));
    }

    static void writeAtomically(Path file, String text) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.writeString(tmp, text, StandardCharsets.UTF_8);
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    /** What the policy may read of the model around a step (TrainedModel), and nothing else of the engine. */
    private record PolicyView(Model model) implements TrainedModel {
        @Override public int numLayers() { return model.numLayers(); }
        @Override public double[] parameterNorms(List<String> names) { return model.parameterNorms(names); }
        @Override public void setReferenceParameters(List<String> names) { model.setReferenceParameters(names); }
        @Override public double[] referenceDistances(List<String> names) { return model.referenceDistances(names); }
    }

    public RunConfig config() { return cfg; }
    public Model model() { return model; }
    /** Rank 0 of a data-parallel run, or the only process. */
    public boolean leader() { return dp.leader(); }

    @Override public void close() throws IOException {
        policy.close();
        model.close();
        dp.close();
        train.close();
        val.close();
    }
}
