// Fused Gram kernel on the GPU: S_ij = sum over segments of <row_i, row_j> for K <= 64 device rows.
// Plain C++ declarations only (no CUDA or libtorch headers), so g++ code such as the tensor dispatcher
// (native/src/gram.cpp) and the tests can include it; the kernels live in gram.cu.
#pragma once

#include <cstddef>
#include <cstdint>

struct CUstream_st;  // = cudaStream_t, declared here so this header needs no CUDA include

namespace acodm::cuda {

enum class GramDtype : int { kFloat32 = 0, kBFloat16 = 1 };

// One reward layer: `rows` is a HOST array of K DEVICE pointers, each to `length` elements of the dtype.
// Rows aligned to 16 bytes take the vectorised asynchronous-copy path; others a slower element path.
struct GramDeviceSegment {
  const void* const* rows;
  int64_t length;
};

// Bytes of device scratch gram_cuda needs for these segments (the per-block float64 partials).
size_t gram_cuda_scratch_bytes(const GramDeviceSegment* segments, int nseg, int K);

// S_dev (device, K×K float64, row-major, both triangles) = sum over segments of G_s G_sᵀ, enqueued on
// `stream` (nullptr: the legacy default stream); nothing is synchronised. `scratch` must hold
// gram_cuda_scratch_bytes(...) bytes of device memory. Throws std::invalid_argument on bad K, lengths,
// null pointers or too small scratch, std::runtime_error on a CUDA error.
void gram_cuda(const GramDeviceSegment* segments, int nseg, int K, GramDtype dtype, double* S_dev, void* scratch,
               size_t scratch_bytes, CUstream_st* stream);

// Runs the same per-thread device code on the host, block by block and thread by thread between the
// barriers, with host rows and a host S. It exists so the kernel's indexing, tails, padding and
// reductions are tested on machines without a GPU; it is slow and is not a CPU kernel.
void gram_cuda_emulate(const GramDeviceSegment* segments, int nseg, int K, GramDtype dtype, double* S);

// Number of usable CUDA devices; 0 (never an exception) when there is no GPU or no sufficient driver.
int gram_cuda_device_count();

}  // namespace acodm::cuda
