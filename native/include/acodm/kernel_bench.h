// Benchmark fixture for the Gram kernels, driven from JMH through JNI: K rows of P random floats held in
// native memory, and one call per variant so the Java side times exactly the kernel.
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

}  // namespace acodm
