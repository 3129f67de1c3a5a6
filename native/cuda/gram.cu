// Fused Gram kernel on the GPU (the fast path of native/src/cpu/gram_reference.cpp).
//
// One pass over memory: a block stages a chunk of positions of every row in shared memory (16-byte
// cp.async copies in a 3-stage pipeline, so the next chunks are in flight while this one is used), and each
// thread accumulates an 8×8 tile of row pairs over 4 consecutive positions of the chunk: 16 float4
// shared-memory loads feed 256 FMAs. Tiles cover the K×K upper triangle in 8-row blocks (rows past K are
// zero in shared memory, so partial tiles need no branches). A block handles a bounded run of chunks, so
// every float accumulator sums at most 256 products; the block then reduces its threads' tiles in double
// and writes its partial K(K+1)/2 sums to a scratch row. A second small kernel adds the scratch rows in
// double. The output is written once, by that kernel: no atomics anywhere.
//
// The per-thread steps are __host__ __device__ functions called between the barriers, so
// gram_cuda_emulate can run exactly this code on the host (tests without a GPU check the indexing).
#include <cuda_bf16.h>
#include <cuda_pipeline.h>
#include <cuda_runtime.h>

#include <cstdint>
#include <algorithm>
#include <cstring>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include "gram.cuh"

#define ACODM_HD __host__ __device__ __forceinline__

namespace acodm::cuda {
namespace {

constexpr int kMaxK = 64;
constexpr int kTile = 8;               // a thread's accumulator tile is kTile × kTile row pairs
constexpr int kVec = 4;                // consecutive positions per thread per chunk (one float4)
constexpr int kStages = 3;             // cp.async pipeline depth
constexpr int kMaxThreads = 256;       // 64 accumulators + 36 operands per thread: 2 blocks per SM fit
constexpr int kChunksPerBlock = 64;    // 64 chunks × 4 positions = 256 float terms per accumulator

// How the work of one K is laid out; computed on the host, passed to the kernel by value.
struct Plan {
  int K;
  int Kp;               // K rounded up to a multiple of kTile: the rows held in shared memory
  int nb;               // row blocks of kTile rows
  int ntiles;           // tiles covering the upper triangle of row blocks
  int ngroups;          // blocks over the same positions, each owning tiles_per_group tiles
  int tiles_per_group;
  int team;             // threads per tile (a multiple of 32, a power of two)
  int threads;          // tiles_per_group * team
  int chunk;            // positions per chunk = team * kVec
  int npairs;           // K(K+1)/2: the length of one scratch row
};

struct RowPtrs {
  const void* p[kMaxK];
};

Plan make_plan(int K) {
  Plan pl{};
  pl.K = K;
  pl.nb = (K + kTile - 1) / kTile;
  pl.Kp = pl.nb * kTile;
  pl.ntiles = pl.nb * (pl.nb + 1) / 2;
  // At most 8 tiles (warps) per block; more tiles are split over blocks that read the same chunk, which
  // then comes from L2 for all but the first (only for K > 24).
  pl.ngroups = (pl.ntiles + 7) / 8;
  pl.tiles_per_group = (pl.ntiles + pl.ngroups - 1) / pl.ngroups;
  // Few tiles: several warps per tile over different positions, so a block still has 4-8 warps.
  int wpt = 1;
  while (wpt < 4 && pl.tiles_per_group * wpt * 2 * 32 <= kMaxThreads) wpt *= 2;
  pl.team = 32 * wpt;
  pl.threads = pl.tiles_per_group * pl.team;
  pl.chunk = pl.team * kVec;
  pl.npairs = K * (K + 1) / 2;
  return pl;
}

ACODM_HD int64_t chunks_of(const Plan& pl, int64_t length) { return (length + pl.chunk - 1) / pl.chunk; }
ACODM_HD int64_t ranges_of(const Plan& pl, int64_t length) {
  return (chunks_of(pl, length) + kChunksPerBlock - 1) / kChunksPerBlock;
}

template <typename T>
ACODM_HD size_t stage_elems(const Plan& pl) {
  return static_cast<size_t>(pl.Kp) * pl.chunk;
}

template <typename T>
size_t smem_bytes(const Plan& pl) {
  const size_t stages = kStages * stage_elems<T>(pl) * sizeof(T);
  const size_t reduce = static_cast<size_t>(pl.threads) * kTile * sizeof(double);
  return stages > reduce ? stages : reduce;
}

ACODM_HD int pair_index(int i, int j, int K) { return i * K - i * (i - 1) / 2 + (j - i); }

// Four consecutive staged values of one row as floats (16-byte or 8-byte aligned shared-memory load).
ACODM_HD float4 load4(const float* p) { return *reinterpret_cast<const float4*>(p); }
ACODM_HD float4 load4(const __nv_bfloat16* p) {
#ifdef __CUDA_ARCH__
  const uint2 raw = *reinterpret_cast<const uint2*>(p);
  const float2 lo = __bfloat1622float2(*reinterpret_cast<const __nv_bfloat162*>(&raw.x));
  const float2 hi = __bfloat1622float2(*reinterpret_cast<const __nv_bfloat162*>(&raw.y));
  return make_float4(lo.x, lo.y, hi.x, hi.y);
#else
  return make_float4(__bfloat162float(p[0]), __bfloat162float(p[1]), __bfloat162float(p[2]), __bfloat162float(p[3]));
#endif
}

// Rows K..Kp-1 of every stage are zero once and never written again: padded tile rows add nothing.
template <typename T>
ACODM_HD void zero_padding(const Plan& pl, T* smem, int tid) {
  const size_t per_stage = stage_elems<T>(pl);
  const size_t pad = static_cast<size_t>(pl.Kp - pl.K) * pl.chunk;
  for (size_t e = tid; e < kStages * pad; e += pl.threads) {
    const size_t s = e / pad, off = e % pad;
    smem[s * per_stage + static_cast<size_t>(pl.K) * pl.chunk + off] = T(0.0f);
  }
}

// Starts copying chunk `c` of the segment into `stage`: K rows × pl.chunk positions, as 16-byte units
// spread over all threads (consecutive threads take consecutive units of a row: coalesced). With `vec`
// (every row 16-byte aligned) a whole unit inside the row is an asynchronous copy; the row's tail and
// misaligned rows go element by element, positions past the end as zeros.
template <typename T>
ACODM_HD void issue_chunk(const Plan& pl, const RowPtrs& rows, int64_t length, bool vec, int64_t c, T* stage,
                          int tid) {
  constexpr int kUnit = 16 / sizeof(T);
  const int units_per_row = pl.chunk / kUnit;
  const int units = pl.K * units_per_row;
  const int64_t base = c * pl.chunk;
  for (int u = tid; u < units; u += pl.threads) {
    const int r = u / units_per_row;
    const int col = (u % units_per_row) * kUnit;
    const int64_t pos = base + col;
    const T* src = static_cast<const T*>(rows.p[r]) + pos;
    T* dst = stage + static_cast<size_t>(r) * pl.chunk + col;
    if (vec && pos + kUnit <= length) {
#ifdef __CUDA_ARCH__
      __pipeline_memcpy_async(dst, src, 16);
#else
      std::memcpy(dst, src, 16);
#endif
    } else {
      for (int e = 0; e < kUnit; ++e) dst[e] = pos + e < length ? src[e] : T(0.0f);
    }
  }
}

ACODM_HD void commit_copies() {
#ifdef __CUDA_ARCH__
  __pipeline_commit();
#endif
}

// Waits until this thread's copies of all but the kStages - 1 most recent chunks have landed.
ACODM_HD void wait_oldest_chunk() {
#ifdef __CUDA_ARCH__
  __pipeline_wait_prior(kStages - 1);
#endif
}

// Thread `tid` of tile group `group`: its tile's row blocks, its position lane, whether it has a tile.
// Tiles are numbered row by row over the upper triangle of row blocks: (0,0), (0,1), .., (1,1), ...
// (Computed, not looked up in a table: indexing a kernel-parameter array with a run-time index would
// copy the whole parameter block to local memory.)
struct Role {
  bool active;
  int bi, bj;  // row blocks of the tile, bi <= bj
  int lane;    // index within the tile's team
};

ACODM_HD Role role_of(const Plan& pl, int group, int tid) {
  Role r;
  const int local = tid / pl.team;
  const int tile = group * pl.tiles_per_group + local;
  r.active = local < pl.tiles_per_group && tile < pl.ntiles;
  r.lane = tid % pl.team;
  int rest = tile, i = 0;
  while (i < pl.nb && rest >= pl.nb - i) {
    rest -= pl.nb - i;
    ++i;
  }
  r.bi = i;
  r.bj = i + rest;
  return r;
}

template <typename T>
ACODM_HD void compute_chunk(const Plan& pl, const Role& me, const T* stage, float (&acc)[kTile][kTile]) {
  if (!me.active) return;
  const int pos = me.lane * kVec;
  const T* rows_i = stage + static_cast<size_t>(me.bi) * kTile * pl.chunk + pos;
  const T* rows_j = stage + static_cast<size_t>(me.bj) * kTile * pl.chunk + pos;
  float4 a[kTile];
#pragma unroll
  for (int i = 0; i < kTile; ++i) a[i] = load4(rows_i + static_cast<size_t>(i) * pl.chunk);
#pragma unroll
  for (int j = 0; j < kTile; ++j) {
    const float4 b = load4(rows_j + static_cast<size_t>(j) * pl.chunk);
#pragma unroll
    for (int i = 0; i < kTile; ++i) {
      float s = acc[i][j];
      s = fmaf(a[i].x, b.x, s);
      s = fmaf(a[i].y, b.y, s);
      s = fmaf(a[i].z, b.z, s);
      s = fmaf(a[i].w, b.w, s);
      acc[i][j] = s;
    }
  }
}

// Block reduction of row i of every tile, in three barrier-separated steps: each thread writes its 8
// values (as double), a tree over the team adds them, the team's first thread stores the upper-triangle
// entries into this block's scratch row.
ACODM_HD void reduce_put(const Plan& pl, const Role& me, int i, const float (&acc)[kTile][kTile], double* red,
                         int tid) {
  if (!me.active) return;
#pragma unroll
  for (int j = 0; j < kTile; ++j) red[tid * kTile + j] = static_cast<double>(acc[i][j]);
}

ACODM_HD void reduce_step(const Role& me, int stride, double* red, int tid) {
  if (!me.active || me.lane >= stride) return;
#pragma unroll
  for (int j = 0; j < kTile; ++j) red[tid * kTile + j] += red[(tid + stride) * kTile + j];
}

ACODM_HD void reduce_store(const Plan& pl, const Role& me, int i, const double* red, int tid, double* out) {
  if (!me.active || me.lane != 0) return;
  const int gi = me.bi * kTile + i;
#pragma unroll
  for (int j = 0; j < kTile; ++j) {
    const int gj = me.bj * kTile + j;
    if (gi < pl.K && gj < pl.K && gi <= gj) out[pair_index(gi, gj, pl.K)] = red[tid * kTile + j];
  }
}

// Block b: position range b / ngroups (kChunksPerBlock chunks), tile group b % ngroups.
template <typename T>
__global__ void __launch_bounds__(kMaxThreads, 2) gram_partial_kernel(Plan pl, RowPtrs rows, int64_t length, bool vec,
                                                                   double* scratch) {
  extern __shared__ __align__(16) unsigned char smem_raw[];
  T* smem = reinterpret_cast<T*>(smem_raw);
  const int tid = threadIdx.x;
  const int group = blockIdx.x % pl.ngroups;
  const int64_t range = blockIdx.x / pl.ngroups;
  const int64_t first = range * kChunksPerBlock;
  const int64_t total = chunks_of(pl, length);
  const int n = static_cast<int>(total - first < kChunksPerBlock ? total - first : kChunksPerBlock);
  const size_t per_stage = stage_elems<T>(pl);
  const Role me = role_of(pl, group, tid);

  float acc[kTile][kTile];
#pragma unroll
  for (int i = 0; i < kTile; ++i)
#pragma unroll
    for (int j = 0; j < kTile; ++j) acc[i][j] = 0.0f;

  zero_padding(pl, smem, tid);
  for (int s = 0; s < kStages - 1; ++s) {
    if (s < n) issue_chunk(pl, rows, length, vec, first + s, smem + s * per_stage, tid);
    commit_copies();
  }
  for (int c = 0; c < n; ++c) {
    const int ahead = c + kStages - 1;
    if (ahead < n) issue_chunk(pl, rows, length, vec, first + ahead, smem + (ahead % kStages) * per_stage, tid);
    commit_copies();
    wait_oldest_chunk();
    __syncthreads();  // chunk c from every thread is in shared memory
    compute_chunk(pl, me, smem + (c % kStages) * per_stage, acc);
    __syncthreads();  // nobody reads this stage any more: it may be refilled
  }

  double* red = reinterpret_cast<double*>(smem_raw);
  double* out = scratch + range * pl.npairs;
#pragma unroll  // acc[i] needs a compile-time i to stay in registers
  for (int i = 0; i < kTile; ++i) {
    reduce_put(pl, me, i, acc, red, tid);
    __syncthreads();
    for (int stride = pl.team / 2; stride > 0; stride /= 2) {
      reduce_step(me, stride, red, tid);
      __syncthreads();
    }
    reduce_store(pl, me, i, red, tid, out);
  }
}

// S[i][j] = S[j][i] = sum of column pair(i, j) over the `nrows` scratch rows. Block (32, 8): x walks
// pairs (coalesced), y walks rows; then a tree over y in shared memory.
constexpr int kReducePairs = 32;
constexpr int kReduceRows = 8;

ACODM_HD void final_partial(int npairs, int64_t nrows, const double* scratch, int pair, int y, double* red, int x) {
  double s = 0.0;
  if (pair < npairs)
    for (int64_t r = y; r < nrows; r += kReduceRows) s += scratch[r * npairs + pair];
  red[y * kReducePairs + x] = s;
}

ACODM_HD void final_step(int stride, double* red, int x, int y) {
  if (y < stride) red[y * kReducePairs + x] += red[(y + stride) * kReducePairs + x];
}

ACODM_HD void final_store(int K, int npairs, int pair, const double* red, int x, double* S) {
  if (pair >= npairs) return;
  int i = 0, rest = pair;
  while (rest >= K - i) {
    rest -= K - i;
    ++i;
  }
  const int j = i + rest;
  S[i * K + j] = red[x];
  S[j * K + i] = red[x];
}

__global__ void gram_final_kernel(int K, int npairs, int64_t nrows, const double* scratch, double* S) {
  __shared__ double red[kReduceRows * kReducePairs];
  const int x = threadIdx.x, y = threadIdx.y;
  const int pair = blockIdx.x * kReducePairs + x;
  final_partial(npairs, nrows, scratch, pair, y, red, x);
  __syncthreads();
  for (int stride = kReduceRows / 2; stride > 0; stride /= 2) {
    final_step(stride, red, x, y);
    __syncthreads();
  }
  if (y == 0) final_store(K, npairs, pair, red, x, S);
}

void validate(const GramDeviceSegment* segments, int nseg, int K, const void* S) {
  if (K < 1 || K > kMaxK)
    throw std::invalid_argument("gram_cuda: K = " + std::to_string(K) + " is outside [1, " + std::to_string(kMaxK) +
                                "]");
  if (nseg < 0) throw std::invalid_argument("gram_cuda: negative segment count " + std::to_string(nseg));
  if (S == nullptr) throw std::invalid_argument("gram_cuda: output pointer S is null");
  if (nseg > 0 && segments == nullptr) throw std::invalid_argument("gram_cuda: segment array is null");
  for (int s = 0; s < nseg; ++s) {
    const std::string where = "gram_cuda: segment " + std::to_string(s);
    if (segments[s].length < 0)
      throw std::invalid_argument(where + " has negative length " + std::to_string(segments[s].length));
    if (segments[s].rows == nullptr) throw std::invalid_argument(where + " has a null row array");
    for (int k = 0; k < K; ++k)
      if (segments[s].rows[k] == nullptr) throw std::invalid_argument(where + ", row " + std::to_string(k) + " is null");
  }
}

size_t element_size(GramDtype dtype) {
  switch (dtype) {
    case GramDtype::kFloat32:
      return 4;
    case GramDtype::kBFloat16:
      return 2;
  }
  throw std::invalid_argument("gram_cuda: unknown dtype " + std::to_string(static_cast<int>(dtype)));
}

RowPtrs row_ptrs(const GramDeviceSegment& seg, int K, bool* aligned) {
  RowPtrs r{};
  *aligned = true;
  for (int k = 0; k < K; ++k) {
    r.p[k] = seg.rows[k];
    if (reinterpret_cast<uintptr_t>(seg.rows[k]) % 16 != 0) *aligned = false;
  }
  return r;
}

int64_t total_ranges(const Plan& pl, const GramDeviceSegment* segments, int nseg) {
  int64_t n = 0;
  for (int s = 0; s < nseg; ++s) n += ranges_of(pl, segments[s].length);
  return n;
}

void check(cudaError_t e, const char* what) {
  if (e != cudaSuccess) throw std::runtime_error(std::string("gram_cuda: ") + what + ": " + cudaGetErrorString(e));
}

template <typename T>
void launch_partial(const Plan& pl, const RowPtrs& rows, int64_t length, bool vec, double* scratch,
                    cudaStream_t stream) {
  const size_t smem = smem_bytes<T>(pl);
  // Above 48 KiB of dynamic shared memory a kernel must opt in (K > 32 with fp32 rows).
  if (smem > 48 * 1024)
    check(cudaFuncSetAttribute(gram_partial_kernel<T>, cudaFuncAttributeMaxDynamicSharedMemorySize,
                               static_cast<int>(smem)),
          "raising the shared-memory limit");
  const int64_t blocks = ranges_of(pl, length) * pl.ngroups;
  if (blocks > 0x7fffffffLL) throw std::invalid_argument("gram_cuda: segment too long for one launch");
  gram_partial_kernel<T><<<static_cast<unsigned>(blocks), pl.threads, smem, stream>>>(pl, rows, length, vec, scratch);
  check(cudaGetLastError(), "launching the partial-sum kernel");
}

// The host twin of gram_partial_kernel: the same steps in the same order, every thread of a step run
// before the next step starts (which is what the barriers guarantee on the device).
template <typename T>
void emulate_partial(const Plan& pl, const RowPtrs& rows, int64_t length, bool vec, double* scratch) {
  const int64_t blocks = ranges_of(pl, length) * pl.ngroups;
  std::vector<unsigned char> smem_raw(smem_bytes<T>(pl) + 16);
  T* smem = reinterpret_cast<T*>(smem_raw.data());
  const size_t per_stage = stage_elems<T>(pl);
  std::vector<float> accs(static_cast<size_t>(pl.threads) * kTile * kTile);
  auto acc_of = [&](int tid) -> float(&)[kTile][kTile] {
    return *reinterpret_cast<float(*)[kTile][kTile]>(accs.data() + static_cast<size_t>(tid) * kTile * kTile);
  };
  // Poison shared memory between blocks, as stale data on the device would be.
  for (int64_t b = 0; b < blocks; ++b) {
    std::memset(smem_raw.data(), 0x7f, smem_raw.size());
    std::fill(accs.begin(), accs.end(), 0.0f);
    const int group = static_cast<int>(b % pl.ngroups);
    const int64_t range = b / pl.ngroups;
    const int64_t first = range * kChunksPerBlock;
    const int64_t total = chunks_of(pl, length);
    const int n = static_cast<int>(total - first < kChunksPerBlock ? total - first : kChunksPerBlock);
    for (int t = 0; t < pl.threads; ++t) zero_padding(pl, smem, t);
    for (int s = 0; s < kStages - 1 && s < n; ++s)
      for (int t = 0; t < pl.threads; ++t) issue_chunk(pl, rows, length, vec, first + s, smem + s * per_stage, t);
    for (int c = 0; c < n; ++c) {
      const int ahead = c + kStages - 1;
      if (ahead < n)
        for (int t = 0; t < pl.threads; ++t)
          issue_chunk(pl, rows, length, vec, first + ahead, smem + (ahead % kStages) * per_stage, t);
      for (int t = 0; t < pl.threads; ++t)
        compute_chunk(pl, role_of(pl, group, t), smem + (c % kStages) * per_stage, acc_of(t));
    }
    double* red = reinterpret_cast<double*>(smem_raw.data());
    double* out = scratch + range * pl.npairs;
    for (int i = 0; i < kTile; ++i) {
      for (int t = 0; t < pl.threads; ++t) reduce_put(pl, role_of(pl, group, t), i, acc_of(t), red, t);
      for (int stride = pl.team / 2; stride > 0; stride /= 2)
        for (int t = 0; t < pl.threads; ++t) reduce_step(role_of(pl, group, t), stride, red, t);
      for (int t = 0; t < pl.threads; ++t) reduce_store(pl, role_of(pl, group, t), i, red, t, out);
    }
  }
}

void emulate_final(int K, int npairs, int64_t nrows, const double* scratch, double* S) {
  double red[kReduceRows * kReducePairs];
  for (int b = 0; b * kReducePairs < npairs; ++b) {
    for (int y = 0; y < kReduceRows; ++y)
      for (int x = 0; x < kReducePairs; ++x) final_partial(npairs, nrows, scratch, b * kReducePairs + x, y, red, x);
    for (int stride = kReduceRows / 2; stride > 0; stride /= 2)
      for (int y = 0; y < kReduceRows; ++y)
        for (int x = 0; x < kReducePairs; ++x) final_step(stride, red, x, y);
    for (int x = 0; x < kReducePairs; ++x) final_store(K, npairs, b * kReducePairs + x, red, x, S);
  }
}

}  // namespace

size_t gram_cuda_scratch_bytes(const GramDeviceSegment* segments, int nseg, int K) {
  validate(segments, nseg, K, reinterpret_cast<const void*>(1));
  const Plan pl = make_plan(K);
  const int64_t rows = total_ranges(pl, segments, nseg);
  return static_cast<size_t>(rows > 0 ? rows : 1) * pl.npairs * sizeof(double);
}

void gram_cuda(const GramDeviceSegment* segments, int nseg, int K, GramDtype dtype, double* S_dev, void* scratch,
               size_t scratch_bytes, CUstream_st* stream) {
  validate(segments, nseg, K, S_dev);
  const size_t esize = element_size(dtype);
  if (scratch == nullptr) throw std::invalid_argument("gram_cuda: scratch pointer is null");
  const size_t need = gram_cuda_scratch_bytes(segments, nseg, K);
  if (scratch_bytes < need)
    throw std::invalid_argument("gram_cuda: scratch holds " + std::to_string(scratch_bytes) + " bytes, " +
                                std::to_string(need) + " needed");
  const Plan pl = make_plan(K);
  double* rows_out = static_cast<double*>(scratch);
  for (int s = 0; s < nseg; ++s) {
    if (segments[s].length == 0) continue;
    bool aligned = false;
    const RowPtrs rows = row_ptrs(segments[s], K, &aligned);
    if (esize == 4)
      launch_partial<float>(pl, rows, segments[s].length, aligned, rows_out, stream);
    else
      launch_partial<__nv_bfloat16>(pl, rows, segments[s].length, aligned, rows_out, stream);
    rows_out += ranges_of(pl, segments[s].length) * pl.npairs;
  }
  const int64_t nrows = total_ranges(pl, segments, nseg);
  const dim3 block(kReducePairs, kReduceRows);
  const unsigned grid = static_cast<unsigned>((pl.npairs + kReducePairs - 1) / kReducePairs);
  gram_final_kernel<<<grid, block, 0, stream>>>(K, pl.npairs, nrows, static_cast<const double*>(scratch), S_dev);
  check(cudaGetLastError(), "launching the final reduction kernel");
}

void gram_cuda_emulate(const GramDeviceSegment* segments, int nseg, int K, GramDtype dtype, double* S) {
  validate(segments, nseg, K, S);
  const size_t esize = element_size(dtype);
  const Plan pl = make_plan(K);
  const int64_t nrows = total_ranges(pl, segments, nseg);
  std::vector<double> scratch(static_cast<size_t>(nrows > 0 ? nrows : 1) * pl.npairs,
                              std::numeric_limits<double>::quiet_NaN());  // unwritten entries would show
  double* rows_out = scratch.data();
  for (int s = 0; s < nseg; ++s) {
    if (segments[s].length == 0) continue;
    bool aligned = false;
    const RowPtrs rows = row_ptrs(segments[s], K, &aligned);
    if (esize == 4)
      emulate_partial<float>(pl, rows, segments[s].length, aligned, rows_out);
    else
      emulate_partial<__nv_bfloat16>(pl, rows, segments[s].length, aligned, rows_out);
    rows_out += ranges_of(pl, segments[s].length) * pl.npairs;
  }
  emulate_final(K, pl.npairs, nrows, scratch.data(), S);
}

int gram_cuda_device_count() {
  int n = 0;
  if (cudaGetDeviceCount(&n) != cudaSuccess) {
    (void)cudaGetLastError();  // clear the sticky "no driver" error so later CUDA calls start clean
    return 0;
  }
  return n;
}

}  // namespace acodm::cuda
