package org.acodm.bench.dist;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.acodm.bench.Machine;
import org.acodm.config.Mappers;

/**
 * bench/run.sh ddp: data-parallel training of the demo target (configs/demo/uniform-target.yaml, with S computed over
 * the default reward layers: train.log_alignment) on the minipile byte shards, measured the way a user runs it, in
 * the same invocation: one rank with 2 threads, then 2 ranks with 1 thread each (acodm train --nproc-per-node 2),
 * in alternating rounds ({@code --rounds N}, default 2) so that a burst of load from other work on the
 * machine hits both. Prints what a step moves per rank for the gradients and for S, the all-reduce time as a
 * fraction of step time, each round's ratio and the load average, and last the throughput ratio of the best
 * round of each. A round's step time is the median over the steps after the first {@link #WARMUP} (JIT,
 * allocator and caches settle), evaluation and checkpoints excluded.
 *
 * <p>Not in lockstep turns like the other groups: a rank is a process, and what is measured is a whole run of
 * several processes.
 */
public final class DdpBenchmark {
    static final int STEPS = 40;
    static final int WARMUP = 8;

    private DdpBenchmark() {}

    /** {@code --rounds N} (default 2); no other option applies to whole runs. */
    public static int rounds(String[] opts) {
        int rounds = 2;
        for (int i = 0; i < opts.length; i += 2) {
            if (!opts[i].equals("--rounds") || i + 1 >= opts.length)
                throw new IllegalArgumentException("ddp takes only --rounds N (whole runs, not turns), got " + String.join(" ", opts));
            rounds = Integer.parseInt(opts[i + 1]);
        }
        if (rounds < 1) throw new IllegalArgumentException("--rounds must be >= 1, got " + rounds);
        return rounds;
    }

    public static void run(int rounds) throws Exception {
        Path root = Path.of(System.getProperty("acodm.root", ".")).toAbsolutePath().normalize();
        Path work = root.resolve("bench/target/ddp");
        Files.createDirectories(work);
        Path shards = work.resolve("minipile-byte");
        if (!Files.isRegularFile(shards.resolve("manifest.json")))
            cli(work.resolve("prepare.log"), List.of("prepare", "--tokenizer", "byte", "--quiet", "--input",
                    root.resolve("../shared/data/minipile").normalize().toString(), "--out", shards.toString()));
        Path config = root.resolve("configs/demo/uniform-target.yaml");
        List<String> common = List.of("--set", "data.path=" + shards, "--set", "train.steps=" + STEPS, "--set", "train.log_alignment=true",
                "--set", "eval.at_start=false", "--set", "eval.interval=0", "--set", "checkpoint.interval=0", "--set", "run.device=cpu");

        String loadBefore = Machine.loadAverage();
        double s1 = Double.MAX_VALUE, s2 = Double.MAX_VALUE;
        String log = "";
        Path one = work.resolve("one-rank-two-threads");
        List<String> perRound = new ArrayList<>();
        for (int round = 1; round <= rounds; round++) {
            fresh(one);
            List<String> a = new ArrayList<>(List.of("train", "--config", config.toString(), "--out", one.toString(), "--set", "run.threads=2"));
            a.addAll(common);
            cli(work.resolve("one-rank.log"), a);

            Path two = fresh(work.resolve("two-ranks-one-thread"));
            List<String> b = new ArrayList<>(List.of("train", "--config", config.toString(), "--out", two.toString(), "--set", "run.threads=1",
                    "--nproc-per-node", "2"));
            b.addAll(common);
            log = cli(work.resolve("two-ranks.log"), b);
            double r1 = medianStepSeconds(one), r2 = medianStepSeconds(two);
            perRound.add(String.format(Locale.ROOT, "%.1f / %.1f ms = %.3f", 1e3 * r1, 1e3 * r2, r1 / r2));
            s1 = Math.min(s1, r1);
            s2 = Math.min(s2, r2);
        }
        long tokens = Mappers.JSON.readTree(one.resolve("run.json").toFile()).get("tokens_per_step").asLong();
        Matcher m = Pattern.compile("distributed: 2 ranks over (\\S+); per step and rank: gradient all-reduce (.+?) sent \\((.+?) in (\\d+) buckets\\), "
                + "S (.+?) sent \\((.+?) of rows and partial Grams\\); all-reduce time ([0-9.]+)% of step time \\(gradients ([0-9.]+)%, "
                + "S ([0-9.]+)%, sums ([0-9.]+)%\\)").matcher(log);
        if (!m.find()) throw new IllegalStateException("the 2-rank run printed no communication summary; see " + work.resolve("two-ranks.log"));
        System.out.printf(Locale.ROOT, "ddp: demo target (configs/demo/uniform-target.yaml, model demo-target, %d tokens per step, S logged), "
                + "%d steps, median of steps %d..%d; CPU %s, %d cores%n", tokens, STEPS, WARMUP + 1, STEPS, Machine.cpu(),
                Machine.cores());
        System.out.printf(Locale.ROOT, "gradient all-reduce per step and rank: %s sent (%s of gradients in %s buckets)%n", m.group(2), m.group(3), m.group(4));
        System.out.printf(Locale.ROOT, "S per step and rank: %s sent (%s of rows and K x K partials)%n", m.group(5), m.group(6));
        System.out.printf(Locale.ROOT, "all-reduce time, 2 ranks over %s: %s%% of step time (gradients %s%%, S %s%%, per-domain sums %s%%)%n",
                m.group(1), m.group(7), m.group(8), m.group(9), m.group(10));
        System.out.printf(Locale.ROOT, "rounds (1 rank x 2 threads / 2 ranks x 1 thread step time): %s; load average before %s, after %s%n",
                String.join("; ", perRound), loadBefore, Machine.loadAverage());
        System.out.printf(Locale.ROOT, "best round: 1 rank x 2 threads: %.0f tokens/s (%.1f ms/step); 2 ranks x 1 thread: %.0f tokens/s (%.1f ms/step)%n",
                tokens / s1, 1e3 * s1, tokens / s2, 1e3 * s2);
        System.out.printf(Locale.ROOT, "2 ranks x 1 thread / 1 rank x 2 threads throughput: %.3f%n", s1 / s2);
    }

    /** Median seconds of one step after the warm-up, from the step records (tokens / tokens_per_s). */
    static double medianStepSeconds(Path run) throws IOException {
        List<Double> s = new ArrayList<>();
        long tokens = Mappers.JSON.readTree(run.resolve("run.json").toFile()).get("tokens_per_step").asLong();
        for (String line : Files.readAllLines(run.resolve("metrics.jsonl"), StandardCharsets.UTF_8)) {
            var n = Mappers.JSON.readTree(line);
            if (n.path("type").asText().equals("step") && n.path("step").asInt() > WARMUP) s.add(tokens / n.get("tokens_per_s").asDouble());
        }
        double[] v = s.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        if (v.length == 0) throw new IllegalStateException(run + " has no steps after the warm-up");
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }

    /** `acodm ARGS` in a child JVM of this class path; returns its output, fails on a non-zero exit. */
    static String cli(Path log, List<String> args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx2g", "-cp",
                System.getProperty("java.class.path"), "org.acodm.cli.Main"));
        cmd.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().putIfAbsent("OMP_WAIT_POLICY", "PASSIVE");
        Process p = pb.start();
        if (!p.waitFor(30, TimeUnit.MINUTES)) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
            throw new IllegalStateException("acodm " + String.join(" ", args) + " took over 30 minutes; see " + log);
        }
        String out = Files.readString(log, StandardCharsets.UTF_8);
        if (p.exitValue() != 0) throw new IllegalStateException("acodm " + args.get(0) + " failed (exit " + p.exitValue() + "):\n" + out);
        return out;
    }

    static Path fresh(Path dir) throws IOException {
        if (Files.exists(dir))
            try (var w = Files.walk(dir)) {
                for (Path q : w.sorted(java.util.Comparator.reverseOrder()).toList()) Files.delete(q);
            }
        return dir;
    }
}
