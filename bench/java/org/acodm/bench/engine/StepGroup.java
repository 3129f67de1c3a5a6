package org.acodm.bench.engine;

import java.util.List;
import java.util.Locale;
import java.util.Random;
import org.acodm.bench.Lockstep;
import org.acodm.engine.Model;
import org.acodm.engine.OptimizerSettings;
import org.acodm.engine.PeakMemory;
import org.acodm.engine.StepGemms;

/**
 * Group "step": the engine's train step through JNI, in turns with a forward-only eval of the same batch (a
 * train step should cost about three forwards) and with the step's own matrix products replayed at the BLAS's
 * rate ({@link StepGemms}: the roofline). Two tiny byte-vocabulary configs, and the bench config of
 * bench/pytorch_compare.sh (d 256, 4 layers, vocabulary 50,304, B 8, T 256), whose roofline fraction is the
 * headline. Peak step memory is taken on a fresh model's first step: the resident set's growth over it.
 */
public final class StepGroup {
    /** A model config and its batch; the byte-level configs draw tokens below 257, the bench config over its vocabulary. */
    record Shape(String config, int batch, int seq) {
        String label() { return config + ":" + batch + ":" + seq; }
    }

    static final List<Shape> SHAPES = List.of(new Shape("tiny", 8, 64), new Shape("small", 8, 128), new Shape("bench-256", 8, 256));
    /** Tiny steps take milliseconds: turns of 300 ms; the bench config's 3 s steps run once per turn. */
    public static final Lockstep.Settings DEFAULTS = new Lockstep.Settings(2, 10, 300);

    private StepGroup() {}

    public static void run(Lockstep.Settings settings) throws Exception {
        StringBuilder tokensPerS = new StringBuilder("train step tokens/s:");
        String headline = "";
        for (Shape shape : SHAPES) {
            Measured m = measure(shape, settings);
            tokensPerS.append(String.format(Locale.ROOT, " %s %.0f;", shape.config(), shape.batch() * shape.seq() / m.train * 1e3));
            headline = String.format(Locale.ROOT, "fraction of BLAS roofline: %.3f (%s, B %d, T %d) %s", m.fraction.median(),
                    shape.config(), shape.batch(), shape.seq(), m.fraction.describe("%.3f"));
        }
        System.out.println(tokensPerS);
        System.out.println(headline);
    }

    record Measured(double train, Lockstep.Spread fraction) {}

    /** A fresh model of the shape, its optimizer set as in the timed runs; loss chunk -1 keeps the engine's default. */
    static Model model(Shape shape, long lossChunk) {
        Model model = new Model(shape.config(), 1, "cpu");
        // A tiny constant learning rate keeps the model (and so the work per step) stable across rounds.
        model.setOptimizer(OptimizerSettings.defaults(1e-6, 1e-6, 0, 1_000_000));
        if (lossChunk >= 0) model.setLossChunk(lossChunk);
        return model;
    }

    /** Peak memory of a fresh model's first step above the resident set before it, in MB, and that set. */
    static double[] firstStepMemory(Shape shape, long lossChunk, int[] tokens, int[] domains) {
        try (Model model = model(shape, lossChunk)) {
            String device = model.deviceName();
            PeakMemory.reset(device);
            long resting = PeakMemory.currentBytes(device);
            double loss = model.trainStep(tokens, shape.batch(), shape.seq() + 1, domains, 4, 1, false).loss();
            long peak = PeakMemory.peakBytes(device) - resting;
            // Random tokens against a freshly initialised model: the loss is close to ln(vocabulary).
            double expected = Math.log(model.vocabSize());
            if (!(Math.abs(loss - expected) < 1.5)) throw new IllegalStateException(shape.label() + ": first loss " + loss + ", expected about " + expected);
            return new double[] {peak / 1048576.0, resting / 1048576.0};
        }
    }

    static Measured measure(Shape shape, Lockstep.Settings settings) throws Exception {
        int window = shape.seq() + 1;
        boolean bench = shape.config().startsWith("bench");
        Random r = new Random(3);
        int[] tokens = new int[shape.batch() * window];
        for (int i = 0; i < tokens.length; i++) tokens[i] = r.nextInt(bench ? 50304 : 257);
        int[] domains = new int[shape.batch()];
        for (int b = 0; b < shape.batch(); b++) domains[b] = b % 4;
        // Before the timed model exists, so nothing else shares the resident set; the bench config also with the
        // plain loss path (the full B*T x V logits), the memory the chunked LM head saves.
        double[] mem = firstStepMemory(shape, -1, tokens, domains);
        double[] plainMem = bench ? firstStepMemory(shape, 0, tokens, domains) : null;
        try (Model model = model(shape, -1)) {
            try (StepGemms gemms = new StepGemms(shape.config(), shape.batch(), shape.seq(), 99)) {
                Lockstep.Result res = Lockstep.run(List.of(
                        new Lockstep.Side("train", () -> model.trainStep(tokens, shape.batch(), window, domains, 4, 1, false).loss()),
                        new Lockstep.Side("forward", () -> model.evaluate(tokens, shape.batch(), window, domains, 4).loss()),
                        new Lockstep.Side("gemms", gemms::run)), settings);
                double train = res.time("train").median(), fwd = res.time("forward").median(), g = res.time("gemms").median();
                Lockstep.Spread tf = res.ratio("train", "forward");
                Lockstep.Spread fraction = res.ratio("gemms", "train");
                double flops = gemms.totalFlops();
                System.out.printf(Locale.ROOT, "%-18s train step %9.2f ms (%8.0f tokens/s), forward only %8.2f ms, train/forward %.2f %s%n",
                        shape.label(), train, shape.batch() * shape.seq() / train * 1e3, fwd, tf.median(), tf.describe("%.2f"));
                System.out.printf(Locale.ROOT, "%-18s step %.1f GFLOP (matrix products): %.1f GFLOP/s; the same products alone %.2f ms = %.1f GFLOP/s; "
                                + "fraction of BLAS roofline %.3f %s%n",
                        "", flops / 1e9, flops / train / 1e6, g, flops / g / 1e6, fraction.median(), fraction.describe("%.3f"));
                System.out.printf(Locale.ROOT, "%-18s peak step memory: %.1f MB above %.1f MB resting (resident set, a fresh model's first step, "
                        + "LM head + loss in chunks of %d tokens)%n", "", mem[0], mem[1], model.lossChunk());
                if (plainMem != null)
                    System.out.printf(Locale.ROOT, "%-18s peak step memory, plain loss path (full logits): %.1f MB above %.1f MB resting%n", "",
                            plainMem[0], plainMem[1]);
                if (shape.config().startsWith("bench")) {
                    for (int i = 0; i < gemms.count(); i++) {
                        // The last round's per-product times: a breakdown, not a measurement of record.
                        System.out.printf(Locale.ROOT, "    %-74s %8.2f GFLOP %7.1f GFLOP/s%n", gemms.name(i), gemms.flops(i) / 1e9,
                                gemms.flops(i) / gemms.lastMs(i) / 1e6);
                    }
                }
                return new Measured(train, fraction);
            }
        }
    }
}
