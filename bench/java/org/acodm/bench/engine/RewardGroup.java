package org.acodm.bench.engine;

import java.util.List;
import java.util.Locale;
import java.util.Random;
import org.acodm.bench.Lockstep;
import org.acodm.engine.Model;
import org.acodm.engine.OptimizerSettings;
import org.acodm.engine.StepResult;

/**
 * Group "reward": what the alignment matrix S costs inside a train step. Three identical models (d 256, 4 layers,
 * T 256, B 16, 16 domains, byte-level vocabulary) take turns on the same batch: a plain step, a step that also
 * returns S over two reward layers (capture method), and the same step with S from one autograd pass per domain.
 */
public final class RewardGroup {
    static final String CONFIG = "bench-256:vocab=384";
    static final int BATCH = 16, WINDOW = 257, DOMAINS = 16;
    static final List<String> REWARD_LAYERS = List.of(
            "gpt_neox.layers.0.mlp.dense_4h_to_h.weight", "gpt_neox.layers.2.mlp.dense_4h_to_h.weight");
    /** Steps take 0.3-3 s: one per turn. */
    public static final Lockstep.Settings DEFAULTS = new Lockstep.Settings(2, 10, 0);

    private RewardGroup() {}

    static Model model(String method) {
        Model m = new Model(CONFIG, 1, "cpu");
        m.setOptimizer(OptimizerSettings.defaults(1e-6, 1e-6, 0, 1_000_000));
        if (!method.equals("plain")) {
            m.setAlignmentParameters(REWARD_LAYERS);
            m.setAlignmentMethod(method);
        }
        return m;
    }

    public static void run(Lockstep.Settings settings) throws Exception {
        Random r = new Random(5);
        int[] tokens = new int[BATCH * WINDOW];
        for (int i = 0; i < tokens.length; i++) tokens[i] = r.nextInt(257);
        int[] domains = new int[BATCH];
        for (int b = 0; b < BATCH; b++) domains[b] = b % DOMAINS;
        try (Model plain = model("plain"); Model capture = model("capture"); Model backward = model("backward")) {
            // Same weights, same batch: both methods must give the same S on the first step (a fast wrong one cannot win).
            double[][] sc = capture.trainStep(tokens, BATCH, WINDOW, domains, DOMAINS, 1, true).alignment();
            double[][] sb = backward.trainStep(tokens, BATCH, WINDOW, domains, DOMAINS, 1, true).alignment();
            plain.trainStep(tokens, BATCH, WINDOW, domains, DOMAINS, 1, false);
            for (int i = 0; i < DOMAINS; i++)
                for (int j = 0; j < DOMAINS; j++) {
                    double scale = Math.sqrt(sb[i][i] * sb[j][j]);
                    if (!(sb[i][i] > 0) || !(Math.abs(sc[i][j] - sb[i][j]) <= 1e-4 * scale))
                        throw new IllegalStateException("S[" + i + "][" + j + "]: capture " + sc[i][j] + " vs backward " + sb[i][j]);
                }
            Lockstep.Result res = Lockstep.run(List.of(
                    new Lockstep.Side("plain", () -> plain.trainStep(tokens, BATCH, WINDOW, domains, DOMAINS, 1, false).loss()),
                    new Lockstep.Side("capture", () -> step(capture, tokens, domains)),
                    new Lockstep.Side("backward", () -> step(backward, tokens, domains))), settings);
            Lockstep.Spread withS = res.ratio("capture", "plain"), kBackward = res.ratio("backward", "capture");
            System.out.printf(Locale.ROOT, "plain step %.1f ms; step with S (capture) %.1f ms; step with S by one backward per domain %.1f ms%n",
                    res.time("plain").median(), res.time("capture").median(), res.time("backward").median());
            System.out.println("step with S / plain step: " + String.format(Locale.ROOT, "%.3f ", withS.median()) + withS.describe("%.3f"));
            System.out.println("K-backward / ours: " + String.format(Locale.ROOT, "%.2f ", kBackward.median()) + kBackward.describe("%.2f"));
            System.out.printf(Locale.ROOT, "step with S / plain step: %.3f; K-backward / ours: %.2f%n", withS.median(), kBackward.median());
        }
    }

    private static double step(Model m, int[] tokens, int[] domains) {
        StepResult s = m.trainStep(tokens, BATCH, WINDOW, domains, DOMAINS, 1, true);
        return s.loss() + s.alignment()[3][3];
    }
}
