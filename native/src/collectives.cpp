#include "collectives.h"

#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#ifdef ACODM_WITH_NCCL
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif
#include <c10/util/Logging.h>

#include <algorithm>
#include <cstdlib>
#include <sstream>
#include <stdexcept>

#include "acodm/process_group.h"
#include "key_values.h"

namespace acodm {
namespace {

using Clock = std::chrono::steady_clock;
constexpr auto kHeartbeat = std::chrono::milliseconds(1000);

std::string message(const std::exception& e) {
  if (const auto* c = dynamic_cast<const c10::Error*>(&e)) return c->what_without_backtrace();
  return e.what();
}

// c10d reports a failed bind or connect on stderr through glog (or c10's own logger) before it throws; acodm
// turns the exception into one line of its own, so those lines are held back while it is in charge of the error.
// ACODM_DEBUG keeps them.
class QuietC10Logging {
 public:
  QuietC10Logging() : active_(std::getenv("ACODM_DEBUG") == nullptr) {
    if (!active_) return;
#ifdef C10_USE_GLOG
    saved_ = FLAGS_minloglevel;
    FLAGS_minloglevel = 3;
#else
    saved_ = c10::FLAGS_caffe2_log_level;
    c10::FLAGS_caffe2_log_level = 3;
#endif
  }
  ~QuietC10Logging() {
    if (!active_) return;
#ifdef C10_USE_GLOG
    FLAGS_minloglevel = saved_;
#else
    c10::FLAGS_caffe2_log_level = saved_;
#endif
  }
  QuietC10Logging(const QuietC10Logging&) = delete;
  QuietC10Logging& operator=(const QuietC10Logging&) = delete;

 private:
  bool active_;
  int saved_ = 0;
};

std::vector<uint8_t> bytes(const std::string& s) { return {s.begin(), s.end()}; }
std::string text(const std::vector<uint8_t>& b) { return {b.begin(), b.end()}; }

std::string rankList(const std::vector<int>& ranks) {
  std::string out;
  for (int r : ranks) out += (out.empty() ? "" : ", ") + std::to_string(r);
  return out;
}

bool loopback(const std::string& host) {
  return host == "localhost" || host.rfind("127.", 0) == 0 || host == "::1";
}

std::string heartbeatKey(int rank) { return "acodm/heartbeat/" + std::to_string(rank); }

}  // namespace

// The backend, Gloo or NCCL, behind one call shape.
struct Collectives::Backend {
  c10::intrusive_ptr<c10d::ProcessGroupGloo> gloo;
#ifdef ACODM_WITH_NCCL
  c10::intrusive_ptr<c10d::ProcessGroupNCCL> nccl;
#endif
  template <class F>
  c10::intrusive_ptr<c10d::Work> with(F f) {
#ifdef ACODM_WITH_NCCL
    if (nccl) return f(*nccl);
#endif
    return f(*gloo);
  }
};

Collectives::Collectives(int rank, int world_size, const std::string& master_addr, int master_port, double timeout_s,
                         const std::string& backend, const std::string& device, const std::string& fingerprint,
                         const std::string& agent_store_prefix)
    : rank_(rank), world_(world_size), addr_(master_addr), port_(master_port) {
  if (world_size < 1) throw std::invalid_argument("process group: world size must be >= 1, got " + std::to_string(world_size));
  if (rank < 0 || rank >= world_size)
    throw std::invalid_argument("process group: rank " + std::to_string(rank) + " is outside [0, " +
                                std::to_string(world_size) + ")");
  if (master_addr.empty()) throw std::invalid_argument("process group: the rendezvous address (MASTER_ADDR) is empty");
  if (master_port < 1 || master_port > 65535)
    throw std::invalid_argument("process group: port " + std::to_string(master_port) + " is outside [1, 65535]");
  if (!(timeout_s > 0)) throw std::invalid_argument("process group: the timeout must be > 0 seconds");
  timeout_ = std::chrono::milliseconds(static_cast<int64_t>(timeout_s * 1000));

  const bool cuda = device.rfind("cuda", 0) == 0;
  if (backend == "nccl" || (backend == "auto" && cuda && ncclCompiled())) {
    if (!ncclCompiled())
      throw std::invalid_argument("process group: backend 'nccl' requested but libacodm was built without NCCL "
                                  "(it needs a CUDA libtorch with NCCL; see docs/distributed.md)");
    if (!cuda) throw std::invalid_argument("process group: NCCL needs a CUDA device, got '" + device + "'");
    backend_name_ = "nccl";
    device_ = torch::Device(device);
  } else if (backend == "gloo" || backend == "auto") {
    backend_name_ = "gloo";
  } else {
    throw std::invalid_argument("process group: backend must be gloo, nccl or auto, got '" + backend + "'");
  }
  rendezvous(fingerprint, agent_store_prefix);
}

std::string Collectives::where() const { return addr_ + ":" + std::to_string(port_); }

void Collectives::rendezvous(const std::string& fingerprint, const std::string& agent_store_prefix) {
  QuietC10Logging quiet;
  const double seconds = timeout_.count() / 1000.0;
  std::ostringstream limit;
  limit << seconds << " s";
  c10d::TCPStoreOptions opts;
  opts.port = static_cast<std::uint16_t>(port_);
  const bool agent_store = !agent_store_prefix.empty();
  opts.isServer = rank_ == 0 && !agent_store;  // under torchrun's agent store rank 0 is a client like the others
  opts.waitWorkers = false;  // acodm waits itself, so that it can name the ranks that do not come
  opts.timeout = timeout_;
  try {
    store_ = c10::make_intrusive<c10d::TCPStore>(addr_, opts);
    if (agent_store) store_ = c10::make_intrusive<c10d::PrefixStore>(agent_store_prefix, store_);
  } catch (const std::exception& e) {
    const std::string m = message(e);
    if (opts.isServer && (m.find("in use") != std::string::npos || m.find("failed to listen") != std::string::npos))
      throw std::runtime_error("rendezvous: port " + std::to_string(port_) +
                               " is in use on this host, so rank 0 cannot listen there for the other ranks "
                               "(MASTER_PORT; another job or a leftover process holds it): pick another port");
    if (opts.isServer) throw std::runtime_error("rendezvous: rank 0 cannot host the rendezvous at " + where() + ": " + m);
    throw std::runtime_error("rendezvous: rank " + std::to_string(rank_) + " cannot reach " +
                             (agent_store ? std::string("the launcher's store") : std::string("rank 0")) + " at " + where() +
                             " within " + limit.str() + " (" + m +
                             "): is rank 0 running, and are MASTER_ADDR and MASTER_PORT the same for every rank?");
  }

  if (store_->add("acodm/claim/" + std::to_string(rank_), 1) > 1)
    throw std::runtime_error("rendezvous: two processes were started as rank " + std::to_string(rank_) + " of " +
                             std::to_string(world_) + " at " + where() + " (check RANK / SLURM_PROCID)");
  store_->set("acodm/fingerprint/" + std::to_string(rank_), bytes(fingerprint));
  store_->add(heartbeatKey(rank_), 1);

  // Every rank waits for every other, polling so that the error can list who is missing.
  const auto deadline = Clock::now() + timeout_;
  std::vector<int> missing;
  for (auto pause = std::chrono::milliseconds(10);; pause = std::min(pause * 2, std::chrono::milliseconds(500))) {
    missing.clear();
    for (int r = 0; r < world_; ++r)
      if (!store_->check({"acodm/fingerprint/" + std::to_string(r)})) missing.push_back(r);
    if (missing.empty()) break;
    if (Clock::now() > deadline)
      throw std::runtime_error("rendezvous at " + where() + " timed out after " + limit.str() + ": rank" +
                               (missing.size() > 1 ? "s " : " ") + rankList(missing) + " of " +
                               std::to_string(world_) + " did not join (run.dist_timeout bounds the wait)");
    std::this_thread::sleep_for(pause);
  }
  const std::string reference = text(store_->get("acodm/fingerprint/0"));
  std::vector<int> differ;
  std::string theirs;
  for (int r = 1; r < world_; ++r) {
    const std::string f = text(store_->get("acodm/fingerprint/" + std::to_string(r)));
    if (f != reference) {
      differ.push_back(r);
      if (theirs.empty()) theirs = f;
    }
  }
  // Rank 0 hosts the store: it must outlive every other rank's reads above, or a refused rank would see its
  // connection break instead of the reason. Each rank counts itself done; rank 0 waits for all (bounded).
  store_->add("acodm/fingerprints-read", 1);
  if (rank_ == 0) {
    const auto read_by = Clock::now() + timeout_;
    while (store_->add("acodm/fingerprints-read", 0) < world_ && Clock::now() < read_by)
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  if (!differ.empty())
    throw std::runtime_error(std::string("rendezvous: rank") + (differ.size() > 1 ? "s " : " ") + rankList(differ) +
                             (differ.size() > 1 ? " were" : " was") +
                             " started with another configuration than rank 0 (config hash " + theirs.substr(0, 12) +
                             " vs " + reference.substr(0, 12) +
                             "): start every rank with the same --config and --set options");

  auto prefixed = c10::make_intrusive<c10d::PrefixStore>("acodm/" + backend_name_, store_);
  backend_ = std::make_unique<Backend>();
  try {
    if (backend_name_ == "gloo") {
      auto o = c10d::ProcessGroupGloo::Options::create(timeout_);
      const char* ifname = std::getenv("GLOO_SOCKET_IFNAME");
      if (ifname != nullptr && *ifname != '\0') o->devices.push_back(c10d::ProcessGroupGloo::createDeviceForInterface(ifname));
      else if (loopback(addr_)) o->devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1"));
      else o->devices.push_back(c10d::ProcessGroupGloo::createDefaultDevice());
      backend_->gloo = c10::make_intrusive<c10d::ProcessGroupGloo>(prefixed, rank_, world_, o);
    }
#ifdef ACODM_WITH_NCCL
    if (backend_name_ == "nccl") {
      auto o = c10d::ProcessGroupNCCL::Options::create();
      o->timeout = timeout_;
      backend_->nccl = c10::make_intrusive<c10d::ProcessGroupNCCL>(prefixed, rank_, world_, o);
    }
#endif
  } catch (const std::exception& e) {
    fail("connecting the " + backend_name_ + " process group", message(e));
  }

  // The heartbeat gets its own client connection to the store.
  c10d::TCPStoreOptions client = opts;
  client.isServer = false;
  c10::intrusive_ptr<c10d::Store> beat_store = c10::make_intrusive<c10d::TCPStore>(addr_, client);
  if (agent_store) beat_store = c10::make_intrusive<c10d::PrefixStore>(agent_store_prefix, beat_store);
  heartbeat_ = std::thread([this, beat_store] { heartbeatLoop(beat_store); });
}

void Collectives::heartbeatLoop(c10::intrusive_ptr<c10d::Store> store) {
  std::unique_lock<std::mutex> lock(heartbeat_mutex_);
  while (!heartbeat_wake_.wait_for(lock, kHeartbeat, [this] { return stopping_; })) {
    lock.unlock();  // the destructor must not wait for a store round trip to stop the loop
    try {
      store->add(heartbeatKey(rank_), 1);
    } catch (const std::exception&) {
      return;  // the store is gone (rank 0 ended): the next collective, if any, says so
    }
    lock.lock();
  }
}

Collectives::~Collectives() {
  QuietC10Logging quiet;
  {
    std::lock_guard<std::mutex> lock(heartbeat_mutex_);
    stopping_ = true;
  }
  heartbeat_wake_.notify_all();
  if (heartbeat_.joinable()) heartbeat_.join();
  backend_.reset();
  store_.reset();
}

void Collectives::fail(const std::string& what, const std::string& cause) {
  QuietC10Logging quiet;
  failed_ = true;
  const std::string failed = "the " + what + " failed on rank " + std::to_string(rank_) + " (" + cause + ")";
  // A rank whose heartbeat stands still for three beats is gone; if the store itself is gone, rank 0 (its host) is.
  std::vector<int64_t> before(world_), after(world_);
  try {
    for (int r = 0; r < world_; ++r) before[r] = store_->add(heartbeatKey(r), 0);
    std::this_thread::sleep_for(kHeartbeat * 3);
    for (int r = 0; r < world_; ++r) after[r] = store_->add(heartbeatKey(r), 0);
  } catch (const std::exception&) {
    if (rank_ == 0) throw std::runtime_error("distributed: " + failed + ", and this rank's own rendezvous store stopped answering");
    throw std::runtime_error("distributed: lost rank 0: " + failed + ", and rank 0, which hosts the rendezvous at " +
                             where() + ", does not answer");
  }
  std::vector<int> lost;
  for (int r = 0; r < world_; ++r)
    if (r != rank_ && after[r] == before[r]) lost.push_back(r);
  if (!lost.empty())
    throw std::runtime_error(std::string("distributed: lost rank") + (lost.size() > 1 ? "s " : " ") + rankList(lost) +
                             ": " + failed + ", and " + (lost.size() > 1 ? "their heartbeats" : "its heartbeat") +
                             " stopped");
  throw std::runtime_error("distributed: " + failed + "; every rank's heartbeat goes on (a rank is stuck or failed otherwise)");
}

template <class Start>
void Collectives::run(const std::string& what, Traffic traffic, double payload, double sent, Start start) {
  if (failed_) throw std::runtime_error("distributed: an earlier collective of this process group failed; the " + what + " cannot run");
  const auto t0 = Clock::now();
  try {
    std::vector<c10::intrusive_ptr<c10d::Work>> works = start();
    for (auto& w : works) w->wait(timeout_);
  } catch (const std::exception& e) {
    fail(what, message(e));
  }
  const double seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  std::lock_guard<std::mutex> lock(stats_mutex_);
  Counter& c = traffic_[traffic];
  c.payload += payload;
  c.sent += sent;
  c.seconds += seconds;
}

void Collectives::allReduce(std::vector<torch::Tensor>& tensors, const std::string& what, Traffic traffic) {
  double payload = 0;
  for (const auto& t : tensors) {
    if (!t.is_contiguous() || t.device() != device_)
      throw std::invalid_argument("distributed: " + what + ": a buffer is not contiguous on " + device_.str());
    payload += static_cast<double>(t.numel() * t.element_size());
  }
  run(what, traffic, payload, payload * 2.0 * (world_ - 1) / world_, [&] {
    std::vector<c10::intrusive_ptr<c10d::Work>> works;
    // One call per buffer: c10d reads a list of tensors as one buffer per device, not as several buffers.
    for (auto& t : tensors) {
      std::vector<at::Tensor> one{t};
      works.push_back(backend_->with([&](auto& pg) { return pg.allreduce(one); }));
    }
    return works;
  });
}

void Collectives::allToAll(torch::Tensor& out, torch::Tensor& in, const std::string& what, Traffic traffic) {
  if (in.numel() % world_ != 0 || out.numel() != in.numel())
    throw std::invalid_argument("distributed: " + what + ": buffers of " + std::to_string(in.numel()) + " and " +
                                std::to_string(out.numel()) + " elements for " + std::to_string(world_) + " ranks");
  const double payload = static_cast<double>(in.numel() * in.element_size());
  run(what, traffic, payload, payload * (world_ - 1) / world_, [&] {
    std::vector<int64_t> equal;  // empty split lists: equal chunks
    return std::vector<c10::intrusive_ptr<c10d::Work>>{
        backend_->with([&](auto& pg) { return pg.alltoall_base(out, in, equal, equal); })};
  });
}

void Collectives::allGather(torch::Tensor& out, torch::Tensor& in, const std::string& what) {
  if (out.numel() != in.numel() * world_)
    throw std::invalid_argument("distributed: " + what + ": an output of " + std::to_string(out.numel()) +
                                " elements for " + std::to_string(world_) + " ranks of " + std::to_string(in.numel()));
  const double payload = static_cast<double>(in.numel() * in.element_size());
  run(what, Traffic::kOther, payload, payload * (world_ - 1), [&] {
    std::vector<std::vector<at::Tensor>> outputs{out.chunk(world_)};
    std::vector<at::Tensor> inputs{in};
    return std::vector<c10::intrusive_ptr<c10d::Work>>{backend_->with([&](auto& pg) { return pg.allgather(outputs, inputs); })};
  });
}

void Collectives::barrier(const std::string& what) {
  // A one-element all-reduce rather than c10d's barrier: it is bounded by the same timeout on every backend.
  std::vector<torch::Tensor> flag{torch::zeros({1}, torch::TensorOptions().dtype(torch::kFloat32).device(device_))};
  allReduce(flag, what, Traffic::kOther);
}

void Collectives::countStep(double seconds, int64_t buckets) {
  std::lock_guard<std::mutex> lock(stats_mutex_);
  steps_ += 1;
  step_seconds_ += seconds;
  buckets_ = buckets;
}

std::string Collectives::statistics() const {
  std::lock_guard<std::mutex> lock(stats_mutex_);
  auto get = [this](Traffic t) {
    auto it = traffic_.find(t);
    return it == traffic_.end() ? Counter{} : it->second;
  };
  const Counter g = get(Traffic::kGradient), a = get(Traffic::kAlignment), sums = get(Traffic::kSums),
                o = get(Traffic::kOther);
  return encodeKeyValues({{"alignment_payload_bytes", numberText(a.payload)},
                          {"alignment_s", numberText(a.seconds)},
                          {"alignment_sent_bytes", numberText(a.sent)},
                          {"buckets", numberText(buckets_)},
                          {"gradient_payload_bytes", numberText(g.payload)},
                          {"gradient_s", numberText(g.seconds)},
                          {"gradient_sent_bytes", numberText(g.sent)},
                          {"other_s", numberText(o.seconds)},
                          {"step_s", numberText(step_seconds_)},
                          {"steps", numberText(steps_)},
                          {"sums_s", numberText(sums.seconds)},
                          {"sums_sent_bytes", numberText(sums.sent)}},
                         '\n', true);
}

void Collectives::resetStatistics() {
  std::lock_guard<std::mutex> lock(stats_mutex_);
  traffic_.clear();
  steps_ = 0;
  step_seconds_ = 0;
}

// ---- the public handle ----

ProcessGroup::ProcessGroup(int rank, int world_size, const std::string& master_addr, int master_port, double timeout_s,
                           const std::string& backend, const std::string& device, const std::string& fingerprint,
                           const std::string& agent_store_prefix)
    : impl_(std::make_shared<Collectives>(rank, world_size, master_addr, master_port, timeout_s, backend, device,
                                          fingerprint, agent_store_prefix)) {}

ProcessGroup::~ProcessGroup() = default;

int ProcessGroup::rank() const { return impl_->rank(); }
int ProcessGroup::worldSize() const { return impl_->worldSize(); }
std::string ProcessGroup::backendName() const { return impl_->backendName(); }

void ProcessGroup::allReduceSum(double* values, int64_t count, const std::string& what) {
  if (values == nullptr || count < 0) throw std::invalid_argument("allReduceSum: null buffer or negative count");
  auto host = torch::from_blob(values, {count}, torch::kFloat64);
  std::vector<torch::Tensor> t{host.to(impl_->device(), /*non_blocking=*/false, /*copy=*/true)};
  impl_->allReduce(t, what, Traffic::kOther);
  host.copy_(t[0].to(torch::kCPU));
}

void ProcessGroup::allGather(const int64_t* values, int64_t count, int64_t* out, const std::string& what) {
  if (values == nullptr || out == nullptr || count < 0) throw std::invalid_argument("allGather: null buffer or negative count");
  auto in = torch::from_blob(const_cast<int64_t*>(values), {count}, torch::kInt64).to(impl_->device(), false, true);
  auto all = torch::empty({count * impl_->worldSize()}, in.options());
  impl_->allGather(all, in, what);
  auto host = all.to(torch::kCPU).contiguous();
  std::copy_n(host.data_ptr<int64_t>(), host.numel(), out);
}

void ProcessGroup::barrier(const std::string& what) { impl_->barrier(what); }
std::string ProcessGroup::statistics() const { return impl_->statistics(); }
void ProcessGroup::resetStatistics() { impl_->resetStatistics(); }

bool ncclCompiled() {
#ifdef ACODM_WITH_NCCL
  return true;
#else
  return false;
#endif
}

}  // namespace acodm
