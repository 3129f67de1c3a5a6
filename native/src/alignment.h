// Per-domain gradients of chosen Linear weights without K backward passes.
// During the ordinary backward pass of a step the layer's input X and output gradient Δ are captured;
// since every window belongs to one domain and attention never crosses windows, Δ restricted to domain
// d's windows is exactly d's share of the loss gradient, so G_d = Δ_dᵀ X_d (scaled from the batch mean
// to d's own mean) is the gradient of domain d's mean token loss. S = Gram(G) then follows.
#pragma once

#include <torch/torch.h>

#include <map>
#include <string>
#include <vector>

namespace acodm {

class AlignmentCapture {
 public:
  void configure(std::vector<std::string> names);
  bool enabled() const { return !names_.empty(); }
  const std::vector<std::string>& parameters() const { return names_; }

  void beginStep(int num_domains, const torch::Device& device);
  // domains: [micro_batch] int64 domain id of each window of the micro-batch about to run.
  void beginMicroBatch(const torch::Tensor& domains);
  // Called by every Linear in the forward pass; records X and hooks Δ for the configured weights.
  void observe(const std::string& weight_name, const torch::Tensor& x, const torch::Tensor& y);
  // After backward of the micro-batch: G_d += Δ_dᵀ X_d for every configured layer and present domain.
  void endMicroBatch();
  // token_counts: [K] float64 on the CPU. Writes S (K×K, row-major) into out.
  void finish(const torch::Tensor& token_counts, double* out);

 private:
  struct Layer {
    torch::Tensor x, grad;
    std::map<int64_t, torch::Tensor> per_domain;  // domain -> accumulated Δ_dᵀ X_d
  };
  std::vector<std::string> names_;
  std::map<std::string, size_t> slot_;
  std::vector<Layer> layers_;
  torch::Tensor domains_;
  int num_domains_ = 0;
  bool active_ = false;
};

}  // namespace acodm
