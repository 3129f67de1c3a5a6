package org.acodm.bench;

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
 */
public final class InTurns {
    /** One side of the comparison; returns a value the blackhole sinks, so no call can be optimised away. */
    @FunctionalInterface
    public interface Side {
        double run() throws Exception;
    }

    private final Side[] sides;
    private final long[] ns;
    private long invocation;

    public InTurns(Side... sides) {
        if (sides.length < 2) throw new IllegalArgumentException("a comparison needs at least two sides, got " + sides.length);
        this.sides = sides.clone();
        this.ns = new long[sides.length];
    }

    /** Runs every side once, in this invocation's order; returns the nanoseconds of each, in the constructor's order. */
    public long[] run(Blackhole sink) throws Exception {
        int n = sides.length;
        int first = (int) (invocation++ % n);
        for (int k = 0; k < n; k++) {
            int i = (first + k) % n;
            long t0 = System.nanoTime();
            double r = sides[i].run();
            ns[i] = System.nanoTime() - t0;
            sink.consume(r);
        }
        return ns;
    }
}
