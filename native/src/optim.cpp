#include "optim.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "cpu/adam_cpu.h"
#include "require.h"

namespace acodm {

double OptimizerSettings::learningRate(int64_t s) const {
  if (warmup > 0 && s < warmup) return max_lr * static_cast<double>(s + 1) / warmup;
  const double span = static_cast<double>(std::max<int64_t>(1, total - warmup));
  const double progress = std::min(1.0, static_cast<double>(s - warmup) / span);
  return min_lr + 0.5 * (max_lr - min_lr) * (1.0 + std::cos(M_PI * progress));
}

void validate(const OptimizerSettings& s, const std::string& who) {
  require(s.max_lr >= 0 && s.min_lr >= 0 && s.min_lr <= s.max_lr,
          who + ": learning rates need 0 <= min_lr <= max_lr, got max " + std::to_string(s.max_lr) + ", min " +
              std::to_string(s.min_lr));
  require(s.warmup >= 0, who + ": warmup must be >= 0 steps, got " + std::to_string(s.warmup));
  require(s.total >= 1, who + ": total must be >= 1 step, got " + std::to_string(s.total));
  require(s.weight_decay >= 0, who + ": weight_decay must be >= 0, got " + std::to_string(s.weight_decay));
  require(s.beta1 >= 0 && s.beta1 < 1 && s.beta2 >= 0 && s.beta2 < 1,
          who + ": betas must lie in [0, 1), got " + std::to_string(s.beta1) + ", " + std::to_string(s.beta2));
  require(s.eps > 0, who + ": eps must be > 0, got " + std::to_string(s.eps));
  require(s.grad_clip >= 0, who + ": grad_clip must be >= 0 (0 disables clipping), got " + std::to_string(s.grad_clip));
}

torch::Tensor settingsTensor(const OptimizerSettings& s) {
  return torch::tensor({s.max_lr, s.min_lr, static_cast<double>(s.warmup), static_cast<double>(s.total), s.weight_decay,
                        s.beta1, s.beta2, s.eps, s.decoupled ? 1.0 : 0.0, s.grad_clip},
                       torch::kFloat64);
}

OptimizerSettings settingsFromTensor(const torch::Tensor& t, OlderLastField older, const std::string& source) {
  if (t.scalar_type() != torch::kFloat64 || t.dim() != 1 || (t.numel() != 10 && t.numel() != 9))
    throw std::runtime_error(source + ": the optimizer settings are not 10 (or, written before, 9) float64 values");
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
  if (t.numel() == 10) {
    s.decoupled = o[8] != 0.0;
    s.grad_clip = o[9];
  } else if (older == OlderLastField::kGradClip) {
    s.decoupled = true;
    s.grad_clip = o[8];
  } else {
    s.decoupled = o[8] != 0.0;
    s.grad_clip = 0;
  }
  return s;
}

double gradNorm(const std::vector<torch::Tensor>& params) {
  std::vector<torch::Tensor> norms;
  norms.reserve(params.size());
  for (const auto& t : params)
    if (t.grad().defined()) norms.push_back(t.grad().norm(2).to(torch::kFloat64));
  return norms.empty() ? 0.0 : torch::stack(norms).norm(2).item<double>();
}

double clipScale(double norm, double max_norm) {
  if (max_norm <= 0) return 1.0;
  const double coef = max_norm / (norm + 1e-6);
  return coef < 1.0 ? coef : 1.0;
}

void clearGrads(const std::vector<torch::Tensor>& params) {
  for (auto t : params)
    if (t.grad().defined()) t.mutable_grad() = torch::Tensor();
}

void Adam::reset(const std::vector<torch::Tensor>& params) {
  exp_avg_.clear();
  exp_avg_sq_.clear();
  int64_t total = 0;
  for (const auto& p : params) {
    if (p.scalar_type() != params.front().scalar_type() || p.device() != params.front().device())
      throw std::logic_error("Adam::reset: the parameters do not share one dtype and device");
    total += p.numel();
  }
  const auto options = params.empty() ? torch::TensorOptions() : params.front().options().requires_grad(false);
  exp_avg_flat_ = torch::zeros({total}, options);
  exp_avg_sq_flat_ = torch::zeros({total}, options);
  int64_t offset = 0;
  for (const auto& p : params) {
    exp_avg_.push_back(exp_avg_flat_.narrow(0, offset, p.numel()).view(p.sizes()));
    exp_avg_sq_.push_back(exp_avg_sq_flat_.narrow(0, offset, p.numel()).view(p.sizes()));
    offset += p.numel();
  }
  step_ = 0;
}

void adamTensorOps(torch::Tensor p, torch::Tensor grad, torch::Tensor exp_avg, torch::Tensor exp_avg_sq, const OptimizerSettings& s,
                   double lr, int64_t t, double grad_scale) {
  torch::NoGradGuard no_grad;
  const double bc1 = 1.0 - std::pow(s.beta1, static_cast<double>(t));
  const double bc2 = 1.0 - std::pow(s.beta2, static_cast<double>(t));
  if (grad_scale != 1.0) grad = grad * grad_scale;
  // Decay on matrices only: shrinking LayerNorm gains and biases towards 0 regularises nothing useful.
  const bool decay = p.dim() >= 2 && s.weight_decay != 0.0;
  if (decay && s.decoupled) p.mul_(1.0 - lr * s.weight_decay);
  if (decay && !s.decoupled) grad = grad.add(p, s.weight_decay);
  exp_avg.lerp_(grad, 1.0 - s.beta1);
  exp_avg_sq.mul_(s.beta2).addcmul_(grad, grad, 1.0 - s.beta2);
  auto denom = (exp_avg_sq.sqrt() / std::sqrt(bc2)).add_(s.eps);
  p.addcdiv_(exp_avg, denom, -lr / bc1);
}

namespace {

// The fused pass over every CPU parameter with a gradient, in the parameters' dtype.
template <typename T>
void fusedStep(const std::vector<torch::Tensor>& params, std::vector<torch::Tensor>& exp_avg, std::vector<torch::Tensor>& exp_avg_sq,
               const cpu::AdamConstants& c) {
  std::vector<cpu::AdamSegment<T>> segments;
  std::vector<torch::Tensor> grads;  // keeps contiguous copies alive, where a gradient was not contiguous
  for (size_t i = 0; i < params.size(); ++i) {
    const auto& p = params[i];
    if (!p.grad().defined()) continue;
    grads.push_back(p.grad().contiguous());
    segments.push_back({p.data_ptr<T>(), grads.back().data_ptr<T>(), exp_avg[i].data_ptr<T>(), exp_avg_sq[i].data_ptr<T>(), p.numel(),
                        p.dim() >= 2});
  }
  cpu::adam_fused_cpu(segments, c);
}

}  // namespace

double Adam::step(const std::vector<torch::Tensor>& params, const OptimizerSettings& s, double grad_scale) {
  if (params.size() != exp_avg_.size())
    throw std::logic_error("Adam::step: " + std::to_string(params.size()) + " parameters but moments for " +
                           std::to_string(exp_avg_.size()));
  const double lr = s.learningRate(step_);
  ++step_;
  torch::NoGradGuard no_grad;
  const auto type = params.empty() ? torch::kFloat32 : params.front().scalar_type();
  const bool fused = fused_ && !params.empty() && params.front().device().is_cpu() && (type == torch::kFloat32 || type == torch::kFloat64) &&
                     std::all_of(params.begin(), params.end(), [](const torch::Tensor& p) { return p.is_contiguous(); });
  if (!fused) {
    for (size_t i = 0; i < params.size(); ++i)
      if (params[i].grad().defined()) adamTensorOps(params[i], params[i].grad(), exp_avg_[i], exp_avg_sq_[i], s, lr, step_, grad_scale);
    return lr;
  }
  const cpu::AdamConstants c{lr, s.beta1, s.beta2, s.eps, s.weight_decay, 1.0 - std::pow(s.beta1, static_cast<double>(step_)),
                             1.0 - std::pow(s.beta2, static_cast<double>(step_)), grad_scale, s.decoupled};
  if (type == torch::kFloat32) fusedStep<float>(params, exp_avg_, exp_avg_sq_, c);
  else fusedStep<double>(params, exp_avg_, exp_avg_sq_, c);
  return lr;
}

void Adam::write(torch::serialize::OutputArchive& archive, const Key& key) const {
  for (size_t i = 0; i < exp_avg_.size(); ++i) {
    // Copies: a view would carry the whole flat buffer into the archive with it.
    archive.write(key("exp_avg", i), exp_avg_[i].to(torch::kCPU).clone(), /*is_buffer=*/true);
    archive.write(key("exp_avg_sq", i), exp_avg_sq_[i].to(torch::kCPU).clone(), true);
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
