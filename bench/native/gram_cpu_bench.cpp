// Where the CPU Gram kernel stands, in one process: the double reference, the fused kernel (every SIMD
// flavour the CPU has), torch::mm(G, G.t()) and a plain memcpy of the same bytes, as GB/s of gradient
// rows read, and the fused/torch.mm ratio last. Checks the fused result against the reference first, so
// a fast wrong kernel cannot win. The dispatched kernel, torch::mm and memcpy run in turns, one call each
// per round, and the speedup is the median of per-round ratios: a shared host's speed drifts between runs. Usage: gram_cpu_bench [K=22] [P=4000000] [reps=15] [threads=all cores]
// (threads: libtorch's intra-op count is set to it, so the fused kernel and torch::mm get the same cores;
// Debian's libtorch 1.13 otherwise starts with one intra-op thread.)
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "cpu/gram_cpu.h"
#include "gram.h"

namespace {

// Median wall time of `reps` calls after one warm-up call, in milliseconds.
template <class F>
double median_ms(int reps, F&& f) {
  f();
  std::vector<double> t;
  for (int r = 0; r < reps; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    f();
    t.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  }
  std::sort(t.begin(), t.end());
  return t[t.size() / 2];
}

// Median (mean of the middle two for an even count), nearest-rank quartiles and extremes.
struct Spread {
  double median, p25, p75, min, max;
};

Spread spread(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  auto at = [&](double q) { return v[static_cast<size_t>(q * static_cast<double>(n - 1) + 0.5)]; };
  return {n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]), at(0.25), at(0.75), v.front(), v.back()};
}

double max_rel_err(const std::vector<double>& got, const std::vector<double>& want, int K) {
  double worst = 0.0;
  for (int i = 0; i < K; ++i)
    for (int j = 0; j < K; ++j) {
      const double e = std::fabs(got[i * K + j] - want[i * K + j]) / std::sqrt(want[i * K + i] * want[j * K + j]);
      if (!(e <= worst)) worst = e;  // NaN sticks
    }
  return worst;
}

}  // namespace

int main(int argc, char** argv) {
  const int K = argc > 1 ? std::atoi(argv[1]) : 22;
  const int64_t P = argc > 2 ? std::atoll(argv[2]) : 4000000;
  const int reps = argc > 3 ? std::atoi(argv[3]) : 15;
  const int threads = argc > 4 ? std::atoi(argv[4]) : static_cast<int>(std::thread::hardware_concurrency());
  if (K < 1 || K > acodm::cpu::kGramMaxK || P < 1 || reps < 1 || threads < 1) {
    std::fprintf(stderr, "usage: gram_cpu_bench [K in 1..64] [P >= 1] [reps >= 1] [threads >= 1]\n");
    return 2;
  }
  at::set_num_threads(threads);
  const double bytes = static_cast<double>(K) * P * sizeof(float);
  std::printf("Gram CPU bench: K=%d P=%lld (%.0f MB of rows), %d threads, median of %d runs (rounds)\n", K,
              static_cast<long long>(P), bytes / 1e6, at::get_num_threads(), reps);

  // One contiguous K×P matrix, so torch::mm and the fused kernel read exactly the same bytes.
  std::vector<float> G(static_cast<size_t>(K) * P);
  std::mt19937 rng(42);
  std::uniform_real_distribution<float> u(-1.f, 1.f);
  for (int k = 0; k < K; ++k)
    for (int64_t p = 0; p < P; ++p) G[static_cast<size_t>(k) * P + p] = u(rng) + 0.25f * (k % 3);
  std::vector<const float*> rows(K);
  for (int k = 0; k < K; ++k) rows[k] = G.data() + static_cast<size_t>(k) * P;
  std::vector<double> ref(K * K), fused(K * K), mm(K * K);

  const auto t0 = std::chrono::steady_clock::now();
  acodm::gram_reference_cpu(rows.data(), K, P, ref.data());
  const double ref_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();

  bool ok = true;
  auto row = [&](const char* name, double ms, const char* note) {
    std::printf("  %-22s %9.2f ms %8.2f GB/s  %s\n", name, ms, bytes / ms / 1e6, note);
  };
  row("reference (double)", ref_ms, "one run");

  const acodm::cpu::GramSegment seg{rows.data(), P};
  for (auto isa : {acodm::cpu::GramIsa::kPortable, acodm::cpu::GramIsa::kAvx2, acodm::cpu::GramIsa::kAvx512}) {
    if (!acodm::cpu::gram_isa_supported(isa)) continue;
    std::vector<double> s(K * K);
    const double ms = median_ms(reps, [&] { acodm::cpu::gram_cpu(&seg, 1, K, s.data(), at::get_num_threads(), isa); });
    const double err = max_rel_err(s, ref, K);
    ok = ok && err <= 1e-5;
    char note[96];
    std::snprintf(note, sizeof note, "max err %.1e%s", err, err <= 1e-5 ? "" : "  MISMATCH");
    row((std::string("fused ") + acodm::cpu::gram_isa_name(isa)).c_str(), ms, note);
  }

  // Turns: round r runs the three starting with the (r mod 3)-th, so none always goes first.
  std::vector<float> dst(G.size());
  const std::vector<std::function<void()>> ops = {
      [&] { acodm::gram_fused_cpu(rows.data(), K, P, fused.data()); },
      [&] { acodm::gram_torch_mm_cpu(G.data(), K, P, mm.data()); },
      [&] { std::memcpy(dst.data(), G.data(), G.size() * sizeof(float)); }};
  std::vector<std::vector<double>> ms(ops.size());
  for (const auto& op : ops) op();  // warm-up: page faults, thread pools
  for (int r = 0; r < reps; ++r)
    for (size_t k = 0; k < ops.size(); ++k) {
      const size_t i = (static_cast<size_t>(r) + k) % ops.size();
      const auto t = std::chrono::steady_clock::now();
      ops[i]();
      ms[i].push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t).count());
    }
  const double fused_ms = spread(ms[0]).median, mm_ms = spread(ms[1]).median, copy_ms = spread(ms[2]).median;
  const double fused_err = max_rel_err(fused, ref, K);
  ok = ok && fused_err <= 1e-5;
  char note[96];
  std::snprintf(note, sizeof note, "(%s) max err %.1e", acodm::gram_cpu_kernel_name(), fused_err);
  row("fused (dispatched)", fused_ms, note);
  std::snprintf(note, sizeof note, "max err %.1e (float accumulation)", max_rel_err(mm, ref, K));
  row("torch::mm(G, G.t())", mm_ms, note);
  row("memcpy (same bytes)", copy_ms, "reads and writes them");

  std::vector<double> speedup;
  for (int r = 0; r < reps; ++r) speedup.push_back(ms[1][static_cast<size_t>(r)] / ms[0][static_cast<size_t>(r)]);
  const Spread sp = spread(speedup);
  std::printf("fused/torch.mm speedup: %.2f (spread: p25-p75 %.2f-%.2f, min-max %.2f-%.2f, %d rounds)\n", sp.median,
              sp.p25, sp.p75, sp.min, sp.max, reps);
  if (!ok) {
    std::printf("FAILED: a fused kernel disagrees with the reference\n");
    return 1;
  }
  return 0;
}
