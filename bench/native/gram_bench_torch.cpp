// torch::mm baseline for the CUDA kernel lab (see gram_bench_torch.h).
#include "gram_bench_torch.h"

#ifdef ACODM_TORCH_CUDA
#include <cuda_runtime_api.h>
#include <torch/torch.h>

#include <algorithm>
#include <stdexcept>
#include <string>
#endif

double torch_mm_cuda_ms(const float* dG, int K, int64_t P, int reps, float* out) {
#ifdef ACODM_TORCH_CUDA
  auto opts = torch::TensorOptions().dtype(torch::kFloat).device(torch::kCUDA);
  // from_blob: the same device bytes the fused kernel reads, no copy.
  const torch::Tensor g = torch::from_blob(const_cast<float*>(dG), {K, P}, opts);
  torch::Tensor s = torch::mm(g, g.t());  // warm-up (cuBLAS handle, workspace)
  cudaEvent_t start, stop;
  cudaEventCreate(&start);
  cudaEventCreate(&stop);
  cudaEventRecord(start, nullptr);
  for (int r = 0; r < reps; ++r) s = torch::mm(g, g.t());
  cudaEventRecord(stop, nullptr);
  cudaEventSynchronize(stop);
  float ms = 0.f;
  cudaEventElapsedTime(&ms, start, stop);
  cudaEventDestroy(start);
  cudaEventDestroy(stop);
  const torch::Tensor host = s.to(torch::kCPU).contiguous();
  std::copy_n(host.data_ptr<float>(), static_cast<size_t>(K) * K, out);
  return ms / reps;
#else
  (void)dG;
  (void)K;
  (void)P;
  (void)reps;
  (void)out;
  return -1.0;
#endif
}
