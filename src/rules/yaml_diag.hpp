// Diagnostics at a YAML node's position, shared by the loaders of rule files
// and rule test files (internal to the rules layer).
#pragma once

#include <yaml-cpp/yaml.h>

#include <optional>
#include <string>
#include <vector>

#include "ticketd/rules/rule_set.hpp"

namespace ticketd::rules {

// An error at `n`'s 1-based line and column; `code` names its kind (see
// Diagnostic::code).
Diagnostic error_at(const std::string& file, const YAML::Node& n, std::string message,
                    std::string code = "invalid");

// `unknown key "K" in WHERE (did you mean "G"?)` at the key's position; the
// suggestion only when one of `known` is close to K.
Diagnostic unknown_key_error(const std::string& file, const YAML::Node& key,
                             const std::string& where, const std::vector<std::string>& known);

// One unknown_key_error per key of mapping `map` that is not in `known`.
void check_keys(const std::string& file, const YAML::Node& map, const std::string& where,
                const std::vector<std::string>& known, std::vector<Diagnostic>& out);

// Parses `text`, which must hold one YAML document, and prepares it for the
// loaders: reports what yaml-cpp accepts silently (a key given twice in one
// mapping, of which lookups see only one; a YAML tag such as `host: !test-box`,
// which leaves the value empty; a second document after "---", which would be
// ignored) and resolves YAML merge keys. nullopt, with the error in `out`,
// when the text is not YAML; otherwise the root (a null node for an empty
// file), with any lint errors in `out`.
std::optional<YAML::Node> load_yaml_document(const std::string& text, const std::string& file,
                                             std::vector<Diagnostic>& out);

// Resolves YAML merge keys in place (yaml-cpp 0.7, Debian 12's, leaves `<<`
// as an ordinary key): `<<: *base` or `<<: [*a, *b]` adds each key of the
// merged mapping(s) that the mapping does not define itself (earlier sources
// first) and removes the `<<` key. Merged nodes keep their marks, so errors
// inside them point at the lines where the anchor's content is written.
void resolve_merge_keys(const std::string& file, YAML::Node root, std::vector<Diagnostic>& out);

}  // namespace ticketd::rules
