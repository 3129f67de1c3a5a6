#include "acodm/kernel_bench.h"

#include <torch/torch.h>

#include <cmath>
#include <cstring>
#include <stdexcept>
#include <vector>

#include "device.h"
#include "gram.h"

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

}  // namespace acodm
