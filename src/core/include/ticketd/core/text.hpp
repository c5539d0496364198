// Text helpers for untrusted strings: cutting at UTF-8 character boundaries.
// Pure functions; thread-safe.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace ticketd {

// Ends a value that was cut to its size cap.
inline constexpr std::string_view kTruncatedMarker = "…[truncated]";

// The longest prefix of `s` of at most `max_bytes` that does not end inside
// a UTF-8 character.
std::string_view utf8_prefix(std::string_view s, size_t max_bytes);

// `s` when it fits in `max_bytes`; otherwise its UTF-8-safe prefix followed
// by kTruncatedMarker, `max_bytes` in all (max_bytes > marker size).
std::string cap_text(std::string s, size_t max_bytes);

// The candidate closest to `word` by edit distance when close enough to be a
// likely typo ("severty" -> "severity"); empty otherwise.
std::string did_you_mean(std::string_view word, const std::vector<std::string>& candidates);

}  // namespace ticketd
