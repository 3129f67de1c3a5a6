// The fused Gram chunk kernel, written once over an ISA traits type and instantiated per ISA by
// gram_cpu_{portable,avx2,avx512}.cpp, each compiled under its own `#pragma GCC target`.
//
// Include this only from those files, after the pragma and <immintrin.h>, and include no other C++
// header after the pragma: everything here has internal linkage (anonymous namespace) so an AVX-512 copy
// of a function can never be picked by the linker for a caller running on a CPU without AVX-512.
//
// Traits A provide: V (vector of A::W floats), MR×NR (register tile), zero(), load(p) (unaligned),
// fma(a, b, c) = a*b + c, hsum(v) -> double.
#pragma once

#include <cstdint>

namespace {

// Rows a[0..M) × rows b[0..N) over [0, n): a rectangle of the K×K upper triangle.
// The M loaded `a` vectors stay in registers while each `b` vector is loaded once and used M times,
// so one vector load feeds M FMAs and the tile needs M*N + M + 1 registers.
template <class A, int M, int N>
inline __attribute__((always_inline)) void tile_rect(const float* const* a, const float* const* b, int64_t n,
                                                     double* S, int K, int i0, int j0) {
  typename A::V acc[M][N];
#pragma GCC unroll 8
  for (int i = 0; i < M; ++i)
#pragma GCC unroll 8
    for (int j = 0; j < N; ++j) acc[i][j] = A::zero();
  int64_t p = 0;
  for (; p + A::W <= n; p += A::W) {
    typename A::V x[M];
#pragma GCC unroll 8
    for (int i = 0; i < M; ++i) x[i] = A::load(a[i] + p);
#pragma GCC unroll 8
    for (int j = 0; j < N; ++j) {
      const typename A::V y = A::load(b[j] + p);
#pragma GCC unroll 8
      for (int i = 0; i < M; ++i) acc[i][j] = A::fma(x[i], y, acc[i][j]);
    }
  }
  // The float partial of this block goes into double here: this is what keeps long rows from drifting.
  // The tail (< W elements, only in a segment's last block) is summed straight in double.
#pragma GCC unroll 8
  for (int i = 0; i < M; ++i) {
#pragma GCC unroll 8
    for (int j = 0; j < N; ++j) {
      double s = A::hsum(acc[i][j]);
      for (int64_t q = p; q < n; ++q) s += static_cast<double>(a[i][q]) * static_cast<double>(b[j][q]);
      S[(i0 + i) * K + (j0 + j)] += s;
    }
  }
}

// Rows r[0..M) against themselves: only the M(M+1)/2 pairs with i <= j are computed.
template <class A, int M>
inline __attribute__((always_inline)) void tile_diag(const float* const* r, int64_t n, double* S, int K, int i0) {
  typename A::V acc[M][M];
#pragma GCC unroll 8
  for (int i = 0; i < M; ++i)
#pragma GCC unroll 8
    for (int j = i; j < M; ++j) acc[i][j] = A::zero();
  int64_t p = 0;
  for (; p + A::W <= n; p += A::W) {
    typename A::V x[M];
#pragma GCC unroll 8
    for (int i = 0; i < M; ++i) x[i] = A::load(r[i] + p);
#pragma GCC unroll 8
    for (int i = 0; i < M; ++i)
#pragma GCC unroll 8
      for (int j = i; j < M; ++j) acc[i][j] = A::fma(x[i], x[j], acc[i][j]);
  }
#pragma GCC unroll 8
  for (int i = 0; i < M; ++i) {
#pragma GCC unroll 8
    for (int j = i; j < M; ++j) {
      double s = A::hsum(acc[i][j]);
      for (int64_t q = p; q < n; ++q) s += static_cast<double>(r[i][q]) * static_cast<double>(r[j][q]);
      S[(i0 + i) * K + (i0 + j)] += s;
    }
  }
}

// Run-time (m, n) -> compile-time tile. Tiles larger than the traits' MR×NR are never instantiated.
template <class A, int M, int N = A::NR>
inline void rect_dispatch_n(int n, const float* const* a, const float* const* b, int64_t len, double* S, int K,
                            int i0, int j0) {
  if constexpr (N >= 1) {
    if (n == N) {
      tile_rect<A, M, N>(a, b, len, S, K, i0, j0);
    } else {
      rect_dispatch_n<A, M, N - 1>(n, a, b, len, S, K, i0, j0);
    }
  }
}

template <class A, int M = A::MR>
inline void rect_dispatch(int m, int n, const float* const* a, const float* const* b, int64_t len, double* S,
                          int K, int i0, int j0) {
  if constexpr (M >= 1) {
    if (m == M) {
      rect_dispatch_n<A, M>(n, a, b, len, S, K, i0, j0);
    } else {
      rect_dispatch<A, M - 1>(m, n, a, b, len, S, K, i0, j0);
    }
  }
}

template <class A, int M = A::MR>
inline void diag_dispatch(int m, const float* const* r, int64_t len, double* S, int K, int i0) {
  if constexpr (M >= 1) {
    if (m == M) {
      tile_diag<A, M>(r, len, S, K, i0);
    } else {
      diag_dispatch<A, M - 1>(m, r, len, S, K, i0);
    }
  }
}

// One cache block [off, off+n) of every row. Loop order: an I-block of MR rows (kept hot in L1) against
// itself and then against every later J-block of NR rows (streamed from L2). Every row block of this chunk
// was brought from memory once, by the first tile that touched it.
template <class A>
inline void gram_chunk(const float* const* rows, int K, int64_t off, int64_t n, double* S) {
  const float* r[64];
  for (int k = 0; k < K; ++k) r[k] = rows[k] + off;
  for (int i0 = 0; i0 < K; i0 += A::MR) {
    const int m = K - i0 < A::MR ? K - i0 : A::MR;
    diag_dispatch<A>(m, r + i0, n, S, K, i0);
    for (int j0 = i0 + m; j0 < K; j0 += A::NR) {
      const int nn = K - j0 < A::NR ? K - j0 : A::NR;
      rect_dispatch<A>(m, nn, r + i0, r + j0, n, S, K, i0, j0);
    }
  }
}

}  // namespace
