// S over ranks without gathering the rows anywhere: a reduce-scatter by columns (as an all-to-all, the one form
// Gloo's process group offers for it), partial Grams, and a K×K all-reduce. See gram.h.
#include <stdexcept>
#include <string>

#include "collectives.h"
#include "gram.h"

namespace acodm {

void gram_across_ranks(const std::vector<std::vector<torch::Tensor>>& segments, Collectives& group, double* out) {
  if (out == nullptr) throw std::invalid_argument("gram: output pointer is null");
  if (segments.empty() || segments[0].empty()) throw std::invalid_argument("gram: no segments or no rows");
  const int W = group.worldSize();
  const int K = static_cast<int>(segments[0].size());
  const auto opts = torch::TensorOptions().dtype(torch::kFloat32).device(group.device());
  torch::NoGradGuard no_grad;
  std::vector<int64_t> chunk(segments.size());
  int64_t n = 0;  // floats per rank's chunk of everything
  for (size_t s = 0; s < segments.size(); ++s) {
    if (static_cast<int>(segments[s].size()) != K)
      throw std::invalid_argument("gram: segment " + std::to_string(s) + " has " + std::to_string(segments[s].size()) +
                                  " rows, segment 0 has " + std::to_string(K));
    chunk[s] = (segments[s][0].numel() + W - 1) / W;
    n += K * chunk[s];
  }
  // send[j] = rank j's columns of every row, segment by segment: [s][k][chunk], zero past the row's end.
  torch::Tensor send = torch::zeros({W, n}, opts);
  int64_t off = 0;
  for (size_t s = 0; s < segments.size(); ++s) {
    const int64_t c = chunk[s];
    for (int k = 0; k < K; ++k) {
      const torch::Tensor row = segments[s][k].reshape({-1}).to(opts);
      const int64_t p = row.numel();
      for (int j = 0; j < W; ++j) {
        const int64_t lo = std::min<int64_t>(p, j * c), len = std::min<int64_t>(p, lo + c) - lo;
        if (len > 0) send[j].narrow(0, off + k * c, len).copy_(row.narrow(0, lo, len));
      }
    }
    off += K * c;
  }
  torch::Tensor recv = torch::empty({W, n}, opts);
  torch::Tensor send_flat = send.view({-1}), recv_flat = recv.view({-1});
  group.allToAll(recv_flat, send_flat, "all-to-all of the alignment rows", Traffic::kAlignment);
  const torch::Tensor owned = recv.sum(0);  // this rank's columns of the global rows
  std::vector<std::vector<torch::Tensor>> mine(segments.size());
  off = 0;
  for (size_t s = 0; s < segments.size(); ++s) {
    for (int k = 0; k < K; ++k) mine[s].push_back(owned.narrow(0, off + k * chunk[s], chunk[s]));
    off += K * chunk[s];
  }
  std::vector<torch::Tensor> partial{gram(mine).contiguous()};
  group.allReduce(partial, "all-reduce of the partial alignment matrices", Traffic::kAlignment);
  const torch::Tensor host = partial[0].to(torch::kCPU).contiguous();
  std::copy_n(host.data_ptr<double>(), host.numel(), out);
}

}  // namespace acodm
