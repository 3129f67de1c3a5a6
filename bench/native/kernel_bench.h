// Benchmark fixtures (the acodm_bench library, beside libacodm and linked to it), driven from the Java benchmarks
// through JNI (org.acodm.bench.nativeapi) and from the C++ drivers: the Gram kernels on K rows of P random floats
// held in native memory, one call per variant so the caller times exactly the kernel; the matrix products of one
// train step (the BLAS roofline of that step); peak memory of a stretch of work.
#pragma once

#include <cstdint>
#include <string>

namespace acodm {

class GramFixture {
 public:
  // K rows of P floats, uniform in [-1, 1) from `seed` (never zeros), laid out as one K×P matrix.
  GramFixture(int k, int64_t p, int64_t seed);
  ~GramFixture();
  GramFixture(const GramFixture&) = delete;
  GramFixture& operator=(const GramFixture&) = delete;

  int k() const;
  int64_t p() const;
  int64_t bytes() const;  // K * P * 4: what one pass reads

  // Each runs once and returns the sum of S's entries (a checksum the caller sinks).
  double fused();          // the fused, optimised CPU kernel
  double torchMm();        // torch::mm(G, G.t()) in float32: the library baseline
  double copy();           // a plain copy of the same bytes into a second buffer: the memory-speed baseline
  // Largest |fused - reference| / sqrt(S_ii S_jj) over the matrix, against the double-precision loops.
  double fusedError();
  std::string kernelName() const;

 private:
  struct Impl;
  Impl* impl_;
};

// The same K×P matrix in GPU memory, for the gpu benchmark group: the fused CUDA kernel runs on it here, and the
// Java side calls cuBLAS (cublasSsyrk, through JavaCPP's CUDA presets) on the very same buffers, whose device
// addresses it reads from matrixAddress() and outputAddress(). Needs a build with CUDA kernels and a visible GPU;
// otherwise the constructor throws std::runtime_error saying which is missing (unavailableReason() says it first).
class GpuGramFixture {
 public:
  GpuGramFixture(int k, int64_t p, int64_t seed);
  ~GpuGramFixture();
  GpuGramFixture(const GpuGramFixture&) = delete;
  GpuGramFixture& operator=(const GpuGramFixture&) = delete;

  // "" when the fixture can be built here, else why not (no CUDA kernels in this build, no device).
  static std::string unavailableReason();

  int k() const;
  int64_t p() const;
  int64_t bytes() const;  // K * P * 4
  // Device address of G (K rows of P floats, row-major: column-major P×K with leading dimension P for cuBLAS).
  int64_t matrixAddress() const;
  // Device address of a K×K float scratch matrix for cuBLAS's result.
  int64_t outputAddress() const;
  // One fused-kernel Gram on the device, synchronised; returns the sum of S's entries.
  double fused();
  // Largest |fused - reference| / sqrt(S_ii S_jj) against the double loops on the host copy of G.
  double fusedError();
  // Largest |C - S| / sqrt(S_ii S_jj) over the upper triangle of the K×K float matrix at outputAddress() (what
  // cuBLAS left there) against the fused kernel's S: the benchmark's check of its own baseline.
  double outputError();

 private:
  struct Impl;
  Impl* impl_;
};

// Every matrix product of one train step (forward and backward) of a model config on `batch` windows of `seq`
// tokens, replayed with torch::mm / torch::bmm on random operands of the same shapes and transposes, outputs
// preallocated: what the step would cost if it were nothing but its GEMMs at the BLAS's rate. The shapes are the
// plain, unchunked ones (the whole B*T x V LM head), whatever the engine's loss path.
class StepGemms {
 public:
  StepGemms(const std::string& config, int64_t batch, int64_t seq, int64_t seed);
  ~StepGemms();
  StepGemms(const StepGemms&) = delete;
  StepGemms& operator=(const StepGemms&) = delete;

  int count() const;                 // distinct products
  std::string name(int i) const;     // e.g. "lm_head dW: [50304x2048]x[2048x256] x1"
  int64_t occurrences(int i) const;  // how often the step runs product i (once per layer, or once)
  double flops(int i) const;         // FLOPs of product i over all its occurrences (2*M*N*K each)
  double totalFlops() const;         // every matrix-product FLOP of the step
  // Runs every product of the step once (each as often as the step does) and returns the summed ms.
  double run();
  double lastMs(int i) const;  // ms of product i (all occurrences) in the last run()

 private:
  struct Impl;
  Impl* impl_;
};

// Peak memory of a stretch of work on `device` ("cpu", "cuda", "cuda:N"): on the CPU the resident set's high-water
// mark (VmHWM; the reset first returns the allocator's free memory to the system, then resets the mark through
// /proc/self/clear_refs), on a GPU the caching allocator's peak allocated bytes. Call resetPeakMemory, read
// currentMemoryBytes (the resting set), do the work, read peakMemoryBytes. -1 where the platform cannot say.
void resetPeakMemory(const std::string& device);
int64_t peakMemoryBytes(const std::string& device);
int64_t currentMemoryBytes(const std::string& device);

}  // namespace acodm
