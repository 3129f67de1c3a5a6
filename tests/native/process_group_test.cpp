// Data-parallel ranks over Gloo on 127.0.0.1, one thread per rank: the collectives, the distributed Gram against
// the Gram of the summed rows, a train step of W ranks on their slices against one process on the whole batch, the
// rendezvous errors (port in use, another configuration, a missing rank), a lost peer named, and NCCL at world
// size 1 where the build has it and a GPU is visible (bench/gpu/check.sh runs that one on a GPU machine).
#include "acodm/process_group.h"

#include <torch/csrc/distributed/c10d/TCPStore.hpp>

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmath>
#include <functional>
#include <future>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "acodm/model.h"
#include "collectives.h"
#include "gram.h"
#include "optimizer_settings.h"
#include "random_tokens.h"

using acodm::Model;
using acodm::ProcessGroup;
using acodm::test::randomTokens;

namespace {

constexpr double kTimeout = 60;  // seconds: bounds every wait, so a broken build fails instead of hanging

// A port nobody listens on right now (bound to 0, read back, released).
int freePort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) throw std::runtime_error("bind");
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

// Runs body(rank, group) on `world` threads that join one group; rethrows the first failure.
void onRanks(int world, const std::function<void(int, ProcessGroup&)>& body, const std::string& fingerprint = "same") {
  const int port = freePort();
  std::vector<std::future<void>> ranks;
  for (int r = 0; r < world; ++r)
    ranks.push_back(std::async(std::launch::async, [=] {
      ProcessGroup group(r, world, "127.0.0.1", port, kTimeout, "gloo", "cpu", fingerprint);
      body(r, group);
      group.barrier("end of the test");  // no rank tears the group down while another still uses it
    }));
  for (auto& f : ranks) f.get();
}

double relative(double got, double want, double scale) { return std::fabs(got - want) / std::max(scale, 1e-30); }

std::string message(const std::function<void()>& f) {
  try {
    f();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace

TEST(ProcessGroup, SumsGathersAndBarriers) {
  onRanks(3, [](int r, ProcessGroup& g) {
    EXPECT_EQ(g.worldSize(), 3);
    EXPECT_EQ(g.rank(), r);
    EXPECT_EQ(g.backendName(), "gloo");
    std::vector<double> v{1.0 + r, 0.5 * r, -2.0};
    g.allReduceSum(v.data(), 3, "test sum");
    EXPECT_EQ(v, (std::vector<double>{6.0, 1.5, -6.0}));
    std::vector<int64_t> mine{10 * r, 10 * r + 1}, all(6);
    g.allGather(mine.data(), 2, all.data(), "test gather");
    EXPECT_EQ(all, (std::vector<int64_t>{0, 1, 10, 11, 20, 21}));
    g.barrier("test barrier");
  });
}

// A world of one runs the same collectives (nothing is short-cut), as the NCCL smoke run relies on.
TEST(ProcessGroup, AWorldOfOneRunsTheCollectivesToo) {
  onRanks(1, [](int, ProcessGroup& g) {
    std::vector<double> v{1.5, -2};
    g.allReduceSum(v.data(), 2, "sum");
    EXPECT_EQ(v, (std::vector<double>{1.5, -2}));
    std::vector<int64_t> mine{7}, all(1);
    g.allGather(mine.data(), 1, all.data(), "gather");
    EXPECT_EQ(all[0], 7);
    const std::vector<std::vector<torch::Tensor>> rows{{torch::ones({5}), torch::full({5}, 2.0)}};
    std::vector<double> s(4);
    acodm::gram_across_ranks(rows, *g.collectives(), s.data());
    EXPECT_EQ(s, (std::vector<double>{5, 10, 10, 20}));
    EXPECT_NE(g.statistics().find("alignment_sent_bytes=0\n"), std::string::npos) << g.statistics();
  });
}

// Rows split into random shares per rank: S over the ranks equals the Gram of the summed rows, on awkward lengths
// (1, 7, 13, 1000, a prime above 2^16) that leave the column chunks ragged for W = 2 and W = 3.
TEST(ProcessGroup, GramAcrossRanksEqualsTheGramOfTheSummedRows) {
  const std::vector<int64_t> lengths{1, 7, 13, 1000, 65537};
  const int K = 5;
  for (int world : {2, 3}) {
    std::vector<std::vector<std::vector<torch::Tensor>>> share(world);  // [rank][segment][k]
    std::vector<std::vector<torch::Tensor>> whole;
    auto gen = at::detail::createCPUGenerator(99);
    for (int64_t p : lengths) {
      std::vector<torch::Tensor> rows;
      for (int r = 0; r < world; ++r) share[r].emplace_back();
      for (int k = 0; k < K; ++k) {
        torch::Tensor sum = torch::zeros({p});
        for (int r = 0; r < world; ++r) {
          // Rank 1 never drew domain 3: its share of that row is zero, as the train step gives it.
          torch::Tensor part = (r == 1 && k == 3) ? torch::zeros({p}) : torch::empty({p}).uniform_(-1, 1, gen);
          share[r].back().push_back(part);
          sum += part;
        }
        rows.push_back(sum);
      }
      whole.push_back(rows);
    }
    std::vector<double> want(K * K);
    acodm::gram(whole, want.data());
    onRanks(world, [&](int r, ProcessGroup& g) {
      std::vector<double> got(K * K);
      acodm::gram_across_ranks(share[r], *g.collectives(), got.data());
      for (int i = 0; i < K; ++i)
        for (int j = 0; j < K; ++j)
          EXPECT_LT(relative(got[i * K + j], want[i * K + j], std::sqrt(want[i * K + i] * want[j * K + j])), 1e-6)
              << "W " << world << " rank " << r << " S[" << i << "][" << j << "]";
      const auto stats = g.statistics();
      EXPECT_NE(stats.find("alignment_payload_bytes="), std::string::npos) << stats;
    });
  }
}

namespace {

struct Step {
  std::vector<double> loss, count;
  acodm::StepStats stats;
  std::vector<double> s;
};

// AdamW as the models of these tests train: 3e-4 to 3e-5, (0.9, 0.95), eps 1e-8, decay 0.1, clipping at 1.
acodm::OptimizerSettings adamw() { return acodm::test::optimizerSettings(3e-4, 3e-5, 0, 1, 0.1, 0.95, true, 1.0); }

Step trainStep(Model& m, const int32_t* tokens, int64_t batch, int64_t window, const int32_t* domains, int k, int micro) {
  Step o{std::vector<double>(k), std::vector<double>(k), {}, std::vector<double>(k * k + (m.alignmentSplit() ? k : 0))};
  m.trainStep(tokens, batch, window, domains, k, micro, o.loss.data(), o.count.data(), &o.stats, o.s.data());
  return o;
}

// Three steps of W ranks, each on its contiguous slice of the global batch, against one process on the whole batch:
// losses, counts, S, gradient norms and the parameters after the last step agree to 1e-5 relative. With split halves
// also the halves' products: the ranks deal the windows so that each domain's halves hold the same windows here.
void checkRanksAgainstOneProcess(int world, const std::string& method, int64_t bucket_bytes, bool split = false) {
  const int64_t B = 6, W = 9;
  const int K = 4, micro = 3;  // micro-batches of 2 windows; each rank runs micro / world of them
  const std::vector<int32_t> domains{1, 1, 0, 0, 3, 3};  // domain 2 absent; 0 and 3 each on one rank only (W = 3)
  const std::vector<std::string> layers{"gpt_neox.layers.0.mlp.dense_4h_to_h.weight", "gpt_neox.layers.1.attention.dense.weight"};
  std::vector<std::vector<int32_t>> tokens;
  for (int s = 0; s < 3; ++s) tokens.push_back(randomTokens(B * W, 384, 40 + s));

  Model alone("tiny", 21, "cpu");
  alone.setOptimizer(adamw());
  alone.setAlignmentParameters(layers);
  alone.setAlignmentMethod(method);
  alone.setAlignmentSplit(split);
  std::vector<Step> want;
  for (int s = 0; s < 3; ++s) want.push_back(trainStep(alone, tokens[s].data(), B, W, domains.data(), K, micro));
  std::vector<float> want_param(static_cast<size_t>(alone.parameterSize("gpt_neox.embed_in.weight")));
  alone.getParameter("gpt_neox.embed_in.weight", want_param.data(), static_cast<int64_t>(want_param.size()));

  onRanks(world, [&](int r, ProcessGroup& g) {
    Model m("tiny", 21, "cpu");
    m.setOptimizer(adamw());
    m.setAlignmentParameters(layers);
    m.setAlignmentMethod(method);
    m.setAlignmentSplit(split);
    m.setProcessGroup(g, bucket_bytes);
    const int64_t slice = B / world;
    for (int s = 0; s < 3; ++s) {
      auto got = trainStep(m, tokens[s].data() + r * slice * W, slice, W, domains.data() + r * slice, K, micro / world);
      const Step& w = want[s];
      for (int k = 0; k < K; ++k) {
        EXPECT_EQ(got.count[k], w.count[k]) << "step " << s << " domain " << k;
        EXPECT_LT(relative(got.loss[k], w.loss[k], std::fabs(w.loss[k])), 1e-5) << "step " << s << " domain " << k;
      }
      EXPECT_LT(relative(got.stats.loss, w.stats.loss, w.stats.loss), 1e-5) << "mean loss, step " << s;
      EXPECT_LT(relative(got.stats.grad_norm, w.stats.grad_norm, w.stats.grad_norm), 1e-5) << "gradient norm, step " << s;
      EXPECT_EQ(got.stats.step, w.stats.step);
      for (int i = 0; i < K; ++i)
        for (int j = 0; j < K; ++j) {
          const double scale = std::sqrt(w.s[i * K + i] * w.s[j * K + j]);
          if (scale == 0) EXPECT_EQ(got.s[i * K + j], 0.0) << "absent domain, S[" << i << "][" << j << "]";
          else EXPECT_LT(relative(got.s[i * K + j], w.s[i * K + j], scale), 1e-5) << "step " << s << " S[" << i << "][" << j << "]";
        }
      for (int k = 0; split && k < K; ++k) {
        const double want_half = w.s[K * K + k], got_half = got.s[K * K + k];
        if (std::isnan(want_half)) EXPECT_TRUE(std::isnan(got_half)) << "step " << s << ": domain " << k << " has no halves";
        else EXPECT_LT(relative(got_half, want_half, w.s[k * K + k]), 1e-5) << "step " << s << ": halves' product of domain " << k;
      }
    }
    std::vector<float> p(want_param.size());
    m.getParameter("gpt_neox.embed_in.weight", p.data(), static_cast<int64_t>(p.size()));
    double diff = 0, scale = 0;
    for (size_t i = 0; i < p.size(); ++i) {
      diff = std::max(diff, std::fabs(static_cast<double>(p[i]) - want_param[i]));
      scale = std::max(scale, std::fabs(static_cast<double>(want_param[i])));
    }
    EXPECT_LT(diff / scale, 1e-5) << "embedding after 3 steps, rank " << r;
  });
}

}  // namespace

TEST(DataParallel, TwoRanksEqualOneProcessOnTheWholeBatch) { checkRanksAgainstOneProcess(2, "capture", 25 << 20); }
TEST(DataParallel, ThreeRanksWithSmallBucketsEqualOneProcess) { checkRanksAgainstOneProcess(3, "capture", 4096); }
TEST(DataParallel, TheBackwardMethodAcrossRanksEqualsOneProcess) { checkRanksAgainstOneProcess(2, "backward", 1 << 20); }
TEST(DataParallel, SplitHalvesAcrossTwoRanksEqualOneProcess) { checkRanksAgainstOneProcess(2, "capture", 25 << 20, true); }
TEST(DataParallel, SplitHalvesAcrossThreeRanksWithTheBackwardMethodEqualOneProcess) {
  checkRanksAgainstOneProcess(3, "backward", 4096, true);
}

TEST(DataParallel, StatisticsCountWhatTheStepsMoved) {
  onRanks(2, [](int r, ProcessGroup& g) {
    Model m("tiny", 3, "cpu");
    m.setOptimizer(adamw());
    m.setAlignmentParameters({"gpt_neox.layers.1.mlp.dense_4h_to_h.weight"});
    m.setProcessGroup(g, 1 << 20);
    auto tokens = randomTokens(2 * 9, 384, 5 + r);
    std::vector<int32_t> domains{r, 1 - r};
    trainStep(m, tokens.data(), 2, 9, domains.data(), 2, 1);
    const std::string s = g.statistics();
    const double params = static_cast<double>(m.numParameters()) * 4;
    EXPECT_NE(s.find("steps=1\n"), std::string::npos) << s;
    EXPECT_NE(s.find("gradient_payload_bytes=" + std::to_string(static_cast<int64_t>(params)) + "\n"), std::string::npos) << s;
    // 2 domains x (64 x 256) weights, in 2 chunks of 8192 each per rank, plus the 2 x 2 partials in float64.
    EXPECT_NE(s.find("alignment_payload_bytes=" + std::to_string(2 * 64 * 256 * 4 + 2 * 2 * 8) + "\n"), std::string::npos) << s;
    g.resetStatistics();
    EXPECT_NE(g.statistics().find("steps=0\n"), std::string::npos);
  });
}

TEST(Rendezvous, APortInUseIsOneClearError) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_ANY);
  a.sin_port = 0;
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  ASSERT_EQ(::listen(fd, 1), 0);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  const int port = ntohs(a.sin_port);
  const std::string m = message([&] { ProcessGroup g(0, 2, "127.0.0.1", port, 5, "gloo", "cpu", "x"); });
  ::close(fd);
  EXPECT_NE(m.find("port " + std::to_string(port) + " is in use on this host"), std::string::npos) << m;
  EXPECT_EQ(m.find('\n'), std::string::npos) << "one line: " << m;
}

TEST(Rendezvous, AMissingRankIsNamedAtTheDeadline) {
  const std::string m = message([] { ProcessGroup g(0, 3, "127.0.0.1", freePort(), 1.5, "gloo", "cpu", "x"); });
  EXPECT_NE(m.find("ranks 1, 2 of 3 did not join"), std::string::npos) << m;
}

TEST(Rendezvous, RanksWithAnotherConfigurationAreRefused) {
  const int port = freePort();
  std::vector<std::future<std::string>> ranks;
  for (int r = 0; r < 3; ++r)
    ranks.push_back(std::async(std::launch::async, [=] {
      return message([&] { ProcessGroup g(r, 3, "127.0.0.1", port, kTimeout, "gloo", "cpu", r == 2 ? "bbbb" : "aaaa"); });
    }));
  for (int r = 0; r < 3; ++r) {
    const std::string m = ranks[r].get();
    EXPECT_NE(m.find("rank 2 was started with another configuration than rank 0 (config hash bbbb vs aaaa)"), std::string::npos)
        << "rank " << r << ": " << m;
  }
}

// torchrun (TORCHELASTIC_USE_AGENT_STORE=True): the launcher's agent already listens on MASTER_PORT, so a rank 0
// hosting its own store would find the port taken. With an agent-store prefix every rank joins the agent's store as
// a client, and a previous attempt's keys (here: rank 0 claimed under attempt_0) do not get in the way.
TEST(Rendezvous, RanksJoinALaunchersAgentStore) {
  const int port = freePort();
  c10d::TCPStoreOptions o;
  o.port = static_cast<std::uint16_t>(port);
  o.isServer = true;
  o.waitWorkers = false;
  o.timeout = std::chrono::milliseconds(static_cast<int64_t>(kTimeout * 1000));
  c10d::TCPStore agent("127.0.0.1", o);
  agent.set("/acodm/attempt_0/acodm/claim/0", std::vector<uint8_t>{'1'});

  const std::string own = message([&] { ProcessGroup g(0, 2, "127.0.0.1", port, 5, "gloo", "cpu", "x"); });
  EXPECT_NE(own.find("port " + std::to_string(port) + " is in use"), std::string::npos) << own;

  std::vector<std::future<double>> ranks;
  for (int r = 0; r < 2; ++r)
    ranks.push_back(std::async(std::launch::async, [=] {
      ProcessGroup g(r, 2, "127.0.0.1", port, kTimeout, "gloo", "cpu", "same", "/acodm/attempt_1");
      double v = 1.5 + r;
      g.allReduceSum(&v, 1, "sum over the agent's store");
      g.barrier("end of the test");
      return v;
    }));
  for (auto& f : ranks) EXPECT_DOUBLE_EQ(f.get(), 4.0);
  EXPECT_TRUE(agent.check({"/acodm/attempt_1/acodm/fingerprint/1"}));
}

TEST(Rendezvous, BadArgumentsAreRefusedBeforeAnyNetwork) {
  EXPECT_THROW(ProcessGroup(2, 2, "127.0.0.1", 29500, 5, "gloo", "cpu", "x"), std::invalid_argument);
  EXPECT_THROW(ProcessGroup(0, 2, "", 29500, 5, "gloo", "cpu", "x"), std::invalid_argument);
  EXPECT_THROW(ProcessGroup(0, 2, "127.0.0.1", 70000, 5, "gloo", "cpu", "x"), std::invalid_argument);
  EXPECT_THROW(ProcessGroup(0, 2, "127.0.0.1", 29500, 5, "mpi", "cpu", "x"), std::invalid_argument);
  if (!acodm::ncclCompiled()) {
    const std::string m = message([] { ProcessGroup g(0, 1, "127.0.0.1", 29500, 5, "nccl", "cuda:0", "x"); });
    EXPECT_NE(m.find("built without NCCL"), std::string::npos) << m;
  }
}

// Rank 1 leaves (its group is destroyed, as when its process dies): rank 0's next collective fails within seconds,
// and the error names rank 1, whose heartbeat stopped.
TEST(Failure, ALostRankIsNamed) {
  const int port = freePort();
  std::promise<void> left;
  auto rank1 = std::async(std::launch::async, [&] {
    ProcessGroup g(1, 2, "127.0.0.1", port, kTimeout, "gloo", "cpu", "x");
    g.barrier("before leaving");
    // leaves here: the destructor closes its connections and stops its heartbeat
  });
  ProcessGroup g(0, 2, "127.0.0.1", port, kTimeout, "gloo", "cpu", "x");
  g.barrier("before leaving");
  rank1.get();
  const auto t0 = std::chrono::steady_clock::now();
  double v = 1;
  const std::string m = message([&] { g.allReduceSum(&v, 1, "sum after the peer left"); });
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_NE(m.find("lost rank 1"), std::string::npos) << m;
  EXPECT_NE(m.find("sum after the peer left"), std::string::npos) << m;
  EXPECT_LT(seconds, 30) << "detected after " << seconds << " s";
  // The group refuses further use instead of hanging.
  EXPECT_NE(message([&] { g.barrier("after"); }).find("an earlier collective"), std::string::npos);
}

// World size 1 over NCCL: the smoke run bench/gpu/check.sh requires on a GPU machine (skipped elsewhere).
TEST(Nccl, WorldOfOneSumsOnTheGpu) {
  if (!acodm::ncclCompiled()) GTEST_SKIP() << "libacodm was built without NCCL (needs a CUDA libtorch with NCCL)";
  if (acodm::cudaDeviceCount() < 1) GTEST_SKIP() << "no CUDA device visible";
  ProcessGroup g(0, 1, "127.0.0.1", freePort(), kTimeout, "nccl", "cuda:0", "x");
  EXPECT_EQ(g.backendName(), "nccl");
  std::vector<double> v{1.5, -2};
  g.allReduceSum(v.data(), 2, "nccl smoke sum");
  EXPECT_EQ(v, (std::vector<double>{1.5, -2}));
  Model m("tiny", 3, "cuda:0");
  m.setOptimizer(adamw());
  m.setAlignmentParameters({"gpt_neox.layers.1.mlp.dense_4h_to_h.weight"});
  m.setProcessGroup(g, 1 << 20);
  auto tokens = randomTokens(4 * 9, 384, 5);
  std::vector<int32_t> domains{0, 1, 0, 1};
  auto r = trainStep(m, tokens.data(), 4, 9, domains.data(), 2, 2);
  EXPECT_TRUE(std::isfinite(r.stats.loss) && r.stats.loss > 0) << r.stats.loss;
  EXPECT_GT(r.s[0], 0);
}
