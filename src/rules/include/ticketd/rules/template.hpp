// Template: the `{{ name | filter }}` strings of rule files.
//
// Parsed once at rule load, rendered per event. Variables are dotted paths
// ("host", "labels.ifDescr", a regex capture name); filters are `lower`,
// `upper`, `trim` and `default("x")` / `default(other.variable)`. A missing
// variable renders empty.
// Immutable after parse, so safe to share between threads.
#pragma once

#include <cstddef>
#include <functional>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ticketd/core/status.hpp"

namespace ticketd::rules {

// Size caps (bytes) of rendered ticket fields: one huge event must not make
// a huge ticket. Output over a cap is cut at a UTF-8 boundary and ends in
// kTruncatedMarker; check-rules warns about templates that can reach a cap.
struct RenderCaps {
  static constexpr size_t kTitle = 512;
  static constexpr size_t kDescription = 32 * 1024;
  static constexpr size_t kLabel = 1024;
  static constexpr size_t kField = 256;        // category, team, assignee
  static constexpr size_t kFingerprint = 512;  // longer ones keep a hash of the whole
};

// Resolves a variable name to its value, or nullopt when it is not set.
using VarLookup = std::function<std::optional<std::string>(std::string_view)>;

class Template {
 public:
  Template() = default;
  // Errors carry the 0-based byte offset of the fault in `error_offset`.
  static Result<Template> parse(std::string_view text, size_t* error_offset = nullptr);

  // Renders with every variable substituted, stopping once the output
  // exceeds `max_bytes`: then it is cut (see cap_text) and ends in
  // kTruncatedMarker.
  std::string render(const VarLookup& vars,
                     size_t max_bytes = std::numeric_limits<size_t>::max()) const;
  // Every variable name the template reads, in order of appearance;
  // without `with_fallbacks`, not those only read by default(variable).
  std::vector<std::string> variables(bool with_fallbacks = true) const;
  const std::string& source() const { return source_; }
  bool empty() const { return parts_.empty(); }

 private:
  struct Filter {
    std::string name;  // lower | upper | trim | default
    std::string arg;   // default("text") or default(variable)
    bool arg_is_variable = false;
  };
  struct Part {
    bool is_var = false;
    std::string text;  // literal text, or the variable path
    std::vector<Filter> filters;
  };
  std::string source_;
  std::vector<Part> parts_;
};

}  // namespace ticketd::rules
