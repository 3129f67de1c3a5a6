package org.acodm.bench.engine;

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
 * Group "step": the engine's train step through JNI on two tiny configs, beside a forward-only eval of
 * the same batch (the baseline: a train step should cost about three forwards). Tokens/s = B*T / time.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(1)                                  // the work is native; one JVM is representative
@Warmup(iterations = 2, time = 2)         // first steps allocate libtorch's caches
@Measurement(iterations = 4, time = 3)
public class TrainStepBenchmark {
    /** name:batch:T. tiny = 2 layers d 64; small = 4 layers d 128 (both byte-level vocabulary). */
    @Param({"tiny:8:64", "small:8:128"})
    public String shape;

    private Model model;
    private int[] tokens;
    private int[] domains;
    private int batch;
    private int window;

    @Setup(Level.Trial)
    public void setup() {
        String[] p = shape.split(":");
        batch = Integer.parseInt(p[1]);
        window = Integer.parseInt(p[2]) + 1;
        model = new Model(p[0], 1, "cpu");
        // A tiny constant learning rate keeps the model (and so the work per step) stable across iterations.
        model.setOptimizer(OptimizerSettings.defaults(1e-6, 1e-6, 0, 1_000_000));
        Random r = new Random(3);
        tokens = new int[batch * window];
        for (int i = 0; i < tokens.length; i++) tokens[i] = r.nextInt(257);
        domains = new int[batch];
        for (int b = 0; b < batch; b++) domains[b] = b % 4;
        StepResult check = model.trainStep(tokens, batch, window, domains, 4, 1, false);
        if (!(check.loss() > 4 && check.loss() < 8)) throw new IllegalStateException("unexpected first loss " + check.loss());
    }

    @TearDown(Level.Trial)
    public void tearDown() { model.close(); }

    @Benchmark
    public double trainStep() {
        return model.trainStep(tokens, batch, window, domains, 4, 1, false).loss();
    }

    @Benchmark
    public double forwardOnly() {
        return model.evaluate(tokens, batch, window, domains, 4).loss();
    }
}
