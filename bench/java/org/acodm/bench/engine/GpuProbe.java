package org.acodm.bench.engine;

import org.acodm.bench.kernels.GpuGramKernels;

/**
 * bench/run.sh gpu's first step: prints why the gpu group cannot run here and exits 3, or exits 0 silently, so that
 * a machine without a GPU gets one line instead of a failed JMH trial per parameter point. Takes no arguments.
 */
public final class GpuProbe {
    private GpuProbe() {}

    public static void main(String[] args) {
        if (args.length > 0) {
            System.err.println("GpuProbe takes no arguments");
            System.exit(2);
        }
        String why = GpuGramKernels.unavailableReason();
        if (why.isEmpty()) return;
        System.out.println("gpu: skipped: " + why);
        System.exit(3);
    }
}
