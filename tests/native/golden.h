// Reader for the golden files written by tests/golden/make_golden.py (layout documented there).
#pragma once

#include <cstdint>
#include <cstring>
#include <fstream>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace acodm::test {

struct GoldenEntry {
  uint32_t dtype = 0;  // 0 float32, 1 int32, 2 float64, 3 text
  std::vector<int64_t> dims;
  std::vector<char> bytes;

  int64_t count() const {
    int64_t n = 1;
    for (auto d : dims) n *= d;
    return n;
  }
  template <typename T>
  std::vector<T> as() const {
    std::vector<T> out(bytes.size() / sizeof(T));
    std::memcpy(out.data(), bytes.data(), bytes.size());
    return out;
  }
  std::string text() const { return std::string(bytes.begin(), bytes.end()); }
};

inline std::map<std::string, GoldenEntry> readGolden(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open golden file " + path);
  char magic[8];
  in.read(magic, 8);
  if (std::memcmp(magic, "ACODMGLD", 8) != 0) throw std::runtime_error(path + ": bad magic");
  uint32_t version = 0, count = 0;
  in.read(reinterpret_cast<char*>(&version), 4);
  in.read(reinterpret_cast<char*>(&count), 4);
  if (version != 1) throw std::runtime_error(path + ": unsupported version " + std::to_string(version));
  std::map<std::string, GoldenEntry> out;
  for (uint32_t i = 0; i < count; ++i) {
    uint32_t len = 0, ndim = 0;
    in.read(reinterpret_cast<char*>(&len), 4);
    std::string name(len, '\0');
    in.read(name.data(), len);
    GoldenEntry e;
    in.read(reinterpret_cast<char*>(&e.dtype), 4);
    in.read(reinterpret_cast<char*>(&ndim), 4);
    e.dims.resize(ndim);
    in.read(reinterpret_cast<char*>(e.dims.data()), 8 * ndim);
    const size_t width = e.dtype == 2 ? 8 : e.dtype == 3 ? 1 : 4;
    e.bytes.resize(static_cast<size_t>(e.count()) * width);
    in.read(e.bytes.data(), static_cast<std::streamsize>(e.bytes.size()));
    if (!in) throw std::runtime_error(path + ": truncated at entry '" + name + "'");
    out.emplace(name, std::move(e));
  }
  return out;
}

}  // namespace acodm::test
