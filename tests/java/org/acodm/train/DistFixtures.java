package org.acodm.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Shared pieces of the data-parallel tests: TrainFixtures' run with S logged and short distributed timeouts, ranks
 * started by {@code acodm train --nproc-per-node} in a child JVM, bounded waits, and the comparison of two runs'
 * metrics to a relative tolerance.
 */
final class DistFixtures {
    private DistFixtures() {}

    /** Bounds every collective of a test run: a lost rank fails the run in seconds, never hangs CI. */
    static final int DIST_TIMEOUT_S = 20;
    /** Longest a test waits for one child run. */
    static final long RUN_LIMIT_S = 300;

    /** TrainFixtures' tiny run with S in every step record, the state check every 2 steps and a short timeout. */
    static Path config(Path dir, String name, String mixing, int steps) throws IOException {
        Path cfg = TrainFixtures.writeConfig(dir.resolve(name + ".yaml"), name, mixing);
        String yaml = Files.readString(cfg)
                .replace("  steps: 8\n", "  steps: " + steps + "\n  log_alignment: true\n")
                .replace("  threads: 1\n", "  threads: 1\n  dist_timeout: " + DIST_TIMEOUT_S + "\n  dist_check_interval: 2\n");
        if (steps > 8) yaml = yaml.replace("  interval: 4\n", "  interval: 10\n");
        Files.writeString(cfg, yaml);
        return cfg;
    }

    /** {@code acodm train --config CFG --out RUN --nproc-per-node N [extra]} in a child JVM, output to RUN.log. */
    static Process launch(Path cfg, Path run, int ranks, String... extra) throws IOException {
        List<String> args = new ArrayList<>(List.of("train", "--config", cfg.toString(), "--out", run.toString(), "--nproc-per-node",
                Integer.toString(ranks)));
        args.addAll(List.of(extra));
        return TrainFixtures.childCli(args, log(run), Map.of());
    }

    static Path log(Path run) { return run.resolveSibling(run.getFileName() + ".log"); }

    static String logText(Path run) {
        try {
            return Files.readString(log(run), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    /** Waits for the process at most {@code seconds}; returns its exit code (a process still running is killed and fails). */
    static int await(Process p, long seconds, Path run) throws InterruptedException {
        if (!p.waitFor(seconds, TimeUnit.SECONDS)) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
            throw new AssertionError("still running after " + seconds + " s:\n" + logText(run));
        }
        return p.exitValue();
    }

    /** Runs to the end and checks the exit code is 0. */
    static Path runRanks(Path cfg, Path run, int ranks, String... extra) throws Exception {
        Process p = launch(cfg, run, ranks, extra);
        assertEquals(0, await(p, RUN_LIMIT_S, run), () -> logText(run));
        return run;
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    /** Polls metrics.jsonl until it holds step {@code k}; fails if the process ends first or takes too long. */
    static void waitForStep(Process p, Path run, int k) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(RUN_LIMIT_S);
        while (TrainFixtures.stepsLogged(run) < k) {
            if (!p.isAlive()) throw new AssertionError("the run ended (exit " + p.exitValue() + ") before step " + k + ":\n" + logText(run));
            if (System.nanoTime() > deadline) throw new AssertionError("no step " + k + " within " + RUN_LIMIT_S + " s:\n" + logText(run));
            Thread.sleep(5);
        }
    }

    /** The pid the launcher printed for {@code rank} ("pids: rank 0 = 123, rank 1 = 124"). */
    static long rankPid(Path run, int rank) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        java.util.regex.Pattern pat = java.util.regex.Pattern.compile("rank " + rank + " = (\\d+)");
        while (System.nanoTime() < deadline) {
            java.util.regex.Matcher m = pat.matcher(logText(run));
            if (m.find()) return Long.parseLong(m.group(1));
            Thread.sleep(20);
        }
        throw new AssertionError("the launcher named no pid of rank " + rank + ":\n" + logText(run));
    }

    /**
     * Every record of {@code got} equals {@code want}'s field by field but the timing fields: strings and booleans
     * exactly, numbers to {@code tolerance} relative, S entries relative to sqrt(S_ii S_jj) of their matrix (the scale
     * of the whole matrix; an off-diagonal entry can be small by cancellation), and the policies' own scalars relative
     * to max(1, |value|) (z-scored rewards that are 0 up to rounding). Returns the largest relative difference seen.
     */
    static double assertClose(Path want, Path got, double tolerance) throws IOException {
        List<JsonNode> a = TrainFixtures.metrics(want), b = TrainFixtures.metrics(got);
        assertEquals(a.size(), b.size(), "records in metrics.jsonl of " + got + " vs " + want);
        double[] worst = {0};
        for (int i = 0; i < a.size(); i++)
            compare(a.get(i), b.get(i), a.get(i).path("type").asText() + " " + a.get(i).path("step").asText(), tolerance, worst);
        return worst[0];
    }

    private static void compare(JsonNode x, JsonNode y, String path, double tol, double[] worst) {
        if (x.isObject()) {
            assertEquals(fieldNames(x), fieldNames(y), path + ": fields");
            if (path.endsWith(".alignment")) {
                compareAlignment(x, y, path, tol, worst);
                return;
            }
            for (Iterator<String> it = x.fieldNames(); it.hasNext();) {
                String f = it.next();
                if (TrainFixtures.TIMING.contains(f)) continue;
                compare(x.get(f), y.get(f), path + "." + f, tol, worst);
            }
        } else if (x.isNumber() && !x.isIntegralNumber()) {
            double scale = path.contains(".policy_") ? Math.max(1, Math.abs(x.asDouble())) : Math.max(Math.abs(x.asDouble()), Math.abs(y.asDouble()));
            double rel = scale == 0 ? 0 : Math.abs(x.asDouble() - y.asDouble()) / scale;
            worst[0] = Math.max(worst[0], rel);
            assertTrue(rel <= tol, path + ": " + y.asDouble() + " vs " + x.asDouble() + " (relative " + rel + ")");
        } else {
            assertEquals(x, y, path);
        }
    }

    private static void compareAlignment(JsonNode s, JsonNode t, String path, double tol, double[] worst) {
        for (Iterator<String> i = s.fieldNames(); i.hasNext();) {
            String di = i.next();
            for (Iterator<String> j = s.get(di).fieldNames(); j.hasNext();) {
                String dj = j.next();
                double scale = Math.sqrt(Math.abs(s.get(di).get(di).asDouble() * s.get(dj).get(dj).asDouble()));
                double d = Math.abs(s.get(di).get(dj).asDouble() - t.get(di).get(dj).asDouble());
                if (scale == 0) {
                    assertEquals(0.0, d, path + "." + di + "." + dj + ": an absent domain's entry");
                    continue;
                }
                worst[0] = Math.max(worst[0], d / scale);
                assertTrue(d / scale <= tol, path + "." + di + "." + dj + ": differs by " + d / scale + " of sqrt(S_ii S_jj)");
            }
        }
    }

    private static List<String> fieldNames(JsonNode n) {
        List<String> out = new ArrayList<>();
        n.fieldNames().forEachRemaining(out::add);
        return out;
    }
}
