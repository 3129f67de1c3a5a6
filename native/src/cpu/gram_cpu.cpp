// Driver of the fused CPU Gram kernel: input checks, ISA choice, the split of all segments' cache blocks
// over threads, and the fixed-order reduction of the per-thread K×K partials.
#include "cpu/gram_cpu.h"

#include <algorithm>
#include <stdexcept>
#include <string>
#include <vector>

#ifdef _OPENMP
#include <omp.h>
#endif

namespace acodm::cpu {

void gram_validate(const GramSegment* segments, int nseg, int K, const double* S) {
  if (K < 1 || K > kGramMaxK)
    throw std::invalid_argument("gram: K = " + std::to_string(K) + " is outside [1, " +
                                std::to_string(kGramMaxK) + "]");
  if (nseg < 0) throw std::invalid_argument("gram: negative segment count " + std::to_string(nseg));
  if (S == nullptr) throw std::invalid_argument("gram: output pointer S is null");
  if (nseg > 0 && segments == nullptr) throw std::invalid_argument("gram: segment array is null");
  for (int s = 0; s < nseg; ++s) {
    if (segments[s].length < 0)
      throw std::invalid_argument("gram: segment " + std::to_string(s) + " has negative length " +
                                  std::to_string(segments[s].length));
    if (segments[s].rows == nullptr)
      throw std::invalid_argument("gram: segment " + std::to_string(s) + " has a null row array");
    for (int k = 0; k < K; ++k)
      if (segments[s].rows[k] == nullptr)
        throw std::invalid_argument("gram: segment " + std::to_string(s) + ", row " + std::to_string(k) +
                                    " is null");
  }
}

bool gram_isa_supported(GramIsa isa) {
  switch (isa) {
    case GramIsa::kAuto:
    case GramIsa::kPortable:
      return true;
    case GramIsa::kAvx2:
      return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    case GramIsa::kAvx512:
      return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq");
  }
  return false;
}

GramIsa gram_isa_best() {
  if (gram_isa_supported(GramIsa::kAvx512)) return GramIsa::kAvx512;
  if (gram_isa_supported(GramIsa::kAvx2)) return GramIsa::kAvx2;
  return GramIsa::kPortable;
}

const char* gram_isa_name(GramIsa isa) {
  switch (isa) {
    case GramIsa::kAuto:
      return gram_isa_name(gram_isa_best());
    case GramIsa::kPortable:
      return "portable";
    case GramIsa::kAvx2:
      return "avx2";
    case GramIsa::kAvx512:
      return "avx512";
  }
  return "unknown";
}

namespace {

GramChunkFn chunk_function(GramIsa isa) {
  switch (isa) {
    case GramIsa::kAvx512:
      return gram_chunk_avx512;
    case GramIsa::kAvx2:
      return gram_chunk_avx2;
    default:
      return gram_chunk_portable;
  }
}

// Below this many row elements in total a parallel region costs more than it saves.
constexpr int64_t kParallelMinElements = int64_t{1} << 16;

}  // namespace

void gram_cpu(const GramSegment* segments, int nseg, int K, double* S, int num_threads, GramIsa isa) {
  gram_validate(segments, nseg, K, S);
  if (isa == GramIsa::kAuto) isa = gram_isa_best();
  if (!gram_isa_supported(isa))
    throw std::invalid_argument(std::string("gram: this CPU does not support the ") + gram_isa_name(isa) +
                                " kernel");
  const GramChunkFn fn = chunk_function(isa);

  // All segments' cache blocks in one global numbering, so a thread's share is one contiguous run of
  // blocks (sequential streams for the prefetcher) whatever the segment lengths are.
  std::vector<int64_t> first(static_cast<size_t>(nseg) + 1, 0);
  int64_t elements = 0;
  for (int s = 0; s < nseg; ++s) {
    first[s + 1] = first[s] + (segments[s].length + kGramChunk - 1) / kGramChunk;
    elements += segments[s].length * K;
  }
  const int64_t total = first[nseg];

  int threads = 1;
#ifdef _OPENMP
  threads = num_threads > 0 ? num_threads : omp_get_max_threads();
#endif
  if (elements < kParallelMinElements) threads = 1;
  threads = static_cast<int>(std::max<int64_t>(1, std::min<int64_t>(threads, total)));

  // Per-thread partials, each padded to whole cache lines so threads never write the same line.
  const size_t stride = (static_cast<size_t>(K) * K + 7) / 8 * 8;
  std::vector<double> partial(stride * threads, 0.0);

  auto run_share = [&](int t) {
    const int64_t c0 = total * t / threads;
    const int64_t c1 = total * (t + 1) / threads;
    double* out = partial.data() + stride * t;
    int s = 0;
    for (int64_t c = c0; c < c1; ++c) {
      while (c >= first[s + 1]) ++s;  // skips empty segments too
      const int64_t off = (c - first[s]) * kGramChunk;
      const int64_t n = std::min(kGramChunk, segments[s].length - off);
      fn(segments[s].rows, K, off, n, out);
    }
  };

#ifdef _OPENMP
  if (threads > 1) {
    // The runtime may grant fewer threads than asked (nested regions, thread limits): the shares are
    // fixed by `threads`, so whoever runs them the sum is the same.
#pragma omp parallel num_threads(threads)
    for (int t = omp_get_thread_num(); t < threads; t += omp_get_num_threads()) run_share(t);
  } else {
    run_share(0);
  }
#else
  for (int t = 0; t < threads; ++t) run_share(t);
#endif

  for (int i = 0; i < K; ++i) {
    for (int j = i; j < K; ++j) {
      double sum = 0.0;
      for (int t = 0; t < threads; ++t) sum += partial[stride * t + static_cast<size_t>(i) * K + j];
      S[i * K + j] = sum;
      S[j * K + i] = sum;
    }
  }
}

}  // namespace acodm::cpu
