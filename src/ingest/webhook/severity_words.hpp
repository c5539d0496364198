// The severity words alerting tools use, read as ours: the canonical names
// and their aliases (parse_severity), plus "page", "high", "disaster"
// (critical), "average", "medium", "major" (error), "low", "minor"
// (warning). Any case. Internal to the ingest layer; pure, thread-safe.
#pragma once

#include <algorithm>
#include <cctype>
#include <optional>
#include <string>

#include "ticketd/core/event.hpp"

namespace ticketd::ingest {

inline std::optional<Severity> severity_word(std::string s) {
  if (s.empty()) return std::nullopt;
  if (auto sev = parse_severity(s)) return sev;
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (s == "page" || s == "high" || s == "disaster") return Severity::kCritical;
  if (s == "average" || s == "medium" || s == "major") return Severity::kError;
  if (s == "low" || s == "minor") return Severity::kWarning;
  return std::nullopt;
}

}  // namespace ticketd::ingest
