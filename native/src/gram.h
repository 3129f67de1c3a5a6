// Gram matrix of per-domain gradient rows, S_ij = sum over reward layers of <g_i, g_j>: the tensor-level
// entry point the engine calls, dispatching to the fused CPU kernel (native/src/cpu/gram_cpu.h) for CPU
// tensors and to the CUDA kernel (native/cuda/gram.cuh) for GPU tensors; plus raw-pointer entry points
// for tests and benchmarks (the acodm_bench library, bench/native).
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <vector>

namespace acodm {

// segments[s][k] is domain k's gradient of reward layer s: any shape, read as its flattened elements;
// all rows of one segment have the same number of elements, every segment has the same K (1..64), and
// all rows live on one device. float32 is read in place when contiguous; bfloat16 is read natively on
// CUDA; anything else (and bf16 on CPU) is converted to float32 first.
// Returns S as a K×K float64 tensor on the rows' device. Throws std::invalid_argument on bad input and
// std::runtime_error for CUDA tensors when the library was built without CUDA kernels.
torch::Tensor gram(const std::vector<std::vector<torch::Tensor>>& segments);

// Same, writing S (K×K, row-major) to host memory `out` (synchronises with the GPU when there is one).
void gram(const std::vector<std::vector<torch::Tensor>>& segments, double* out);

class Collectives;
// Data-parallel form: every rank holds its share of each row (rows summed over the ranks are the global
// per-domain gradients), and `out` receives, on every rank, S of the summed rows. Each segment's columns are cut
// into W chunks (the last zero-padded); one all-to-all hands every rank its chunk of every row from every rank
// (a reduce-scatter: (W-1)/W of the rows' bytes sent per rank), the rank sums them, takes the partial Gram of its
// columns with the fused kernel, and a K×K all-reduce adds the partials. Rows are read as float32.
void gram_across_ranks(const std::vector<std::vector<torch::Tensor>>& segments, Collectives& group, double* out);

// --- raw entry points for tests and benchmarks: one segment of K host rows of P floats; S is K×K row-major. ---

// The fused, optimised CPU kernel (all threads libtorch is configured for, widest SIMD the CPU has).
void gram_fused_cpu(const float* const* rows, int K, int64_t P, double* S);
// The plain-loop double reference (slow; for checking a benchmark's result once).
void gram_reference_cpu(const float* const* rows, int K, int64_t P, double* S);
// The library baseline: torch::mm(G, G.t()) in float32 on G = the contiguous K×P matrix at `G`,
// exactly what the fused kernel is compared against; S receives the result widened to double.
void gram_torch_mm_cpu(const float* G, int K, int64_t P, double* S);
// Name of the CPU kernel flavour gram_fused_cpu runs here ("avx512", "avx2" or "portable").
const char* gram_cpu_kernel_name();
// True when the library has CUDA kernels and a usable GPU is visible.
bool gram_cuda_available();

}  // namespace acodm
