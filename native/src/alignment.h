// Per-domain gradient alignment S_ij = <g_i, g_j> over chosen Linear weights, g_d the gradient of domain d's
// mean token loss in the step. The train step drives one strategy through the same hooks whatever it is:
//
//   capture (default): during the one ordinary backward pass of a step the layer's input X and output gradient
//     Δ are captured; since every window belongs to one domain and attention never crosses windows, Δ restricted
//     to domain d's windows is exactly d's share of the loss gradient, so G_d = Δ_dᵀ X_d (scaled from the batch
//     mean to d's own mean) is the gradient of domain d's mean token loss. S = Gram(G) then follows.
//   backward (the reference and benchmark baseline): one extra autograd pass per domain present in a
//     micro-batch, over the same forward graph.
//
// Data-parallel: with a process group set, each rank's rows are its share of the global per-domain gradients
// (finish() gets the global token counts), and S is taken of the rows summed over the ranks (gram_across_ranks).
//
// Split halves (setSplit(true)): each domain's windows in the step are dealt in turns into two halves A and B (the
// k-th window of domain d on rank r goes to half (k + r) mod 2), one gradient row per half; S is assembled from the
// halves' Gram (g_d = (n_dA g_dA + n_dB g_dB) / n_d, the same S to float rounding) and finish() also reports
// <g_dA, g_dB>: an estimate of ||E g_d||^2 free of the windows' own noise, which S_dd = ||g_d||^2 carries as
// tr(Sigma_d) / n_d (docs/mixing.md, "Domain scores"). The halves double the rows of the Gram (at most 32 domains
// present in a step).
#pragma once

#include <torch/torch.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace acodm {

class Collectives;

class AlignmentStrategy {
 public:
  virtual ~AlignmentStrategy() = default;

  // "capture" or "backward" (anything else: std::invalid_argument). `names` are the alignment parameters,
  // `weights` their tensors (the model's own, in the same order).
  static std::unique_ptr<AlignmentStrategy> create(const std::string& method, std::vector<std::string> names,
                                                   std::vector<torch::Tensor> weights);

  const std::vector<std::string>& parameters() const { return names_; }
  // The ranks whose rows add up to the global gradients (null: this process alone).
  void setGroup(std::shared_ptr<Collectives> group) { group_ = std::move(group); }
  // Split halves on or off (see above); off by default.
  void setSplit(bool split) { split_ = split; }
  bool split() const { return split_; }

  virtual void beginStep(int num_domains) = 0;
  // domains: [micro_batch] int64 domain id of each window of the micro-batch about to run.
  virtual void beginMicroBatch(const torch::Tensor& domains) = 0;
  // Called by every Linear in the forward pass.
  virtual void observe(const std::string& weight_name, const torch::Tensor& x, const torch::Tensor& y) {}
  // window_sums: [micro_batch] summed token losses of each window, before the micro-batch's backward pass.
  virtual void beforeBackward(const torch::Tensor& window_sums) {}
  // After the micro-batch's backward pass.
  virtual void endMicroBatch() {}
  // token_counts: [K] float64 on the CPU, over every rank. Writes S (K×K, row-major; rows and columns of domains
  // absent from the whole step 0) and, in split mode, out[K*K + d] = <g_dA, g_dB> (NaN when domain d has fewer than
  // two windows in the step: one half is empty).
  virtual void finish(const torch::Tensor& token_counts, double* out) = 0;

 protected:
  AlignmentStrategy(std::vector<std::string> names, std::vector<torch::Tensor> weights);
  // S of `segments` ([parameter][present domain] rows) into out[kp * kp]: locally, or over the group's ranks.
  void gramOf(const std::vector<std::vector<torch::Tensor>>& segments, double* out) const;

  // A step's rows are indexed by key: the domain d, or 2d + half in split mode.
  void beginKeys(int num_domains);
  // The key of every window of a micro-batch (int64, on the domains' device): the domains themselves, or in split
  // mode 2d + half, counting the windows of each key.
  torch::Tensor keysOf(const torch::Tensor& domains);
  // The keys some rank drew in this step (ascending) and each key's share of its domain's tokens over every rank
  // (n_key / n_d): the domains of token_counts, or in split mode the halves counted by keysOf, summed over the ranks.
  struct Keys {
    std::vector<int64_t> present;
    std::vector<double> share;  // per present key
  };
  Keys stepKeys(const torch::Tensor& token_counts);
  // Writes S and, in split mode, the halves' products into out from the Gram `g` (kr×kr, row-major) of the rows of
  // keys.present, each the gradient of its key's own mean token loss.
  void assemble(const Keys& keys, const std::vector<double>& g, double* out) const;

  std::shared_ptr<Collectives> group_;

  std::vector<std::string> names_;
  std::vector<torch::Tensor> weights_;
  int num_domains_ = 0;
  bool split_ = false;
  std::vector<int64_t> key_windows_;  // split mode: windows of each key in this step, this rank
};

// From the captured layer inputs and output gradients of the one backward pass.
class AlignmentCapture final : public AlignmentStrategy {
 public:
  AlignmentCapture(std::vector<std::string> names, std::vector<torch::Tensor> weights);

  void beginStep(int num_domains) override;
  void beginMicroBatch(const torch::Tensor& domains) override;
  // Records X and hooks Δ for the configured weights.
  void observe(const std::string& weight_name, const torch::Tensor& x, const torch::Tensor& y) override;
  // G_d += Δ_dᵀ X_d for every configured layer and present domain (key in split mode).
  void endMicroBatch() override;
  void finish(const torch::Tensor& token_counts, double* out) override;

 private:
  struct Layer {
    torch::Tensor x, grad;
    std::map<int64_t, torch::Tensor> per_key;  // key -> accumulated Δ_dᵀ X_d over the key's windows
  };
  std::map<std::string, size_t> slot_;
  std::vector<Layer> layers_;
  torch::Tensor keys_;
  bool active_ = false;
};

// One autograd pass per present domain (per present half in split mode): d/dθ of its loss sum, through the shared
// graph (retain_graph).
class AlignmentByBackward final : public AlignmentStrategy {
 public:
  AlignmentByBackward(std::vector<std::string> names, std::vector<torch::Tensor> weights);

  void beginStep(int num_domains) override;
  void beginMicroBatch(const torch::Tensor& domains) override;
  void beforeBackward(const torch::Tensor& window_sums) override;
  void finish(const torch::Tensor& token_counts, double* out) override;

 private:
  torch::Tensor keys_;
  std::map<int64_t, std::vector<torch::Tensor>> grads_;  // key -> summed loss gradients
};

}  // namespace acodm
