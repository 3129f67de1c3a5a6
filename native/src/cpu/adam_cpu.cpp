// Built with -fno-math-errno (CMakeLists.txt), so that std::sqrt becomes the vector instruction and the loop
// vectorises; at the library's x86-64-v2 baseline there is no FMA to contract into, so every CPU computes the same bits.
#include "cpu/adam_cpu.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <cmath>

namespace acodm::cpu {
namespace {

// Elements per work item: large enough to amortise the item, small enough to spread one big tensor over the threads.
constexpr int64_t kItem = 1 << 15;

template <typename T, bool kScaled, bool kDecoupledDecay, bool kL2, bool kSmallWeight>
void update(const AdamSegment<T>& s, int64_t begin, int64_t end, const AdamConstants& c) {
  // The constants as torch's ops see them: each scalar converted to the tensor's type.
  const T scale = static_cast<T>(c.grad_scale);
  const T keep = static_cast<T>(1.0 - c.lr * c.weight_decay);
  const T wd = static_cast<T>(c.weight_decay);
  const T w1 = static_cast<T>(1.0 - c.beta1), w1c = static_cast<T>(1) - w1;
  const T b2 = static_cast<T>(c.beta2), w2 = static_cast<T>(1.0 - c.beta2);
  const T sqrt_bc2 = static_cast<T>(std::sqrt(c.bias_correction2));
  const T eps = static_cast<T>(c.eps);
  const T step = static_cast<T>(-c.lr / c.bias_correction1);
  T* __restrict p = s.param;
  const T* __restrict g = s.grad;
  T* __restrict m = s.exp_avg;
  T* __restrict v = s.exp_avg_sq;
  for (int64_t i = begin; i < end; ++i) {
    T gi = g[i];
    if (kScaled) gi = gi * scale;                  // grad.mul_(coef)
    T pi = p[i];
    if (kDecoupledDecay) pi = pi * keep;           // p.mul_(1 - lr wd)
    if (kL2) gi = gi + wd * pi;                    // grad.add(p, wd)
    // exp_avg.lerp_(grad, 1 - beta1), in torch's two forms by the weight
    const T mi = kSmallWeight ? m[i] + w1 * (gi - m[i]) : gi - (gi - m[i]) * w1c;
    const T vi = v[i] * b2 + w2 * gi * gi;         // exp_avg_sq.mul_(beta2).addcmul_(grad, grad, 1 - beta2)
    const T denom = std::sqrt(vi) / sqrt_bc2 + eps;  // (exp_avg_sq.sqrt() / sqrt(bc2)).add_(eps)
    p[i] = pi + step * mi / denom;                 // p.addcdiv_(exp_avg, denom, -lr / bc1)
    m[i] = mi;
    v[i] = vi;
  }
}

template <typename T, bool kScaled, bool kSmallWeight>
void updateSegment(const AdamSegment<T>& s, int64_t begin, int64_t end, const AdamConstants& c) {
  const bool decay = s.decay && c.weight_decay != 0.0;
  if (decay && c.decoupled) update<T, kScaled, true, false, kSmallWeight>(s, begin, end, c);
  else if (decay) update<T, kScaled, false, true, kSmallWeight>(s, begin, end, c);
  else update<T, kScaled, false, false, kSmallWeight>(s, begin, end, c);
}

template <typename T>
void run(const std::vector<AdamSegment<T>>& segments, const AdamConstants& c) {
  struct Item {
    size_t segment;
    int64_t begin, end;
  };
  std::vector<Item> items;
  for (size_t k = 0; k < segments.size(); ++k)
    for (int64_t b = 0; b < segments[k].n; b += kItem) items.push_back({k, b, std::min(segments[k].n, b + kItem)});
  const bool scaled = c.grad_scale != 1.0;
  // torch's lerp takes self + w (end − self) for w < 0.5, else end − (end − self)(1 − w).
  const bool small = (1.0 - c.beta1) < 0.5;
  at::parallel_for(0, static_cast<int64_t>(items.size()), 1, [&](int64_t first, int64_t last) {
    for (int64_t i = first; i < last; ++i) {
      const Item& it = items[static_cast<size_t>(i)];
      const auto& s = segments[it.segment];
      if (scaled && small) updateSegment<T, true, true>(s, it.begin, it.end, c);
      else if (scaled) updateSegment<T, true, false>(s, it.begin, it.end, c);
      else if (small) updateSegment<T, false, true>(s, it.begin, it.end, c);
      else updateSegment<T, false, false>(s, it.begin, it.end, c);
    }
  });
}

}  // namespace

void adam_fused_cpu(const std::vector<AdamSegment<float>>& segments, const AdamConstants& c) { run(segments, c); }
void adam_fused_cpu(const std::vector<AdamSegment<double>>& segments, const AdamConstants& c) { run(segments, c); }

}  // namespace acodm::cpu
