#include "lm_head_loss.h"

#include <ATen/Dispatch.h>
#include <ATen/Parallel.h>

#include <cmath>
#include <stdexcept>
#include <string>

namespace acodm {
namespace {

// One chunk's softmax cross-entropy, row by row, in place: losses[i] = logsumexp(row_i) − row_i[t_i]; with grad,
// row_i becomes softmax(row_i) − onehot(t_i), scaled by weights[i] when weights are given. A row of the LM head
// (V floats, 200 KB for V = 50,304) stays in the core's L2 cache across the five passes, so the chunk is read
// from memory once and written once. The rows are split over the threads; the ops inside run single-threaded
// there (and vectorised by libtorch).
void softmaxRows(const torch::Tensor& logits, const torch::Tensor& targets, const torch::Tensor& losses, bool grad,
                 const torch::Tensor& weights) {
  const int64_t n = logits.size(0), V = logits.size(1);
  const int64_t* t = targets.data_ptr<int64_t>();
  AT_DISPATCH_FLOATING_TYPES(logits.scalar_type(), "acodm_lm_head_rows", [&] {
    scalar_t* base = logits.data_ptr<scalar_t>();
    scalar_t* out = losses.data_ptr<scalar_t>();
    const scalar_t* w = weights.defined() ? weights.data_ptr<scalar_t>() : nullptr;
    at::parallel_for(0, n, 1, [&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; ++i) {
        auto row = logits.select(0, i);
        const double target = static_cast<double>(base[i * V + t[i]]);
        const double top = row.max().item<double>();
        row.sub_(top).exp_();
        const double sum = row.sum().item<double>();
        out[i] = static_cast<scalar_t>(top + std::log(sum) - target);
        if (!grad) continue;
        row.mul_(1.0 / sum);
        base[i * V + t[i]] -= scalar_t(1);
        if (w != nullptr) row.mul_(w[i]);
      }
    });
  });
}

// The same with whole-chunk tensor ops (one kernel launch per op on a GPU). Returns the losses and, with grad,
// softmax − onehot (times the row weights when given) in the accumulation dtype.
std::pair<torch::Tensor, torch::Tensor> softmaxTensor(const torch::Tensor& logits, const torch::Tensor& targets,
                                                     torch::ScalarType acc, bool grad, const torch::Tensor& weights) {
  auto l = logits.to(acc);
  auto lse = at::logsumexp(l, {1});
  auto index = targets.unsqueeze(1);
  auto losses = lse - l.gather(1, index).squeeze(1);
  if (!grad) return {losses, torch::Tensor()};
  auto d = (l - lse.unsqueeze(1)).exp_();
  d.scatter_add_(1, index, torch::full({l.size(0), 1}, -1.0, d.options()));
  if (weights.defined()) d.mul_(weights.unsqueeze(1));
  return {losses, d};
}

struct Pass {
  torch::Tensor losses, dx, dw;
};

// Runs the chunks. grad: also dX (unless !want_dx) and dW, for unit upstream weights or for `weights` [N].
Pass run(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& targets, const LmHeadLossOptions& o,
         bool grad, const torch::Tensor& weights, bool want_dx) {
  torch::NoGradGuard no_grad;
  const int64_t n = x.size(0), d = x.size(1), V = weight.size(0);
  const auto acc = x.scalar_type() == torch::kFloat64 ? torch::kFloat64 : torch::kFloat32;
  const bool rows = o.kernel == LmHeadKernel::kRows || (o.kernel == LmHeadKernel::kAuto && x.device().is_cpu());
  const auto mt = rows ? acc : o.matmul;  // the row kernel works in place on logits of the accumulation dtype
  if (rows && !x.device().is_cpu()) throw std::invalid_argument("the row kernel of the chunked LM-head loss runs on the CPU only");
  auto xm = x.to(mt).contiguous();
  auto wm = weight.to(mt).contiguous();
  auto tg = targets.contiguous();
  auto w8 = weights.defined() ? weights.to(acc).contiguous() : torch::Tensor();
  Pass p;
  p.losses = torch::empty({n}, x.options().dtype(acc));
  if (grad) {
    if (want_dx) p.dx = torch::empty({n, d}, x.options().dtype(acc));
    p.dw = torch::zeros({V, d}, weight.options().dtype(acc));
  }
  // One buffer for every chunk's logits (CPU): reused, so its pages are faulted in once per call.
  torch::Tensor buffer = rows ? torch::empty({std::min(o.chunk, n), V}, xm.options()) : torch::Tensor();
  for (int64_t c0 = 0; c0 < n; c0 += o.chunk) {
    const int64_t c = std::min(o.chunk, n - c0);
    auto xc = xm.narrow(0, c0, c);
    auto tc = tg.narrow(0, c0, c);
    auto wc = w8.defined() ? w8.narrow(0, c0, c) : torch::Tensor();
    if (rows) {
      auto logits = buffer.narrow(0, 0, c);
      at::mm_out(logits, xc, wm.t());
      softmaxRows(logits, tc, p.losses.narrow(0, c0, c), grad, wc);
      if (!grad) continue;
      if (want_dx) {
        auto dxc = p.dx.narrow(0, c0, c);
        at::mm_out(dxc, logits, wm);
      }
      p.dw.addmm_(logits.t(), xc);
    } else {
      auto [losses, dl] = softmaxTensor(at::mm(xc, wm.t()), tc, acc, grad, wc);
      p.losses.narrow(0, c0, c).copy_(losses);
      if (!grad) continue;
      auto dm = dl.to(mt);
      if (want_dx) p.dx.narrow(0, c0, c).copy_(at::mm(dm, wm));
      p.dw.add_(at::mm(dm.t(), xc));
    }
  }
  return p;
}

class ChunkedLmHeadLoss : public torch::autograd::Function<ChunkedLmHeadLoss> {
 public:
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& x, const torch::Tensor& weight,
                               const torch::Tensor& targets, int64_t chunk, int64_t matmul, int64_t kernel, bool grad) {
    LmHeadLossOptions o{chunk, static_cast<torch::ScalarType>(matmul), static_cast<LmHeadKernel>(kernel)};
    Pass p = run(x, weight, targets, o, grad, torch::Tensor(), true);
    if (grad) {
      ctx->save_for_backward({x, weight});
      ctx->saved_data["targets"] = targets;
      ctx->saved_data["dx"] = p.dx;
      ctx->saved_data["dw"] = p.dw;
      ctx->saved_data["chunk"] = chunk;
      ctx->saved_data["matmul"] = matmul;
      ctx->saved_data["kernel"] = kernel;
    }
    return p.losses;
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grads) {
    auto g = grads[0];
    if (!ctx->saved_data.count("dx")) throw std::runtime_error("chunked LM-head loss: backward through a forward run without gradients");
    auto dx1 = ctx->saved_data["dx"].toTensor();
    auto dw1 = ctx->saved_data["dw"].toTensor();
    const bool need_x = ctx->needs_input_grad(0), need_w = ctx->needs_input_grad(1);
    torch::Tensor dx, dw;
    const bool uniform = g.numel() > 0 && g.min().item<double>() == g.max().item<double>();
    if (uniform) {
      // Every token carries the same upstream weight c: the gradients are c times the unit-weight ones.
      auto c = g.reshape({-1})[0];
      if (need_x) dx = (dx1 * c).to(dx1.scalar_type());
      if (need_w) dw = (dw1 * c).to(dw1.scalar_type());
    } else {
      // dX's rows scale exactly; dW = Σ_i g_i D_iᵀ x_i does not factor, so the chunks are recomputed with g.
      if (need_x) dx = dx1 * g.to(dx1.scalar_type()).unsqueeze(1);
      if (need_w) {
        auto saved = ctx->get_saved_variables();
        LmHeadLossOptions o{ctx->saved_data["chunk"].toInt(), static_cast<torch::ScalarType>(ctx->saved_data["matmul"].toInt()),
                            static_cast<LmHeadKernel>(ctx->saved_data["kernel"].toInt())};
        dw = run(saved[0], saved[1], ctx->saved_data["targets"].toTensor(), o, true, g, false).dw;
      }
    }
    if (dx.defined()) dx = dx.to(ctx->get_saved_variables()[0].scalar_type());
    if (dw.defined()) dw = dw.to(ctx->get_saved_variables()[1].scalar_type());
    return {dx, dw, torch::Tensor(), torch::Tensor(), torch::Tensor(), torch::Tensor(), torch::Tensor()};
  }
};

void check(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& targets) {
  if (x.dim() != 2 || weight.dim() != 2 || x.size(1) != weight.size(1) || targets.dim() != 1 || targets.size(0) != x.size(0) ||
      targets.scalar_type() != torch::kInt64)
    throw std::invalid_argument("LM-head loss: expected x [N, d], weight [V, d], int64 targets [N]");
}

}  // namespace

torch::Tensor chunkedLmHeadLoss(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& targets,
                                const LmHeadLossOptions& options) {
  check(x, weight, targets);
  if (options.chunk < 1) throw std::invalid_argument("LM-head loss chunk must be >= 1 token, got " + std::to_string(options.chunk));
  const bool grad = torch::GradMode::is_enabled() && (x.requires_grad() || weight.requires_grad());
  return ChunkedLmHeadLoss::apply(x, weight, targets, options.chunk, static_cast<int64_t>(options.matmul),
                                  static_cast<int64_t>(options.kernel), grad);
}

torch::Tensor plainLmHeadLoss(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& targets) {
  check(x, weight, targets);
  auto acc = x.scalar_type() == torch::kFloat64 ? torch::kFloat64 : torch::kFloat32;
  auto logits = torch::linear(x, weight);
  return at::cross_entropy_loss(logits.to(acc), targets, {}, at::Reduction::None);
}

}  // namespace acodm
