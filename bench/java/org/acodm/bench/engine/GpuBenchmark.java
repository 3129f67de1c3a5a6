package org.acodm.bench.engine;

import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.acodm.bench.InTurns;
import org.acodm.bench.Ratios;
import org.acodm.bench.Ratios.Ratio;
import org.acodm.bench.kernels.GpuGramKernels;
import org.openjdk.jmh.annotations.AuxCounters;
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
import org.openjdk.jmh.infra.Blackhole;

/**
 * Group "gpu": the engine's fused CUDA Gram kernel in turns with cuBLAS {@code cublasSsyrk} (called through JavaCPP's
 * Presets for CUDA) on the same device buffers, K x P floats. Both calls end synchronised (the fused one with the copy
 * of its K x K result to the host, a few microseconds). Needs the CUDA build of the libraries on
 * {@code java.library.path} with JavaCPP's {@code pathsFirst} (bench/run.sh gpu sets both) and a GPU; without one,
 * setup fails saying why ({@link GpuProbe} says it before JMH starts). Before timing, the fused kernel is checked
 * against the double-precision reference and cuBLAS's result against the fused kernel's.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
// One fork per point: each point allocates its own device buffers (up to 12.8 GB) and frees them with the process.
@Fork(1)
// Calls take tens of microseconds to tens of milliseconds: iterations of 100 ms, two to warm up, seven measured.
@Warmup(iterations = 2, time = 100, timeUnit = TimeUnit.MILLISECONDS)
@Measurement(iterations = 7, time = 100, timeUnit = TimeUnit.MILLISECONDS)
public class GpuBenchmark {
    @State(Scope.Benchmark)
    public static class Rows {
        /** Rows: 8, 22 (The Pile's domains), 64 (the kernel's limit) and 13 (odd tiles). */
        @Param({"8", "13", "22", "64"})
        public int k;

        /** Floats per row: 10⁶, 5·10⁷ (larger than any L2; 12.8 GB at K = 64) and a prime above 2¹⁶. */
        @Param({"65537", "1000000", "50000000"})
        public long p;

        GpuGramKernels kernels;

        @Setup(Level.Trial)
        public void setUp() {
            String why = GpuGramKernels.unavailableReason();
            if (!why.isEmpty()) throw new IllegalStateException("gpu: " + why);
            kernels = new GpuGramKernels(k, p, 11);
            double err = kernels.fusedError();  // a fast wrong kernel must not win
            if (!(err < 1e-5)) throw new IllegalStateException("fused CUDA kernel differs from the reference by " + err);
            kernels.syrk();
            double syrkErr = kernels.syrkError();  // nor a baseline that computes something else
            if (!(syrkErr < 1e-3)) throw new IllegalStateException("cublasSsyrk differs from the fused kernel by " + syrkErr);
            System.out.printf(Locale.ROOT, "K=%d P=%d: %.4g MB read per call; fused error %.1e, SYRK vs fused %.1e%n", k, p,
                    kernels.bytes() / 1e6, err, syrkErr);
        }

        double syrk() {
            kernels.syrk();
            return 0;
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            if (kernels != null) kernels.close();
        }
    }

    /**
     * Each side's wall and process CPU nanoseconds in the current iteration (JMH zeroes the public fields before every
     * iteration), and the sides in turns, whose rotation runs on across iterations.
     */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.EVENTS)
    public static class Times {
        public long fusedNs, syrkNs, invocations;
        public long fusedCpuNs, syrkCpuNs;
        InTurns turns;

        @Setup(Level.Trial)
        public void setUp(Rows r) { turns = new InTurns(r.kernels::fused, r::syrk); }

        void run(Blackhole sink) throws Exception {
            long[] ns = turns.run(sink), cpu = turns.cpuNs();
            fusedNs += ns[0];
            syrkNs += ns[1];
            fusedCpuNs += cpu[0];
            syrkCpuNs += cpu[1];
            invocations++;
        }
    }

    @Benchmark
    @Ratios(value = @Ratio(label = "cublasSsyrk / fused time", of = "syrk", over = "fused", format = "%.2f", headline = true),
            headlineAt = {"k=22", "p=50000000"})
    public void lockstep(Times t, Blackhole sink) throws Exception {
        t.run(sink);
    }

    @Benchmark
    public double fused(Rows r) { return r.kernels.fused(); }

    @Benchmark
    public double syrk(Rows r) { return r.syrk(); }
}
