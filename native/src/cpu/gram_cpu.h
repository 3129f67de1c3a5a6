// Gram matrix S_ij = sum over segments of <row_i, row_j> for K per-domain gradient rows (CPU, fp32 input).
// gram_reference (gram_reference.h) is the ground truth; gram_cpu is the fused kernel that reads every row
// once: cache-blocked over P, register tiles of accumulators, SIMD picked at run time, OpenMP over P-chunks.
#pragma once

#include <cstdint>

namespace acodm::cpu {

// One reward layer: K rows of `length` floats each (rows[k] is domain k's gradient of that layer).
// Rows need no particular alignment and may live in separate allocations.
struct GramSegment {
  const float* const* rows;
  int64_t length;
};

constexpr int kGramMaxK = 64;

// Throws std::invalid_argument unless 1 <= K <= kGramMaxK, nseg >= 0, segments/S non-null, every
// length >= 0 and every row pointer non-null. Shared by every variant so they reject the same inputs.
void gram_validate(const GramSegment* segments, int nseg, int K, const double* S);

// SIMD flavour of the fused kernel. kAuto picks the widest the CPU supports; the others exist so tests
// and benchmarks can run each flavour the machine has.
enum class GramIsa { kAuto, kPortable, kAvx2, kAvx512 };

bool gram_isa_supported(GramIsa isa);
// The flavour kAuto resolves to on this CPU, and its name ("avx512", "avx2", "portable").
GramIsa gram_isa_best();
const char* gram_isa_name(GramIsa isa);

// S (K×K, row-major, both triangles written) = sum over segments of G_s G_sᵀ.
// Each product is accumulated in float over at most kGramChunk elements per SIMD lane, then in double, so
// the error does not grow with P. num_threads <= 0 means OpenMP's default. For a fixed thread count and
// ISA the result is bitwise reproducible (static partition, fixed reduction order).
void gram_cpu(const GramSegment* segments, int nseg, int K, double* S, int num_threads = 0,
              GramIsa isa = GramIsa::kAuto);

// Elements of P per cache block: K rows × 1024 floats stay within a 256 KiB L2 even at K = 64, and
// 1024 / SIMD width float terms per accumulator keep the float part of the sum well below 1e-5 relative.
constexpr int64_t kGramChunk = 1024;

// One cache block of one segment: S[i*K + j] (i <= j only) += <rows[i][off, off+n), rows[j][off, off+n)>.
// Defined once per ISA in gram_cpu_{portable,avx2,avx512}.cpp; the driver calls them.
using GramChunkFn = void (*)(const float* const* rows, int K, int64_t off, int64_t n, double* S);
void gram_chunk_portable(const float* const* rows, int K, int64_t off, int64_t n, double* S);
void gram_chunk_avx2(const float* const* rows, int K, int64_t off, int64_t n, double* S);
void gram_chunk_avx512(const float* const* rows, int K, int64_t off, int64_t n, double* S);

}  // namespace acodm::cpu
