package org.acodm.train;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.acodm.config.ConfigDiff;
import org.acodm.config.ConfigTree;
import org.acodm.config.Mappers;
import org.acodm.data.WindowLosses;
import org.acodm.engine.NumericEnvironment;
import org.acodm.io.AtomicFile;
import org.acodm.io.Directories;
import org.acodm.io.DirectoryLock;
import org.acodm.mixing.ActorExport;
import org.acodm.train.config.RunConfig;

/**
 * The directory a run trains into, and its rules (docs/training.md, "The run directory"): one {@code train} at a time
 * (rank 0 holds {@link #LOCK_FILE}); a new run only into an empty folder or a run directory, and never over a run's log
 * without --overwrite, which removes what a run wrote and nothing else; which checkpoint a resume continues from, and
 * whether it may ({@link #startingPoint}: the checkpoint's files, the log's length, the config, the data, train.steps),
 * all decided before anything on disk changes; then the cleanup of what interrupted writes left, config.yaml and
 * run.json. On the other ranks of a data-parallel run it reads and checks the same, and writes nothing.
 */
final class RunDirectory {
    /** The lock file rank 0 holds for the whole run (see {@link DirectoryLock}). */
    static final String LOCK_FILE = "train.lock";
    static final String METRICS = "metrics.jsonl";
    static final String RUN_JSON = "run.json";
    static final String CONFIG = "config.yaml";
    /** Keys a resume may change without invalidating the checkpoint. */
    static final Set<String> RESUMABLE_KEYS = Set.of("run.name", "run.threads", "run.device", "run.dist_timeout", "run.dist_bucket_mb",
            "eval.batch_size", "eval.final_windows_per_domain",
            "run.dist_check_interval", "train.steps", "train.skip_nonfinite_steps", "train.log_alignment", "eval.interval", "eval.at_start",
            "checkpoint.interval", "checkpoint.keep_last");
    /** What a run writes into its directory besides the lock: what --overwrite removes. */
    private static final List<String> RUN_FILES = List.of(METRICS, RUN_JSON, CONFIG, WindowLosses.FILE, ActorExport.FILE_NAME, Checkpoints.FOLDER);

    private final Path dir;
    private final ConfigTree tree;
    private final RunConfig cfg;
    private final RunJson run;
    private final boolean leader;
    private final PrintStream out;
    private final Checkpoints checkpoints;

    /**
     * @param run    what run.json says of the run (its {@code complete} is set when written)
     * @param leader rank 0 (or the only process): the one that checks ownership and writes
     */
    RunDirectory(Path dir, ConfigTree tree, RunConfig cfg, RunJson run, boolean leader, PrintStream out) {
        this.dir = dir;
        this.tree = tree;
        this.cfg = cfg;
        this.run = run;
        this.leader = leader;
        this.out = out;
        this.checkpoints = new Checkpoints(dir);
    }

    Path path() { return dir; }
    Path metrics() { return dir.resolve(METRICS); }
    Checkpoints checkpoints() { return checkpoints; }

    /**
     * Rank 0's lock on the directory for the whole run (null on the other ranks, which share it): a second process is
     * refused, naming this one's pid. A folder that is not a run directory is refused before the lock file is created
     * in it; with a lock file there, a run may be in the making, and {@link #startingPoint} decides under the lock.
     */
    DirectoryLock lock() throws IOException {
        if (!leader) return null;
        if (Files.isDirectory(dir) && !Files.exists(dir.resolve(LOCK_FILE)) && checkpoints.list().isEmpty()) refuseForeignDirectory();
        return DirectoryLock.acquire(dir, LOCK_FILE, "train");
    }

    /**
     * Where this invocation starts, checked before anything is changed (but --overwrite's removal of the old run): a
     * resume takes the newest usable checkpoint, refuses a cut log, another config, other data or a train.steps below the
     * checkpoint, and says what it passes over; a new run refuses a directory holding checkpoints or a run's log.
     */
    ResumePoint startingPoint(boolean resume, boolean overwrite) throws IOException {
        if (overwrite && leader) {
            refuseForeignDirectory();
            for (Path p : removeRun()) out.println("--overwrite: removed " + p);
        }
        if (resume) {
            Checkpoints.Selection sel = checkpoints.selectForResume();
            if (sel.chosen() != null) return resumeFrom(sel.chosen(), sel.rejected());
            if (!sel.rejected().isEmpty())
                throw new IllegalStateException("cannot resume " + dir + ": no usable checkpoint (" + Checkpoints.describe(sel.rejected())
                        + "); nothing was changed");
            refuseForeignDirectory();
            if (leader && finishedRun())
                throw new IllegalStateException("cannot resume " + dir + ": it holds a finished run (run.json says complete) whose checkpoints are "
                        + "gone, so there is nothing to resume from, and starting again would replace its log; train into another --out, or pass "
                        + "--overwrite to replace that run. Nothing was changed");
            out.println("no complete checkpoint in " + checkpoints.directory() + ": starting from step 0"
                    + (leader && Files.exists(metrics()) ? " (the log of the interrupted start is replaced)" : ""));
            return ResumePoint.FRESH;
        }
        if (!overwrite && !checkpoints.list().isEmpty())
            throw new IllegalStateException(dir + " already holds checkpoints of a run; use --resume to continue it, --overwrite to replace it, "
                    + "or another --out");
        refuseForeignDirectory();
        if (leader && (Files.isRegularFile(dir.resolve(RUN_JSON)) || (Files.exists(metrics()) && Files.size(metrics()) > 0)))
            throw new IllegalStateException(dir + " holds the log of a run (run.json, metrics.jsonl) and no checkpoint; training here would "
                    + "replace it. Train into another --out, or pass --overwrite to replace that run. Nothing was changed");
        return ResumePoint.FRESH;
    }

    private ResumePoint resumeFrom(Checkpoints.Checked c, List<Checkpoints.Checked> damaged) throws IOException {
        TrainerState state = c.state();
        long size = Files.exists(metrics()) ? Files.size(metrics()) : 0;
        if (size < state.metricsOffset())
            throw new IllegalStateException("cannot resume " + dir + ": " + metrics() + " has " + size + " bytes, but checkpoint "
                    + c.dir().getFileName() + " was written when it had " + state.metricsOffset()
                    + " (the log was cut or replaced since); restore the log from a backup, or move " + c.dir()
                    + " (and any newer checkpoint) away to resume from an older one, or train into another --out. Nothing was changed");
        RunConfig saved = ConfigTree.load(c.dir().resolve(Checkpoints.CONFIG)).bind(RunConfig.class);
        refuseOtherConfig(c.dir(), saved);
        refuseOtherData(c.dir(), state);
        checkStepChange(c.dir(), state, saved.train().steps());
        warnOnOtherEnvironment(c.dir(), state);
        return new ResumePoint(c.dir(), state.nextStep(), state.metricsOffset(), state.skippedSteps(), c.notes(), damaged);
    }

    /** Says which checkpoint the run continues from, once the trainer has loaded it, with what could not be checked in it. */
    void resuming(ResumePoint from) {
        for (String note : from.notes()) out.println("acodm: note: checkpoint " + from.checkpoint().getFileName() + " was " + note);
        out.printf(Locale.ROOT, "resuming %s from %s (step %d of %d)%n", cfg.run().name(), from.checkpoint(), from.step(), cfg.train().steps());
    }

    /**
     * Once every rank has read what it starts from, rank 0 changes the directory: damaged checkpoints passed over are set
     * aside, what interrupted writes left is removed, and config.yaml and run.json are written.
     */
    void begin(ResumePoint from) throws IOException {
        if (!leader) return;
        for (Checkpoints.Checked bad : from.damaged())
            out.println("acodm: warning: checkpoint " + bad.dir() + " is damaged (" + bad.describeProblems() + "); moved it to "
                    + checkpoints.setAside(bad.dir()) + " and resuming from the newest usable one, " + from.checkpoint().getFileName());
        for (Path p : checkpoints.removeStale()) out.println("removed " + p + ", left by an interrupted checkpoint");
        for (Path p : AtomicFile.removeTemporaries(dir)) out.println("removed " + p + ", left by an interrupted write");
        AtomicFile.write(dir.resolve(CONFIG), cfg.toYaml());
        writeRunJson(from.step() >= cfg.train().steps());
    }

    /**
     * The checkpoint of {@code step} (rank 0): the model, the policy, config.yaml and trainer.json, then, once
     * {@code allRanks} returns (every rank has finished the step), the manifest and the rename; checkpoint.keep_last are kept.
     */
    void checkpoint(long step, Checkpoints.Part model, Checkpoints.Part policy, TrainerState state, Runnable allRanks) throws IOException {
        try (Checkpoints.Pending c = checkpoints.begin(step)) {
            c.write(Checkpoints.MODEL, model);
            c.write(Checkpoints.POLICY, policy);
            c.write(Checkpoints.CONFIG, p -> AtomicFile.write(p, cfg.toYaml()));
            c.write(Checkpoints.TRAINER_STATE, p -> AtomicFile.write(p, state.toBytes()));
            allRanks.run();
            c.commit(cfg.checkpoint().keepLast());
        }
    }

    /** run.json, saying whether the run reached train.steps (rank 0 only). */
    void writeRunJson(boolean complete) throws IOException {
        if (leader) AtomicFile.write(dir.resolve(RUN_JSON), Mappers.JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(run.withComplete(complete)));
    }

    /** run.json says the run reached its last step. */
    private boolean finishedRun() {
        try {
            return RunStatus.of(dir).complete();
        } catch (IOException e) {
            return false;
        }
    }

    private List<Path> removeRun() throws IOException {
        List<Path> removed = new ArrayList<>();
        for (String f : RUN_FILES) {
            Path p = dir.resolve(f);
            if (!Files.exists(p, LinkOption.NOFOLLOW_LINKS)) continue;
            Directories.deleteTree(p);
            removed.add(p);
        }
        return removed;
    }

    /** A new run goes into an empty folder or a run directory; anything else there might be the user's and get overwritten. */
    private void refuseForeignDirectory() throws IOException {
        // Rank 0 checks for the job (it created the directory with its lock; the others may find it missing or half made).
        if (!leader || Files.isRegularFile(dir.resolve(RUN_JSON))) return;
        List<String> foreign = Directories.foreignEntries(dir, p -> p.getFileName().toString().equals(LOCK_FILE) || AtomicFile.isTemporary(p));
        if (!foreign.isEmpty())
            throw new IllegalStateException(dir + " is not empty and is not a run directory (it holds " + Directories.listing(foreign)
                    + "); train into a new or empty directory (--out)");
    }

    private void refuseOtherConfig(Path ckpt, RunConfig saved) {
        var diffs = ConfigDiff.between(saved, cfg, RESUMABLE_KEYS);
        if (!diffs.isEmpty())
            throw new IllegalArgumentException("checkpoint " + ckpt + " was written under another configuration: "
                    + ConfigDiff.describe(diffs) + " (checkpoint vs " + tree.source() + ")");
    }

    /** The data directory prepared again from other input since the checkpoint: refused, naming what changed. */
    private void refuseOtherData(Path ckpt, TrainerState state) {
        if (state.data() == null) {
            out.println("acodm: note: checkpoint " + ckpt.getFileName() + " does not record its data (written before data fingerprints); "
                    + "not checked that " + cfg.data().path() + " is what it trained on");
            return;
        }
        String diff = state.data().difference(run.data());
        if (diff != null)
            throw new IllegalArgumentException("checkpoint " + ckpt + " was trained on other data than " + cfg.data().path()
                    + " holds now: it was prepared again since, and " + diff + " differ; resume with the data it trained on, or train into another --out");
    }

    /**
     * train.steps changed on resume. Below the checkpoint's step: refused (a run is never cut below what it trained, and
     * nothing is rewritten). Otherwise the learning-rate schedule stays the one the run started with (it is part of the
     * checkpointed optimizer): said, with what it means for the steps past the old end.
     */
    private void checkStepChange(Path ckpt, TrainerState state, long planned) {
        long now = cfg.train().steps();
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

    /**
     * A resume under other threads, another BLAS or CPU, or another libtorch continues the run correctly but not
     * bit for bit as an uninterrupted run would have: say so, naming what differs.
     */
    private void warnOnOtherEnvironment(Path ckpt, TrainerState state) {
        List<String> diffs = new NumericEnvironment(state.numericEnvironment()).differences(new NumericEnvironment(run.numericEnvironment()));
        if (diffs.isEmpty()) return;
        out.println("acodm: warning: checkpoint " + ckpt + " was written under another numeric environment; the run continues, "
                + "but its numbers will not be bit-identical to an uninterrupted run's (" + String.join("; ", diffs) + ")");
    }
}
