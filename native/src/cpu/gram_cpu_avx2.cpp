// AVX2 + FMA flavour of the fused Gram kernel (8 floats per vector). The pragma applies to everything
// below it, including the kernel templates, which have internal linkage (see gram_cpu_tiles.h); the
// driver only calls this after checking __builtin_cpu_supports("avx2") and ("fma").
#include "cpu/gram_cpu.h"

#pragma GCC target("avx2,fma")
#include <immintrin.h>

#include "cpu/gram_cpu_tiles.h"

namespace {

struct IsaAvx2 {
  using V = __m256;
  static constexpr int W = 8;
  // 16 ymm registers: 3×4 accumulators + 3 held rows + 1 streamed row = 16.
  static constexpr int MR = 3;
  static constexpr int NR = 4;
  static V zero() { return _mm256_setzero_ps(); }
  static V load(const float* p) { return _mm256_loadu_ps(p); }
  static V fma(V a, V b, V c) { return _mm256_fmadd_ps(a, b, c); }
  static double hsum(V v) {
    const __m256d lo = _mm256_cvtps_pd(_mm256_castps256_ps128(v));
    const __m256d hi = _mm256_cvtps_pd(_mm256_extractf128_ps(v, 1));
    const __m256d s4 = _mm256_add_pd(lo, hi);
    const __m128d s2 = _mm_add_pd(_mm256_castpd256_pd128(s4), _mm256_extractf128_pd(s4, 1));
    return _mm_cvtsd_f64(_mm_add_sd(s2, _mm_unpackhi_pd(s2, s2)));
  }
};

}  // namespace

namespace acodm::cpu {

void gram_chunk_avx2(const float* const* rows, int K, int64_t off, int64_t n, double* S) {
  gram_chunk<IsaAvx2>(rows, K, off, n, S);
}

}  // namespace acodm::cpu
