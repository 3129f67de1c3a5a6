package org.acodm.bench.engine;

import java.util.concurrent.TimeUnit;
import org.acodm.engine.GramKernels;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Group "alignment": the fused CPU Gram kernel on K rows of P floats, beside torch::mm(G, Gᵀ) on the same
 * data and a plain copy of the same bytes (the memory-speed bound). GB/s = K*P*4 bytes / time.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(1)                                 // native kernels; one JVM is representative
@Warmup(iterations = 2, time = 2)        // first touches fault the 350 MB of pages in
@Measurement(iterations = 5, time = 2)
public class AlignmentKernelBenchmark {
    @Param({"22"})
    public int k;
    @Param({"4000000"})
    public long p;

    private GramKernels kernels;

    @Setup(Level.Trial)
    public void setup() {
        kernels = new GramKernels(k, p, 11);
        double err = kernels.fusedError();  // a fast wrong kernel must not win
        if (!(err < 1e-5)) throw new IllegalStateException("fused kernel differs from the reference by " + err);
    }

    @TearDown(Level.Trial)
    public void tearDown() { kernels.close(); }

    @Benchmark public double fused() { return kernels.fused(); }
    @Benchmark public double torchMm() { return kernels.torchMm(); }
    @Benchmark public double copy() { return kernels.copy(); }
}
