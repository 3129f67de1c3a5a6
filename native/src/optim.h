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

namespace acodm {

struct OptimizerSettings {
  // Schedule: linear warmup to max_lr over `warmup` steps, then a cosine to min_lr at step `total`.
  double max_lr = 3e-4;
  double min_lr = 3e-5;
  int64_t warmup = 0;
  int64_t total = 1;
  // Adam's constants; decay applies to matrices (dim >= 2) only.
  double weight_decay = 0.1;
  double beta1 = 0.9;
  double beta2 = 0.95;
  double eps = 1e-8;
  bool decoupled = true;  // AdamW (p *= 1 - lr * wd); false: Adam with L2 (wd * p added to the gradient)
  double grad_clip = 0;   // global gradient-norm limit of clipGradNorm(); <= 0 disables it

  // Learning rate of 0-based step `step`.
  double learningRate(int64_t step) const;

  // The float64 tensor the checkpoints store: {max_lr, min_lr, warmup, total, weight_decay, beta1, beta2, eps,
  // last}, where `last` is the one field the two formats differ in: the model's grad_clip, the agent's
  // decoupled flag (the model is always decoupled, the agent never clips).
  enum class LastField { kGradClip, kDecoupled };
  torch::Tensor toTensor(LastField last) const;
  // Throws std::runtime_error naming `source` when the tensor is not 9 float64 values.
  static OptimizerSettings fromTensor(const torch::Tensor& t, LastField last, const std::string& source);
};

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
