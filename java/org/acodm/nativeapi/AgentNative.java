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
 * JavaCPP surface of {@code native/include/acodm/agent.h}. Generated JNI glue only: callers go through
 * {@code org.acodm.engine.AgentNetworks}, which owns the pointer, checks array sizes and turns native errors into
 * Java exceptions. Java arrays are pinned or copied for the duration of a call; nothing is retained.
 */
@Platform(include = "acodm/agent.h", link = "acodm")
@Namespace("acodm")
public final class AgentNative {
    static { Loader.load(); }

    private AgentNative() {}

    public static native @StdString String exportedActorMetadata(@StdString String path);
    public static native @StdString String exportedActorConfig(@StdString String path);

    /** {@code acodm::UpdateLosses}: one DDPG update's numbers, each measured before its optimizer step. */
    @Name("UpdateLosses")
    public static class UpdateLosses extends Pointer {
        static { Loader.load(); }

        public UpdateLosses() { allocate(); }
        private native void allocate();

        @MemberGetter public native double critic();
        @MemberGetter public native double actor();
        @MemberGetter public native double kl();
        @MemberGetter public native double entropy();
    }

    @Name("AgentNetworks")
    public static class Handle extends Pointer {
        static { Loader.load(); }

        public Handle(int stateDim, int numActions, int hidden, int layers, int criticOutputs, long seed, String device,
                      int criticForm) {
            allocate(stateDim, numActions, hidden, layers, criticOutputs, seed, device, criticForm);
        }
        private native void allocate(int stateDim, int numActions, int hidden, int layers, int criticOutputs,
                                     @Cast("int64_t") long seed, @StdString String device, int criticForm);

        public native int stateDim();
        public native int numActions();
        public native int hidden();
        public native int layers();
        public native int criticOutputs();
        public native int criticForm();
        public native @StdString String deviceName();
        public native @StdString String configString();
        public native @Cast("int64_t") long numParameters();

        public native void setThreads(int threads);
        public native int threads();
        public native void setOptimizer(@Const @ByRef OptimizerNative.Settings settings);
        public native void setRegulariser(@Cast("const float*") float[] prior, double tau, double targetEntropy, double tauLr);
        public native double temperature();
        public native double learningRate(@Cast("int64_t") long step);
        public native @Cast("int64_t") long actorSteps();
        public native @Cast("int64_t") long criticSteps();

        public native void act(@Cast("const float*") float[] states, int n, float[] out);
        public native void qValues(@Cast("const float*") float[] states, @Cast("const float*") float[] actions, int n,
                                   float[] out);
        public native void criticHeads(@Cast("const float*") float[] states, int n, float[] out);
        public native void setActionNormalisation(@Cast("const float*") float[] center, double scale);
        public native void update(@Cast("const float*") float[] states, @Cast("const float*") float[] actions,
                                  @Cast("const float*") float[] rewards, @Cast("const float*") float[] nextStates,
                                  int n, double gamma, UpdateLosses losses);
        public native double imitate(@Cast("const float*") float[] states, @Cast("const float*") float[] targets, int n);
        public native double regressCritic(@Cast("const float*") float[] states, @Cast("const float*") float[] actions,
                                           @Cast("const float*") float[] targets, int n);
        public native double actorError(@Cast("const float*") float[] states, @Cast("const float*") float[] targets, int n);
        public native void softUpdate(double rate);

        public native void save(@StdString String path);
        public native void load(@StdString String path);
        public native void exportActor(@StdString String path, @StdString String metadata);
        public native void importActor(@StdString String path);
    }
}
