// The AdamW / Adam (L2) update fused into one pass over many CPU tensors: each parameter, gradient and moment element
// is read once and each parameter and moment element written once (the tensor-op form in optim.cpp, the reference,
// makes about ten passes). Same arithmetic, in the same order, as that form's torch ops.
#pragma once

#include <cstdint>
#include <vector>

namespace acodm::cpu {

// One parameter tensor's contiguous elements: the parameter, its gradient and its two moments.
template <typename T>
struct AdamSegment {
  T* param;
  const T* grad;
  T* exp_avg;
  T* exp_avg_sq;
  int64_t n;
  bool decay;  // weight decay applies (matrices)
};

// One step's constants (learning rate, bias corrections 1 − β^t, the gradients' scale: the clipping factor).
struct AdamConstants {
  double lr, beta1, beta2, eps, weight_decay, bias_correction1, bias_correction2, grad_scale;
  bool decoupled;  // AdamW: p *= 1 − lr·wd; else wd·p is added to the gradient
};

// Elements are independent, so the result does not depend on the thread count (libtorch's intra-op pool).
void adam_fused_cpu(const std::vector<AdamSegment<float>>& segments, const AdamConstants& c);
void adam_fused_cpu(const std::vector<AdamSegment<double>>& segments, const AdamConstants& c);

}  // namespace acodm::cpu
