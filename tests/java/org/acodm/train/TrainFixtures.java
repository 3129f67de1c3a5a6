package org.acodm.train;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.acodm.cli.Main;
import org.acodm.config.Mappers;
import org.acodm.data.CorpusSource;
import org.acodm.data.ShardPreparer;
import org.acodm.data.Tokenizer;
import org.acodm.engine.TestPaths;
import picocli.CommandLine;

/**
 * Shared pieces of the training tests: minipile prepared with the byte tokenizer (once per JVM: every train and
 * cli test class trains on it, and preparing takes seconds), a small run config written as YAML, the CLI run
 * in-process with its output captured, and metrics.jsonl read back.
 */
public final class TrainFixtures {
    private TrainFixtures() {}

    /** Four domains of different kinds (prose, mail, code, formal proofs), so the mixing has something to tell apart. */
    public static final List<String> DOMAINS = List.of("Bible", "Emails", "Github-C", "Metamath");

    private static Path prepared;

    /** minipile's shards (byte tokenizer, all 16 domains), prepared once per JVM into a temporary directory. */
    public static synchronized Path data() throws IOException {
        if (prepared != null) return prepared;
        Path dir = Files.createTempDirectory("acodm-train-data");
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                org.acodm.io.Directories.deleteTree(dir);
            } catch (IOException | RuntimeException ignored) {
                // a temporary directory left behind is harmless
            }
        }));
        Path minipile = TestPaths.shared().resolve("data/minipile");
        try (Tokenizer t = Tokenizer.fromSpec("byte")) {
            ShardPreparer.prepare(CorpusSource.resolve(List.of(minipile.toString())), t, dir.resolve("minipile-byte"),
                    ShardPreparer.Options.defaults(), ShardPreparer.Listener.NONE);
        }
        prepared = dir.resolve("minipile-byte");
        return prepared;
    }

    /**
     * A run of the tiny model (2 layers, d 64) on {@link #DOMAINS}: T 32, B 4 in 4 micro-batches (every window its
     * own domain draw), 8 steps, eval at 0, 4, 8, checkpoints every 2 steps, one engine thread (so a run in a
     * child JVM computes exactly what one in this JVM does), and the given mixing section (YAML, indented by 2).
     * Eight steps, not fewer: ODM's floor ε_t = min(1/K, sqrt(ln K / (K t))) is 1/K, which makes ODM, AC-ODM and
     * the frozen actor exactly uniform, until t > K ln K = 5.5 for K = 4.
     */
    public static Path writeConfig(Path file, String name, String mixing) throws IOException {
        String yaml = String.join("\n",
                "run:",
                "  name: " + name,
                "  seed: 7",
                "  device: cpu",
                "  threads: 1",
                "model:",
                "  config: tiny",
                "data:",
                "  path: " + data(),
                "  seq_len: 32",
                "  batch_size: 4",
                "  micro_batches: 4",
                "  domain_granularity: micro_batch",
                "  domains: [" + String.join(", ", DOMAINS) + "]",
                "  eval_windows_per_domain: 4",
                "optimizer:",
                "  lr: 3.0e-3",
                "  min_lr: 3.0e-4",
                "  warmup_steps: 2",
                "train:",
                "  steps: 8",
                "eval:",
                "  interval: 4",
                "  at_start: true",
                "  final_windows_per_domain: 16",
                "checkpoint:",
                "  interval: 2",
                "  keep_last: 2",
                "mixing:",
                mixing,
                "");
        Files.createDirectories(file.toAbsolutePath().getParent());
        Files.writeString(file, yaml, StandardCharsets.UTF_8);
        return file;
    }

    /** AC-ODM with small networks (the paper's 5 x 1024 would dominate a short CPU run), ODM warmup over 3 of 8 steps. */
    public static final String ACODM = String.join("\n",
            "  method: acodm",
            "  acodm:",
            "    hidden: 32",
            "    layers: 2",
            "    batch_size: 4",
            "    buffer_size: 64",
            "    warmup_fraction: 0.3",
            "    device: cpu");

    /** What one in-process CLI invocation returned and printed: System.out and picocli's out; System.err and picocli's err. */
    public record CliResult(int rc, String out, String err) {
        public String all() { return out + err; }
    }

    /** Runs {@code acodm ARGS} in this JVM; System.out and System.err are captured too, since the trainer and plan print there. */
    public static synchronized CliResult cli(String... args) {
        PrintStream savedOut = System.out, savedErr = System.err;
        ByteArrayOutputStream sysOut = new ByteArrayOutputStream(), sysErr = new ByteArrayOutputStream();
        // The streams are swapped before the command line is built: picocli ignores writers set before a swap.
        System.setOut(new PrintStream(sysOut, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(sysErr, true, StandardCharsets.UTF_8));
        StringWriter out = new StringWriter(), err = new StringWriter();
        int rc;
        try {
            CommandLine cl = Main.commandLine();
            cl.setOut(new PrintWriter(out, true));
            cl.setErr(new PrintWriter(err, true));
            rc = cl.execute(args);
        } finally {
            System.out.flush();
            System.err.flush();
            System.setOut(savedOut);
            System.setErr(savedErr);
        }
        return new CliResult(rc, sysOut.toString(StandardCharsets.UTF_8) + out, sysErr.toString(StandardCharsets.UTF_8) + err);
    }

    /** Every record of a run's metrics.jsonl, in order. */
    public static List<JsonNode> metrics(Path runDir) throws IOException {
        List<JsonNode> out = new ArrayList<>();
        Path f = runDir.resolve("metrics.jsonl");
        if (!Files.exists(f)) return out;
        for (String line : Files.readAllLines(f, StandardCharsets.UTF_8)) if (!line.isBlank()) out.add(Mappers.JSON.readTree(line));
        return out;
    }

    public static List<JsonNode> records(List<JsonNode> all, String type) {
        return all.stream().filter(n -> n.path("type").asText().equals(type)).toList();
    }

    /** Step records in a run's metrics.jsonl so far (a line cut by a kill does not count). */
    public static int stepsLogged(Path runDir) throws IOException {
        Path f = runDir.resolve("metrics.jsonl");
        if (!Files.exists(f)) return 0;
        int n = 0;
        for (String line : Files.readAllLines(f, StandardCharsets.UTF_8))
            if (line.startsWith("{\"type\":\"step\"") && line.endsWith("}")) n++;
        return n;
    }

    /** The fields of metrics records that measure time: the only ones two runs of one config may differ in. */
    public static final List<String> TIMING = List.of("tokens_per_s", "elapsed_s");

    public static List<JsonNode> withoutTiming(List<JsonNode> records) {
        List<JsonNode> out = new ArrayList<>();
        for (JsonNode n : records) {
            com.fasterxml.jackson.databind.node.ObjectNode c = n.deepCopy();
            c.remove(TIMING);
            out.add(c);
        }
        return out;
    }

    /**
     * {@code acodm ARGS} in a child JVM with this JVM's classpath (the same classes and native library), output to
     * {@code log}; {@code env} is added to the inherited environment.
     */
    public static Process childCli(List<String> args, Path log, java.util.Map<String, String> env) throws IOException {
        return childJava("org.acodm.cli.Main", args, log, env);
    }

    /** {@code mainClass ARGS} in a child JVM with this JVM's classpath (test classes included), output to {@code log}. */
    public static Process childJava(String mainClass, List<String> args, Path log, java.util.Map<String, String> env) throws IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new ArrayList<>(List.of(java, "-Xmx1g", "-cp", System.getProperty("java.class.path"),
                "-Dacodm.root=" + TestPaths.root(), mainClass));
        cmd.addAll(args);
        return startLogged(cmd, log, env);
    }

    /** {@code bin/acodm ARGS}, the user's launcher: its shaded jar, which bin/build (run first by bin/test) wrote. */
    public static Process launcher(List<String> args, Path log, java.util.Map<String, String> env) throws IOException {
        Path jar = TestPaths.root().resolve("target/acodm-cli.jar");
        if (!Files.isRegularFile(jar))
            throw new AssertionError(jar + " is missing: run bin/build first (bin/test does), so that bin/acodm does not build inside a test");
        List<String> cmd = new ArrayList<>(List.of(TestPaths.root().resolve("bin/acodm").toString()));
        cmd.addAll(args);
        java.util.Map<String, String> e = new java.util.HashMap<>(env);
        e.putIfAbsent("ACODM_JAVA_OPTS", "-Xmx1g");
        return startLogged(cmd, log, e);
    }

    /** Runs a system command (the fault tests' mount and umount) and returns its exit code; its output goes to stderr when it fails. */
    public static int command(String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        int rc = p.waitFor();
        if (rc != 0) System.err.println(String.join(" ", cmd) + ": " + out);
        return rc;
    }

    private static Process startLogged(List<String> cmd, Path log, java.util.Map<String, String> env) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().putAll(env);
        pb.redirectErrorStream(true);
        pb.redirectOutput(log.toFile());
        return pb.start();
    }

    /** Trains {@code config} to the end in this JVM and checks it succeeded. */
    public static Path train(Path config, Path runDir, String... extra) {
        List<String> args = new ArrayList<>(List.of("train", "--config", config.toString(), "--out", runDir.toString()));
        args.addAll(List.of(extra));
        CliResult r = cli(args.toArray(new String[0]));
        assertTrue(r.rc() == 0, "train failed (exit " + r.rc() + "):\n" + r.all());
        return runDir;
    }
}
