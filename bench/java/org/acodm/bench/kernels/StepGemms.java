package org.acodm.bench.kernels;

import org.acodm.bench.nativeapi.KernelBenchNative;
import org.acodm.engine.NativeHandle;

/**
 * Every matrix product of one train step of a model config (forward and backward, the plain B·T × V LM head),
 * replayed on random operands at the BLAS's rate: the roofline a step's time is compared with. For benchmarks.
 */
public final class StepGemms implements AutoCloseable {
    private final NativeHandle<KernelBenchNative.Gemms> handle;

    public StepGemms(String config, int batch, int seq, long seed) {
        if (batch < 1 || seq < 1) throw new IllegalArgumentException("batch and seq must be >= 1, got " + batch + " x " + seq);
        handle = new NativeHandle<>("step GEMMs", () -> new KernelBenchNative.Gemms(config, batch, seq, seed));
    }

    public int count() { return handle.get().count(); }
    public String name(int i) { return handle.apply(g -> g.name(i)); }
    public double flops(int i) { return handle.apply(g -> g.flops(i)); }
    /** Every matrix-product FLOP of the step. */
    public double totalFlops() { return handle.get().totalFlops(); }
    /** Runs all of the step's products once (each as often as the step does); returns their summed ms. */
    public double run() { return handle.apply(KernelBenchNative.Gemms::run); }
    /** Milliseconds of product {@code i} in the last {@link #run}. */
    public double lastMs(int i) { return handle.apply(g -> g.lastMs(i)); }

    @Override public void close() { handle.close(); }
}
