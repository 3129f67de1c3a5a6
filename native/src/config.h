// Model configuration: the named Pythia shapes, tiny shapes for CPU work, and the "name:key=value" parser.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace acodm {

struct ModelShape {
  std::string name;
  int layers = 0;
  int d_model = 0;
  int heads = 0;
  int vocab = 0;  // padded to a multiple of 128
  int seq = 0;
  double rotary_pct = 0.25;
  double rotary_base = 10000.0;
  std::string dtype = "float32";  // float64 exists for finite-difference checks

  int headSize() const { return d_model / heads; }
  int rotaryDims() const;
};

// One parameter tensor of the model: its Hugging Face GPTNeoXForCausalLM name, shape and GPT-NeoX init.
struct ParameterSpec {
  enum class Init { kOnes, kZeros, kSmall, kWang };  // small_init std sqrt(2/(5d)); wang_init std 2/(L sqrt(d))
  std::string name;
  std::vector<int64_t> sizes;
  Init init;

  int64_t numel() const;
};

// Every parameter of a model of this shape, in GPTNeoXForCausalLM's order: what the model allocates and
// initialises, and what its parameter count is computed from without allocating anything.
std::vector<ParameterSpec> parameterLayout(const ModelShape& shape);
int64_t parameterCount(const ModelShape& shape);

// Resolves "NAME" or "NAME:key=value,...". Throws std::invalid_argument naming the bad name or key.
ModelShape parseModelShape(const std::string& spec);
// Canonical "name=...,layers=...,..." string; parseModelShape(canonical(s)) == s.
std::string canonical(const ModelShape& s);
std::vector<std::string> namedShapes();

}  // namespace acodm
