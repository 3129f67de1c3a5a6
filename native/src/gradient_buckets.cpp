#include "gradient_buckets.h"

#include <stdexcept>
#include <string>

#include "collectives.h"

namespace acodm {

GradientBuckets::GradientBuckets(const std::vector<torch::Tensor>& params, int64_t bucket_bytes, const torch::Device& device) {
  if (bucket_bytes < 1) throw std::invalid_argument("gradient bucket size must be >= 1 byte, got " + std::to_string(bucket_bytes));
  Bucket open;
  int64_t open_bytes = 0;
  torch::ScalarType open_type = torch::kFloat32;
  auto close = [&] {
    if (open.members.empty()) return;
    int64_t n = 0;
    for (size_t i : open.members) n += params[i].numel();
    open.flat = torch::empty({n}, torch::TensorOptions().dtype(open_type).device(device));
    buckets_.push_back(std::move(open));
    open = Bucket{};
    open_bytes = 0;
  };
  for (size_t j = params.size(); j-- > 0;) {
    const auto& p = params[j];
    const int64_t b = p.numel() * p.element_size();
    if (!open.members.empty() && (open_bytes + b > bucket_bytes || p.scalar_type() != open_type)) close();
    open_type = p.scalar_type();
    open.members.push_back(j);
    open_bytes += b;
  }
  close();
}

int64_t GradientBuckets::bytes() const {
  int64_t n = 0;
  for (const auto& b : buckets_) n += b.flat.numel() * b.flat.element_size();
  return n;
}

void GradientBuckets::allReduce(const std::vector<torch::Tensor>& params, Collectives& group) {
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> flats;
  flats.reserve(buckets_.size());
  for (auto& b : buckets_) {
    int64_t off = 0;
    for (size_t i : b.members) {
      const auto& p = params[i];
      const int64_t n = p.numel();
      if (p.grad().defined()) b.flat.narrow(0, off, n).copy_(p.grad().reshape({-1}));
      else b.flat.narrow(0, off, n).zero_();
      off += n;
    }
    flats.push_back(b.flat);
  }
  group.allReduce(flats, "gradient all-reduce (" + std::to_string(flats.size()) + " buckets)", Traffic::kGradient);
  for (auto& b : buckets_) {
    int64_t off = 0;
    for (size_t i : b.members) {
      auto& p = const_cast<torch::Tensor&>(params[i]);
      const int64_t n = p.numel();
      if (!p.grad().defined()) p.mutable_grad() = torch::zeros_like(p);
      p.grad().view({-1}).copy_(b.flat.narrow(0, off, n));
      off += n;
    }
  }
}

}  // namespace acodm
