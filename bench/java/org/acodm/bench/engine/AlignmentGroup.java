package org.acodm.bench.engine;

import java.util.List;
import java.util.Locale;
import org.acodm.bench.Lockstep;
import org.acodm.engine.GramKernels;

/**
 * Group "alignment": the fused CPU Gram kernel on K rows of P floats, in turns with torch::mm(G, Gᵀ) on the same
 * data and a plain copy of the same bytes (the memory-speed bound). GB/s = K*P*4 bytes / time.
 */
public final class AlignmentGroup {
    static final int K = 22;
    static final long P = 4_000_000;
    /** Each call reads 352 MB (tens of ms): turns of 200 ms. */
    public static final Lockstep.Settings DEFAULTS = new Lockstep.Settings(2, 15, 200);

    private AlignmentGroup() {}

    public static void run(Lockstep.Settings settings) throws Exception {
        try (GramKernels kernels = new GramKernels(K, P, 11)) {
            double err = kernels.fusedError(); // a fast wrong kernel must not win
            if (!(err < 1e-5)) throw new IllegalStateException("fused kernel differs from the reference by " + err);
            Lockstep.Result res = Lockstep.run(List.of(
                    new Lockstep.Side("fused", kernels::fused),
                    new Lockstep.Side("torch.mm", kernels::torchMm),
                    new Lockstep.Side("copy", kernels::copy)), settings);
            double gb = K * P * 4 / 1e9;
            double fused = res.time("fused").median(), mm = res.time("torch.mm").median(), copy = res.time("copy").median();
            Lockstep.Spread speedup = res.ratio("torch.mm", "fused"), ofCopy = res.ratio("fused", "copy");
            System.out.printf(Locale.ROOT, "K=%d P=%.0e (%.2f GB read per pass), kernel %s%n", K, (double) P, gb, kernels.kernelName());
            System.out.printf(Locale.ROOT, "fused kernel   %8.2f ms  %6.2f GB/s%n", fused, gb / fused * 1e3);
            System.out.printf(Locale.ROOT, "torch::mm      %8.2f ms  %6.2f GB/s%n", mm, gb / mm * 1e3);
            System.out.printf(Locale.ROOT, "plain copy     %8.2f ms  %6.2f GB/s read (+ the same written)%n", copy, gb / copy * 1e3);
            System.out.println("fused / copy time: " + String.format(Locale.ROOT, "%.2f ", ofCopy.median()) + ofCopy.describe("%.2f"));
            System.out.println("fused/torch.mm speedup: " + String.format(Locale.ROOT, "%.2f ", speedup.median()) + speedup.describe("%.2f"));
        }
    }
}
