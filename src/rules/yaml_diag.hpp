// Diagnostics at a YAML node's position, shared by the loaders of rule files
// and rule test files (internal to the rules layer).
#pragma once

#include <yaml-cpp/yaml.h>

#include <string>
#include <vector>

#include "ticketd/rules/rule_set.hpp"

namespace ticketd::rules {

// An error at `n`'s 1-based line and column.
Diagnostic error_at(const std::string& file, const YAML::Node& n, std::string message);

// `unknown key "K" in WHERE (did you mean "G"?)` at the key's position; the
// suggestion only when one of `known` is close to K.
Diagnostic unknown_key_error(const std::string& file, const YAML::Node& key,
                             const std::string& where, const std::vector<std::string>& known);

// One unknown_key_error per key of mapping `map` that is not in `known`.
void check_keys(const std::string& file, const YAML::Node& map, const std::string& where,
                const std::vector<std::string>& known, std::vector<Diagnostic>& out);

}  // namespace ticketd::rules
