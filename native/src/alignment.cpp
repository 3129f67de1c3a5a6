#include "alignment.h"

#include <stdexcept>

#include "gram.h"

namespace acodm {

std::unique_ptr<AlignmentStrategy> AlignmentStrategy::create(const std::string& method, std::vector<std::string> names,
                                                             std::vector<torch::Tensor> weights) {
  if (method != "capture" && method != "backward")
    throw std::invalid_argument("alignment method must be 'capture' or 'backward', got '" + method + "'");
  if (names.empty()) return nullptr;
  if (method == "capture") return std::make_unique<AlignmentCapture>(std::move(names), std::move(weights));
  return std::make_unique<AlignmentByBackward>(std::move(names), std::move(weights));
}

AlignmentStrategy::AlignmentStrategy(std::vector<std::string> names, std::vector<torch::Tensor> weights)
    : names_(std::move(names)), weights_(std::move(weights)) {
  if (names_.size() != weights_.size())
    throw std::logic_error("alignment: " + std::to_string(names_.size()) + " names but " +
                           std::to_string(weights_.size()) + " weights");
  for (size_t i = 0; i < names_.size(); ++i)
    for (size_t j = 0; j < i; ++j)
      if (names_[i] == names_[j]) throw std::invalid_argument("alignment parameter '" + names_[i] + "' listed twice");
}

void AlignmentStrategy::gramOf(const std::vector<std::vector<torch::Tensor>>& segments, double* out) const {
  if (group_) gram_across_ranks(segments, *group_, out);
  else gram(segments, out);  // fused kernel: reads every row once
}

// ---- capture ----

AlignmentCapture::AlignmentCapture(std::vector<std::string> names, std::vector<torch::Tensor> weights)
    : AlignmentStrategy(std::move(names), std::move(weights)) {
  for (size_t i = 0; i < names_.size(); ++i) slot_[names_[i]] = i;
  layers_.assign(names_.size(), Layer{});
}

void AlignmentCapture::beginStep(int num_domains) {
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
  // Rows per layer, each scaled from "share of the batch-mean gradient" to "gradient of the domain mean". A domain
  // that only other ranks drew contributes zeros here.
  std::vector<std::vector<torch::Tensor>> segments(layers_.size());
  for (size_t i = 0; i < layers_.size(); ++i) {
    for (int64_t d : present) {
      auto found = layers_[i].per_domain.find(d);
      if (found == layers_[i].per_domain.end()) {
        const auto acc = weights_[i].scalar_type() == torch::kFloat64 ? torch::kFloat64 : torch::kFloat32;
        segments[i].push_back(torch::zeros({weights_[i].numel()}, weights_[i].options().dtype(acc)));
        continue;
      }
      auto& g = found->second;
      g.mul_(total / counts[d]);
      segments[i].push_back(g.reshape({-1}));
    }
  }
  const int kp = static_cast<int>(present.size());
  std::vector<double> s(static_cast<size_t>(kp) * kp);
  gramOf(segments, s.data());
  for (int a = 0; a < kp; ++a)
    for (int b = 0; b < kp; ++b) out[present[a] * K + present[b]] = s[static_cast<size_t>(a) * kp + b];
  for (auto& l : layers_) l.per_domain.clear();
}

// ---- backward ----

AlignmentByBackward::AlignmentByBackward(std::vector<std::string> names, std::vector<torch::Tensor> weights)
    : AlignmentStrategy(std::move(names), std::move(weights)) {}

void AlignmentByBackward::beginStep(int num_domains) {
  num_domains_ = num_domains;
  grads_.clear();
}

void AlignmentByBackward::beginMicroBatch(const torch::Tensor& domains) { domains_ = domains; }

void AlignmentByBackward::beforeBackward(const torch::Tensor& window_sums) {
  auto present = std::get<0>(at::_unique(domains_.to(torch::kCPU)));
  for (int64_t j = 0; j < present.numel(); ++j) {
    const int64_t d = present[j].item<int64_t>();
    auto loss_d = window_sums.masked_select(domains_ == d).sum();
    auto grads = torch::autograd::grad({loss_d}, weights_, {}, /*retain_graph=*/true);
    auto& acc = grads_[d];
    if (acc.empty()) acc = grads;
    else
      for (size_t i = 0; i < grads.size(); ++i) acc[i].add_(grads[i]);
  }
}

void AlignmentByBackward::finish(const torch::Tensor& token_counts, double* out) {
  const int K = num_domains_;
  std::fill(out, out + static_cast<size_t>(K) * K, 0.0);
  auto counts = token_counts.accessor<double, 1>();
  if (group_) {
    // Over ranks: the same rows as segments (one per parameter), zeros for domains only other ranks drew.
    std::vector<int64_t> present;
    for (int k = 0; k < K; ++k)
      if (counts[k] > 0) present.push_back(k);
    if (present.empty()) return;
    std::vector<std::vector<torch::Tensor>> segments(weights_.size());
    for (size_t i = 0; i < weights_.size(); ++i)
      for (int64_t d : present) {
        auto found = grads_.find(d);
        segments[i].push_back(found == grads_.end() ? torch::zeros({weights_[i].numel()}, weights_[i].options())
                                                    : found->second[i].reshape({-1}) / counts[d]);
      }
    const int kp = static_cast<int>(present.size());
    std::vector<double> s(static_cast<size_t>(kp) * kp);
    gramOf(segments, s.data());
    for (int a = 0; a < kp; ++a)
      for (int b = 0; b < kp; ++b) out[present[a] * K + present[b]] = s[static_cast<size_t>(a) * kp + b];
    grads_.clear();
    return;
  }
  // Each summed gradient scaled to the gradient of the domain's mean token loss.
  std::vector<std::pair<int64_t, torch::Tensor>> rows;
  for (auto& [d, grads] : grads_) {
    std::vector<torch::Tensor> flat;
    for (auto& g : grads) flat.push_back(g.reshape({-1}).to(torch::kFloat64));
    rows.emplace_back(d, torch::cat(flat) / counts[d]);
  }
  for (const auto& [a, ga] : rows)
    for (const auto& [b, gb] : rows) out[a * K + b] = torch::dot(ga, gb).item<double>();
  grads_.clear();
}

}  // namespace acodm
