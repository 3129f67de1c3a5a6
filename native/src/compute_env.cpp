#include "compute_env.h"

#include <ATen/Parallel.h>
#include <dlfcn.h>
#include <link.h>
#include <sched.h>
#include <torch/version.h>

#include <atomic>
#include <climits>
#include <cstdlib>
#include <fstream>
#include <map>
#include <mutex>
#include <vector>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "gram.h"
#include "key_values.h"

namespace acodm {
namespace {

using SetThreadsFn = void (*)(int);
using GetThreadsFn = int (*)();
using GetStringFn = char* (*)();

struct BlasControl {
  BlasLibrary info;
  SetThreadsFn set = nullptr;
  GetThreadsFn get = nullptr;
};

// A BLAS's thread control, by the symbols each library exports for it.
struct Candidate {
  const char* name;
  const char* set;
  const char* get;
  const char* config;
  const char* core;
};
constexpr Candidate kCandidates[] = {
    {"OpenBLAS", "openblas_set_num_threads", "openblas_get_num_threads", "openblas_get_config", "openblas_get_corename"},
    {"MKL", "MKL_Set_Num_Threads", "MKL_Get_Max_Threads", nullptr, nullptr},
    {"BLIS", "bli_thread_set_num_threads", "bli_thread_get_num_threads", nullptr, nullptr},
};

int collectObject(struct dl_phdr_info* info, size_t, void* data) {
  if (info->dlpi_name != nullptr && info->dlpi_name[0] != '\0')
    static_cast<std::vector<std::string>*>(data)->push_back(info->dlpi_name);
  return 0;
}

// libtorch reaches the BLAS through libblas.so.3, and Debian's OpenBLAS puts its thread control in the
// libopenblas.so.0 behind that; both are loaded privately (JNI loads with RTLD_LOCAL), so a global dlsym
// misses them. Each loaded object is asked on its own handle instead; RTLD_NOLOAD never loads anything new.
BlasControl findBlas() {
  BlasControl c;
  c.info.name = "unknown";
  std::vector<std::string> objects;
  dl_iterate_phdr(collectObject, &objects);
  for (const Candidate& cand : kCandidates) {
    for (const std::string& path : objects) {
      void* h = dlopen(path.c_str(), RTLD_LAZY | RTLD_NOLOAD);
      if (h == nullptr) continue;
      void* set = dlsym(h, cand.set);
      // dlsym searches the object's dependencies too: take the symbol from the object that defines it.
      Dl_info where{};
      if (set != nullptr && dladdr(set, &where) != 0 && where.dli_fname != nullptr) {
        c.info.name = cand.name;
        char resolved[PATH_MAX];
        c.info.path = realpath(where.dli_fname, resolved) != nullptr ? resolved : where.dli_fname;
        c.info.controllable = true;
        c.set = reinterpret_cast<SetThreadsFn>(set);
        c.get = reinterpret_cast<GetThreadsFn>(dlsym(h, cand.get));
        if (cand.config != nullptr)
          if (auto f = reinterpret_cast<GetStringFn>(dlsym(h, cand.config)); f != nullptr && f() != nullptr) c.info.config = f();
        if (cand.core != nullptr)
          if (auto f = reinterpret_cast<GetStringFn>(dlsym(h, cand.core)); f != nullptr && f() != nullptr) c.info.core = f();
        dlclose(h);
        return c;
      }
      dlclose(h);
    }
  }
  // No thread control: name the BLAS that is there anyway (Debian's reference libblas runs on one thread).
  for (const std::string& path : objects)
    if (path.find("libblas") != std::string::npos || path.find("blas") != std::string::npos) {
      char resolved[PATH_MAX];
      c.info.path = realpath(path.c_str(), resolved) != nullptr ? resolved : path;
      break;
    }
  return c;
}

BlasControl& blas() {
  static BlasControl c = findBlas();
  return c;
}

std::atomic<int> g_pinned{0};

std::string cpuModel() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("model name", 0) == 0) {
      auto colon = line.find(':');
      if (colon == std::string::npos) break;
      auto v = line.substr(colon + 1);
      v.erase(0, v.find_first_not_of(' '));
      return v;
    }
  return "unknown";
}

std::string cpuIsa() {
#if defined(__x86_64__)
  if (__builtin_cpu_supports("avx512f")) return "avx512";
  if (__builtin_cpu_supports("avx2")) return "avx2";
  if (__builtin_cpu_supports("sse4.2")) return "sse4.2";
  return "x86-64";
#else
  return "other";
#endif
}

}  // namespace

const BlasLibrary& blasLibrary() { return blas().info; }

int blasThreads() { return blas().get != nullptr ? blas().get() : -1; }

int availableCpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) == 0) {
    int n = CPU_COUNT(&set);
    if (n > 0) return n;
  }
  return 1;
}

void pinComputeThreads(int n) {
  if (n <= 0) n = availableCpus();
  // at::set_num_threads sets OpenMP's count too in an OpenMP build of libtorch; ours is set explicitly for the
  // loops libacodm itself parallelises (it may link another OpenMP runtime instance).
  if (at::get_num_threads() != n) at::set_num_threads(n);
#ifdef _OPENMP
  omp_set_num_threads(n);
#endif
  BlasControl& b = blas();
  if (b.set != nullptr && (b.get == nullptr || b.get() != n)) b.set(n);
  g_pinned.store(n);
}

int pinnedThreads() { return g_pinned.load(); }

ThreadScope::ThreadScope(int threads) : previous_(g_pinned.load()) {
  if (threads > 0 && threads != previous_) {
    pinComputeThreads(threads);
    changed_ = true;
  }
}

ThreadScope::~ThreadScope() {
  if (changed_) pinComputeThreads(previous_);
}

std::string numericEnvironment() {
  const BlasLibrary& b = blasLibrary();
  std::map<std::string, std::string> kv;
  kv["threads"] = std::to_string(at::get_num_threads());
  kv["blas"] = b.name + (b.path.empty() ? "" : " (" + b.path + ")");
  kv["blas_core"] = b.core.empty() ? "unknown" : b.core;
  kv["blas_threads"] = std::to_string(blasThreads());
  kv["cpu"] = cpuModel();
  kv["cpu_isa"] = cpuIsa();
  kv["gram_kernel"] = gram_cpu_kernel_name();
  kv["libtorch"] = TORCH_VERSION;
  return encodeKeyValues(KeyValues(kv.begin(), kv.end()), '\n', true);
}

}  // namespace acodm
