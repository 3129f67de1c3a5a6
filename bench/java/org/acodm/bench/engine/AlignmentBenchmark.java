package org.acodm.bench.engine;

import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.acodm.bench.InTurns;
import org.acodm.bench.Ratios;
import org.acodm.bench.Ratios.Ratio;
import org.acodm.bench.kernels.GramKernels;
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
 * Group "alignment": the fused CPU Gram kernel on K rows of P floats, in turns with torch::mm(G, Gᵀ) on the same data
 * and a plain copy of the same bytes (the memory-speed bound). The headline is the kernel's speed as a fraction of the
 * copy's (1: it reads the rows as fast as memory can be copied); the speedup over torch.mm is reported beside it. K = 22 (The Pile's domains) and P = 4·10⁶ is the
 * headline point; the odd sizes exercise the kernel's row and column tails. Before timing, the fused kernel is
 * checked against the double-precision reference loops.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
// One fork per point: the point's fixture (up to 700 MB) is its process's only large allocation.
@Fork(1)
// A headline-size call reads 352 MB (tens of ms; torch::mm hundreds): iterations of at least 200 ms; two warm-up
// iterations fault the buffers in, fifteen measured ones give fifteen per-iteration ratios.
@Warmup(iterations = 2, time = 200, timeUnit = TimeUnit.MILLISECONDS)
@Measurement(iterations = 15, time = 200, timeUnit = TimeUnit.MILLISECONDS)
public class AlignmentBenchmark {
    @State(Scope.Benchmark)
    public static class Rows {
        /** Rows: 22 (The Pile's domains), 7 and 1 (row tails of the register tiles). */
        @Param({"22", "7", "1"})
        public int k;

        /** Floats per row: 4·10⁶ (a reward layer set of a large model), a prime above 2¹⁶ and 1000 (column tails). */
        @Param({"4000000", "65537", "1000"})
        public long p;

        GramKernels kernels;

        @Setup(Level.Trial)
        public void setUp() {
            kernels = new GramKernels(k, p, 11);
            double err = kernels.fusedError();  // a fast wrong kernel must not win
            if (!(err < 1e-5)) throw new IllegalStateException("fused kernel differs from the reference by " + err);
            System.out.printf(Locale.ROOT, "K=%d P=%d: %.4g MB read per pass, kernel %s, worst relative error %.1e%n", k, p,
                    kernels.bytes() / 1e6, kernels.kernelName(), err);
        }

        @TearDown(Level.Trial)
        public void tearDown() { kernels.close(); }
    }

    /**
     * Each side's wall and process CPU nanoseconds in the current iteration (JMH zeroes the public fields before every
     * iteration), and the sides in turns, whose rotation runs on across iterations.
     */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.EVENTS)
    public static class Times {
        public long fusedNs, torchMmNs, copyNs, invocations;
        public long fusedCpuNs, torchMmCpuNs, copyCpuNs;
        InTurns turns;

        @Setup(Level.Trial)
        public void setUp(Rows r) { turns = new InTurns(r.kernels::fused, r.kernels::torchMm, r.kernels::copy); }

        void run(Blackhole sink) throws Exception {
            long[] ns = turns.run(sink), cpu = turns.cpuNs();
            fusedNs += ns[0];
            torchMmNs += ns[1];
            copyNs += ns[2];
            fusedCpuNs += cpu[0];
            torchMmCpuNs += cpu[1];
            copyCpuNs += cpu[2];
            invocations++;
        }
    }

    @Benchmark
    // The headline is the kernel against the memory bound, not against torch.mm: at the headline size both the fused
    // kernel and the copy are memory-bound and slow down together when the shared machine's memory bandwidth drops
    // (per iteration 15 or 30 ms, 11 or 22 ms), so their ratio holds (1.38 in three runs, AMD EPYC), while torch.mm is
    // compute-bound, keeps its time, and its ratio to the fused kernel follows the bandwidth (8.1-9.5 in the same runs).
    @Ratios(value = {
        @Ratio(label = "fused/torch.mm speedup", of = "torchMm", over = "fused", format = "%.2f"),
        @Ratio(label = "fused speed / memory copy speed", of = "copy", over = "fused", format = "%.2f", headline = true)},
            headlineAt = {"k=22", "p=4000000"})
    public void lockstep(Times t, Blackhole sink) throws Exception {
        t.run(sink);
    }

    @Benchmark
    public double fused(Rows r) { return r.kernels.fused(); }

    @Benchmark
    public double torchMm(Rows r) { return r.kernels.torchMm(); }

    @Benchmark
    public double copy(Rows r) { return r.kernels.copy(); }
}
