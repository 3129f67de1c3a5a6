// The optimizer shared by the model and the agent networks: torch.optim's AdamW / Adam (L2) update written out
// on plain tensors, the linear-warmup + cosine learning-rate schedule, global-norm gradient clipping, and the
// checkpoint form of all of it. Written out rather than torch::optim so a checkpoint holds every bit of state
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

// Scales the gradients of `params` so that their global 2-norm is at most max_norm (torch.nn.utils'
// clip_grad_norm_ with its 1e-6 guard; max_norm <= 0 only measures). Returns the norm before clipping.
double clipGradNorm(const std::vector<torch::Tensor>& params, double max_norm);

// Drops the gradients of `params` (set to undefined, as torch's zero_grad(set_to_none=True)).
void clearGrads(const std::vector<torch::Tensor>& params);

// The moments and the step count of one set of parameters.
class Adam {
 public:
  // Zeroed moments shaped like params (on their devices); step 0.
  void reset(const std::vector<torch::Tensor>& params);
  // One update of every parameter with a gradient, at the schedule's rate for the current step, which it
  // then advances. Single-tensor torch.optim form. Returns the learning rate used.
  double step(const std::vector<torch::Tensor>& params, const OptimizerSettings& s);

  int64_t steps() const { return step_; }
  void setSteps(int64_t steps) { step_ = steps; }

  // The moments under key(moment, i) for parameter i, moment "exp_avg" or "exp_avg_sq". The step count is
  // the caller's to store (the formats name it differently).
  using Key = std::function<std::string(const std::string& moment, size_t index)>;
  void write(torch::serialize::OutputArchive& archive, const Key& key) const;
  void read(torch::serialize::InputArchive& archive, const Key& key);

 private:
  std::vector<torch::Tensor> exp_avg_, exp_avg_sq_;
  int64_t step_ = 0;
};

}  // namespace acodm
