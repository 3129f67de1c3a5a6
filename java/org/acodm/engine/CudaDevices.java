package org.acodm.engine;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.bytedeco.cuda.cudart.cudaDeviceProp;
import org.bytedeco.cuda.global.cudart;
import org.bytedeco.cuda.global.cudnn;

/**
 * The GPUs of this machine as the CUDA runtime sees them, through JavaCPP's Presets for CUDA (bound to the machine's
 * own CUDA libraries: no -redist). Optional: where there is no CUDA runtime or driver, {@link #probe()} says so
 * in {@link Report#reason()} and nothing else depends on it.
 */
public final class CudaDevices {
    private CudaDevices() {}

    /** One GPU: name, memory in bytes, compute capability. */
    public record Gpu(int index, String name, long memoryBytes, int major, int minor) {
        @Override public String toString() {
            return String.format(Locale.ROOT, "cuda:%d %s, %.1f GiB, compute capability %d.%d", index, name, memoryBytes / (double) (1L << 30),
                    major, minor);
        }
    }

    /**
     * What CUDA offers here. {@code available} false: {@code reason} says why in one line (no CUDA runtime library,
     * no driver, a driver too old, no device); versions are 0 and {@code cudnn} null where they could not be read.
     */
    public record Report(boolean available, String reason, int driverVersion, int runtimeVersion, String cudnn, List<Gpu> gpus) {
        /** "13.0" from CUDA's 13000. */
        public static String version(int v) { return v <= 0 ? "unknown" : (v / 1000) + "." + (v % 1000) / 10; }
    }

    public static Report probe() {
        int[] runtime = {0}, driver = {0}, count = {0};
        try {
            cudart.cudaRuntimeGetVersion(runtime);
            int rc = cudart.cudaDriverGetVersion(driver);
            if (rc != 0 || driver[0] == 0)
                return new Report(false, "no CUDA driver (the CUDA " + Report.version(runtime[0]) + " runtime is there, the driver is not)",
                        0, runtime[0], null, List.of());
            rc = cudart.cudaGetDeviceCount(count);
            if (rc != 0)
                return new Report(false, "cudaGetDeviceCount: " + cudart.cudaGetErrorString(rc).getString() + " (driver "
                        + Report.version(driver[0]) + ", runtime " + Report.version(runtime[0]) + ")", driver[0], runtime[0], null, List.of());
        } catch (LinkageError e) {
            // UnsatisfiedLinkError or NoClassDefFoundError: JavaCPP's glue could not load; its message names only the glue,
            // so name the library that is missing, as a person would look for it.
            if (!onLibraryPath("libcuda.so.1"))
                return new Report(false, "no CUDA driver (libcuda.so.1 is not installed)", 0, 0, null, List.of());
            if (!onLibraryPath("libcudart.so.13"))
                return new Report(false, "no CUDA 13 runtime (libcudart.so.13 is on no library path; add the toolkit's lib64 to LD_LIBRARY_PATH)",
                        0, 0, null, List.of());
            return new Report(false, "the CUDA libraries could not be loaded (" + firstLine(e) + ")", 0, 0, null, List.of());
        }
        List<Gpu> gpus = new ArrayList<>();
        for (int i = 0; i < count[0]; i++) {
            try (cudaDeviceProp p = new cudaDeviceProp()) {
                if (cudart.cudaGetDeviceProperties(p, i) == 0)
                    gpus.add(new Gpu(i, p.name().getString().trim(), p.totalGlobalMem(), p.major(), p.minor()));
            }
        }
        String cudnnVersion;
        try {
            long v = cudnn.cudnnGetVersion();
            cudnnVersion = (v / 10000) + "." + (v % 10000) / 100 + "." + v % 100;
        } catch (LinkageError e) {
            cudnnVersion = null;
        }
        return new Report(!gpus.isEmpty(), gpus.isEmpty() ? "no CUDA device visible" : "", driver[0], runtime[0], cudnnVersion, gpus);
    }

    /** True when a library of that file name is in LD_LIBRARY_PATH, java.library.path or the usual system folders. */
    static boolean onLibraryPath(String file) {
        List<String> dirs = new ArrayList<>();
        for (String v : new String[] {System.getenv("LD_LIBRARY_PATH"), System.getProperty("java.library.path")})
            if (v != null) dirs.addAll(List.of(v.split(java.io.File.pathSeparator)));
        dirs.addAll(List.of("/usr/lib/x86_64-linux-gnu", "/lib/x86_64-linux-gnu", "/usr/lib64", "/usr/lib", "/usr/local/cuda/lib64",
                "/usr/local/cuda/lib", "/usr/lib/wsl/lib"));
        for (String d : dirs) if (!d.isEmpty() && java.nio.file.Files.exists(java.nio.file.Path.of(d, file))) return true;
        return false;
    }

    private static String firstLine(Throwable e) {
        String m = String.valueOf(e.getMessage());
        int nl = m.indexOf('\n');
        return e.getClass().getSimpleName() + ": " + (nl < 0 ? m : m.substring(0, nl));
    }
}
