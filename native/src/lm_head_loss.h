// The LM head and its cross-entropy in chunks of tokens, never holding the B·T × V logits, forward or backward.
// Per chunk of C tokens: logits = x_c Wᵀ, loss_i = logsumexp(logits_i) − logits_i[t_i] and, when a gradient will
// be wanted, right away the gradient for a unit upstream weight: D = softmax − onehot, dX_c = D W, dW += Dᵀ x_c.
// The backward scales those by the upstream gradient when it is the same for every token (a mean or a sum over
// tokens: every train step does that), and otherwise recomputes the chunks with per-token weights, so it is exact
// for any upstream gradient. The same products as the plain path (x Wᵀ, then its two gradients), in pieces.
#pragma once

#include <torch/torch.h>

namespace acodm {

// How a chunk's softmax cross-entropy runs. kRows: row by row in place, the row in the core's cache (CPU);
// kTensor: whole-chunk tensor ops (GPU; on the CPU only for tests). kAuto: kRows on the CPU, else kTensor.
enum class LmHeadKernel { kAuto, kRows, kTensor };

struct LmHeadLossOptions {
  int64_t chunk = 256;                          // tokens per chunk, >= 1
  torch::ScalarType matmul = torch::kFloat32;   // dtype of the matrix products (bf16 under GPU autocast)
  LmHeadKernel kernel = LmHeadKernel::kAuto;
};

// Per-token losses [N] (float32, or float64 for float64 x) of hidden states x [N, d] against targets [N] (int64,
// in [0, V)) through the LM head weight [V, d]; differentiable with respect to x and weight (first order).
torch::Tensor chunkedLmHeadLoss(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& targets,
                                const LmHeadLossOptions& options);

// The plain path, the reference the chunked one is tested against: the full logits x Wᵀ, then libtorch's fused
// log-softmax + NLL per token.
torch::Tensor plainLmHeadLoss(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& targets);

}  // namespace acodm
