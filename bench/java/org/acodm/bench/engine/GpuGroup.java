package org.acodm.bench.engine;

import java.util.List;
import java.util.Locale;
import org.acodm.bench.Lockstep;
import org.acodm.engine.GpuGramKernels;

/**
 * Group "gpu": the engine's fused CUDA Gram kernel in turns with cuBLAS {@code cublasSsyrk} (called through
 * JavaCPP's Presets for CUDA) on the same device buffers, K x P floats, K {8, 22, 64} x P {1e6, 5e7}. Both calls
 * end synchronised (the fused one with the copy of its K x K result to the host, a few microseconds). Without a
 * usable GPU it prints one line saying why it skipped.
 */
public final class GpuGroup {
    static final int[] K = {8, 22, 64};
    // 5e7 x 64 floats = 12.8 GB: the largest case needs a GPU with ~16 GB of memory.
    static final long[] P = {1_000_000, 50_000_000};
    /** Calls take from tens of microseconds to tens of milliseconds: turns of 100 ms. */
    public static final Lockstep.Settings DEFAULTS = new Lockstep.Settings(2, 7, 100);

    private GpuGroup() {}

    public static void run(Lockstep.Settings settings) throws Exception {
        String why = GpuGramKernels.unavailableReason();
        if (!why.isEmpty()) {
            System.out.println("gpu: skipped: " + why);
            return;
        }
        StringBuilder headline = new StringBuilder("cublasSsyrk / fused time:");
        for (int k : K)
            for (long p : P) {
                try (GpuGramKernels kernels = new GpuGramKernels(k, p, 11)) {
                    double err = kernels.fusedError();  // a fast wrong kernel must not win
                    if (!(err < 1e-5)) throw new IllegalStateException("fused CUDA kernel differs from the reference by " + err);
                    kernels.syrk();
                    double syrkErr = kernels.syrkError();  // nor a baseline that computes something else
                    if (!(syrkErr < 1e-3)) throw new IllegalStateException("cublasSsyrk differs from the fused kernel by " + syrkErr);
                    Lockstep.Result res = Lockstep.run(List.of(
                            new Lockstep.Side("fused", kernels::fused),
                            new Lockstep.Side("cublasSsyrk", () -> {
                                kernels.syrk();
                                return 0;
                            })), settings);
                    double gb = k * (double) p * 4 / 1e9;
                    double fused = res.time("fused").median(), syrk = res.time("cublasSsyrk").median();
                    Lockstep.Spread ratio = res.ratio("cublasSsyrk", "fused");
                    System.out.printf(Locale.ROOT, "K=%-2d P=%.0e fused %8.3f ms (%7.1f GB/s)   cublasSsyrk %8.3f ms (%7.1f GB/s)   ratio %.2f %s%n",
                            k, (double) p, fused, gb / fused * 1e3, syrk, gb / syrk * 1e3, ratio.median(), ratio.describe("%.2f"));
                    headline.append(String.format(Locale.ROOT, " K=%d P=%.0e %.2f;", k, (double) p, ratio.median()));
                }
            }
        System.out.println(headline);
    }
}
