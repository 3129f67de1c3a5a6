package org.acodm.bench.engine;

import java.util.concurrent.TimeUnit;
import org.acodm.engine.GpuGramKernels;
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
 * Group "gpu": the engine's fused CUDA Gram kernel against cuBLAS {@code cublasSsyrk} (called through JavaCPP's
 * Presets for CUDA) on the same device buffers, K x P floats. Both calls end synchronised (the fused one with the
 * copy of its K x K result to the host, a few microseconds). bench/run.sh gpu checks first that a GPU is usable
 * and otherwise prints one line saying why it skipped.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(1)                                 // the work is on the device; one JVM is representative
@Warmup(iterations = 3, time = 1)        // module load, cuBLAS heuristics, clocks ramping up
@Measurement(iterations = 5, time = 1)
public class GpuGramBenchmark {
    @Param({"8", "22", "64"})
    public int k;
    // 5e7 x 64 floats = 12.8 GB: the largest case needs a GPU with ~16 GB of memory.
    @Param({"1000000", "50000000"})
    public long p;

    private GpuGramKernels kernels;

    @Setup(Level.Trial)
    public void setup() {
        kernels = new GpuGramKernels(k, p, 11);
        double err = kernels.fusedError();  // a fast wrong kernel must not win
        if (!(err < 1e-5)) throw new IllegalStateException("fused CUDA kernel differs from the reference by " + err);
        kernels.syrk();
        double syrk = kernels.syrkError();  // nor a baseline that computes something else
        if (!(syrk < 1e-3)) throw new IllegalStateException("cublasSsyrk differs from the fused kernel by " + syrk);
    }

    @TearDown(Level.Trial)
    public void tearDown() { kernels.close(); }

    @Benchmark public double fused() { return kernels.fused(); }
    @Benchmark public void cublasSsyrk() { kernels.syrk(); }
}
