// AVX-512 flavour of the fused Gram kernel (16 floats per vector). Its gain over AVX2 is mostly the 32
// registers: a 4×6 tile loads 10 vectors per 24 FMAs instead of 7 per 12. Called only after
// __builtin_cpu_supports("avx512f") and ("avx512dq").
#include "cpu/gram_cpu.h"

#pragma GCC target("avx512f,avx512dq,avx2,fma")
// GCC 12's AVX-512 conversion intrinsics pass _mm512_undefined_pd() as their merge source, which
// -Wmaybe-uninitialized reports as a false positive once inlined.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>

#include "cpu/gram_cpu_tiles.h"

namespace {

struct IsaAvx512 {
  using V = __m512;
  static constexpr int W = 16;
  // 32 zmm registers: 4×6 accumulators + 4 held rows + 1 streamed row = 29, leaving room for addresses.
  static constexpr int MR = 4;
  static constexpr int NR = 6;
  static V zero() { return _mm512_setzero_ps(); }
  static V load(const float* p) { return _mm512_loadu_ps(p); }
  static V fma(V a, V b, V c) { return _mm512_fmadd_ps(a, b, c); }
  static double hsum(V v) {
    const __m512d lo = _mm512_cvtps_pd(_mm512_extractf32x8_ps(v, 0));
    const __m512d hi = _mm512_cvtps_pd(_mm512_extractf32x8_ps(v, 1));
    return _mm512_reduce_add_pd(_mm512_add_pd(lo, hi));
  }
};

}  // namespace

namespace acodm::cpu {

void gram_chunk_avx512(const float* const* rows, int K, int64_t off, int64_t n, double* S) {
  gram_chunk<IsaAvx512>(rows, K, off, n, S);
}

}  // namespace acodm::cpu
