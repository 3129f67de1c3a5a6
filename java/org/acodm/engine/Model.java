package org.acodm.engine;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.acodm.nativeapi.ModelNative;

/**
 * A GPT-NeoX model with its AdamW optimizer, living in native memory (GPU memory when there is one).
 * Token windows go in as int arrays; losses, counts, norms and the alignment matrix come back.
 */
public final class Model implements AutoCloseable {
    private final NativeHandle<ModelNative.Handle> handle;
    private final int vocab;
    private final int maxSeq;
    /** How many state parameters the train steps measure (setStateParameters). */
    private volatile int stateParameters;
    private volatile boolean alignmentSplit;

    /**
     * @param config a named config ("70m", "410m", "tiny", ...) optionally with overrides
     *               ("tiny:layers=3,d_model=96")
     * @param device "cpu", "cuda", "cuda:N" or "auto"
     */
    public Model(String config, long seed, String device) {
        if (config == null || config.isBlank()) throw new IllegalArgumentException("model config is empty");
        if (device == null) throw new IllegalArgumentException("device is null");
        this.handle = new NativeHandle<>("model '" + config + "'", () -> new ModelNative.Handle(config, seed, device));
        this.vocab = handle.get().vocabSize();
        this.maxSeq = handle.get().maxSeq();
    }

    public String configString() { return handle.apply(ModelNative.Handle::configString); }
    public String deviceName() { return handle.apply(ModelNative.Handle::deviceName); }
    public int numLayers() { return handle.get().numLayers(); }
    public int dModel() { return handle.get().dModel(); }
    public int vocabSize() { handle.get(); return vocab; }
    public int maxSeq() { handle.get(); return maxSeq; }
    public long numParameters() { return handle.get().numParameters(); }

    /** Parameter names in Hugging Face GPTNeoXForCausalLM order. */
    public List<String> parameterNames() {
        ModelNative.Handle h = handle.get();
        int n = h.numParameterTensors();
        List<String> names = new ArrayList<>(n);
        for (int i = 0; i < n; i++) names.add(h.parameterName(i));
        return names;
    }

    public float[] parameter(String name) {
        return handle.apply(h -> {
            float[] out = new float[Math.toIntExact(h.parameterSize(name))];
            h.getParameter(name, out, out.length);
            return out;
        });
    }

    public void setParameter(String name, float[] values) {
        handle.apply(h -> {
            h.setParameter(name, values, values.length);
            return null;
        });
    }

    public float[] gradient(String name) {
        return handle.apply(h -> {
            float[] out = new float[Math.toIntExact(h.parameterSize(name))];
            h.getGradient(name, out, out.length);
            return out;
        });
    }

    /** Required before the first train step (a loaded checkpoint brings its own). */
    public void setOptimizer(OptimizerSettings s) {
        handle.apply(h -> {
            try (var settings = s.toNative()) {
                h.setOptimizer(settings);
            }
            return null;
        });
    }

    public long stepCount() { return handle.get().stepCount(); }
    public double learningRate(long step) { return handle.get().learningRate(step); }

    /** Parameters whose per-domain gradient alignment train steps report; empty turns it off. */
    public void setAlignmentParameters(List<String> names) {
        handle.apply(h -> {
            try (var list = names(names)) {
                h.setAlignmentParameters(list);
            }
            return null;
        });
    }

    /**
     * Parameters whose Frobenius norms, and distances to a reference copy of them, every train step that updates the model
     * reports ({@link StepResult#stateNorms}, {@link StepResult#stateDistances}); empty turns it off. The reference is the
     * weights before each step with {@code referenceEachStep}, else before the first step (checkpoints carry it).
     */
    public void setStateParameters(List<String> names, boolean referenceEachStep) {
        handle.apply(h -> {
            try (var list = names(names)) {
                h.setStateParameters(list, referenceEachStep);
            }
            return null;
        });
        stateParameters = names.size();
    }

    /**
     * How the LM head and its cross-entropy run: in chunks of {@code tokens} tokens (the default, 256), never
     * forming the B·T × V logits, or with 0 the plain path over the full logits; the same losses and gradients to
     * float rounding. For benchmarks and tests that compare the two.
     */
    public void setLossChunk(long tokens) {
        if (tokens < 0) throw new IllegalArgumentException("loss chunk must be >= 0 tokens (0: the full logits), got " + tokens);
        handle.apply(h -> {
            h.setLossChunk(tokens);
            return null;
        });
    }

    public long lossChunk() { return handle.get().lossChunk(); }

    /**
     * Attention through a fused kernel (the default: on the CPU the in-place causal softmax, on a GPU with libtorch 2.x
     * scaled_dot_product_attention), or with false the plain path (scores, mask, softmax) everywhere; the same losses
     * and gradients to float rounding. For benchmarks and tests that compare the two.
     */
    public void setFusedAttention(boolean fused) {
        handle.apply(h -> {
            h.setFusedAttention(fused);
            return null;
        });
    }

    /**
     * The optimizer step on the CPU as one fused pass over flat buffers (the default), or with false as torch's ops
     * tensor by tensor; the same step to float rounding. For benchmarks and tests that compare the two.
     */
    public void setFusedOptimizer(boolean fused) {
        handle.apply(h -> {
            h.setFusedOptimizer(fused);
            return null;
        });
    }

    /**
     * How S is computed: "capture" (default; from the one backward pass) or "backward" (one extra autograd
     * pass per domain: the reference method and the benchmark baseline).
     */
    public void setAlignmentMethod(String method) {
        handle.apply(h -> {
            h.setAlignmentMethod(method);
            return null;
        });
    }

    /**
     * Split halves (off by default): each domain's windows in a step are dealt in turns into two halves, and a train
     * step with alignment also reports ⟨g_iA, g_iB⟩ ({@link StepResult#selfAlignment}), an estimate of ‖E g_i‖²
     * without the windows' own noise that S_ii = ‖g_i‖² carries. S itself is the same to float rounding.
     */
    public void setAlignmentSplit(boolean split) {
        handle.apply(h -> {
            h.setAlignmentSplit(split);
            return null;
        });
        alignmentSplit = split;
    }

    /**
     * Makes this model one rank of data-parallel training over {@code group}: each train step is then this rank's
     * slice of the global batch, and its counts, losses, gradients (all-reduced in buckets of about
     * {@code bucketBytes}), S and optimizer step are the global batch's, the same on every rank.
     */
    public void attach(ProcessGroup group, long bucketBytes) {
        if (bucketBytes < 1) throw new IllegalArgumentException("bucket size must be >= 1 byte, got " + bucketBytes);
        handle.apply(h -> {
            h.setProcessGroup(group.pointer(), bucketBytes);
            return null;
        });
    }

    /**
     * One optimizer step.
     *
     * @param tokens       {@code batch * window} token ids, row-major; window = T + 1
     * @param domains      one domain id per window, in [0, numDomains)
     * @param withAlignment also return S over the alignment parameters
     */
    public StepResult trainStep(int[] tokens, int batch, int window, int[] domains, int numDomains,
                                int microBatches, boolean withAlignment) {
        checkBatch(tokens, batch, window, domains, numDomains);
        if (microBatches < 1 || batch % microBatches != 0)
            throw new IllegalArgumentException("micro-batches (" + microBatches + ") must divide the batch (" + batch + ")");
        double[] loss = new double[numDomains];
        double[] count = new double[numDomains];
        boolean split = withAlignment && alignmentSplit;
        double[] s = withAlignment ? new double[numDomains * numDomains + (split ? numDomains : 0)] : null;
        int l = stateParameters;
        double[] norms = l == 0 ? null : new double[l];
        double[] distances = l == 0 ? null : new double[l];
        return handle.apply(h -> {
            try (var stats = new ModelNative.StepStats()) {
                h.trainStep(tokens, batch, window, domains, numDomains, microBatches, loss, count, stats, s);
                if (norms != null) h.stateNorms(norms, distances, l);
                boolean measured = norms != null && Double.isFinite(stats.loss()) && Double.isFinite(stats.grad_norm());
                return new StepResult(stats.loss(), stats.grad_norm(), stats.learning_rate(), stats.step(), loss, count,
                        s == null ? null : square(s, numDomains), measured ? norms : null, measured ? distances : null,
                        split ? Arrays.copyOfRange(s, numDomains * numDomains, s.length) : null);
            }
        });
    }

    /** Per-domain loss sums and counts without changing the model. */
    public StepResult evaluate(int[] tokens, int batch, int window, int[] domains, int numDomains) {
        checkBatch(tokens, batch, window, domains, numDomains);
        double[] loss = new double[numDomains];
        double[] count = new double[numDomains];
        double mean = handle.apply(h -> h.evaluate(tokens, batch, window, domains, numDomains, loss, count));
        return new StepResult(mean, Double.NaN, Double.NaN, -1, loss, count, null, null, null);
    }

    /** Logits [batch, seq, vocabSize()] of the given inputs. */
    public float[] forwardLogits(int[] tokens, int batch, int seq) {
        if (tokens.length != (long) batch * seq)
            throw new IllegalArgumentException("tokens has " + tokens.length + " ids, expected batch " + batch + " x seq " + seq);
        float[] out = new float[Math.multiplyExact(Math.multiplyExact(batch, seq), vocab)];
        handle.apply(h -> {
            h.forwardLogits(tokens, batch, seq, out);
            return null;
        });
        return out;
    }

    /** Mean loss; leaves the gradients for {@link #gradient}. No update. */
    public double lossAndGradients(int[] tokens, int batch, int window) {
        if (tokens.length != (long) batch * window)
            throw new IllegalArgumentException("tokens has " + tokens.length + " ids, expected batch " + batch + " x window " + window);
        return handle.apply(h -> h.lossAndGradients(tokens, batch, window));
    }

    /** Frobenius norms of the named parameters. */
    public double[] parameterNorms(List<String> names) {
        double[] out = new double[names.size()];
        handle.apply(h -> {
            try (var list = names(names)) {
                h.parameterNorms(list, out, out.length);
            }
            return null;
        });
        return out;
    }

    /** Atomic: written under a temporary name, flushed and renamed. */
    public void save(Path path) {
        handle.apply(h -> {
            h.save(path.toString());
            return null;
        });
    }

    public void load(Path path) {
        if (!Files.isReadable(path)) throw new IllegalArgumentException("checkpoint " + path + " does not exist or is not readable");
        handle.apply(h -> {
            h.load(path.toString());
            return null;
        });
    }

    public boolean isClosed() { return handle.isClosed(); }

    @Override public void close() { handle.close(); }

    private void checkBatch(int[] tokens, int batch, int window, int[] domains, int numDomains) {
        handle.get();
        if (tokens == null || domains == null) throw new IllegalArgumentException("tokens and domains must not be null");
        if (batch < 1) throw new IllegalArgumentException("batch must be >= 1, got " + batch);
        if (window < 2) throw new IllegalArgumentException("window must be >= 2 tokens (T + 1), got " + window);
        if (window > maxSeq + 1)
            throw new IllegalArgumentException("window of " + window + " tokens exceeds the model's context of " + maxSeq + " (+1)");
        if (tokens.length != (long) batch * window)
            throw new IllegalArgumentException("tokens has " + tokens.length + " ids, expected batch " + batch + " x window " + window
                    + " = " + (long) batch * window);
        if (domains.length != batch)
            throw new IllegalArgumentException("domains has " + domains.length + " ids, expected one per window (" + batch + ")");
        if (numDomains < 1) throw new IllegalArgumentException("numDomains must be >= 1, got " + numDomains);
    }

    /** The native list of {@code names}; the caller closes it. */
    private static ModelNative.Names names(List<String> names) {
        ModelNative.Names list = new ModelNative.Names();
        for (String n : names) list.push_back(n);
        return list;
    }

    private static double[][] square(double[] flat, int k) {
        double[][] out = new double[k][k];
        for (int i = 0; i < k; i++) System.arraycopy(flat, i * k, out[i], 0, k);
        return out;
    }

    /**
     * A model configuration resolved by the engine's own parser without building the model.
     *
     * @param config     the canonical string, as {@link #configString()} of such a model returns it
     *                   ({@code name=tiny,layers=2,d_model=64,heads=4,vocab=384,seq=64,rotary_pct=0.25,rotary_base=10000,dtype=float32})
     * @param parameters what {@link #numParameters()} of such a model returns
     */
    public record Shape(String config, long parameters) {}

    /**
     * Resolves a model config ("1b", "tiny:layers=3", or a canonical string) as the constructor would, allocating
     * nothing, so a plan can size a 1B model on any machine. A bad name or key is an IllegalArgumentException
     * with the engine's message.
     */
    public static Shape shape(String config) {
        if (config == null || config.isBlank()) throw new IllegalArgumentException("model config is empty");
        long[] parameters = new long[1];
        String canonical;
        try {
            canonical = ModelNative.resolveModelConfig(config, parameters);
        } catch (RuntimeException e) {
            // The parser throws std::invalid_argument only: a bad name or key, whose message says which.
            throw new IllegalArgumentException(e.getMessage(), e);
        }
        return new Shape(canonical, parameters[0]);
    }

    /** Build facts: libtorch version, threads, whether CUDA kernels were compiled, GPUs visible. */
    public static String buildInfo() { return NativeHandle.call("engine", ModelNative::buildInfo); }
    public static int cudaDeviceCount() { return ModelNative.cudaDeviceCount(); }
    /** Pins libtorch's, OpenMP's and the BLAS library's threads to {@code n} (0: every CPU this process may use). */
    public static void setNumThreads(int n) { ModelNative.setNumThreads(n); }
    public static int numThreads() { return ModelNative.numThreads(); }
    /** What decides the bits of a CPU result now: threads, BLAS library and core, CPU, libtorch (no device). */
    public static NumericEnvironment numericEnvironment() {
        return NumericEnvironment.parse(NativeHandle.call("engine", ModelNative::numericEnvironmentInfo));
    }
}
