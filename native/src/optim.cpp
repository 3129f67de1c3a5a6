#include "optim.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace acodm {

double OptimizerSettings::learningRate(int64_t s) const {
  if (warmup > 0 && s < warmup) return max_lr * static_cast<double>(s + 1) / warmup;
  const double span = static_cast<double>(std::max<int64_t>(1, total - warmup));
  const double progress = std::min(1.0, static_cast<double>(s - warmup) / span);
  return min_lr + 0.5 * (max_lr - min_lr) * (1.0 + std::cos(M_PI * progress));
}

torch::Tensor OptimizerSettings::toTensor(LastField last) const {
  const double tail = last == LastField::kGradClip ? grad_clip : (decoupled ? 1.0 : 0.0);
  return torch::tensor({max_lr, min_lr, static_cast<double>(warmup), static_cast<double>(total), weight_decay, beta1,
                        beta2, eps, tail},
                       torch::kFloat64);
}

OptimizerSettings OptimizerSettings::fromTensor(const torch::Tensor& t, LastField last, const std::string& source) {
  if (t.scalar_type() != torch::kFloat64 || t.dim() != 1 || t.numel() != 9)
    throw std::runtime_error(source + ": the optimizer settings are not 9 float64 values");
  auto o = t.accessor<double, 1>();
  OptimizerSettings s;
  s.max_lr = o[0];
  s.min_lr = o[1];
  s.warmup = static_cast<int64_t>(o[2]);
  s.total = static_cast<int64_t>(o[3]);
  s.weight_decay = o[4];
  s.beta1 = o[5];
  s.beta2 = o[6];
  s.eps = o[7];
  if (last == LastField::kGradClip) {
    s.grad_clip = o[8];
    s.decoupled = true;
  } else {
    s.decoupled = o[8] != 0.0;
    s.grad_clip = 0;
  }
  return s;
}

double clipGradNorm(const std::vector<torch::Tensor>& params, double max_norm) {
  std::vector<torch::Tensor> norms;
  norms.reserve(params.size());
  for (const auto& t : params)
    if (t.grad().defined()) norms.push_back(t.grad().norm(2).to(torch::kFloat64));
  const double total = norms.empty() ? 0.0 : torch::stack(norms).norm(2).item<double>();
  if (max_norm > 0) {
    const double coef = max_norm / (total + 1e-6);
    if (coef < 1.0)
      for (const auto& t : params)
        if (t.grad().defined()) t.grad().mul_(coef);
  }
  return total;
}

void clearGrads(const std::vector<torch::Tensor>& params) {
  for (auto t : params)
    if (t.grad().defined()) t.mutable_grad() = torch::Tensor();
}

void Adam::reset(const std::vector<torch::Tensor>& params) {
  exp_avg_.clear();
  exp_avg_sq_.clear();
  for (const auto& p : params) {
    exp_avg_.push_back(torch::zeros_like(p).set_requires_grad(false));
    exp_avg_sq_.push_back(torch::zeros_like(p).set_requires_grad(false));
  }
  step_ = 0;
}

double Adam::step(const std::vector<torch::Tensor>& params, const OptimizerSettings& s) {
  if (params.size() != exp_avg_.size())
    throw std::logic_error("Adam::step: " + std::to_string(params.size()) + " parameters but moments for " +
                           std::to_string(exp_avg_.size()));
  const double lr = s.learningRate(step_);
  ++step_;
  const double bc1 = 1.0 - std::pow(s.beta1, static_cast<double>(step_));
  const double bc2 = 1.0 - std::pow(s.beta2, static_cast<double>(step_));
  torch::NoGradGuard no_grad;
  for (size_t i = 0; i < params.size(); ++i) {
    auto p = params[i];
    if (!p.grad().defined()) continue;
    auto grad = p.grad();
    // Decay on matrices only: shrinking LayerNorm gains and biases towards 0 regularises nothing useful.
    const bool decay = p.dim() >= 2 && s.weight_decay != 0.0;
    if (decay && s.decoupled) p.mul_(1.0 - lr * s.weight_decay);
    if (decay && !s.decoupled) grad = grad.add(p, s.weight_decay);
    exp_avg_[i].lerp_(grad, 1.0 - s.beta1);
    exp_avg_sq_[i].mul_(s.beta2).addcmul_(grad, grad, 1.0 - s.beta2);
    auto denom = (exp_avg_sq_[i].sqrt() / std::sqrt(bc2)).add_(s.eps);
    p.addcdiv_(exp_avg_[i], denom, -lr / bc1);
  }
  return lr;
}

void Adam::write(torch::serialize::OutputArchive& archive, const Key& key) const {
  for (size_t i = 0; i < exp_avg_.size(); ++i) {
    archive.write(key("exp_avg", i), exp_avg_[i].to(torch::kCPU), /*is_buffer=*/true);
    archive.write(key("exp_avg_sq", i), exp_avg_sq_[i].to(torch::kCPU), true);
  }
}

void Adam::read(torch::serialize::InputArchive& archive, const Key& key) {
  torch::NoGradGuard no_grad;
  for (size_t i = 0; i < exp_avg_.size(); ++i) {
    torch::Tensor a, s;
    archive.read(key("exp_avg", i), a, true);
    archive.read(key("exp_avg_sq", i), s, true);
    exp_avg_[i].copy_(a);
    exp_avg_sq_[i].copy_(s);
  }
}

}  // namespace acodm
