package org.acodm.train.study;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.acodm.io.AtomicFile;
import org.acodm.io.Directories;

/**
 * {@code acodm study --emit-slurm DIR}: the study as Slurm job arrays, one array task per (run, seed), for a cluster's
 * own scheduler (acodm has none). Runs that load no actor form array level-0; a run that loads the actor of a
 * level-L run is in level L+1, submitted with {@code --dependency=afterok} on the whole level before it. When the
 * study prepares its data, a prepare job comes first; a report job ({@code --collect}) runs after every level, also
 * when some task failed ({@code afterany}), so a partial study still gets its report with what is missing listed.
 * {@code DIR/submit.sh} submits the chain with {@code sbatch --parsable}.
 */
public final class SlurmArray {
    /** What the scripts run: the acodm command and the study's arguments (absolute paths, since jobs start elsewhere). */
    public record Invocation(String acodm, Path workDir, Path studyFile, Path out, int seeds, List<String> overrides, List<String> otherArgs,
                             List<String> sbatchOptions) {}

    private SlurmArray() {}

    /** The scripts' names, in submission order (written into {@code dir}). */
    public static List<Path> write(StudyPlan plan, Invocation inv, Path dir) throws IOException {
        Directories.create(dir.resolve("logs"));
        List<List<StudyPlan.Job>> levels = levels(plan);
        List<Path> files = new ArrayList<>();
        String common = base(inv);
        boolean prepare = !plan.study().data().corpus().isEmpty();
        if (prepare) files.add(script(dir, "prepare.sbatch", header(plan, "prepare", dir, inv, null) + "exec " + common + " --prepare-only\n"));
        for (int l = 0; l < levels.size(); l++) {
            List<StudyPlan.Job> jobs = levels.get(l);
            StringBuilder b = new StringBuilder(header(plan, "level" + l, dir, inv, "0-" + (jobs.size() - 1)));
            b.append("case \"$SLURM_ARRAY_TASK_ID\" in\n");
            for (int i = 0; i < jobs.size(); i++)
                b.append(String.format(Locale.ROOT, "  %d) run=%s; seed=%d ;;%n", i, quote(jobs.get(i).name()), jobs.get(i).seedIndex()));
            b.append("  *) echo \"no task $SLURM_ARRAY_TASK_ID in this array\" >&2; exit 2 ;;\nesac\n");
            b.append("exec ").append(common).append(" --run \"$run\" --seed \"$seed\"\n");
            files.add(script(dir, "level-" + l + ".sbatch", b.toString()));
        }
        files.add(script(dir, "report.sbatch", header(plan, "report", dir, inv, null) + "exec " + common + " --collect\n"));

        StringBuilder s = new StringBuilder("#!/usr/bin/env bash\n")
                .append("# Submits study '").append(plan.name()).append("': ").append(plan.jobs().size()).append(" runs in ").append(levels.size())
                .append(" array level(s); written by acodm study --emit-slurm.\nset -euo pipefail\ncd \"$(dirname \"${BASH_SOURCE[0]}\")\"\n");
        String previous = null;
        if (prepare) {
            s.append("prepare=$(sbatch --parsable prepare.sbatch)\necho \"prepare: job $prepare\"\n");
            previous = "$prepare";
        }
        List<String> all = new ArrayList<>();
        for (int l = 0; l < levels.size(); l++) {
            s.append("level").append(l).append("=$(sbatch --parsable").append(previous == null ? "" : " --dependency=afterok:" + previous)
             .append(" level-").append(l).append(".sbatch)\necho \"level ").append(l).append(" (").append(levels.get(l).size())
             .append(" tasks): job $level").append(l).append("\"\n");
            previous = "$level" + l;
            all.add(previous);
        }
        s.append("report=$(sbatch --parsable --dependency=afterany:").append(String.join(":", all)).append(" report.sbatch)\n")
         .append("echo \"report: job $report\"\n");
        files.add(script(dir, "submit.sh", s.toString()));
        return files;
    }

    /** Level 0: the jobs that load no actor; level L+1: those loading a level-L job's actor. In the plan's order within a level. */
    static List<List<StudyPlan.Job>> levels(StudyPlan plan) {
        Map<String, Integer> level = new HashMap<>();
        List<List<StudyPlan.Job>> out = new ArrayList<>();
        for (StudyPlan.Job j : plan.jobs()) {
            int l = j.dependsOn() == null ? 0 : level.get(j.dependsOn() + "\u0000" + j.seedIndex()) + 1;
            level.put(j.name() + "\u0000" + j.seedIndex(), l);
            while (out.size() <= l) out.add(new ArrayList<>());
            out.get(l).add(j);
        }
        return out;
    }

    private static String base(Invocation inv) {
        StringBuilder b = new StringBuilder(quote(inv.acodm())).append(" study ").append(quote(inv.studyFile().toString()))
                .append(" --out ").append(quote(inv.out().toString())).append(" --seeds ").append(inv.seeds());
        for (String o : inv.overrides()) b.append(" --set ").append(quote(o));
        for (String a : inv.otherArgs()) b.append(' ').append(quote(a));
        return b.toString();
    }

    private static String header(StudyPlan plan, String what, Path dir, Invocation inv, String array) {
        StringBuilder b = new StringBuilder("#!/usr/bin/env bash\n");
        b.append("#SBATCH --job-name=acodm-").append(plan.name()).append('-').append(what).append('\n');
        if (array != null) b.append("#SBATCH --array=").append(array).append('\n');
        b.append("#SBATCH --output=").append(dir.resolve("logs")).append(array != null ? "/%x-%A_%a.out" : "/%x-%j.out").append('\n');
        b.append("#SBATCH --chdir=").append(inv.workDir()).append('\n');
        b.append("#SBATCH --ntasks=1\n");
        for (String o : inv.sbatchOptions()) b.append("#SBATCH ").append(o).append('\n');
        return b.append("set -euo pipefail\n").toString();
    }

    private static Path script(Path dir, String name, String text) throws IOException {
        Path f = dir.resolve(name);
        AtomicFile.write(f, text);
        f.toFile().setExecutable(true);
        return f;
    }

    /** A word for bash: single-quoted unless it is plainly safe. */
    static String quote(String s) {
        if (s.matches("[A-Za-z0-9._/+=:@%-]+")) return s;
        return "'" + s.replace("'", "'\\''") + "'";
    }
}
