// The optimizer shared by the model and the agent networks: torch.optim's AdamW / Adam (L2) update written out
// on plain tensors (fused into one pass on the CPU), the linear-warmup + cosine learning-rate schedule, global-norm
// gradient clipping, and the checkpoint form of all of it. Written out rather than torch::optim so a checkpoint holds every bit of state
// and a resumed run takes exactly the same steps.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "acodm/optimizer_settings.h"

namespace acodm {

// Throws std::invalid_argument, the message starting with `who`, when a setting is out of range: rates < 0 or
// min_lr > max_lr, warmup < 0, total < 1, decay < 0, betas outside [0, 1), eps <= 0, grad_clip < 0.
void validate(const OptimizerSettings& s, const std::string& who);

// The float64 tensor the checkpoints store: {max_lr, min_lr, warmup, total, weight_decay, beta1, beta2, eps,
// decoupled, grad_clip}.
torch::Tensor settingsTensor(const OptimizerSettings& s);
// Reads settingsTensor()'s 10 values, or the 9 that checkpoints held before, whose last value was the model's grad_clip
// (the model always AdamW) or the agent's decoupled flag (the agent never clipped): `older` says which. Throws
// std::runtime_error naming `source` when the tensor is neither.
enum class OlderLastField { kGradClip, kDecoupled };
OptimizerSettings settingsFromTensor(const torch::Tensor& t, OlderLastField older, const std::string& source);

// The global 2-norm of the gradients of `params`: torch.nn.utils' clip_grad_norm_ total (each tensor's norm, then
// the norm of those in float64). Parameters without a gradient are left out.
double gradNorm(const std::vector<torch::Tensor>& params);

// What clip_grad_norm_ multiplies the gradients by so that their global norm is at most max_norm (with its 1e-6
// guard): 1 when the norm is within the limit or max_norm <= 0 (no clipping).
double clipScale(double norm, double max_norm);

// Drops the gradients of `params` (set to undefined, as torch's zero_grad(set_to_none=True)).
void clearGrads(const std::vector<torch::Tensor>& params);

// The moments and the step count of one set of parameters. The moments live in one flat buffer each (exp_avg,
// exp_avg_sq), parameter i's at its offset, so that a CPU step is one pass over them.
class Adam {
 public:
  // Zeroed moments laid out like params, which share one dtype and one device; step 0.
  void reset(const std::vector<torch::Tensor>& params);
  // One update of every parameter with a gradient, at the schedule's rate for the current step, which it then
  // advances; each gradient is multiplied by grad_scale as it is read (the clipping factor of clipScale; the
  // gradients themselves are left as they are). torch.optim's single-tensor form. On the CPU (float32, float64) it
  // runs fused: one pass that reads each parameter, gradient and moment once and writes each parameter and moment
  // once (cpu/adam_cpu.h); elsewhere as torch ops per tensor (adamTensorOps). Returns the learning rate used.
  double step(const std::vector<torch::Tensor>& params, const OptimizerSettings& s, double grad_scale = 1.0);

  int64_t steps() const { return step_; }
  void setSteps(int64_t steps) { step_ = steps; }
  // false: every step takes the tensor-op form, on the CPU too (for benchmarks and tests that compare the two).
  void setFused(bool fused) { fused_ = fused; }

  // The moments under key(moment, i) for parameter i, moment "exp_avg" or "exp_avg_sq". The step count is
  // the caller's to store (the formats name it differently).
  using Key = std::function<std::string(const std::string& moment, size_t index)>;
  void write(torch::serialize::OutputArchive& archive, const Key& key) const;
  void read(torch::serialize::InputArchive& archive, const Key& key);

 private:
  torch::Tensor exp_avg_flat_, exp_avg_sq_flat_;
  std::vector<torch::Tensor> exp_avg_, exp_avg_sq_;  // views of the flat buffers, shaped like the parameters
  int64_t step_ = 0;
  bool fused_ = true;
};

// One Adam update of a single tensor with torch's ops, as Adam::step's settings and step count t (1-based) give it:
// the reference the fused CPU pass is tested against, and the path for GPU tensors.
void adamTensorOps(torch::Tensor p, torch::Tensor grad, torch::Tensor exp_avg, torch::Tensor exp_avg_sq, const OptimizerSettings& s,
                   double lr, int64_t t, double grad_scale);

}  // namespace acodm
