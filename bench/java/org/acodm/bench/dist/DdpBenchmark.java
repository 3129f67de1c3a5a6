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
import org.acodm.bench.Ratios;
import org.acodm.bench.Ratios.Ratio;
import org.acodm.config.Mappers;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Group "ddp": data-parallel training of the demo target (configs/demo/uniform-target.yaml, with S computed over the
 * default reward layers: train.log_alignment) on the minipile byte shards, measured the way a user runs it: one rank
 * with 2 threads, and 2 ranks with 1 thread each (acodm train --nproc-per-node 2), as whole runs of child processes.
 * {@link #lockstep} runs both per invocation, in alternating order, so that a burst of load from other work on the
 * machine hits both; each side's "time" is its run's median step time over the steps after the first {@link #WARMUP}
 * (JIT, allocator and caches settle; evaluation and checkpoints are off), from its metrics.jsonl. After the last
 * iteration it prints what a step moves per rank for the gradients and for S and the all-reduce time as a fraction of
 * step time, from the 2-rank run's summary.
 */
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.SECONDS)
// One fork: the work is in child processes; this JVM only launches them and reads their logs.
@Fork(1)
// Whole runs (tens of seconds each): no warm-up invocation (each run's own first steps are left out of its median),
// three measured invocations, each one run of each side.
@Warmup(iterations = 0)
@Measurement(iterations = 3)
public class DdpBenchmark {
    static final int STEPS = 40;
    static final int WARMUP = 8;

    /** The shards (prepared once into bench/target/ddp) and the two ways to run. */
    @State(Scope.Benchmark)
    public static class Runs {
        Path work, config;
        List<String> common;
        String lastTwoRankLog = "";

        @Setup(Level.Trial)
        public void setUp() throws Exception {
            Path root = Path.of(System.getProperty("acodm.root", ".")).toAbsolutePath().normalize();
            work = root.resolve("bench/target/ddp");
            Files.createDirectories(work);
            Path shards = work.resolve("minipile-byte");
            if (!Files.isRegularFile(shards.resolve("manifest.json")))
                cli(work.resolve("prepare.log"), List.of("prepare", "--tokenizer", "byte", "--quiet", "--input",
                        root.resolve("../shared/data/minipile").normalize().toString(), "--out", shards.toString()));
            config = root.resolve("configs/demo/uniform-target.yaml");
            common = List.of("--set", "data.path=" + shards, "--set", "train.steps=" + STEPS, "--set", "train.log_alignment=true",
                    "--set", "eval.at_start=false", "--set", "eval.interval=0", "--set", "checkpoint.interval=0", "--set", "run.device=cpu");
        }

        /** One rank with 2 threads; returns its median step seconds. */
        double oneRank() throws Exception {
            Path run = fresh(work.resolve("one-rank-two-threads"));
            List<String> a = new ArrayList<>(List.of("train", "--config", config.toString(), "--out", run.toString(), "--set", "run.threads=2"));
            a.addAll(common);
            cli(work.resolve("one-rank.log"), a);
            return medianStepSeconds(run);
        }

        /** Two ranks with 1 thread each; returns the median step seconds of rank 0's log. */
        double twoRanks() throws Exception {
            Path run = fresh(work.resolve("two-ranks-one-thread"));
            List<String> b = new ArrayList<>(List.of("train", "--config", config.toString(), "--out", run.toString(), "--set", "run.threads=1",
                    "--nproc-per-node", "2"));
            b.addAll(common);
            lastTwoRankLog = cli(work.resolve("two-ranks.log"), b);
            return medianStepSeconds(run);
        }

        @TearDown(Level.Trial)
        public void tearDown() throws IOException {
            if (lastTwoRankLog.isEmpty()) return;
            Matcher m = Pattern.compile("distributed: 2 ranks over (\\S+); per step and rank: gradient all-reduce (.+?) sent \\((.+?) in (\\d+) buckets\\), "
                    + "S (.+?) sent \\((.+?) of rows and partial Grams\\); all-reduce time ([0-9.]+)% of step time \\(gradients ([0-9.]+)%, "
                    + "S ([0-9.]+)%, sums ([0-9.]+)%\\)").matcher(lastTwoRankLog);
            if (!m.find()) throw new IllegalStateException("the 2-rank run printed no communication summary; see " + work.resolve("two-ranks.log"));
            long tokens = Mappers.JSON.readTree(work.resolve("two-ranks-one-thread/run.json").toFile()).get("tokens_per_step").asLong();
            System.out.printf(Locale.ROOT, "ddp: demo target (configs/demo/uniform-target.yaml, %d tokens per step, S logged), %d steps, "
                    + "median of steps %d..%d%n", tokens, STEPS, WARMUP + 1, STEPS);
            System.out.printf(Locale.ROOT, "gradient all-reduce per step and rank: %s sent (%s of gradients in %s buckets)%n", m.group(2), m.group(3), m.group(4));
            System.out.printf(Locale.ROOT, "S per step and rank: %s sent (%s of rows and K x K partials)%n", m.group(5), m.group(6));
            System.out.printf(Locale.ROOT, "all-reduce time, 2 ranks over %s: %s%% of step time (gradients %s%%, S %s%%, per-domain sums %s%%)%n",
                    m.group(1), m.group(7), m.group(8), m.group(9), m.group(10));
        }
    }

    /**
     * Each side's median step nanoseconds in the current iteration (JMH zeroes the public fields before every
     * iteration), and which side goes first, alternating over the invocations.
     */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.EVENTS)
    public static class Times {
        public long oneRankNs, twoRanksNs, invocations;
        private long turn;

        void run(Runs runs) throws Exception {
            double one, two;
            if (turn++ % 2 == 0) {
                one = runs.oneRank();
                two = runs.twoRanks();
            } else {
                two = runs.twoRanks();
                one = runs.oneRank();
            }
            oneRankNs += (long) (one * 1e9);
            twoRanksNs += (long) (two * 1e9);
            invocations++;
        }
    }

    @Benchmark
    @Ratios(@Ratio(label = "2 ranks x 1 thread / 1 rank x 2 threads throughput", of = "oneRank", over = "twoRanks", headline = true))
    public void lockstep(Runs runs, Times t) throws Exception {
        t.run(runs);
    }

    @Benchmark
    public double oneRank(Runs runs) throws Exception { return runs.oneRank(); }

    @Benchmark
    public double twoRanks(Runs runs) throws Exception { return runs.twoRanks(); }

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
