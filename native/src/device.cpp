#include "device.h"

#include <ATen/Parallel.h>
#include <ATen/autocast_mode.h>
#include <torch/version.h>

#include <iostream>
#include <cstdlib>
#include <malloc.h>
#include <mutex>
#include <sstream>
#include <stdexcept>

#include "acodm/model.h"
#include "compute_env.h"
#include "gram.h"

// libtorch 2.4 moved autocast to per-device-type calls; 1.13 has the GPU-specific ones.
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
#define ACODM_AUTOCAST_PER_DEVICE 1
#endif

namespace acodm {

int cudaDeviceCount() {
  try {
    return static_cast<int>(torch::cuda::device_count());
  } catch (const std::exception&) {
    return 0;
  }
}

// glibc hands large freed blocks back to the kernel (trim, munmap) and faults them in again on the next
// allocation, so every step's activations cost page faults: elementwise ops ran 3x slower than in the
// Python process sharing the same libtorch (15 ms vs 5 ms for a masked softmax over 8x8x256x256). A fixed
// mmap threshold (the largest glibc accepts) and a high trim threshold keep freed memory for reuse.
// ACODM_KEEP_MALLOC=1 leaves glibc's defaults.
void tuneAllocatorOnce() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (std::getenv("ACODM_KEEP_MALLOC") != nullptr) return;
    mallopt(M_MMAP_THRESHOLD, 32 * 1024 * 1024);
    mallopt(M_TRIM_THRESHOLD, 1024 * 1024 * 1024);
  });
}

// Some builds (Debian's libtorch among them) start with one intra-op thread, while the BLAS sizes its own pool
// from the environment or the core count: until a caller pins a count (setNumThreads, which a run does from
// run.threads), every pool gets OMP_NUM_THREADS when it is a number, else every CPU this process may use.
void defaultThreadsOnce() {
  tuneAllocatorOnce();
  static std::once_flag once;
  std::call_once(once, [] {
    int n = 0;
    if (const char* env = std::getenv("OMP_NUM_THREADS"); env != nullptr) n = std::atoi(env);
    pinComputeThreads(n);
  });
}

torch::Device resolveDevice(const std::string& spec) {
  defaultThreadsOnce();
  if (spec == "cpu") return torch::kCPU;
  const int gpus = cudaDeviceCount();
  if (spec == "auto") {
    static std::once_flag said;
    std::call_once(said, [gpus] {
      if (gpus > 0) std::cerr << "acodm: using CUDA (" << gpus << " device(s) visible)\n";
      else std::cerr << "acodm: no CUDA device visible, using the CPU\n";
    });
    return gpus > 0 ? torch::Device(torch::kCUDA, 0) : torch::Device(torch::kCPU);
  }
  if (spec == "cuda" || spec.rfind("cuda:", 0) == 0) {
    int index = 0;
    if (spec.size() > 5) {
      try {
        index = std::stoi(spec.substr(5));
      } catch (const std::exception&) {
        throw std::invalid_argument("device '" + spec + "': expected cuda:N");
      }
    }
    if (index < 0 || index >= gpus)
      throw std::invalid_argument("device '" + spec + "' requested but " + std::to_string(gpus) +
                                  " CUDA device(s) are visible (use device: cpu or auto)");
    return torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(index));
  }
  throw std::invalid_argument("unknown device '" + spec + "' (expected cpu, cuda, cuda:N or auto)");
}

AutocastGuard::AutocastGuard(const torch::Device& device) {
  if (!device.is_cuda()) return;
#ifdef ACODM_AUTOCAST_PER_DEVICE
  previous_ = at::autocast::is_autocast_enabled(at::kCUDA);
  at::autocast::set_autocast_dtype(at::kCUDA, at::kBFloat16);
  at::autocast::set_autocast_enabled(at::kCUDA, true);
#else
  previous_ = at::autocast::is_enabled();
  at::autocast::set_autocast_gpu_dtype(at::kBFloat16);
  at::autocast::set_enabled(true);
#endif
  active_ = true;
}

AutocastGuard::~AutocastGuard() {
  if (!active_) return;
#ifdef ACODM_AUTOCAST_PER_DEVICE
  at::autocast::set_autocast_enabled(at::kCUDA, previous_);
#else
  at::autocast::set_enabled(previous_);
#endif
  at::autocast::clear_cache();
}

void setNumThreads(int n) {
  defaultThreadsOnce();
  pinComputeThreads(n);
}

int numThreads() {
  defaultThreadsOnce();
  return at::get_num_threads();
}

std::string numericEnvironmentInfo() {
  defaultThreadsOnce();
  return numericEnvironment();
}

std::string buildInfo() {
  defaultThreadsOnce();
  std::ostringstream o;
  const BlasLibrary& blas = blasLibrary();
  o << "libtorch " << TORCH_VERSION << "; intra-op threads " << at::get_num_threads() << "; BLAS " << blas.name;
  if (!blas.config.empty()) o << " [" << blas.config << "]";
  if (!blas.path.empty()) o << " from " << blas.path;
  if (blas.controllable) o << ", " << blasThreads() << " thread(s), pinned with the engine's";
  else o << ", no thread control found (its threads are not pinned)";
  o << "; CUDA kernels "
#ifdef ACODM_WITH_CUDA
    << "compiled"
#else
    << "not compiled"
#endif
    << "; CUDA devices visible " << cudaDeviceCount() << "; CPU Gram kernel " << gram_cpu_kernel_name();
  return o.str();
}

}  // namespace acodm
