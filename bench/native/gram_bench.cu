// Kernel lab for the fused Gram kernel (native/cuda/gram.cu), in the manner of llm.c's dev/cuda files:
//   1. checks: the CUDA kernel against the CPU double reference on random rows (never zeros) of awkward
//      sizes, aligned and misaligned, fp32 and bf16, several segments, and a drift case; first mismatches
//      are printed and the exit code says whether all passed (so this binary alone can vouch for the
//      kernel where GoogleTest is not installed);
//   2. bench: fused vs torch::mm(G, Gᵀ) vs cuBLAS SYRK on the same device bytes, K ∈ {8, 22, 64},
//      P ∈ {1e6, 5e7}, in GB/s of rows read and as a fraction of the measured device copy bandwidth
//      (cudaMemcpy D2D, read + write bytes / time), timed with CUDA events after warm-up. Each result is
//      checked once against the CPU kernel, so a fast wrong kernel cannot win.
// Kernel variants tried so far: 1 = shared-memory-staged 8×8 register tiles with a cp.async pipeline
// (the one in the engine). Add new variants here first; move a winner into gram.cu.
//
// Usage: gram_bench [--check-only | --bench-only] [--reps N]
// Exit: 0 all checks passed, 1 a check failed, 77 no CUDA device, 2 bad usage or a CUDA error.
#ifdef ACODM_HAVE_CUBLAS
#include <cublas_v2.h>
#endif
#include <cuda_bf16.h>
#include <cuda_runtime.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "cpu/gram_cpu.h"
#include "cpu/gram_reference.h"
#include "gram.cuh"
#include "gram_bench_torch.h"

namespace {

using acodm::cuda::GramDeviceSegment;
using acodm::cuda::GramDtype;

void ck(cudaError_t e, const char* what) {
  if (e != cudaSuccess) throw std::runtime_error(std::string(what) + ": " + cudaGetErrorString(e));
}
#ifdef ACODM_HAVE_CUBLAS
void ck(cublasStatus_t e, const char* what) {
  if (e != CUBLAS_STATUS_SUCCESS) throw std::runtime_error(std::string(what) + ": cuBLAS status " + std::to_string(e));
}
#endif

// One tolerance rule for fp32 (and for bf16 against the reference of the same rounded values):
// |S_ij - R_ij| <= 1e-5 sqrt(R_ii R_jj). Returns the worst ratio; prints the first mismatches.
double compare(const std::vector<double>& got, const std::vector<double>& want, int K, const std::string& label,
               double tol, bool print) {
  double worst = 0.0;
  int shown = 0;
  for (int i = 0; i < K; ++i)
    for (int j = 0; j < K; ++j) {
      const double scale = std::sqrt(want[i * K + i] * want[j * K + j]);
      const double e = std::fabs(got[i * K + j] - want[i * K + j]) / scale;
      if (!(e <= worst)) worst = e;
      if (print && !(e <= tol) && shown < 5) {
        std::printf("    %s: S[%d][%d] = %.9g, want %.9g (rel %.2e)\n", label.c_str(), i, j, got[i * K + j],
                    want[i * K + j], e);
        ++shown;
      }
    }
  return worst;
}

// Host rows of every segment plus device copies at a chosen misalignment (in elements).
struct Case {
  int K;
  GramDtype dtype;
  std::vector<int64_t> lengths;
  std::vector<std::vector<float>> host;  // values as the kernel sees them (already rounded for bf16)
  std::vector<void*> allocations;
  std::vector<std::vector<const void*>> dev_rows;

  Case(int K_, GramDtype dt, std::vector<int64_t> lens, int shift, uint32_t seed, float lo, float hi)
      : K(K_), dtype(dt), lengths(std::move(lens)) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> u(lo, hi);
    const size_t esize = dtype == GramDtype::kFloat32 ? 4 : 2;
    dev_rows.resize(lengths.size());
    for (size_t s = 0; s < lengths.size(); ++s) {
      for (int k = 0; k < K; ++k) {
        std::vector<float> v(static_cast<size_t>(lengths[s]));
        std::vector<__nv_bfloat16> b(v.size());
        for (size_t p = 0; p < v.size(); ++p) {
          v[p] = u(rng) + 0.25f * static_cast<float>(k % 3);
          if (dtype == GramDtype::kBFloat16) {
            b[p] = __float2bfloat16(v[p]);
            v[p] = __bfloat162float(b[p]);
          }
        }
        void* d = nullptr;
        ck(cudaMalloc(&d, (v.size() + 8) * esize), "cudaMalloc rows");
        allocations.push_back(d);
        char* row = static_cast<char*>(d) + shift * esize;
        const void* src = dtype == GramDtype::kFloat32 ? static_cast<const void*>(v.data()) : b.data();
        ck(cudaMemcpy(row, src, v.size() * esize, cudaMemcpyHostToDevice), "upload rows");
        dev_rows[s].push_back(row);
        host.push_back(std::move(v));
      }
    }
  }
  ~Case() {
    for (void* p : allocations) cudaFree(p);
  }
  Case(const Case&) = delete;
  Case& operator=(const Case&) = delete;

  std::vector<double> reference() const {
    std::vector<std::vector<const float*>> ptrs(lengths.size());
    std::vector<acodm::cpu::GramSegment> segs;
    for (size_t s = 0; s < lengths.size(); ++s) {
      for (int k = 0; k < K; ++k) ptrs[s].push_back(host[s * K + k].data());
      segs.push_back({ptrs[s].data(), lengths[s]});
    }
    std::vector<double> S(static_cast<size_t>(K) * K);
    acodm::cpu::gram_reference(segs.data(), static_cast<int>(segs.size()), K, S.data());
    return S;
  }

  std::vector<double> run_cuda() const {
    std::vector<GramDeviceSegment> segs;
    for (size_t s = 0; s < lengths.size(); ++s) segs.push_back({dev_rows[s].data(), lengths[s]});
    const int nseg = static_cast<int>(segs.size());
    const size_t scratch_bytes = acodm::cuda::gram_cuda_scratch_bytes(segs.data(), nseg, K);
    void* scratch = nullptr;
    double* dS = nullptr;
    ck(cudaMalloc(&scratch, scratch_bytes), "cudaMalloc scratch");
    ck(cudaMalloc(&dS, sizeof(double) * K * K), "cudaMalloc S");
    ck(cudaMemset(dS, 0xff, sizeof(double) * K * K), "poison S");  // NaN if the kernel missed an entry
    acodm::cuda::gram_cuda(segs.data(), nseg, K, dtype, dS, scratch, scratch_bytes, nullptr);
    std::vector<double> S(static_cast<size_t>(K) * K);
    ck(cudaMemcpy(S.data(), dS, sizeof(double) * K * K, cudaMemcpyDeviceToHost), "download S");
    cudaFree(scratch);
    cudaFree(dS);
    return S;
  }
};

int run_checks() {
  std::printf("== checks: CUDA kernel vs CPU double reference (tolerance 1e-5 * sqrt(Sii Sjj)) ==\n");
  int failed = 0, total = 0;
  auto one = [&](int K, GramDtype dt, std::vector<int64_t> lens, int shift, float lo, float hi, double tol) {
    const uint32_t seed = static_cast<uint32_t>(K * 1000003 + lens[0] * 7 + shift);
    const Case c(K, dt, lens, shift, seed, lo, hi);
    char label[160];
    std::snprintf(label, sizeof label, "K=%d P=%lld segs=%zu %s %s", K, static_cast<long long>(lens[0]), lens.size(),
                  dt == GramDtype::kFloat32 ? "fp32" : "bf16", shift ? "misaligned" : "aligned");
    const double err = compare(c.run_cuda(), c.reference(), K, label, tol, true);
    ++total;
    if (!(err <= tol)) {
      ++failed;
      std::printf("  FAIL %s: worst rel err %.2e\n", label, err);
    }
  };
  for (int K : {1, 2, 3, 7, 8, 22, 33, 64})
    for (int64_t P : {int64_t{1}, int64_t{7}, int64_t{13}, int64_t{1000}, int64_t{65537}, int64_t{300007}})
      for (int shift : {0, 1}) one(K, GramDtype::kFloat32, {P, P % 17 + 3}, shift, -1.f, 1.f, 1e-5);
  for (int K : {3, 22, 64})
    for (int64_t P : {int64_t{13}, int64_t{65537}, int64_t{300007}})
      for (int shift : {0, 1}) one(K, GramDtype::kBFloat16, {P, 5}, shift, -1.f, 1.f, 1e-5);
  one(13, GramDtype::kFloat32, {5000, 0, 1, 70001, 1024, 4097}, 0, -1.f, 1.f, 1e-5);  // many segments
  // Drift: 2^26 positive products per entry; a float running sum would be off by > 1e-3.
  one(2, GramDtype::kFloat32, {int64_t{1} << 26}, 0, 1.f, 2.f, 1e-6);
  std::printf("checks: %d of %d passed\n", total - failed, total);
  return failed;
}

__global__ void fill_rows(float* g, int64_t P, int64_t n, uint32_t seed) {
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    uint32_t h = static_cast<uint32_t>(i) * 0x9E3779B1u ^ static_cast<uint32_t>(i >> 32) ^ seed;
    h ^= h >> 16;
    h *= 0x85EBCA6Bu;
    h ^= h >> 13;
    h *= 0xC2B2AE35u;
    h ^= h >> 16;
    const int row = static_cast<int>(i / P);
    g[i] = static_cast<float>(h) * (2.0f / 4294967296.0f) - 1.0f + 0.25f * static_cast<float>(row % 3);
  }
}

struct Timer {
  cudaEvent_t a, b;
  Timer() {
    ck(cudaEventCreate(&a), "event");
    ck(cudaEventCreate(&b), "event");
  }
  ~Timer() {
    cudaEventDestroy(a);
    cudaEventDestroy(b);
  }
  template <class F>
  double ms_per_call(int reps, F&& f) {
    f();  // warm-up
    ck(cudaDeviceSynchronize(), "warm-up");
    ck(cudaEventRecord(a, nullptr), "record");
    for (int r = 0; r < reps; ++r) f();
    ck(cudaEventRecord(b, nullptr), "record");
    ck(cudaEventSynchronize(b), "sync");
    float ms = 0.f;
    ck(cudaEventElapsedTime(&ms, a, b), "elapsed");
    return ms / reps;
  }
};

// Device-to-device copy bandwidth, counting the bytes read and written, on a buffer far above L2.
double copy_bandwidth_gbs(Timer& timer) {
  const size_t bytes = size_t{2} << 30;
  void *src = nullptr, *dst = nullptr;
  ck(cudaMalloc(&src, bytes), "cudaMalloc copy src");
  ck(cudaMalloc(&dst, bytes), "cudaMalloc copy dst");
  ck(cudaMemset(src, 1, bytes), "memset");
  const double ms = timer.ms_per_call(10, [&] { ck(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToDevice, nullptr), "copy"); });
  cudaFree(src);
  cudaFree(dst);
  return 2.0 * bytes / ms / 1e6;
}

struct Row {
  int K;
  int64_t P;
  double fused_ms, mm_ms, syrk_ms;
  double fused_err, mm_err, syrk_err;
};

int run_bench(int reps_arg) {
  Timer timer;
#ifdef ACODM_HAVE_CUBLAS
  cublasHandle_t blas;
  ck(cublasCreate(&blas), "cublasCreate");
#endif
  const double copy_gbs = copy_bandwidth_gbs(timer);
  std::printf("== bench: device copy bandwidth %.0f GB/s (cudaMemcpy D2D, read + write) ==\n", copy_gbs);
  std::vector<Row> rows;
  int failed = 0;
  for (int K : {8, 22, 64}) {
    for (int64_t P : {int64_t{1000000}, int64_t{50000000}}) {
      const int64_t n = static_cast<int64_t>(K) * P;
      const double bytes = static_cast<double>(n) * sizeof(float);
      const int reps = reps_arg > 0 ? reps_arg : static_cast<int>(std::clamp(4e9 / bytes, 5.0, 200.0));
      float* G = nullptr;
      ck(cudaMalloc(&G, n * sizeof(float)), "cudaMalloc G");
      fill_rows<<<1024, 256>>>(G, P, n, 1234u + K);
      ck(cudaGetLastError(), "fill");
      std::vector<const void*> ptrs(K);
      for (int k = 0; k < K; ++k) ptrs[k] = G + static_cast<size_t>(k) * P;
      const GramDeviceSegment seg{ptrs.data(), P};
      const size_t scratch_bytes = acodm::cuda::gram_cuda_scratch_bytes(&seg, 1, K);
      void* scratch = nullptr;
      double* dS = nullptr;
      float* dC = nullptr;
      ck(cudaMalloc(&scratch, scratch_bytes), "cudaMalloc scratch");
      ck(cudaMalloc(&dS, sizeof(double) * K * K), "cudaMalloc S");
      ck(cudaMalloc(&dC, sizeof(float) * K * K), "cudaMalloc C");

      Row r{K, P, 0, -1, -1, 0, -1, -1};
      r.fused_ms = timer.ms_per_call(reps, [&] {
        acodm::cuda::gram_cuda(&seg, 1, K, GramDtype::kFloat32, dS, scratch, scratch_bytes, nullptr);
      });
      // G is K rows of P floats = a column-major P×K matrix A (lda = P); SYRK with op = T gives AᵀA = G Gᵀ.
#ifdef ACODM_HAVE_CUBLAS
      const float one = 1.f, zero = 0.f;
      r.syrk_ms = timer.ms_per_call(reps, [&] {
        ck(cublasSsyrk(blas, CUBLAS_FILL_MODE_UPPER, CUBLAS_OP_T, K, static_cast<int>(P), &one, G,
                       static_cast<int>(P), &zero, dC, K),
           "cublasSsyrk");
      });
#endif
      std::vector<float> mm(static_cast<size_t>(K) * K);
      r.mm_ms = torch_mm_cuda_ms(G, K, P, reps, mm.data());

      // Check each result once against the CPU kernel (itself tested against the reference by ctest).
      std::vector<float> hostG(static_cast<size_t>(n));
      ck(cudaMemcpy(hostG.data(), G, n * sizeof(float), cudaMemcpyDeviceToHost), "download G");
      std::vector<const float*> hrows(K);
      for (int k = 0; k < K; ++k) hrows[k] = hostG.data() + static_cast<size_t>(k) * P;
      const acodm::cpu::GramSegment hseg{hrows.data(), P};
      std::vector<double> want(static_cast<size_t>(K) * K), fused(want.size()), other(want.size());
      acodm::cpu::gram_cpu(&hseg, 1, K, want.data());
      ck(cudaMemcpy(fused.data(), dS, sizeof(double) * K * K, cudaMemcpyDeviceToHost), "download S");
      char label[64];
      std::snprintf(label, sizeof label, "bench K=%d P=%lld fused", K, static_cast<long long>(P));
      r.fused_err = compare(fused, want, K, label, 1e-5, true);
      if (!(r.fused_err <= 1e-5)) ++failed;
      if (r.syrk_ms >= 0) {
        std::vector<float> C(static_cast<size_t>(K) * K);
        ck(cudaMemcpy(C.data(), dC, sizeof(float) * K * K, cudaMemcpyDeviceToHost), "download C");
        for (int i = 0; i < K; ++i)  // column-major upper triangle: C[i + j*K], i <= j
          for (int j = 0; j < K; ++j) other[i * K + j] = C[std::min(i, j) + std::max(i, j) * K];
        r.syrk_err = compare(other, want, K, "", 0, false);
      }
      if (r.mm_ms >= 0) {
        for (size_t e = 0; e < mm.size(); ++e) other[e] = mm[e];
        r.mm_err = compare(other, want, K, "", 0, false);
      }
      rows.push_back(r);
      std::printf("  K=%-2d P=%-9lld fused %.3f ms, torch.mm %.3f ms, SYRK %.3f ms (%d reps)\n", K,
                  static_cast<long long>(P), r.fused_ms, r.mm_ms, r.syrk_ms, reps);
      cudaFree(G);
      cudaFree(scratch);
      cudaFree(dS);
      cudaFree(dC);
    }
  }
#ifdef ACODM_HAVE_CUBLAS
  cublasDestroy(blas);
#endif

  // The table, last: GB/s = rows read per second; % copy = fused GB/s / copy GB/s; "vs" = time ratio.
  std::printf("\n%-3s %-9s %10s %7s %8s %8s %9s %8s %8s %8s %8s\n", "K", "P", "fused GB/s", "% copy", "err",
              "mm GB/s", "SYRK GB/s", "vs mm", "vs SYRK", "mm err", "SYRK err");
  double target = -1;
  auto fmt = [](char* buf, size_t n, bool ok, const char* f, double v) {
    if (ok) std::snprintf(buf, n, f, v); else std::snprintf(buf, n, "n/a");
  };
  for (const Row& r : rows) {
    const double bytes = static_cast<double>(r.K) * r.P * 4;
    const double f = bytes / r.fused_ms / 1e6;
    const bool mm = r.mm_ms > 0, syrk = r.syrk_ms > 0;
    char mm_gbs[16], vs_mm[16], mm_err[16], s_gbs[16], vs_s[16], s_err[16];
    fmt(mm_gbs, sizeof mm_gbs, mm, "%.0f", bytes / r.mm_ms / 1e6);
    fmt(vs_mm, sizeof vs_mm, mm, "%.2fx", r.mm_ms / r.fused_ms);
    fmt(mm_err, sizeof mm_err, mm, "%.1e", r.mm_err);
    fmt(s_gbs, sizeof s_gbs, syrk, "%.0f", bytes / r.syrk_ms / 1e6);
    fmt(vs_s, sizeof vs_s, syrk, "%.2fx", r.syrk_ms / r.fused_ms);
    fmt(s_err, sizeof s_err, syrk, "%.1e", r.syrk_err);
    std::printf("%-3d %-9lld %10.0f %6.1f%% %8.1e %8s %9s %8s %8s %8s %8s\n", r.K, static_cast<long long>(r.P), f,
                100.0 * f / copy_gbs, r.fused_err, mm_gbs, s_gbs, vs_mm, vs_s, mm_err, s_err);
    if (r.K == 22 && r.P == 50000000) target = f / copy_gbs;
  }
  std::printf("device copy bandwidth: %.0f GB/s (read + write)\n", copy_gbs);
  std::printf("acceptance (K=22, P=5e7): fused at %.1f%% of copy bandwidth, target 80%%: %s\n", 100 * target,
              target >= 0.8 ? "MET" : "MISSED");
  return failed;
}

}  // namespace

int main(int argc, char** argv) {
  bool checks = true, bench = true;
  int reps = 0;
  for (int a = 1; a < argc; ++a) {
    const std::string arg = argv[a];
    if (arg == "--check-only") {
      bench = false;
    } else if (arg == "--bench-only") {
      checks = false;
    } else if (arg == "--reps" && a + 1 < argc) {
      reps = std::atoi(argv[++a]);
    } else {
      std::fprintf(stderr, "usage: gram_bench [--check-only | --bench-only] [--reps N]\n");
      return 2;
    }
  }
  if (acodm::cuda::gram_cuda_device_count() == 0) {
    std::printf("gram_bench: no CUDA device visible; skipped (gram_test checks the kernel's host emulation)\n");
    return 77;
  }
  try {
    cudaDeviceProp prop{};
    ck(cudaGetDeviceProperties(&prop, 0), "cudaGetDeviceProperties");
    std::printf("device: %s, %d SMs, %.0f GiB\n", prop.name, prop.multiProcessorCount,
                prop.totalGlobalMem / 1073741824.0);
    int failed = 0;
    if (checks) failed += run_checks();
    if (bench) failed += run_bench(reps);
    if (failed) std::printf("gram_bench: %d check(s) FAILED\n", failed);
    return failed ? 1 : 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "gram_bench: %s\n", e.what());
    return 2;
  }
}
