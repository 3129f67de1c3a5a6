// Where tensors live: device resolution ("auto" picks CUDA when a GPU is visible and says so once) and
// bf16 autocast on GPUs, written against both libtorch 1.13 and 2.x.
#pragma once

#include <torch/torch.h>

#include <string>

namespace acodm {

torch::Device resolveDevice(const std::string& spec);
// Sets the intra-op thread count to the number of cores once, unless OMP_NUM_THREADS is set.
void defaultThreadsOnce();

// Enables bf16 autocast for the forward pass when the device is a GPU; a no-op on the CPU (fp32).
class AutocastGuard {
 public:
  explicit AutocastGuard(const torch::Device& device);
  ~AutocastGuard();
  AutocastGuard(const AutocastGuard&) = delete;
  AutocastGuard& operator=(const AutocastGuard&) = delete;

 private:
  bool active_ = false;
  bool previous_ = false;
};

}  // namespace acodm
