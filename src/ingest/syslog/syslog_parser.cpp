#include "ticketd/ingest/syslog_parser.hpp"

#include <array>
#include <cctype>
#include <chrono>

namespace ticketd::ingest {
namespace {

using namespace std::chrono;

constexpr std::array<const char*, 24> kFacilities = {
    "kern",   "user",   "mail",     "daemon", "auth",   "syslog",   "lpr",     "news",
    "uucp",   "cron",   "authpriv", "ftp",    "ntp",    "security", "console", "clock",
    "local0", "local1", "local2",   "local3", "local4", "local5",   "local6",  "local7"};

constexpr std::array<const char*, 12> kMonths = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                 "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

constexpr size_t kMaxLabels = 64;        // structured-data params kept per message
constexpr size_t kMaxLabelBytes = 1024;  // per value

bool is_digit(char c) { return c >= '0' && c <= '9'; }

void skip_spaces(std::string_view& s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
}

// Next space-delimited token (consumes one following space).
std::string_view token(std::string_view& s) {
  size_t sp = s.find(' ');
  std::string_view t = s.substr(0, sp);
  s.remove_prefix(sp == std::string_view::npos ? s.size() : sp + 1);
  return t;
}

std::string nil_or(std::string_view v) { return v == "-" ? std::string() : std::string(v); }

// Valid UTF-8 is kept; anything else byte-wise as Latin-1 so the event stays
// valid JSON text.
std::string to_utf8(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    bool ok = n > 0 && i + n <= s.size();
    for (size_t k = 1; ok && k < n; ++k) ok = (static_cast<unsigned char>(s[i + k]) & 0xC0) == 0x80;
    if (ok && n == 1 && c < 0x20 && c != '\t') {
      out += ' ';  // control characters
      ++i;
      continue;
    }
    if (ok) {
      out.append(s.substr(i, n));
      i += n;
    } else {
      out += static_cast<char>(0xC0 | (c >> 6));
      out += static_cast<char>(0x80 | (c & 0x3F));
      ++i;
    }
  }
  return out;
}

// "<PRI>" with 1-3 digits, 0..191. Returns -1 when absent or invalid.
int parse_pri(std::string_view& s, std::string* error) {
  if (s.empty() || s.front() != '<') return -1;
  size_t close = s.find('>');
  if (close == std::string_view::npos || close < 2 || close > 4) {
    *error = "syslog: invalid PRI \"" + std::string(s.substr(0, std::min<size_t>(s.size(), 5))) +
             "\" at offset 0";
    return -2;
  }
  int pri = 0;
  for (size_t i = 1; i < close; ++i) {
    if (!is_digit(s[i])) {
      *error = "syslog: invalid PRI \"" + std::string(s.substr(0, close + 1)) + "\" at offset 0";
      return -2;
    }
    pri = pri * 10 + (s[i] - '0');
  }
  if (pri > 191) {
    *error = "syslog: invalid PRI \"" + std::string(s.substr(0, close + 1)) + "\" at offset 0";
    return -2;
  }
  s.remove_prefix(close + 1);
  return pri;
}

// RFC 3164 "Mmm dd hh:mm:ss" (day may be space-padded), optionally with
// ".mmm" fractions, an optional year after the day, and a time zone name.
bool parse_bsd_time(std::string_view& s, TimePoint received, TimePoint& out) {
  if (s.size() < 15) return false;
  int month = -1;
  for (size_t m = 0; m < kMonths.size(); ++m) {
    if (s.substr(0, 3) == kMonths[m]) month = static_cast<int>(m) + 1;
  }
  if (month < 0 || s[3] != ' ') return false;
  std::string_view r = s.substr(4);
  skip_spaces(r);
  int day = 0;
  while (!r.empty() && is_digit(r.front()) && day < 100) {
    day = day * 10 + (r.front() - '0');
    r.remove_prefix(1);
  }
  if (day < 1 || day > 31 || r.empty() || r.front() != ' ') return false;
  r.remove_prefix(1);
  int year = 0;
  // Some senders put the year after the day: "Nov 28 2026 14:03:00".
  if (r.size() > 5 && is_digit(r[0]) && is_digit(r[1]) && is_digit(r[2]) && is_digit(r[3]) &&
      r[4] == ' ') {
    year = (r[0] - '0') * 1000 + (r[1] - '0') * 100 + (r[2] - '0') * 10 + (r[3] - '0');
    r.remove_prefix(5);
  }
  if (r.size() < 8 || !is_digit(r[0]) || !is_digit(r[1]) || r[2] != ':' || !is_digit(r[3]) ||
      !is_digit(r[4]) || r[5] != ':' || !is_digit(r[6]) || !is_digit(r[7])) {
    return false;
  }
  const int h = (r[0] - '0') * 10 + (r[1] - '0');
  const int mi = (r[3] - '0') * 10 + (r[4] - '0');
  const int sec = (r[6] - '0') * 10 + (r[7] - '0');
  if (h > 23 || mi > 59 || sec > 60) return false;
  r.remove_prefix(8);
  int64_t ms = 0;
  if (!r.empty() && r.front() == '.') {
    r.remove_prefix(1);
    int digits = 0;
    while (!r.empty() && is_digit(r.front())) {
      if (digits < 3) ms = ms * 10 + (r.front() - '0');
      ++digits;
      r.remove_prefix(1);
    }
    for (int d = digits; d < 3; ++d) ms *= 10;
  }
  // A time zone name ("UTC", "CET") is skipped; times are taken as UTC.
  if (r.size() >= 2 && r.front() == ' ' && std::isupper(static_cast<unsigned char>(r[1]))) {
    size_t end = 1;
    while (end < r.size() && std::isupper(static_cast<unsigned char>(r[end])) && end < 6) ++end;
    if (end >= 4 && (end == r.size() || r[end] == ' ' || r[end] == ':')) r.remove_prefix(end);
  }
  auto make = [&](int y) {
    year_month_day ymd{std::chrono::year{y}, std::chrono::month{static_cast<unsigned>(month)},
                       std::chrono::day{static_cast<unsigned>(day)}};
    if (!ymd.ok()) return TimePoint{};
    return time_point_cast<Duration>(sys_days(ymd)) + hours(h) + minutes(mi) +
           seconds(std::min(sec, 59)) + milliseconds(ms);
  };
  if (year == 0) {
    // No year: the latest year that does not put the message more than a
    // day into the future (a December message received in January is from
    // last year; a sender a little ahead at New Year is from next year).
    const int now_year = static_cast<int>(year_month_day(floor<days>(received)).year());
    TimePoint best{};
    for (int y : {now_year + 1, now_year, now_year - 1}) {
      TimePoint t = make(y);
      if (t != TimePoint{} && t <= received + hours(24)) {
        best = t;
        break;
      }
    }
    if (best == TimePoint{}) return false;
    out = best;
  } else {
    out = make(year);
    if (out == TimePoint{}) return false;
  }
  s = r;
  return true;
}

// An ISO 8601 / RFC 3339 timestamp token, as in RFC 5424 and many 3164 senders.
bool parse_iso_time(std::string_view& s, TimePoint& out) {
  if (s.size() < 19 || !is_digit(s[0]) || s[4] != '-' || s[7] != '-') return false;
  size_t end = s.find(' ');
  std::string_view tok = s.substr(0, end);
  if (!tok.empty() && tok.back() == ':') tok.remove_suffix(1);
  auto t = parse_rfc3339(tok);
  if (!t) {
    // Without an offset: take it as UTC.
    std::string with_z(tok);
    with_z += 'Z';
    t = parse_rfc3339(with_z);
    if (!t) return false;
  }
  out = *t;
  s.remove_prefix(end == std::string_view::npos ? s.size() : end + 1);
  return true;
}

// RFC 5424 STRUCTURED-DATA; labels "SDID.param". False when malformed.
bool parse_structured_data(std::string_view& s, Labels& labels, std::string* error) {
  if (!s.empty() && s.front() == '-') {
    s.remove_prefix(1);
    return true;
  }
  if (s.empty() || s.front() != '[') {
    *error = "syslog: expected STRUCTURED-DATA \"[\" or \"-\"";
    return false;
  }
  while (!s.empty() && s.front() == '[') {
    s.remove_prefix(1);
    size_t id_end = s.find_first_of(" ]");
    if (id_end == std::string_view::npos || id_end == 0) {
      *error = "syslog: unterminated SD-ELEMENT";
      return false;
    }
    const std::string id(s.substr(0, id_end));
    s.remove_prefix(id_end);
    while (!s.empty() && s.front() == ' ') {
      skip_spaces(s);
      if (!s.empty() && s.front() == ']') break;
      size_t eq = s.find('=');
      if (eq == std::string_view::npos || eq == 0 || eq + 1 >= s.size() || s[eq + 1] != '"') {
        *error = "syslog: invalid SD-PARAM in [" + id + "]";
        return false;
      }
      const std::string name(s.substr(0, eq));
      s.remove_prefix(eq + 2);
      std::string value;
      bool closed = false;
      while (!s.empty()) {
        char c = s.front();
        s.remove_prefix(1);
        if (c == '\\' && !s.empty() &&
            (s.front() == '"' || s.front() == '\\' || s.front() == ']')) {
          c = s.front();
          s.remove_prefix(1);
        } else if (c == '"') {
          closed = true;
          break;
        }
        if (value.size() < kMaxLabelBytes) value += c;
      }
      if (!closed) {
        *error = "syslog: unterminated SD-PARAM value in [" + id + "]";
        return false;
      }
      if (labels.size() < kMaxLabels) labels[id + "." + name] = to_utf8(value);
    }
    if (s.empty() || s.front() != ']') {
      *error = "syslog: SD-ELEMENT [" + id + "] is not closed";
      return false;
    }
    s.remove_prefix(1);
  }
  return true;
}

void set_severity_facility(Event& e, int pri) {
  e.severity = static_cast<Severity>(pri & 7);
  e.facility = syslog_facility_name(pri >> 3);
}

// "tag[pid]:" or "tag:" at the start of `s`; sets app (and labels.pid).
bool take_tag(std::string_view& s, Event& e) {
  size_t i = 0;
  while (i < s.size() && i < 64 && s[i] != ' ' && s[i] != ':' && s[i] != '[') ++i;
  if (i == 0 || i >= s.size()) return false;
  std::string_view tag = s.substr(0, i);
  std::string_view rest = s.substr(i);
  std::string pid;
  if (rest.front() == '[') {
    size_t close = rest.find(']');
    if (close == std::string_view::npos || close > 32) return false;
    pid = std::string(rest.substr(1, close - 1));
    rest.remove_prefix(close + 1);
  }
  if (rest.empty() || rest.front() != ':') {
    if (pid.empty()) return false;  // "tag[pid] msg" without colon still counts
  } else {
    rest.remove_prefix(1);
  }
  e.app = to_utf8(tag);
  if (!pid.empty()) e.labels["pid"] = to_utf8(pid);
  skip_spaces(rest);
  s = rest;
  return true;
}

bool looks_like_host(std::string_view t) {
  if (t.empty() || t.size() > 255 || t.back() == ':') return false;
  for (char c : t) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_' ||
          c == ':'))
      return false;
  }
  return true;
}

// FortiGate and similar: the whole body is key=value pairs.
bool parse_key_values(std::string_view s, Event& e) {
  if (s.rfind("date=", 0) != 0 && s.find(" devname=") == std::string_view::npos) return false;
  Labels kv;
  while (!s.empty() && kv.size() < kMaxLabels) {
    skip_spaces(s);
    size_t eq = s.find('=');
    if (eq == std::string_view::npos || eq == 0) break;
    std::string key(s.substr(0, eq));
    if (key.find(' ') != std::string::npos) break;
    s.remove_prefix(eq + 1);
    std::string value;
    if (!s.empty() && s.front() == '"') {
      s.remove_prefix(1);
      size_t q = s.find('"');
      value = std::string(s.substr(0, q));
      s.remove_prefix(q == std::string_view::npos ? s.size() : q + 1);
    } else {
      size_t sp = s.find(' ');
      value = std::string(s.substr(0, sp));
      s.remove_prefix(sp == std::string_view::npos ? s.size() : sp);
    }
    kv[key] = to_utf8(value.substr(0, kMaxLabelBytes));
  }
  if (kv.size() < 2) return false;
  if (auto it = kv.find("devname"); it != kv.end()) e.host = it->second;
  if (auto it = kv.find("msg"); it != kv.end()) e.message = it->second;
  if (auto it = kv.find("logdesc"); it != kv.end() && e.message.empty()) e.message = it->second;
  if (auto it = kv.find("level"); it != kv.end()) {
    if (auto sev = parse_severity(it->second)) e.severity = *sev;
  }
  if (auto it = kv.find("type"); it != kv.end()) e.app = it->second;
  if (auto it = kv.find("logid"); it != kv.end()) e.msgid = it->second;
  for (auto& [k, v] : kv) e.labels[k] = v;
  return true;
}

bool parse_5424(std::string_view s, Event& e, std::string* error) {
  // After "<PRI>1 ".
  if (s.empty()) {
    *error = "syslog: RFC 5424 header ends after VERSION";
    return false;
  }
  if (s.front() == '-') {
    s.remove_prefix(1);
    if (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  } else {
    TimePoint t;
    if (!parse_iso_time(s, t)) {
      *error = "syslog: invalid RFC 5424 TIMESTAMP \"" +
               std::string(s.substr(0, s.find(' '))).substr(0, 40) + "\"";
      return false;
    }
    e.time = t;
  }
  const std::string_view host = token(s);
  const std::string_view app = token(s);
  const std::string_view procid = token(s);
  const std::string_view msgid = token(s);
  if (msgid.empty() && s.empty()) {
    *error = "syslog: RFC 5424 header is incomplete";
    return false;
  }
  if (!host.empty() && host != "-") e.host = to_utf8(host.substr(0, 255));
  e.app = to_utf8(nil_or(app.substr(0, 48)));
  if (procid != "-" && !procid.empty()) e.labels["pid"] = to_utf8(procid.substr(0, 128));
  e.msgid = to_utf8(nil_or(msgid.substr(0, 32)));
  if (!parse_structured_data(s, e.labels, error)) return false;
  if (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  if (s.size() >= 3 && static_cast<unsigned char>(s[0]) == 0xEF &&
      static_cast<unsigned char>(s[1]) == 0xBB && static_cast<unsigned char>(s[2]) == 0xBF) {
    s.remove_prefix(3);
  }
  skip_spaces(s);  // rsyslog's %msg% keeps the space that followed the tag
  e.message = to_utf8(s);
  return true;
}

// Cisco IOS: "123: " sequence number, then "*Mar  1 18:48:50.483 UTC: " with
// "*" (clock not synchronised) or "." (synchronised once). Returns true when
// a Cisco timestamp (followed by ':') was taken; sets `have_time`.
bool strip_cisco_prefix(std::string_view& r, Event& e, TimePoint received, bool& have_time) {
  size_t digits = 0;
  while (digits < r.size() && is_digit(r[digits])) ++digits;
  if (digits > 0 && digits < 12 && digits + 1 < r.size() && r[digits] == ':' &&
      r[digits + 1] == ' ') {
    e.labels["sequence"] = std::string(r.substr(0, digits));
    r.remove_prefix(digits + 2);
    skip_spaces(r);
  }
  std::string_view probe = r;
  if (!probe.empty() && (probe.front() == '*' || probe.front() == '.')) probe.remove_prefix(1);
  TimePoint t;
  if (parse_bsd_time(probe, received, t) || parse_iso_time(probe, t)) {
    e.time = t;
    have_time = true;
    r = probe;
    if (!r.empty() && r.front() == ':') {
      r.remove_prefix(1);
      skip_spaces(r);
      return true;
    }
    skip_spaces(r);
  }
  return false;
}

void parse_3164(std::string_view s, Event& e, TimePoint received) {
  std::string_view r = s;
  bool have_time = false;
  const bool cisco_time = strip_cisco_prefix(r, e, received, have_time);
  if (!cisco_time && have_time) {
    // HOSTNAME, unless the next token is already the tag ("sshd[12]:", "su:").
    size_t sp = r.find(' ');
    std::string_view first = r.substr(0, sp);
    if (looks_like_host(first) && sp != std::string_view::npos) {
      e.host = to_utf8(first);
      r.remove_prefix(sp + 1);
      skip_spaces(r);
      // Cisco behind an outer header: "rtr1 2117: Nov 28 14:03:00.511: %LINK-…"
      bool inner_time = false;
      std::string_view inner = r;
      Event probe;
      if (strip_cisco_prefix(inner, probe, received, inner_time) && !inner.empty() &&
          inner.front() == '%') {
        r = inner;
        if (probe.labels.count("sequence")) e.labels["sequence"] = probe.labels["sequence"];
      }
    }
  }
  if (!r.empty() && r.front() == '%') {  // Cisco mnemonic
    size_t colon = r.find(": ");
    std::string_view mnemonic = r.substr(1, colon == std::string_view::npos ? 0 : colon - 1);
    if (!mnemonic.empty() && mnemonic.size() < 64) {
      e.msgid = to_utf8(mnemonic);
      e.app = to_utf8(mnemonic.substr(0, mnemonic.find('-')));
    }
  } else if (!take_tag(r, e) && !have_time) {
    parse_key_values(r, e);
  }
  if (e.message.empty()) e.message = to_utf8(r);
}

}  // namespace

const char* syslog_facility_name(int facility) {
  if (facility < 0 || facility >= static_cast<int>(kFacilities.size())) return "unknown";
  return kFacilities[static_cast<size_t>(facility)];
}

SyslogParse parse_syslog(std::string_view s, const std::string& peer, TimePoint received) {
  SyslogParse p;
  Event& e = p.event;
  e.source = "syslog";
  e.time = received;
  // Trailing NUL, CR, LF (and spaces) are framing leftovers.
  while (!s.empty() &&
         (s.back() == '\0' || s.back() == '\n' || s.back() == '\r' || s.back() == ' '))
    s.remove_suffix(1);
  while (!s.empty() && (s.front() == '\0' || s.front() == '\n' || s.front() == '\r'))
    s.remove_prefix(1);
  const std::string_view raw = s;
  std::string error;
  int pri = parse_pri(s, &error);
  if (pri == -2) {
    p.malformed = true;
    p.error = error;
    e.host = peer;
    e.message = to_utf8(raw);
    set_severity_facility(e, 13);
    return p;
  }
  set_severity_facility(e, pri < 0 ? 13 : pri);  // RFC 3164 4.3.3: no PRI means user.notice
  if (pri >= 0 && s.size() >= 2 && s[0] == '1' && s[1] == ' ') {
    s.remove_prefix(2);
    if (!parse_5424(s, e, &error)) {
      Event fallback;
      fallback.source = "syslog";
      fallback.time = received;
      fallback.host = peer;
      fallback.message = to_utf8(raw);
      set_severity_facility(fallback, pri);
      p.event = std::move(fallback);
      p.malformed = true;
      p.error = error;
      return p;
    }
  } else {
    parse_3164(s, e, received);
  }
  if (e.host.empty()) e.host = peer;
  if (raw.empty()) {
    p.malformed = true;
    p.error = "syslog: empty message";
  }
  return p;
}

}  // namespace ticketd::ingest
