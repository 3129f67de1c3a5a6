package org.acodm.train;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicBoolean;
import me.tongfei.progressbar.ProgressBar;
import org.acodm.config.ConfigTree;
import org.acodm.config.Mappers;
import org.acodm.data.EvalRecord;
import org.acodm.data.SampledBatch;
import org.acodm.engine.Model;
import org.acodm.engine.NumericEnvironment;
import org.acodm.engine.StepResult;
import org.acodm.io.DirectoryLock;
import org.acodm.mixing.DeltaReference;
import org.acodm.mixing.MixingPolicy;
import org.acodm.mixing.StateLayers;
import org.acodm.mixing.StepObservation;
import org.acodm.train.config.RunConfig;

/**
 * One training run, DESIGN.md section 4: the policy gives α, the sampler draws the step's windows from α (a pure
 * function of seed and step), the engine trains, the policy observes; evaluation and atomic checkpoints at their
 * intervals. SIGTERM/SIGINT finish the current step, checkpoint, and stop. What the run directory allows and holds is
 * {@link RunDirectory}'s; the data and its checks {@link RunData}'s.
 *
 * <p>Data-parallel ({@link World} from the environment, {@link DataParallel}): every rank trains its slice of each
 * global batch and holds the whole replicated state; rank 0 alone writes the run directory, and a checkpoint counts
 * as complete only once every rank has finished its step (a barrier before the rename).
 */
public final class Trainer implements AutoCloseable {
    private final RunConfig cfg;
    private final PrintStream out;
    private final RunData data;
    private final MixingPolicy policy;
    private final DataParallel dp;
    private final Model model;
    private final NumericEnvironment numericEnvironment;
    private final RunDirectory runDir;
    private final AtomicBoolean stopRequested = new AtomicBoolean();
    private long maxSteps = Long.MAX_VALUE;
    private boolean overwrite;
    private NonFiniteSteps nonFinite;

    public Trainer(ConfigTree tree, Path runDir, PrintStream out) throws IOException {
        this(tree, runDir, out, World.single());
    }

    /** A trainer that is one rank of {@code world}; it joins the other ranks before it builds the model. */
    public Trainer(ConfigTree tree, Path dir, PrintStream out, World world) throws IOException {
        this.cfg = tree.bind(RunConfig.class);
        cfg.mixing().bindSettings(tree);  // the method's settings are checked before any heavy work
        // Only rank 0 speaks for the run; the others report errors (thrown) and nothing else.
        this.out = world.rank() == 0 ? out : new PrintStream(OutputStream.nullOutputStream());
        RunData d = null;
        MixingPolicy p = null;
        DataParallel g = null;
        Model m = null;
        // A config error found half-way must not leak what was already opened (tests and the demo build many
        // trainers in one JVM); each resource is closed in reverse order before the error propagates.
        try {
            d = RunData.open(tree, cfg);
            // The policy comes before the model: its errors (weights naming unknown domains, an actor exported for
            // other domains) are config errors too, and should not wait for a model of possibly billions of weights.
            p = cfg.mixing().createPolicy(tree, d.domains(), d.manifest(), cfg.train().steps(), cfg.run().seed());
            String device = DataParallel.device(cfg.run().device(), world);
            g = DataParallel.join(world, cfg, tree, device);
            Model.setNumThreads(DataParallel.threads(cfg.run().threads(), world));
            m = new Model(cfg.model().config(), cfg.run().seed(), device);
            d.checkModel(m, cfg, tree);
            configure(m, p, g);
        } catch (RuntimeException | IOException | Error e) {
            if (m != null) m.close();
            if (g != null) g.close();
            if (p != null) p.close();
            if (d != null) d.close();
            throw e;
        }
        this.data = d;
        this.policy = p;
        this.dp = g;
        this.model = m;
        this.numericEnvironment = g.numericEnvironment(m.deviceName());
        this.runDir = new RunDirectory(dir, tree, cfg, RunJson.of(cfg, m, d.domains(), d.manifest().tokenizer().spec(), numericEnvironment,
                d.identity()), g.leader(), this.out);
    }

    /** The optimizer, and what the steps report besides losses: S over the reward layers, the norms of the state layers. */
    private void configure(Model m, MixingPolicy p, DataParallel g) {
        m.setOptimizer(cfg.optimizer().settings(cfg.train().steps()));
        if (p.needsAlignment() || cfg.train().logAlignment()) m.setAlignmentParameters(p.rewardLayers(m.numLayers()));
        m.setAlignmentSplit(p.needsSplitAlignment());
        StateLayers state = p.stateLayers(m.numLayers());
        if (!state.names().isEmpty()) m.setStateParameters(state.names(), state.reference() == DeltaReference.PREVIOUS);
        if (g.group() != null) m.attach(g.group(), Math.round(cfg.run().distBucketMb() * (1 << 20)));
    }

    /** The plan of this run, with the model's own shape and the policy's initial weights (the header of {@code train}). */
    public RunPlan plan() {
        return new RunPlan(model.configString(), model.numParameters(), data.domains(), cfg.train().steps(), cfg.data().batchSize(),
                cfg.data().seqLen(), (long) cfg.data().batchSize() * cfg.data().seqLen(), policy.weights(), cfg.mixing().method().key(),
                RunPlan.dataNotes(data.manifest(), data.domains(), cfg.data()));
    }

    /** Stops after this many steps of this invocation (tests use it to simulate preemption). */
    public void limitSteps(long n) { this.maxSteps = n; }

    /** Replace a run already in the directory (what --overwrite asks for); files that are not a run's are still refused. */
    public void overwrite(boolean replace) { this.overwrite = replace; }

    /** Asks the loop to finish the current step, checkpoint and return (what SIGTERM does). */
    public void requestStop() { stopRequested.set(true); }

    /**
     * Runs (or resumes) to train.steps. Returns the number of the next step to run. The run directory is locked for the
     * whole call; a resume checks what it continues from before it changes anything (see {@link RunDirectory}).
     */
    public long run(boolean resume) throws IOException {
        try (DirectoryLock lock = runDir.lock()) {
            ResumePoint from = runDir.startingPoint(resume, overwrite);
            if (from.resumes()) {
                model.load(from.model());
                policy.load(from.policy());
                runDir.resuming(from);
            }
            // Every rank has read and checked what it resumes from: only now, and only rank 0, changes anything on disk.
            dp.checkSameStart(from.step(), runDir.path());
            dp.printStart(out, cfg.data().batchSize());
            runDir.begin(from);
            nonFinite = new NonFiniteSteps(cfg, runDir.checkpoints(), out, from.skippedSteps());
            try (StopSignal signal = new StopSignal(this::requestStop);
                 MetricsLog log = dp.leader() ? MetricsLog.open(runDir.metrics(), from.metricsOffset(), data.domains()) : null) {
                long next = loop(log, from.step());
                dp.printSummary(out);
                if (next >= cfg.train().steps() && dp.leader()) {
                    runDir.writeRunJson(true);
                    policy.onRunComplete(runDir.path(), out);
                }
                return next;
            }
        }
    }

    /** The loop of every rank; {@code log} is rank 0's (null on the others, which write nothing). */
    private long loop(MetricsLog log, long start) throws IOException {
        final long total = cfg.train().steps();
        final int b = cfg.data().batchSize(), k = data.domains().size();
        final int microBatches = dp.microBatches(b, cfg.data().microBatches());
        final boolean alignment = policy.needsAlignment() || cfg.train().logAlignment();
        final long evalEvery = cfg.eval().interval(), ckptEvery = cfg.checkpoint().interval(), checkEvery = cfg.run().distCheckInterval();
        final double tokensPerStep = (double) b * cfg.data().seqLen();
        if (start == 0 && cfg.eval().atStart()) eval(log, 0);
        long step = start, ran = 0;
        long t0 = System.nanoTime();
        try (ProgressBar progress = TrainProgressBar.open(out, start, total)) {
            while (step < total) {
                double[] alpha = policy.weights();
                SampledBatch batch = data.sampler().sampleSlice(step, alpha, dp.first(b), dp.count(b));
                long ts = System.nanoTime();
                StepResult r = model.trainStep(batch.tokens(), batch.batchSize(), batch.windowLength(), batch.domains(), k, microBatches, alignment);
                // The engine applies no update when the loss or the gradient norm is not finite (the global batch's, the same
                // on every rank); the policy does not see such a step.
                if (r.updated()) policy.observe(StepObservation.of(data.domains(), r, total));
                else nonFinite.skipOrStop(step + 1, r);
                double seconds = (System.nanoTime() - ts) / 1e9;
                step++;
                ran++;
                if (r.updated()) {
                    if (log != null) log.step(step, r, alpha, policy, cfg.train().logAlignment(), tokensPerStep / seconds, (System.nanoTime() - t0) / 1e9);
                    progress.stepTo(step).setExtraMessage(String.format(Locale.ROOT, "loss %.4f, %.0f tokens/s", r.loss(), tokensPerStep / seconds));
                } else if (log != null) {
                    log.skipped(step, r, alpha, nonFinite.skipped());
                }
                boolean last = step == total;
                if (checkEvery > 0 && (last || step % checkEvery == 0)) dp.checkSameState(step, policy.weights(), policy);
                if (last || (evalEvery > 0 && step % evalEvery == 0)) eval(log, step);
                if (last && data.finalEvaluator() != null) finalEval(log, step);
                boolean stop = dp.anyRank(stopRequested.get() || ran >= maxSteps);
                if (last || stop || (ckptEvery > 0 && step % ckptEvery == 0)) checkpoint(log, step);
                if (stop && !last) {
                    out.printf(Locale.ROOT, "stopped after step %d of %d; checkpoint written, resume with --resume%n", step, total);
                    break;
                }
            }
        }
        return step;
    }

    /** Every rank evaluates its share; rank 0 writes the record. */
    private void eval(MetricsLog log, long step) throws IOException {
        Evaluator.Result e = data.evaluator().evaluate(model, dp.group());
        nonFinite.refuseEval(step, e);
        if (log == null) return;
        EvalRecord r = log.eval(step, e);
        List<String> missing = r.domainsWithoutVal() == null ? List.of() : r.domainsWithoutVal();
        int k = data.domains().size();
        out.printf(Locale.ROOT, "eval step %d: average perplexity %.3f, bits per byte %.4f%s%n", step, e.ppl(), e.bpb(), missing.isEmpty() ? ""
                : String.format(Locale.ROOT, " (over %d of %d domains; no val data: %s)", k - missing.size(), k, String.join(", ", missing)));
    }

    /** The evaluation comparisons are judged on: eval.final_windows_per_domain windows per domain, each window's loss kept. */
    private void finalEval(MetricsLog log, long step) throws IOException {
        Evaluator.Result e = data.finalEvaluator().evaluate(model, dp.group(), true);
        nonFinite.refuseEval(step, e);
        if (log == null) return;
        log.finalEval(runDir.path(), step, cfg.data().seqLen(), e);
        out.printf(Locale.ROOT, "final eval step %d (up to %d windows per domain): average perplexity %.3f, bits per byte %.4f%n", step,
                cfg.eval().finalWindowsPerDomain(), e.ppl(), e.bpb());
    }

    private void checkpoint(MetricsLog log, long step) throws IOException {
        Runnable allRanks = () -> dp.barrier("checkpoint of step " + step);
        if (!dp.leader()) {
            allRanks.run();
            return;
        }
        TrainerState state = new TrainerState(TrainerState.FORMAT_VERSION, step, log.sync(), policy.method().key(), data.domains(),
                Mappers.JSON.valueToTree(data.sampler().state()), numericEnvironment.values(), data.identity(), nonFinite.skipped());
        runDir.checkpoint(step, model::save, policy::save, state, allRanks);
    }

    /** Rank 0 of a data-parallel run, or the only process. */
    public boolean leader() { return dp.leader(); }

    @Override public void close() throws IOException {
        policy.close();
        model.close();
        dp.close();
        data.close();
    }
}
