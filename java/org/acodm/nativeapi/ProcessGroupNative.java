package org.acodm.nativeapi;

import org.bytedeco.javacpp.Loader;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.annotation.Cast;
import org.bytedeco.javacpp.annotation.Name;
import org.bytedeco.javacpp.annotation.Namespace;
import org.bytedeco.javacpp.annotation.Platform;
import org.bytedeco.javacpp.annotation.StdString;

/**
 * JavaCPP surface of {@code native/include/acodm/process_group.h}; used through {@code org.acodm.engine.ProcessGroup},
 * which owns the pointer and turns native errors into Java exceptions.
 */
@Platform(include = "acodm/process_group.h", link = "acodm")
@Namespace("acodm")
public final class ProcessGroupNative {
    static { Loader.load(); }

    private ProcessGroupNative() {}

    public static native boolean ncclCompiled();

    @Name("ProcessGroup")
    public static class Handle extends Pointer {
        static { Loader.load(); }

        public Handle(int rank, int worldSize, String masterAddr, int masterPort, double timeoutSeconds, String backend,
                      String device, String fingerprint, String agentStorePrefix) {
            allocate(rank, worldSize, masterAddr, masterPort, timeoutSeconds, backend, device, fingerprint, agentStorePrefix);
        }
        private native void allocate(int rank, int worldSize, @StdString String masterAddr, int masterPort, double timeoutSeconds,
                                     @StdString String backend, @StdString String device, @StdString String fingerprint,
                                     @StdString String agentStorePrefix);

        public native int rank();
        public native int worldSize();
        public native @StdString String backendName();
        public native void allReduceSum(double[] values, @Cast("int64_t") long count, @StdString String what);
        public native void allGather(@Cast("const int64_t*") long[] values, @Cast("int64_t") long count,
                                     @Cast("int64_t*") long[] out, @StdString String what);
        public native void barrier(@StdString String what);
        public native @StdString String statistics();
        public native void resetStatistics();
    }
}
