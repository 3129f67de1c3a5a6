package org.acodm.bench.engine;

import org.acodm.engine.GpuGramKernels;

/** bench/run.sh gpu's first step: exit 0 when the gpu group can run here, else print why (one line) and exit 3. */
public final class GpuCheck {
    private GpuCheck() {}

    public static void main(String[] args) {
        String why = GpuGramKernels.unavailableReason();
        if (why.isEmpty()) return;
        System.out.println("gpu: skipped: " + why);
        System.exit(3);
    }
}
