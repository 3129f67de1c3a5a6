// Data-parallel ranks: a c10d process group (Gloo on the CPU, NCCL for CUDA models in builds that have it) that
// the ranks of one run join at a rendezvous, and the few collectives the Java side needs itself (evaluation sums,
// the stop flag, the policy-state check). A Model attached to a group reduces its gradients, per-domain sums and
// alignment rows across it (Model::setProcessGroup). Plain types only cross this header.
// Every failure throws std::runtime_error (std::invalid_argument for bad arguments) with a message that names
// what failed and, when a peer is gone, which rank.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

namespace acodm {

class Collectives;

class ProcessGroup {
 public:
  // Joins the group of `world_size` ranks as `rank`. Rank 0 listens on `master_port` (all interfaces) and the
  // others connect to `master_addr`:`master_port`; every rank waits at most `timeout_s` seconds for the others,
  // and the same bound applies to every later collective. `backend`: "gloo", "nccl" or "auto" (NCCL when
  // `device` is a CUDA device and the library was built with NCCL, else Gloo). `device`: where NCCL's buffers
  // live ("cuda:N"; ignored by Gloo). `fingerprint`: a hash of the run's configuration; ranks whose fingerprints
  // differ from rank 0's are refused, naming them. Errors: the port in use, rank 0 unreachable, ranks missing
  // at the deadline (named), two processes claiming one rank, another configuration.
  // `agent_store_prefix` non-empty: a launcher's agent already hosts the store at master_addr:master_port (torchrun
  // with TORCHELASTIC_USE_AGENT_STORE=True); every rank, rank 0 included, joins it as a client, and this group's
  // keys live under that prefix (one per restart attempt, so a restarted worker group never sees stale keys).
  ProcessGroup(int rank, int world_size, const std::string& master_addr, int master_port, double timeout_s,
               const std::string& backend, const std::string& device, const std::string& fingerprint,
               const std::string& agent_store_prefix = "");
  ~ProcessGroup();
  ProcessGroup(const ProcessGroup&) = delete;
  ProcessGroup& operator=(const ProcessGroup&) = delete;

  int rank() const;
  int worldSize() const;
  std::string backendName() const;  // "gloo" or "nccl"

  // values[count] <- the sum over ranks of values[count]. `what` names the collective in errors.
  void allReduceSum(double* values, int64_t count, const std::string& what);
  // out[world_size * count] <- every rank's values[count], rank by rank.
  void allGather(const int64_t* values, int64_t count, int64_t* out, const std::string& what);
  void barrier(const std::string& what);

  // Communication of attached models' train steps since the last reset, as sorted "key=value" lines:
  // steps, step_s (time in train steps), buckets, gradient_payload_bytes, gradient_sent_bytes, gradient_s,
  // alignment_payload_bytes, alignment_sent_bytes, alignment_s (S's rows and partial Grams), sums_sent_bytes,
  // sums_s (per-domain counts and loss sums), other_s (collectives outside train steps: evaluation, flags).
  // payload: bytes of the buffers reduced; sent: bytes each rank sends for them under the ring algorithm
  // (all-reduce 2(W-1)/W of the payload; the all-to-all of the alignment rows (W-1)/W).
  std::string statistics() const;
  void resetStatistics();

  // The implementation, shared with the models attached to the group (they keep it alive).
  const std::shared_ptr<Collectives>& collectives() const { return impl_; }

 private:
  std::shared_ptr<Collectives> impl_;
};

// True when this library was built with c10d's NCCL process group (a CUDA libtorch that has it).
bool ncclCompiled();

}  // namespace acodm
