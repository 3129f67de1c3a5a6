// The BLAS roofline of a train step: the step's matrix products listed from the model's shapes and replayed
// on random operands, and the peak-memory probe the step benchmarks print beside it.
#include <torch/torch.h>

#include <malloc.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#if defined(ACODM_WITH_CUDA) && defined(ACODM_TORCH_CUDA)
#include <c10/cuda/CUDACachingAllocator.h>
#endif

#include "kernel_bench.h"
#include "config.h"
#include "device.h"

namespace acodm {
namespace {

// One product C = op(A) op(B) of the step, with its operands: a and b are views whose strides give the BLAS
// the same transposes the step's own call does (a Linear's weight enters as W.t()).
struct Product {
  std::string name;
  int64_t occurrences = 1;
  bool batched = false;
  torch::Tensor a, b, out;

  double flopsOnce() const {
    return 2.0 * static_cast<double>(out.numel()) * static_cast<double>(a.size(-1));
  }
};

std::string dims(const torch::Tensor& t) {
  std::ostringstream o;
  o << "[";
  for (int64_t i = 0; i < t.dim(); ++i) o << (i ? "x" : "") << t.size(i);
  return o.str() + "]";
}

void synchronize(const torch::Device& device) {
  if (device.is_cuda()) torch::cuda::synchronize(device.index());
}

}  // namespace

struct StepGemms::Impl {
  torch::Device device = torch::kCPU;
  std::vector<Product> products;
  std::vector<double> last_ms;
};

StepGemms::StepGemms(const std::string& config, int64_t batch, int64_t seq, int64_t seed) : impl_(new Impl) {
  const ModelShape s = parseModelShape(config);
  if (batch < 1 || seq < 1 || seq > s.seq)
    throw std::invalid_argument("StepGemms: batch must be >= 1 and seq in [1, " + std::to_string(s.seq) + "], got " +
                                std::to_string(batch) + " x " + std::to_string(seq));
  impl_->device = resolveDevice("auto");
  const auto& dev = impl_->device;
  // The CPU step runs in fp32; on a GPU the matrix products run under bf16 autocast.
  auto opts = torch::TensorOptions().dtype(dev.is_cuda() ? torch::kBFloat16 : torch::kFloat32).device(dev);
  auto gen = at::detail::createCPUGenerator(static_cast<uint64_t>(seed));
  auto random = [&](std::vector<int64_t> size) {
    auto t = torch::empty(size, torch::kFloat32);
    t.uniform_(-1.0, 1.0, gen);
    return t.to(opts);
  };
  // Outputs are written once here, so their pages belong to the resting set a peak-memory probe starts from.
  auto output = [&](std::vector<int64_t> size) { return torch::zeros(size, opts); };
  const int64_t n = batch * seq, d = s.d_model, v = s.vocab, h = s.heads, hs = s.headSize(), bh = batch * h;
  auto& ps = impl_->products;
  // A Linear y = x W^T (x [n, in], W [out, in]): forward, input gradient dy W, weight gradient dy^T x.
  auto linear = [&](const std::string& what, int64_t in, int64_t out, int64_t times) {
    auto x = random({n, in}), w = random({out, in}), dy = random({n, out});
    ps.push_back({what + " forward", times, false, x, w.t(), output({n, out})});
    ps.push_back({what + " dX", times, false, dy, w, output({n, in})});
    ps.push_back({what + " dW", times, false, dy.t(), x, output({out, in})});
  };
  const int64_t L = s.layers;
  linear("attention.query_key_value", d, 3 * d, L);
  // Attention per (window, head): scores = q k^T, ctx = p v, and their four gradients, all over the full T x T.
  {
    auto q = random({bh, seq, hs}), k = random({bh, seq, hs}), vv = random({bh, seq, hs});
    auto p = random({bh, seq, seq}), dctx = random({bh, seq, hs}), dscores = random({bh, seq, seq});
    ps.push_back({"attention scores q k^T", L, true, q, k.transpose(1, 2), output({bh, seq, seq})});
    ps.push_back({"attention ctx p v", L, true, p, vv, output({bh, seq, hs})});
    ps.push_back({"attention dP = dctx v^T", L, true, dctx, vv.transpose(1, 2), output({bh, seq, seq})});
    ps.push_back({"attention dV = p^T dctx", L, true, p.transpose(1, 2), dctx, output({bh, seq, hs})});
    ps.push_back({"attention dQ = dS k", L, true, dscores, k, output({bh, seq, hs})});
    ps.push_back({"attention dK = dS^T q", L, true, dscores.transpose(1, 2), q, output({bh, seq, hs})});
  }
  linear("attention.dense", d, d, L);
  linear("mlp.dense_h_to_4h", d, 4 * d, L);
  linear("mlp.dense_4h_to_h", 4 * d, d, L);
  linear("embed_out (LM head)", d, v, 1);
  for (auto& p : ps) p.name += ": " + dims(p.a) + "x" + dims(p.b) + " x" + std::to_string(p.occurrences);
  impl_->last_ms.assign(ps.size(), 0.0);
}

StepGemms::~StepGemms() { delete impl_; }

int StepGemms::count() const { return static_cast<int>(impl_->products.size()); }

static const Product& product(const std::vector<Product>& ps, int i) {
  if (i < 0 || i >= static_cast<int>(ps.size()))
    throw std::invalid_argument("product index " + std::to_string(i) + " outside [0, " + std::to_string(ps.size()) + ")");
  return ps[static_cast<size_t>(i)];
}

std::string StepGemms::name(int i) const { return product(impl_->products, i).name; }
int64_t StepGemms::occurrences(int i) const { return product(impl_->products, i).occurrences; }

double StepGemms::flops(int i) const {
  const auto& p = product(impl_->products, i);
  return p.flopsOnce() * static_cast<double>(p.occurrences);
}

double StepGemms::totalFlops() const {
  double f = 0;
  for (int i = 0; i < count(); ++i) f += flops(i);
  return f;
}

double StepGemms::run() {
  torch::NoGradGuard no_grad;
  double total = 0;
  for (size_t i = 0; i < impl_->products.size(); ++i) {
    auto& p = impl_->products[i];
    synchronize(impl_->device);
    const auto t0 = std::chrono::steady_clock::now();
    for (int64_t r = 0; r < p.occurrences; ++r) {
      if (p.batched) at::bmm_out(p.out, p.a, p.b);
      else at::mm_out(p.out, p.a, p.b);
    }
    synchronize(impl_->device);
    impl_->last_ms[i] = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    total += impl_->last_ms[i];
  }
  return total;
}

double StepGemms::lastMs(int i) const {
  product(impl_->products, i);
  return impl_->last_ms[static_cast<size_t>(i)];
}

namespace {

// A "Vm...:   1234 kB" line of /proc/self/status in bytes, or -1.
int64_t procStatusBytes(const char* key) {
  std::ifstream in("/proc/self/status");
  std::string line;
  const std::string prefix = std::string(key) + ":";
  while (std::getline(in, line)) {
    if (line.rfind(prefix, 0) != 0) continue;
    std::istringstream v(line.substr(prefix.size()));
    int64_t kb = -1;
    v >> kb;
    return kb < 0 ? -1 : kb * 1024;
  }
  return -1;
}

// The caching allocator's allocated bytes on a CUDA device (its peak or its current value), -1 without a CUDA libtorch.
int64_t cudaAllocatedBytes(const torch::Device& dev, bool peak) {
#if defined(ACODM_WITH_CUDA) && defined(ACODM_TORCH_CUDA)
  const auto stats = c10::cuda::CUDACachingAllocator::getDeviceStats(dev.has_index() ? dev.index() : 0);
  const auto& stat = stats.allocated_bytes[0];  // StatType::AGGREGATE
  return peak ? stat.peak : stat.current;
#else
  (void)dev;
  (void)peak;
  return -1;
#endif
}

}  // namespace

void resetPeakMemory(const std::string& device) {
  const torch::Device dev(device);
  if (dev.is_cuda()) {
#if defined(ACODM_WITH_CUDA) && defined(ACODM_TORCH_CUDA)
    c10::cuda::CUDACachingAllocator::resetPeakStats(dev.has_index() ? dev.index() : 0);
#endif
    return;
  }
  // Free memory the allocator keeps for reuse (device.cpp raises glibc's trim threshold) would otherwise let the
  // next stretch of work grow without the resident set showing it; hand it back first. Then "5" resets the
  // high-water mark to the current resident set (Linux 4.0+).
  malloc_trim(0);
  std::ofstream("/proc/self/clear_refs") << "5";
}

int64_t peakMemoryBytes(const std::string& device) {
  const torch::Device dev(device);
  return dev.is_cuda() ? cudaAllocatedBytes(dev, true) : procStatusBytes("VmHWM");
}

int64_t currentMemoryBytes(const std::string& device) {
  const torch::Device dev(device);
  return dev.is_cuda() ? cudaAllocatedBytes(dev, false) : procStatusBytes("VmRSS");
}

}  // namespace acodm
