// The one text form of named values in this library: "key=value" items joined by a separator. What crosses to Java
// as text (the numeric environment, the process group's statistics: one item a line, sorted by key) and the
// configuration strings that checkpoints record and compare (model and agent shapes: items joined by ',') are
// written and read here, nowhere else.
#pragma once

#include <sstream>
#include <string>
#include <utility>
#include <vector>

namespace acodm {

using KeyValues = std::vector<std::pair<std::string, std::string>>;

// The items in their order, each "key=value" followed by `separator` when `terminated` (the line form), else
// joined by it.
std::string encodeKeyValues(const KeyValues& items, char separator, bool terminated = false);
// The items of `text` in their order; empty items are skipped, an item without '=' has the value "".
KeyValues decodeKeyValues(const std::string& text, char separator);

// "key (a vs b)" for every key whose value differs between two encoded texts (a key missing on one side reads
// "<missing>"), each value followed by its side's label (" here", " in the file"; may be empty).
std::vector<std::string> differingKeys(const std::string& a, const std::string& b, char separator,
                                       const std::string& a_label = "", const std::string& b_label = "");

// A number as an encoded value: every digit a double needs to read back the same (17 significant), integers as
// they are.
template <typename T>
std::string numberText(T value) {
  std::ostringstream o;
  o.precision(17);
  o << value;
  return o.str();
}

}  // namespace acodm
