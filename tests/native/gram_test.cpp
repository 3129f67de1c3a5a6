// Fused Gram kernels against the double reference: every CPU SIMD flavour and thread count, the tensor
// dispatcher, the host emulation of the CUDA kernel (runs without a GPU) and, on a GPU machine, the CUDA
// kernel itself. Awkward sizes exercise loop tails, misaligned rows and partial tiles; one tolerance rule:
// |S_ij - R_ij| <= 1e-5 * sqrt(R_ii * R_jj), printed with the first mismatches when it fails.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "cpu/gram_cpu.h"
#include "cpu/gram_reference.h"
#include "gram.h"
#ifdef ACODM_WITH_CUDA
#include "gram.cuh"
#endif

namespace {

using acodm::cpu::GramIsa;
using acodm::cpu::GramSegment;

constexpr double kTolFp32 = 1e-5;

// K rows per segment, each its own allocation starting (k % 4) floats past an aligned address, so
// rows are misaligned for every SIMD width. Values are random and never all zero; row k also gets a
// mean of 0.25 * (k % 3) so off-diagonal entries are large, not just noise around zero.
struct Rows {
  std::vector<std::vector<float>> storage;
  std::vector<std::vector<const float*>> ptrs;
  std::vector<GramSegment> segments;

  Rows(int K, const std::vector<int64_t>& lengths, uint32_t seed, float lo = -1.f, float hi = 1.f) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> u(lo, hi);
    ptrs.resize(lengths.size());
    for (size_t s = 0; s < lengths.size(); ++s) {
      for (int k = 0; k < K; ++k) {
        const int shift = k % 4;
        storage.emplace_back(static_cast<size_t>(lengths[s]) + shift + 1);
        auto& v = storage.back();
        for (auto& x : v) x = u(rng) + 0.25f * static_cast<float>(k % 3);
        ptrs[s].push_back(v.data() + shift);
      }
    }
    for (size_t s = 0; s < lengths.size(); ++s) segments.push_back({ptrs[s].data(), lengths[s]});
  }
  int nseg() const { return static_cast<int>(segments.size()); }
};

// Empty string when every entry is within tol * sqrt(R_ii R_jj); else the count and the first mismatches.
std::string compare(const std::vector<double>& got, const std::vector<double>& want, int K, double tol) {
  std::ostringstream os;
  int bad = 0;
  for (int i = 0; i < K; ++i) {
    for (int j = 0; j < K; ++j) {
      const double scale = std::sqrt(want[i * K + i] * want[j * K + j]);
      const double err = std::fabs(got[i * K + j] - want[i * K + j]);
      if (!(err <= tol * scale)) {  // also catches NaN
        if (bad < 5)
          os << "  S[" << i << "][" << j << "] = " << got[i * K + j] << ", want " << want[i * K + j]
             << " (|err| / sqrt(Sii Sjj) = " << err / scale << ")\n";
        ++bad;
      }
    }
  }
  if (bad == 0) return "";
  std::ostringstream head;
  head << bad << " of " << K * K << " entries off by more than " << tol << " relative:\n" << os.str();
  return head.str();
}

std::vector<double> reference(const Rows& r, int K) {
  std::vector<double> S(static_cast<size_t>(K) * K);
  acodm::cpu::gram_reference(r.segments.data(), r.nseg(), K, S.data());
  return S;
}

std::vector<GramIsa> supported_isas() {
  std::vector<GramIsa> out;
  for (GramIsa isa : {GramIsa::kPortable, GramIsa::kAvx2, GramIsa::kAvx512})
    if (acodm::cpu::gram_isa_supported(isa)) out.push_back(isa);
  return out;
}

const std::vector<int> kKs = {1, 2, 3, 7, 22, 64};
const std::vector<int64_t> kPs = {1, 7, 13, 1000, 65537, 300007};

TEST(GramReference, MatchesHandComputedValues) {
  // Two segments: rows (1, 2, 3) and (4, 5, 6), then (1) and (-2).
  const float a0[] = {1, 2, 3}, a1[] = {4, 5, 6}, b0[] = {1}, b1[] = {-2};
  const float* s0[] = {a0, a1};
  const float* s1[] = {b0, b1};
  const GramSegment segs[] = {{s0, 3}, {s1, 1}};
  std::vector<double> S(4);
  acodm::cpu::gram_reference(segs, 2, 2, S.data());
  EXPECT_EQ(S[0], 14.0 + 1.0);
  EXPECT_EQ(S[1], 32.0 - 2.0);
  EXPECT_EQ(S[2], 32.0 - 2.0);
  EXPECT_EQ(S[3], 77.0 + 4.0);
}

TEST(GramCpu, MatchesReferenceOnAwkwardSizes) {
  for (int K : kKs) {
    for (int64_t P : kPs) {
      // A second, shorter segment so accumulation across reward layers is always exercised.
      const Rows rows(K, {P, P % 17 + 3}, static_cast<uint32_t>(K * 1000003 + P));
      const std::vector<double> want = reference(rows, K);
      for (GramIsa isa : supported_isas()) {
        for (int threads : {1, 2, 3}) {
          std::vector<double> got(static_cast<size_t>(K) * K, -1.0);
          acodm::cpu::gram_cpu(rows.segments.data(), rows.nseg(), K, got.data(), threads, isa);
          const std::string msg = compare(got, want, K, kTolFp32);
          EXPECT_TRUE(msg.empty()) << "K=" << K << " P=" << P << " isa=" << acodm::cpu::gram_isa_name(isa)
                                   << " threads=" << threads << ": " << msg;
        }
      }
    }
  }
}

TEST(GramCpu, ManySegmentsIncludingEmptyOnes) {
  const int K = 13;
  const Rows rows(K, {5000, 0, 1, 70001, 0, 1024, 1023, 1025}, 7u);
  const std::vector<double> want = reference(rows, K);
  for (GramIsa isa : supported_isas()) {
    std::vector<double> got(K * K);
    acodm::cpu::gram_cpu(rows.segments.data(), rows.nseg(), K, got.data(), 2, isa);
    const std::string msg = compare(got, want, K, kTolFp32);
    EXPECT_TRUE(msg.empty()) << acodm::cpu::gram_isa_name(isa) << ": " << msg;
  }
}

TEST(GramCpu, NoSegmentsOrZeroLengthGivesZero) {
  const int K = 3;
  std::vector<double> got(K * K, 42.0);
  acodm::cpu::gram_cpu(nullptr, 0, K, got.data());
  for (double v : got) EXPECT_EQ(v, 0.0);
  const Rows rows(K, {0}, 1u);
  got.assign(K * K, 42.0);
  acodm::cpu::gram_cpu(rows.segments.data(), 1, K, got.data());
  for (double v : got) EXPECT_EQ(v, 0.0);
}

TEST(GramCpu, SymmetricAndReproducible) {
  const int K = 22;
  const Rows rows(K, {200003}, 3u);
  std::vector<double> a(K * K), b(K * K);
  acodm::cpu::gram_cpu(rows.segments.data(), 1, K, a.data(), 2);
  acodm::cpu::gram_cpu(rows.segments.data(), 1, K, b.data(), 2);
  for (int i = 0; i < K; ++i)
    for (int j = 0; j < K; ++j) {
      EXPECT_EQ(a[i * K + j], a[j * K + i]) << i << "," << j;
      EXPECT_EQ(a[i * K + j], b[i * K + j]) << i << "," << j;
    }
}

// Long rows of positive values: a single float accumulator loses digits once the running sum dwarfs each
// product (2^24 products of ~2.25 each). The fused kernel sums floats only within a cache block and
// then in double, so it stays at reference accuracy. The naive sum is computed here to prove the data
// really is drift-prone, so the test cannot pass by accident.
TEST(GramCpu, DoesNotDriftWithLongRows) {
  const int K = 2;
  const int64_t P = (int64_t{1} << 24) + 7;
  const Rows rows(K, {P}, 11u, 1.0f, 2.0f);
  const std::vector<double> want = reference(rows, K);
  float naive = 0.f;
  const float* x = rows.segments[0].rows[0];
  const float* y = rows.segments[0].rows[1];
  for (int64_t p = 0; p < P; ++p) naive += x[p] * y[p];
  const double naive_err = std::fabs(naive - want[1]) / want[1];
  EXPECT_GT(naive_err, 1e-3) << "the test data no longer makes a naive float sum drift";
  for (GramIsa isa : supported_isas()) {
    std::vector<double> got(K * K);
    acodm::cpu::gram_cpu(rows.segments.data(), 1, K, got.data(), 2, isa);
    for (int e = 0; e < K * K; ++e) {
      const double err = std::fabs(got[e] - want[e]) / std::fabs(want[e]);
      EXPECT_LT(err, 1e-6) << acodm::cpu::gram_isa_name(isa) << " entry " << e << ": naive float drifts by "
                           << naive_err << ", fused by " << err;
    }
  }
}

TEST(GramCpu, RejectsBadArguments) {
  const Rows rows(3, {10}, 1u);
  std::vector<double> S(64 * 64);
  using acodm::cpu::gram_cpu;
  using acodm::cpu::gram_reference;
  EXPECT_THROW(gram_cpu(rows.segments.data(), 1, 0, S.data()), std::invalid_argument);
  EXPECT_THROW(gram_cpu(rows.segments.data(), 1, 65, S.data()), std::invalid_argument);
  EXPECT_THROW(gram_cpu(rows.segments.data(), 1, 3, nullptr), std::invalid_argument);
  EXPECT_THROW(gram_cpu(nullptr, 1, 3, S.data()), std::invalid_argument);
  EXPECT_THROW(gram_reference(rows.segments.data(), 1, 0, S.data()), std::invalid_argument);
  const float* with_null[] = {rows.segments[0].rows[0], nullptr, rows.segments[0].rows[2]};
  const GramSegment bad_row{with_null, 10};
  EXPECT_THROW(gram_cpu(&bad_row, 1, 3, S.data()), std::invalid_argument);
  const GramSegment negative{rows.segments[0].rows, -1};
  EXPECT_THROW(gram_cpu(&negative, 1, 3, S.data()), std::invalid_argument);
  const GramSegment no_rows{nullptr, 10};
  EXPECT_THROW(gram_reference(&no_rows, 1, 3, S.data()), std::invalid_argument);
  EXPECT_THROW(acodm::gram_fused_cpu(nullptr, 3, 10, S.data()), std::invalid_argument);
  EXPECT_THROW(acodm::gram_fused_cpu(rows.segments[0].rows, 3, -5, S.data()), std::invalid_argument);
}

TEST(GramRaw, FusedReferenceAndTorchMmAgree) {
  const int K = 22;
  const int64_t P = 4099;
  std::vector<float> G(static_cast<size_t>(K) * P);
  std::mt19937 rng(5);
  std::uniform_real_distribution<float> u(-1.f, 2.f);
  for (auto& v : G) v = u(rng);
  std::vector<const float*> rows(K);
  for (int k = 0; k < K; ++k) rows[k] = G.data() + static_cast<size_t>(k) * P;
  std::vector<double> ref(K * K), fused(K * K), mm(K * K);
  acodm::gram_reference_cpu(rows.data(), K, P, ref.data());
  acodm::gram_fused_cpu(rows.data(), K, P, fused.data());
  acodm::gram_torch_mm_cpu(G.data(), K, P, mm.data());
  EXPECT_EQ(compare(fused, ref, K, kTolFp32), "");
  EXPECT_EQ(compare(mm, ref, K, kTolFp32), "");
  const std::string name = acodm::gram_cpu_kernel_name();
  EXPECT_TRUE(name == "avx512" || name == "avx2" || name == "portable") << name;
}

// --- the tensor dispatcher ---

std::vector<std::vector<torch::Tensor>> random_segments(int K, const std::vector<int64_t>& lengths, uint64_t seed,
                                                        torch::ScalarType dtype = torch::kFloat) {
  torch::manual_seed(seed);
  std::vector<std::vector<torch::Tensor>> segs;
  for (int64_t n : lengths) {
    segs.emplace_back();
    for (int k = 0; k < K; ++k) segs.back().push_back((torch::rand({n}) * 2 - 1 + 0.3 * (k % 2)).to(dtype));
  }
  return segs;
}

// Reference over the same values the kernel sees (after any rounding to the tensors' dtype).
std::vector<double> tensor_reference(const std::vector<std::vector<torch::Tensor>>& segs) {
  const int K = static_cast<int>(segs[0].size());
  std::vector<torch::Tensor> keep;
  std::vector<std::vector<const float*>> ptrs(segs.size());
  std::vector<GramSegment> gs;
  for (size_t s = 0; s < segs.size(); ++s) {
    for (const auto& t : segs[s]) {
      keep.push_back(t.to(torch::kCPU).to(torch::kFloat).reshape({-1}).contiguous());
      ptrs[s].push_back(keep.back().data_ptr<float>());
    }
    gs.push_back({ptrs[s].data(), segs[s][0].numel()});
  }
  std::vector<double> S(static_cast<size_t>(K) * K);
  acodm::cpu::gram_reference(gs.data(), static_cast<int>(gs.size()), K, S.data());
  return S;
}

std::vector<double> to_vector(const torch::Tensor& t) {
  const torch::Tensor c = t.to(torch::kCPU).contiguous();
  return std::vector<double>(c.data_ptr<double>(), c.data_ptr<double>() + c.numel());
}

TEST(GramDispatch, CpuTensorsMatchReference) {
  for (int K : {1, 5, 22}) {
    const auto segs = random_segments(K, {1, 1001, 65537}, static_cast<uint64_t>(K));
    const torch::Tensor S = acodm::gram(segs);
    ASSERT_EQ(S.scalar_type(), torch::kDouble);
    ASSERT_TRUE(S.device().is_cpu());
    ASSERT_EQ(S.sizes(), (std::vector<int64_t>{K, K}));
    EXPECT_EQ(compare(to_vector(S), tensor_reference(segs), K, kTolFp32), "") << "K=" << K;
    std::vector<double> host(K * K);
    acodm::gram(segs, host.data());
    EXPECT_EQ(host, to_vector(S));
  }
}

TEST(GramDispatch, StridedTwoDimensionalAndBf16Rows) {
  const int K = 4;
  torch::manual_seed(3);
  // Rows are columns of a [P, K] matrix (strided), a 2-D [7, 11] view, and bf16 (converted on CPU).
  const torch::Tensor m = torch::randn({777, K});
  std::vector<std::vector<torch::Tensor>> segs(3);
  for (int k = 0; k < K; ++k) {
    segs[0].push_back(m.select(1, k));
    segs[1].push_back(torch::randn({7, 11}));
    segs[2].push_back(torch::randn({301}).to(torch::kBFloat16));
  }
  EXPECT_EQ(compare(to_vector(acodm::gram(segs)), tensor_reference(segs), K, kTolFp32), "");
}

TEST(GramDispatch, RejectsBadSegments) {
  using V = std::vector<std::vector<torch::Tensor>>;
  EXPECT_THROW(acodm::gram(V{}), std::invalid_argument);
  EXPECT_THROW(acodm::gram(V{{}}), std::invalid_argument);
  EXPECT_THROW(acodm::gram(V{{torch::ones({3}), torch::ones({4})}}), std::invalid_argument);
  EXPECT_THROW(acodm::gram(V{{torch::ones({3})}, {torch::ones({3}), torch::ones({3})}}), std::invalid_argument);
  EXPECT_THROW(acodm::gram(V{{torch::ones({3}, torch::kInt)}}), std::invalid_argument);
  EXPECT_THROW(acodm::gram(V{{torch::ones({3}), torch::Tensor()}}), std::invalid_argument);
  EXPECT_THROW(acodm::gram(V(1, std::vector<torch::Tensor>(65, torch::ones({2})))), std::invalid_argument);
  EXPECT_THROW(acodm::gram(V{{torch::ones({3})}}, nullptr), std::invalid_argument);
}

// --- the CUDA kernel: its host emulation everywhere, the real thing where a GPU is visible ---

#ifdef ACODM_WITH_CUDA

struct DeviceRowsView {
  std::vector<std::vector<const void*>> ptrs;
  std::vector<acodm::cuda::GramDeviceSegment> segments;
};

DeviceRowsView as_device_segments(const Rows& rows) {
  DeviceRowsView v;
  v.ptrs.resize(rows.segments.size());
  for (size_t s = 0; s < rows.segments.size(); ++s) {
    for (size_t k = 0; k < rows.ptrs[s].size(); ++k) v.ptrs[s].push_back(rows.ptrs[s][k]);
    v.segments.push_back({v.ptrs[s].data(), rows.segments[s].length});
  }
  return v;
}

TEST(GramCudaEmulated, MatchesReferenceOnAwkwardSizes) {
  for (int K : kKs) {
    for (int64_t P : {int64_t{1}, int64_t{7}, int64_t{13}, int64_t{1000}, int64_t{65537}}) {
      const Rows rows(K, {P, P % 17 + 3}, static_cast<uint32_t>(K * 7919 + P));
      const std::vector<double> want = reference(rows, K);
      const DeviceRowsView dev = as_device_segments(rows);  // rows misaligned: element-copy path
      std::vector<double> got(static_cast<size_t>(K) * K, -1.0);
      acodm::cuda::gram_cuda_emulate(dev.segments.data(), static_cast<int>(dev.segments.size()), K,
                                     acodm::cuda::GramDtype::kFloat32, got.data());
      EXPECT_EQ(compare(got, want, K, kTolFp32), "") << "K=" << K << " P=" << P;
    }
  }
}

TEST(GramCudaEmulated, AlignedRowsTakeVectorPathAndBf16) {
  for (int K : {3, 22, 64}) {
    const int64_t P = 40003;
    // One K×Pa matrix with Pa a multiple of 8: every row 16-byte aligned (vector path for fp32 and bf16).
    const int64_t Pa = (P + 7) / 8 * 8;
    torch::manual_seed(K);
    const torch::Tensor G = torch::rand({K, Pa}) * 2 - 1 + 0.5;
    for (torch::ScalarType dt : {torch::kFloat, torch::kBFloat16}) {
      const torch::Tensor Gd = G.to(dt).contiguous();
      std::vector<std::vector<torch::Tensor>> segs(1);
      std::vector<const void*> ptrs;
      for (int k = 0; k < K; ++k) {
        segs[0].push_back(Gd[k].narrow(0, 0, P));
        ptrs.push_back(Gd[k].data_ptr());
      }
      const acodm::cuda::GramDeviceSegment seg{ptrs.data(), P};
      std::vector<double> got(static_cast<size_t>(K) * K);
      acodm::cuda::gram_cuda_emulate(&seg, 1, K,
                                     dt == torch::kFloat ? acodm::cuda::GramDtype::kFloat32
                                                         : acodm::cuda::GramDtype::kBFloat16,
                                     got.data());
      EXPECT_EQ(compare(got, tensor_reference(segs), K, kTolFp32), "") << "K=" << K << " dtype=" << dt;
    }
  }
}

bool have_gpu() { return torch::cuda::is_available() && acodm::gram_cuda_available(); }

TEST(GramCuda, MatchesCpuReferenceOnAwkwardSizes) {
  if (!have_gpu()) GTEST_SKIP() << "no CUDA device visible to libtorch and libacodm";
  for (int K : kKs) {
    for (int64_t P : kPs) {
      for (torch::ScalarType dt : {torch::kFloat, torch::kBFloat16}) {
        auto segs = random_segments(K, {P, P % 17 + 3}, static_cast<uint64_t>(K * 31 + P), dt);
        for (auto& seg : segs)
          for (auto& t : seg) t = t.to(torch::kCUDA);
        const torch::Tensor S = acodm::gram(segs);
        ASSERT_TRUE(S.device().is_cuda());
        EXPECT_EQ(compare(to_vector(S), tensor_reference(segs), K, kTolFp32), "")
            << "K=" << K << " P=" << P << " dtype=" << dt;
      }
    }
  }
}

TEST(GramCuda, MisalignedRowsAndManySegments) {
  if (!have_gpu()) GTEST_SKIP() << "no CUDA device visible to libtorch and libacodm";
  const int K = 22;
  // Rows of a [K, P] matrix with odd P: only row 0 is 16-byte aligned, so the element path runs.
  const torch::Tensor G = (torch::rand({K, 100001}) + 0.1).to(torch::kCUDA);
  std::vector<std::vector<torch::Tensor>> segs(4);
  for (int k = 0; k < K; ++k) {
    segs[0].push_back(G[k]);
    segs[1].push_back(G[k].narrow(0, 1, 5000));
    segs[2].push_back(torch::rand({1}).to(torch::kCUDA));
    segs[3].push_back(torch::rand({2048}).to(torch::kCUDA));
  }
  EXPECT_EQ(compare(to_vector(acodm::gram(segs)), tensor_reference(segs), K, kTolFp32), "");
}

#else

TEST(GramCuda, MatchesCpuReferenceOnAwkwardSizes) {
  GTEST_SKIP() << "libacodm built without CUDA kernels";
}

#endif

}  // namespace
