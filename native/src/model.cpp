// GPT-NeoX / Pythia decoder on plain libtorch tensors (no torch::nn modules: parameter names and order are
// Hugging Face's GPTNeoXForCausalLM, and the train step needs the inputs and output gradients of chosen
// Linear layers for per-domain gradients). The optimizer is optim.h's, shared with the agent networks.
#include "acodm/model.h"

#include <torch/torch.h>
#include <torch/version.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <cmath>
#include <limits>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <unordered_map>

#include "alignment.h"
#include "archive.h"
#include "causal_softmax.h"
#include "collectives.h"
#include "config.h"
#include "device.h"
#include "gradient_buckets.h"
#include "lm_head_loss.h"
#include "key_values.h"
#include "optim.h"
#include "require.h"

namespace acodm {
namespace {

constexpr double kLayerNormEps = 1e-5;
constexpr const char* kCheckpointMagic = "acodm-model-checkpoint";
constexpr int64_t kCheckpointVersion = 1;
// Tokens per chunk of the LM head + cross-entropy: large enough that the products keep their BLAS rate (the
// weight is re-read once per chunk), small enough that a chunk's logits stay out of the way (V = 50,304: 51 MB).
constexpr int64_t kDefaultLossChunk = 256;

// The checkpoint lists the parameters it holds a reference copy of in one string, comma-separated.
std::vector<std::string> splitNames(const std::string& names) {
  std::vector<std::string> list;
  std::stringstream ss(names);
  std::string item;
  while (std::getline(ss, item, ','))
    if (!item.empty()) list.push_back(item);
  return list;
}

torch::Tensor rotateHalf(const torch::Tensor& x) {
  auto half = x.size(-1) / 2;
  auto x1 = x.narrow(-1, 0, half);
  auto x2 = x.narrow(-1, half, half);
  return torch::cat({-x2, x1}, -1);
}

}  // namespace

struct Model::Impl {
  ModelShape shape;
  std::string config;
  torch::Device device = torch::kCPU;
  torch::ScalarType dtype = torch::kFloat32;
  std::vector<std::string> names;
  torch::Tensor flat;                  // every parameter's values, one after another, in the layout's order
  std::vector<torch::Tensor> params;   // views of `flat`, shaped as the layout says
  std::unordered_map<std::string, size_t> index;
  Adam adam;
  std::optional<OptimizerSettings> opt;  // set by setOptimizer() or load(); none before
  torch::Tensor rope_cos, rope_sin, causal_mask;
  std::vector<std::string> alignment_names;
  std::string alignment_method = "capture";
  bool alignment_split = false;
  std::unique_ptr<AlignmentStrategy> alignment;  // null when no alignment parameters are set
  AlignmentStrategy* step_alignment = nullptr;   // the strategy of the train step running now, if it wants S
  int64_t loss_chunk = kDefaultLossChunk;  // tokens per chunk of the LM head + cross-entropy; 0: the full logits
  bool fused_attention = true;             // the CPU's causal softmax; libtorch's scaled_dot_product_attention (GPU, 2.x)
  std::vector<std::string> state_names;           // the state parameters (setStateParameters)
  bool state_reference_each_step = true;
  std::vector<double> state_norms;                 // the last step's norms, then distances (2 per state parameter)
  std::map<std::string, torch::Tensor> reference;  // parameter name -> reference copy (state-layer deltas)
  std::shared_ptr<Collectives> group;              // null: this process trains alone
  std::unique_ptr<GradientBuckets> buckets;

  // The sum over the ranks of a small float64 tensor on the model's device (the tensor itself alone).
  torch::Tensor sumOverRanks(torch::Tensor t, const std::string& what) {
    if (!group) return t;
    std::vector<torch::Tensor> one{t.to(group->device()).contiguous()};
    group->allReduce(one, what, Traffic::kSums);
    return one[0].to(t.device());
  }

  // Makes the forward pass report its Linear layers to a strategy for the duration of one train step.
  struct StepAlignment {
    StepAlignment(Impl& m, AlignmentStrategy* s) : m_(m) { m_.step_alignment = s; }
    ~StepAlignment() { m_.step_alignment = nullptr; }
    Impl& m_;
  };

  // Checkpoint keys of the AdamW moments: "exp_avg/<parameter name>", "exp_avg_sq/<parameter name>".
  Adam::Key momentKeys() const {
    return [this](const std::string& moment, size_t i) { return moment + "/" + names[i]; };
  }

  void configureAlignment() {
    std::vector<torch::Tensor> weights;
    for (const auto& n : alignment_names) weights.push_back(params[index.at(n)]);
    alignment = AlignmentStrategy::create(alignment_method, alignment_names, std::move(weights));
    if (alignment) {
      alignment->setGroup(group);
      alignment->setSplit(alignment_split);
    }
  }

  const torch::Tensor& p(const std::string& name) const { return params[index.at(name)]; }

  const OptimizerSettings& settings() const {
    require(opt.has_value(), "the model has no optimizer settings: call setOptimizer() before its first train step");
    return *opt;
  }

  // Before a train step: the state parameters' reference, taken anew before every step, or once.
  void takeStateReference() {
    if (state_names.empty()) return;
    bool complete = true;
    for (const auto& n : state_names) complete = complete && reference.count(n) > 0;
    if (complete && !state_reference_each_step) return;
    require(complete || state_reference_each_step || adam.steps() == 0,
            "the state parameters have no reference copy, but the model has taken " + std::to_string(adam.steps()) +
                " steps: a checkpoint without the reference of its first step cannot continue a run measured against it");
    std::map<std::string, torch::Tensor> ref;
    for (const auto& n : state_names) ref[n] = named(n).detach().clone();
    reference = std::move(ref);
  }

  // After a train step: each state parameter's norm and its distance to the reference (NaN when nothing was updated).
  void measureState(bool updated) {
    const size_t L = state_names.size();
    state_norms.assign(2 * L, std::numeric_limits<double>::quiet_NaN());
    if (!updated) return;
    for (size_t i = 0; i < L; ++i) {
      const auto& w = named(state_names[i]);
      state_norms[i] = w.detach().norm(2).to(torch::kFloat64).item<double>();
      state_norms[L + i] = (w.detach() - reference.at(state_names[i])).norm(2).to(torch::kFloat64).item<double>();
    }
  }

  void add(const std::string& name, torch::Tensor t) {
    index[name] = names.size();
    names.push_back(name);
    params.push_back(std::move(t));
  }

  static std::string layerPrefix(int i) { return "gpt_neox.layers." + std::to_string(i) + "."; }

  // GPT-NeoX init: small_init (std sqrt(2/(5d))) for embeddings and Linear weights, wang_init
  // (std 2/(L sqrt(d))) for the two projections that write into the residual stream; zero biases.
  // The draws come in the layout's order from a CPU generator, so a seed gives the same weights on any device.
  void init(int64_t seed) {
    const int d = shape.d_model, L = shape.layers;
    const double small = std::sqrt(2.0 / (5.0 * d));
    const double wang = 2.0 / (L * std::sqrt(static_cast<double>(d)));
    auto gen = at::detail::createCPUGenerator(static_cast<uint64_t>(seed));
    auto opts = torch::TensorOptions().dtype(dtype);
    for (const auto& spec : parameterLayout(shape)) {
      torch::Tensor t;
      switch (spec.init) {
        case ParameterSpec::Init::kOnes: t = torch::ones(spec.sizes, opts); break;
        case ParameterSpec::Init::kZeros: t = torch::zeros(spec.sizes, opts); break;
        case ParameterSpec::Init::kSmall: t = torch::empty(spec.sizes, opts).normal_(0.0, small, gen); break;
        case ParameterSpec::Init::kWang: t = torch::empty(spec.sizes, opts).normal_(0.0, wang, gen); break;
      }
      add(spec.name, std::move(t));
    }
    // One flat buffer holds them all, so the optimizer's step is one pass over parameters and moments alike.
    int64_t total = 0;
    for (const auto& t : params) total += t.numel();
    flat = torch::empty({total}, torch::TensorOptions().dtype(dtype).device(device));
    int64_t offset = 0;
    for (auto& t : params) {
      auto view = flat.narrow(0, offset, t.numel()).view(t.sizes());
      view.copy_(t);
      offset += t.numel();
      t = view.detach().set_requires_grad(true);
    }
    adam.reset(params);
    // Rotary tables as in GPT-NeoX: inv_freq = base^(-2i/rd), angles t * inv_freq duplicated over halves.
    const int rd = shape.rotaryDims();
    if (rd > 0) {
      auto inv = torch::pow(shape.rotary_base, -torch::arange(0, rd, 2, torch::kFloat64) / rd);
      auto t = torch::arange(shape.seq, torch::kFloat64);
      auto freqs = torch::outer(t, inv);
      auto emb = torch::cat({freqs, freqs}, -1);
      rope_cos = emb.cos().to(dtype).to(device);
      rope_sin = emb.sin().to(dtype).to(device);
    }
    causal_mask = torch::ones({shape.seq, shape.seq}, torch::kBool).triu(1).to(device);
  }

  torch::Tensor linear(const torch::Tensor& x, const std::string& prefix) {
    auto y = torch::linear(x, p(prefix + ".weight"), p(prefix + ".bias"));
    if (step_alignment) step_alignment->observe(prefix + ".weight", x, y);
    return y;
  }

  torch::Tensor attention(const torch::Tensor& h, const std::string& pre) {
    const int64_t B = h.size(0), T = h.size(1);
    const int H = shape.heads, hs = shape.headSize(), rd = shape.rotaryDims();
    auto qkv = linear(h, pre + "attention.query_key_value").view({B, T, H, 3 * hs}).permute({0, 2, 1, 3});
    auto q = qkv.narrow(-1, 0, hs);
    auto k = qkv.narrow(-1, hs, hs);
    auto v = qkv.narrow(-1, 2 * hs, hs);
    if (rd > 0) {
      auto cos = rope_cos.narrow(0, 0, T).to(q.scalar_type());
      auto sin = rope_sin.narrow(0, 0, T).to(q.scalar_type());
      auto rope = [&](const torch::Tensor& x) {
        auto rot = x.narrow(-1, 0, rd);
        auto rotated = rot * cos + rotateHalf(rot) * sin;
        return rd == hs ? rotated : torch::cat({rotated, x.narrow(-1, rd, hs - rd)}, -1);
      };
      q = rope(q);
      k = rope(k);
    }
#if TORCH_VERSION_MAJOR >= 2
    // libtorch 2.x on a GPU: the fused kernel (flash / memory-efficient attention) scales by 1/sqrt(hs) and masks
    // causally itself, never writing the T x T scores. The CPU path below is the one the tests pin down.
    if (fused_attention && q.is_cuda()) {
      auto fused = at::scaled_dot_product_attention(q, k, v, /*attn_mask=*/{}, /*dropout_p=*/0.0, /*is_causal=*/true);
      return linear(fused.permute({0, 2, 1, 3}).reshape({B, T, H * hs}), pre + "attention.dense");
    }
#endif
    const double scale = 1.0 / std::sqrt(static_cast<double>(hs));
    if (fused_attention && q.is_cpu() && (q.scalar_type() == torch::kFloat32 || q.scalar_type() == torch::kFloat64)) {
      // The CPU path: q kᵀ is a fresh buffer that no backward needs, so the causal softmax (scale included, masked
      // positions never computed) overwrites it with the probabilities (causal_softmax.h).
      auto scores = at::bmm(q.reshape({B * H, T, hs}), k.reshape({B * H, T, hs}).transpose(1, 2));
      auto probs = causalSoftmax_(scores, scale);
      auto ctx = at::bmm(probs, v.reshape({B * H, T, hs})).view({B, H, T, hs}).permute({0, 2, 1, 3}).reshape({B, T, H * hs});
      return linear(ctx, pre + "attention.dense");
    }
    // Scaling q ([B,H,T,hs]) is cheaper than scaling the scores ([B,H,T,T]) once T > hs; the scores are a
    // fresh temporary that no backward needs, so the mask is applied in place.
    auto scores = torch::matmul(q * scale, k.transpose(-1, -2));
    scores.masked_fill_(causal_mask.narrow(0, 0, T).narrow(1, 0, T), -std::numeric_limits<float>::infinity());
    auto probs = torch::softmax(scores, -1, scores.scalar_type() == torch::kBFloat16 ? torch::kFloat : scores.scalar_type())
                     .to(v.scalar_type());
    auto ctx = torch::matmul(probs, v).permute({0, 2, 1, 3}).reshape({B, T, H * hs});
    return linear(ctx, pre + "attention.dense");
  }

  // The final hidden states [B, T, d] (after the last LayerNorm), before the LM head.
  torch::Tensor hidden(const torch::Tensor& tokens) {
    const int d = shape.d_model;
    auto x = torch::embedding(p("gpt_neox.embed_in.weight"), tokens);
    for (int i = 0; i < shape.layers; ++i) {
      auto pre = layerPrefix(i);
      auto h1 = torch::layer_norm(x, {d}, p(pre + "input_layernorm.weight"), p(pre + "input_layernorm.bias"), kLayerNormEps);
      auto h2 = torch::layer_norm(x, {d}, p(pre + "post_attention_layernorm.weight"),
                                  p(pre + "post_attention_layernorm.bias"), kLayerNormEps);
      auto attn = attention(h1, pre);
      auto mlp = linear(torch::gelu(linear(h2, pre + "mlp.dense_h_to_4h")), pre + "mlp.dense_4h_to_h");
      x = x + attn + mlp;  // parallel residual
    }
    return torch::layer_norm(x, {d}, p("gpt_neox.final_layer_norm.weight"), p("gpt_neox.final_layer_norm.bias"), kLayerNormEps);
  }

  torch::Tensor forward(const torch::Tensor& tokens) { return torch::linear(hidden(tokens), p("embed_out.weight")); }

  // Validates a [batch, window] token block and copies it to the device as int64.
  torch::Tensor tokenTensor(const int32_t* tokens, int64_t batch, int64_t window, int64_t min_window) const {
    require(tokens != nullptr, "tokens is null");
    require(batch >= 1, "batch must be >= 1, got " + std::to_string(batch));
    require(window >= min_window, "window must be >= " + std::to_string(min_window) + ", got " + std::to_string(window));
    const int64_t max_window = shape.seq + (min_window - 1);
    require(window <= max_window, "window of " + std::to_string(window) + " tokens exceeds the model's context (" +
                                      std::to_string(shape.seq) + " positions, window at most " +
                                      std::to_string(max_window) + ")");
    const int64_t n = batch * window;
    for (int64_t i = 0; i < n; ++i) {
      if (tokens[i] < 0 || tokens[i] >= shape.vocab) {
        throw std::invalid_argument("token id " + std::to_string(tokens[i]) + " at window " + std::to_string(i / window) +
                                    ", position " + std::to_string(i % window) + " is outside the vocabulary [0, " +
                                    std::to_string(shape.vocab) + ")");
      }
    }
    auto t = torch::from_blob(const_cast<int32_t*>(tokens), {batch, window}, torch::kInt32);
    return t.to(torch::kInt64).to(device);
  }

  torch::Tensor domainTensor(const int32_t* domains, int64_t batch, int num_domains) const {
    require(domains != nullptr, "domains is null");
    require(num_domains >= 1, "num_domains must be >= 1, got " + std::to_string(num_domains));
    for (int64_t b = 0; b < batch; ++b) {
      if (domains[b] < 0 || domains[b] >= num_domains)
        throw std::invalid_argument("domain id " + std::to_string(domains[b]) + " of window " + std::to_string(b) +
                                    " is outside [0, " + std::to_string(num_domains) + ")");
    }
    return torch::from_blob(const_cast<int32_t*>(domains), {batch}, torch::kInt32).to(torch::kInt64).to(device);
  }

  // Per-token losses [B, T] in fp32 (fp64 for float64 models), per token (no reduction) so losses can be summed
  // per domain. Chunked (the default): the LM head and cross-entropy a chunk of tokens at a time, never the
  // B*T x V logits (lm_head_loss.h); plain: the full logits, then libtorch's fused log-softmax + NLL.
  torch::Tensor tokenLosses(const torch::Tensor& windows) {
    const int64_t B = windows.size(0), T = windows.size(1) - 1;
    auto inputs = windows.narrow(1, 0, T);
    auto targets = windows.narrow(1, 1, T).reshape({-1});
    torch::Tensor h;
    {
      AutocastGuard autocast(device);
      h = hidden(inputs);
    }
    h = h.reshape({B * T, shape.d_model});
    const auto& w = p("embed_out.weight");
    if (loss_chunk == 0) {
      AutocastGuard autocast(device);
      return plainLmHeadLoss(h, w, targets).view({B, T});
    }
    // On a GPU the products run in bf16, as autocast runs the plain path's LM head.
    LmHeadLossOptions o{loss_chunk, device.is_cuda() ? torch::kBFloat16 : dtype, LmHeadKernel::kAuto};
    return chunkedLmHeadLoss(h, w, targets, o).view({B, T});
  }

  const torch::Tensor& named(const std::string& name) const {
    auto it = index.find(name);
    if (it == index.end()) throw std::invalid_argument("no parameter named '" + name + "'");
    return params[it->second];
  }
};

std::string resolveModelConfig(const std::string& config, int64_t* parameters) {
  const ModelShape shape = parseModelShape(config);
  if (parameters != nullptr) *parameters = parameterCount(shape);
  return canonical(shape);
}

Model::Model(const std::string& config, int64_t seed, const std::string& device) : impl_(new Impl) {
  impl_->shape = parseModelShape(config);
  impl_->config = canonical(impl_->shape);
  impl_->device = resolveDevice(device);
  impl_->dtype = impl_->shape.dtype == "float64" ? torch::kFloat64 : torch::kFloat32;
  impl_->init(seed);
}

Model::~Model() = default;

std::string Model::configString() const { return impl_->config; }
std::string Model::deviceName() const { return impl_->device.str(); }
int Model::numLayers() const { return impl_->shape.layers; }
int Model::dModel() const { return impl_->shape.d_model; }
int Model::numHeads() const { return impl_->shape.heads; }
int Model::vocabSize() const { return impl_->shape.vocab; }
int Model::maxSeq() const { return impl_->shape.seq; }

int64_t Model::numParameters() const {
  int64_t n = 0;
  for (const auto& t : impl_->params) n += t.numel();
  return n;
}

int Model::numParameterTensors() const { return static_cast<int>(impl_->params.size()); }

std::string Model::parameterName(int i) const {
  require(i >= 0 && i < numParameterTensors(), "parameter index " + std::to_string(i) + " outside [0, " +
                                                   std::to_string(numParameterTensors()) + ")");
  return impl_->names[static_cast<size_t>(i)];
}

int64_t Model::parameterSize(const std::string& name) const { return impl_->named(name).numel(); }

void Model::getParameter(const std::string& name, float* out, int64_t count) const {
  const auto& t = impl_->named(name);
  require(out != nullptr && count == t.numel(), "parameter '" + name + "' has " + std::to_string(t.numel()) +
                                                    " values, the buffer " + std::to_string(count));
  auto host = t.detach().to(torch::kCPU).to(torch::kFloat32).contiguous();
  std::copy_n(host.data_ptr<float>(), count, out);
}

void Model::setParameter(const std::string& name, const float* values, int64_t count) {
  auto& t = const_cast<torch::Tensor&>(impl_->named(name));
  require(values != nullptr && count == t.numel(), "parameter '" + name + "' has " + std::to_string(t.numel()) +
                                                       " values, the buffer " + std::to_string(count));
  torch::NoGradGuard no_grad;
  auto src = torch::from_blob(const_cast<float*>(values), t.sizes(), torch::kFloat32);
  t.copy_(src);
}

void Model::getGradient(const std::string& name, float* out, int64_t count) const {
  const auto& t = impl_->named(name);
  require(out != nullptr && count == t.numel(), "parameter '" + name + "' has " + std::to_string(t.numel()) +
                                                    " values, the buffer " + std::to_string(count));
  if (!t.grad().defined()) {
    std::fill_n(out, count, 0.0f);
    return;
  }
  auto host = t.grad().detach().to(torch::kCPU).to(torch::kFloat32).contiguous();
  std::copy_n(host.data_ptr<float>(), count, out);
}

void Model::setOptimizer(const OptimizerSettings& settings) {
  validate(settings, "model optimizer");
  impl_->opt = settings;
}

int64_t Model::stepCount() const { return impl_->adam.steps(); }
double Model::learningRate(int64_t step) const { return impl_->settings().learningRate(step); }

void Model::setAlignmentParameters(const std::vector<std::string>& names) {
  std::vector<std::string> list;
  for (const auto& item : names) {
    const auto& t = impl_->named(item);
    bool linear_weight = t.dim() == 2 && item.rfind("gpt_neox.layers.", 0) == 0 &&
                         item.size() > 7 && item.compare(item.size() - 7, 7, ".weight") == 0;
    require(linear_weight, "alignment parameter '" + item + "' is not the weight of a Linear layer inside a block");
    list.push_back(item);
  }
  auto previous = std::move(impl_->alignment_names);
  impl_->alignment_names = std::move(list);
  try {
    impl_->configureAlignment();
  } catch (...) {
    impl_->alignment_names = std::move(previous);
    throw;
  }
}

void Model::setAlignmentMethod(const std::string& method) {
  auto previous = impl_->alignment_method;
  impl_->alignment_method = method;
  try {
    impl_->configureAlignment();
  } catch (...) {
    impl_->alignment_method = previous;
    throw;
  }
}

void Model::setAlignmentSplit(bool split) {
  impl_->alignment_split = split;
  if (impl_->alignment) impl_->alignment->setSplit(split);
}

bool Model::alignmentSplit() const { return impl_->alignment_split; }

void Model::setLossChunk(int64_t tokens) {
  require(tokens >= 0, "loss chunk must be >= 0 tokens (0: the full logits), got " + std::to_string(tokens));
  impl_->loss_chunk = tokens;
}

int64_t Model::lossChunk() const { return impl_->loss_chunk; }

void Model::setFusedAttention(bool fused) { impl_->fused_attention = fused; }

bool Model::fusedAttentionActive() const {
#if TORCH_VERSION_MAJOR >= 2
  return impl_->fused_attention && (impl_->device.is_cpu() || impl_->device.is_cuda());
#else
  return impl_->fused_attention && impl_->device.is_cpu();
#endif
}

void Model::setFusedOptimizer(bool fused) { impl_->adam.setFused(fused); }

std::vector<std::string> Model::alignmentParameters() const { return impl_->alignment_names; }

void Model::setProcessGroup(const ProcessGroup& group, int64_t bucket_bytes) {
  auto& m = *impl_;
  require(bucket_bytes >= 1, "gradient bucket size must be >= 1 byte, got " + std::to_string(bucket_bytes));
  auto buckets = std::make_unique<GradientBuckets>(m.params, bucket_bytes, group.collectives()->device());
  m.group = group.collectives();
  m.buckets = std::move(buckets);
  if (m.alignment) m.alignment->setGroup(m.group);
}

void Model::trainStep(const int32_t* tokens, int64_t batch, int64_t window, const int32_t* domains, int num_domains,
                      int micro_batches, double* domain_loss_sum, double* domain_tokens, StepStats* stats,
                      double* alignment) {
  auto& m = *impl_;
  require(micro_batches >= 1 && batch % micro_batches == 0,
          "micro_batches (" + std::to_string(micro_batches) + ") must divide the batch (" + std::to_string(batch) + ")");
  require(domain_loss_sum && domain_tokens && stats, "output buffers must not be null");
  const auto started = std::chrono::steady_clock::now();
  auto windows = m.tokenTensor(tokens, batch, window, 2);
  auto dom = m.domainTensor(domains, batch, num_domains);
  const OptimizerSettings& opt = m.settings();
  const int64_t T = window - 1;
  const int64_t micro = batch / micro_batches;
  m.takeStateReference();
  // Token counts first: the loss is scaled by the token count of the whole (global) batch.
  auto counts = m.sumOverRanks(torch::bincount(dom, {}, num_domains).to(torch::kFloat64) * static_cast<double>(T),
                               "all-reduce of the per-domain token counts");
  auto count_host = counts.to(torch::kCPU);
  const double total_tokens = count_host.sum().item<double>();
  // Forward, loss, backward per micro-batch with the alignment strategy's hooks around them, then clip and step.
  AlignmentStrategy* align = alignment != nullptr ? m.alignment.get() : nullptr;
  clearGrads(m.params);
  if (align) align->beginStep(num_domains);
  Impl::StepAlignment scope(m, align);
  auto loss_per_domain = torch::zeros({num_domains}, torch::TensorOptions().dtype(torch::kFloat64).device(m.device));
  for (int mb = 0; mb < micro_batches; ++mb) {
    auto w = windows.narrow(0, mb * micro, micro);
    auto d = dom.narrow(0, mb * micro, micro);
    if (align) align->beginMicroBatch(d);
    auto window_sums = m.tokenLosses(w).sum(1);
    loss_per_domain.index_add_(0, d, window_sums.detach().to(torch::kFloat64));
    if (align) align->beforeBackward(window_sums);
    (window_sums.sum() / total_tokens).backward();
    if (align) align->endMicroBatch();
  }
  auto loss_host = m.sumOverRanks(loss_per_domain, "all-reduce of the per-domain loss sums").to(torch::kCPU);
  double total = 0;
  for (int k = 0; k < num_domains; ++k) {
    domain_loss_sum[k] = loss_host[k].item<double>();
    domain_tokens[k] = count_host[k].item<double>();
    total += domain_loss_sum[k];
  }
  if (m.group) m.buckets->allReduce(m.params, *m.group);
  if (align) align->finish(count_host, alignment);
  const double grad_norm = gradNorm(m.params);
  stats->loss = total / total_tokens;
  stats->grad_norm = grad_norm;
  if (!std::isfinite(stats->loss) || !std::isfinite(grad_norm)) {
    // One such update would turn every weight and moment into NaN for good: nothing is updated, not even the step
    // count (so the schedule does not advance either, as Megatron skips an iteration); the caller sees why in stats.
    clearGrads(m.params);
    stats->learning_rate = opt.learningRate(m.adam.steps());
    stats->step = m.adam.steps();
    m.measureState(false);
    return;
  }
  // Clipping is folded into the update: the step reads each gradient scaled, in its one pass.
  stats->learning_rate = m.adam.step(m.params, opt, clipScale(grad_norm, opt.grad_clip));
  stats->step = m.adam.steps() - 1;
  m.measureState(true);
  if (m.group)
    m.group->countStep(std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count(),
                       m.buckets->count());
}

double Model::evaluate(const int32_t* tokens, int64_t batch, int64_t window, const int32_t* domains, int num_domains,
                       double* domain_loss_sum, double* domain_tokens) {
  auto& m = *impl_;
  require(domain_loss_sum && domain_tokens, "output buffers must not be null");
  auto windows = m.tokenTensor(tokens, batch, window, 2);
  auto dom = m.domainTensor(domains, batch, num_domains);
  torch::NoGradGuard no_grad;
  auto sums = m.tokenLosses(windows).sum(1).to(torch::kFloat64);
  auto per_domain = torch::zeros({num_domains}, sums.options()).index_add_(0, dom, sums).to(torch::kCPU);
  auto counts = (torch::bincount(dom, {}, num_domains).to(torch::kFloat64) * static_cast<double>(window - 1)).to(torch::kCPU);
  double total = 0;
  for (int k = 0; k < num_domains; ++k) {
    domain_loss_sum[k] = per_domain[k].item<double>();
    domain_tokens[k] = counts[k].item<double>();
    total += domain_loss_sum[k];
  }
  return total / static_cast<double>(batch * (window - 1));
}

void Model::forwardLogits(const int32_t* tokens, int64_t batch, int64_t seq, float* out) {
  require(out != nullptr, "output buffer is null");
  auto input = impl_->tokenTensor(tokens, batch, seq, 1);
  torch::NoGradGuard no_grad;
  auto logits = impl_->forward(input).to(torch::kCPU).to(torch::kFloat32).contiguous();
  std::copy_n(logits.data_ptr<float>(), logits.numel(), out);
}

double Model::lossAndGradients(const int32_t* tokens, int64_t batch, int64_t window) {
  auto windows = impl_->tokenTensor(tokens, batch, window, 2);
  clearGrads(impl_->params);
  auto loss = impl_->tokenLosses(windows).mean();
  loss.backward();
  return loss.item<double>();
}

void Model::parameterNorms(const std::vector<std::string>& names, double* out, int count) const {
  require(out != nullptr && static_cast<int>(names.size()) == count,
          "parameterNorms: " + std::to_string(names.size()) + " names but a buffer of " + std::to_string(count));
  for (int i = 0; i < count; ++i) out[i] = impl_->named(names[i]).detach().norm(2).to(torch::kFloat64).item<double>();
}

void Model::setStateParameters(const std::vector<std::string>& names, bool reference_each_step) {
  std::vector<std::string> list;
  for (const auto& n : names) {
    impl_->named(n);  // an unknown name is an error here, not in the first step
    list.push_back(n);
  }
  impl_->state_names = std::move(list);
  impl_->state_reference_each_step = reference_each_step;
  impl_->reference.clear();
  impl_->state_norms.assign(2 * impl_->state_names.size(), std::numeric_limits<double>::quiet_NaN());
}

void Model::stateNorms(double* norms, double* distances, int count) const {
  const auto& measured = impl_->state_norms;
  const size_t L = measured.size() / 2;
  require(norms != nullptr && distances != nullptr && static_cast<size_t>(count) == L,
          "stateNorms: buffers of " + std::to_string(count) + " for " + std::to_string(L) + " state parameters");
  std::copy(measured.begin(), measured.begin() + L, norms);
  std::copy(measured.begin() + L, measured.end(), distances);
}

void Model::save(const std::string& path) const {
  const auto& m = *impl_;
  torch::serialize::OutputArchive archive;
  writeHeader(archive, kCheckpointMagic, kCheckpointVersion);
  archive.write("config", c10::IValue(m.config));
  archive.write("step", c10::IValue(m.adam.steps()));
  if (m.opt) archive.write("optimizer", settingsTensor(*m.opt));
  for (size_t i = 0; i < m.params.size(); ++i)
    // Copies: a view would carry the whole flat buffer into the archive with it.
    archive.write("param/" + m.names[i], m.params[i].detach().to(torch::kCPU).clone(), /*is_buffer=*/true);
  m.adam.write(archive, m.momentKeys());
  std::string refs;
  for (const auto& [name, t] : m.reference) {
    refs += (refs.empty() ? "" : ",") + name;
    archive.write("reference/" + name, t.to(torch::kCPU), true);
  }
  archive.write("reference_names", c10::IValue(refs));
  writeArchive(archive, path, "model checkpoint");
}

void Model::load(const std::string& path) {
  auto& m = *impl_;
  torch::serialize::InputArchive archive;
  openArchive(archive, path, kCheckpointMagic, kCheckpointVersion, "model checkpoint");
  c10::IValue config, step;
  archive.read("config", config);
  if (config.toStringRef() != m.config) {
    std::string diff;
    for (const auto& k : differingKeys(m.config, config.toStringRef(), ',')) diff += (diff.empty() ? "" : "; ") + k;
    throw std::invalid_argument("checkpoint " + path + " was written by a different model configuration: " + diff +
                                " (this model vs checkpoint)");
  }
  archive.read("step", step);
  torch::Tensor opt;
  std::optional<OptimizerSettings> settings;
  if (archive.try_read("optimizer", opt)) settings = settingsFromTensor(opt, OlderLastField::kGradClip, "checkpoint " + path);
  torch::NoGradGuard no_grad;
  for (size_t i = 0; i < m.params.size(); ++i) {
    torch::Tensor p;
    archive.read("param/" + m.names[i], p, true);
    m.params[i].copy_(p);
  }
  m.adam.read(archive, m.momentKeys());
  m.adam.setSteps(step.toInt());
  if (settings) m.opt = settings;
  m.reference.clear();
  c10::IValue refs;
  if (archive.try_read("reference_names", refs)) {
    for (const auto& name : splitNames(refs.toStringRef())) {
      torch::Tensor t;
      archive.read("reference/" + name, t, true);
      m.reference[name] = t.to(m.device);
    }
  }
  clearGrads(m.params);
}

}  // namespace acodm
