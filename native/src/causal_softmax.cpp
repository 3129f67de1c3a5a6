#include "causal_softmax.h"

#include <ATen/Parallel.h>
#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace acodm {
namespace {

// exp on 4 floats x <= 0 (scores minus their row maximum), Cephes' expf: x = n ln2 + r with |r| <= ln2 / 2, a
// degree-6 polynomial for e^r, 2^n from the exponent bits. Relative error ~2e-7. Below -87.3 the result would leave
// the normal range; it is held at e^-87.3 (1e-38), which a probability next to the row's 1 cannot tell from 0.
// SSE4.1 (the library's x86-64-v2 baseline), multiplies and adds kept apart: the same bits on every x86-64 CPU.
inline __m128 exp4(__m128 x) {
  x = _mm_max_ps(x, _mm_set1_ps(-87.33654f));
  __m128 n = _mm_floor_ps(_mm_add_ps(_mm_mul_ps(x, _mm_set1_ps(1.44269504088896341f)), _mm_set1_ps(0.5f)));
  x = _mm_sub_ps(x, _mm_mul_ps(n, _mm_set1_ps(0.693359375f)));
  x = _mm_sub_ps(x, _mm_mul_ps(n, _mm_set1_ps(-2.12194440e-4f)));
  __m128 y = _mm_set1_ps(1.9875691500e-4f);
  y = _mm_add_ps(_mm_mul_ps(y, x), _mm_set1_ps(1.3981999507e-3f));
  y = _mm_add_ps(_mm_mul_ps(y, x), _mm_set1_ps(8.3334519073e-3f));
  y = _mm_add_ps(_mm_mul_ps(y, x), _mm_set1_ps(4.1665795894e-2f));
  y = _mm_add_ps(_mm_mul_ps(y, x), _mm_set1_ps(1.6666665459e-1f));
  y = _mm_add_ps(_mm_mul_ps(y, x), _mm_set1_ps(5.0000001201e-1f));
  y = _mm_add_ps(_mm_add_ps(_mm_mul_ps(y, _mm_mul_ps(x, x)), x), _mm_set1_ps(1.0f));
  const __m128i e = _mm_slli_epi32(_mm_add_epi32(_mm_cvttps_epi32(n), _mm_set1_epi32(127)), 23);
  return _mm_mul_ps(y, _mm_castsi128_ps(e));
}

inline float hsum(__m128 v) {
  v = _mm_add_ps(v, _mm_movehl_ps(v, v));
  return _mm_cvtss_f32(_mm_add_ss(v, _mm_shuffle_ps(v, v, 1)));
}

inline float hmax(__m128 v) {
  v = _mm_max_ps(v, _mm_movehl_ps(v, v));
  return _mm_cvtss_f32(_mm_max_ss(v, _mm_shuffle_ps(v, v, 1)));
}

// Loads the n < 4 floats at p into the low lanes, `fill` above.
inline __m128 loadTail(const float* p, int64_t n, float fill) {
  alignas(16) float b[4] = {fill, fill, fill, fill};
  std::copy_n(p, n, b);
  return _mm_load_ps(b);
}

inline void storeTail(float* p, __m128 v, int64_t n) {
  alignas(16) float b[4];
  _mm_store_ps(b, v);
  std::copy_n(b, n, p);
}

// One row of length T whose first `len` entries are the causal prefix. The tail of the prefix goes through the same
// vector code as the rest (padded lanes), so a value does not depend on its position.
void forwardRow(float* x, int64_t len, int64_t T, float scale) {
  const int64_t body = len / 4 * 4, rest = len - body;
  __m128 m = _mm_set1_ps(-INFINITY);
  for (int64_t j = 0; j < body; j += 4) m = _mm_max_ps(m, _mm_loadu_ps(x + j));
  if (rest) m = _mm_max_ps(m, loadTail(x + body, rest, -INFINITY));
  const __m128 top = _mm_set1_ps(hmax(m)), s = _mm_set1_ps(scale);
  __m128 acc = _mm_setzero_ps();
  for (int64_t j = 0; j < body; j += 4) {
    const __m128 e = exp4(_mm_mul_ps(_mm_sub_ps(_mm_loadu_ps(x + j), top), s));
    _mm_storeu_ps(x + j, e);
    acc = _mm_add_ps(acc, e);
  }
  if (rest) {
    // The padded lanes (the row's maximum: e^0) are left out of the sum.
    alignas(16) float e[4];
    _mm_store_ps(e, exp4(_mm_mul_ps(_mm_sub_ps(loadTail(x + body, rest, _mm_cvtss_f32(top)), top), s)));
    std::fill(e + rest, e + 4, 0.0f);
    std::copy_n(e, rest, x + body);
    acc = _mm_add_ps(acc, _mm_load_ps(e));
  }
  const __m128 inv = _mm_set1_ps(1.0f / hsum(acc));
  for (int64_t j = 0; j < body; j += 4) _mm_storeu_ps(x + j, _mm_mul_ps(_mm_loadu_ps(x + j), inv));
  if (rest) storeTail(x + body, _mm_mul_ps(loadTail(x + body, rest, 0.0f), inv), rest);
  std::fill(x + len, x + T, 0.0f);
}

// out = scale · p ∘ (g − Σ g ∘ p) on the prefix, 0 after it; out may be g.
void backwardRow(const float* p, const float* g, float* out, int64_t len, int64_t T, float scale) {
  const int64_t body = len / 4 * 4, rest = len - body;
  __m128 acc = _mm_setzero_ps();
  for (int64_t j = 0; j < body; j += 4) acc = _mm_add_ps(acc, _mm_mul_ps(_mm_loadu_ps(g + j), _mm_loadu_ps(p + j)));
  if (rest) acc = _mm_add_ps(acc, _mm_mul_ps(loadTail(g + body, rest, 0.0f), loadTail(p + body, rest, 0.0f)));
  const __m128 dot = _mm_set1_ps(hsum(acc)), s = _mm_set1_ps(scale);
  for (int64_t j = 0; j < body; j += 4)
    _mm_storeu_ps(out + j, _mm_mul_ps(_mm_mul_ps(_mm_loadu_ps(p + j), _mm_sub_ps(_mm_loadu_ps(g + j), dot)), s));
  if (rest)
    storeTail(out + body, _mm_mul_ps(_mm_mul_ps(loadTail(p + body, rest, 0.0f), _mm_sub_ps(loadTail(g + body, rest, 0.0f), dot)), s), rest);
  std::fill(out + len, out + T, 0.0f);
}

// float64 models (the finite-difference tests): plain loops, sums in double.
void forwardRow(double* x, int64_t len, int64_t T, double scale) {
  const double top = *std::max_element(x, x + len);
  double sum = 0;
  for (int64_t j = 0; j < len; ++j) sum += (x[j] = std::exp((x[j] - top) * scale));
  const double inv = 1.0 / sum;
  for (int64_t j = 0; j < len; ++j) x[j] *= inv;
  std::fill(x + len, x + T, 0.0);
}

void backwardRow(const double* p, const double* g, double* out, int64_t len, int64_t T, double scale) {
  double dot = 0;
  for (int64_t j = 0; j < len; ++j) dot += g[j] * p[j];
  for (int64_t j = 0; j < len; ++j) out[j] = p[j] * (g[j] - dot) * scale;
  std::fill(out + len, out + T, 0.0);
}

void check(const torch::Tensor& t, const char* what) {
  if (!t.device().is_cpu() || (t.scalar_type() != torch::kFloat32 && t.scalar_type() != torch::kFloat64) || !t.is_contiguous() ||
      t.dim() < 2 || t.size(-1) != t.size(-2))
    throw std::invalid_argument(std::string("causal softmax: ") + what + " must be a contiguous CPU float32/float64 tensor [..., T, T], got " +
                                t.toString() + " " + c10::str(t.sizes()));
}

// Rows are split over the threads in contiguous ranges; each row is computed alone, so the result does not depend
// on the thread count.
template <class F>
void eachRow(int64_t rows, int64_t T, F f) {
  at::parallel_for(0, rows, std::max<int64_t>(1, 16384 / std::max<int64_t>(T, 1)), [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) f(r, r % T + 1);
  });
}

struct CausalSoftmaxFunction : torch::autograd::Function<CausalSoftmaxFunction> {
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, torch::Tensor scores, double scale) {
    causalSoftmaxForwardCpu(scores, scale);
    ctx->mark_dirty({scores});
    ctx->save_for_backward({scores});
    ctx->saved_data["scale"] = scale;
    return scores;
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx, torch::autograd::variable_list grads) {
    const auto probs = ctx->get_saved_variables()[0];
    // Into a fresh buffer: autograd may hand the same gradient tensor to others, so it is not written over.
    auto grad = grads[0].contiguous();
    auto out = torch::empty_like(grad);
    causalSoftmaxBackwardCpu(probs, grad, out, ctx->saved_data["scale"].toDouble());
    return {out, torch::Tensor()};
  }
};

}  // namespace

void causalSoftmaxForwardCpu(torch::Tensor& scores, double scale) {
  check(scores, "scores");
  const int64_t T = scores.size(-1), rows = scores.numel() / std::max<int64_t>(T, 1);
  AT_DISPATCH_FLOATING_TYPES(scores.scalar_type(), "acodm_causal_softmax", [&] {
    scalar_t* x = scores.data_ptr<scalar_t>();
    eachRow(rows, T, [&](int64_t r, int64_t len) { forwardRow(x + r * T, len, T, static_cast<scalar_t>(scale)); });
  });
}

void causalSoftmaxBackwardCpu(const torch::Tensor& probs, const torch::Tensor& grad, torch::Tensor& out, double scale) {
  check(probs, "probabilities");
  check(grad, "gradient");
  check(out, "output");
  if (grad.sizes() != probs.sizes() || out.sizes() != probs.sizes() || grad.scalar_type() != probs.scalar_type() ||
      out.scalar_type() != probs.scalar_type())
    throw std::invalid_argument("causal softmax: gradient " + c10::str(grad.sizes()) + " or output " + c10::str(out.sizes()) +
                                " does not match the probabilities " + c10::str(probs.sizes()));
  const int64_t T = probs.size(-1), rows = probs.numel() / std::max<int64_t>(T, 1);
  AT_DISPATCH_FLOATING_TYPES(probs.scalar_type(), "acodm_causal_softmax_backward", [&] {
    const scalar_t* p = probs.data_ptr<scalar_t>();
    const scalar_t* g = grad.data_ptr<scalar_t>();
    scalar_t* o = out.data_ptr<scalar_t>();
    eachRow(rows, T, [&](int64_t r, int64_t len) { backwardRow(p + r * T, g + r * T, o + r * T, len, T, static_cast<scalar_t>(scale)); });
  });
}

torch::Tensor causalSoftmax_(torch::Tensor scores, double scale) {
  check(scores, "scores");
  return CausalSoftmaxFunction::apply(scores, scale);
}

}  // namespace acodm
