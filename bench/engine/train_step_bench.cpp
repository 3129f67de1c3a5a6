// Times the engine's train step on random tokens: one line per step, then medians of steps 5..N.
//   --interleave    plain, capture and K-backward steps in turns on three identical models (the reward cost)
//   --roofline      after every step, the step's own matrix products replayed at the BLAS's rate (StepGemms):
//                   per-step fraction of that roofline, step FLOP/s and the sgemm rate of each shape
//   --loss plain|N  the LM head + cross-entropy over the full logits, or in chunks of N tokens (default: the engine's)
//   --lockstep      one step per "step" line on stdin, answered by "lockstep done MS ..." on stdout, so
//                   bench/lockstep.py can take turns with another process (bench/pytorch_compare.sh)
// Peak step memory (resident set above the resting set after setup, or the GPU allocator's peak) is printed last.
#include <acodm/model.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <memory>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "kernel_bench.h"

namespace {

struct Args {
  std::string config = "bench-256";
  int batch = 8, seq = 256, steps = 20, threads = 0, domains = 1;
  std::string alignment, method = "capture";
  int64_t loss_chunk = -1;  // -1: the engine's default; 0: the plain path (full logits); N: chunks of N tokens
  bool interleave = false;  // plain, capture and backward steps round-robin on three identical models
  bool roofline = false;
  bool lockstep = false;
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
    else if (k == "--loss") {
      const std::string v = value();
      a.loss_chunk = v == "plain" ? 0 : std::stoll(v);
    }
    else if (k == "--interleave") a.interleave = true;
    else if (k == "--roofline") a.roofline = true;
    else if (k == "--lockstep") a.lockstep = true;
    else throw std::invalid_argument("unknown option " + k +
                                     " (--config --batch --seq --steps --threads --domains --alignment --method --loss plain|CHUNK"
                                     " --interleave --roofline --lockstep)");
  }
  return a;
}

// Median (mean of the middle two for an even count) and quartiles (nearest rank) of a sample, as
// bench/lockstep.py and the Java benchmarks' report (org.acodm.bench.Report, from JMH's results) compute them.
struct Spread {
  double median, p25, p75, min, max;
};

Spread spread(std::vector<double> v) {
  if (v.empty()) throw std::invalid_argument("--steps must be at least 5 to report a median");
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  auto at = [&](double q) { return v[static_cast<size_t>(q * static_cast<double>(n - 1) + 0.5)]; };
  return {n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]), at(0.25), at(0.75), v.front(), v.back()};
}

double mb(int64_t bytes) { return static_cast<double>(bytes) / (1024.0 * 1024.0); }

// Trains one model per variant ("plain", "capture" or "backward": how S is computed, if at all) on the same
// random batches. With several variants the steps run in turns: the machine's speed drifts (shared hosts),
// and timing the variants step by step exposes each to the same drift, so their ratio is steadier than
// separate runs one after another. Medians skip the first 4 steps (allocation and cache warm-up).
int run(const Args& a, const std::vector<std::string>& variants) {
  std::vector<std::unique_ptr<acodm::Model>> models;
  for (const auto& v : variants) {
    models.push_back(std::make_unique<acodm::Model>(a.config, 1234, "auto"));
    acodm::OptimizerSettings o;
    o.max_lr = 6e-4, o.min_lr = 6e-5, o.warmup = 2, o.total = a.steps;
    o.weight_decay = 0.1, o.beta1 = 0.9, o.beta2 = 0.95, o.eps = 1e-8, o.decoupled = true, o.grad_clip = 1.0;
    models.back()->setOptimizer(o);
    if (a.loss_chunk >= 0) models.back()->setLossChunk(a.loss_chunk);
    if (v != "plain") {
      std::vector<std::string> names;
      for (size_t from = 0; from <= a.alignment.size();) {  // --alignment is a comma-separated list
        const size_t comma = std::min(a.alignment.find(',', from), a.alignment.size());
        if (comma > from) names.push_back(a.alignment.substr(from, comma - from));
        from = comma + 1;
      }
      models.back()->setAlignmentParameters(names);
      models.back()->setAlignmentMethod(v);
    }
  }
  const auto& first = *models.front();
  const std::string device = first.deviceName();
  std::unique_ptr<acodm::StepGemms> gemms;
  if (a.roofline) gemms = std::make_unique<acodm::StepGemms>(a.config, a.batch, a.seq, 99);
  const std::string loss_path = first.lossChunk() == 0 ? "plain (full logits)" : "chunks of " + std::to_string(first.lossChunk()) + " tokens";
  std::printf("engine: %s, %lld parameters, threads %d, device %s, LM head + loss %s\n", first.configString().c_str(),
              static_cast<long long>(first.numParameters()), acodm::numThreads(), device.c_str(), loss_path.c_str());
  std::mt19937 rng(7);
  std::uniform_int_distribution<int32_t> tok(0, first.vocabSize() - 1);
  const int64_t window = a.seq + 1;
  std::vector<int32_t> tokens(static_cast<size_t>(a.batch * window)), domains(static_cast<size_t>(a.batch));
  for (int b = 0; b < a.batch; ++b) domains[static_cast<size_t>(b)] = b % a.domains;
  acodm::StepStats stats;
  std::vector<double> loss(a.domains), count(a.domains), s(static_cast<size_t>(a.domains) * a.domains);
  std::vector<std::vector<double>> times(variants.size());
  std::vector<double> gemm_ms, fractions;
  std::vector<std::vector<double>> product_ms(gemms ? gemms->count() : 0);
  // Resting memory: the models, their optimizer state and the GEMM operands, before any step.
  acodm::resetPeakMemory(device);
  const int64_t resting = acodm::currentMemoryBytes(device);
  if (a.lockstep) std::printf("lockstep ready\n");
  std::fflush(stdout);
  for (int step = 0;; ++step) {
    if (a.lockstep) {
      std::string command;
      if (!std::getline(std::cin, command) || command == "quit") break;
      if (command != "step") throw std::invalid_argument("lockstep: expected 'step' or 'quit', got '" + command + "'");
    } else if (step >= a.steps) {
      break;
    }
    for (auto& t : tokens) t = tok(rng);
    std::string line = "step " + std::to_string(step + 1) + " ms";
    double first_ms = 0;
    for (size_t m = 0; m < models.size(); ++m) {
      auto t0 = std::chrono::steady_clock::now();
      models[m]->trainStep(tokens.data(), a.batch, window, domains.data(), a.domains, 1, loss.data(), count.data(),
                           &stats, variants[m] == "plain" ? nullptr : s.data());
      double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
      if (m == 0) first_ms = ms;
      if (step >= 4) times[m].push_back(ms);
      char buf[64];
      if (models.size() == 1) std::snprintf(buf, sizeof buf, " %.2f loss %.4f", ms, stats.loss);
      else std::snprintf(buf, sizeof buf, " %s %.1f", variants[m].c_str(), ms);
      line += buf;
    }
    double g = 0;
    if (gemms) {
      g = gemms->run();
      char buf[64];
      std::snprintf(buf, sizeof buf, " gemms %.2f fraction %.3f", g, g / first_ms);
      line += buf;
      if (step >= 4) {
        gemm_ms.push_back(g);
        fractions.push_back(g / first_ms);
        for (int i = 0; i < gemms->count(); ++i) product_ms[static_cast<size_t>(i)].push_back(gemms->lastMs(i));
      }
    }
    std::printf("%s\n", line.c_str());
    if (a.lockstep)
      std::printf("lockstep done %.3f loss=%.4f gemm_ms=%.3f peak_mb=%.1f\n", first_ms, stats.loss, g,
                  mb(acodm::peakMemoryBytes(device) - resting));
    std::fflush(stdout);
  }
  const int last = static_cast<int>(times.front().size()) + 4;
  if (models.size() == 1) {
    std::printf("median step ms (steps 5-%d): %.2f\n", last, spread(times.front()).median);
  } else {
    const double p = spread(times[0]).median, c = spread(times[1]).median, b = spread(times[2]).median;
    std::printf("median step ms (steps 5-%d): plain %.1f, capture %.1f, backward %.1f\n", last, p, c, b);
    std::printf("step with S / plain step: %.3f; K-backward / ours: %.2f\n", c / p, b / c);
  }
  if (gemms) {
    const double flops = gemms->totalFlops(), step_ms = spread(times.front()).median;
    const double g = spread(gemm_ms).median;
    std::printf("roofline: the step's %d matrix products (%.1f GFLOP) replayed after every step, same process\n",
                gemms->count(), flops / 1e9);
    for (int i = 0; i < gemms->count(); ++i) {
      const double ms = spread(product_ms[static_cast<size_t>(i)]).median;
      std::printf("  %-72s %8.2f GFLOP %8.1f ms %7.1f GFLOP/s\n", gemms->name(i).c_str(), gemms->flops(i) / 1e9, ms,
                  gemms->flops(i) / ms / 1e6);
    }
    std::printf("step: %.1f GFLOP/s (%.1f ms); sgemm on the step's shapes: %.1f GFLOP/s FLOP-weighted (%.1f ms)\n",
                flops / step_ms / 1e6, step_ms, flops / g / 1e6, g);
    const Spread f = spread(fractions);
    std::printf("fraction of BLAS roofline: %.3f (per-step spread p25-p75 %.3f-%.3f, min-max %.3f-%.3f, %zu steps)\n",
                f.median, f.p25, f.p75, f.min, f.max, fractions.size());
  }
  const int64_t peak = acodm::peakMemoryBytes(device);
  if (peak >= 0)
    std::printf("peak step memory: %.1f MB above %.1f MB resting (%s)\n", mb(peak - resting), mb(resting),
                device == "cpu" ? "resident set" : "allocator peak");
  std::fflush(stdout);
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
