#include "key_values.h"

#include <map>

namespace acodm {

std::string encodeKeyValues(const KeyValues& items, char separator, bool terminated) {
  std::string out;
  for (const auto& [key, value] : items) {
    if (!terminated && !out.empty()) out += separator;
    out += key + "=" + value;
    if (terminated) out += separator;
  }
  return out;
}

KeyValues decodeKeyValues(const std::string& text, char separator) {
  KeyValues out;
  std::stringstream ss(text);
  std::string item;
  while (std::getline(ss, item, separator)) {
    if (item.empty()) continue;
    const auto eq = item.find('=');
    if (eq == std::string::npos) out.emplace_back(item, "");
    else out.emplace_back(item.substr(0, eq), item.substr(eq + 1));
  }
  return out;
}

std::vector<std::string> differingKeys(const std::string& a, const std::string& b, char separator,
                                       const std::string& a_label, const std::string& b_label) {
  const auto ka = decodeKeyValues(a, separator), kb = decodeKeyValues(b, separator);
  const std::map<std::string, std::string> ma(ka.begin(), ka.end()), mb(kb.begin(), kb.end());
  std::vector<std::string> out;
  auto describe = [&](const std::string& key, const std::string& va, const std::string& vb) {
    out.push_back(key + " (" + va + a_label + " vs " + vb + b_label + ")");
  };
  for (const auto& [k, v] : ka) {
    auto it = mb.find(k);
    const std::string other = it == mb.end() ? "<missing>" : it->second;
    if (other != v) describe(k, v, other);
  }
  for (const auto& [k, v] : kb)
    if (!ma.count(k)) describe(k, "<missing>", v);
  return out;
}

}  // namespace acodm
