// Optimizer settings for the native tests: the library has no defaults, so every test names what it trains with.
#pragma once

#include <cstdint>

#include "acodm/optimizer_settings.h"

namespace acodm::test {

// Adam with beta1 0.9 and eps 1e-8 on a warmup + cosine schedule; AdamW when `decoupled`.
inline OptimizerSettings optimizerSettings(double max_lr, double min_lr, int64_t warmup, int64_t total, double weight_decay,
                                           double beta2, bool decoupled, double grad_clip) {
  OptimizerSettings s;
  s.max_lr = max_lr;
  s.min_lr = min_lr;
  s.warmup = warmup;
  s.total = total;
  s.weight_decay = weight_decay;
  s.beta1 = 0.9;
  s.beta2 = beta2;
  s.eps = 1e-8;
  s.decoupled = decoupled;
  s.grad_clip = grad_clip;
  return s;
}

}  // namespace acodm::test
