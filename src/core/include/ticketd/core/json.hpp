// Parsing JSON from untrusted input (HTTP bodies, stored records) with a
// nesting limit.
//
// nlohmann::json parses iteratively but dumps, compares and converts
// recursively, so a body nested 100,000 levels deep overflows the stack of
// whatever touches it later. Every untrusted document goes through
// parse_json(), which refuses such input while parsing, before a tree exists.
// Thread-safe (no shared state).
#pragma once

#include <nlohmann/json.hpp>
#include <string_view>

#include "ticketd/core/status.hpp"

namespace ticketd {

// Deep enough for every real alert payload (Alertmanager: 4; PagerDuty
// custom_details in practice < 10), shallow enough for any thread's stack.
inline constexpr int kMaxJsonDepth = 64;

// The parsed document, or invalid_argument naming the problem: not JSON
// (with the byte offset) or nested deeper than `max_depth` arrays/objects.
// Use is_too_deep() to tell the two apart.
Result<nlohmann::json> parse_json(std::string_view text, int max_depth = kMaxJsonDepth);

// True when `s` came from parse_json() refusing a too-deep document.
bool is_too_deep(const Status& s);

}  // namespace ticketd
