// Time points, durations and their text forms.
//
// All of ticketd uses wall-clock time points with millisecond precision.
// Functions here are pure and thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "ticketd/core/status.hpp"

namespace ticketd {

using Duration = std::chrono::milliseconds;
using TimePoint = std::chrono::time_point<std::chrono::system_clock, Duration>;

// Parses a duration: one or more <number><unit> parts, units ms, s, m, h, d, w
// ("500ms", "30s", "5m", "2h", "7d", "1h30m"). Rejects negatives and empty input.
Result<Duration> parse_duration(std::string_view text);
// Shortest exact form: 90000ms -> "1m30s", 0 -> "0s".
std::string format_duration(Duration d);

// Parses RFC 3339 ("2026-11-28T14:03:00Z", "...T14:03:00.123+01:00").
// Lower-case 't'/'z' and a space instead of 'T' are accepted.
Result<TimePoint> parse_rfc3339(std::string_view text);
// "2026-11-28T14:03:00.123Z" (always UTC, milliseconds).
std::string format_rfc3339(TimePoint t);

inline int64_t to_unix_ms(TimePoint t) { return t.time_since_epoch().count(); }
inline TimePoint from_unix_ms(int64_t ms) { return TimePoint(Duration(ms)); }

}  // namespace ticketd
