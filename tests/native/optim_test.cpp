// The shared optimizer unit against libtorch's own torch::optim (AdamW and Adam with L2 decay), the schedule,
// gradient clipping, and the settings' checkpoint form.
#include "optim.h"

#include <gtest/gtest.h>

#include <cmath>
#include <stdexcept>
#include <vector>

namespace {

using acodm::OptimizerSettings;

// Two matrices and two vectors in float64, and the same values again for torch::optim.
struct Twins {
  std::vector<torch::Tensor> ours, theirs;
  explicit Twins(uint64_t seed) {
    auto gen = at::detail::createCPUGenerator(seed);
    for (auto size : std::vector<std::vector<int64_t>>{{7, 5}, {13}, {3, 11}, {1}}) {
      auto t = torch::empty(size, torch::kFloat64);
      t.normal_(0, 1, gen);
      ours.push_back(t.clone().set_requires_grad(true));
      theirs.push_back(t.clone().set_requires_grad(true));
    }
  }
  // The same random gradient on both copies.
  void setGradients(uint64_t seed) {
    auto gen = at::detail::createCPUGenerator(seed);
    for (size_t i = 0; i < ours.size(); ++i) {
      auto g = torch::empty(ours[i].sizes(), torch::kFloat64);
      g.normal_(0, 1, gen);
      ours[i].mutable_grad() = g.clone();
      theirs[i].mutable_grad() = g.clone();
    }
  }
};

OptimizerSettings constantRate(double lr, double wd, bool decoupled) {
  OptimizerSettings s;
  s.max_lr = s.min_lr = lr;  // a flat schedule: torch::optim has none
  s.warmup = 0;
  s.total = 100;
  s.weight_decay = wd;
  s.beta1 = 0.8;
  s.beta2 = 0.95;
  s.eps = 1e-8;
  s.decoupled = decoupled;
  return s;
}

// torch.optim applies decay to every tensor it is given; ours to matrices only, so the vectors go into a
// group without decay.
template <class Options, class Optimizer>
void compareWithTorch(bool decoupled) {
  const double lr = 1e-2, wd = 0.1;
  Twins t(3);
  auto opts = [&](double decay) {
    Options o(lr);
    o.betas({0.8, 0.95}).eps(1e-8).weight_decay(decay);
    return std::make_unique<Options>(o);
  };
  std::vector<torch::optim::OptimizerParamGroup> groups;
  groups.emplace_back(std::vector<torch::Tensor>{t.theirs[0], t.theirs[2]}, opts(wd));
  groups.emplace_back(std::vector<torch::Tensor>{t.theirs[1], t.theirs[3]}, opts(0.0));
  Optimizer reference(groups, *opts(0.0));
  acodm::Adam adam;
  adam.reset(t.ours);
  const auto settings = constantRate(lr, wd, decoupled);
  for (int step = 0; step < 6; ++step) {
    t.setGradients(100 + step);
    EXPECT_DOUBLE_EQ(adam.step(t.ours, settings), lr);
    reference.step();
  }
  EXPECT_EQ(adam.steps(), 6);
  for (size_t i = 0; i < t.ours.size(); ++i) {
    const double err = (t.ours[i] - t.theirs[i]).abs().max().item<double>();
    EXPECT_LT(err, 1e-12) << "tensor " << i;
    // And the update did something: the comparison is not of untouched tensors.
    EXPECT_GT((t.ours[i] - Twins(3).ours[i]).abs().max().item<double>(), 1e-3) << "tensor " << i;
  }
}

TEST(Adam, DecoupledMatchesTorchOptimAdamW) { compareWithTorch<torch::optim::AdamWOptions, torch::optim::AdamW>(true); }

TEST(Adam, L2MatchesTorchOptimAdamWithWeightDecay) { compareWithTorch<torch::optim::AdamOptions, torch::optim::Adam>(false); }

TEST(Adam, SkipsParametersWithoutGradientsAndNeedsMatchingMoments) {
  Twins t(5);
  acodm::Adam adam;
  adam.reset(t.ours);
  t.setGradients(9);
  t.ours[1].mutable_grad() = torch::Tensor();
  auto before = t.ours[1].detach().clone();
  adam.step(t.ours, constantRate(1e-2, 0.1, true));
  EXPECT_TRUE(t.ours[1].detach().equal(before));
  EXPECT_FALSE(t.ours[0].detach().equal(Twins(5).ours[0].detach()));
  EXPECT_THROW(adam.step({t.ours[0]}, constantRate(1e-2, 0.1, true)), std::logic_error);
}

TEST(Schedule, WarmupThenCosineThenFlat) {
  OptimizerSettings s;
  s.max_lr = 1e-3;
  s.min_lr = 1e-4;
  s.warmup = 10;
  s.total = 110;
  EXPECT_DOUBLE_EQ(s.learningRate(0), 1e-4);
  EXPECT_DOUBLE_EQ(s.learningRate(4), 5e-4);
  EXPECT_DOUBLE_EQ(s.learningRate(9), 1e-3);
  EXPECT_DOUBLE_EQ(s.learningRate(10), 1e-3);
  EXPECT_NEAR(s.learningRate(60), 0.55e-3, 1e-15);
  EXPECT_NEAR(s.learningRate(35), 1e-4 + 0.45e-3 * (1 + std::cos(M_PI / 4)), 1e-15);
  EXPECT_DOUBLE_EQ(s.learningRate(110), 1e-4);
  EXPECT_DOUBLE_EQ(s.learningRate(5000), 1e-4);
  s.warmup = 0;
  EXPECT_DOUBLE_EQ(s.learningRate(0), 1e-3);
}

TEST(ClipGradNorm, ScalesToTheLimitAndReportsTheNormBefore) {
  auto a = torch::zeros({2}, torch::kFloat64).set_requires_grad(true);
  auto b = torch::zeros({2, 1}, torch::kFloat64).set_requires_grad(true);
  auto c = torch::zeros({3}, torch::kFloat64).set_requires_grad(true);  // no gradient: left out
  a.mutable_grad() = torch::tensor({3.0, 0.0}, torch::kFloat64);
  b.mutable_grad() = torch::tensor({{0.0}, {4.0}}, torch::kFloat64);
  EXPECT_DOUBLE_EQ(acodm::clipGradNorm({a, b, c}, 0), 5.0);  // measures only
  EXPECT_DOUBLE_EQ(a.grad()[0].item<double>(), 3.0);
  EXPECT_DOUBLE_EQ(acodm::clipGradNorm({a, b, c}, 10.0), 5.0);  // under the limit: unchanged
  EXPECT_DOUBLE_EQ(a.grad()[0].item<double>(), 3.0);
  EXPECT_DOUBLE_EQ(acodm::clipGradNorm({a, b, c}, 1.0), 5.0);
  EXPECT_NEAR(a.grad()[0].item<double>(), 3.0 / (5.0 + 1e-6), 1e-15);
  EXPECT_NEAR(b.grad()[1][0].item<double>(), 4.0 / (5.0 + 1e-6), 1e-15);
  EXPECT_FALSE(c.grad().defined());
  acodm::clearGrads({a, b, c});
  EXPECT_FALSE(a.grad().defined());
  EXPECT_FALSE(b.grad().defined());
  EXPECT_DOUBLE_EQ(acodm::clipGradNorm({a, b, c}, 1.0), 0.0);
}

TEST(OptimizerSettings, TensorFormKeepsEveryFieldOfEitherLayout) {
  OptimizerSettings s = constantRate(2e-3, 0.05, false);
  s.min_lr = 2e-4;
  s.warmup = 7;
  s.total = 1234567;
  s.grad_clip = 0.5;
  auto model = OptimizerSettings::fromTensor(s.toTensor(OptimizerSettings::LastField::kGradClip),
                                             OptimizerSettings::LastField::kGradClip, "test");
  EXPECT_EQ(model.grad_clip, 0.5);
  EXPECT_TRUE(model.decoupled);  // the model is always AdamW
  auto agent = OptimizerSettings::fromTensor(s.toTensor(OptimizerSettings::LastField::kDecoupled),
                                             OptimizerSettings::LastField::kDecoupled, "test");
  EXPECT_FALSE(agent.decoupled);
  EXPECT_EQ(agent.grad_clip, 0.0);  // the agent never clips
  for (const auto& r : {model, agent}) {
    EXPECT_EQ(r.max_lr, 2e-3);
    EXPECT_EQ(r.min_lr, 2e-4);
    EXPECT_EQ(r.warmup, 7);
    EXPECT_EQ(r.total, 1234567);
    EXPECT_EQ(r.weight_decay, 0.05);
    EXPECT_EQ(r.beta1, 0.8);
    EXPECT_EQ(r.beta2, 0.95);
    EXPECT_EQ(r.eps, 1e-8);
  }
  try {
    OptimizerSettings::fromTensor(torch::zeros({8}, torch::kFloat64), OptimizerSettings::LastField::kGradClip, "ckpt x");
    FAIL() << "8 values accepted";
  } catch (const std::runtime_error& e) {
    EXPECT_EQ(std::string(e.what()), "ckpt x: the optimizer settings are not 9 float64 values");
  }
}

}  // namespace
