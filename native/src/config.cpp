#include "config.h"

#include <cmath>
#include <stdexcept>

#include "key_values.h"

namespace acodm {
namespace {

// Pythia's shapes (GPT-NeoX-20B tokenizer, vocabulary padded to 50,304, context 2,048) and small
// byte-level shapes (256 bytes + end-of-document = 257, padded to 384) for CPU tests and demos.
const std::vector<ModelShape>& shapes() {
  static const std::vector<ModelShape> all = {
      {"70m", 6, 512, 8, 50304, 2048},
      {"160m", 12, 768, 12, 50304, 2048},
      {"410m", 24, 1024, 16, 50304, 2048},
      {"1b", 16, 2048, 8, 50304, 2048},
      {"tiny", 2, 64, 4, 384, 64},
      {"small", 4, 128, 4, 384, 256},
      // Sized so the demo study (6 runs x 3 seeds, docs/study.md) fits 20 minutes on 2 cores.
      {"demo-proxy", 3, 96, 4, 384, 256},
      {"demo-target", 4, 128, 4, 384, 256},
      {"bench-256", 4, 256, 8, 50304, 256},
  };
  return all;
}

int padVocab(long v) { return static_cast<int>((v + 127) / 128 * 128); }

// Upper bounds of the integer keys: far above any model trained today (126 layers, d_model 25,600, 256 K vocabulary,
// 1 M context), low enough that a typo is an error, not a model of 2^32 layers (a value cast to int would wrap:
// layers=4294967298 would give 2 layers) or a layout of millions of parameter names built before any check.
constexpr long kMaxLayers = 1024;
constexpr long kMaxDModel = 65536;
constexpr long kMaxHeads = 1024;
constexpr long kMaxVocab = 1L << 24;
constexpr long kMaxSeq = 1L << 20;

// An integer in [1, max]; the error names the spec, the key, the value and the bound.
int parseBounded(const std::string& key, const std::string& value, const std::string& spec, long max) {
  long v = 0;
  bool tooLarge = false;
  try {
    size_t used = 0;
    v = std::stol(value, &used);
    if (used != value.size()) throw std::invalid_argument("trailing characters");
  } catch (const std::out_of_range&) {
    tooLarge = true;
  } catch (const std::exception&) {
    throw std::invalid_argument("model config '" + spec + "': key '" + key + "' needs an integer, got '" + value + "'");
  }
  if (tooLarge || v > max)
    throw std::invalid_argument("model config '" + spec + "': key '" + key + "' is " + value + ", above its limit of " +
                                std::to_string(max));
  if (v < 1)
    throw std::invalid_argument("model config '" + spec + "': key '" + key + "' is " + value + ", it must be at least 1");
  return static_cast<int>(v);
}

double parseDouble(const std::string& key, const std::string& value, const std::string& spec) {
  try {
    size_t used = 0;
    double v = std::stod(value, &used);
    if (used != value.size()) throw std::invalid_argument("trailing characters");
    return v;
  } catch (const std::exception&) {
    throw std::invalid_argument("model config '" + spec + "': key '" + key + "' needs a number, got '" + value + "'");
  }
}

}  // namespace

int ModelShape::rotaryDims() const {
  int rd = static_cast<int>(headSize() * rotary_pct);
  return rd - rd % 2;
}

std::vector<std::string> namedShapes() {
  std::vector<std::string> names;
  for (const auto& s : shapes()) names.push_back(s.name);
  return names;
}

int64_t ParameterSpec::numel() const {
  int64_t n = 1;
  for (auto x : sizes) n *= x;
  return n;
}

std::vector<ParameterSpec> parameterLayout(const ModelShape& shape) {
  using Init = ParameterSpec::Init;
  const int64_t d = shape.d_model, V = shape.vocab;
  std::vector<ParameterSpec> out;
  out.push_back({"gpt_neox.embed_in.weight", {V, d}, Init::kSmall});
  for (int i = 0; i < shape.layers; ++i) {
    const std::string pre = "gpt_neox.layers." + std::to_string(i) + ".";
    out.push_back({pre + "input_layernorm.weight", {d}, Init::kOnes});
    out.push_back({pre + "input_layernorm.bias", {d}, Init::kZeros});
    out.push_back({pre + "post_attention_layernorm.weight", {d}, Init::kOnes});
    out.push_back({pre + "post_attention_layernorm.bias", {d}, Init::kZeros});
    out.push_back({pre + "attention.query_key_value.weight", {3 * d, d}, Init::kSmall});
    out.push_back({pre + "attention.query_key_value.bias", {3 * d}, Init::kZeros});
    out.push_back({pre + "attention.dense.weight", {d, d}, Init::kWang});
    out.push_back({pre + "attention.dense.bias", {d}, Init::kZeros});
    out.push_back({pre + "mlp.dense_h_to_4h.weight", {4 * d, d}, Init::kSmall});
    out.push_back({pre + "mlp.dense_h_to_4h.bias", {4 * d}, Init::kZeros});
    out.push_back({pre + "mlp.dense_4h_to_h.weight", {d, 4 * d}, Init::kWang});
    out.push_back({pre + "mlp.dense_4h_to_h.bias", {d}, Init::kZeros});
  }
  out.push_back({"gpt_neox.final_layer_norm.weight", {d}, Init::kOnes});
  out.push_back({"gpt_neox.final_layer_norm.bias", {d}, Init::kZeros});
  out.push_back({"embed_out.weight", {V, d}, Init::kSmall});
  return out;
}

int64_t parameterCount(const ModelShape& shape) {
  int64_t n = 0;
  for (const auto& p : parameterLayout(shape)) n += p.numel();
  return n;
}

ModelShape parseModelShape(const std::string& spec) {
  std::string name = spec, overrides;
  auto colon = spec.find(':');
  if (colon != std::string::npos) {
    name = spec.substr(0, colon);
    overrides = spec.substr(colon + 1);
  }
  ModelShape shape;
  bool found = false;
  if (name.rfind("name=", 0) == 0) {  // a canonical string: the name is one key among the others
    name.clear();
    for (const auto& [key, value] : decodeKeyValues(spec, ','))
      if (key == "name") name = value;
    overrides = spec;
  }
  for (const auto& s : shapes()) {
    if (s.name == name) { shape = s; found = true; }
  }
  if (!found) {
    std::string known;
    for (const auto& n : namedShapes()) known += (known.empty() ? "" : ", ") + n;
    throw std::invalid_argument("unknown model config '" + name + "' (known: " + known + ")");
  }
  for (const auto& [key, value] : decodeKeyValues(overrides, ',')) {
    if (key == "name") continue;
    else if (key == "layers") shape.layers = parseBounded(key, value, spec, kMaxLayers);
    else if (key == "d_model") shape.d_model = parseBounded(key, value, spec, kMaxDModel);
    else if (key == "heads") shape.heads = parseBounded(key, value, spec, kMaxHeads);
    else if (key == "vocab") shape.vocab = padVocab(parseBounded(key, value, spec, kMaxVocab));
    else if (key == "seq") shape.seq = parseBounded(key, value, spec, kMaxSeq);
    else if (key == "rotary_pct") shape.rotary_pct = parseDouble(key, value, spec);
    else if (key == "rotary_base") {
      shape.rotary_base = parseDouble(key, value, spec);
      // The rotary frequencies are rotary_base^(-2i/d): a base of 0 or below gives infinities or NaN at step 0.
      if (!(std::isfinite(shape.rotary_base) && shape.rotary_base > 0.0))
        throw std::invalid_argument("model config '" + spec + "': key 'rotary_base' must be a finite number above 0, got '" +
                                    value + "'");
    }
    else if (key == "dtype") {
      if (value != "float32" && value != "float64")
        throw std::invalid_argument("model config '" + spec + "': dtype must be float32 or float64, got '" + value + "'");
      shape.dtype = value;
    } else {
      throw std::invalid_argument("model config '" + spec + "': unknown key '" + key +
                                  "' (keys: layers, d_model, heads, vocab, seq, rotary_pct, rotary_base, dtype)");
    }
  }
  if (shape.layers < 1 || shape.d_model < 1 || shape.heads < 1 || shape.vocab < 1 || shape.seq < 1)
    throw std::invalid_argument("model config '" + spec + "': layers, d_model, heads, vocab and seq must be positive");
  if (shape.d_model % shape.heads != 0)
    throw std::invalid_argument("model config '" + spec + "': d_model " + std::to_string(shape.d_model) +
                                " is not divisible by heads " + std::to_string(shape.heads));
  if (!(shape.rotary_pct >= 0.0 && shape.rotary_pct <= 1.0))
    throw std::invalid_argument("model config '" + spec + "': rotary_pct must lie in [0, 1]");
  return shape;
}

std::string canonical(const ModelShape& s) {
  return encodeKeyValues({{"name", s.name},
                          {"layers", numberText(s.layers)},
                          {"d_model", numberText(s.d_model)},
                          {"heads", numberText(s.heads)},
                          {"vocab", numberText(s.vocab)},
                          {"seq", numberText(s.seq)},
                          {"rotary_pct", numberText(s.rotary_pct)},
                          {"rotary_base", numberText(s.rotary_base)},
                          {"dtype", s.dtype}},
                         ',');
}

}  // namespace acodm
