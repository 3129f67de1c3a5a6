package org.acodm.bench;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Runs a group's operations in turns and reports each one's time and their ratios, per round.
 *
 * <p>Why not JMH: JMH measures each benchmark method (and each parameter point) as its own trial, one after
 * another, and has no mode that alternates two benchmarks call by call. On a shared machine whose speed drifts
 * by more than the effects measured (the reward group gave 0.82 and 1.26 for the same code), a ratio of two such
 * scores compares two different stretches of time. Here every round runs every operation once, back to back, so
 * a ratio is taken inside one round, where the machine is the same for both sides; the reported ratio is the
 * median over rounds of these per-round ratios, with its spread. The order inside a round rotates, so no side
 * always goes first.
 *
 * <p>Each turn repeats its operation until it has run for at least {@link Settings#minTurnMs} (the count is fixed
 * during warm-up), so microsecond operations are timed over many calls and second-long ones once. Every
 * operation returns a checksum that is summed into {@link #sink}, so no call can be optimised away; each group
 * checks its operations' results once before timing, so a fast wrong one cannot win.
 */
public final class Lockstep {
    /** One operation under test; returns a value the harness sinks. */
    @FunctionalInterface
    public interface Op {
        double run() throws Exception;
    }

    public record Side(String name, Op op) {}

    /** Warm-up rounds (not reported; they also fix each side's repetitions), measured rounds, minimum turn length. */
    public record Settings(int warmupRounds, int rounds, double minTurnMs) {
        public Settings {
            if (warmupRounds < 1 || rounds < 3 || !(minTurnMs >= 0))
                throw new IllegalArgumentException("need warmup >= 1, rounds >= 3, turn-ms >= 0; got " + warmupRounds + ", " + rounds + ", " + minTurnMs);
        }

        public Settings withRounds(int r) { return new Settings(warmupRounds, r, minTurnMs); }

        /** {@code --warmup N --rounds N --turn-ms X}, each optional, over the given defaults. */
        public static Settings parse(String[] args, Settings defaults) {
            Settings s = defaults;
            for (int i = 0; i < args.length; i++) {
                if (i + 1 >= args.length) throw new IllegalArgumentException("option " + args[i] + " needs a value");
                String v = args[++i];
                s = switch (args[i - 1]) {
                    case "--warmup" -> new Settings(Integer.parseInt(v), s.rounds, s.minTurnMs);
                    case "--rounds" -> new Settings(s.warmupRounds, Integer.parseInt(v), s.minTurnMs);
                    case "--turn-ms" -> new Settings(s.warmupRounds, s.rounds, Double.parseDouble(v));
                    default -> throw new IllegalArgumentException("unknown option " + args[i - 1] + " (--warmup N, --rounds N, --turn-ms X)");
                };
            }
            return s;
        }
    }

    /** Median (mean of the middle two for an even count) and spread (nearest-rank quartiles) of per-round values. */
    public record Spread(double median, double p25, double p75, double min, double max, int n) {
        static Spread of(double[] v) {
            double[] s = v.clone();
            Arrays.sort(s);
            int n = s.length;
            double median = n % 2 == 1 ? s[n / 2] : 0.5 * (s[n / 2 - 1] + s[n / 2]);
            return new Spread(median, at(s, 0.25), at(s, 0.75), s[0], s[n - 1], n);
        }

        private static double at(double[] sorted, double q) {
            return sorted[(int) Math.round(q * (sorted.length - 1))];
        }

        /** "(spread: p25-p75 a-b, min-max c-d, n rounds)" with the given number format. */
        public String describe(String fmt) {
            return String.format(Locale.ROOT, "(spread: p25-p75 " + fmt + "-" + fmt + ", min-max " + fmt + "-" + fmt + ", %d rounds)",
                    p25, p75, min, max, n);
        }
    }

    /** Milliseconds per operation in every measured round, by side. */
    public static final class Result {
        private final Map<String, double[]> ms;

        Result(Map<String, double[]> ms) { this.ms = ms; }

        public double[] ms(String side) {
            double[] v = ms.get(side);
            if (v == null) throw new IllegalArgumentException("no side '" + side + "' (have " + ms.keySet() + ")");
            return v;
        }

        public Spread time(String side) { return Spread.of(ms(side)); }

        /** Per-round ratio {@code a / b} of milliseconds per operation. */
        public Spread ratio(String a, String b) {
            double[] x = ms(a), y = ms(b);
            double[] r = new double[x.length];
            for (int i = 0; i < r.length; i++) r[i] = x[i] / y[i];
            return Spread.of(r);
        }
    }

    /** Sum of every operation's return value; read by nobody, written so the work is observable. */
    public static volatile double sink;

    private Lockstep() {}

    public static Result run(List<Side> sides, Settings settings) throws Exception {
        if (sides.size() < 2) throw new IllegalArgumentException("lockstep needs at least two sides, got " + sides.size());
        int n = sides.size();
        int[] reps = new int[n];
        Arrays.fill(reps, 1);
        for (int w = 0; w < settings.warmupRounds(); w++) {
            for (int k = 0; k < n; k++) {
                int i = (w + k) % n;
                double perOp = turn(sides.get(i), reps[i]);
                reps[i] = Math.max(reps[i], (int) Math.min(1_000_000, Math.ceil(settings.minTurnMs() / Math.max(perOp, 1e-6))));
            }
        }
        Map<String, double[]> ms = new LinkedHashMap<>();
        for (Side s : sides) ms.put(s.name(), new double[settings.rounds()]);
        for (int r = 0; r < settings.rounds(); r++) {
            List<String> line = new ArrayList<>();
            for (int k = 0; k < n; k++) {
                int i = (r + k) % n;
                double perOp = turn(sides.get(i), reps[i]);
                ms.get(sides.get(i).name())[r] = perOp;
                line.add(String.format(Locale.ROOT, "%s %.4g ms", sides.get(i).name(), perOp));
            }
            System.err.println("round " + (r + 1) + "/" + settings.rounds() + ": " + String.join(", ", line));
        }
        return new Result(ms);
    }

    /** Milliseconds per operation over {@code reps} back-to-back calls. */
    private static double turn(Side side, int reps) throws Exception {
        double acc = 0;
        long t0 = System.nanoTime();
        for (int k = 0; k < reps; k++) acc += side.op().run();
        long t1 = System.nanoTime();
        sink += acc;
        return (t1 - t0) / 1e6 / reps;
    }
}
