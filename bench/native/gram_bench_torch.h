// The torch::mm(G, G.t()) baseline of the CUDA kernel lab, compiled by g++ (nvcc cannot read the libtorch
// headers), so gram_bench.cu only sees this plain declaration.
#pragma once

#include <cstdint>

// Runs torch::mm(G, G.t()) in float32 on the device matrix dG (K×P, row-major, contiguous) `reps` times
// after a warm-up, on the legacy default stream; returns milliseconds per call measured with CUDA events
// and writes the K×K result to host `out`. Returns a negative value when libtorch has no CUDA support.
double torch_mm_cuda_ms(const float* dG, int K, int64_t P, int reps, float* out);
