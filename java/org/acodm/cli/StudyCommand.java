package org.acodm.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Callable;
import org.acodm.config.ConfigException;
import org.acodm.config.Mappers;
import org.acodm.data.WindowLosses;
import org.acodm.report.ReportWriter;
import org.acodm.report.RunLog;
import org.acodm.report.StudyReport;
import org.acodm.train.RunStatus;
import org.acodm.train.Trainer;
import org.acodm.train.study.SlurmArray;
import org.acodm.train.study.StepTiming;
import org.acodm.train.study.StudyPlan;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code acodm study STUDY.yaml}: one mechanism for every comparison of mixtures. Trains every (run, seed) of the study
 * (finished runs are skipped, interrupted ones resumed), then writes OUT/report/report.{md,json,html}: each run's
 * paired difference to the baseline with its 95% interval over seeds, the evaluation's own standard error, the noise
 * floor, per-domain differences and steps to the baseline's final perplexity (docs/study.md).
 */
@Command(name = "study", mixinStandardHelpOptions = true,
        description = {"Run a study: named runs (a config and overrides each) compared with a baseline over paired seeds, then",
                "report every run's difference to the baseline with a 95% interval, the evaluation's standard error and the noise",
                "floor (docs/study.md). Finished runs are skipped and interrupted ones resumed; a run whose config changed is refused."})
public final class StudyCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "STUDY.yaml", description = "The study file (docs/study.md).")
    Path file;

    @Option(names = "--out", paramLabel = "DIR", description = "Where the runs (DIR/seed-S/NAME) and the report (DIR/report) go (default: runs/<study name>).")
    Path out;

    @Option(names = "--seeds", paramLabel = "N", description = "Seeds per run, instead of the study file's seeds.")
    Integer seeds;

    @Option(names = "--set", paramLabel = "KEY=VALUE", description = "Override a key in every run, after the study's own (repeatable).")
    List<String> overrides = new ArrayList<>();

    @Option(names = "--corpus", paramLabel = "DIR", description = "Prepare this Pile-layout corpus for the runs, instead of the study file's data.corpus.")
    Path corpus;

    @Option(names = "--prepared", paramLabel = "DIR", description = "The prepared data directory, instead of the study file's data.prepared.")
    Path prepared;

    @Option(names = "--dry-run", description = "Check the study, print its runs and a time estimate from a few measured steps of each; train nothing.")
    boolean dryRun;

    @Option(names = "--collect", description = "Train nothing: build the report from the run directories there are (what is missing is listed).")
    boolean collect;

    @Option(names = "--emit-slurm", paramLabel = "DIR", description = "Write Slurm job arrays (one task per run and seed, transferred runs after their proxy) and DIR/submit.sh; train nothing.")
    Path emitSlurm;

    @Option(names = "--sbatch", paramLabel = "OPTION", description = "With --emit-slurm: an #SBATCH line for every job, e.g. --sbatch=--time=2:00:00 (repeatable).")
    List<String> sbatch = new ArrayList<>();

    @Option(names = "--run", paramLabel = "NAME", description = "Train only this run (with --seed); what a Slurm array task does.")
    String run;

    @Option(names = "--seed", paramLabel = "S", description = "With --run: the seed (1-based) to train.")
    Integer seed;

    @Option(names = "--prepare-only", description = "Only prepare the study's data (data.corpus into data.prepared).")
    boolean prepareOnly;

    /** What it prints besides the trainers' own output; tests capture it. */
    java.io.PrintStream console = System.out;

    @Override public Integer call() throws Exception {
        if ((run == null) != (seed == null)) throw new IllegalArgumentException("--run and --seed go together: --run NAME --seed S");
        List<String> studyOverrides = new ArrayList<>();
        // JSON strings are YAML too: a path with any characters survives as the value.
        if (corpus != null) studyOverrides.add("data.corpus=" + Mappers.JSON.writeValueAsString(corpus.toString()));
        if (prepared != null) studyOverrides.add("data.prepared=" + Mappers.JSON.writeValueAsString(prepared.toString()));
        StudyPlan plan = StudyPlan.load(file, out, seeds, overrides, studyOverrides);
        if (emitSlurm != null) return emitSlurm(plan);
        if (collect) {
            report(plan);
            return 0;
        }
        List<String> changed = plan.changedRuns();
        if (!changed.isEmpty())
            throw new IllegalStateException("study " + plan.name() + ": " + changed.size() + " run(s) would be mixed into the table under another "
                    + "configuration or data than the study gives them now; nothing was run. Move each directory away to train it again, or "
                    + "restore the config:\n  " + String.join("\n  ", changed));
        if (dryRun) return dryRun(plan);
        // A Slurm array task (--run) trains on what the study's prepare job made; many tasks must not prepare at once.
        if (!plan.study().data().corpus().isEmpty() && run == null) prepare(plan);
        if (prepareOnly) return 0;
        if (run != null) {
            StudyPlan.Job job = plan.job(run, seed);
            if (job.dependsOn() != null && !RunStatus.of(plan.job(job.dependsOn(), seed).dir()).complete())
                throw new IllegalStateException(job.label() + " loads the actor of " + job.dependsOn() + " (seed " + seed + "), which has not finished in "
                        + plan.job(job.dependsOn(), seed).dir());
            return train(job) ? 0 : 1;
        }
        long t0 = System.nanoTime();
        for (StudyPlan.Job job : plan.jobs())
            if (!train(job)) {
                console.println("study " + plan.name() + " stopped in " + job.label() + "; rerun the same command to continue");
                return 1;
            }
        console.printf(Locale.ROOT, "== study %s: %d runs finished in %.1f min%n", plan.name(), plan.jobs().size(), (System.nanoTime() - t0) / 6e10);
        report(plan);
        return 0;
    }

    /** Trains one job to its end (resuming), or says it is complete; false when it stopped early (a signal). */
    private boolean train(StudyPlan.Job job) throws IOException {
        RunStatus st = RunStatus.of(job.dir());
        if (st.complete()) {
            console.println("== " + job.label() + ": already complete in " + job.dir());
            return true;
        }
        console.println("== " + job.label() + " -> " + job.dir() + (st.checkpoint() >= 0 ? " (resuming from step " + st.checkpoint() + ")" : ""));
        long r0 = System.nanoTime();
        long next;
        try (Trainer t = new Trainer(job.tree(), job.dir(), System.out)) {
            next = t.run(st.checkpoint() >= 0 || st.started());
        }
        console.printf(Locale.ROOT, "== %s took %.1f min%n", job.label(), (System.nanoTime() - r0) / 6e10);
        return next >= job.config().train().steps();
    }

    private void prepare(StudyPlan plan) {
        var d = plan.study().data();
        console.println("== prepare: " + d.corpus() + " (" + d.tokenizer() + ") -> " + d.prepared());
        int rc = Main.commandLine().execute("prepare", "--tokenizer", d.tokenizer(), "--input", d.corpus(), "--out", d.prepared());
        if (rc != 0) throw new IllegalStateException("`acodm prepare` of " + d.corpus() + " failed (exit " + rc + "); nothing was trained");
    }

    private int dryRun(StudyPlan plan) throws IOException {
        console.printf(Locale.ROOT, "study %s (%s): %d runs x %d seeds, baseline %s%s -> %s%n", plan.name(), plan.file(), plan.study().runs().size(),
                plan.seeds(), plan.study().baseline(), plan.study().noiseFloor().isEmpty() ? "" : ", noise floor " + plan.study().noiseFloor(), plan.out());
        boolean measurable = Files.isRegularFile(Path.of(plan.study().data().prepared()).resolve("manifest.json"));
        if (!measurable)
            console.println("no time estimate: " + plan.study().data().prepared() + " is not prepared yet (a run without --dry-run prepares it"
                    + (plan.study().data().corpus().isEmpty() ? "; set data.corpus or run acodm prepare" : "") + ")");
        double total = 0;
        console.printf(Locale.ROOT, "%-28s %-14s %-18s %8s %10s %10s  %s%n", "run", "method", "model", "steps", "s/step", "min/seed", "status by seed");
        for (var r : plan.study().runs()) {
            StudyPlan.Job first = plan.job(r.name(), 1);
            StepTiming.Estimate e = measurable ? StepTiming.measure(first) : null;
            StringBuilder status = new StringBuilder();
            for (int s = 1; s <= plan.seeds(); s++) {
                RunStatus st = RunStatus.of(plan.job(r.name(), s).dir());
                status.append(s > 1 ? ", " : "").append(st.complete() ? "done" : st.checkpoint() >= 0 ? "at " + st.checkpoint() : "to run");
                if (e != null && !st.complete()) total += e.runSeconds() * (1 - Math.max(0, st.checkpoint()) / (double) first.config().train().steps());
            }
            console.printf(Locale.ROOT, "%-28s %-14s %-18s %8d %10s %10s  %s%n", r.name(), first.config().mixing().method().key(), first.config().model().config(),
                    first.config().train().steps(), e == null ? "n/a" : String.format(Locale.ROOT, "%.3f", e.stepSeconds()),
                    e == null ? "n/a" : String.format(Locale.ROOT, "%.1f", e.runSeconds() / 60), status);
        }
        if (measurable) console.printf(Locale.ROOT, "estimated time for what is left: %.1f min (steps measured now on this machine; evaluations priced as forward passes)%n", total / 60);
        return 0;
    }

    private int emitSlurm(StudyPlan plan) throws IOException {
        String root = System.getProperty("acodm.root");
        String acodm = root != null ? Path.of(root).resolve("bin/acodm").toAbsolutePath().toString() : "acodm";
        Path work = Path.of("").toAbsolutePath();
        List<String> args = new ArrayList<>();
        if (corpus != null) args.addAll(List.of("--corpus", corpus.toAbsolutePath().toString()));
        if (prepared != null) args.addAll(List.of("--prepared", prepared.toAbsolutePath().toString()));
        var inv = new SlurmArray.Invocation(acodm, work, file.toAbsolutePath(), plan.out().toAbsolutePath(), plan.seeds(), overrides, args, sbatch);
        List<Path> files = SlurmArray.write(plan, inv, emitSlurm);
        console.println("wrote " + files.size() + " scripts to " + emitSlurm + ": " + String.join(", ", files.stream().map(p -> p.getFileName().toString()).toList()));
        console.println("submit with: bash " + emitSlurm.resolve("submit.sh"));
        return 0;
    }

    /** Reads the finished runs and writes OUT/report/report.{md,json,html}; prints the Markdown. */
    private void report(StudyPlan plan) throws IOException {
        List<StudyReport.Run> runs = new ArrayList<>();
        List<String> leftOut = new ArrayList<>();
        List<Path> dirs = new ArrayList<>();
        for (var r : plan.study().runs()) {
            List<StudyReport.Member> members = new ArrayList<>();
            for (int s = 1; s <= plan.seeds(); s++) {
                StudyPlan.Job j = plan.job(r.name(), s);
                RunStatus st = RunStatus.of(j.dir());
                if (!st.complete()) {
                    leftOut.add(j.label() + ": " + (!st.started() ? "not run" : "not finished (" + (st.checkpoint() >= 0 ? "checkpoint at step "
                            + st.checkpoint() : "no checkpoint") + " of " + j.config().train().steps() + ")") + " in " + j.dir());
                    continue;
                }
                RunLog log = RunLog.read(j.dir());
                members.add(new StudyReport.Member(s, log, WindowLosses.read(j.dir())));
                dirs.add(j.dir());
            }
            runs.add(new StudyReport.Run(r.name(), members));
        }
        List<String> ignored = plan.study().ignoreDomains();
        Set<String> known = StudyReport.domainsOf(runs);
        for (String d : ignored)
            if (!known.isEmpty() && !known.contains(d))
                throw new ConfigException(plan.locate("ignore_domains") + ": ignore_domains: '" + d + "' is not a domain of any run " + known);
        StudyReport rep = StudyReport.of(new StudyReport.Setup(plan.name(), plan.study().baseline(), plan.study().noiseFloor(), ignored,
                plan.seeds()), runs, leftOut);
        Path dir = plan.reportDir();
        String md = rep.markdown();
        java.util.Map<String, byte[]> files = new java.util.LinkedHashMap<>();
        files.put("report.md", md.getBytes(StandardCharsets.UTF_8));
        files.put("report.json", Mappers.JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(rep.json()));
        if (!dirs.isEmpty()) ReportWriter.write(dirs, dir, new LinkedHashSet<>(ignored), rep.html(), files);
        else ReportWriter.writeFiles(dir, files);
        console.print(md);
        console.println("wrote " + dir.resolve("report.md") + ", report.json" + (dirs.isEmpty() ? "" : ", report.html"));
    }
}
