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

}  // namespace acodm
