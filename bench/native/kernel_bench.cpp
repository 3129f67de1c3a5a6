#include "kernel_bench.h"

#include <torch/torch.h>

#include <cmath>
#include <cstring>
#include <stdexcept>
#include <vector>

#include "device.h"
#include "gram.h"
#ifdef ACODM_WITH_CUDA
#include <cuda_runtime_api.h>

#include "gram.cuh"
#endif

namespace acodm {

struct GramFixture::Impl {
  int k;
  int64_t p;
  torch::Tensor g, scratch;
  std::vector<const float*> rows;
  std::vector<double> s;
};

GramFixture::GramFixture(int k, int64_t p, int64_t seed) : impl_(new Impl) {
  if (k < 1 || k > 64) throw std::invalid_argument("K must lie in [1, 64], got " + std::to_string(k));
  if (p < 1) throw std::invalid_argument("P must be >= 1, got " + std::to_string(p));
  defaultThreadsOnce();  // the fused kernel and torch::mm both use libtorch's intra-op thread count
  impl_->k = k;
  impl_->p = p;
  auto gen = at::detail::createCPUGenerator(static_cast<uint64_t>(seed));
  impl_->g = torch::empty({k, p}, torch::kFloat32);
  impl_->g.uniform_(-1.0, 1.0, gen);
  impl_->scratch = torch::empty_like(impl_->g);
  for (int i = 0; i < k; ++i) impl_->rows.push_back(impl_->g.data_ptr<float>() + i * p);
  impl_->s.assign(static_cast<size_t>(k) * k, 0.0);
}

GramFixture::~GramFixture() { delete impl_; }

int GramFixture::k() const { return impl_->k; }
int64_t GramFixture::p() const { return impl_->p; }
int64_t GramFixture::bytes() const { return static_cast<int64_t>(impl_->k) * impl_->p * 4; }
std::string GramFixture::kernelName() const { return gram_cpu_kernel_name(); }

static double sum(const std::vector<double>& s) {
  double t = 0;
  for (double v : s) t += v;
  return t;
}

double GramFixture::fused() {
  gram_fused_cpu(impl_->rows.data(), impl_->k, impl_->p, impl_->s.data());
  return sum(impl_->s);
}

double GramFixture::torchMm() {
  gram_torch_mm_cpu(impl_->g.data_ptr<float>(), impl_->k, impl_->p, impl_->s.data());
  return sum(impl_->s);
}

double GramFixture::copy() {
  impl_->scratch.copy_(impl_->g);
  return static_cast<double>(impl_->scratch.data_ptr<float>()[impl_->p / 2]);
}

double GramFixture::fusedError() {
  const int k = impl_->k;
  std::vector<double> ref(static_cast<size_t>(k) * k), got(static_cast<size_t>(k) * k);
  gram_reference_cpu(impl_->rows.data(), k, impl_->p, ref.data());
  gram_fused_cpu(impl_->rows.data(), k, impl_->p, got.data());
  double worst = 0;
  for (int i = 0; i < k; ++i)
    for (int j = 0; j < k; ++j) {
      const double scale = std::sqrt(ref[i * k + i] * ref[j * k + j]) + 1e-30;
      worst = std::max(worst, std::fabs(got[i * k + j] - ref[i * k + j]) / scale);
    }
  return worst;
}

// ---- GPU fixture ----

struct GpuGramFixture::Impl {
  int k = 0;
  int64_t p = 0;
  std::vector<float> host;  // G on the host, for the reference
  float* g = nullptr;
  float* c = nullptr;
  double* s = nullptr;
  void* scratch = nullptr;
  size_t scratch_bytes = 0;
  std::vector<const void*> rows;
  std::vector<double> last;
};

#ifdef ACODM_WITH_CUDA
namespace {
void ck(cudaError_t e, const char* what) {
  if (e != cudaSuccess) throw std::runtime_error(std::string("gpu gram fixture: ") + what + ": " + cudaGetErrorString(e));
}
}  // namespace
#endif

std::string GpuGramFixture::unavailableReason() {
#ifdef ACODM_WITH_CUDA
  int n = 0;
  const cudaError_t e = cudaGetDeviceCount(&n);
  if (e != cudaSuccess) return std::string("no usable CUDA device (cudaGetDeviceCount: ") + cudaGetErrorString(e) + ")";
  if (n == 0) return "no CUDA device visible";
  return "";
#else
  return "this libacodm was built without CUDA kernels (the benchmark needs bin/build --cuda on a machine with nvcc)";
#endif
}

GpuGramFixture::GpuGramFixture(int k, int64_t p, int64_t seed) : impl_(new Impl) {
  const std::string why = unavailableReason();
  if (!why.empty()) {
    delete impl_;
    throw std::runtime_error("gpu gram fixture: " + why);
  }
  if (k < 1 || k > 64 || p < 1) {
    delete impl_;
    throw std::invalid_argument("gpu gram fixture: K must lie in [1, 64] and P >= 1, got K " + std::to_string(k) + ", P " + std::to_string(p));
  }
#ifdef ACODM_WITH_CUDA
  auto& m = *impl_;
  m.k = k;
  m.p = p;
  try {
    auto gen = at::detail::createCPUGenerator(static_cast<uint64_t>(seed));
    auto t = torch::empty({k, p}, torch::kFloat32).uniform_(-1.0, 1.0, gen);
    m.host.assign(t.data_ptr<float>(), t.data_ptr<float>() + k * p);
    ck(cudaMalloc(reinterpret_cast<void**>(&m.g), sizeof(float) * k * p), "cudaMalloc G");
    ck(cudaMalloc(reinterpret_cast<void**>(&m.c), sizeof(float) * k * k), "cudaMalloc C");
    ck(cudaMalloc(reinterpret_cast<void**>(&m.s), sizeof(double) * k * k), "cudaMalloc S");
    ck(cudaMemcpy(m.g, m.host.data(), sizeof(float) * k * p, cudaMemcpyHostToDevice), "copy G");
    for (int i = 0; i < k; ++i) m.rows.push_back(m.g + static_cast<int64_t>(i) * p);
    const cuda::GramDeviceSegment seg{m.rows.data(), p};
    m.scratch_bytes = cuda::gram_cuda_scratch_bytes(&seg, 1, k);
    ck(cudaMalloc(&m.scratch, m.scratch_bytes), "cudaMalloc scratch");
  } catch (...) {
    cudaFree(m.g);
    cudaFree(m.c);
    cudaFree(m.s);
    cudaFree(m.scratch);
    delete impl_;
    throw;
  }
#else
  (void)seed;
#endif
}

GpuGramFixture::~GpuGramFixture() {
#ifdef ACODM_WITH_CUDA
  cudaFree(impl_->g);
  cudaFree(impl_->c);
  cudaFree(impl_->s);
  cudaFree(impl_->scratch);
#endif
  delete impl_;
}

int GpuGramFixture::k() const { return impl_->k; }
int64_t GpuGramFixture::p() const { return impl_->p; }
int64_t GpuGramFixture::bytes() const { return static_cast<int64_t>(impl_->k) * impl_->p * 4; }
int64_t GpuGramFixture::matrixAddress() const { return static_cast<int64_t>(reinterpret_cast<uintptr_t>(impl_->g)); }
int64_t GpuGramFixture::outputAddress() const { return static_cast<int64_t>(reinterpret_cast<uintptr_t>(impl_->c)); }

double GpuGramFixture::fused() {
#ifdef ACODM_WITH_CUDA
  auto& m = *impl_;
  const cuda::GramDeviceSegment seg{m.rows.data(), m.p};
  cuda::gram_cuda(&seg, 1, m.k, cuda::GramDtype::kFloat32, m.s, m.scratch, m.scratch_bytes, nullptr);
  m.last.assign(static_cast<size_t>(m.k) * m.k, 0.0);
  ck(cudaMemcpy(m.last.data(), m.s, sizeof(double) * m.k * m.k, cudaMemcpyDeviceToHost), "copy S");
  return sum(m.last);
#else
  throw std::runtime_error("gpu gram fixture: built without CUDA kernels");
#endif
}

namespace {
// Largest |got - ref| / sqrt(ref_ii ref_jj) over the upper triangle (the part SYRK writes).
double worstUpper(const std::vector<double>& ref, const std::vector<double>& got, int k) {
  double worst = 0;
  for (int i = 0; i < k; ++i)
    for (int j = i; j < k; ++j) {
      const double scale = std::sqrt(ref[i * k + i] * ref[j * k + j]) + 1e-30;
      worst = std::max(worst, std::fabs(got[i * k + j] - ref[i * k + j]) / scale);
    }
  return worst;
}
}  // namespace

double GpuGramFixture::fusedError() {
  auto& m = *impl_;
  fused();
  std::vector<const float*> rows;
  for (int i = 0; i < m.k; ++i) rows.push_back(m.host.data() + static_cast<int64_t>(i) * m.p);
  std::vector<double> ref(static_cast<size_t>(m.k) * m.k);
  gram_reference_cpu(rows.data(), m.k, m.p, ref.data());
  return worstUpper(ref, m.last, m.k);
}

double GpuGramFixture::outputError() {
#ifdef ACODM_WITH_CUDA
  auto& m = *impl_;
  fused();
  // cuBLAS writes column-major: C(i, j) at c[i + j * K]; its upper triangle (i <= j) is S_ij.
  std::vector<float> c(static_cast<size_t>(m.k) * m.k);
  ck(cudaMemcpy(c.data(), m.c, sizeof(float) * m.k * m.k, cudaMemcpyDeviceToHost), "copy C");
  std::vector<double> got(static_cast<size_t>(m.k) * m.k, 0.0);
  for (int i = 0; i < m.k; ++i)
    for (int j = i; j < m.k; ++j) got[i * m.k + j] = c[i + static_cast<size_t>(j) * m.k];
  return worstUpper(m.last, got, m.k);
#else
  throw std::runtime_error("gpu gram fixture: built without CUDA kernels");
#endif
}

}  // namespace acodm
