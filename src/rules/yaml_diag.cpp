#include "yaml_diag.hpp"

#include <algorithm>

#include "ticketd/core/text.hpp"

namespace ticketd::rules {

Diagnostic error_at(const std::string& file, const YAML::Node& n, std::string message) {
  return {Diagnostic::Level::kError, file, n.Mark().line + 1, n.Mark().column + 1,
          std::move(message)};
}

Diagnostic unknown_key_error(const std::string& file, const YAML::Node& key,
                             const std::string& where, const std::vector<std::string>& known) {
  const std::string k = key.as<std::string>();
  std::string msg = "unknown key \"" + k + "\" in " + where;
  std::string guess = ticketd::did_you_mean(k, known);
  if (!guess.empty()) msg += " (did you mean \"" + guess + "\"?)";
  return error_at(file, key, std::move(msg));
}

void check_keys(const std::string& file, const YAML::Node& map, const std::string& where,
                const std::vector<std::string>& known, std::vector<Diagnostic>& out) {
  if (!map.IsMap()) return;
  for (auto it = map.begin(); it != map.end(); ++it) {
    const std::string k = it->first.as<std::string>();
    if (std::find(known.begin(), known.end(), k) == known.end())
      out.push_back(unknown_key_error(file, it->first, where, known));
  }
}

}  // namespace ticketd::rules
