package org.acodm.train;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;
import org.acodm.config.ConfigTree;
import org.acodm.engine.Model;
import org.acodm.engine.NumericEnvironment;
import org.acodm.engine.ProcessGroup;
import org.acodm.mixing.MixingPolicy;
import org.acodm.train.config.RunConfig;
import org.acodm.train.config.RunSection;

/**
 * The trainer's side of data-parallel training: which slice of each global batch this rank trains, the agreements
 * every rank must reach together (stop after this step, the checkpoint is complete, the replicated policy state is
 * still the same everywhere) and the communication summary. Alone (one process) every agreement is the local answer
 * and nothing is communicated.
 */
final class DataParallel implements AutoCloseable {
    private final World world;
    private final ProcessGroup group;  // null alone

    private final Slices slices;

    DataParallel(World world, ProcessGroup group) {
        this.world = world;
        this.group = group;
        this.slices = new Slices(world);
    }

    static DataParallel alone() { return new DataParallel(World.single(), null); }

    /**
     * Checks that the world fits the configuration, then joins the other ranks (the rendezvous compares a hash of
     * the resolved configuration, so ranks started with other configs or --set options are refused).
     */
    static DataParallel join(World world, RunConfig cfg, ConfigTree tree, String device) {
        if (!world.distributed()) return new DataParallel(world, null);
        int b = cfg.data().batchSize();
        if (b % world.size() != 0)
            throw new IllegalArgumentException(tree.locate("data.batch_size") + ": data.batch_size " + b + " is not divisible by the world size "
                    + world.size() + ": every rank trains an equal slice of the global batch");
        Duration timeout = Duration.ofMillis(Math.round(cfg.run().distTimeout() * 1000));
        ProcessGroup g = ProcessGroup.join(world.rank(), world.size(), world.masterAddr(), world.masterPort(), timeout, "auto", device,
                fingerprint(cfg), world.agentStorePrefix());
        return new DataParallel(world, g);
    }

    /** SHA-256 of the resolved configuration, every key included. */
    static String fingerprint(RunConfig cfg) { return HexFormat.of().formatHex(sha256(cfg.toYaml().getBytes(StandardCharsets.UTF_8))); }

    /**
     * The device of this rank: run.device, with CUDA meaning cuda:LOCAL_RANK when the run has several ranks (auto:
     * that device when a GPU is visible, else the CPU).
     */
    static String device(RunSection.Device d, World world) {
        if (!world.distributed()) return d.engineName();
        return switch (d) {
            case CPU -> "cpu";
            case CUDA -> "cuda:" + world.localRank();
            case AUTO -> Model.cudaDeviceCount() > 0 ? "cuda:" + world.localRank() : "cpu";
        };
    }

    /** run.threads, where 0 (every CPU) is shared out among the ranks on this host. */
    static int threads(int configured, World world) {
        if (configured > 0 || world.localSize() <= 1) return configured;
        return Math.max(1, Runtime.getRuntime().availableProcessors() / world.localSize());
    }

    World world() { return world; }
    ProcessGroup group() { return group; }
    boolean leader() { return world.rank() == 0; }

    /** First window of this rank's slice of a global batch of {@code batch} windows. */
    int first(int batch) { return slices.first(batch); }
    int count(int batch) { return slices.count(batch); }
    int microBatches(int batch, int configured) { return slices.microBatches(batch, configured); }

    /** How a global batch is cut among the ranks of {@code world}: contiguous, equal slices in rank order. */
    record Slices(World world) {
        int first(int batch) { return batch / world.size() * world.rank(); }
        int count(int batch) { return batch / world.size(); }

        /**
         * Micro-batches of this rank's slice: slices of gcd(slice, configured micro-batch size) windows, so no
         * micro-batch is larger than one process would run (gradient accumulation changes only summation order).
         */
        int microBatches(int batch, int configured) {
            int slice = count(batch), size = batch / configured;
            return slice / gcd(slice, size);
        }

        private static int gcd(int a, int b) { return b == 0 ? a : gcd(b, a % b); }
    }

    /** True on every rank when any rank wants to stop after this step (SIGTERM may reach only some of them). */
    boolean anyRank(boolean local) {
        if (group == null) return local;
        return group.allReduceSum(new double[] {local ? 1 : 0}, "stop flag after the step")[0] > 0;
    }

    /**
     * What decides the bits of this rank's results on {@code device}; another world size sums the batch in another order,
     * so a resume under it is exact to float tolerance only.
     */
    NumericEnvironment numericEnvironment(String device) {
        NumericEnvironment env = Model.numericEnvironment().with("device", device);
        return world.distributed() ? env.with("world_size", Integer.toString(world.size())) : env;
    }

    /** Every rank finished the step (the checkpoint of rank 0 counts as complete only after this). */
    void barrier(String what) {
        if (group != null) group.barrier(what);
    }

    /** Ranks resuming from different checkpoints (a run directory not shared by every host) are refused. */
    void checkSameStart(long start, Path runDir) {
        if (group == null) return;
        long[][] all = group.allGather(new long[] {start}, "resume step");
        for (int r = 0; r < all.length; r++)
            if (all[r][0] != all[0][0])
                throw new IllegalStateException("rank " + r + " resumes from step " + all[r][0] + " but rank 0 from step " + all[0][0]
                        + ": every rank must see the same run directory " + runDir + " (a shared file system)");
    }

    /**
     * Compares a hash of α and of the whole policy state (as its save writes it) across the ranks and throws on every
     * rank, naming the ranks that differ from rank 0, when they are not all the same: the replicas would drift apart.
     */
    void checkSameState(long step, double[] alpha, MixingPolicy policy) throws IOException {
        if (group == null) return;
        MessageDigest md = digest();
        ByteBuffer a = ByteBuffer.allocate(alpha.length * Double.BYTES);
        for (double x : alpha) a.putDouble(x);
        md.update(a.array());
        Path dir = Files.createTempDirectory("acodm-state-check-");
        try {
            policy.save(dir);
            List<Path> files;
            try (Stream<Path> s = Files.walk(dir)) {
                files = s.filter(Files::isRegularFile).sorted().toList();
            }
            for (Path f : files) {
                md.update(dir.relativize(f).toString().getBytes(StandardCharsets.UTF_8));
                md.update(Files.readAllBytes(f));
            }
        } finally {
            org.acodm.io.Directories.deleteTree(dir);
        }
        ByteBuffer h = ByteBuffer.wrap(md.digest());
        long[] mine = new long[4];
        for (int i = 0; i < 4; i++) mine[i] = h.getLong();
        long[][] all = group.allGather(mine, "policy-state hash after step " + step);
        List<Integer> differ = new ArrayList<>();
        for (int r = 1; r < all.length; r++) if (!java.util.Arrays.equals(all[r], all[0])) differ.add(r);
        if (!differ.isEmpty())
            throw new IllegalStateException("after step " + step + " the domain weights or the policy state of rank" + (differ.size() > 1 ? "s " : " ")
                    + String.join(", ", differ.stream().map(String::valueOf).toList()) + " differ from rank 0's (hash " + Long.toHexString(all[differ.get(0)][0]) + " vs " + Long.toHexString(all[0][0])
                    + "): the replicas no longer agree, stopping");
    }

    /** One line before the first step of a distributed run: the ranks, where they met, and each one's share of a step's {@code batch}. */
    void printStart(PrintStream out, int batch) {
        if (!world.distributed()) return;
        out.printf(Locale.ROOT, "distributed: %d ranks (%s, rendezvous %s:%d, %s); each trains %d of the %d windows of a step%n",
                world.size(), world.source(), world.masterAddr(), world.masterPort(), group.backend(), count(batch), batch);
    }

    /** One line: what a step moved per rank and the share of the step spent in collectives (rank 0 prints it). */
    void printSummary(PrintStream out) {
        if (group == null) return;
        Map<String, Double> s = group.statistics();
        double steps = s.getOrDefault("steps", 0.0);
        if (steps == 0) return;
        double stepS = s.get("step_s"), grad = s.get("gradient_s"), align = s.get("alignment_s"), sums = s.get("sums_s");
        out.printf(Locale.ROOT, "distributed: %d ranks over %s; per step and rank: gradient all-reduce %s sent (%s in %d buckets), "
                        + "S %s sent (%s of rows and partial Grams); all-reduce time %.1f%% of step time (gradients %.1f%%, S %.1f%%, sums %.1f%%)%n",
                world.size(), group.backend(), bytes(s.get("gradient_sent_bytes") / steps), bytes(s.get("gradient_payload_bytes") / steps),
                Math.round(s.get("buckets")), bytes(s.get("alignment_sent_bytes") / steps), bytes(s.get("alignment_payload_bytes") / steps),
                100 * (grad + align + sums) / stepS, 100 * grad / stepS, 100 * align / stepS, 100 * sums / stepS);
    }

    static String bytes(double b) {
        if (b >= 1e9) return String.format(Locale.ROOT, "%.2f GB", b / 1e9);
        if (b >= 1e6) return String.format(Locale.ROOT, "%.2f MB", b / 1e6);
        if (b >= 1e3) return String.format(Locale.ROOT, "%.1f kB", b / 1e3);
        return String.format(Locale.ROOT, "%.0f B", b);
    }

    private static MessageDigest digest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static byte[] sha256(byte[] b) { return digest().digest(b); }

    @Override public void close() {
        if (group != null) group.close();
    }
}
