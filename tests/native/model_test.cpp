// The GPT-NeoX engine against an independent PyTorch implementation (golden file), finite differences,
// overfitting, exact resume, per-domain alignment against K separate backward passes, and bad input.
#include "acodm/model.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <algorithm>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "golden.h"
#include "optim.h"
#include "optimizer_settings.h"
#include "random_tokens.h"

using acodm::Model;
using acodm::test::randomTokens;

namespace {

const std::string kGolden = std::string(ACODM_SOURCE_DIR) + "/tests/golden/gpt_neox_tiny.golden";

// max |a - b| / max |b| over a tensor: one relative tolerance per tensor, robust to entries near zero.
double relativeError(const std::vector<float>& a, const std::vector<float>& b) {
  double diff = 0, scale = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    diff = std::max(diff, std::fabs(static_cast<double>(a[i]) - b[i]));
    scale = std::max(scale, std::fabs(static_cast<double>(b[i])));
  }
  return diff / std::max(scale, 1e-30);
}

std::unique_ptr<Model> goldenModel(const std::map<std::string, acodm::test::GoldenEntry>& g) {
  auto model = std::make_unique<Model>(g.at("config").text(), 1, "cpu");
  for (int i = 0; i < model->numParameterTensors(); ++i) {
    auto name = model->parameterName(i);
    auto it = g.find("param/" + name);
    if (it == g.end()) throw std::runtime_error("golden file lacks parameter " + name);
    auto values = it->second.as<float>();
    model->setParameter(name, values.data(), static_cast<int64_t>(values.size()));
  }
  return model;
}

// AdamW (0.9, 0.95) on the given schedule, decay and clipping.
acodm::OptimizerSettings adamw(double max_lr, double min_lr, int64_t warmup, int64_t total, double weight_decay,
                               double grad_clip) {
  return acodm::test::optimizerSettings(max_lr, min_lr, warmup, total, weight_decay, 0.95, true, grad_clip);
}

struct StepOut {
  std::vector<double> loss, count;
  acodm::StepStats stats;
  std::vector<double> s;
};

StepOut step(Model& m, const std::vector<int32_t>& tokens, int64_t batch, int64_t window,
             const std::vector<int32_t>& domains, int k, int micro = 1, bool alignment = false) {
  StepOut o{std::vector<double>(k), std::vector<double>(k), {}, std::vector<double>(static_cast<size_t>(k) * k)};
  m.trainStep(tokens.data(), batch, window, domains.data(), k, micro, o.loss.data(), o.count.data(), &o.stats,
              alignment ? o.s.data() : nullptr);
  return o;
}

}  // namespace

TEST(Golden, LogitsLossGradientsAndAdamWMatchPyTorch) {
  auto g = acodm::test::readGolden(kGolden);
  auto model = goldenModel(g);
  const auto& tok = g.at("tokens");
  const int64_t B = tok.dims[0], W = tok.dims[1], T = W - 1;
  auto windows = tok.as<int32_t>();

  // Logits of the inputs (each window without its last token).
  std::vector<int32_t> inputs;
  for (int64_t b = 0; b < B; ++b) inputs.insert(inputs.end(), windows.begin() + b * W, windows.begin() + b * W + T);
  std::vector<float> logits(static_cast<size_t>(B * T * model->vocabSize()));
  model->forwardLogits(inputs.data(), B, T, logits.data());
  EXPECT_LT(relativeError(logits, g.at("logits").as<float>()), 1e-4);

  const double loss = model->lossAndGradients(windows.data(), B, W);
  const double ref = g.at("loss").as<double>()[0];
  EXPECT_NEAR(loss, ref, 1e-4 * std::fabs(ref));
  for (int i = 0; i < model->numParameterTensors(); ++i) {
    auto name = model->parameterName(i);
    std::vector<float> grad(static_cast<size_t>(model->parameterSize(name)));
    model->getGradient(name, grad.data(), static_cast<int64_t>(grad.size()));
    EXPECT_LT(relativeError(grad, g.at("grad/" + name).as<float>()), 1e-4) << name;
  }

  auto o = g.at("optimizer").as<double>();
  // The golden file holds the settings as checkpoints did before they had a field each: nine values, grad_clip last.
  model->setOptimizer(
      acodm::settingsFromTensor(torch::tensor(o, torch::kFloat64), acodm::OlderLastField::kGradClip, kGolden));
  auto expected = g.at("train_losses").as<double>();
  std::vector<int32_t> domains(static_cast<size_t>(B), 0);
  for (size_t s = 0; s < expected.size(); ++s) {
    auto r = step(*model, windows, B, W, domains, 1);
    EXPECT_NEAR(r.stats.loss, expected[s], 1e-4 * std::fabs(expected[s])) << "AdamW step " << s;
  }
}

TEST(Gradients, MatchCentralFiniteDifferencesInFloat64) {
  Model model("tiny:dtype=float64,d_model=32,heads=2,seq=16", 7, "cpu");
  const int64_t B = 2, W = 9;
  auto tokens = randomTokens(B * W, model.vocabSize(), 3);
  model.lossAndGradients(tokens.data(), B, W);
  std::mt19937 rng(11);
  int checked = 0;
  for (int i = 0; i < model.numParameterTensors(); ++i) {
    auto name = model.parameterName(i);
    const int64_t n = model.parameterSize(name);
    std::vector<float> grad(static_cast<size_t>(n)), values(static_cast<size_t>(n));
    model.getGradient(name, grad.data(), n);
    model.getParameter(name, values.data(), n);
    // The float interface rounds parameters to fp32; finite differences use steps that survive that.
    for (int trial = 0; trial < 2; ++trial) {
      const int64_t j = std::uniform_int_distribution<int64_t>(0, n - 1)(rng);
      const float h = 1e-2f;
      auto at = [&](float delta) {
        auto v = values;
        v[static_cast<size_t>(j)] += delta;
        model.setParameter(name, v.data(), n);
        return model.lossAndGradients(tokens.data(), B, W);
      };
      const double numeric = (at(h) - at(-h)) / (2.0 * h);
      model.setParameter(name, values.data(), n);
      const double analytic = grad[static_cast<size_t>(j)];
      EXPECT_NEAR(analytic, numeric, 2e-3 * std::max(1.0, std::fabs(numeric)) + 1e-4) << name << "[" << j << "]";
      ++checked;
    }
  }
  EXPECT_EQ(checked, 2 * model.numParameterTensors());
}

TEST(Training, TinyModelOverfitsOneBatch) {
  Model model("tiny", 5, "cpu");
  model.setOptimizer(adamw(3e-3, 3e-3, 0, 1000, 0.0, 1.0));
  const int64_t B = 4, W = 17;
  auto tokens = randomTokens(B * W, 257, 9);
  std::vector<int32_t> domains(B, 0);
  double first = 0, last = 0;
  for (int s = 0; s < 300; ++s) {
    auto r = step(model, tokens, B, W, domains, 1);
    if (s == 0) first = r.stats.loss;
    last = r.stats.loss;
  }
  EXPECT_GT(first, 5.0);
  EXPECT_LT(last, 0.1);
}

TEST(Training, MicroBatchesAccumulateToTheSameStep) {
  const int64_t B = 4, W = 13;
  auto tokens = randomTokens(B * W, 384, 21);
  std::vector<int32_t> domains{0, 1, 1, 2};
  Model a("tiny", 3, "cpu"), b("tiny", 3, "cpu");
  a.setOptimizer(adamw(1e-3, 1e-4, 1, 10, 0.1, 1.0));
  b.setOptimizer(adamw(1e-3, 1e-4, 1, 10, 0.1, 1.0));
  for (int s = 0; s < 3; ++s) {
    auto ra = step(a, tokens, B, W, domains, 3, 1);
    auto rb = step(b, tokens, B, W, domains, 3, 4);
    EXPECT_NEAR(ra.stats.loss, rb.stats.loss, 1e-5);
    EXPECT_NEAR(ra.stats.grad_norm, rb.stats.grad_norm, 1e-4 * ra.stats.grad_norm);
    for (int k = 0; k < 3; ++k) {
      EXPECT_NEAR(ra.loss[k], rb.loss[k], 1e-4);
      EXPECT_EQ(ra.count[k], rb.count[k]);
    }
  }
  // Domain token counts are windows x T.
  auto r = step(a, tokens, B, W, domains, 3);
  EXPECT_EQ(r.count[0], 12);
  EXPECT_EQ(r.count[1], 24);
  EXPECT_EQ(r.count[2], 12);
}

// The fused CPU paths (the in-place causal softmax, the one-pass optimizer over flat buffers) against the plain
// ones of twins. Each alone where its effect is exact to float rounding: the softmax on one pass's loss and
// gradients, the optimizer on one step from the same gradients (over more steps Adam turns last-bit differences of
// near-zero gradients into learning-rate-sized ones); then both together on the losses of several clipped steps.
TEST(FusedPathsOnCpu, MatchThePlainPaths) {
  const int64_t B = 3, W = 14;  // T = 13: attention rows of every length up to an odd one
  std::vector<int32_t> domains{0, 1, 1};
  auto parametersAgree = [](const Model& a, const Model& b, double tolerance) {
    for (int i = 0; i < a.numParameterTensors(); ++i) {
      const auto name = a.parameterName(i);
      const int64_t n = a.parameterSize(name);
      std::vector<float> x(static_cast<size_t>(n)), y(static_cast<size_t>(n));
      a.getParameter(name, x.data(), n);
      b.getParameter(name, y.data(), n);
      EXPECT_LT(relativeError(x, y), tolerance) << name;
    }
  };
  {
    Model fused("tiny", 8, "cpu"), plain("tiny", 8, "cpu");
    EXPECT_TRUE(fused.fusedAttentionActive());
    plain.setFusedAttention(false);
    EXPECT_FALSE(plain.fusedAttentionActive());
    auto tokens = randomTokens(B * W, 384, 39);
    const double lf = fused.lossAndGradients(tokens.data(), B, W), lp = plain.lossAndGradients(tokens.data(), B, W);
    EXPECT_NEAR(lf, lp, 1e-6 * lp);
    for (int i = 0; i < fused.numParameterTensors(); ++i) {
      const auto name = fused.parameterName(i);
      const int64_t n = fused.parameterSize(name);
      std::vector<float> a(static_cast<size_t>(n)), b(static_cast<size_t>(n));
      fused.getGradient(name, a.data(), n);
      plain.getGradient(name, b.data(), n);
      EXPECT_LT(relativeError(a, b), 1e-5) << name;
    }
  }
  {
    Model fused("tiny", 8, "cpu"), plain("tiny", 8, "cpu");
    plain.setFusedOptimizer(false);
    for (Model* m : {&fused, &plain}) m->setOptimizer(adamw(3e-3, 3e-4, 0, 10, 0.1, 0.5));
    auto tokens = randomTokens(B * W, 384, 40);
    auto rf = step(fused, tokens, B, W, domains, 2), rp = step(plain, tokens, B, W, domains, 2);
    EXPECT_EQ(rf.stats.grad_norm, rp.stats.grad_norm);  // the same gradients
    EXPECT_GT(rp.stats.grad_norm, 0.5) << "clipping is exercised";
    parametersAgree(fused, plain, 1e-6);
  }
  Model fused("tiny", 8, "cpu"), plain("tiny", 8, "cpu");
  plain.setFusedAttention(false);
  plain.setFusedOptimizer(false);
  for (Model* m : {&fused, &plain}) m->setOptimizer(adamw(3e-3, 3e-4, 1, 10, 0.1, 0.5));
  for (int s = 0; s < 4; ++s) {
    auto tokens = randomTokens(B * W, 384, 41 + s);
    auto rf = step(fused, tokens, B, W, domains, 2), rp = step(plain, tokens, B, W, domains, 2);
    EXPECT_NEAR(rf.stats.loss, rp.stats.loss, 1e-5 * rp.stats.loss) << "step " << s;
    EXPECT_NEAR(rf.stats.grad_norm, rp.stats.grad_norm, 1e-3 * rp.stats.grad_norm) << "step " << s;
  }
}

TEST(Checkpoint, ResumeIsBitIdentical) {
  const int64_t B = 4, W = 17;
  std::vector<std::vector<int32_t>> batches;
  for (int s = 0; s < 6; ++s) batches.push_back(randomTokens(B * W, 384, 100 + s));
  std::vector<int32_t> domains{0, 1, 0, 1};
  auto configure = [](Model& m) { m.setOptimizer(adamw(2e-3, 2e-4, 2, 6, 0.1, 1.0)); };

  Model straight("tiny", 42, "cpu");
  configure(straight);
  std::vector<double> expected;
  for (auto& t : batches) expected.push_back(step(straight, t, B, W, domains, 2).stats.loss);

  const std::string path = ::testing::TempDir() + "/acodm_resume.ckpt";
  {
    Model first("tiny", 42, "cpu");
    configure(first);
    for (int s = 0; s < 3; ++s) ASSERT_EQ(step(first, batches[s], B, W, domains, 2).stats.loss, expected[s]);
    first.save(path);
  }
  Model resumed("tiny", 999, "cpu");  // a different init: everything must come from the checkpoint
  resumed.load(path);
  EXPECT_EQ(resumed.stepCount(), 3);
  for (int s = 3; s < 6; ++s) {
    auto r = step(resumed, batches[s], B, W, domains, 2);
    EXPECT_EQ(r.stats.loss, expected[s]) << "step " << s;  // bit for bit
    EXPECT_EQ(r.stats.step, s);
  }
  std::remove(path.c_str());
}

TEST(Checkpoint, RefusesAnotherConfigurationNamingTheKeys) {
  const std::string path = ::testing::TempDir() + "/acodm_other.ckpt";
  Model("tiny", 1, "cpu").save(path);
  Model other("tiny:layers=3", 1, "cpu");
  try {
    other.load(path);
    FAIL() << "load of a checkpoint from another config succeeded";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("layers (3 vs 2)"), std::string::npos) << e.what();
  }
  std::remove(path.c_str());
}

TEST(Schedule, WarmupThenCosine) {
  Model m("tiny", 1, "cpu");
  m.setOptimizer(adamw(1e-3, 1e-4, 10, 110, 0.1, 1.0));
  EXPECT_DOUBLE_EQ(m.learningRate(0), 1e-4);
  EXPECT_DOUBLE_EQ(m.learningRate(9), 1e-3);
  EXPECT_DOUBLE_EQ(m.learningRate(10), 1e-3);
  EXPECT_NEAR(m.learningRate(60), 0.55e-3, 1e-12);
  EXPECT_DOUBLE_EQ(m.learningRate(110), 1e-4);
  EXPECT_DOUBLE_EQ(m.learningRate(500), 1e-4);
}

TEST(Config, PythiaShapesHaveTheirParameterCounts) {
  // Pythia-70m: 70,426,624 parameters (untied embeddings, vocabulary 50,304) as Hugging Face reports.
  Model m("70m", 1, "cpu");
  EXPECT_EQ(m.numParameters(), 70426624);
  EXPECT_EQ(m.parameterName(0), "gpt_neox.embed_in.weight");
  EXPECT_EQ(m.parameterName(m.numParameterTensors() - 1), "embed_out.weight");
  EXPECT_EQ(m.parameterName(12), "gpt_neox.layers.0.mlp.dense_4h_to_h.bias");
  EXPECT_EQ(m.numParameterTensors(), 6 * 12 + 4);
}

TEST(Config, ResolvingWithoutAModelAgreesWithTheModel) {
  for (const std::string spec : {"tiny", "small", "demo-proxy", "demo-target", "tiny:layers=3,d_model=96,heads=6",
                                 "tiny:vocab=300,seq=48", "bench-256:layers=1", "tiny:rotary_pct=0.5,rotary_base=500",
                                 "tiny:dtype=float64,d_model=32,heads=2"}) {
    Model m(spec, 1, "cpu");
    int64_t n = -1;
    EXPECT_EQ(acodm::resolveModelConfig(spec, &n), m.configString()) << spec;
    EXPECT_EQ(n, m.numParameters()) << spec;
    EXPECT_EQ(acodm::resolveModelConfig(m.configString(), &n), m.configString()) << "canonical form of " << spec;
    EXPECT_EQ(n, m.numParameters()) << spec;
  }
  EXPECT_EQ(acodm::resolveModelConfig("tiny:vocab=300", nullptr),
            "name=tiny,layers=2,d_model=64,heads=4,vocab=384,seq=64,rotary_pct=0.25,rotary_base=10000,dtype=float32");
}

TEST(Config, PythiaSizesResolveWithoutAllocating) {
  // Hugging Face's totals for the Pythia checkpoints (untied embeddings, vocabulary 50,304).
  const std::vector<std::pair<std::string, int64_t>> pythia = {
      {"70m", 70426624}, {"160m", 162322944}, {"410m", 405334016}, {"1b", 1011781632}};
  for (const auto& [name, count] : pythia) {
    int64_t n = -1;
    acodm::resolveModelConfig(name, &n);
    EXPECT_EQ(n, count) << name;
  }
  auto message = [](const std::string& spec) {
    try {
      acodm::resolveModelConfig(spec, nullptr);
    } catch (const std::invalid_argument& e) {
      return std::string(e.what());
    }
    return std::string("(resolved)");
  };
  EXPECT_EQ(message("2b"), "unknown model config '2b' (known: 70m, 160m, 410m, 1b, tiny, small, demo-proxy, demo-target, bench-256)");
  EXPECT_NE(message("tiny:depth=3").find("unknown key 'depth'"), std::string::npos) << message("tiny:depth=3");
  EXPECT_NE(message("tiny:heads=5").find("not divisible by heads 5"), std::string::npos) << message("tiny:heads=5");
}

TEST(BadInput, ClearErrors) {
  EXPECT_THROW(Model("nope", 1, "cpu"), std::invalid_argument);
  EXPECT_THROW(Model("tiny:widht=3", 1, "cpu"), std::invalid_argument);
  EXPECT_THROW(Model("tiny:heads=5", 1, "cpu"), std::invalid_argument);
  EXPECT_THROW(Model("tiny", 1, "tpu"), std::invalid_argument);
  Model m("tiny", 1, "cpu");
  std::vector<double> l(2), c(2);
  acodm::StepStats st;
  auto tokens = randomTokens(2 * 9, 384, 1);
  std::vector<int32_t> domains{0, 1};
  tokens[5] = 384;
  try {
    m.trainStep(tokens.data(), 2, 9, domains.data(), 2, 1, l.data(), c.data(), &st, nullptr);
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("token id 384 at window 0, position 5"), std::string::npos) << e.what();
  }
  tokens[5] = 1;
  domains[1] = 2;
  EXPECT_THROW(m.trainStep(tokens.data(), 2, 9, domains.data(), 2, 1, l.data(), c.data(), &st, nullptr),
               std::invalid_argument);
  domains[1] = 1;
  EXPECT_THROW(m.trainStep(tokens.data(), 2, 9, domains.data(), 2, 3, l.data(), c.data(), &st, nullptr),
               std::invalid_argument);
  auto long_tokens = randomTokens(66, 384, 2);
  EXPECT_THROW(m.trainStep(long_tokens.data(), 1, 66, domains.data(), 2, 1, l.data(), c.data(), &st, nullptr),
               std::invalid_argument);
  try {
    m.trainStep(tokens.data(), 2, 9, domains.data(), 2, 1, l.data(), c.data(), &st, nullptr);
    FAIL() << "a step without optimizer settings";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("call setOptimizer()"), std::string::npos) << e.what();
  }
  EXPECT_EQ(m.stepCount(), 0);
  EXPECT_THROW(m.setAlignmentParameters({"gpt_neox.layers.0.mlp.dense_4h_to_h.bias"}), std::invalid_argument);
  EXPECT_THROW(m.setAlignmentParameters({"gpt_neox.layers.9.mlp.dense_4h_to_h.weight"}), std::invalid_argument);
  EXPECT_THROW(m.load("/nonexistent/acodm.ckpt"), std::invalid_argument);
}

namespace {

// The gradient of the mean token loss of `windows` (whole windows of W tokens) over `names`, concatenated, from a
// model that is not stepped; empty for no windows.
std::vector<double> twinGradient(Model& twin, const std::vector<int32_t>& windows, int64_t W, const std::vector<std::string>& names) {
  std::vector<double> g;
  if (windows.empty()) return g;
  twin.lossAndGradients(windows.data(), static_cast<int64_t>(windows.size()) / W, W);
  for (const auto& n : names) {
    std::vector<float> grad(static_cast<size_t>(twin.parameterSize(n)));
    twin.getGradient(n, grad.data(), static_cast<int64_t>(grad.size()));
    g.insert(g.end(), grad.begin(), grad.end());
  }
  return g;
}

// <a, b> in double, and the tolerance 1e-5 |a| |b| the tests compare it with.
std::pair<double, double> dotAndTolerance(const std::vector<double>& a, const std::vector<double>& b) {
  double dot = 0, na = 0, nb = 0;
  for (size_t p = 0; p < a.size(); ++p) {
    dot += a[p] * b[p];
    na += a[p] * a[p];
    nb += b[p] * b[p];
  }
  return {dot, 1e-5 * std::sqrt(na * nb)};
}

// S from one train step vs K separate backward passes, one per domain's mean loss, on a twin model.
void checkAlignmentAgainstSeparateBackwards(const std::vector<int32_t>& domains, int k, const std::vector<std::string>& names,
                                            int micro_batches) {
  const int64_t B = static_cast<int64_t>(domains.size()), W = 9;
  auto tokens = randomTokens(B * W, 384, 77);
  Model engine("tiny:layers=4", 13, "cpu"), twin("tiny:layers=4", 13, "cpu");
  engine.setOptimizer(adamw(1e-3, 1e-4, 0, 10, 0.1, 1.0));
  engine.setAlignmentParameters(names);
  auto r = step(engine, tokens, B, W, domains, k, micro_batches, true);

  std::vector<std::vector<double>> g(static_cast<size_t>(k));
  for (int d = 0; d < k; ++d) {
    std::vector<int32_t> sub;
    for (int64_t b = 0; b < B; ++b)
      if (domains[static_cast<size_t>(b)] == d) sub.insert(sub.end(), tokens.begin() + b * W, tokens.begin() + (b + 1) * W);
    g[static_cast<size_t>(d)] = twinGradient(twin, sub, W, names);
  }
  for (int i = 0; i < k; ++i) {
    for (int j = 0; j < k; ++j) {
      const double got = r.s[static_cast<size_t>(i * k + j)];
      const auto &gi = g[static_cast<size_t>(i)], &gj = g[static_cast<size_t>(j)];
      if (gi.empty() || gj.empty()) {
        EXPECT_EQ(got, 0.0) << "absent domain " << i << "," << j;
        continue;
      }
      const auto [dot, tolerance] = dotAndTolerance(gi, gj);
      EXPECT_NEAR(got, dot, tolerance) << "S[" << i << "][" << j << "]";
    }
  }
}

}  // namespace

TEST(Alignment, OneDomain) {
  checkAlignmentAgainstSeparateBackwards({0, 0, 0}, 1, {"gpt_neox.layers.3.mlp.dense_4h_to_h.weight"}, 1);
}

TEST(Alignment, ThreeUnevenDomainsOneAppearingOnce) {
  checkAlignmentAgainstSeparateBackwards({2, 0, 2, 2, 0, 2, 1, 2}, 3,
                                         {"gpt_neox.layers.1.mlp.dense_4h_to_h.weight", "gpt_neox.layers.3.mlp.dense_4h_to_h.weight"},
                                         2);
}

TEST(Alignment, TwentyTwoDomainsSomeAbsentLayersAtSeveralDepths) {
  std::mt19937 rng(5);
  std::vector<int32_t> domains;
  for (int d = 0; d < 22; ++d) {
    if (d == 4 || d == 17) continue;  // absent from the step
    const int n = d == 9 ? 1 : 1 + static_cast<int>(rng() % 3);
    for (int i = 0; i < n; ++i) domains.push_back(d);
  }
  std::shuffle(domains.begin(), domains.end(), rng);
  checkAlignmentAgainstSeparateBackwards(
      domains, 22,
      {"gpt_neox.layers.0.attention.query_key_value.weight", "gpt_neox.layers.2.mlp.dense_4h_to_h.weight",
       "gpt_neox.layers.3.attention.dense.weight"},
      1);
}

TEST(Alignment, CaptureEqualsThePerDomainBackwardMethodAndLeavesTheSameStep) {
  const int64_t B = 6, W = 9;
  auto tokens = randomTokens(B * W, 384, 8);
  std::vector<int32_t> domains{1, 0, 1, 3, 1, 0};
  const std::vector<std::string> layers{"gpt_neox.layers.0.mlp.dense_4h_to_h.weight", "gpt_neox.layers.1.attention.dense.weight"};
  Model a("tiny", 4, "cpu"), b("tiny", 4, "cpu");
  for (Model* m : {&a, &b}) m->setOptimizer(adamw(1e-3, 1e-4, 0, 10, 0.1, 1.0));
  a.setAlignmentParameters(layers);
  b.setAlignmentParameters(layers);
  b.setAlignmentMethod("backward");
  for (int s = 0; s < 2; ++s) {
    auto ra = step(a, tokens, B, W, domains, 4, 2, true);
    auto rb = step(b, tokens, B, W, domains, 4, 2, true);
    EXPECT_EQ(ra.stats.loss, rb.stats.loss);  // the extra passes do not change the step itself
    for (int i = 0; i < 16; ++i) {
      const double scale = std::sqrt(std::fabs(rb.s[(i / 4) * 5] * rb.s[(i % 4) * 5])) + 1e-30;
      EXPECT_NEAR(ra.s[i], rb.s[i], 1e-5 * scale) << i;
    }
    EXPECT_EQ(rb.s[2 * 4 + 2], 0.0);
  }
  EXPECT_THROW(a.setAlignmentMethod("magic"), std::invalid_argument);
}

namespace {

// Split halves: the same S as without them, and <g_dA, g_dB> against the gradients of each half's windows (the
// first, third, .. window of domain d in batch order in A) from a twin model; NaN where d has fewer than 2 windows.
void checkSplitHalves(const std::string& method, int micro_batches) {
  const std::vector<int32_t> domains{2, 0, 2, 2, 0, 1, 3, 2, 0, 2};  // 0: 3 windows, 1: 1, 2: 5, 3: 1, 4: none
  const int k = 5;
  const int64_t B = static_cast<int64_t>(domains.size()), W = 9;
  auto tokens = randomTokens(B * W, 384, 31);
  const std::vector<std::string> names{"gpt_neox.layers.1.mlp.dense_4h_to_h.weight", "gpt_neox.layers.3.attention.dense.weight"};
  Model split("tiny:layers=4", 17, "cpu"), plain("tiny:layers=4", 17, "cpu"), twin("tiny:layers=4", 17, "cpu");
  for (Model* m : {&split, &plain}) {
    m->setOptimizer(adamw(1e-3, 1e-4, 0, 10, 0.1, 1.0));
    m->setAlignmentParameters(names);
    m->setAlignmentMethod(method);
  }
  split.setAlignmentSplit(true);
  EXPECT_TRUE(split.alignmentSplit());
  EXPECT_FALSE(plain.alignmentSplit());
  // The halves' gradients, from the twin before any step.
  std::vector<std::vector<double>> half(static_cast<size_t>(2 * k));
  std::vector<int> seen(static_cast<size_t>(k), 0);
  std::vector<std::vector<int32_t>> windows(static_cast<size_t>(2 * k));
  for (int64_t b = 0; b < B; ++b) {
    const int d = domains[static_cast<size_t>(b)];
    auto& w = windows[static_cast<size_t>(2 * d + seen[static_cast<size_t>(d)]++ % 2)];
    w.insert(w.end(), tokens.begin() + b * W, tokens.begin() + (b + 1) * W);
  }
  for (int key = 0; key < 2 * k; ++key) half[static_cast<size_t>(key)] = twinGradient(twin, windows[static_cast<size_t>(key)], W, names);
  std::vector<double> l(k), c(k), s_split(static_cast<size_t>(k * k + k), 7.0), s_plain(static_cast<size_t>(k * k));
  acodm::StepStats st;
  split.trainStep(tokens.data(), B, W, domains.data(), k, micro_batches, l.data(), c.data(), &st, s_split.data());
  plain.trainStep(tokens.data(), B, W, domains.data(), k, micro_batches, l.data(), c.data(), &st, s_plain.data());
  for (int i = 0; i < k * k; ++i) {
    const double scale = std::sqrt(std::fabs(s_plain[static_cast<size_t>(i / k * (k + 1))] * s_plain[static_cast<size_t>(i % k * (k + 1))])) + 1e-30;
    EXPECT_NEAR(s_split[static_cast<size_t>(i)], s_plain[static_cast<size_t>(i)], 1e-5 * scale) << method << " S[" << i << "]";
  }
  for (int d = 0; d < k; ++d) {
    const double got = s_split[static_cast<size_t>(k * k + d)];
    const auto &a = half[static_cast<size_t>(2 * d)], &b = half[static_cast<size_t>(2 * d + 1)];
    if (a.empty() || b.empty()) {
      EXPECT_TRUE(std::isnan(got)) << method << ": domain " << d << " has fewer than two windows, got " << got;
      continue;
    }
    const auto [dot, tolerance] = dotAndTolerance(a, b);
    EXPECT_NEAR(got, dot, tolerance) << method << ": <g_A, g_B> of domain " << d;
  }
}

}  // namespace

TEST(Alignment, SplitHalvesKeepSAndGiveTheHalvesProductWithCapture) { checkSplitHalves("capture", 2); }

TEST(Alignment, SplitHalvesKeepSAndGiveTheHalvesProductWithBackward) { checkSplitHalves("backward", 1); }

TEST(Alignment, MethodAndParametersInEitherOrderAndARejectedSettingChangesNothing) {
  const int64_t B = 4, W = 9;
  auto tokens = randomTokens(B * W, 384, 12);
  std::vector<int32_t> domains{0, 1, 1, 0};
  const std::string layer = "gpt_neox.layers.1.mlp.dense_4h_to_h.weight";
  const std::vector<std::string> layers{layer};
  Model a("tiny", 6, "cpu"), b("tiny", 6, "cpu");
  for (Model* m : {&a, &b}) m->setOptimizer(adamw(1e-3, 1e-4, 0, 10, 0.1, 1.0));
  a.setAlignmentParameters(layers);
  a.setAlignmentMethod("backward");
  b.setAlignmentMethod("backward");
  b.setAlignmentParameters(layers);
  EXPECT_THROW(b.setAlignmentMethod("magic"), std::invalid_argument);
  EXPECT_THROW(b.setAlignmentParameters({layer, layer}), std::invalid_argument);  // listed twice
  EXPECT_THROW(b.setAlignmentParameters({"gpt_neox.layers.1.mlp.dense_4h_to_h.bias"}), std::invalid_argument);
  EXPECT_EQ(b.alignmentParameters(), layers);
  auto ra = step(a, tokens, B, W, domains, 2, 1, true);
  auto rb = step(b, tokens, B, W, domains, 2, 1, true);
  EXPECT_GT(ra.s[0], 0.0);
  EXPECT_EQ(ra.s, rb.s);  // the same strategy either way, bit for bit
  b.setAlignmentParameters({});
  EXPECT_TRUE(b.alignmentParameters().empty());
  std::vector<double> l(2), c(2), s(4, 7.0);
  acodm::StepStats st;
  b.trainStep(tokens.data(), B, W, domains.data(), 2, 1, l.data(), c.data(), &st, s.data());
  EXPECT_EQ(s, std::vector<double>(4, 7.0)) << "S written with alignment off";
}

TEST(Checkpoint, StateNormsAndTheirReferenceTravelInCheckpoints) {
  const std::vector<std::string> names{"gpt_neox.layers.0.mlp.dense_4h_to_h.weight", "gpt_neox.layers.1.mlp.dense_4h_to_h.weight"};
  const std::string path = ::testing::TempDir() + "/acodm_reference.ckpt";
  auto make = [&](int64_t seed, bool each_step) {
    auto m = std::make_unique<Model>("tiny", seed, "cpu");
    m->setOptimizer(adamw(1e-3, 1e-3, 0, 10, 0.1, 1.0));
    m->setStateParameters(names, each_step);
    return m;
  };
  EXPECT_THROW(make(3, true)->setStateParameters({"gpt_neox.layers.9.mlp.dense_4h_to_h.weight"}, true), std::invalid_argument);
  auto first = make(3, false), each = make(3, true);
  auto tokens = randomTokens(2 * 9, 384, 4), more = randomTokens(2 * 9, 384, 5);
  double initial[2], w[2], n[2], nd[2], e[2], ed[2];
  first->parameterNorms(names, initial, 2);
  step(*first, tokens, 2, 9, {0, 0}, 1);
  step(*each, tokens, 2, 9, {0, 0}, 1);
  first->parameterNorms(names, w, 2);
  first->stateNorms(n, nd, 2);
  each->stateNorms(e, ed, 2);
  EXPECT_EQ(n[0], w[0]);  // the norms after the update
  EXPECT_EQ(n[1], w[1]);
  EXPECT_NE(n[0], initial[0]);
  EXPECT_GT(nd[0], 0.0);  // the distance from the weights before the step
  for (int i = 0; i < 2; ++i) {  // one step: both references are the initial weights
    EXPECT_EQ(n[i], e[i]) << i;
    EXPECT_EQ(nd[i], ed[i]) << i;
  }
  EXPECT_THROW(first->stateNorms(n, nd, 3), std::invalid_argument);
  first->save(path);
  step(*first, more, 2, 9, {0, 0}, 1);
  step(*each, more, 2, 9, {0, 0}, 1);
  first->stateNorms(n, nd, 2);
  each->stateNorms(e, ed, 2);
  EXPECT_NE(nd[0], ed[0]);  // from the first step's reference, from the previous step's
  // Resumed from the checkpoint of step 1, the first step's reference continues with it.
  auto resumed = make(99, false);
  resumed->load(path);
  step(*resumed, more, 2, 9, {0, 0}, 1);
  double r[2], rd[2];
  resumed->stateNorms(r, rd, 2);
  for (int i = 0; i < 2; ++i) {
    EXPECT_EQ(r[i], n[i]) << i;
    EXPECT_EQ(rd[i], nd[i]) << i;
  }
  std::remove(path.c_str());
}

// A step whose loss is not finite changes nothing (parameters, moments, step count), so the next good step is
// exactly the step the model would have taken without it.
TEST(NonFinite, StepIsSkippedAndLeavesNoTrace) {
  const int64_t B = 2, W = 9;
  std::vector<int32_t> domains{0, 1};
  auto a = randomTokens(B * W, 384, 11), bad = randomTokens(B * W, 384, 12), c = randomTokens(B * W, 384, 13);
  Model skipped("tiny", 3, "cpu"), straight("tiny", 3, "cpu");
  for (Model* m : {&skipped, &straight}) m->setOptimizer(adamw(1e-3, 1e-4, 1, 10, 0.1, 1.0));
  step(skipped, a, B, W, domains, 2);
  step(straight, a, B, W, domains, 2);

  auto snapshot = [](const Model& m) {
    std::vector<std::vector<float>> out;
    for (int i = 0; i < m.numParameterTensors(); ++i) {
      auto name = m.parameterName(i);
      std::vector<float> v(static_cast<size_t>(m.parameterSize(name)));
      m.getParameter(name, v.data(), static_cast<int64_t>(v.size()));
      out.push_back(std::move(v));
    }
    return out;
  };
  const std::string poisoned = "gpt_neox.final_layer_norm.weight";
  std::vector<float> saved(static_cast<size_t>(skipped.parameterSize(poisoned)));
  skipped.getParameter(poisoned, saved.data(), static_cast<int64_t>(saved.size()));
  auto nan = saved;
  nan[0] = std::nanf("");
  skipped.setParameter(poisoned, nan.data(), static_cast<int64_t>(nan.size()));
  auto before = snapshot(skipped);
  auto r = step(skipped, bad, B, W, domains, 2);
  EXPECT_TRUE(std::isnan(r.stats.loss)) << r.stats.loss;
  EXPECT_EQ(skipped.stepCount(), 1) << "a skipped step does not count";
  EXPECT_EQ(r.stats.step, 1);
  EXPECT_EQ(r.stats.learning_rate, skipped.learningRate(1));
  auto after = snapshot(skipped);
  ASSERT_EQ(before.size(), after.size());
  for (size_t i = 0; i < before.size(); ++i)
    EXPECT_EQ(0, std::memcmp(before[i].data(), after[i].data(), before[i].size() * sizeof(float))) << skipped.parameterName(i);

  skipped.setParameter(poisoned, saved.data(), static_cast<int64_t>(saved.size()));
  auto rs = step(skipped, c, B, W, domains, 2), rt = step(straight, c, B, W, domains, 2);
  EXPECT_EQ(rs.stats.loss, rt.stats.loss);
  EXPECT_EQ(rs.stats.grad_norm, rt.stats.grad_norm);
  EXPECT_EQ(skipped.stepCount(), 2);
  auto ps = snapshot(skipped), pt = snapshot(straight);
  for (size_t i = 0; i < ps.size(); ++i) EXPECT_EQ(ps[i], pt[i]) << skipped.parameterName(i);
}
