// Attention probabilities on the CPU without a mask tensor or a second T x T buffer: softmax(scale * scores) over each
// row's causal prefix (key j <= query i), written over the scores themselves, zeros above the diagonal; and its
// backward, which reads the probabilities and the output gradient and touches only the prefix as well.
#pragma once

#include <torch/torch.h>

namespace acodm {

// An autograd op on a contiguous CPU float32 / float64 tensor [..., T, T] that no other op needs afterwards (the fresh
// product q kᵀ): overwrites it with the probabilities and returns it. Its gradient is scale · P ∘ (dP − rowsum(dP ∘ P))
// on the prefix, 0 above it. Throws std::invalid_argument for other devices, dtypes, layouts or non-square blocks.
torch::Tensor causalSoftmax_(torch::Tensor scores, double scale);

// The raw kernels, one row per query position; exposed for the tests, which check them against the masked
// torch::softmax and its autograd gradient.
void causalSoftmaxForwardCpu(torch::Tensor& scores, double scale);
// out = the gradient of the scores from grad = dP and the forward's output probs; out may be grad itself.
void causalSoftmaxBackwardCpu(const torch::Tensor& probs, const torch::Tensor& grad, torch::Tensor& out, double scale);

}  // namespace acodm
