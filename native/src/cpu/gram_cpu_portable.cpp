// Portable flavour of the fused Gram kernel: SSE (4 floats) with separate multiply and add, which every
// x86-64-v2 CPU has (the library's baseline), so this is the one used when AVX2/FMA are absent.
#include "cpu/gram_cpu.h"

#include <immintrin.h>

#include "cpu/gram_cpu_tiles.h"

namespace {

struct IsaPortable {
  using V = __m128;
  static constexpr int W = 4;
  // 16 xmm registers: 3×4 accumulators + 3 held rows + 1 streamed row (the product needs no extra one).
  static constexpr int MR = 3;
  static constexpr int NR = 4;
  static V zero() { return _mm_setzero_ps(); }
  static V load(const float* p) { return _mm_loadu_ps(p); }
  static V fma(V a, V b, V c) { return _mm_add_ps(_mm_mul_ps(a, b), c); }
  static double hsum(V v) {
    const __m128d lo = _mm_cvtps_pd(v);
    const __m128d hi = _mm_cvtps_pd(_mm_movehl_ps(v, v));
    const __m128d s = _mm_add_pd(lo, hi);
    return _mm_cvtsd_f64(_mm_add_sd(s, _mm_unpackhi_pd(s, s)));
  }
};

}  // namespace

namespace acodm::cpu {

void gram_chunk_portable(const float* const* rows, int K, int64_t off, int64_t n, double* S) {
  gram_chunk<IsaPortable>(rows, K, off, n, S);
}

}  // namespace acodm::cpu
