// AgentNetworks: the DDPG losses against values recomputed from act()/qValues(), the soft actor's regulariser
// (its terms, its known optimum, the adapted temperature), behaviour cloning, the schedule, bit-exact save/load and
// actor export, and every bad input as an exception.
#include "acodm/agent.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <random>
#include <stdexcept>
#include <string>
#include <unistd.h>
#include <vector>

namespace {

constexpr int kState = 7, kActions = 3, kHidden = 16, kLayers = 2;

std::vector<float> randomVector(size_t n, uint32_t seed, float lo = -1.f, float hi = 1.f) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<float> d(lo, hi);
  std::vector<float> v(n);
  for (auto& x : v) x = d(gen);
  return v;
}

std::vector<float> randomSimplex(int n, int k, uint32_t seed) {
  auto v = randomVector(static_cast<size_t>(n) * k, seed, 0.05f, 1.f);
  for (int i = 0; i < n; ++i) {
    float s = 0;
    for (int j = 0; j < k; ++j) s += v[i * k + j];
    for (int j = 0; j < k; ++j) v[i * k + j] /= s;
  }
  return v;
}

// n points drawn uniformly from the simplex (Dir(1): normalised Exp(1) draws), edges included.
std::vector<float> randomDirichlet(int n, int k, uint32_t seed) {
  std::mt19937 gen(seed);
  std::exponential_distribution<float> e(1.f);
  std::vector<float> v(static_cast<size_t>(n) * k);
  for (int i = 0; i < n; ++i) {
    float s = 0;
    for (int j = 0; j < k; ++j) s += v[i * k + j] = e(gen);
    for (int j = 0; j < k; ++j) v[i * k + j] /= s;
  }
  return v;
}

std::string tempPath(const std::string& name) {
  return std::string(::testing::TempDir()) + "acodm_agent_" + name + "_" + std::to_string(::getpid());
}

acodm::AgentNetworks make(int64_t seed, int critic_outputs = 1) {
  return acodm::AgentNetworks(kState, kActions, kHidden, kLayers, critic_outputs, seed, "cpu");
}

TEST(AgentNetworks, ActorStartsNearUniformAndIsSeeded) {
  auto a = make(1), b = make(1), c = make(2);
  auto states = randomVector(5 * kState, 3);
  std::vector<float> pa(5 * kActions), pb(5 * kActions), pc(5 * kActions);
  a.act(states.data(), 5, pa.data());
  b.act(states.data(), 5, pb.data());
  c.act(states.data(), 5, pc.data());
  EXPECT_EQ(pa, pb);
  EXPECT_NE(pa, pc);
  for (int i = 0; i < 5; ++i) {
    double sum = 0;
    for (int k = 0; k < kActions; ++k) {
      sum += pa[i * kActions + k];
      EXPECT_NEAR(pa[i * kActions + k], 1.0 / kActions, 0.02);  // last layer U(+-3e-3)
    }
    EXPECT_NEAR(sum, 1.0, 1e-6);
  }
  EXPECT_EQ(a.configString(), "state=7,actions=3,hidden=16,layers=2,critic_outputs=1");
}

TEST(AgentNetworks, ScheduleWarmsUpThenFollowsACosine) {
  auto a = make(1);
  a.setOptimizer(0.01, 0.001, 10, 110, 0.1, 0.9, 0.999, 1e-8, 1);
  EXPECT_DOUBLE_EQ(a.learningRate(0), 0.001);
  EXPECT_DOUBLE_EQ(a.learningRate(9), 0.01);
  EXPECT_DOUBLE_EQ(a.learningRate(10), 0.01);
  EXPECT_NEAR(a.learningRate(60), 0.0055, 1e-12);
  EXPECT_DOUBLE_EQ(a.learningRate(110), 0.001);
  EXPECT_DOUBLE_EQ(a.learningRate(5000), 0.001);
}

// The losses update() reports are the DDPG formulas evaluated with the networks as they stand: targets equal
// the online networks at construction, and the actor loss uses the critic after its step.
TEST(AgentNetworks, UpdateLossesMatchTheFormulas) {
  const int n = 9;
  const double gamma = 0.95;
  auto agent = make(5);
  agent.setOptimizer(0.01, 0.001, 0, 100, 0.1, 0.9, 0.999, 1e-8, 1);
  auto s = randomVector(n * kState, 11), s2 = randomVector(n * kState, 12);
  auto a = randomSimplex(n, kActions, 13);
  auto r = randomVector(n, 14);

  std::vector<float> mu2(n * kActions), q(n), q2(n);
  agent.act(s2.data(), n, mu2.data());
  agent.qValues(s2.data(), mu2.data(), n, q2.data());
  agent.qValues(s.data(), a.data(), n, q.data());
  double expected_critic = 0;
  for (int i = 0; i < n; ++i) {
    double y = static_cast<double>(r[i]) + gamma * static_cast<double>(q2[i]);
    expected_critic += (q[i] - y) * (q[i] - y) / n;
  }

  double losses[4];
  agent.update(s.data(), a.data(), r.data(), s2.data(), n, gamma, losses);
  EXPECT_NEAR(losses[0], expected_critic, 1e-6 * std::max(1.0, expected_critic));
  EXPECT_EQ(agent.actorSteps(), 1);
  EXPECT_EQ(agent.criticSteps(), 1);

  // After a full soft update the targets equal the online networks: the next critic loss must use them.
  agent.softUpdate(1.0);
  agent.act(s2.data(), n, mu2.data());
  agent.qValues(s2.data(), mu2.data(), n, q2.data());
  agent.qValues(s.data(), a.data(), n, q.data());
  expected_critic = 0;
  for (int i = 0; i < n; ++i) {
    double y = static_cast<double>(r[i]) + gamma * static_cast<double>(q2[i]);
    expected_critic += (q[i] - y) * (q[i] - y) / n;
  }
  agent.update(s.data(), a.data(), r.data(), s2.data(), n, gamma, losses);
  EXPECT_NEAR(losses[0], expected_critic, 1e-6 * std::max(1.0, expected_critic));

}

TEST(AgentNetworks, ActorLossIsMinusMeanQOfTheActorsActionsAfterTheCriticStep) {
  const int n = 6;
  auto agent = make(8);
  // lr warmup of one step at a tiny rate: the actor barely moves, so Q(s, mu(s)) after the update
  // approximates the value the actor loss saw (critic stepped, actor not yet).
  agent.setOptimizer(1e-7, 1e-7, 0, 10, 0.0, 0.9, 0.999, 1e-8, 1);
  auto s = randomVector(n * kState, 21), s2 = randomVector(n * kState, 22);
  auto a = randomSimplex(n, kActions, 23);
  auto r = randomVector(n, 24);
  double losses[4];
  agent.update(s.data(), a.data(), r.data(), s2.data(), n, 0.9, losses);
  std::vector<float> mu(n * kActions), q(n);
  agent.act(s.data(), n, mu.data());
  agent.qValues(s.data(), mu.data(), n, q.data());
  double mean = 0;
  for (float v : q) mean += v / n;
  EXPECT_NEAR(losses[1], -mean, 1e-5);
}

// The regulariser's terms as update() reports them, against act() before the update (the critic's step leaves the
// actor unchanged): KL(mu || prior), H(mu), and the actor loss -mean Q(s, mu(s)) + tau * KL.
TEST(AgentNetworks, RegulariserTermsMatchTheFormulas) {
  const int n = 6;
  const double tau = 0.7;
  auto agent = make(8);
  agent.setOptimizer(1e-7, 1e-7, 0, 10, 0.0, 0.9, 0.999, 1e-8, 1);
  const std::vector<float> prior = {2.f, 1.f, 1.f};  // normalised by setRegulariser: {0.5, 0.25, 0.25}
  agent.setRegulariser(prior.data(), tau, 0, 0);
  EXPECT_EQ(agent.temperature(), tau);
  auto s = randomVector(n * kState, 51), s2 = randomVector(n * kState, 52);
  auto a = randomSimplex(n, kActions, 53);
  auto r = randomVector(n, 54);
  std::vector<float> mu(n * kActions);
  agent.act(s.data(), n, mu.data());
  const double p[kActions] = {0.5, 0.25, 0.25};
  double kl = 0, h = 0;
  for (int i = 0; i < n; ++i)
    for (int k = 0; k < kActions; ++k) {
      const double m = mu[i * kActions + k];
      kl += m * std::log(m / p[k]) / n;
      h -= m * std::log(m) / n;
    }
  double losses[4];
  agent.update(s.data(), a.data(), r.data(), s2.data(), n, 0.9, losses);
  EXPECT_NEAR(losses[2], kl, 1e-6);
  EXPECT_NEAR(losses[3], h, 1e-6);
  EXPECT_GT(kl, 1e-3) << "the actor starts near uniform, which is not the prior: KL must be visibly positive";
  std::vector<float> q(n);
  agent.act(s.data(), n, mu.data());
  agent.qValues(s.data(), mu.data(), n, q.data());
  double mean_q = 0;
  for (float v : q) mean_q += v / n;
  EXPECT_NEAR(losses[1], -mean_q + tau * kl, 1e-5);
  EXPECT_EQ(agent.temperature(), tau) << "target entropy 0: the temperature stays fixed";
}

// With target_entropy > 0 the temperature takes one dual step per update on the entropy update() reports.
TEST(AgentNetworks, TemperatureAdaptsTowardsTheTargetEntropy) {
  const int n = 8;
  auto agent = make(6);
  agent.setOptimizer(0.01, 0.001, 0, 100, 0.1, 0.9, 0.999, 1e-8, 1);
  const std::vector<float> uniform(kActions, 1.f);
  const double target = 0.5, lr = 0.2;
  agent.setRegulariser(uniform.data(), 0.3, target, lr);
  auto s = randomVector(n * kState, 61), s2 = randomVector(n * kState, 62);
  auto a = randomSimplex(n, kActions, 63);
  auto r = randomVector(n, 64);
  double tau = 0.3, losses[4];
  for (int i = 0; i < 5; ++i) {
    agent.update(s.data(), a.data(), r.data(), s2.data(), n, 0.9, losses);
    tau = std::exp(std::log(tau) + lr * (target - losses[3]));
    EXPECT_DOUBLE_EQ(agent.temperature(), tau) << "update " << i;
  }
  // The actor starts near uniform (entropy ln 3 = 1.10 > 0.5): tau must have fallen.
  EXPECT_LT(agent.temperature(), 0.3);
}

// The soft actor's optimum in closed form. gamma = 0 and rewards R = <a, r> make the critic learn Q(s, a) = <a, r>;
// the actor must then converge to prior * exp(r / tau) / Z in every state (8 states, actions uniform on the simplex).
TEST(AgentNetworks, SoftActorConvergesToThePriorTimesExpRewardOverTau) {
  const int n = 32, pool = 8, updates = 2000;
  const double tau = 0.5;
  const double rv[kActions] = {0.4, -0.2, 0.9};
  const std::vector<float> prior = {0.2f, 0.5f, 0.3f};
  double expected[kActions], z = 0;
  for (int k = 0; k < kActions; ++k) z += expected[k] = prior[k] * std::exp(rv[k] / tau);
  for (double& e : expected) e /= z;
  auto agent = make(12);
  agent.setThreads(1);
  agent.setOptimizer(0.01, 0.0005, 0, updates, 0.0, 0.9, 0.999, 1e-8, 1);
  agent.setRegulariser(prior.data(), tau, 0, 0);
  const auto states = randomVector(pool * kState, 77);
  for (int u = 0; u < updates; ++u) {
    std::vector<float> s(n * kState);
    for (int i = 0; i < n; ++i) std::copy_n(&states[((u + i) % pool) * kState], kState, &s[i * kState]);
    auto a = randomDirichlet(n, kActions, 9000 + u);
    std::vector<float> r(n);
    for (int i = 0; i < n; ++i)
      for (int k = 0; k < kActions; ++k) r[i] += a[i * kActions + k] * static_cast<float>(rv[k]);
    double losses[4];
    agent.update(s.data(), a.data(), r.data(), s.data(), n, 0.0, losses);
  }
  std::vector<float> mu(pool * kActions);
  agent.act(states.data(), pool, mu.data());
  for (int i = 0; i < pool; ++i) {
    double l1 = 0;
    for (int k = 0; k < kActions; ++k) l1 += std::abs(mu[i * kActions + k] - expected[k]);
    EXPECT_LT(l1, 0.05) << "state " << i << ": " << mu[i * kActions] << " " << mu[i * kActions + 1] << " "
                        << mu[i * kActions + 2] << " vs " << expected[0] << " " << expected[1] << " " << expected[2];
  }
}

TEST(AgentNetworks, BehaviourCloningReachesTheTargets) {
  const int n = 16;
  auto agent = make(3);
  agent.setOptimizer(0.01, 0.001, 10, 400, 0.1, 0.9, 0.999, 1e-8, 1);
  auto s = randomVector(n * kState, 31);
  auto t = randomSimplex(n, kActions, 32);
  double first = agent.actorError(s.data(), t.data(), n);
  for (int i = 0; i < 400; ++i) agent.imitate(s.data(), t.data(), n);
  double last = agent.actorError(s.data(), t.data(), n);
  EXPECT_GT(first, 5e-3);
  EXPECT_LT(last, 1e-4) << "from " << first;
}

TEST(AgentNetworks, SaveLoadContinuesBitForBit) {
  const int n = 8, steps = 6;
  auto run = [&](acodm::AgentNetworks& agent, int from, std::vector<double>& out) {
    for (int i = from; i < steps; ++i) {
      auto s = randomVector(n * kState, 100 + i), s2 = randomVector(n * kState, 200 + i);
      auto a = randomSimplex(n, kActions, 300 + i);
      auto r = randomVector(n * kActions, 400 + i);
      double losses[4];
      agent.update(s.data(), a.data(), r.data(), s2.data(), n, 0.95, losses);
      agent.softUpdate(0.01);
      out.push_back(losses[0]);
      out.push_back(losses[1]);
    }
  };
  const std::string path = tempPath("resume");
  std::vector<double> straight, resumed;
  // An adapting temperature: its value is state the checkpoint must carry.
  const std::vector<float> prior = {0.5f, 0.3f, 0.2f};
  {
    acodm::AgentNetworks agent(kState, kActions, kHidden, kLayers, kActions, 9, "cpu");
    agent.setOptimizer(0.01, 0.001, 2, 10, 0.1, 0.9, 0.999, 1e-8, 0);
    agent.setRegulariser(prior.data(), 0.5, 1.0, 0.3);
    run(agent, 0, straight);
    straight.push_back(agent.temperature());
  }
  {
    acodm::AgentNetworks agent(kState, kActions, kHidden, kLayers, kActions, 9, "cpu");
    agent.setOptimizer(0.01, 0.001, 2, 10, 0.1, 0.9, 0.999, 1e-8, 0);
    agent.setRegulariser(prior.data(), 0.5, 1.0, 0.3);
    for (int i = 0; i < 3; ++i) {
      auto s = randomVector(n * kState, 100 + i), s2 = randomVector(n * kState, 200 + i);
      auto a = randomSimplex(n, kActions, 300 + i);
      auto r = randomVector(n * kActions, 400 + i);
      double losses[4];
      agent.update(s.data(), a.data(), r.data(), s2.data(), n, 0.95, losses);
      agent.softUpdate(0.01);
      resumed.push_back(losses[0]);
      resumed.push_back(losses[1]);
    }
    agent.save(path);
  }
  // A fresh object with another seed, schedule and regulariser: everything must come from the file.
  acodm::AgentNetworks agent(kState, kActions, kHidden, kLayers, kActions, 77, "cpu");
  const std::vector<float> other = {0.2f, 0.2f, 0.6f};
  agent.setRegulariser(other.data(), 2.0, 0, 0);
  agent.load(path);
  EXPECT_EQ(agent.actorSteps(), 3);
  run(agent, 3, resumed);
  resumed.push_back(agent.temperature());
  EXPECT_NE(resumed.back(), 0.5) << "the temperature never adapted, so the test shows nothing";
  ASSERT_EQ(straight.size(), resumed.size());
  for (size_t i = 0; i < straight.size(); ++i) EXPECT_EQ(straight[i], resumed[i]) << "loss " << i;
  std::remove(path.c_str());
}

TEST(AgentNetworks, ExportedActorActsIdentically) {
  auto agent = make(4);
  agent.setOptimizer(0.01, 0.001, 0, 10, 0.1, 0.9, 0.999, 1e-8, 1);
  auto s = randomVector(10 * kState, 41);
  auto t = randomSimplex(10, kActions, 42);
  for (int i = 0; i < 5; ++i) agent.imitate(s.data(), t.data(), 10);
  const std::string path = tempPath("export");
  agent.exportActor(path, "{\"domains\":[\"a\",\"b\",\"c\"]}");
  EXPECT_EQ(acodm::exportedActorMetadata(path), "{\"domains\":[\"a\",\"b\",\"c\"]}");
  EXPECT_EQ(acodm::exportedActorConfig(path), "state=7,actions=3,hidden=16,layers=2");

  acodm::AgentNetworks frozen(kState, kActions, kHidden, kLayers, 0, 123, "cpu");
  frozen.importActor(path);
  std::vector<float> live(10 * kActions), copy(10 * kActions);
  agent.act(s.data(), 10, live.data());
  frozen.act(s.data(), 10, copy.data());
  EXPECT_EQ(live, copy);

  double losses[4];
  EXPECT_THROW(frozen.update(s.data(), t.data(), t.data(), s.data(), 1, 0.9, losses), std::invalid_argument);

  acodm::AgentNetworks wrong(kState + 1, kActions, kHidden, kLayers, 0, 1, "cpu");
  try {
    wrong.importActor(path);
    FAIL() << "a different state dimension was accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("state (8 here vs 7 in the file)"), std::string::npos) << e.what();
  }
  std::remove(path.c_str());
}

TEST(AgentNetworks, BadInputsThrowWithMessages) {
  EXPECT_THROW(acodm::AgentNetworks(0, 3, 8, 1, 1, 1, "cpu"), std::invalid_argument);
  EXPECT_THROW(acodm::AgentNetworks(4, 1, 8, 1, 1, 1, "cpu"), std::invalid_argument);
  EXPECT_THROW(acodm::AgentNetworks(4, 3, 8, 1, 2, 1, "cpu"), std::invalid_argument);
  auto agent = make(1);
  std::vector<float> out(kActions);
  EXPECT_THROW(agent.act(nullptr, 1, out.data()), std::invalid_argument);
  auto s = randomVector(kState, 1);
  EXPECT_THROW(agent.act(s.data(), 0, out.data()), std::invalid_argument);
  EXPECT_THROW(agent.setOptimizer(-1, 0, 0, 1, 0, 0.9, 0.9, 1e-8, 1), std::invalid_argument);
  EXPECT_THROW(agent.softUpdate(1.5), std::invalid_argument);
  EXPECT_THROW(agent.load("/nonexistent/agent.pt"), std::invalid_argument);
  const std::vector<float> zero = {0.5f, 0.5f, 0.f}, fine = {1.f, 1.f, 1.f};
  EXPECT_THROW(agent.setRegulariser(zero.data(), 0.5, 0, 0), std::invalid_argument);
  EXPECT_THROW(agent.setRegulariser(fine.data(), -0.5, 0, 0), std::invalid_argument);
  EXPECT_THROW(agent.setRegulariser(fine.data(), 0.5, 1.2, 0.1), std::invalid_argument);  // above ln 3
  EXPECT_THROW(agent.setRegulariser(fine.data(), 0.0, 0.5, 0.1), std::invalid_argument);  // nothing to adapt from
  EXPECT_THROW(agent.setRegulariser(nullptr, 0.5, 0, 0), std::invalid_argument);

  const std::string path = tempPath("bad");
  acodm::AgentNetworks other(kState, kActions, kHidden + 1, kLayers, 1, 1, "cpu");
  other.save(path);
  try {
    agent.load(path);
    FAIL() << "a checkpoint of another width was accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("hidden (16 here vs 17 in the file)"), std::string::npos) << e.what();
  }
  EXPECT_THROW(acodm::exportedActorMetadata(path), std::runtime_error);  // a checkpoint is not an exported actor
  std::remove(path.c_str());
}

}  // namespace
