#include "alignment.h"

#include <stdexcept>

#include "gram.h"


namespace acodm {

void AlignmentCapture::configure(std::vector<std::string> names) {
  names_ = std::move(names);
  slot_.clear();
  for (size_t i = 0; i < names_.size(); ++i) {
    if (slot_.count(names_[i])) throw std::invalid_argument("alignment parameter '" + names_[i] + "' listed twice");
    slot_[names_[i]] = i;
  }
  layers_.assign(names_.size(), Layer{});
}

void AlignmentCapture::beginStep(int num_domains, const torch::Device&) {
  num_domains_ = num_domains;
  for (auto& l : layers_) l = Layer{};
}

void AlignmentCapture::beginMicroBatch(const torch::Tensor& domains) {
  domains_ = domains;
  active_ = true;
}

void AlignmentCapture::observe(const std::string& weight_name, const torch::Tensor& x, const torch::Tensor& y) {
  if (!active_ || !y.requires_grad()) return;
  auto it = slot_.find(weight_name);
  if (it == slot_.end()) return;
  Layer& layer = layers_[it->second];
  layer.x = x.detach();
  y.register_hook([&layer](const torch::Tensor& g) { layer.grad = g.detach(); });
}

void AlignmentCapture::endMicroBatch() {
  active_ = false;
  auto dom = domains_.to(torch::kCPU);
  auto present = std::get<0>(at::_unique(dom));
  for (size_t i = 0; i < layers_.size(); ++i) {
    Layer& layer = layers_[i];
    if (!layer.x.defined() || !layer.grad.defined())
      throw std::runtime_error("alignment parameter '" + names_[i] + "' was not reached by the backward pass");
    const int64_t in = layer.x.size(-1), out = layer.grad.size(-1);
    auto acc = layer.x.scalar_type() == torch::kFloat64 ? torch::kFloat64 : torch::kFloat32;
    for (int64_t j = 0; j < present.numel(); ++j) {
      const int64_t d = present[j].item<int64_t>();
      auto idx = (domains_ == d).nonzero().squeeze(1);
      auto xd = layer.x.index_select(0, idx).reshape({-1, in}).to(acc);
      auto gd = layer.grad.index_select(0, idx).reshape({-1, out}).to(acc);
      auto contrib = torch::mm(gd.t(), xd);
      auto found = layer.per_domain.find(d);
      if (found == layer.per_domain.end()) layer.per_domain.emplace(d, contrib);
      else found->second.add_(contrib);
    }
    layer.x = torch::Tensor();
    layer.grad = torch::Tensor();
  }
}

void AlignmentCapture::finish(const torch::Tensor& token_counts, double* out) {
  const int K = num_domains_;
  std::fill(out, out + static_cast<size_t>(K) * K, 0.0);
  auto counts = token_counts.accessor<double, 1>();
  double total = 0;
  for (int k = 0; k < K; ++k) total += counts[k];
  std::vector<int64_t> present;
  for (int k = 0; k < K; ++k)
    if (counts[k] > 0) present.push_back(k);
  if (present.empty() || layers_.empty()) return;
  // Rows per layer, each scaled from "share of the batch-mean gradient" to "gradient of the domain mean".
  std::vector<std::vector<torch::Tensor>> segments(layers_.size());
  for (size_t i = 0; i < layers_.size(); ++i) {
    for (int64_t d : present) {
      auto& g = layers_[i].per_domain.at(d);
      g.mul_(total / counts[d]);
      segments[i].push_back(g.reshape({-1}));
    }
  }
  const int kp = static_cast<int>(present.size());
  std::vector<double> s(static_cast<size_t>(kp) * kp);
  gram(segments, s.data());  // fused kernel: reads every row once
  for (int a = 0; a < kp; ++a)
    for (int b = 0; b < kp; ++b) out[present[a] * K + present[b]] = s[static_cast<size_t>(a) * kp + b];
  for (auto& l : layers_) l.per_domain.clear();
}

}  // namespace acodm
