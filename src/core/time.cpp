#include "ticketd/core/time.hpp"

#include <cctype>
#include <cstdio>

namespace ticketd {
namespace {

bool read_digits(std::string_view s, size_t& pos, int count, int& out) {
  if (pos + count > s.size()) return false;
  int v = 0;
  for (int k = 0; k < count; ++k) {
    char c = s[pos + k];
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
    v = v * 10 + (c - '0');
  }
  pos += count;
  out = v;
  return true;
}

bool expect(std::string_view s, size_t& pos, char c) {
  if (pos < s.size() && s[pos] == c) {
    ++pos;
    return true;
  }
  return false;
}

}  // namespace

Result<TimePoint> parse_rfc3339(std::string_view s) {
  auto bad = [&] {
    return Status::invalid_argument("time: invalid RFC 3339 timestamp \"" + std::string(s) +
                                    "\", expected e.g. 2026-11-28T14:03:00Z");
  };
  size_t p = 0;
  int y, mo, d, h, mi, sec;
  if (!read_digits(s, p, 4, y) || !expect(s, p, '-') || !read_digits(s, p, 2, mo) ||
      !expect(s, p, '-') || !read_digits(s, p, 2, d)) {
    return bad();
  }
  if (p >= s.size() || (s[p] != 'T' && s[p] != 't' && s[p] != ' ')) return bad();
  ++p;
  if (!read_digits(s, p, 2, h) || !expect(s, p, ':') || !read_digits(s, p, 2, mi) ||
      !expect(s, p, ':') || !read_digits(s, p, 2, sec)) {
    return bad();
  }
  int64_t frac_ms = 0;
  if (expect(s, p, '.')) {
    int digits = 0;
    int64_t scale = 100;
    while (p < s.size() && std::isdigit(static_cast<unsigned char>(s[p]))) {
      if (digits < 3) {
        frac_ms += (s[p] - '0') * scale;
        scale /= 10;
      }
      ++digits;
      ++p;
    }
    if (digits == 0) return bad();
  }
  int offset_min = 0;
  if (p < s.size() && (s[p] == 'Z' || s[p] == 'z')) {
    ++p;
  } else if (p < s.size() && (s[p] == '+' || s[p] == '-')) {
    int sign = s[p] == '-' ? -1 : 1;
    ++p;
    int oh, om;
    if (!read_digits(s, p, 2, oh) || !expect(s, p, ':') || !read_digits(s, p, 2, om)) return bad();
    if (oh > 23 || om > 59) return bad();
    offset_min = sign * (oh * 60 + om);
  } else {
    return bad();
  }
  if (p != s.size()) return bad();
  using namespace std::chrono;
  year_month_day ymd{year{y}, month{static_cast<unsigned>(mo)}, day{static_cast<unsigned>(d)}};
  if (!ymd.ok() || h > 23 || mi > 59 || sec > 60) return bad();
  if (sec == 60) sec = 59;  // leap second: clamp
  TimePoint t = time_point_cast<Duration>(sys_days(ymd)) + hours(h) + minutes(mi) + seconds(sec) +
                milliseconds(frac_ms) - minutes(offset_min);
  return t;
}

std::string format_rfc3339(TimePoint t) {
  using namespace std::chrono;
  auto day_point = floor<days>(t);
  year_month_day ymd{day_point};
  auto rest = t - day_point;
  auto h = duration_cast<hours>(rest);
  rest -= h;
  auto m = duration_cast<minutes>(rest);
  rest -= m;
  auto s = duration_cast<seconds>(rest);
  rest -= s;
  char buf[40];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02d.%03dZ",
                static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                static_cast<unsigned>(ymd.day()), static_cast<int>(h.count()),
                static_cast<int>(m.count()), static_cast<int>(s.count()),
                static_cast<int>(rest.count()));
  return buf;
}

}  // namespace ticketd
