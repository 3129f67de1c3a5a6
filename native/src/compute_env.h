// The numeric environment of the process: every CPU compute pool the engine uses (libtorch's intra-op
// threads, OpenMP's, and the BLAS library's own pool) pinned to one count, and a description of what decides
// the bits of a result (threads, BLAS library and kernel core, CPU instruction set, libtorch version).
// Thread counts change summation orders, so a run's numbers are reproducible only under the same description.
#pragma once

#include <string>

namespace acodm {

// The BLAS library the process loaded, found at run time among the loaded objects (never linked by us).
struct BlasLibrary {
  std::string name;     // "OpenBLAS", "MKL", "BLIS", or "unknown" when no thread control was found
  std::string path;     // file of the object that exports the thread control ("" when none)
  std::string config;   // the library's own build description (openblas_get_config), when it has one
  std::string core;     // the kernel core it dispatched to on this CPU (openblas_get_corename), when known
  bool controllable = false;  // a set-threads function was found
};

const BlasLibrary& blasLibrary();
// Threads the BLAS runs with now (-1 when it cannot be asked).
int blasThreads();

// CPUs this process may run on (its affinity mask, as `nproc` counts; not the machine's core count).
int availableCpus();

// Pins libtorch intra-op, OpenMP and BLAS threads to n (n <= 0: availableCpus()). Idempotent and cheap.
void pinComputeThreads(int n);
// The count of the last pin (the default pin happens on first use of the engine).
int pinnedThreads();

// Runs a scope with all pools at `threads` and restores the previous pin afterwards (threads <= 0: no change).
class ThreadScope {
 public:
  explicit ThreadScope(int threads);
  ~ThreadScope();
  ThreadScope(const ThreadScope&) = delete;
  ThreadScope& operator=(const ThreadScope&) = delete;

 private:
  int previous_;
  bool changed_ = false;
};

// "key=value" lines, sorted by key: threads, blas, blas_core, blas_threads, cpu, cpu_isa, gram_kernel, libtorch.
// (The device is the model's and is added by the caller.) What a checkpoint records and a resume compares.
std::string numericEnvironment();

}  // namespace acodm
