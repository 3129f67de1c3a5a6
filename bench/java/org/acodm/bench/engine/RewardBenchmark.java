package org.acodm.bench.engine;

import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.acodm.engine.Model;
import org.acodm.engine.OptimizerSettings;
import org.acodm.engine.StepResult;
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
 * Group "reward": what the alignment matrix S costs inside a train step. A tiny model (d 256, 4 layers,
 * T 256, B 16, 16 domains, byte-level vocabulary) runs a plain step, a step that also returns S over two
 * reward layers (capture method), and the same step with S from one autograd pass per domain.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(1)                                  // native work; one JVM is representative
@Warmup(iterations = 1, time = 3)         // steps take ~0.1-1 s: a few per iteration
@Measurement(iterations = 3, time = 5)
public class RewardBenchmark {
    static final String CONFIG = "bench-256:vocab=384";
    static final int BATCH = 16, WINDOW = 257, DOMAINS = 16;
    static final List<String> REWARD_LAYERS = List.of(
            "gpt_neox.layers.0.mlp.dense_4h_to_h.weight", "gpt_neox.layers.2.mlp.dense_4h_to_h.weight");

    @Param({"plain", "capture", "backward"})
    public String method;

    private Model model;
    private int[] tokens;
    private int[] domains;

    @Setup(Level.Trial)
    public void setup() {
        model = new Model(CONFIG, 1, "cpu");
        model.setOptimizer(OptimizerSettings.defaults(1e-6, 1e-6, 0, 1_000_000));
        if (!method.equals("plain")) {
            model.setAlignmentParameters(REWARD_LAYERS);
            model.setAlignmentMethod(method);
        }
        Random r = new Random(5);
        tokens = new int[BATCH * WINDOW];
        for (int i = 0; i < tokens.length; i++) tokens[i] = r.nextInt(257);
        domains = new int[BATCH];
        for (int b = 0; b < BATCH; b++) domains[b] = b % DOMAINS;
        StepResult check = step();
        if (!method.equals("plain") && !(check.alignment()[3][3] > 0))
            throw new IllegalStateException("alignment matrix missing or zero on its diagonal");
    }

    @TearDown(Level.Trial)
    public void tearDown() { model.close(); }

    private StepResult step() {
        return model.trainStep(tokens, BATCH, WINDOW, domains, DOMAINS, 1, !method.equals("plain"));
    }

    @Benchmark
    public double trainStep() {
        return step().loss();
    }
}
