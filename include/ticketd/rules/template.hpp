// Template: the `{{ name | filter }}` strings of rule files.
//
// Parsed once at rule load, rendered per event. Variables are dotted paths
// ("host", "labels.ifDescr", a regex capture name); filters are `lower`,
// `upper`, `trim` and `default("x")` / `default(other.variable)`. A missing
// variable renders empty.
// Immutable after parse, so safe to share between threads.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ticketd/core/status.hpp"

namespace ticketd::rules {

// Resolves a variable name to its value, or nullopt when it is not set.
using VarLookup = std::function<std::optional<std::string>(std::string_view)>;

class Template {
 public:
  Template() = default;
  // Errors carry the 0-based byte offset of the fault in `error_offset`.
  static Result<Template> parse(std::string_view text, size_t* error_offset = nullptr);

  std::string render(const VarLookup& vars) const;
  // Every variable name the template reads, in order of appearance.
  std::vector<std::string> variables() const;
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
