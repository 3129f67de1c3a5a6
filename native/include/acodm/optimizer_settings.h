// The optimizer's settings as the model and the agent networks take them, one named field each. The library has no
// defaults of its own: the caller (the Java config sections) sets every field, and setOptimizer() refuses values
// out of range. A plain struct so that it crosses to Java as it is (JavaCPP maps its fields).
#pragma once

#include <cstdint>

namespace acodm {

struct OptimizerSettings {
  // Schedule: linear warmup to max_lr over `warmup` steps, then a cosine to min_lr at step `total`.
  double max_lr = 0;
  double min_lr = 0;
  int64_t warmup = 0;
  int64_t total = 0;
  // Adam's constants; decay applies to matrices (dim >= 2) only.
  double weight_decay = 0;
  double beta1 = 0;
  double beta2 = 0;
  double eps = 0;
  bool decoupled = false;  // AdamW (p *= 1 - lr * wd); false: Adam with L2 (wd * p added to the gradient)
  double grad_clip = 0;    // global gradient-norm limit; 0 disables clipping

  // Learning rate of 0-based step `step`.
  double learningRate(int64_t step) const;
};

}  // namespace acodm
