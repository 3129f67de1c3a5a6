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

// Resolves "NAME" or "NAME:key=value,...". Throws std::invalid_argument naming the bad name or key.
ModelShape parseModelShape(const std::string& spec);
// Canonical "name=...,layers=...,..." string; parseModelShape(canonical(s)) == s.
std::string canonical(const ModelShape& s);
// Keys whose values differ between two canonical strings, "key (a vs b)" each.
std::vector<std::string> differingKeys(const std::string& a, const std::string& b);
std::vector<std::string> namedShapes();

}  // namespace acodm
