package org.acodm.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * {@code acodm train --nproc-per-node N}: starts N ranks of a data-parallel run on this host, as
 * {@code torchrun --standalone} does. Each rank is this JVM's command again (same java, JVM options and class path)
 * with RANK, WORLD_SIZE, LOCAL_RANK, LOCAL_WORLD_SIZE, MASTER_ADDR=127.0.0.1 and a free MASTER_PORT (MASTER_PORT
 * wins when set). Every line a rank prints comes out prefixed with {@code [rank R]}. SIGTERM / SIGINT to the
 * launcher go to every rank (they finish the step, write one checkpoint and exit; the launcher then exits 143).
 * When a rank dies, the others are ended (they notice it themselves within seconds; after 15 s SIGTERM, after 30
 * more SIGKILL) and the launcher fails naming the rank. Ranks end themselves if the launcher is killed: they read their stdin, which only the launcher
 * holds open, and stop as on SIGTERM at its end.
 */
final class LocalLauncher {
    /** Set for ranks started here: they watch stdin for the launcher's end. */
    static final String CHILD_MARK = "ACODM_LAUNCHED";
    private static final long NOTICE_SECONDS = 15;
    private static final long GRACE_SECONDS = 30;

    private LocalLauncher() {}

    static int run(int n, List<String> rankArgs, Map<String, String> env, PrintStream out, PrintStream err) throws Exception {
        if (n < 1) throw new IllegalArgumentException("--nproc-per-node must be >= 1, got " + n);
        for (String v : List.of("RANK", "WORLD_SIZE"))
            if (env.containsKey(v))
                throw new IllegalArgumentException("--nproc-per-node starts its own ranks, but " + v + " is already set (under torchrun or another "
                        + "launcher?): use one or the other");
        int port = env.containsKey("MASTER_PORT") ? Integer.parseInt(env.get("MASTER_PORT").trim()) : freePort();
        List<String> command = new ArrayList<>();
        command.add(ProcessHandle.current().info().command().orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        command.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments());
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), Main.class.getName()));
        command.addAll(rankArgs);

        List<Process> ranks = new ArrayList<>();
        List<Thread> pumps = new ArrayList<>();
        AtomicBoolean signalled = new AtomicBoolean();
        LinkedBlockingQueue<Integer> exits = new LinkedBlockingQueue<>();
        Thread forward = new Thread(() -> {
            signalled.set(true);
            // SIGTERM: finish the step, checkpoint, exit. Through the handle: Process.destroy() would also close the
            // pipes, and the ranks' last lines (the checkpoint they wrote) would be lost.
            for (Process p : ranks) if (p.isAlive()) p.toHandle().destroy();
            awaitAll(ranks, 10, TimeUnit.MINUTES);
            for (Process p : ranks) p.destroyForcibly();
            joinAll(pumps);
        }, "acodm-launcher-stop");
        Runtime.getRuntime().addShutdownHook(forward);
        try {
            for (int r = 0; r < n; r++) {
                ProcessBuilder pb = new ProcessBuilder(command);
                Map<String, String> e = pb.environment();
                e.put("RANK", Integer.toString(r));
                e.put("WORLD_SIZE", Integer.toString(n));
                e.put("LOCAL_RANK", Integer.toString(r));
                e.put("LOCAL_WORLD_SIZE", Integer.toString(n));
                e.put("MASTER_ADDR", "127.0.0.1");
                e.put("MASTER_PORT", Integer.toString(port));
                e.put(CHILD_MARK, "1");
                Process p = pb.start();
                ranks.add(p);
                final int rank = r;
                p.onExit().thenRun(() -> exits.add(rank));
                pumps.add(pump(p.getInputStream(), out, "[rank " + r + "] "));
                pumps.add(pump(p.getErrorStream(), err, "[rank " + r + "] "));
            }
            StringBuilder pids = new StringBuilder();
            for (int r = 0; r < n; r++) pids.append(r == 0 ? "" : ", ").append("rank ").append(r).append(" = ").append(ranks.get(r).pid());
            out.printf("acodm: started %d ranks (rendezvous 127.0.0.1:%d; pids: %s)%n", n, port, pids);
            // Ranks in the order they end: the first that fails is the one to name (the others fail after it).
            int failed = -1;
            int code = 0;
            for (int ended = 0; ended < n && failed < 0; ended++) {
                int r = exits.take();
                int c = ranks.get(r).exitValue();
                if (c != 0) {
                    failed = r;
                    code = c;
                }
            }
            if (signalled.get()) return 143;
            if (failed < 0) {
                joinAll(pumps);
                return 0;
            }
            boolean others = ranks.stream().anyMatch(Process::isAlive);
            err.println("acodm: rank " + failed + " " + describe(code) + (others ? "; ending the other ranks" : ""));
            // The others notice the loss within seconds and stop with an error naming it; a SIGTERM now would end them
            // before they could say so. Those still running after the grace period get SIGTERM, then SIGKILL.
            if (!awaitAll(ranks, NOTICE_SECONDS, TimeUnit.SECONDS)) {
                for (Process p : ranks) if (p.isAlive()) p.toHandle().destroy();
                if (!awaitAll(ranks, GRACE_SECONDS, TimeUnit.SECONDS))
                    for (Process p : ranks) p.destroyForcibly();
                awaitAll(ranks, GRACE_SECONDS, TimeUnit.SECONDS);
            }
            joinAll(pumps);
            err.println("acodm: the run failed: rank " + failed + " " + describe(code));
            return 1;
        } finally {
            if (!signalled.get()) {
                try {
                    Runtime.getRuntime().removeShutdownHook(forward);
                } catch (IllegalStateException shuttingDown) {
                    // the hook is running
                }
                for (Process p : ranks) p.destroyForcibly();
            }
        }
    }

    /** In a rank started by the launcher: stop as on SIGTERM once the launcher is gone (stdin reaches its end). */
    static void stopWhenLauncherGoes() {
        if (System.getenv(CHILD_MARK) == null) return;
        Thread t = new Thread(() -> {
            try {
                InputStream in = System.in;
                while (in.read() >= 0) {
                    // nothing is sent; only the end matters
                }
            } catch (IOException e) {
                // same as the end
            }
            System.err.println("acodm: the launcher is gone; stopping after this step");
            System.exit(143);
        }, "acodm-launcher-watch");
        t.setDaemon(true);
        t.start();
    }

    static String describe(int code) {
        if (code > 128 && code < 128 + 65) {
            int sig = code - 128;
            String name = switch (sig) {
                case 9 -> "SIGKILL";
                case 15 -> "SIGTERM";
                case 6 -> "SIGABRT";
                case 11 -> "SIGSEGV";
                case 2 -> "SIGINT";
                case 7 -> "SIGBUS";
                default -> "signal " + sig;
            };
            return "was killed by signal " + sig + " (" + name + ")";
        }
        return "exited with code " + code;
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private static Thread pump(InputStream in, PrintStream to, String prefix) {
        Thread t = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null;) {
                    synchronized (to) {
                        to.println(prefix + line);
                    }
                }
            } catch (IOException e) {
                // the rank ended
            }
            to.flush();
        }, "acodm-" + prefix.trim());
        t.setDaemon(true);
        t.start();
        return t;
    }

    private static boolean awaitAll(List<Process> ps, long time, TimeUnit unit) {
        long deadline = System.nanoTime() + unit.toNanos(time);
        for (Process p : ps) {
            long left = deadline - System.nanoTime();
            try {
                if (left <= 0 || !p.waitFor(left, TimeUnit.NANOSECONDS)) return false;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return true;
    }

    private static void joinAll(List<Thread> ts) {
        for (Thread t : ts) {
            try {
                t.join(10_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
