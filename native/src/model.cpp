// GPT-NeoX / Pythia decoder on plain libtorch tensors (no torch::nn modules: parameter names and order are
// Hugging Face's GPTNeoXForCausalLM, and the train step needs the inputs and output gradients of chosen
// Linear layers for per-domain gradients). AdamW is written out so checkpoints hold every bit of state.
#include "acodm/model.h"

#include <torch/torch.h>
#include <torch/version.h>

#include <algorithm>
#include <map>
#include <cmath>
#include <cstdio>
#include <fcntl.h>
#include <sstream>
#include <stdexcept>
#include <unistd.h>
#include <unordered_map>

#include "alignment.h"
#include "config.h"
#include "device.h"
#include "lm_head_loss.h"

namespace acodm {
namespace {

constexpr double kLayerNormEps = 1e-5;
constexpr const char* kCheckpointMagic = "acodm-model-checkpoint";
constexpr int64_t kCheckpointVersion = 1;
// Tokens per chunk of the LM head + cross-entropy: large enough that the products keep their BLAS rate (the
// weight is re-read once per chunk), small enough that a chunk's logits stay out of the way (V = 50,304: 51 MB).
constexpr int64_t kDefaultLossChunk = 256;

void require(bool ok, const std::string& message) {
  if (!ok) throw std::invalid_argument(message);
}

// Parameter lists cross the API as comma-separated names; empty items are ignored.
std::vector<std::string> splitNames(const std::string& names) {
  std::vector<std::string> list;
  std::stringstream ss(names);
  std::string item;
  while (std::getline(ss, item, ','))
    if (!item.empty()) list.push_back(item);
  return list;
}

// The names of a per-parameter output buffer, checked against its length.
std::vector<std::string> splitNames(const std::string& names, const double* out, int count, const char* what) {
  auto list = splitNames(names);
  require(out != nullptr && static_cast<int>(list.size()) == count,
          std::string(what) + ": " + std::to_string(list.size()) + " names but a buffer of " + std::to_string(count));
  return list;
}

torch::Tensor rotateHalf(const torch::Tensor& x) {
  auto half = x.size(-1) / 2;
  auto x1 = x.narrow(-1, 0, half);
  auto x2 = x.narrow(-1, half, half);
  return torch::cat({-x2, x1}, -1);
}

// Flushes a finished file to disk, so the rename that follows publishes complete bytes.
void fsyncPath(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
}

struct OptimizerSettings {
  double max_lr = 3e-4, min_lr = 3e-5;
  int64_t warmup = 0, total = 1;
  double weight_decay = 0.1, beta1 = 0.9, beta2 = 0.95, eps = 1e-8, grad_clip = 1.0;
};

}  // namespace

struct Model::Impl {
  ModelShape shape;
  std::string config;
  torch::Device device = torch::kCPU;
  torch::ScalarType dtype = torch::kFloat32;
  std::vector<std::string> names;
  std::vector<torch::Tensor> params;
  std::unordered_map<std::string, size_t> index;
  std::vector<torch::Tensor> exp_avg, exp_avg_sq;
  int64_t step = 0;
  OptimizerSettings opt;
  torch::Tensor rope_cos, rope_sin, causal_mask;
  AlignmentCapture alignment;
  bool alignment_by_backward = false;
  int64_t loss_chunk = kDefaultLossChunk;  // tokens per chunk of the LM head + cross-entropy; 0: the full logits
  bool fused_attention = true;             // libtorch's scaled_dot_product_attention where it exists (GPU, 2.x)
  std::map<std::string, torch::Tensor> reference;  // parameter name -> reference copy (state-layer deltas)
  std::map<int64_t, std::vector<torch::Tensor>> backward_grads;  // domain -> summed loss gradients

  // The reference method: d/dθ of each present domain's loss sum in this micro-batch, by its own autograd
  // pass through the shared graph (retain_graph), restricted to the alignment parameters.
  void accumulateByBackward(const torch::Tensor& window_sums, const torch::Tensor& domains) {
    std::vector<torch::Tensor> inputs;
    for (const auto& n : alignment.parameters()) inputs.push_back(params[index.at(n)]);
    auto present = std::get<0>(at::_unique(domains.to(torch::kCPU)));
    for (int64_t j = 0; j < present.numel(); ++j) {
      const int64_t d = present[j].item<int64_t>();
      auto loss_d = window_sums.masked_select(domains == d).sum();
      auto grads = torch::autograd::grad({loss_d}, inputs, {}, /*retain_graph=*/true);
      auto& acc = backward_grads[d];
      if (acc.empty()) acc = grads;
      else
        for (size_t i = 0; i < grads.size(); ++i) acc[i].add_(grads[i]);
    }
  }

  const torch::Tensor& p(const std::string& name) const { return params[index.at(name)]; }

  void add(const std::string& name, torch::Tensor t) {
    index[name] = names.size();
    names.push_back(name);
    params.push_back(std::move(t));
  }

  static std::string layerPrefix(int i) { return "gpt_neox.layers." + std::to_string(i) + "."; }

  // GPT-NeoX init: small_init (std sqrt(2/(5d))) for embeddings and Linear weights, wang_init
  // (std 2/(L sqrt(d))) for the two projections that write into the residual stream; zero biases.
  void init(int64_t seed) {
    const int d = shape.d_model, L = shape.layers, V = shape.vocab;
    const double small = std::sqrt(2.0 / (5.0 * d));
    const double wang = 2.0 / (L * std::sqrt(static_cast<double>(d)));
    auto gen = at::detail::createCPUGenerator(static_cast<uint64_t>(seed));
    auto opts = torch::TensorOptions().dtype(dtype);
    auto normal = [&](std::vector<int64_t> size, double std) {
      auto t = torch::empty(size, opts);
      t.normal_(0.0, std, gen);
      return t;
    };
    add("gpt_neox.embed_in.weight", normal({V, d}, small));
    for (int i = 0; i < L; ++i) {
      auto pre = layerPrefix(i);
      add(pre + "input_layernorm.weight", torch::ones({d}, opts));
      add(pre + "input_layernorm.bias", torch::zeros({d}, opts));
      add(pre + "post_attention_layernorm.weight", torch::ones({d}, opts));
      add(pre + "post_attention_layernorm.bias", torch::zeros({d}, opts));
      add(pre + "attention.query_key_value.weight", normal({3 * d, d}, small));
      add(pre + "attention.query_key_value.bias", torch::zeros({3 * d}, opts));
      add(pre + "attention.dense.weight", normal({d, d}, wang));
      add(pre + "attention.dense.bias", torch::zeros({d}, opts));
      add(pre + "mlp.dense_h_to_4h.weight", normal({4 * d, d}, small));
      add(pre + "mlp.dense_h_to_4h.bias", torch::zeros({4 * d}, opts));
      add(pre + "mlp.dense_4h_to_h.weight", normal({d, 4 * d}, wang));
      add(pre + "mlp.dense_4h_to_h.bias", torch::zeros({d}, opts));
    }
    add("gpt_neox.final_layer_norm.weight", torch::ones({d}, opts));
    add("gpt_neox.final_layer_norm.bias", torch::zeros({d}, opts));
    add("embed_out.weight", normal({V, d}, small));
    for (auto& t : params) {
      t = t.to(device).set_requires_grad(true);
      exp_avg.push_back(torch::zeros_like(t).set_requires_grad(false));
      exp_avg_sq.push_back(torch::zeros_like(t).set_requires_grad(false));
    }
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
    alignment.observe(prefix + ".weight", x, y);
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
    // Scaling q ([B,H,T,hs]) is cheaper than scaling the scores ([B,H,T,T]) once T > hs; the scores are a
    // fresh temporary that no backward needs, so the mask is applied in place.
    auto scores = torch::matmul(q * (1.0 / std::sqrt(static_cast<double>(hs))), k.transpose(-1, -2));
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

  double gradNormAndClip() {
    std::vector<torch::Tensor> norms;
    norms.reserve(params.size());
    for (auto& t : params)
      if (t.grad().defined()) norms.push_back(t.grad().norm(2).to(torch::kFloat64));
    double total = norms.empty() ? 0.0 : torch::stack(norms).norm(2).item<double>();
    if (opt.grad_clip > 0) {
      double coef = opt.grad_clip / (total + 1e-6);
      if (coef < 1.0)
        for (auto& t : params)
          if (t.grad().defined()) t.grad().mul_(coef);
    }
    return total;
  }

  double lrAt(int64_t s) const {
    if (opt.warmup > 0 && s < opt.warmup) return opt.max_lr * static_cast<double>(s + 1) / opt.warmup;
    const double span = std::max<int64_t>(1, opt.total - opt.warmup);
    const double progress = std::min(1.0, static_cast<double>(s - opt.warmup) / span);
    return opt.min_lr + 0.5 * (opt.max_lr - opt.min_lr) * (1.0 + std::cos(M_PI * progress));
  }

  // torch.optim.AdamW's single-tensor update, decay on matrices (dim >= 2) only.
  double adamwStep() {
    const double lr = lrAt(step);
    ++step;
    const double bc1 = 1.0 - std::pow(opt.beta1, static_cast<double>(step));
    const double bc2 = 1.0 - std::pow(opt.beta2, static_cast<double>(step));
    torch::NoGradGuard no_grad;
    for (size_t i = 0; i < params.size(); ++i) {
      auto& param = params[i];
      if (!param.grad().defined()) continue;
      auto grad = param.grad();
      if (param.dim() >= 2 && opt.weight_decay != 0.0) param.mul_(1.0 - lr * opt.weight_decay);
      exp_avg[i].lerp_(grad, 1.0 - opt.beta1);
      exp_avg_sq[i].mul_(opt.beta2).addcmul_(grad, grad, 1.0 - opt.beta2);
      auto denom = (exp_avg_sq[i].sqrt() / std::sqrt(bc2)).add_(opt.eps);
      param.addcdiv_(exp_avg[i], denom, -lr / bc1);
    }
    return lr;
  }

  void zeroGrad() {
    for (auto& t : params)
      if (t.grad().defined()) t.mutable_grad() = torch::Tensor();
  }

  const torch::Tensor& named(const std::string& name) const {
    auto it = index.find(name);
    if (it == index.end()) throw std::invalid_argument("no parameter named '" + name + "'");
    return params[it->second];
  }
};

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

void Model::setOptimizer(double max_lr, double min_lr, int64_t warmup_steps, int64_t total_steps, double weight_decay,
                         double beta1, double beta2, double eps, double grad_clip) {
  require(max_lr >= 0 && min_lr >= 0, "learning rates must be >= 0");
  require(warmup_steps >= 0, "warmup_steps must be >= 0, got " + std::to_string(warmup_steps));
  require(total_steps >= 1, "total_steps must be >= 1, got " + std::to_string(total_steps));
  require(beta1 >= 0 && beta1 < 1 && beta2 >= 0 && beta2 < 1, "betas must lie in [0, 1)");
  require(eps > 0, "eps must be > 0");
  require(weight_decay >= 0, "weight_decay must be >= 0");
  impl_->opt = {max_lr, min_lr, warmup_steps, total_steps, weight_decay, beta1, beta2, eps, grad_clip};
}

int64_t Model::stepCount() const { return impl_->step; }
double Model::learningRate(int64_t step) const { return impl_->lrAt(step); }

void Model::setAlignmentParameters(const std::string& names) {
  std::vector<std::string> list;
  for (const auto& item : splitNames(names)) {
    const auto& t = impl_->named(item);
    bool linear_weight = t.dim() == 2 && item.rfind("gpt_neox.layers.", 0) == 0 &&
                         item.size() > 7 && item.compare(item.size() - 7, 7, ".weight") == 0;
    require(linear_weight, "alignment parameter '" + item + "' is not the weight of a Linear layer inside a block");
    list.push_back(item);
  }
  impl_->alignment.configure(list);
}

void Model::setAlignmentMethod(const std::string& method) {
  require(method == "capture" || method == "backward",
          "alignment method must be 'capture' or 'backward', got '" + method + "'");
  impl_->alignment_by_backward = method == "backward";
}

void Model::setLossChunk(int64_t tokens) {
  require(tokens >= 0, "loss chunk must be >= 0 tokens (0: the full logits), got " + std::to_string(tokens));
  impl_->loss_chunk = tokens;
}

int64_t Model::lossChunk() const { return impl_->loss_chunk; }

void Model::setFusedAttention(bool fused) { impl_->fused_attention = fused; }

bool Model::fusedAttentionActive() const {
#if TORCH_VERSION_MAJOR >= 2
  return impl_->fused_attention && impl_->device.is_cuda();
#else
  return false;
#endif
}

std::string Model::alignmentParameters() const {
  std::string out;
  for (const auto& n : impl_->alignment.parameters()) out += (out.empty() ? "" : ",") + n;
  return out;
}

void Model::trainStep(const int32_t* tokens, int64_t batch, int64_t window, const int32_t* domains, int num_domains,
                      int micro_batches, double* domain_loss_sum, double* domain_tokens, double* stats,
                      double* alignment) {
  auto& m = *impl_;
  require(micro_batches >= 1 && batch % micro_batches == 0,
          "micro_batches (" + std::to_string(micro_batches) + ") must divide the batch (" + std::to_string(batch) + ")");
  require(domain_loss_sum && domain_tokens && stats, "output buffers must not be null");
  auto windows = m.tokenTensor(tokens, batch, window, 2);
  auto dom = m.domainTensor(domains, batch, num_domains);
  const int64_t T = window - 1;
  const double total_tokens = static_cast<double>(batch * T);
  const int64_t micro = batch / micro_batches;
  const bool want_alignment = alignment != nullptr && m.alignment.enabled();
  const bool capture = want_alignment && !m.alignment_by_backward;

  m.zeroGrad();
  m.backward_grads.clear();
  if (capture) m.alignment.beginStep(num_domains, m.device);
  auto loss_per_domain = torch::zeros({num_domains}, torch::TensorOptions().dtype(torch::kFloat64).device(m.device));
  for (int mb = 0; mb < micro_batches; ++mb) {
    auto w = windows.narrow(0, mb * micro, micro);
    auto d = dom.narrow(0, mb * micro, micro);
    if (capture) m.alignment.beginMicroBatch(d);
    auto losses = m.tokenLosses(w);
    auto window_sums = losses.sum(1);
    loss_per_domain.index_add_(0, d, window_sums.detach().to(torch::kFloat64));
    if (want_alignment && !capture) m.accumulateByBackward(window_sums, d);
    (window_sums.sum() / total_tokens).backward();
    if (capture) m.alignment.endMicroBatch();
  }
  auto counts = torch::bincount(dom, {}, num_domains).to(torch::kFloat64) * static_cast<double>(T);
  auto loss_host = loss_per_domain.to(torch::kCPU);
  auto count_host = counts.to(torch::kCPU);
  double total = 0;
  for (int k = 0; k < num_domains; ++k) {
    domain_loss_sum[k] = loss_host[k].item<double>();
    domain_tokens[k] = count_host[k].item<double>();
    total += domain_loss_sum[k];
  }
  if (capture) m.alignment.finish(count_host, alignment);
  if (want_alignment && !capture) {
    std::fill(alignment, alignment + static_cast<size_t>(num_domains) * num_domains, 0.0);
    std::vector<std::pair<int64_t, torch::Tensor>> rows;
    for (auto& [d, grads] : m.backward_grads) {
      std::vector<torch::Tensor> flat;
      for (auto& g : grads) flat.push_back(g.reshape({-1}).to(torch::kFloat64));
      rows.emplace_back(d, torch::cat(flat) / count_host[d].item<double>());
    }
    for (size_t a = 0; a < rows.size(); ++a)
      for (size_t b = 0; b < rows.size(); ++b)
        alignment[rows[a].first * num_domains + rows[b].first] = torch::dot(rows[a].second, rows[b].second).item<double>();
    m.backward_grads.clear();
  }
  const double grad_norm = m.gradNormAndClip();
  const double lr = m.adamwStep();
  stats[0] = total / total_tokens;
  stats[1] = grad_norm;
  stats[2] = lr;
  stats[3] = static_cast<double>(m.step - 1);
}

void Model::evaluate(const int32_t* tokens, int64_t batch, int64_t window, const int32_t* domains, int num_domains,
                     double* domain_loss_sum, double* domain_tokens, double* stats) {
  auto& m = *impl_;
  require(domain_loss_sum && domain_tokens && stats, "output buffers must not be null");
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
  stats[0] = total / static_cast<double>(batch * (window - 1));
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
  impl_->zeroGrad();
  auto loss = impl_->tokenLosses(windows).mean();
  loss.backward();
  return loss.item<double>();
}

void Model::parameterNorms(const std::string& names, double* out, int count) const {
  auto list = splitNames(names, out, count, "parameterNorms");
  for (int i = 0; i < count; ++i) out[i] = impl_->named(list[i]).detach().norm(2).to(torch::kFloat64).item<double>();
}

void Model::setReferenceParameters(const std::string& names) {
  std::map<std::string, torch::Tensor> ref;
  for (const auto& n : splitNames(names)) ref[n] = impl_->named(n).detach().clone();
  impl_->reference = std::move(ref);
}

void Model::referenceDistances(const std::string& names, double* out, int count) const {
  auto list = splitNames(names, out, count, "referenceDistances");
  for (int i = 0; i < count; ++i) {
    auto it = impl_->reference.find(list[i]);
    require(it != impl_->reference.end(), "parameter '" + list[i] + "' has no reference copy (setReferenceParameters)");
    out[i] = (impl_->named(list[i]).detach() - it->second).norm(2).to(torch::kFloat64).item<double>();
  }
}

void Model::save(const std::string& path) const {
  const auto& m = *impl_;
  torch::serialize::OutputArchive archive;
  archive.write("magic", c10::IValue(std::string(kCheckpointMagic)));
  archive.write("version", c10::IValue(kCheckpointVersion));
  archive.write("config", c10::IValue(m.config));
  archive.write("step", c10::IValue(m.step));
  archive.write("optimizer", torch::tensor({m.opt.max_lr, m.opt.min_lr, static_cast<double>(m.opt.warmup),
                                            static_cast<double>(m.opt.total), m.opt.weight_decay, m.opt.beta1,
                                            m.opt.beta2, m.opt.eps, m.opt.grad_clip},
                                           torch::kFloat64));
  for (size_t i = 0; i < m.params.size(); ++i) {
    archive.write("param/" + m.names[i], m.params[i].detach().to(torch::kCPU), /*is_buffer=*/true);
    archive.write("exp_avg/" + m.names[i], m.exp_avg[i].to(torch::kCPU), true);
    archive.write("exp_avg_sq/" + m.names[i], m.exp_avg_sq[i].to(torch::kCPU), true);
  }
  std::string refs;
  for (const auto& [name, t] : m.reference) {
    refs += (refs.empty() ? "" : ",") + name;
    archive.write("reference/" + name, t.to(torch::kCPU), true);
  }
  archive.write("reference_names", c10::IValue(refs));
  const std::string tmp = path + ".tmp";
  archive.save_to(tmp);
  fsyncPath(tmp);
  if (std::rename(tmp.c_str(), path.c_str()) != 0)
    throw std::runtime_error("cannot rename " + tmp + " to " + path);
}

void Model::load(const std::string& path) {
  auto& m = *impl_;
  if (::access(path.c_str(), R_OK) != 0) throw std::invalid_argument("checkpoint " + path + " does not exist or is not readable");
  torch::serialize::InputArchive archive;
  try {
    archive.load_from(path, torch::kCPU);
  } catch (const c10::Error& e) {
    throw std::runtime_error("checkpoint " + path + " is not a readable acodm model checkpoint: " + e.what_without_backtrace());
  }
  c10::IValue magic, version, config, step;
  if (!archive.try_read("magic", magic) || !magic.isString() || magic.toStringRef() != kCheckpointMagic)
    throw std::runtime_error("checkpoint " + path + " is not an acodm model checkpoint (no magic)");
  archive.read("version", version);
  if (version.toInt() != kCheckpointVersion)
    throw std::runtime_error("checkpoint " + path + " has version " + std::to_string(version.toInt()) + ", this build reads " +
                             std::to_string(kCheckpointVersion));
  archive.read("config", config);
  if (config.toStringRef() != m.config) {
    std::string diff;
    for (const auto& k : differingKeys(m.config, config.toStringRef())) diff += (diff.empty() ? "" : "; ") + k;
    throw std::invalid_argument("checkpoint " + path + " was written by a different model configuration: " + diff +
                                " (this model vs checkpoint)");
  }
  archive.read("step", step);
  torch::Tensor opt;
  archive.read("optimizer", opt);
  auto o = opt.accessor<double, 1>();
  m.opt = {o[0], o[1], static_cast<int64_t>(o[2]), static_cast<int64_t>(o[3]), o[4], o[5], o[6], o[7], o[8]};
  torch::NoGradGuard no_grad;
  for (size_t i = 0; i < m.params.size(); ++i) {
    torch::Tensor p, a, s;
    archive.read("param/" + m.names[i], p, true);
    archive.read("exp_avg/" + m.names[i], a, true);
    archive.read("exp_avg_sq/" + m.names[i], s, true);
    m.params[i].copy_(p);
    m.exp_avg[i].copy_(a);
    m.exp_avg_sq[i].copy_(s);
  }
  m.step = step.toInt();
  m.reference.clear();
  c10::IValue refs;
  if (archive.try_read("reference_names", refs)) {
    for (const auto& name : splitNames(refs.toStringRef())) {
      torch::Tensor t;
      archive.read("reference/" + name, t, true);
      m.reference[name] = t.to(m.device);
    }
  }
  m.zeroGrad();
}

}  // namespace acodm
