// The chunked LM head + cross-entropy against the plain path (full logits, libtorch's log-softmax + NLL) on random
// inputs at awkward sizes: token counts that are not a multiple of the chunk, a prime vocabulary, chunks of one
// token and of more than all of them; both kernels, float32 and float64, uniform and per-token upstream weights.
#include "lm_head_loss.h"

#include <gtest/gtest.h>
#include <torch/version.h>

#include <cmath>
#include <string>
#include <vector>

#include "acodm/model.h"

namespace {

using acodm::LmHeadKernel;
using acodm::LmHeadLossOptions;

// max |a - b| / max |b|: one relative tolerance per tensor, robust to entries near zero.
double relativeError(const torch::Tensor& a, const torch::Tensor& b) {
  auto diff = (a.to(torch::kFloat64) - b.to(torch::kFloat64)).abs().max().item<double>();
  auto scale = b.to(torch::kFloat64).abs().max().item<double>();
  return diff / std::max(scale, 1e-30);
}

// The mean loss and every parameter's gradient of model b against model a's on the same 51 tokens (3 windows
// of 17: 7 chunks of 7 and a tail of 2).
void expectSameLossAndGradients(acodm::Model& a, acodm::Model& b, double tolerance) {
  const int64_t batch = 3, window = 18;
  std::vector<int32_t> tokens(static_cast<size_t>(batch * window));
  for (size_t i = 0; i < tokens.size(); ++i) tokens[i] = static_cast<int32_t>((i * 7919 + 13) % 1000);
  const double la = a.lossAndGradients(tokens.data(), batch, window);
  const double lb = b.lossAndGradients(tokens.data(), batch, window);
  EXPECT_NEAR(lb, la, tolerance * la);
  for (int i = 0; i < a.numParameterTensors(); ++i) {
    const auto name = a.parameterName(i);
    const int64_t n = a.parameterSize(name);
    std::vector<float> ga(static_cast<size_t>(n)), gb(static_cast<size_t>(n));
    a.getGradient(name, ga.data(), n);
    b.getGradient(name, gb.data(), n);
    EXPECT_LE(relativeError(torch::from_blob(gb.data(), {n}), torch::from_blob(ga.data(), {n})), tolerance) << name;
  }
}

struct Inputs {
  torch::Tensor x, w, targets, weights;
};

// Hidden states with the spread of a trained model's (logits of several units), never zeros.
Inputs inputs(int64_t n, int64_t d, int64_t v, torch::ScalarType dtype, uint64_t seed) {
  auto gen = at::detail::createCPUGenerator(seed);
  auto opts = torch::TensorOptions().dtype(dtype);
  Inputs in;
  in.x = torch::empty({n, d}, opts).normal_(0.0, 1.0, gen);
  in.w = torch::empty({v, d}, opts).normal_(0.0, 2.0 / std::sqrt(static_cast<double>(d)), gen);
  in.targets = torch::randint(0, v, {n}, gen, torch::TensorOptions().dtype(torch::kInt64));
  in.weights = torch::empty({n}, opts).uniform_(0.1, 2.0, gen);
  return in;
}

struct Result {
  torch::Tensor losses, dx, dw;
};

// Losses and the gradients of sum_i g_i loss_i (g: nullptr for the plain sum, every g_i = 1).
Result evaluate(const Inputs& in, const torch::Tensor* g, const LmHeadLossOptions* chunked) {
  auto x = in.x.clone().set_requires_grad(true);
  auto w = in.w.clone().set_requires_grad(true);
  auto losses = chunked ? acodm::chunkedLmHeadLoss(x, w, in.targets, *chunked) : acodm::plainLmHeadLoss(x, w, in.targets);
  auto total = g ? (losses * *g).sum() : losses.sum() / static_cast<double>(losses.numel());
  total.backward();
  return {losses.detach(), x.grad(), w.grad()};
}

struct Case {
  int64_t n, d, v, chunk;
  LmHeadKernel kernel;
  torch::ScalarType dtype;
};

std::string describe(const Case& c) {
  return "N " + std::to_string(c.n) + ", d " + std::to_string(c.d) + ", V " + std::to_string(c.v) + ", chunk " +
         std::to_string(c.chunk) + (c.kernel == LmHeadKernel::kRows ? ", rows" : ", tensor") +
         (c.dtype == torch::kFloat64 ? ", float64" : ", float32");
}

std::vector<Case> cases() {
  std::vector<Case> out;
  for (auto dtype : {torch::kFloat32, torch::kFloat64})
    for (auto kernel : {LmHeadKernel::kRows, LmHeadKernel::kTensor}) {
      out.push_back({13, 7, 1009, 4, kernel, dtype});    // 3 full chunks and a tail of 1; a prime vocabulary
      out.push_back({13, 7, 1009, 1, kernel, dtype});    // one token per chunk
      out.push_back({13, 7, 1009, 64, kernel, dtype});   // one chunk larger than all the tokens
      out.push_back({1, 5, 7, 3, kernel, dtype});        // a single token, a tiny vocabulary
      out.push_back({300, 16, 65537, 128, kernel, dtype}); // a prime above 2^16, a tail of 44
    }
  return out;
}

double tolerance(torch::ScalarType dtype) { return dtype == torch::kFloat64 ? 1e-12 : 1e-5; }

TEST(ChunkedLmHeadLoss, LossAndGradientsEqualThePlainPathForAMeanLoss) {
  for (const Case& c : cases()) {
    Inputs in = inputs(c.n, c.d, c.v, c.dtype, 11 + static_cast<uint64_t>(c.n * c.chunk));
    LmHeadLossOptions o{c.chunk, c.dtype, c.kernel};
    Result plain = evaluate(in, nullptr, nullptr), chunked = evaluate(in, nullptr, &o);
    const double tol = tolerance(c.dtype);
    EXPECT_LE(relativeError(chunked.losses, plain.losses), tol) << describe(c) << ": losses";
    EXPECT_LE(relativeError(chunked.dx, plain.dx), tol) << describe(c) << ": d/dx";
    EXPECT_LE(relativeError(chunked.dw, plain.dw), tol) << describe(c) << ": d/dW";
    EXPECT_EQ(chunked.dx.scalar_type(), c.dtype);
    EXPECT_EQ(chunked.dw.scalar_type(), c.dtype);
  }
}

// Per-token upstream weights (what the per-domain backward passes of the alignment reference send): dW is then
// recomputed chunk by chunk rather than scaled.
TEST(ChunkedLmHeadLoss, GradientsEqualThePlainPathForPerTokenWeights) {
  for (const Case& c : cases()) {
    Inputs in = inputs(c.n, c.d, c.v, c.dtype, 23 + static_cast<uint64_t>(c.n * c.chunk));
    LmHeadLossOptions o{c.chunk, c.dtype, c.kernel};
    Result plain = evaluate(in, &in.weights, nullptr), chunked = evaluate(in, &in.weights, &o);
    const double tol = tolerance(c.dtype);
    EXPECT_LE(relativeError(chunked.dx, plain.dx), tol) << describe(c) << ": d/dx";
    EXPECT_LE(relativeError(chunked.dw, plain.dw), tol) << describe(c) << ": d/dW";
  }
}

TEST(ChunkedLmHeadLoss, GradientOfXAloneAndNoGradientsWithoutGradMode) {
  Inputs in = inputs(29, 8, 1009, torch::kFloat32, 5);
  LmHeadLossOptions o{6, torch::kFloat32, LmHeadKernel::kRows};
  auto x = in.x.clone().set_requires_grad(true);
  auto dx = torch::autograd::grad({(acodm::chunkedLmHeadLoss(x, in.w, in.targets, o) * in.weights).sum()}, {x})[0];
  auto xp = in.x.clone().set_requires_grad(true);
  auto dxp = torch::autograd::grad({(acodm::plainLmHeadLoss(xp, in.w, in.targets) * in.weights).sum()}, {xp})[0];
  EXPECT_LE(relativeError(dx, dxp), 1e-5);
  torch::NoGradGuard no_grad;
  auto losses = acodm::chunkedLmHeadLoss(in.x, in.w, in.targets, o);
  EXPECT_FALSE(losses.requires_grad());
  EXPECT_LE(relativeError(losses, acodm::plainLmHeadLoss(in.x, in.w, in.targets)), 1e-5);
}

// Confident predictions: the target's probability underflows float32 (log p < -104), where a loss taken as
// -log(softmax) would be infinite; logsumexp - logit stays exact.
TEST(ChunkedLmHeadLoss, HugeLossesStayFinite) {
  Inputs in = inputs(9, 4, 101, torch::kFloat32, 3);
  in.x.mul_(60.0);
  LmHeadLossOptions o{4, torch::kFloat32, LmHeadKernel::kRows};
  auto chunked = acodm::chunkedLmHeadLoss(in.x, in.w, in.targets, o), plain = acodm::plainLmHeadLoss(in.x, in.w, in.targets);
  EXPECT_GT(plain.max().item<double>(), 150.0);
  EXPECT_TRUE(torch::isfinite(chunked).all().item<bool>());
  EXPECT_LE(relativeError(chunked, plain), 1e-5);
}

TEST(ChunkedLmHeadLoss, BadArgumentsAreErrors) {
  Inputs in = inputs(4, 3, 11, torch::kFloat32, 1);
  EXPECT_THROW(acodm::chunkedLmHeadLoss(in.x, in.w, in.targets, LmHeadLossOptions{0, torch::kFloat32, LmHeadKernel::kAuto}),
               std::invalid_argument);
  EXPECT_THROW(acodm::chunkedLmHeadLoss(in.x, in.w.narrow(1, 0, 2), in.targets, LmHeadLossOptions{}), std::invalid_argument);
  EXPECT_THROW(acodm::chunkedLmHeadLoss(in.x, in.w, in.targets.to(torch::kInt32), LmHeadLossOptions{}), std::invalid_argument);
}

// Through the model: a train-step-shaped loss and every parameter's gradient, chunked (a chunk that does not
// divide B*T) against the plain path.
TEST(ChunkedLmHeadLoss, ModelGradientsEqualThePlainPath) {
  acodm::Model plain("tiny:vocab=1000", 3, "cpu"), chunked("tiny:vocab=1000", 3, "cpu");
  plain.setLossChunk(0);
  chunked.setLossChunk(7);
  EXPECT_EQ(chunked.lossChunk(), 7);
  EXPECT_THROW(chunked.setLossChunk(-1), std::invalid_argument);
  expectSameLossAndGradients(plain, chunked, 1e-5);
}

// On a GPU (skipped without one): the chunked LM-head loss and, on libtorch 2.x, the fused attention against the
// plain paths of the same model, at bf16 autocast tolerance.
TEST(FusedPathsOnGpu, MatchThePlainPaths) {
  if (acodm::cudaDeviceCount() == 0) GTEST_SKIP() << "no CUDA device visible";
  acodm::Model plain("tiny:vocab=1000", 3, "cuda"), fused("tiny:vocab=1000", 3, "cuda");
  plain.setLossChunk(0);
  plain.setFusedAttention(false);
  fused.setLossChunk(7);
  EXPECT_FALSE(plain.fusedAttentionActive());
  EXPECT_EQ(fused.fusedAttentionActive(), TORCH_VERSION_MAJOR >= 2);
  expectSameLossAndGradients(plain, fused, 2e-2);
}

}  // namespace
