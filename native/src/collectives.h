// The c10d side of a process group: the rendezvous (a TCPStore hosted by rank 0, a configuration fingerprint
// compared), the Gloo or NCCL backend, a heartbeat per rank, and collectives that turn a failure into an error
// naming the lost rank. Counters of what attached models' train steps moved feed ProcessGroup::statistics().
#pragma once

#include <torch/csrc/distributed/c10d/Store.hpp>
#include <torch/torch.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace acodm {

// What a collective carried, for ProcessGroup::statistics().
// kSums: the per-domain counts and loss sums inside a train step; kOther: everything outside train steps.
enum class Traffic { kGradient, kAlignment, kSums, kOther };

class Collectives {
 public:
  Collectives(int rank, int world_size, const std::string& master_addr, int master_port, double timeout_s,
              const std::string& backend, const std::string& device, const std::string& fingerprint,
              const std::string& agent_store_prefix = "");
  ~Collectives();
  Collectives(const Collectives&) = delete;
  Collectives& operator=(const Collectives&) = delete;

  int rank() const { return rank_; }
  int worldSize() const { return world_; }
  const std::string& backendName() const { return backend_name_; }
  // Where the backend's buffers must live: the CPU for Gloo, the CUDA device for NCCL.
  const torch::Device& device() const { return device_; }

  // In-place sums over ranks of every tensor (contiguous, on device(), the same shapes and dtypes on every rank),
  // all started, then all awaited; `what` names them in errors.
  void allReduce(std::vector<torch::Tensor>& tensors, const std::string& what, Traffic traffic);
  // out [W * n] <- chunk `rank` of every rank's in [W * n], rank by rank (equal chunks of n).
  void allToAll(torch::Tensor& out, torch::Tensor& in, const std::string& what, Traffic traffic);
  // out [W * n] <- every rank's in [n], rank by rank.
  void allGather(torch::Tensor& out, torch::Tensor& in, const std::string& what);
  void barrier(const std::string& what);

  // Train-step accounting: one step of `seconds` (the collectives inside it count their own time).
  void countStep(double seconds, int64_t buckets);
  std::string statistics() const;
  void resetStatistics();

 private:
  struct Backend;
  struct Counter {
    double payload = 0, sent = 0, seconds = 0;
  };
  template <class Start>
  void run(const std::string& what, Traffic traffic, double payload, double sent, Start start);
  [[noreturn]] void fail(const std::string& what, const std::string& cause);
  void rendezvous(const std::string& fingerprint, const std::string& agent_store_prefix);
  std::string where() const;

  int rank_, world_;
  std::string addr_;
  int port_;
  std::chrono::milliseconds timeout_;
  std::string backend_name_;
  torch::Device device_ = torch::kCPU;
  c10::intrusive_ptr<c10d::Store> store_;
  std::unique_ptr<Backend> backend_;
  bool failed_ = false;  // after a failed collective the group is unusable

  // Heartbeat: every rank bumps acodm/heartbeat/<rank> once a second on its own store connection (a store
  // client is not thread-safe); after a failed collective the ranks whose counter stands still are the lost ones.
  void heartbeatLoop(c10::intrusive_ptr<c10d::Store> store);
  std::thread heartbeat_;
  std::mutex heartbeat_mutex_;
  std::condition_variable heartbeat_wake_;
  bool stopping_ = false;

  mutable std::mutex stats_mutex_;
  std::map<Traffic, Counter> traffic_;
  int64_t steps_ = 0;
  int64_t buckets_ = 0;
  double step_seconds_ = 0;
};

}  // namespace acodm
