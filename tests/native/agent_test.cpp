// AgentNetworks: the DDPG losses against values recomputed from act()/qValues(), the soft actor's regulariser
// (its terms, its known optimum, the adapted temperature), behaviour cloning, the schedule, bit-exact save/load and
// actor export, and every bad input as an exception.
#include "acodm/agent.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <cstdio>
#include <random>
#include <stdexcept>
#include <string>
#include <unistd.h>
#include <vector>

#include "archive.h"
#include "optimizer_settings.h"

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

// Adam (0.9, 0.999) on the given schedule and decay; AdamW when decoupled. The agent never clips.
acodm::OptimizerSettings adam(double max_lr, double min_lr, int64_t warmup, int64_t total, double weight_decay,
                              bool decoupled) {
  return acodm::test::optimizerSettings(max_lr, min_lr, warmup, total, weight_decay, 0.999, decoupled, 0);
}

acodm::AgentNetworks make(int64_t seed, int critic_outputs = 1) {
  return acodm::AgentNetworks(kState, kActions, kHidden, kLayers, critic_outputs, seed, "cpu");
}

acodm::AgentNetworks shaped(int64_t seed) {
  return acodm::AgentNetworks(kState, kActions, kHidden, kLayers, kActions, seed, "cpu", acodm::kCriticShaped);
}

// n actions around uniform as AC-ODM explores: (1 - beta) / K + beta * Dir(1), each weight ~1/K +- 0.1 beta.
std::vector<float> explored(int n, int k, double beta, uint32_t seed) {
  auto d = randomDirichlet(n, k, seed);
  for (auto& v : d) v = static_cast<float>((1 - beta) / k + beta * v);
  return d;
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
  EXPECT_EQ(a.configString(), "state=7,actions=3,hidden=16,layers=2,critic_outputs=1,critic=concat");
}

TEST(AgentNetworks, ScheduleWarmsUpThenFollowsACosine) {
  auto a = make(1);
  a.setOptimizer(adam(0.01, 0.001, 10, 110, 0.1, true));
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
  agent.setOptimizer(adam(0.01, 0.001, 0, 100, 0.1, true));
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

  acodm::UpdateLosses losses;
  agent.update(s.data(), a.data(), r.data(), s2.data(), n, gamma, &losses);
  EXPECT_NEAR(losses.critic, expected_critic, 1e-6 * std::max(1.0, expected_critic));
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
  agent.update(s.data(), a.data(), r.data(), s2.data(), n, gamma, &losses);
  EXPECT_NEAR(losses.critic, expected_critic, 1e-6 * std::max(1.0, expected_critic));

}

TEST(AgentNetworks, ActorLossIsMinusMeanQOfTheActorsActionsAfterTheCriticStep) {
  const int n = 6;
  auto agent = make(8);
  // lr warmup of one step at a tiny rate: the actor barely moves, so Q(s, mu(s)) after the update
  // approximates the value the actor loss saw (critic stepped, actor not yet).
  agent.setOptimizer(adam(1e-7, 1e-7, 0, 10, 0.0, true));
  auto s = randomVector(n * kState, 21), s2 = randomVector(n * kState, 22);
  auto a = randomSimplex(n, kActions, 23);
  auto r = randomVector(n, 24);
  acodm::UpdateLosses losses;
  agent.update(s.data(), a.data(), r.data(), s2.data(), n, 0.9, &losses);
  std::vector<float> mu(n * kActions), q(n);
  agent.act(s.data(), n, mu.data());
  agent.qValues(s.data(), mu.data(), n, q.data());
  double mean = 0;
  for (float v : q) mean += v / n;
  EXPECT_NEAR(losses.actor, -mean, 1e-5);
}

// The regulariser's terms as update() reports them, against act() before the update (the critic's step leaves the
// actor unchanged): KL(mu || prior), H(mu), and the actor loss -mean Q(s, mu(s)) + tau * KL.
TEST(AgentNetworks, RegulariserTermsMatchTheFormulas) {
  const int n = 6;
  const double tau = 0.7;
  auto agent = make(8);
  agent.setOptimizer(adam(1e-7, 1e-7, 0, 10, 0.0, true));
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
  acodm::UpdateLosses losses;
  agent.update(s.data(), a.data(), r.data(), s2.data(), n, 0.9, &losses);
  EXPECT_NEAR(losses.kl, kl, 1e-6);
  EXPECT_NEAR(losses.entropy, h, 1e-6);
  EXPECT_GT(kl, 1e-3) << "the actor starts near uniform, which is not the prior: KL must be visibly positive";
  std::vector<float> q(n);
  agent.act(s.data(), n, mu.data());
  agent.qValues(s.data(), mu.data(), n, q.data());
  double mean_q = 0;
  for (float v : q) mean_q += v / n;
  EXPECT_NEAR(losses.actor, -mean_q + tau * kl, 1e-5);
  EXPECT_EQ(agent.temperature(), tau) << "target entropy 0: the temperature stays fixed";
}

// With target_entropy > 0 the temperature takes one dual step per update on the entropy update() reports.
TEST(AgentNetworks, TemperatureAdaptsTowardsTheTargetEntropy) {
  const int n = 8;
  auto agent = make(6);
  agent.setOptimizer(adam(0.01, 0.001, 0, 100, 0.1, true));
  const std::vector<float> uniform(kActions, 1.f);
  const double target = 0.5, lr = 0.2;
  agent.setRegulariser(uniform.data(), 0.3, target, lr);
  auto s = randomVector(n * kState, 61), s2 = randomVector(n * kState, 62);
  auto a = randomSimplex(n, kActions, 63);
  auto r = randomVector(n, 64);
  double tau = 0.3;
  acodm::UpdateLosses losses;
  for (int i = 0; i < 5; ++i) {
    agent.update(s.data(), a.data(), r.data(), s2.data(), n, 0.9, &losses);
    tau = std::exp(std::log(tau) + lr * (target - losses.entropy));
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
  agent.setOptimizer(adam(0.01, 0.0005, 0, updates, 0.0, true));
  agent.setRegulariser(prior.data(), tau, 0, 0);
  const auto states = randomVector(pool * kState, 77);
  for (int u = 0; u < updates; ++u) {
    std::vector<float> s(n * kState);
    for (int i = 0; i < n; ++i) std::copy_n(&states[((u + i) % pool) * kState], kState, &s[i * kState]);
    auto a = randomDirichlet(n, kActions, 9000 + u);
    std::vector<float> r(n);
    for (int i = 0; i < n; ++i)
      for (int k = 0; k < kActions; ++k) r[i] += a[i * kActions + k] * static_cast<float>(rv[k]);
    acodm::UpdateLosses losses;
    agent.update(s.data(), a.data(), r.data(), s.data(), n, 0.0, &losses);
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

// The concat critic with a normalisation sees (a - center) / scale: the same networks without it, given that input,
// compute the same Q.
TEST(AgentNetworks, ActionNormalisationFeedsTheCriticTheScaledAction) {
  const int n = 5;
  const std::vector<float> center = {0.2f, 0.3f, 0.5f};
  const double scale = 0.03;
  auto norm = make(21), raw = make(21);
  norm.setActionNormalisation(center.data(), scale);
  auto s = randomVector(n * kState, 71);
  auto a = randomSimplex(n, kActions, 72);
  std::vector<float> scaled(a.size());
  for (size_t i = 0; i < a.size(); ++i) scaled[i] = (a[i] - center[i % kActions]) / static_cast<float>(scale);
  std::vector<float> qn(n), qr(n);
  norm.qValues(s.data(), a.data(), n, qn.data());
  raw.qValues(s.data(), scaled.data(), n, qr.data());
  for (int i = 0; i < n; ++i) EXPECT_NEAR(qn[i], qr[i], 1e-5 * std::max(1.f, std::abs(qr[i])));
  auto sh = shaped(1);
  EXPECT_THROW(sh.setActionNormalisation(center.data(), scale), std::invalid_argument);
  EXPECT_THROW(norm.setActionNormalisation(center.data(), 0.0), std::invalid_argument);
}

// The shaped critic: Q(s, a) = V(s) + a . q(s) from its heads; update() regresses q on the reward vectors and V on
// gamma Q'(s', mu'(s')) (targets equal the online networks at construction), and the actor loss is -mean Q(s, mu(s)).
TEST(AgentNetworks, ShapedCriticIsValuePlusActionDotScoresAndRegressesTheScoreVectors) {
  const int n = 7;
  const double gamma = 0.5;
  auto agent = shaped(5);
  EXPECT_EQ(agent.configString(), "state=7,actions=3,hidden=16,layers=2,critic_outputs=3,critic=shaped");
  agent.setOptimizer(adam(1e-7, 1e-7, 0, 100, 0.0, true));
  auto s = randomVector(n * kState, 81), s2 = randomVector(n * kState, 82);
  auto a = randomSimplex(n, kActions, 83);
  auto r = randomVector(n * kActions, 84);
  std::vector<float> heads(n * (1 + kActions)), heads2(n * (1 + kActions)), q(n), mu2(n * kActions);
  agent.criticHeads(s.data(), n, heads.data());
  agent.qValues(s.data(), a.data(), n, q.data());
  for (int i = 0; i < n; ++i) {
    double expected = heads[i * (1 + kActions)];
    for (int k = 0; k < kActions; ++k) expected += a[i * kActions + k] * heads[i * (1 + kActions) + 1 + k];
    EXPECT_NEAR(q[i], expected, 1e-6);
  }
  agent.act(s2.data(), n, mu2.data());
  agent.criticHeads(s2.data(), n, heads2.data());
  double expected_critic_q = 0, expected_critic_v = 0;
  for (int i = 0; i < n; ++i) {
    double next = heads2[i * (1 + kActions)];
    for (int k = 0; k < kActions; ++k) next += mu2[i * kActions + k] * heads2[i * (1 + kActions) + 1 + k];
    const double dv = heads[i * (1 + kActions)] - gamma * next;
    expected_critic_v += dv * dv / n;
    for (int k = 0; k < kActions; ++k) {
      const double dq = heads[i * (1 + kActions) + 1 + k] - r[i * kActions + k];
      expected_critic_q += dq * dq / (n * kActions);
    }
  }
  acodm::UpdateLosses losses;
  agent.update(s.data(), a.data(), r.data(), s2.data(), n, gamma, &losses);
  EXPECT_NEAR(losses.critic, expected_critic_q + expected_critic_v, 1e-6);
  std::vector<float> mu(n * kActions), qmu(n);
  agent.act(s.data(), n, mu.data());
  agent.qValues(s.data(), mu.data(), n, qmu.data());
  double mean = 0;
  for (float v : qmu) mean += v / n;
  EXPECT_NEAR(losses.actor, -mean, 1e-5);

  // Warmup regression: the heads (V, q) to targets [n, 1 + K].
  std::vector<float> targets(n * (1 + kActions));
  for (size_t i = 0; i < targets.size(); ++i) targets[i] = 0.1f * static_cast<float>(i % 5);
  agent.criticHeads(s.data(), n, heads.data());
  double expected = 0;
  for (size_t i = 0; i < targets.size(); ++i) expected += (heads[i] - targets[i]) * (heads[i] - targets[i]) / targets.size();
  EXPECT_NEAR(agent.regressCritic(s.data(), a.data(), targets.data(), n), expected, 1e-6);

  auto concat = make(1);
  EXPECT_THROW(concat.criticHeads(s.data(), n, heads.data()), std::invalid_argument);
  EXPECT_THROW(acodm::AgentNetworks(kState, kActions, kHidden, kLayers, 1, 1, "cpu", acodm::kCriticShaped), std::invalid_argument);
  EXPECT_THROW(acodm::AgentNetworks(kState, kActions, kHidden, kLayers, 1, 1, "cpu", 7), std::invalid_argument);
}

// Issue 18: at the demo's shape (K = 9 domains, a 19-entry state) AC-ODM's exploration moves each weight by ~0.03
// around 1/K, so the raw action is a small share of a concat critic's input and its slope is learnt slowly; the same
// critic fed (a - prior) / sd(a) gets part of the way to the soft optimum prior * exp(r / tau) / Z in the same 400
// updates, and the shaped critic, which regresses q(s) on the score vector, all of it (noise-free rewards R = a . r,
// fixed scores r of sd 0.26).
TEST(AgentNetworks, CriticsThatSeeTheActionReachTheSoftOptimumFromNarrowExploration) {
  constexpr int k = 9, state = 19;
  const int n = 32, pool = 8, updates = 400;
  const double tau = 0.5, beta = 0.3;
  const double rv[k] = {0.35, -0.2, 0.1, -0.4, 0.05, 0.3, -0.1, 0.2, -0.3};
  const std::vector<float> prior(k, 1.f / k);
  double expected[k], z = 0;
  for (int i = 0; i < k; ++i) z += expected[i] = std::exp(rv[i] / tau);
  for (double& e : expected) e /= z;
  // sd of a Dir(1) weight: sqrt((K - 1) / (K^2 (K + 1))).
  const double sd = beta * std::sqrt((k - 1.0) / (k * k * (k + 1.0)));
  const auto states = randomVector(pool * state, 77);
  auto train = [&](acodm::AgentNetworks& agent, bool vector_reward) {
    agent.setThreads(1);
    agent.setOptimizer(adam(0.01, 0.001, 0, updates, 0.1, true));
    agent.setRegulariser(prior.data(), tau, 0, 0);
    for (int u = 0; u < updates; ++u) {
      std::vector<float> st(n * state);
      for (int i = 0; i < n; ++i) std::copy_n(&states[((u + i) % pool) * state], state, &st[i * state]);
      auto a = explored(n, k, beta, 5000 + u);
      std::vector<float> r(vector_reward ? n * k : n);
      for (int i = 0; i < n; ++i)
        for (int j = 0; j < k; ++j) {
          if (vector_reward) r[i * k + j] = static_cast<float>(rv[j]);
          else r[i] += a[i * k + j] * static_cast<float>(rv[j]);
        }
      acodm::UpdateLosses losses;
      agent.update(st.data(), a.data(), r.data(), st.data(), n, 0.0, &losses);
    }
    std::vector<float> mu(pool * k);
    agent.act(states.data(), pool, mu.data());
    double l1 = 0;
    for (int i = 0; i < pool; ++i)
      for (int j = 0; j < k; ++j) l1 += std::abs(mu[i * k + j] - expected[j]) / pool;
    return l1;
  };
  double uniform_l1 = 0;
  for (double e : expected) uniform_l1 += std::abs(e - 1.0 / k);
  acodm::AgentNetworks raw(state, k, 64, 2, 1, 12, "cpu"), normalised(state, k, 64, 2, 1, 12, "cpu");
  acodm::AgentNetworks sh(state, k, 64, 2, k, 12, "cpu", acodm::kCriticShaped);
  normalised.setActionNormalisation(prior.data(), sd);
  const double l1_raw = train(raw, false), l1_norm = train(normalised, false), l1_shaped = train(sh, true);
  std::printf("K = %d, L1 to the optimum after %d updates: raw %.4f, normalised %.4f, shaped %.4f (uniform %.4f)\n", k, updates,
              l1_raw, l1_norm, l1_shaped, uniform_l1);
  // Measured on an AMD EPYC: raw 0.384, normalised 0.218, shaped 0.0001 (uniform 0.403).
  EXPECT_GT(l1_raw, 0.8 * uniform_l1) << "the raw action input learnt the reward's slope after all";
  EXPECT_LT(l1_norm, 0.75 * l1_raw);
  EXPECT_LT(l1_shaped, 0.05);
}

TEST(AgentNetworks, BehaviourCloningReachesTheTargets) {
  const int n = 16;
  auto agent = make(3);
  agent.setOptimizer(adam(0.01, 0.001, 10, 400, 0.1, true));
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
      acodm::UpdateLosses losses;
      agent.update(s.data(), a.data(), r.data(), s2.data(), n, 0.95, &losses);
      agent.softUpdate(0.01);
      out.push_back(losses.critic);
      out.push_back(losses.actor);
    }
  };
  const std::string path = tempPath("resume");
  std::vector<double> straight, resumed;
  // An adapting temperature: its value is state the checkpoint must carry.
  const std::vector<float> prior = {0.5f, 0.3f, 0.2f};
  // A normalised action input: its center and scale are state the checkpoint must carry.
  const std::vector<float> center = {0.3f, 0.3f, 0.4f};
  {
    acodm::AgentNetworks agent(kState, kActions, kHidden, kLayers, kActions, 9, "cpu");
    agent.setOptimizer(adam(0.01, 0.001, 2, 10, 0.1, false));
    agent.setRegulariser(prior.data(), 0.5, 1.0, 0.3);
    agent.setActionNormalisation(center.data(), 0.05);
    run(agent, 0, straight);
    straight.push_back(agent.temperature());
  }
  {
    acodm::AgentNetworks agent(kState, kActions, kHidden, kLayers, kActions, 9, "cpu");
    agent.setOptimizer(adam(0.01, 0.001, 2, 10, 0.1, false));
    agent.setRegulariser(prior.data(), 0.5, 1.0, 0.3);
    agent.setActionNormalisation(center.data(), 0.05);
    for (int i = 0; i < 3; ++i) {
      auto s = randomVector(n * kState, 100 + i), s2 = randomVector(n * kState, 200 + i);
      auto a = randomSimplex(n, kActions, 300 + i);
      auto r = randomVector(n * kActions, 400 + i);
      acodm::UpdateLosses losses;
      agent.update(s.data(), a.data(), r.data(), s2.data(), n, 0.95, &losses);
      agent.softUpdate(0.01);
      resumed.push_back(losses.critic);
      resumed.push_back(losses.actor);
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

// The shaped critic's checkpoint continues bit for bit too.
TEST(AgentNetworks, ShapedCriticSaveLoadContinuesBitForBit) {
  const int n = 8, steps = 6, cut = 3;
  const std::string path = tempPath("resume_shaped");
  auto step = [&](acodm::AgentNetworks& agent, int i, std::vector<double>& out) {
    auto s = randomVector(n * kState, 100 + i), s2 = randomVector(n * kState, 200 + i);
    auto a = randomSimplex(n, kActions, 300 + i);
    auto r = randomVector(n * kActions, 400 + i);
    acodm::UpdateLosses losses;
    agent.update(s.data(), a.data(), r.data(), s2.data(), n, 0.9, &losses);
    agent.softUpdate(0.01);
    out.push_back(losses.critic);
    out.push_back(losses.actor);
  };
  std::vector<double> straight, resumed;
  {
    auto agent = shaped(9);
    agent.setOptimizer(adam(0.01, 0.001, 2, 10, 0.1, true));
    for (int i = 0; i < steps; ++i) step(agent, i, straight);
  }
  {
    auto agent = shaped(9);
    agent.setOptimizer(adam(0.01, 0.001, 2, 10, 0.1, true));
    for (int i = 0; i < cut; ++i) step(agent, i, resumed);
    agent.save(path);
  }
  auto agent = shaped(77);
  agent.load(path);
  for (int i = cut; i < steps; ++i) step(agent, i, resumed);
  ASSERT_EQ(straight.size(), resumed.size());
  for (size_t i = 0; i < straight.size(); ++i) EXPECT_EQ(straight[i], resumed[i]) << "loss " << i;
  // A concat checkpoint does not load into shaped networks, and says why.
  auto concat = make(1, kActions);
  try {
    concat.load(path);
    FAIL() << "a shaped critic's checkpoint loaded into a concat one";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("critic (concat here vs shaped in the file)"), std::string::npos) << e.what();
  }
  std::remove(path.c_str());
}

// A checkpoint of format version 2 (before the critic forms) is refused with what changed and what to do.
TEST(AgentNetworks, OlderCheckpointIsRefusedWithAMessage) {
  const std::string path = tempPath("v2");
  torch::serialize::OutputArchive archive;
  acodm::writeHeader(archive, "acodm-agent-networks", 2);
  archive.write("config", c10::IValue(std::string("state=7,actions=3,hidden=16,layers=2,critic_outputs=1")));
  archive.save_to(path);
  auto agent = make(1);
  try {
    agent.load(path);
    FAIL() << "a version-2 checkpoint loaded";
  } catch (const std::runtime_error& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("has version 2, this build reads 3"), std::string::npos) << m;
    EXPECT_NE(m.find("restart the run"), std::string::npos) << m;
  }
  std::remove(path.c_str());
}

TEST(AgentNetworks, ExportedActorActsIdentically) {
  auto agent = make(4);
  agent.setOptimizer(adam(0.01, 0.001, 0, 10, 0.1, true));
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

  acodm::UpdateLosses losses;
  EXPECT_THROW(frozen.update(s.data(), t.data(), t.data(), s.data(), 1, 0.9, &losses), std::invalid_argument);

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
  auto negative = adam(0.01, 0.001, 0, 1, 0, true);
  negative.max_lr = -1;
  EXPECT_THROW(agent.setOptimizer(negative), std::invalid_argument);
  auto clipped = adam(0.01, 0.001, 0, 1, 0, true);
  clipped.grad_clip = 1.0;
  EXPECT_THROW(agent.setOptimizer(clipped), std::invalid_argument);  // the networks do not clip
  std::vector<float> targets(kActions, 1.f / kActions);
  try {
    agent.imitate(s.data(), targets.data(), 1);
    FAIL() << "an update without optimizer settings";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("call setOptimizer()"), std::string::npos) << e.what();
  }
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
