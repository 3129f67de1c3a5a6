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
    private final int[] repeats;
    private final long[] ns, cpuNs;
    private long turn;

    /** Every side once per invocation. */
    public InTurns(Side... sides) {
        this(ones(sides.length), sides);
    }

    /**
     * Side i {@code repeats[i]} times per invocation, in rounds: round r runs, in rotating order, every side with more
     * than r repeats. Cheap sides repeated beside an expensive one give each invocation several back-to-back pairs of
     * them, whose summed times average out the step-to-step noise of a shared machine.
     */
    public InTurns(int[] repeats, Side... sides) {
        if (sides.length < 2) throw new IllegalArgumentException("a comparison needs at least two sides, got " + sides.length);
        if (repeats.length != sides.length) throw new IllegalArgumentException(repeats.length + " repeat counts for " + sides.length + " sides");
        for (int r : repeats) if (r < 1) throw new IllegalArgumentException("every side runs at least once per invocation, got " + r);
        this.sides = sides.clone();
        this.repeats = repeats.clone();
        this.ns = new long[sides.length];
        this.cpuNs = new long[sides.length];
    }

    private static int[] ones(int n) {
        int[] r = new int[n];
        java.util.Arrays.fill(r, 1);
        return r;
    }

    /**
     * Runs every side its number of times, in this invocation's rounds; returns the nanoseconds of each summed over
     * its runs, in the constructor's order.
     */
    public long[] run(Blackhole sink) throws Exception {
        int n = sides.length;
        java.util.Arrays.fill(ns, 0);
        java.util.Arrays.fill(cpuNs, 0);
        int rounds = 0;
        for (int r : repeats) rounds = Math.max(rounds, r);
        for (int round = 0; round < rounds; round++) {
            int first = (int) (turn++ % n);
            for (int k = 0; k < n; k++) {
                int i = (first + k) % n;
                if (repeats[i] <= round) continue;
                long c0 = OS.getProcessCpuTime();
                long t0 = System.nanoTime();
                double r = sides[i].run();
                ns[i] += System.nanoTime() - t0;
                cpuNs[i] += OS.getProcessCpuTime() - c0;
                sink.consume(r);
            }
        }
        return ns;
    }

    /** The process CPU nanoseconds of each side in the last {@link #run} (summed over its runs), in the constructor's order. */
    public long[] cpuNs() {
        return cpuNs;
    }
}
