package org.acodm.bench.kernels;

import org.acodm.bench.nativeapi.KernelBenchNative;
import org.acodm.engine.NativeHandle;

/**
 * Peak memory of a stretch of work on a device: the resident set's high-water mark on the CPU (reset through
 * /proc/self/clear_refs), the caching allocator's peak allocated bytes on a GPU; -1 where the platform cannot say.
 */
public final class PeakMemory {
    private PeakMemory() {}

    public static void reset(String device) { NativeHandle.call("peak memory", () -> { KernelBenchNative.resetPeakMemory(device); return null; }); }
    public static long peakBytes(String device) { return NativeHandle.call("peak memory", () -> KernelBenchNative.peakMemoryBytes(device)); }
    public static long currentBytes(String device) { return NativeHandle.call("peak memory", () -> KernelBenchNative.currentMemoryBytes(device)); }
}
