// Times the engine's train step on random tokens: one line per step, then the median of steps 5..N.
// bench/pytorch_compare.sh runs it beside the same model in PyTorch eager.
#include <acodm/model.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

struct Args {
  std::string config = "bench-256";
  int batch = 8, seq = 256, steps = 20, threads = 0, domains = 1;
  std::string alignment, method = "capture";
  bool interleave = false;  // plain, capture and backward steps round-robin on three identical models
};

Args parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    std::string k = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) throw std::invalid_argument("missing value for " + k);
      return argv[++i];
    };
    if (k == "--config") a.config = value();
    else if (k == "--batch") a.batch = std::stoi(value());
    else if (k == "--seq") a.seq = std::stoi(value());
    else if (k == "--steps") a.steps = std::stoi(value());
    else if (k == "--threads") a.threads = std::stoi(value());
    else if (k == "--domains") a.domains = std::stoi(value());
    else if (k == "--alignment") a.alignment = value();
    else if (k == "--method") a.method = value();
    else if (k == "--interleave") a.interleave = true;
    else throw std::invalid_argument("unknown option " + k +
                                     " (--config --batch --seq --steps --threads --domains --alignment --method --interleave)");
  }
  return a;
}

}  // namespace

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// The machine's speed drifts (shared hosts): timing the three methods in turns, step by step, exposes
// each to the same drift, so their ratio is steadier than three runs one after another.
int interleaved(const Args& a) {
  if (a.alignment.empty()) throw std::invalid_argument("--interleave needs --alignment LAYERS");
  const char* names[3] = {"plain", "capture", "backward"};
  std::vector<std::unique_ptr<acodm::Model>> models;
  for (int m = 0; m < 3; ++m) {
    models.push_back(std::make_unique<acodm::Model>(a.config, 1234, "auto"));
    models[m]->setOptimizer(6e-4, 6e-5, 2, a.steps, 0.1, 0.9, 0.95, 1e-8, 1.0);
    if (m > 0) {
      models[m]->setAlignmentParameters(a.alignment);
      models[m]->setAlignmentMethod(names[m]);
    }
  }
  std::mt19937 rng(7);
  std::uniform_int_distribution<int32_t> tok(0, models[0]->vocabSize() - 1);
  const int64_t window = a.seq + 1;
  std::vector<int32_t> tokens(static_cast<size_t>(a.batch * window)), domains(static_cast<size_t>(a.batch));
  for (int b = 0; b < a.batch; ++b) domains[static_cast<size_t>(b)] = b % a.domains;
  std::vector<double> loss(a.domains), count(a.domains), stats(4), s(static_cast<size_t>(a.domains) * a.domains);
  std::vector<double> times[3];
  for (int step = 0; step < a.steps; ++step) {
    for (auto& t : tokens) t = tok(rng);
    for (int m = 0; m < 3; ++m) {
      auto t0 = std::chrono::steady_clock::now();
      models[m]->trainStep(tokens.data(), a.batch, window, domains.data(), a.domains, 1, loss.data(), count.data(),
                           stats.data(), m == 0 ? nullptr : s.data());
      double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
      if (step >= 2) times[m].push_back(ms);
    }
    std::printf("step %d ms plain %.1f capture %.1f backward %.1f\n", step + 1, times[0].empty() ? 0 : times[0].back(),
                times[1].empty() ? 0 : times[1].back(), times[2].empty() ? 0 : times[2].back());
  }
  const double p = median(times[0]), c = median(times[1]), b = median(times[2]);
  std::printf("median step ms (steps 3-%d): plain %.1f, capture %.1f, backward %.1f\n", a.steps, p, c, b);
  std::printf("step with S / plain step: %.3f; K-backward / ours: %.2f\n", c / p, b / c);
  return 0;
}

int main(int argc, char** argv) {
  try {
    Args a = parse(argc, argv);
    if (a.interleave) {
      acodm::setNumThreads(a.threads);
      return interleaved(a);
    }
    acodm::setNumThreads(a.threads);
    acodm::Model model(a.config, 1234, "auto");
    model.setOptimizer(6e-4, 6e-5, 2, a.steps, 0.1, 0.9, 0.95, 1e-8, 1.0);
    if (!a.alignment.empty()) {
      model.setAlignmentParameters(a.alignment);
      model.setAlignmentMethod(a.method);
    }
    std::printf("engine: %s, %lld parameters, threads %d, device %s\n", model.configString().c_str(),
                static_cast<long long>(model.numParameters()), acodm::numThreads(), model.deviceName().c_str());
    std::mt19937 rng(7);
    std::uniform_int_distribution<int32_t> tok(0, model.vocabSize() - 1);
    const int64_t window = a.seq + 1;
    std::vector<int32_t> tokens(static_cast<size_t>(a.batch * window)), domains(static_cast<size_t>(a.batch));
    for (int b = 0; b < a.batch; ++b) domains[static_cast<size_t>(b)] = b % a.domains;
    std::vector<double> loss(a.domains), count(a.domains), stats(4), s(static_cast<size_t>(a.domains) * a.domains);
    std::vector<double> times;
    for (int step = 0; step < a.steps; ++step) {
      for (auto& t : tokens) t = tok(rng);
      auto t0 = std::chrono::steady_clock::now();
      model.trainStep(tokens.data(), a.batch, window, domains.data(), a.domains, 1, loss.data(), count.data(),
                      stats.data(), a.alignment.empty() ? nullptr : s.data());
      double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
      times.push_back(ms);
      std::printf("step %d ms %.2f loss %.4f\n", step + 1, ms, stats[0]);
    }
    std::vector<double> tail(times.begin() + std::min<size_t>(4, times.size() - 1), times.end());
    std::sort(tail.begin(), tail.end());
    std::printf("median step ms (steps 5-%d): %.2f\n", a.steps, tail[tail.size() / 2]);
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "train_step_bench: %s\n", e.what());
    return 2;
  }
}
