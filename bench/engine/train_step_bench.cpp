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


double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// Trains one model per variant ("plain", "capture" or "backward": how S is computed, if at all) on the same
// random batches. With several variants the steps run in turns: the machine's speed drifts (shared hosts),
// and timing the variants step by step exposes each to the same drift, so their ratio is steadier than
// separate runs one after another. Medians skip the first 4 steps (allocation and cache warm-up).
int run(const Args& a, const std::vector<std::string>& variants) {
  std::vector<std::unique_ptr<acodm::Model>> models;
  for (const auto& v : variants) {
    models.push_back(std::make_unique<acodm::Model>(a.config, 1234, "auto"));
    models.back()->setOptimizer(6e-4, 6e-5, 2, a.steps, 0.1, 0.9, 0.95, 1e-8, 1.0);
    if (v != "plain") {
      models.back()->setAlignmentParameters(a.alignment);
      models.back()->setAlignmentMethod(v);
    }
  }
  const auto& first = *models.front();
  std::printf("engine: %s, %lld parameters, threads %d, device %s\n", first.configString().c_str(),
              static_cast<long long>(first.numParameters()), acodm::numThreads(), first.deviceName().c_str());
  std::mt19937 rng(7);
  std::uniform_int_distribution<int32_t> tok(0, first.vocabSize() - 1);
  const int64_t window = a.seq + 1;
  std::vector<int32_t> tokens(static_cast<size_t>(a.batch * window)), domains(static_cast<size_t>(a.batch));
  for (int b = 0; b < a.batch; ++b) domains[static_cast<size_t>(b)] = b % a.domains;
  std::vector<double> loss(a.domains), count(a.domains), stats(4), s(static_cast<size_t>(a.domains) * a.domains);
  std::vector<std::vector<double>> times(variants.size());
  for (int step = 0; step < a.steps; ++step) {
    for (auto& t : tokens) t = tok(rng);
    std::string line = "step " + std::to_string(step + 1) + " ms";
    for (size_t m = 0; m < models.size(); ++m) {
      auto t0 = std::chrono::steady_clock::now();
      models[m]->trainStep(tokens.data(), a.batch, window, domains.data(), a.domains, 1, loss.data(), count.data(),
                           stats.data(), variants[m] == "plain" ? nullptr : s.data());
      double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
      if (step >= 4) times[m].push_back(ms);
      char buf[64];
      if (models.size() == 1) std::snprintf(buf, sizeof buf, " %.2f loss %.4f", ms, stats[0]);
      else std::snprintf(buf, sizeof buf, " %s %.1f", variants[m].c_str(), ms);
      line += buf;
    }
    std::printf("%s\n", line.c_str());
  }
  if (times.front().empty()) throw std::invalid_argument("--steps must be at least 5 to report a median");
  if (models.size() == 1) {
    std::printf("median step ms (steps 5-%d): %.2f\n", a.steps, median(times.front()));
    return 0;
  }
  const double p = median(times[0]), c = median(times[1]), b = median(times[2]);
  std::printf("median step ms (steps 5-%d): plain %.1f, capture %.1f, backward %.1f\n", a.steps, p, c, b);
  std::printf("step with S / plain step: %.3f; K-backward / ours: %.2f\n", c / p, b / c);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    Args a = parse(argc, argv);
    acodm::setNumThreads(a.threads);
    if (a.interleave) {
      if (a.alignment.empty()) throw std::invalid_argument("--interleave needs --alignment LAYERS");
      return run(a, {"plain", "capture", "backward"});
    }
    return run(a, {a.alignment.empty() ? std::string("plain") : a.method});
  } catch (const std::exception& e) {
    std::fprintf(stderr, "train_step_bench: %s\n", e.what());
    return 2;
  }
}
