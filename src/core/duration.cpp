#include <cctype>
#include <limits>

#include "ticketd/core/time.hpp"

namespace ticketd {
namespace {

struct Unit {
  std::string_view name;
  int64_t ms;
};
// Longest names first so "ms" is not read as "m".
constexpr Unit kUnits[] = {{"ms", 1},        {"s", 1000},       {"m", 60'000},
                           {"h", 3'600'000}, {"d", 86'400'000}, {"w", 604'800'000}};

}  // namespace

Result<Duration> parse_duration(std::string_view text) {
  const std::string quoted = "\"" + std::string(text) + "\"";
  if (text.empty()) return Status::invalid_argument("duration: empty, expected e.g. 30s, 5m, 2h");
  int64_t total = 0;
  size_t i = 0;
  while (i < text.size()) {
    if (!std::isdigit(static_cast<unsigned char>(text[i]))) {
      return Status::invalid_argument("duration: invalid " + quoted +
                                      ", expected <number><unit> with unit ms, s, m, h, d or w");
    }
    int64_t n = 0;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) {
      if (n > std::numeric_limits<int64_t>::max() / 10 - 10) {
        return Status::invalid_argument("duration: " + quoted + " is too large");
      }
      n = n * 10 + (text[i] - '0');
      ++i;
    }
    const Unit* unit = nullptr;
    for (const Unit& u : kUnits) {
      if (text.substr(i, u.name.size()) == u.name) {
        unit = &u;
        break;
      }
    }
    if (unit == nullptr) {
      return Status::invalid_argument("duration: missing or unknown unit in " + quoted +
                                      ", expected ms, s, m, h, d or w");
    }
    i += unit->name.size();
    if (n > std::numeric_limits<int64_t>::max() / unit->ms ||
        total > std::numeric_limits<int64_t>::max() - n * unit->ms) {
      return Status::invalid_argument("duration: " + quoted + " is too large");
    }
    total += n * unit->ms;
  }
  return Duration(total);
}

std::string format_duration(Duration d) {
  int64_t ms = d.count();
  if (ms == 0) return "0s";
  std::string out;
  if (ms < 0) {
    out = "-";
    ms = -ms;
  }
  for (auto it = std::rbegin(kUnits); it != std::rend(kUnits); ++it) {
    if (it->name == "w") continue;  // days read better than weeks
    if (ms >= it->ms) {
      out += std::to_string(ms / it->ms) + std::string(it->name);
      ms %= it->ms;
    }
  }
  return out;
}

}  // namespace ticketd
