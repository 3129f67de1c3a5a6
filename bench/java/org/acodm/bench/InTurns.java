package org.acodm.bench;

import java.lang.management.ManagementFactory;
import org.openjdk.jmh.infra.Blackhole;

/**
 * The sides of one comparison, run in lockstep inside a JMH benchmark: every invocation runs each side once, back to
 * back, starting from a side that rotates from one invocation to the next (so no side always goes first), and hands
 * back each side's nanoseconds, which the benchmark adds to its {@code @AuxCounters} fields.
 *
 * <p>Why: JMH measures each benchmark (and each parameter point) as its own trial, one after another. On a machine
 * whose speed drifts by more than the effect measured (a shared host: the reward group once gave 0.82 and 1.26 for
 * the same code), a ratio of two trials' scores compares two stretches of time. Sides timed within one invocation
 * see the same machine, and JMH's per-iteration secondary results give one ratio per iteration; {@link Report}
 * takes their median and spread from JMH's JSON.
 *
 * <p>Each side's process CPU time is taken too ({@link #cpuNs}): on a host with more runnable threads than cores,
 * the wall time of a multi-second side depends on how much of the machine the others left it, which can change
 * between two sides of one invocation; the CPU time its threads actually ran is a second, steadier view of the
 * work (it includes what the JVM's own threads did meanwhile, negligible beside native calls of milliseconds).
 */
public final class InTurns {
    /** One side of the comparison; returns a value the blackhole sinks, so no call can be optimised away. */
    @FunctionalInterface
    public interface Side {
        double run() throws Exception;
    }

    private static final com.sun.management.OperatingSystemMXBean OS =
            (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();

    private final Side[] sides;
    private final long[] ns, cpuNs;
    private long invocation;

    public InTurns(Side... sides) {
        if (sides.length < 2) throw new IllegalArgumentException("a comparison needs at least two sides, got " + sides.length);
        this.sides = sides.clone();
        this.ns = new long[sides.length];
        this.cpuNs = new long[sides.length];
    }

    /** Runs every side once, in this invocation's order; returns the nanoseconds of each, in the constructor's order. */
    public long[] run(Blackhole sink) throws Exception {
        int n = sides.length;
        int first = (int) (invocation++ % n);
        for (int k = 0; k < n; k++) {
            int i = (first + k) % n;
            long c0 = OS.getProcessCpuTime();
            long t0 = System.nanoTime();
            double r = sides[i].run();
            ns[i] = System.nanoTime() - t0;
            cpuNs[i] = OS.getProcessCpuTime() - c0;
            sink.consume(r);
        }
        return ns;
    }

    /** The process CPU nanoseconds of each side in the last {@link #run}, in the constructor's order. */
    public long[] cpuNs() {
        return cpuNs;
    }
}
