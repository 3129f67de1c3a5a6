package org.acodm.bench.nativeapi;

import org.bytedeco.javacpp.Loader;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.annotation.Cast;
import org.bytedeco.javacpp.annotation.Name;
import org.bytedeco.javacpp.annotation.Namespace;
import org.bytedeco.javacpp.annotation.Platform;
import org.bytedeco.javacpp.annotation.StdString;

/**
 * JavaCPP surface of {@code bench/native/kernel_bench.h} (the acodm_bench library); used through
 * org.acodm.bench.kernels' GramKernels, GpuGramKernels, StepGemms and PeakMemory. libacodm_bench needs libacodm,
 * which the main jar carries beside its own glue: it is preloaded from there (or, with JavaCPP's pathsFirst, from
 * java.library.path, which is how bench/run.sh gpu swaps in the CUDA build of both).
 */
@Platform(include = "kernel_bench.h", link = "acodm_bench", preload = "acodm", preloadresource = "/org/acodm/nativeapi/")
@Namespace("acodm")
public final class KernelBenchNative {
    static { Loader.load(); }

    private KernelBenchNative() {}

    public static native void resetPeakMemory(@StdString String device);
    public static native @Cast("int64_t") long peakMemoryBytes(@StdString String device);
    public static native @Cast("int64_t") long currentMemoryBytes(@StdString String device);

    @Name("StepGemms")
    public static class Gemms extends Pointer {
        static { Loader.load(); }

        public Gemms(String config, long batch, long seq, long seed) { allocate(config, batch, seq, seed); }
        private native void allocate(@StdString String config, @Cast("int64_t") long batch, @Cast("int64_t") long seq,
                                     @Cast("int64_t") long seed);

        public native int count();
        public native @StdString String name(int i);
        public native @Cast("int64_t") long occurrences(int i);
        public native double flops(int i);
        public native double totalFlops();
        public native double run();
        public native double lastMs(int i);
    }

    @Name("GramFixture")
    public static class Fixture extends Pointer {
        static { Loader.load(); }

        public Fixture(int k, long p, long seed) { allocate(k, p, seed); }
        private native void allocate(int k, @Cast("int64_t") long p, @Cast("int64_t") long seed);

        public native int k();
        public native @Cast("int64_t") long p();
        public native @Cast("int64_t") long bytes();
        public native double fused();
        public native double torchMm();
        public native double copy();
        public native double fusedError();
        public native @StdString String kernelName();
    }

    @Name("GpuGramFixture")
    public static class GpuFixture extends Pointer {
        static { Loader.load(); }

        public GpuFixture(int k, long p, long seed) { allocate(k, p, seed); }
        private native void allocate(int k, @Cast("int64_t") long p, @Cast("int64_t") long seed);

        public static native @StdString String unavailableReason();
        public native int k();
        public native @Cast("int64_t") long p();
        public native @Cast("int64_t") long bytes();
        public native @Cast("int64_t") long matrixAddress();
        public native @Cast("int64_t") long outputAddress();
        public native double fused();
        public native double fusedError();
        public native double outputError();
    }
}
