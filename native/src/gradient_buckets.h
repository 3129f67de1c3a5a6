// Data-parallel gradient reduction: the parameters' gradients packed into flat buffers of about a configured size
// (in reverse parameter order, as PyTorch's DistributedDataParallel fills them: the last layers' gradients are the
// first ready), every bucket all-reduced at once, the sums unpacked. The buffers are allocated once and reused.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <vector>

namespace acodm {

class Collectives;

class GradientBuckets {
 public:
  // `bucket_bytes` >= 1; a parameter larger than that gets a bucket of its own. Buffers live on `device`.
  GradientBuckets(const std::vector<torch::Tensor>& params, int64_t bucket_bytes, const torch::Device& device);

  // Replaces every parameter's gradient by its sum over the ranks; a parameter without a gradient counts as zeros
  // (and gets a zero gradient first), so every rank reduces the same buffers.
  void allReduce(const std::vector<torch::Tensor>& params, Collectives& group);

  int64_t count() const { return static_cast<int64_t>(buckets_.size()); }
  int64_t bytes() const;

 private:
  struct Bucket {
    std::vector<size_t> members;  // parameter indices, in packing order
    torch::Tensor flat;
  };
  std::vector<Bucket> buckets_;
};

}  // namespace acodm
