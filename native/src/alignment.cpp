#include "alignment.h"

#include <limits>
#include <stdexcept>

#include "collectives.h"

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

void AlignmentStrategy::beginKeys(int num_domains) {
  num_domains_ = num_domains;
  key_windows_.assign(split_ ? static_cast<size_t>(2 * num_domains) : 0, 0);
}

torch::Tensor AlignmentStrategy::keysOf(const torch::Tensor& domains) {
  if (!split_) return domains;  // one key per domain; stepKeys reads the token counts, not key_windows_
  auto host = domains.to(torch::kCPU, torch::kInt64).contiguous();
  auto keys = torch::empty_like(host);
  const int64_t* d = host.data_ptr<int64_t>();
  int64_t* k = keys.data_ptr<int64_t>();
  const int64_t rank = group_ ? group_->rank() : 0;
  for (int64_t b = 0; b < host.numel(); ++b) {
    // The windows of domain d seen so far in this step, on this rank: A and B in turns, rank r starting at r mod 2
    // (so a domain drawn once on each of two ranks still has both halves).
    const int64_t seen = key_windows_[2 * d[b]] + key_windows_[2 * d[b] + 1];
    k[b] = 2 * d[b] + (seen + rank) % 2;
    ++key_windows_[k[b]];
  }
  return keys.to(domains.device());
}

AlignmentStrategy::Keys AlignmentStrategy::stepKeys(const torch::Tensor& token_counts) {
  Keys keys;
  if (!split_) {
    // One key per domain: the global token counts say which are present (no collective needed).
    auto counts = token_counts.accessor<double, 1>();
    for (int64_t d = 0; d < counts.size(0); ++d)
      if (counts[d] > 0) {
        keys.present.push_back(d);
        keys.share.push_back(1.0);
      }
    return keys;
  }
  auto windows = torch::tensor(std::vector<double>(key_windows_.begin(), key_windows_.end()), torch::kFloat64);
  if (group_) {
    std::vector<torch::Tensor> t{windows.to(group_->device())};
    group_->allReduce(t, "all-reduce of the alignment rows' window counts", Traffic::kAlignment);
    windows = t[0].to(torch::kCPU);
  }
  auto w = windows.accessor<double, 1>();
  for (int64_t key = 0; key < w.size(0); ++key) {
    if (w[key] <= 0) continue;
    keys.present.push_back(key);
    keys.share.push_back(w[key] / (w[key & ~int64_t{1}] + w[key | 1]));
  }
  if (keys.present.size() > 64)
    throw std::invalid_argument("alignment with split halves: " + std::to_string(keys.present.size()) +
                                " half rows in one step, the Gram takes at most 64 (at most 32 domains present)");
  return keys;
}

void AlignmentStrategy::assemble(const Keys& keys, const std::vector<double>& g, double* out) const {
  const int K = num_domains_;
  const int per = split_ ? 2 : 1;
  const size_t kr = keys.present.size();
  std::fill(out, out + static_cast<size_t>(K) * K + (split_ ? K : 0), 0.0);
  // g_d = sum over d's keys of share_key * g_key, so S_ab = sum over the keys of a and b of share share' G.
  for (size_t x = 0; x < kr; ++x)
    for (size_t y = 0; y < kr; ++y)
      out[keys.present[x] / per * K + keys.present[y] / per] += keys.share[x] * keys.share[y] * g[x * kr + y];
  if (!split_) return;
  for (int d = 0; d < K; ++d) out[static_cast<size_t>(K) * K + d] = std::numeric_limits<double>::quiet_NaN();
  for (size_t x = 0; x + 1 < kr; ++x)
    if (keys.present[x] % 2 == 0 && keys.present[x + 1] == keys.present[x] + 1)
      out[static_cast<size_t>(K) * K + keys.present[x] / 2] = g[x * kr + x + 1];
}

// ---- capture ----

AlignmentCapture::AlignmentCapture(std::vector<std::string> names, std::vector<torch::Tensor> weights)
    : AlignmentStrategy(std::move(names), std::move(weights)) {
  for (size_t i = 0; i < names_.size(); ++i) slot_[names_[i]] = i;
  layers_.assign(names_.size(), Layer{});
}

void AlignmentCapture::beginStep(int num_domains) {
  beginKeys(num_domains);
  for (auto& l : layers_) l = Layer{};
}

void AlignmentCapture::beginMicroBatch(const torch::Tensor& domains) {
  keys_ = keysOf(domains);
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
  auto present = std::get<0>(at::_unique(keys_.to(torch::kCPU)));
  for (size_t i = 0; i < layers_.size(); ++i) {
    Layer& layer = layers_[i];
    if (!layer.x.defined() || !layer.grad.defined())
      throw std::runtime_error("alignment parameter '" + names_[i] + "' was not reached by the backward pass");
    const int64_t in = layer.x.size(-1), out = layer.grad.size(-1);
    auto acc = layer.x.scalar_type() == torch::kFloat64 ? torch::kFloat64 : torch::kFloat32;
    for (int64_t j = 0; j < present.numel(); ++j) {
      const int64_t d = present[j].item<int64_t>();
      auto idx = (keys_ == d).nonzero().squeeze(1);
      auto xd = layer.x.index_select(0, idx).reshape({-1, in}).to(acc);
      auto gd = layer.grad.index_select(0, idx).reshape({-1, out}).to(acc);
      auto contrib = torch::mm(gd.t(), xd);
      auto found = layer.per_key.find(d);
      if (found == layer.per_key.end()) layer.per_key.emplace(d, contrib);
      else found->second.add_(contrib);
    }
    layer.x = torch::Tensor();
    layer.grad = torch::Tensor();
  }
}

void AlignmentCapture::finish(const torch::Tensor& token_counts, double* out) {
  const int K = num_domains_;
  auto counts = token_counts.accessor<double, 1>();
  double total = 0;
  for (int k = 0; k < K; ++k) total += counts[k];
  const Keys keys = stepKeys(token_counts);
  if (keys.present.empty() || layers_.empty()) {
    assemble(keys, {}, out);
    return;
  }
  const int per = split_ ? 2 : 1;
  // Rows per layer, each scaled from "share of the batch-mean gradient" to "gradient of the key's mean". A key that
  // only other ranks drew contributes zeros here.
  std::vector<std::vector<torch::Tensor>> segments(layers_.size());
  for (size_t i = 0; i < layers_.size(); ++i) {
    for (size_t x = 0; x < keys.present.size(); ++x) {
      const int64_t key = keys.present[x];
      auto found = layers_[i].per_key.find(key);
      if (found == layers_[i].per_key.end()) {
        const auto acc = weights_[i].scalar_type() == torch::kFloat64 ? torch::kFloat64 : torch::kFloat32;
        segments[i].push_back(torch::zeros({weights_[i].numel()}, weights_[i].options().dtype(acc)));
        continue;
      }
      auto& g = found->second;
      g.mul_(total / (counts[key / per] * keys.share[x]));
      segments[i].push_back(g.reshape({-1}));
    }
  }
  const size_t kr = keys.present.size();
  std::vector<double> g(kr * kr);
  gramOf(segments, g.data());
  assemble(keys, g, out);
  for (auto& l : layers_) l.per_key.clear();
}

// ---- backward ----

AlignmentByBackward::AlignmentByBackward(std::vector<std::string> names, std::vector<torch::Tensor> weights)
    : AlignmentStrategy(std::move(names), std::move(weights)) {}

void AlignmentByBackward::beginStep(int num_domains) {
  beginKeys(num_domains);
  grads_.clear();
}

void AlignmentByBackward::beginMicroBatch(const torch::Tensor& domains) { keys_ = keysOf(domains); }

void AlignmentByBackward::beforeBackward(const torch::Tensor& window_sums) {
  auto present = std::get<0>(at::_unique(keys_.to(torch::kCPU)));
  for (int64_t j = 0; j < present.numel(); ++j) {
    const int64_t key = present[j].item<int64_t>();
    auto loss_key = window_sums.masked_select(keys_ == key).sum();
    auto grads = torch::autograd::grad({loss_key}, weights_, {}, /*retain_graph=*/true);
    auto& acc = grads_[key];
    if (acc.empty()) acc = grads;
    else
      for (size_t i = 0; i < grads.size(); ++i) acc[i].add_(grads[i]);
  }
}

void AlignmentByBackward::finish(const torch::Tensor& token_counts, double* out) {
  auto counts = token_counts.accessor<double, 1>();
  const Keys keys = stepKeys(token_counts);
  const int per = split_ ? 2 : 1;
  const size_t kr = keys.present.size();
  std::vector<double> g(kr * kr);
  if (kr > 0 && group_) {
    // Over ranks: the same rows as segments (one per parameter), zeros for keys only other ranks drew.
    std::vector<std::vector<torch::Tensor>> segments(weights_.size());
    for (size_t i = 0; i < weights_.size(); ++i)
      for (size_t x = 0; x < kr; ++x) {
        const int64_t key = keys.present[x];
        auto found = grads_.find(key);
        segments[i].push_back(found == grads_.end() ? torch::zeros({weights_[i].numel()}, weights_[i].options())
                                                    : found->second[i].reshape({-1}) / (counts[key / per] * keys.share[x]));
      }
    gramOf(segments, g.data());
  } else if (kr > 0) {
    // Each summed gradient scaled to the gradient of the key's mean token loss, the products in double.
    std::vector<torch::Tensor> rows;
    for (size_t x = 0; x < kr; ++x) {
      std::vector<torch::Tensor> flat;
      for (auto& t : grads_.at(keys.present[x])) flat.push_back(t.reshape({-1}).to(torch::kFloat64));
      rows.push_back(torch::cat(flat) / (counts[keys.present[x] / per] * keys.share[x]));
    }
    for (size_t x = 0; x < kr; ++x)
      for (size_t y = 0; y < kr; ++y) g[x * kr + y] = torch::dot(rows[x], rows[y]).item<double>();
  }
  assemble(keys, g, out);
  grads_.clear();
}

}  // namespace acodm
