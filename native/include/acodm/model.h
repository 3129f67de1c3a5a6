// The GPT-NeoX / Pythia language model with its optimizer: the native object Java drives one step at a time.
// Plain types only cross this header (ints, floats, raw arrays, strings, lists of names, the plain structs below);
// tensors stay inside the library.
// Every method reports bad input by throwing std::invalid_argument / std::runtime_error with a message.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "acodm/optimizer_settings.h"
#include "acodm/process_group.h"

namespace acodm {

// What one train step reports besides its per-domain sums. When the loss or the gradient norm is not finite the step
// updated nothing; the fields then hold the non-finite value, and the rate and index the update would have had.
struct StepStats {
  double loss = 0;           // mean token loss of the (global) batch
  double grad_norm = 0;      // global gradient norm before clipping
  double learning_rate = 0;  // the rate of this step's update
  int64_t step = 0;          // 0-based index of the step
};

class Model {
 public:
  // `config` is a named configuration ("70m", "160m", "410m", "1b", "tiny", "small", "demo-proxy",
  // "demo-target", "bench-256"), optionally followed by overrides: "tiny:layers=3,d_model=96".
  // Keys: layers, d_model, heads, vocab (padded up to a multiple of 128), seq, rotary_pct, rotary_base.
  // `device` is "cpu", "cuda", "cuda:N" or "auto" (CUDA when a GPU is visible, else CPU).
  Model(const std::string& config, int64_t seed, const std::string& device);
  ~Model();
  Model(const Model&) = delete;
  Model& operator=(const Model&) = delete;

  // Canonical "key=value,..." form of the resolved configuration (what save() records).
  std::string configString() const;
  std::string deviceName() const;
  int numLayers() const;
  int dModel() const;
  int numHeads() const;
  int vocabSize() const;  // padded vocabulary (a multiple of 128)
  int maxSeq() const;
  int64_t numParameters() const;

  // Parameters in Hugging Face GPTNeoXForCausalLM order and naming.
  int numParameterTensors() const;
  std::string parameterName(int index) const;
  int64_t parameterSize(const std::string& name) const;
  void getParameter(const std::string& name, float* out, int64_t count) const;
  void setParameter(const std::string& name, const float* values, int64_t count);
  // Gradient left by the last lossAndGradients() call (zeros if none).
  void getGradient(const std::string& name, float* out, int64_t count) const;

  // The optimizer, validated (optim.h's validate()). The library has no settings of its own: a train step before
  // this call (or a load() of a checkpoint that holds them) throws. Resets nothing: call before the first step.
  void setOptimizer(const OptimizerSettings& settings);
  int64_t stepCount() const;              // optimizer steps taken
  double learningRate(int64_t step) const;  // schedule value for 0-based step `step`

  // The parameters whose per-domain gradient alignment the train step reports (none turns it off). Each must be a
  // 2-D weight of a Linear layer of a block.
  void setAlignmentParameters(const std::vector<std::string>& names);
  std::vector<std::string> alignmentParameters() const;
  // How the train step gets S: "capture" (default: per-domain gradients formed from the captured layer
  // inputs and output gradients of the one backward pass) or "backward" (the reference and benchmark
  // baseline: one extra autograd pass per domain present, over the same forward graph).
  void setAlignmentMethod(const std::string& method);
  // Split halves (off by default): each domain's windows in a step are dealt in turns into two halves, and the train
  // step also reports <g_dA, g_dB>, an estimate of ||E g_d||^2 without the windows' own noise that S_dd carries
  // (see trainStep's `alignment`). The same S to float rounding; twice the rows in the Gram.
  void setAlignmentSplit(bool split);
  bool alignmentSplit() const;

  // Data-parallel training: from now on a train step is this rank's slice of a global batch. Per-domain token
  // counts and loss sums are summed over the group's ranks, the gradients (scaled by the global token count) are
  // summed in flat buckets of about `bucket_bytes`, and S is taken of the per-domain gradients summed over the
  // ranks; so every rank takes the same optimizer step, equal to one process's step on the whole batch up to
  // summation order. The model keeps the group alive. Every rank must attach the same model.
  void setProcessGroup(const ProcessGroup& group, int64_t bucket_bytes);
  // How the LM head and its cross-entropy run: in chunks of `tokens` tokens (default 256), never forming the
  // B*T x V logits in forward or backward, or with 0 the plain path (the full logits, then libtorch's fused
  // log-softmax + NLL). Both give the same losses and gradients to float rounding; forwardLogits() is unaffected.
  void setLossChunk(int64_t tokens);
  int64_t lossChunk() const;
  // Attention through a fused kernel (on by default): on the CPU the in-place causal softmax over q kᵀ, on a GPU
  // with libtorch 2.x scaled_dot_product_attention; false keeps the plain path (scores, mask, softmax, two batched
  // products) everywhere. Both give the same losses and gradients to float rounding.
  void setFusedAttention(bool fused);
  bool fusedAttentionActive() const;  // whether the steps of this model take the fused path
  // The optimizer step on the CPU as one fused pass over the flat parameter and moment buffers (on by default), or
  // with false as torch's ops tensor by tensor, the reference form (the only one on a GPU). The same step to float
  // rounding; for benchmarks and tests that compare the two.
  void setFusedOptimizer(bool fused);

  // One optimizer step on `batch` windows of `window` = T+1 tokens (row-major int32), windows split into
  // `micro_batches` equal micro-batches for gradient accumulation. domains[b] in [0, num_domains).
  // Outputs (caller-allocated): domain_loss_sum[K] (sum of token losses per domain), domain_tokens[K], *stats.
  // When the loss or the gradient norm is not finite the step updates nothing (parameters, moments, step count) and
  // drops the gradients (StepStats says what it holds then). With a process group,
  // all of them (and S) are the global batch's, identical on every rank.
  // When alignment parameters are set and `alignment` is not null, alignment[K*K] receives
  // S_ij = <g_i, g_j>, g_i the gradient of domain i's mean token loss over those parameters (rows and
  // columns of domains absent from the batch are 0). With setAlignmentSplit(true) it holds K*K + K values:
  // alignment[K*K + i] = <g_iA, g_iB>, the gradients of the mean token loss of the two halves of domain i's windows,
  // NaN when domain i had fewer than two windows in the step.
  void trainStep(const int32_t* tokens, int64_t batch, int64_t window, const int32_t* domains,
                 int num_domains, int micro_batches, double* domain_loss_sum, double* domain_tokens,
                 StepStats* stats, double* alignment);

  // Same per-domain sums without touching parameters or optimizer state; returns the mean token loss.
  double evaluate(const int32_t* tokens, int64_t batch, int64_t window, const int32_t* domains,
                  int num_domains, double* domain_loss_sum, double* domain_tokens);

  // Logits for `tokens` [batch, seq] into out[batch * seq * vocabSize()].
  void forwardLogits(const int32_t* tokens, int64_t batch, int64_t seq, float* out);
  // Mean loss over windows [batch, window]; leaves the gradients for getGradient(). No update.
  double lossAndGradients(const int32_t* tokens, int64_t batch, int64_t window);

  // Frobenius norms of the named parameters into out[count], count = names.size().
  void parameterNorms(const std::vector<std::string>& names, double* out, int count) const;
  // The state parameters (none turns it off): every train step that updates the model measures
  // each one's Frobenius norm and its distance to a reference copy, for stateNorms(). The reference is the
  // parameters' values before the step: before every step with `reference_each_step`, else before the first step
  // (a checkpoint carries it, so a resumed run keeps its reference). Drops any earlier reference.
  void setStateParameters(const std::vector<std::string>& names, bool reference_each_step);
  // What the last train step measured of the L state parameters in their order: norms[l] = ||W_l||_F,
  // distances[l] = ||W_l - W_l,reference||_F (NaN after a step that updated nothing); count must be L.
  void stateNorms(double* norms, double* distances, int count) const;

  // Everything needed to continue bit-for-bit: parameters, AdamW moments, step, schedule, config.
  // Atomic: written to a temporary file beside `path`, fsynced, renamed over it, the folder fsynced. A failure
  // (a full disk included) throws std::runtime_error naming the path (for a full disk also the bytes needed and
  // free), removes the temporary and leaves any earlier file at `path` as it was.
  void save(const std::string& path) const;
  // Refuses a checkpoint whose model configuration differs, naming the differing keys.
  void load(const std::string& path);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Resolves a model configuration as the constructor does ("410m", "tiny:layers=3,d_model=96", or a canonical
// string) without building the model: it allocates no tensors (train --dry-run sizes a 1B model with it).
// Returns the canonical string (what configString() of that model returns) and, when `parameters` is not null,
// stores the model's parameter count there. Throws std::invalid_argument naming the bad name or key.
std::string resolveModelConfig(const std::string& config, int64_t* parameters);

// Build facts for `acodm info`: libtorch version, threads, CUDA kernels compiled, GPUs visible.
std::string buildInfo();
// Number of CUDA devices usable right now (0 when there is no GPU or no CUDA build).
int cudaDeviceCount();
// Pins every CPU compute pool (libtorch intra-op, OpenMP, the BLAS library's own threads) to n; n <= 0: every
// CPU this process may use. Results are bit-reproducible only at the same count (summation orders change).
void setNumThreads(int n);
int numThreads();
// What decides the bits of a CPU result, as sorted "key=value" lines: threads, blas, blas_core, blas_threads,
// cpu, cpu_isa, gram_kernel, libtorch. A checkpoint records it; a resume under another one is not bit-exact.
std::string numericEnvironmentInfo();

}  // namespace acodm
