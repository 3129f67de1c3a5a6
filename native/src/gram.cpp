// Tensor-level Gram dispatcher: checks shapes, devices and dtypes, keeps any converted copies alive for the
// duration of the call, and hands raw pointers to the CPU or CUDA kernel. The CUDA kernels take raw
// pointers and a stream because nvcc 13 cannot compile libtorch 1.13's headers; this g++ file bridges.
#include "gram.h"

#include <cstdio>
#include <mutex>
#include <stdexcept>
#include <string>

#include "cpu/gram_cpu.h"
#include "cpu/gram_reference.h"

#ifdef ACODM_WITH_CUDA
#include "gram.cuh"
#endif
#if defined(ACODM_WITH_CUDA) && defined(ACODM_TORCH_CUDA)
// c10's stream header needs only the CUDA runtime headers (ATen/cuda/CUDAContext.h would also want
// cuBLAS/cuSPARSE headers, which a toolkit paired with a pip torch may lack).
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#endif

namespace acodm {
namespace {

// Says once per process which kernel the alignment matrix comes from, the way a user would want to know
// whether the GPU path or which SIMD flavour is in use.
void announce(const std::string& what) {
  static std::once_flag once;
  std::call_once(once, [&] { std::fprintf(stderr, "acodm: Gram kernel: %s\n", what.c_str()); });
}

struct Checked {
  int K = 0;
  torch::Device device = torch::kCPU;
  bool all_bf16 = true;
};

Checked check_segments(const std::vector<std::vector<torch::Tensor>>& segments) {
  if (segments.empty()) throw std::invalid_argument("gram: no segments (need at least one reward layer)");
  Checked c;
  c.K = static_cast<int>(segments[0].size());
  if (c.K < 1 || c.K > cpu::kGramMaxK)
    throw std::invalid_argument("gram: K = " + std::to_string(c.K) + " rows per segment is outside [1, " +
                                std::to_string(cpu::kGramMaxK) + "]");
  bool first = true;
  for (size_t s = 0; s < segments.size(); ++s) {
    if (static_cast<int>(segments[s].size()) != c.K)
      throw std::invalid_argument("gram: segment " + std::to_string(s) + " has " +
                                  std::to_string(segments[s].size()) + " rows, segment 0 has " + std::to_string(c.K));
    const int64_t n = segments[s][0].defined() ? segments[s][0].numel() : -1;
    for (int k = 0; k < c.K; ++k) {
      const torch::Tensor& t = segments[s][k];
      const std::string where = "gram: segment " + std::to_string(s) + ", row " + std::to_string(k);
      if (!t.defined()) throw std::invalid_argument(where + " is an undefined tensor");
      if (t.numel() != n)
        throw std::invalid_argument(where + " has " + std::to_string(t.numel()) + " elements, row 0 has " +
                                    std::to_string(n));
      if (!t.is_floating_point()) throw std::invalid_argument(where + " is not a floating-point tensor");
      if (first) {
        c.device = t.device();
        first = false;
      } else if (t.device() != c.device) {
        throw std::invalid_argument(where + " is on " + t.device().str() + ", row 0 of segment 0 on " +
                                    c.device.str());
      }
      if (t.scalar_type() != torch::kBFloat16) c.all_bf16 = false;
    }
  }
  return c;
}

// A flat, contiguous view of `t` in `dtype`: the tensor itself when it already is one, else a copy that
// the caller keeps alive until the kernel is done.
torch::Tensor flat(const torch::Tensor& t, torch::ScalarType dtype) {
  return t.reshape({-1}).to(dtype).contiguous();
}

torch::Tensor gram_on_cpu(const std::vector<std::vector<torch::Tensor>>& segments, int K) {
  std::vector<torch::Tensor> keep;
  std::vector<const float*> ptrs;
  keep.reserve(segments.size() * K);
  ptrs.reserve(segments.size() * K);
  for (const auto& seg : segments)
    for (const auto& row : seg) {
      keep.push_back(flat(row, torch::kFloat));
      ptrs.push_back(keep.back().data_ptr<float>());
    }
  std::vector<cpu::GramSegment> segs(segments.size());
  for (size_t s = 0; s < segments.size(); ++s) segs[s] = {ptrs.data() + s * K, keep[s * K].numel()};
  torch::Tensor out = torch::empty({K, K}, torch::TensorOptions().dtype(torch::kDouble));
  const int threads = at::get_num_threads();
  announce(std::string("CPU, fused ") + cpu::gram_isa_name(cpu::GramIsa::kAuto) + ", " + std::to_string(threads) +
           " threads");
  cpu::gram_cpu(segs.data(), static_cast<int>(segs.size()), K, out.data_ptr<double>(), threads);
  return out;
}

torch::Tensor gram_on_cuda(const std::vector<std::vector<torch::Tensor>>& segments, const Checked& c) {
#if defined(ACODM_WITH_CUDA) && defined(ACODM_TORCH_CUDA)
  const int K = c.K;
  const c10::cuda::CUDAGuard guard(c.device);
  // bf16 rows are read as bf16 (half the bytes); a mix of dtypes, fp16 or fp64 goes through float32.
  const torch::ScalarType dtype = c.all_bf16 ? torch::kBFloat16 : torch::kFloat;
  std::vector<torch::Tensor> keep;
  std::vector<const void*> ptrs;
  keep.reserve(segments.size() * K);
  ptrs.reserve(segments.size() * K);
  for (const auto& seg : segments)
    for (const auto& row : seg) {
      keep.push_back(flat(row, dtype));
      ptrs.push_back(keep.back().data_ptr());
    }
  std::vector<cuda::GramDeviceSegment> segs(segments.size());
  for (size_t s = 0; s < segments.size(); ++s) segs[s] = {ptrs.data() + s * K, keep[s * K].numel()};
  const int nseg = static_cast<int>(segs.size());
  const size_t scratch_bytes = cuda::gram_cuda_scratch_bytes(segs.data(), nseg, K);
  const auto dopt = torch::TensorOptions().dtype(torch::kDouble).device(c.device);
  // Scratch from libtorch's caching allocator: no cudaMalloc per step, and it is stream-ordered.
  torch::Tensor scratch = torch::empty({static_cast<int64_t>((scratch_bytes + 7) / 8) + 1}, dopt);
  torch::Tensor out = torch::empty({K, K}, dopt);
  announce("CUDA, fused (" + c.device.str() + (c.all_bf16 ? ", bf16 rows" : ", fp32 rows") + ")");
  cuda::gram_cuda(segs.data(), nseg, K, c.all_bf16 ? cuda::GramDtype::kBFloat16 : cuda::GramDtype::kFloat32,
                  out.data_ptr<double>(), scratch.data_ptr(), scratch.numel() * sizeof(double),
                  c10::cuda::getCurrentCUDAStream().stream());
  return out;
#elif defined(ACODM_WITH_CUDA)
  (void)segments;
  (void)c;
  throw std::runtime_error("gram: rows are CUDA tensors but this libtorch has no CUDA support");
#else
  (void)segments;
  (void)c;
  throw std::runtime_error(
      "gram: rows are CUDA tensors but libacodm was built without CUDA kernels (rebuild with nvcc available and "
      "-DACODM_CUDA=ON)");
#endif
}

void check_raw(const float* const* rows, int K, int64_t P) {
  if (rows == nullptr) throw std::invalid_argument("gram: row array is null");
  if (K < 1 || K > cpu::kGramMaxK)
    throw std::invalid_argument("gram: K = " + std::to_string(K) + " is outside [1, " +
                                std::to_string(cpu::kGramMaxK) + "]");
  if (P < 0) throw std::invalid_argument("gram: P = " + std::to_string(P) + " is negative");
}

}  // namespace

torch::Tensor gram(const std::vector<std::vector<torch::Tensor>>& segments) {
  const Checked c = check_segments(segments);
  if (c.device.is_cpu()) return gram_on_cpu(segments, c.K);
  if (c.device.is_cuda()) return gram_on_cuda(segments, c);
  throw std::invalid_argument("gram: rows are on " + c.device.str() + ", only CPU and CUDA are supported");
}

void gram(const std::vector<std::vector<torch::Tensor>>& segments, double* out) {
  if (out == nullptr) throw std::invalid_argument("gram: output pointer is null");
  const torch::Tensor s = gram(segments).to(torch::kCPU).contiguous();
  std::copy_n(s.data_ptr<double>(), s.numel(), out);
}

void gram_fused_cpu(const float* const* rows, int K, int64_t P, double* S) {
  check_raw(rows, K, P);
  const cpu::GramSegment seg{rows, P};
  cpu::gram_cpu(&seg, 1, K, S, at::get_num_threads());
}

void gram_reference_cpu(const float* const* rows, int K, int64_t P, double* S) {
  check_raw(rows, K, P);
  const cpu::GramSegment seg{rows, P};
  cpu::gram_reference(&seg, 1, K, S);
}

void gram_torch_mm_cpu(const float* G, int K, int64_t P, double* S) {
  if (G == nullptr) throw std::invalid_argument("gram: matrix pointer is null");
  if (S == nullptr) throw std::invalid_argument("gram: output pointer S is null");
  if (K < 1 || P < 1) throw std::invalid_argument("gram: torch::mm baseline needs K >= 1 and P >= 1");
  // from_blob does not copy: the baseline reads exactly the bytes the fused kernel reads.
  const torch::Tensor g = torch::from_blob(const_cast<float*>(G), {K, P}, torch::kFloat);
  const torch::Tensor s = torch::mm(g, g.t()).to(torch::kDouble).contiguous();
  std::copy_n(s.data_ptr<double>(), s.numel(), S);
}

const char* gram_cpu_kernel_name() { return cpu::gram_isa_name(cpu::GramIsa::kAuto); }

bool gram_cuda_available() {
#ifdef ACODM_WITH_CUDA
  return cuda::gram_cuda_device_count() > 0;
#else
  return false;
#endif
}

}  // namespace acodm
