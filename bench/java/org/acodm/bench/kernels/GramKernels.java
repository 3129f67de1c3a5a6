package org.acodm.bench.kernels;

import org.acodm.bench.nativeapi.KernelBenchNative;
import org.acodm.engine.NativeHandle;

/**
 * K gradient rows of P random floats in native memory and the Gram kernels that read them: the fused CPU
 * kernel, torch::mm(G, Gᵀ) and a plain copy of the same bytes. For benchmarks and their self-check.
 */
public final class GramKernels implements AutoCloseable {
    private final NativeHandle<KernelBenchNative.Fixture> handle;

    public GramKernels(int k, long p, long seed) {
        if (k < 1 || k > 64) throw new IllegalArgumentException("K must lie in [1, 64], got " + k);
        if (p < 1) throw new IllegalArgumentException("P must be >= 1, got " + p);
        handle = new NativeHandle<>("gram fixture", () -> new KernelBenchNative.Fixture(k, p, seed));
    }

    public long bytes() { return handle.get().bytes(); }
    public double fused() { return handle.get().fused(); }
    public double torchMm() { return handle.get().torchMm(); }
    public double copy() { return handle.get().copy(); }
    /** Worst relative error of the fused kernel against the double-precision reference loops. */
    public double fusedError() { return handle.apply(KernelBenchNative.Fixture::fusedError); }
    public String kernelName() { return handle.apply(KernelBenchNative.Fixture::kernelName); }

    @Override public void close() { handle.close(); }
}
