// The one check of the library's arguments: a false condition is the caller's error, reported with its message.
#pragma once

#include <stdexcept>
#include <string>

namespace acodm {

inline void require(bool ok, const std::string& message) {
  if (!ok) throw std::invalid_argument(message);
}

}  // namespace acodm
