// Random token windows for the native tests: uniform ids in [0, vocab) from a fixed seed.
#pragma once

#include <cstdint>
#include <random>
#include <vector>

namespace acodm::test {

inline std::vector<int32_t> randomTokens(int64_t n, int vocab, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int32_t> dist(0, vocab - 1);
  std::vector<int32_t> t(static_cast<size_t>(n));
  for (auto& x : t) x = dist(rng);
  return t;
}

}  // namespace acodm::test
