package org.acodm.bench.kernels;

import org.acodm.bench.nativeapi.KernelBenchNative;
import org.acodm.engine.CudaDevices;
import org.acodm.engine.NativeException;
import org.acodm.engine.NativeHandle;
import org.bytedeco.cuda.cublas.cublasContext;
import org.bytedeco.cuda.global.cublas;
import org.bytedeco.cuda.global.cudart;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Pointer;

/**
 * K gradient rows of P random floats in GPU memory and the two ways to their Gram matrix: the engine's fused CUDA
 * kernel, and cuBLAS's {@code cublasSsyrk} called through JavaCPP's Presets for CUDA on the same device buffers.
 * For the gpu benchmark group and its self-check; {@link #unavailableReason()} says why it cannot run here.
 */
public final class GpuGramKernels implements AutoCloseable {
    private final NativeHandle<KernelBenchNative.GpuFixture> handle;
    private final cublasContext blas = new cublasContext();
    private final FloatPointer matrix, output;
    private final FloatPointer one = new FloatPointer(1f), zero = new FloatPointer(0f);
    private final int k;
    private final long p;

    /** "" when a fixture can be made here; else one line on what is missing (CUDA kernels, a device, the CUDA libraries). */
    public static String unavailableReason() {
        String why = NativeHandle.call("gpu gram fixture", KernelBenchNative.GpuFixture::unavailableReason);
        if (!why.isEmpty()) return why;
        CudaDevices.Report r = CudaDevices.probe();
        return r.available() ? "" : "JavaCPP's CUDA presets: " + r.reason();
    }

    public GpuGramKernels(int k, long p, long seed) {
        if (k < 1 || k > 64) throw new IllegalArgumentException("K must lie in [1, 64], got " + k);
        if (p < 1 || p > Integer.MAX_VALUE) throw new IllegalArgumentException("P must lie in [1, 2^31), got " + p);
        this.k = k;
        this.p = p;
        this.handle = new NativeHandle<>("gpu gram fixture", () -> new KernelBenchNative.GpuFixture(k, p, seed));
        this.matrix = new FloatPointer(at(handle.get().matrixAddress()));
        this.output = new FloatPointer(at(handle.get().outputAddress()));
        check(cublas.cublasCreate_v2(blas), "cublasCreate");
    }

    public long bytes() { return handle.get().bytes(); }

    /** The fused kernel, synchronised; returns the sum of S's entries. */
    public double fused() { return handle.get().fused(); }

    /** C = Gᵀ G's upper triangle by cublasSsyrk on the same G (column-major P×K, leading dimension P), synchronised. */
    public void syrk() {
        handle.get();
        check(cublas.cublasSsyrk_v2(blas, cublas.CUBLAS_FILL_MODE_UPPER, cublas.CUBLAS_OP_T, k, (int) p, one, matrix, (int) p, zero, output, k),
                "cublasSsyrk");
        check(cudart.cudaDeviceSynchronize(), "cudaDeviceSynchronize");
    }

    /** Worst error of the fused kernel against the double-precision loops, relative to sqrt(S_ii S_jj). */
    public double fusedError() { return handle.apply(KernelBenchNative.GpuFixture::fusedError); }

    /** Worst difference of SYRK's result (after {@link #syrk()}) from the fused kernel's, relative to sqrt(S_ii S_jj). */
    public double syrkError() { return handle.apply(KernelBenchNative.GpuFixture::outputError); }

    /** A pointer at a device address (the field is protected: set from a subclass). */
    private static Pointer at(long deviceAddress) {
        return new Pointer() {
            { address = deviceAddress; }
        };
    }

    private static void check(int status, String what) {
        if (status != 0) throw new NativeException(what + " failed with status " + status, null);
    }

    @Override public void close() {
        if (!handle.isClosed()) cublas.cublasDestroy_v2(blas);
        handle.close();
    }
}
