package org.acodm.engine;

import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import org.acodm.nativeapi.ProcessGroupNative;

/**
 * The data-parallel ranks of one run: a c10d process group (Gloo on the CPU, NCCL for CUDA models in builds that have
 * it) joined at a rendezvous that rank 0 hosts. A {@link Model} attached to it ({@link Model#attach}) reduces its
 * train steps across the ranks; the collectives here are for what the trainer reduces itself. Every failure is a
 * {@link NativeException} whose message says what failed and, when a peer is gone, which rank.
 */
public final class ProcessGroup implements AutoCloseable {
    private final NativeHandle<ProcessGroupNative.Handle> handle;
    private final int rank;
    private final int worldSize;

    private ProcessGroup(NativeHandle<ProcessGroupNative.Handle> handle) {
        this.handle = handle;
        this.rank = handle.get().rank();
        this.worldSize = handle.get().worldSize();
    }

    /**
     * Joins the group as {@code rank} of {@code worldSize}; returns when every rank has joined.
     *
     * @param timeout     bounds the wait for the other ranks and every later collective
     * @param backend     "gloo", "nccl" or "auto" (NCCL for a CUDA device when the build has it)
     * @param device      the model's device (NCCL's buffers live there)
     * @param fingerprint a hash of the run configuration; ranks with another one are refused, named
     */
    public static ProcessGroup join(int rank, int worldSize, String masterAddr, int masterPort, Duration timeout, String backend,
                                    String device, String fingerprint) {
        return join(rank, worldSize, masterAddr, masterPort, timeout, backend, device, fingerprint, "");
    }

    /**
     * As {@link #join(int, int, String, int, Duration, String, String, String)}; with a non-empty
     * {@code agentStorePrefix} a launcher's agent already hosts the store at {@code masterAddr:masterPort} (torchrun),
     * every rank joins it as a client and keeps its keys under that prefix.
     */
    public static ProcessGroup join(int rank, int worldSize, String masterAddr, int masterPort, Duration timeout, String backend,
                                    String device, String fingerprint, String agentStorePrefix) {
        double seconds = timeout.toMillis() / 1000.0;
        return new ProcessGroup(new NativeHandle<>("process group", () -> new ProcessGroupNative.Handle(rank, worldSize, masterAddr,
                masterPort, seconds, backend, device, fingerprint, agentStorePrefix)));
    }

    /** True when the native library has c10d's NCCL process group. */
    public static boolean ncclCompiled() { return ProcessGroupNative.ncclCompiled(); }

    public int rank() { handle.get(); return rank; }
    public int worldSize() { handle.get(); return worldSize; }
    public String backend() { return handle.apply(ProcessGroupNative.Handle::backendName); }

    /** The element-wise sum over the ranks (a new array); {@code what} names the collective in errors. */
    public double[] allReduceSum(double[] values, String what) {
        double[] out = values.clone();
        handle.apply(h -> {
            h.allReduceSum(out, out.length, what);
            return null;
        });
        return out;
    }

    /** Every rank's {@code values}, indexed by rank. */
    public long[][] allGather(long[] values, String what) {
        long[] flat = new long[values.length * worldSize];
        handle.apply(h -> {
            h.allGather(values, values.length, flat, what);
            return null;
        });
        long[][] out = new long[worldSize][values.length];
        for (int r = 0; r < worldSize; r++) System.arraycopy(flat, r * values.length, out[r], 0, values.length);
        return out;
    }

    public void barrier(String what) {
        handle.apply(h -> {
            h.barrier(what);
            return null;
        });
    }

    /** What attached models' train steps moved since the last reset (keys as in native/include/acodm/process_group.h). */
    public Map<String, Double> statistics() {
        Map<String, Double> out = new TreeMap<>();
        KeyValues.decode(handle.apply(ProcessGroupNative.Handle::statistics), '\n').forEach((k, v) -> out.put(k, Double.parseDouble(v)));
        return out;
    }

    public void resetStatistics() {
        handle.apply(h -> {
            h.resetStatistics();
            return null;
        });
    }

    ProcessGroupNative.Handle pointer() { return handle.get(); }

    /** Leaves the group; a model attached to it keeps the native group alive until it is closed itself. */
    @Override public void close() { handle.close(); }
}
