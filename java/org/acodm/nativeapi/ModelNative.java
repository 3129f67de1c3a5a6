package org.acodm.nativeapi;

import org.bytedeco.javacpp.Loader;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.annotation.ByRef;
import org.bytedeco.javacpp.annotation.Cast;
import org.bytedeco.javacpp.annotation.Const;
import org.bytedeco.javacpp.annotation.MemberGetter;
import org.bytedeco.javacpp.annotation.Name;
import org.bytedeco.javacpp.annotation.Namespace;
import org.bytedeco.javacpp.annotation.Platform;
import org.bytedeco.javacpp.annotation.StdString;

/**
 * JavaCPP surface of {@code native/include/acodm/model.h}. Generated JNI glue only: callers go through
 * {@code org.acodm.engine.Model}, which owns the pointer, checks arguments and turns native errors into
 * Java exceptions. Java arrays are pinned or copied for the duration of a call; nothing is retained.
 */
@Platform(include = {"acodm/process_group.h", "acodm/model.h"}, link = "acodm")
@Namespace("acodm")
public final class ModelNative {
    static { Loader.load(); }

    private ModelNative() {}

    public static native @StdString String buildInfo();
    public static native int cudaDeviceCount();
    public static native void setNumThreads(int n);
    public static native int numThreads();
    public static native @StdString String numericEnvironmentInfo();
    /** Canonical config string of {@code config}; {@code parameters[0]} receives the parameter count. Allocates no tensors. */
    public static native @StdString String resolveModelConfig(@StdString String config, @Cast("int64_t*") long[] parameters);

    /** {@code acodm::StepStats}: what a train step reports besides its per-domain sums. */
    @Name("StepStats")
    public static class StepStats extends Pointer {
        static { Loader.load(); }

        public StepStats() { allocate(); }
        private native void allocate();

        @MemberGetter public native double loss();
        @MemberGetter public native double grad_norm();
        @MemberGetter public native double learning_rate();
        @MemberGetter public native @Cast("int64_t") long step();
    }

    /** A list of parameter names ({@code std::vector<std::string>}), filled by the caller. */
    @Name("::std::vector<std::string>")  // outside the acodm namespace
    public static class Names extends Pointer {
        static { Loader.load(); }

        public Names() { allocate(); }
        private native void allocate();

        public native void push_back(@StdString String name);
    }

    @Name("Model")
    public static class Handle extends Pointer {
        static { Loader.load(); }

        public Handle(String config, long seed, String device) { allocate(config, seed, device); }
        private native void allocate(@StdString String config, @Cast("int64_t") long seed, @StdString String device);

        public native @StdString String configString();
        public native @StdString String deviceName();
        public native int numLayers();
        public native int dModel();
        public native int numHeads();
        public native int vocabSize();
        public native int maxSeq();
        public native @Cast("int64_t") long numParameters();

        public native int numParameterTensors();
        public native @StdString String parameterName(int index);
        public native @Cast("int64_t") long parameterSize(@StdString String name);
        public native void getParameter(@StdString String name, float[] out, @Cast("int64_t") long count);
        public native void setParameter(@StdString String name, @Cast("const float*") float[] values, @Cast("int64_t") long count);
        public native void getGradient(@StdString String name, float[] out, @Cast("int64_t") long count);

        public native void setOptimizer(@Const @ByRef OptimizerNative.Settings settings);
        public native @Cast("int64_t") long stepCount();
        public native double learningRate(@Cast("int64_t") long step);

        public native void setAlignmentParameters(@Const @ByRef Names names);
        public native void setAlignmentMethod(@StdString String method);
        public native void setAlignmentSplit(@Cast("bool") boolean split);
        public native @Cast("bool") boolean alignmentSplit();
        public native void setProcessGroup(@ByRef ProcessGroupNative.Handle group, @Cast("int64_t") long bucketBytes);
        public native void setLossChunk(@Cast("int64_t") long tokens);
        public native void setFusedAttention(@Cast("bool") boolean fused);
        public native void setFusedOptimizer(@Cast("bool") boolean fused);
        public native @Cast("int64_t") long lossChunk();

        public native void trainStep(@Cast("const int32_t*") int[] tokens, @Cast("int64_t") long batch,
                                     @Cast("int64_t") long window, @Cast("const int32_t*") int[] domains,
                                     int numDomains, int microBatches, double[] domainLossSum,
                                     double[] domainTokens, StepStats stats, double[] alignment);
        public native double evaluate(@Cast("const int32_t*") int[] tokens, @Cast("int64_t") long batch,
                                      @Cast("int64_t") long window, @Cast("const int32_t*") int[] domains,
                                      int numDomains, double[] domainLossSum, double[] domainTokens);
        public native void forwardLogits(@Cast("const int32_t*") int[] tokens, @Cast("int64_t") long batch,
                                         @Cast("int64_t") long seq, float[] out);
        public native double lossAndGradients(@Cast("const int32_t*") int[] tokens, @Cast("int64_t") long batch,
                                              @Cast("int64_t") long window);
        public native void parameterNorms(@Const @ByRef Names names, double[] out, int count);
        public native void setStateParameters(@Const @ByRef Names names, boolean referenceEachStep);
        public native void stateNorms(double[] norms, double[] distances, int count);

        public native void save(@StdString String path);
        public native void load(@StdString String path);
    }
}
