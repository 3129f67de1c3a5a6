package org.acodm.train;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
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
import org.acodm.data.WindowLosses;
import org.acodm.engine.Model;
import org.acodm.engine.NumericEnvironment;
import org.acodm.engine.OptimizerSettings;
import org.acodm.engine.StepResult;
import org.acodm.io.AtomicFile;
import org.acodm.io.DirectoryLock;
import org.acodm.mixing.DeltaReference;
import org.acodm.mixing.MixingPolicy;
import org.acodm.mixing.StateLayers;
import org.acodm.mixing.StepObservation;
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
            "run.dist_bucket_mb", "run.dist_check_interval", "train.steps", "train.skip_nonfinite_steps", "train.log_alignment",
            "eval.interval", "eval.at_start", "checkpoint.interval", "checkpoint.keep_last");
    /** The lock file in the run directory that {@link #run} holds on rank 0 (see {@link DirectoryLock}). */
    static final String LOCK_FILE = "train.lock";

    private final RunConfig cfg;
    private final ConfigTree tree;
    private final Path runDir;
    private final PrintStream out;
    private final DomainShards train;
    private final DomainShards val;
    private final List<String> domains;
    private final Model model;
    private final MixingPolicy policy;
    private final MixtureSampler sampler;
    private final Evaluator evaluator;
    /** The larger evaluation after the last step (eval.final_windows_per_domain); null when it is 0. */
    private final Evaluator finalEvaluator;
    private final Checkpoints checkpoints;
    private final NumericEnvironment numericEnvironment;
    private final DataParallel dp;
    private final AtomicBoolean stopRequested = new AtomicBoolean();
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final DataIdentity data;
    private long maxSteps = Long.MAX_VALUE;
    private boolean overwrite;
    /** Non-finite steps skipped so far in the whole run (restored on resume), against train.skip_nonfinite_steps. */
    private long skippedSteps;

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
            this.data = DataIdentity.of(manifest);
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
            if (p.needsAlignment() || cfg.train().logAlignment()) m.setAlignmentParameters(p.rewardLayers(m.numLayers()));
            StateLayers state = p.stateLayers(m.numLayers());
            if (!state.names().isEmpty()) m.setStateParameters(state.names(), state.reference() == DeltaReference.PREVIOUS);
            if (d.group() != null) m.attach(d.group(), Math.round(cfg.run().distBucketMb() * (1 << 20)));
            SamplerConfig sc = data.domainGranularity() == DataSection.DomainGranularity.WINDOW
                    ? SamplerConfig.perWindow(cfg.run().samplerSeed(), data.batchSize(), data.seqLen())
                    : SamplerConfig.perMicroBatch(cfg.run().samplerSeed(), data.batchSize(), data.seqLen(), data.microBatchSize());
            if (data.forceEachDomain() && sc.microBatches() < domains.size())
                throw new IllegalArgumentException(tree.locate("data.force_each_domain") + ": data.force_each_domain gives each of the "
                        + domains.size() + " domains one of the step's " + sc.microBatches() + " domain draws ("
                        + (data.domainGranularity() == DataSection.DomainGranularity.WINDOW ? "windows: data.batch_size" : "data.micro_batches")
                        + "); raise it to at least " + domains.size() + " or train on fewer domains");
            this.sampler = new MixtureSampler(trainDomains, sc.withForceEachDomain(data.forceEachDomain()));
            this.evaluator = new Evaluator(ValidationWindows.build(valShards, data.seqLen(), data.evalWindowsPerDomain()), domains,
                    Evaluator.manifestIds(domains, manifest), manifest, Split.VAL, data.batchSize());
            int finalWindows = cfg.eval().finalWindowsPerDomain();
            this.finalEvaluator = finalWindows == 0 ? null : new Evaluator(ValidationWindows.build(valShards, data.seqLen(), finalWindows),
                    domains, Evaluator.manifestIds(domains, manifest), manifest, Split.VAL, data.batchSize());
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
                RunPlan.dataNotes(train.manifest(), domains, cfg.data()));
    }

    /** Stops after this many steps of this invocation (tests use it to simulate preemption). */
    public void limitSteps(long n) { this.maxSteps = n; }

    /**
     * Replace a run already in the directory (its log, run.json, config.yaml, final evaluation, actor and checkpoints)
     * instead of refusing to (what --overwrite asks for). Files that are not a run's are still refused.
     */
    public void overwrite(boolean replace) { this.overwrite = replace; }

    /** Asks the loop to finish the current step, checkpoint and return (what SIGTERM does). */
    public void requestStop() { stopRequested.set(true); }

    /**
     * Runs (or resumes) to train.steps. Returns the number of the next step to run. The run directory is locked for the
     * whole call (a second process on it is refused, naming this one's pid); a resume checks the checkpoint it
     * continues from, the metrics log, the config and the data before it changes anything.
     */
    public long run(boolean resume) throws IOException {
        // A folder that is not a run directory (train --out DATA_DIR) is refused before the lock file is created in it;
        // with a lock file there, a run may be in the making, and the same check under the lock decides.
        if (dp.leader() && Files.isDirectory(runDir) && !Files.exists(runDir.resolve(LOCK_FILE)) && checkpoints.list().isEmpty())
            refuseForeignDirectory();
        // Rank 0 holds the lock for the whole job: the other ranks of the same run share its directory.
        try (DirectoryLock lock = dp.leader() ? DirectoryLock.acquire(runDir, LOCK_FILE, "train") : null) {
            return runLocked(resume);
        }
    }

    private long runLocked(boolean resume) throws IOException {
        long start = 0;
        long metricsOffset = 0;
        Path metrics = runDir.resolve("metrics.jsonl");
        List<Checkpoints.Checked> damaged = List.of();
        String resumedFrom = null;
        if (overwrite && dp.leader()) {
            refuseForeignDirectory();
            for (Path p : removeRun()) out.println("--overwrite: removed " + p);
        }
        if (resume) {
            Checkpoints.Selection sel = checkpoints.selectForResume();
            if (sel.chosen() == null && !sel.rejected().isEmpty())
                throw new IllegalStateException("cannot resume " + runDir + ": no usable checkpoint (" + Checkpoints.describe(sel.rejected())
                        + "); nothing was changed");
            if (sel.chosen() != null) {
                Checkpoints.Checked c = sel.chosen();
                TrainerState state = c.state();
                long size = Files.exists(metrics) ? Files.size(metrics) : 0;
                if (size < state.metricsOffset())
                    throw new IllegalStateException("cannot resume " + runDir + ": " + metrics + " has " + size + " bytes, but checkpoint "
                            + c.dir().getFileName() + " was written when it had " + state.metricsOffset()
                            + " (the log was cut or replaced since); restore the log from a backup, or move " + c.dir()
                            + " (and any newer checkpoint) away to resume from an older one, or train into another --out. Nothing was changed");
                refuseOtherConfig(c.dir());
                refuseOtherData(c.dir(), state);
                checkStepChange(c.dir(), state);
                warnOnOtherEnvironment(c.dir(), state);
                model.load(c.dir().resolve("model.ckpt"));
                policy.load(c.dir().resolve("policy"));
                damaged = sel.rejected();  // set aside below, once every rank has read its checkpoint
                resumedFrom = c.dir().getFileName().toString();
                for (String note : c.notes()) out.println("acodm: note: checkpoint " + c.dir().getFileName() + " was " + note);
                start = state.nextStep();
                metricsOffset = state.metricsOffset();
                skippedSteps = state.skippedSteps();
                out.printf(Locale.ROOT, "resuming %s from %s (step %d of %d)%n", cfg.run().name(), c.dir(), start, cfg.train().steps());
            } else {
                refuseForeignDirectory();
                if (dp.leader() && finishedRun())
                    throw new IllegalStateException("cannot resume " + runDir + ": it holds a finished run (run.json says complete) whose checkpoints are "
                            + "gone, so there is nothing to resume from, and starting again would replace its log; train into another --out, or pass "
                            + "--overwrite to replace that run. Nothing was changed");
                out.println("no complete checkpoint in " + checkpoints.directory() + ": starting from step 0"
                        + (dp.leader() && Files.exists(metrics) ? " (the log of the interrupted start is replaced)" : ""));
            }
        } else if (!overwrite && !checkpoints.list().isEmpty()) {
            throw new IllegalStateException(runDir + " already holds checkpoints of a run; use --resume to continue it, --overwrite to replace it, "
                    + "or another --out");
        } else {
            refuseForeignDirectory();
            if (dp.leader() && (Files.isRegularFile(runDir.resolve("run.json")) || (Files.exists(metrics) && Files.size(metrics) > 0)))
                throw new IllegalStateException(runDir + " holds the log of a run (run.json, metrics.jsonl) and no checkpoint; training here would "
                        + "replace it. Train into another --out, or pass --overwrite to replace that run. Nothing was changed");
        }
        // Every rank has read and checked what it resumes from: only now, and only rank 0, changes anything on disk.
        dp.checkSameStart(start, runDir);
        if (dp.world().distributed())
            out.printf(Locale.ROOT, "distributed: %d ranks (%s, rendezvous %s:%d, %s); each trains %d of the %d windows of a step%n",
                    dp.world().size(), dp.world().source(), dp.world().masterAddr(), dp.world().masterPort(), dp.group().backend(),
                    dp.count(cfg.data().batchSize()), cfg.data().batchSize());
        if (dp.leader()) {
            for (Checkpoints.Checked bad : damaged)
                out.println("acodm: warning: checkpoint " + bad.dir() + " is damaged (" + bad.describeProblems() + "); moved it to "
                        + checkpoints.setAside(bad.dir()) + " and resuming from the newest usable one, " + resumedFrom);
            for (Path p : checkpoints.removeStale()) out.println("removed " + p + ", left by an interrupted checkpoint");
            for (Path p : AtomicFile.removeTemporaries(runDir)) out.println("removed " + p + ", left by an interrupted write");
            AtomicFile.write(runDir.resolve("config.yaml"), cfg.toYaml());
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
        try (MetricsLog log = dp.leader() ? MetricsLog.open(metrics, metricsOffset) : null) {
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

    /** run.json says the run reached its last step. */
    private boolean finishedRun() {
        try {
            return RunStatus.of(runDir).complete();
        } catch (IOException e) {
            return false;
        }
    }

    /** What a run writes into its directory (not the lock, not the user's files): removed by --overwrite. */
    private List<Path> removeRun() throws IOException {
        List<Path> removed = new ArrayList<>();
        for (String f : List.of("metrics.jsonl", "run.json", "config.yaml", WindowLosses.FILE, "actor.pt", "checkpoints")) {
            Path p = runDir.resolve(f);
            if (!Files.exists(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) continue;
            org.acodm.io.Directories.deleteTree(p);
            removed.add(p);
        }
        return removed;
    }

    /**
     * train.steps changed on resume. Below the checkpoint's step: refused (a run is never cut below what it trained, and
     * nothing is rewritten). Otherwise the learning-rate schedule stays the one the run started with (it is part of the
     * checkpointed optimizer): said, with what it means for the steps past the old end.
     */
    private void checkStepChange(Path ckpt, TrainerState state) throws IOException {
        long planned = ConfigTree.load(ckpt.resolve("config.yaml")).bind(RunConfig.class).train().steps(), now = cfg.train().steps();
        if (state.nextStep() > now)
            throw new IllegalArgumentException(tree.locate("train.steps") + ": train.steps " + now + " is below step " + state.nextStep()
                    + ", which checkpoint " + ckpt.getFileName() + " already reached (the run was planned for " + planned + "); a run is not cut "
                    + "below a checkpoint. Evaluate an earlier checkpoint (acodm eval --checkpoint STEP), or train afresh into another --out. "
                    + "Nothing was changed");
        if (now == planned) return;
        out.printf(Locale.ROOT, "acodm: note: train.steps %d, the run was planned for %d: the learning-rate schedule stays the planned one "
                + "(warmup, then cosine to optimizer.min_lr %s at step %d)%s. A run meant to equal a fresh %d-step run must start afresh%n",
                now, planned, cfg.optimizer().minLr(), planned,
                now > planned ? String.format(Locale.ROOT, "; steps %d to %d train at min_lr", planned + 1, now)
                        : String.format(Locale.ROOT, "; it stops at step %d before the rate has decayed", now), now);
    }

    /** A new run goes into an empty folder or a run directory; anything else there might be the user's and get overwritten. */
    private void refuseForeignDirectory() throws IOException {
        // Rank 0 checks for the job (it created the directory with its lock; the others may find it missing or half made).
        if (!dp.leader() || Files.isRegularFile(runDir.resolve("run.json"))) return;
        List<String> foreign = new ArrayList<>();
        try (var s = Files.list(runDir)) {
            for (Path p : s.sorted().toList()) {
                String n = p.getFileName().toString();
                if (!n.equals(LOCK_FILE) && !AtomicFile.isTemporary(p)) foreign.add(n);
            }
        }
        if (!foreign.isEmpty())
            throw new IllegalStateException(runDir + " is not empty and is not a run directory (it holds " + String.join(", ", foreign.subList(0, Math.min(5, foreign.size())))
                    + (foreign.size() > 5 ? " and " + (foreign.size() - 5) + " more" : "") + "); train into a new or empty directory (--out)");
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
            StepResult r = model.trainStep(batch.tokens(), batch.batchSize(), batch.windowLength(), batch.domains(), k, microBatches, alignment);
            // The engine applies no update when the loss or the gradient norm is not finite (the global batch's, the same
            // on every rank); the policy does not see such a step.
            if (r.updated()) policy.observe(StepObservation.of(domains, r, total));
            else skipOrStop(step + 1, r);
            double seconds = (System.nanoTime() - ts) / 1e9;
            step++;
            ran++;
            if (r.updated()) {
                if (log != null) writeStep(log, step, r, alpha, seconds, (System.nanoTime() - t0) / 1e9);
                progress.update(step, r.loss());
            } else if (log != null) {
                writeSkipped(log, step, r, alpha);
            }
            boolean last = step == total;
            if (checkEvery > 0 && (last || step % checkEvery == 0)) dp.checkSameState(step, policy.weights(), policy);
            if (last || (evalEvery > 0 && step % evalEvery == 0)) writeEval(log, step);
            if (last && finalEvaluator != null) writeFinalEval(log, step);
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

    /**
     * Step {@code step} (1-based) came back with a non-finite loss or gradient norm and changed nothing: within the budget
     * of train.skip_nonfinite_steps it is skipped (said on the console and in the log), past it the run stops here, before
     * anything of this step is written, with the last checkpoint as it was.
     */
    private void skipOrStop(long step, StepResult r) throws IOException {
        long budget = cfg.train().skipNonfiniteSteps();
        String what = String.format(Locale.ROOT, "step %d of %d has a non-finite %s (loss %s, gradient norm %s)", step, cfg.train().steps(),
                Double.isFinite(r.loss()) ? "gradient norm" : "loss", r.loss(), r.gradNorm());
        if (skippedSteps < budget) {
            skippedSteps++;
            out.printf(Locale.ROOT, "acodm: warning: %s: skipped, the model is not updated (%d of train.skip_nonfinite_steps %d used)%n",
                    what, skippedSteps, budget);
            return;
        }
        throw new IllegalStateException(what + ": the run stops here and nothing of this step is written; " + lastCheckpoint()
                + ". " + divergenceRemedy() + ", or resume with train.skip_nonfinite_steps (now " + budget + ") set to skip such steps");
    }

    /**
     * An eval whose loss (or perplexity) is not finite: the training steps since the last checkpoint had finite losses and
     * gradients, but their updates left weights that no longer compute finite numbers. Skipping cannot help, so the run
     * stops before the eval record (which report would refuse) or the checkpoint of this step is written.
     */
    private void refuseNonFiniteEval(long step, Evaluator.Result e) throws IOException {
        if (Double.isFinite(e.loss()) && Double.isFinite(e.ppl())) return;
        throw new IllegalStateException(String.format(Locale.ROOT, "the eval after step %d of %d has a non-finite %s (loss %s, perplexity %s): "
                + "the weights diverged; the run stops here and neither this eval nor a checkpoint of this step is written; %s. %s", step,
                cfg.train().steps(), Double.isFinite(e.loss()) ? "perplexity" : "loss", e.loss(), e.ppl(), lastCheckpoint(), divergenceRemedy()));
    }

    private String lastCheckpoint() throws IOException {
        var all = checkpoints.list();
        return all.isEmpty() ? "no checkpoint was written yet" : "the last checkpoint, " + all.get(all.size() - 1) + ", is intact";
    }

    /** A resume keeps the optimizer settings (they are part of the checkpointed run), so the fix is a new run. */
    private String divergenceRemedy() {
        return "To train on, start a new run (another --out) with a lower optimizer.lr (now " + cfg.optimizer().lr()
                + ") or a tighter optimizer.grad_clip (now " + (cfg.optimizer().gradClip() > 0 ? cfg.optimizer().gradClip() + ")" : "0: off)");
    }

    private void writeSkipped(MetricsLog log, long step, StepResult r, double[] alpha) throws IOException {
        ObjectNode n = log.record("skipped_step", step);
        n.put("reason", Double.isFinite(r.loss()) ? "non-finite gradient norm" : "non-finite loss");
        n.put("loss", r.loss());
        n.put("grad_norm", r.gradNorm());
        ObjectNode w = n.putObject("weights");
        for (int j = 0; j < domains.size(); j++) w.put(domains.get(j), alpha[j]);
        n.put("skipped_steps", skippedSteps);
        log.write(n);
    }

    private void writeStep(MetricsLog log, long step, StepResult r, double[] alpha, double seconds, double elapsed) throws IOException {
        ObjectNode n = log.record("step", step);
        n.put("loss", r.loss());
        ObjectNode dl = n.putObject("domain_loss");
        for (int j = 0; j < domains.size(); j++) if (r.domainTokens()[j] > 0) dl.put(domains.get(j), r.domainMeanLoss(j));
        ObjectNode w = n.putObject("weights");
        for (int j = 0; j < domains.size(); j++) w.put(domains.get(j), alpha[j]);
        // Only a policy whose learned weights are not simply its current weights (DoGE's running average) gets this
        // field (compared by value: policies return copies).
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
        refuseNonFiniteEval(step, e);
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
        List<String> missing = new ArrayList<>();
        for (int j = 0; j < domains.size(); j++) if (Double.isNaN(e.domainLoss()[j])) missing.add(domains.get(j));
        if (!missing.isEmpty()) {
            ArrayNode m = n.putArray("domains_without_val");
            missing.forEach(m::add);
        }
        log.write(n);
        out.printf(Locale.ROOT, "eval step %d: average perplexity %.3f, bits per byte %.4f%s%n", step, e.ppl(), e.bpb(), missing.isEmpty() ? ""
                : String.format(Locale.ROOT, " (over %d of %d domains; no val data: %s)", domains.size() - missing.size(), domains.size(),
                        String.join(", ", missing)));
    }

    /**
     * The evaluation comparisons are judged on: eval.final_windows_per_domain windows per domain, every window's loss
     * saved in {@link WindowLosses#FILE} (written before the record that names it, so a record always has its file).
     */
    private void writeFinalEval(MetricsLog log, long step) throws IOException {
        Evaluator.Result e = finalEvaluator.evaluate(model, dp.group(), true);
        refuseNonFiniteEval(step, e);
        if (log == null) return;
        WindowLosses.of(step, cfg.data().seqLen(), domains, e.windowLoss()).write(runDir);
        ObjectNode n = log.record("final_eval", step);
        n.put("loss", e.loss());
        n.put("ppl", e.ppl());
        n.put("bpb", e.bpb());
        ObjectNode dl = n.putObject("domain_loss"), pp = n.putObject("domain_ppl"), db = n.putObject("domain_bpb"), nw = n.putObject("windows");
        for (int j = 0; j < domains.size(); j++) {
            if (Double.isNaN(e.domainLoss()[j])) continue;
            dl.put(domains.get(j), e.domainLoss()[j]);
            pp.put(domains.get(j), e.domainPpl()[j]);
            db.put(domains.get(j), e.domainBpb()[j]);
            nw.put(domains.get(j), e.windowLoss()[j].length);
        }
        n.put("file", WindowLosses.FILE);
        log.write(n);
        out.printf(Locale.ROOT, "final eval step %d (up to %d windows per domain): average perplexity %.3f, bits per byte %.4f%n", step,
                cfg.eval().finalWindowsPerDomain(), e.ppl(), e.bpb());
    }

    private void checkpoint(MetricsLog log, long step) throws IOException {
        if (!dp.leader()) {
            dp.barrier("checkpoint of step " + step);
            return;
        }
        long offset = log.sync();
        TrainerState state = new TrainerState(TrainerState.FORMAT_VERSION, step, offset, policy.method().key(), domains,
                Mappers.JSON.valueToTree(sampler.state()), numericEnvironment.values(), data, skippedSteps);
        try (Checkpoints.Pending c = checkpoints.begin(step)) {
            c.write("model.ckpt", model::save);
            c.write("policy", policy::save);
            c.write("config.yaml", p -> AtomicFile.write(p, cfg.toYaml()));
            c.write(Checkpoints.TRAINER_STATE, p -> AtomicFile.write(p, state.toBytes()));
            dp.barrier("checkpoint of step " + step);  // complete only when every rank has finished the step
            c.commit(cfg.checkpoint().keepLast());
        }
    }

    /**
     * A resume under other threads, another BLAS or CPU, or another libtorch continues the run correctly but not
     * bit for bit as an uninterrupted run would have: say so, naming what differs.
     */
    private void warnOnOtherEnvironment(Path ckpt, TrainerState state) {
        List<String> diffs = new NumericEnvironment(state.numericEnvironment()).differences(numericEnvironment);
        if (diffs.isEmpty()) return;
        out.println("acodm: warning: checkpoint " + ckpt + " was written under another numeric environment; the run continues, "
                + "but its numbers will not be bit-identical to an uninterrupted run's (" + String.join("; ", diffs) + ")");
    }

    /** The data directory prepared again from other input since the checkpoint: refused, naming what changed. */
    private void refuseOtherData(Path ckpt, TrainerState state) {
        if (state.data() == null) {
            out.println("acodm: note: checkpoint " + ckpt.getFileName() + " does not record its data (written before data fingerprints); "
                    + "not checked that " + cfg.data().path() + " is what it trained on");
            return;
        }
        String diff = state.data().difference(data);
        if (diff != null)
            throw new IllegalArgumentException("checkpoint " + ckpt + " was trained on other data than " + cfg.data().path()
                    + " holds now: it was prepared again since, and " + diff + " differ; resume with the data it trained on, or train into another --out");
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
        n.set("data", data.toJson());
        n.put("complete", complete);
        n.set("config", ConfigWriter.toNode(cfg));
        AtomicFile.write(runDir.resolve("run.json"), Mappers.JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(n));
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
