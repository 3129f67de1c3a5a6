// The shared optimizer unit against libtorch's own torch::optim (AdamW and Adam with L2 decay), its fused CPU pass
// against the tensor-op form, the schedule, gradient clipping, and the settings' checkpoint form.
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

TEST(GradNorm, IsTheGlobalNormAndClipScaleBringsItToTheLimit) {
  auto a = torch::zeros({2}, torch::kFloat64).set_requires_grad(true);
  auto b = torch::zeros({2, 1}, torch::kFloat64).set_requires_grad(true);
  auto c = torch::zeros({3}, torch::kFloat64).set_requires_grad(true);  // no gradient: left out
  a.mutable_grad() = torch::tensor({3.0, 0.0}, torch::kFloat64);
  b.mutable_grad() = torch::tensor({{0.0}, {4.0}}, torch::kFloat64);
  EXPECT_DOUBLE_EQ(acodm::gradNorm({a, b, c}), 5.0);
  EXPECT_DOUBLE_EQ(a.grad()[0].item<double>(), 3.0);  // measured, not changed
  EXPECT_EQ(acodm::clipScale(5.0, 0), 1.0);     // no clipping
  EXPECT_EQ(acodm::clipScale(5.0, 10.0), 1.0);  // under the limit
  EXPECT_DOUBLE_EQ(acodm::clipScale(5.0, 1.0), 1.0 / (5.0 + 1e-6));
  EXPECT_FALSE(c.grad().defined());
  acodm::clearGrads({a, b, c});
  EXPECT_FALSE(a.grad().defined());
  EXPECT_FALSE(b.grad().defined());
  EXPECT_DOUBLE_EQ(acodm::gradNorm({a, b, c}), 0.0);
}

// Tensors of awkward sizes (loop tails, a prime above 2^16, matrices and vectors), with gradients and moments of
// both signs and scales; the same values twice.
struct Awkward {
  std::vector<torch::Tensor> params, grads;
  Awkward(torch::ScalarType type, uint64_t seed) {
    auto gen = at::detail::createCPUGenerator(seed);
    for (auto size : std::vector<std::vector<int64_t>>{{1}, {7}, {13, 7}, {1000}, {65537}, {3, 1000}}) {
      params.push_back(torch::empty(size, torch::kFloat64).normal_(0, 1, gen).to(type).set_requires_grad(true));
      grads.push_back(torch::empty(size, torch::kFloat64).normal_(0, 1e-2, gen).to(type));
    }
  }
};

// The fused CPU pass against the tensor-op reference, over a few steps, in both decay modes, with and without a
// gradient scale, and with beta1 on either side of torch lerp's switch between its two forms.
void compareFusedWithTensorOps(torch::ScalarType type, double tolerance) {
  for (bool decoupled : {true, false})
    for (double scale : {1.0, 0.37})
      for (double beta1 : {0.9, 0.3}) {
        Awkward ours(type, 17), theirs(type, 17);
        auto s = constantRate(1e-2, 0.1, decoupled);
        s.beta1 = beta1;
        acodm::Adam adam;
        adam.reset(ours.params);
        std::vector<torch::Tensor> m, v;
        for (const auto& p : theirs.params) {
          m.push_back(torch::zeros_like(p).set_requires_grad(false));
          v.push_back(torch::zeros_like(p).set_requires_grad(false));
        }
        for (int64_t t = 1; t <= 3; ++t) {
          for (size_t i = 0; i < ours.params.size(); ++i) {
            ours.params[i].mutable_grad() = ours.grads[i] * static_cast<double>(t);
            theirs.params[i].mutable_grad() = theirs.grads[i] * static_cast<double>(t);
          }
          adam.step(ours.params, s, scale);
          for (size_t i = 0; i < theirs.params.size(); ++i)
            acodm::adamTensorOps(theirs.params[i], theirs.params[i].grad(), m[i], v[i], s, s.learningRate(t - 1), t, scale);
        }
        for (size_t i = 0; i < ours.params.size(); ++i) {
          const double err = (ours.params[i] - theirs.params[i]).abs().max().item<double>();
          EXPECT_LE(err, tolerance) << "tensor " << i << " decoupled " << decoupled << " scale " << scale << " beta1 " << beta1;
          EXPECT_GT((ours.params[i] - Awkward(type, 17).params[i]).abs().max().item<double>(), 1e-3) << "tensor " << i;
        }
      }
}

TEST(Adam, FusedCpuPassMatchesTheTensorOpsInFloat32) { compareFusedWithTensorOps(torch::kFloat32, 1e-6); }

TEST(Adam, FusedCpuPassMatchesTheTensorOpsInFloat64) { compareFusedWithTensorOps(torch::kFloat64, 1e-14); }

// Scaling the gradients as they are read is clipping them first: the same bits.
TEST(Adam, AGradientScaleIsTheSameAsScaledGradients) {
  Awkward a(torch::kFloat32, 3), b(torch::kFloat32, 3);
  const auto s = constantRate(1e-2, 0.1, true);
  acodm::Adam adam_a, adam_b;
  adam_a.reset(a.params);
  adam_b.reset(b.params);
  const double scale = acodm::clipScale(5.0, 1.0);
  for (size_t i = 0; i < a.params.size(); ++i) {
    a.params[i].mutable_grad() = a.grads[i].clone();
    b.params[i].mutable_grad() = b.grads[i].clone().mul_(scale);
  }
  adam_a.step(a.params, s, scale);
  adam_b.step(b.params, s);
  for (size_t i = 0; i < a.params.size(); ++i) {
    EXPECT_TRUE(a.params[i].equal(b.params[i])) << "tensor " << i;
    EXPECT_TRUE(a.params[i].grad().equal(a.grads[i])) << "the gradient itself is left as it was";
  }
}

TEST(OptimizerSettings, TensorFormKeepsEveryFieldAndReadsTheOlderNineValues) {
  OptimizerSettings s = constantRate(2e-3, 0.05, false);
  s.min_lr = 2e-4;
  s.warmup = 7;
  s.total = 1234567;
  s.grad_clip = 0.5;
  auto same = acodm::settingsFromTensor(acodm::settingsTensor(s), acodm::OlderLastField::kGradClip, "test");
  EXPECT_FALSE(same.decoupled);
  EXPECT_EQ(same.grad_clip, 0.5);
  // Before the settings had a field each, the ninth value was the model's grad_clip or the agent's decoupled flag.
  auto older = acodm::settingsTensor(s).narrow(0, 0, 9).clone();
  older[8] = 0.5;
  auto model = acodm::settingsFromTensor(older, acodm::OlderLastField::kGradClip, "test");
  EXPECT_EQ(model.grad_clip, 0.5);
  EXPECT_TRUE(model.decoupled);  // the model was always AdamW
  older[8] = 0.0;
  auto agent = acodm::settingsFromTensor(older, acodm::OlderLastField::kDecoupled, "test");
  EXPECT_FALSE(agent.decoupled);
  EXPECT_EQ(agent.grad_clip, 0.0);  // the agent never clipped
  for (const auto& r : {same, model, agent}) {
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
    acodm::settingsFromTensor(torch::zeros({8}, torch::kFloat64), acodm::OlderLastField::kGradClip, "ckpt x");
    FAIL() << "8 values accepted";
  } catch (const std::runtime_error& e) {
    EXPECT_EQ(std::string(e.what()), "ckpt x: the optimizer settings are not 10 (or, written before, 9) float64 values");
  }
}

TEST(OptimizerSettings, ValidationNamesTheCallerAndTheField) {
  OptimizerSettings s = constantRate(1e-3, 0.1, true);
  EXPECT_NO_THROW(acodm::validate(s, "x"));
  s.total = 0;  // the zero the struct starts with: settings nobody set are refused
  try {
    acodm::validate(s, "model optimizer");
    FAIL() << "total 0 accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_EQ(std::string(e.what()), "model optimizer: total must be >= 1 step, got 0");
  }
  EXPECT_THROW(acodm::validate(OptimizerSettings{}, "x"), std::invalid_argument);
  s = constantRate(1e-3, 0.1, true);
  s.min_lr = 2e-3;
  EXPECT_THROW(acodm::validate(s, "x"), std::invalid_argument);
  s = constantRate(1e-3, 0.1, true);
  s.grad_clip = -1;
  EXPECT_THROW(acodm::validate(s, "x"), std::invalid_argument);
}

}  // namespace
