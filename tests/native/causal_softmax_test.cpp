// The in-place causal softmax of attention (causal_softmax.h) against the masked torch::softmax and its autograd
// gradient, on awkward lengths (loop tails of the 4-lane rows), in float32 and float64.
#include "causal_softmax.h"

#include <ATen/Parallel.h>
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <stdexcept>

namespace {

// softmax(scale · x) with the keys after each query masked out: the plain path the kernel replaces.
torch::Tensor reference(const torch::Tensor& x, double scale) {
  const int64_t T = x.size(-1);
  auto mask = torch::ones({T, T}, torch::kBool).triu(1);
  return torch::softmax((x * scale).masked_fill(mask, -std::numeric_limits<double>::infinity()), -1);
}

// Scores with the spread of real attention logits (several units), never zeros.
torch::Tensor scores(int64_t blocks, int64_t T, torch::ScalarType type, uint64_t seed) {
  auto gen = at::detail::createCPUGenerator(seed);
  return torch::empty({blocks, T, T}, torch::kFloat64).normal_(0.0, 3.0, gen).to(type);
}

double maxAbs(const torch::Tensor& a, const torch::Tensor& b) { return (a.to(torch::kFloat64) - b.to(torch::kFloat64)).abs().max().item<double>(); }

class CausalSoftmax : public ::testing::TestWithParam<int64_t> {};

TEST_P(CausalSoftmax, ForwardMatchesTheMaskedSoftmax) {
  const int64_t T = GetParam();
  const double scale = 0.37;
  for (auto type : {torch::kFloat32, torch::kFloat64}) {
    auto x = scores(3, T, type, 7 + T);
    auto want = reference(x.to(torch::kFloat64), scale);
    auto got = x.clone();
    acodm::causalSoftmaxForwardCpu(got, scale);
    EXPECT_LT(maxAbs(got, want), type == torch::kFloat32 ? 1e-6 : 1e-14) << "T " << T << " " << x.scalar_type();
    // Exact zeros above the diagonal; each row sums to 1.
    EXPECT_EQ(got.triu(1).abs().max().item<double>(), 0.0);
    EXPECT_LT((got.to(torch::kFloat64).sum(-1) - 1).abs().max().item<double>(), type == torch::kFloat32 ? 1e-6 : 1e-14);
  }
}

TEST_P(CausalSoftmax, GradientMatchesAutogradOfTheMaskedSoftmax) {
  const int64_t T = GetParam();
  const double scale = 1.0 / std::sqrt(13.0);
  for (auto type : {torch::kFloat32, torch::kFloat64}) {
    auto x = scores(2, T, type, 100 + T);
    auto upstream = scores(2, T, type, 200 + T);  // a random dL/dP
    auto a = x.clone().set_requires_grad(true);
    (reference(a, scale) * upstream).sum().backward();
    // Through the autograd op, on a fresh non-leaf tensor (as q kᵀ is in the model).
    auto b = x.clone().set_requires_grad(true);
    auto probs = acodm::causalSoftmax_(b * 1.0, scale);
    (probs * upstream).sum().backward();
    const double tol = type == torch::kFloat32 ? 2e-5 : 1e-12;
    EXPECT_LT(maxAbs(b.grad(), a.grad()), tol * std::max(1.0, a.grad().abs().max().item<double>())) << "T " << T << " " << x.scalar_type();
    EXPECT_EQ(b.grad().triu(1).abs().max().item<double>(), 0.0);
  }
}

INSTANTIATE_TEST_SUITE_P(AwkwardLengths, CausalSoftmax, ::testing::Values(1, 2, 3, 4, 5, 7, 13, 64, 257));

TEST(CausalSoftmaxKernel, SameBitsOnAnyThreadCount) {
  auto x = scores(16, 33, torch::kFloat32, 5);
  const int before = at::get_num_threads();
  auto one = x.clone(), two = x.clone();
  at::set_num_threads(1);
  acodm::causalSoftmaxForwardCpu(one, 0.5);
  at::set_num_threads(2);
  acodm::causalSoftmaxForwardCpu(two, 0.5);
  at::set_num_threads(before);
  EXPECT_TRUE(one.equal(two));
}

TEST(CausalSoftmaxKernel, FarBelowTheRowMaximumIsZeroNotNaN) {
  auto x = torch::zeros({1, 5, 5}, torch::kFloat32);
  x[0][4][0] = 1e4f;  // the other keys of the last query sit 1e4 below it: e^-1e4 underflows
  acodm::causalSoftmaxForwardCpu(x, 1.0);
  EXPECT_FALSE(x.isnan().any().item<bool>());
  EXPECT_NEAR(x[0][4][0].item<float>(), 1.0f, 1e-7);
  EXPECT_LT(x[0][4][1].item<float>(), 1e-30f);
}

TEST(CausalSoftmaxKernel, RefusesWhatItCannotDo) {
  auto rect = torch::zeros({2, 3, 4});
  EXPECT_THROW(acodm::causalSoftmaxForwardCpu(rect, 1.0), std::invalid_argument);
  auto strided = torch::zeros({2, 4, 4}).transpose(1, 2);
  EXPECT_THROW(acodm::causalSoftmaxForwardCpu(strided, 1.0), std::invalid_argument);
  auto half = torch::zeros({2, 4, 4}, torch::kBFloat16);
  EXPECT_THROW(acodm::causalSoftmaxForwardCpu(half, 1.0), std::invalid_argument);
}

}  // namespace
