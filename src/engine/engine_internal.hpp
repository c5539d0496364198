// Internals shared by the engine's source files (not a public header):
// helpers and the per-call Context. Engine member functions are split by
// concept: engine.cpp (events, alerts, groups, storms, problems, resolution),
// timers.cpp (deadlines and tick), commands.cpp (human commands, silences),
// state_records.cpp (state records and restore).
#pragma once

#include <cstdio>
#include <deque>
#include <string>

#include "ticketd/core/text.hpp"
#include "ticketd/engine/engine.hpp"

namespace ticketd::engine {

inline constexpr size_t kTimelineMessageMax = 200;
inline constexpr int64_t kTimelineEveryEventUpTo = 100;
inline constexpr int64_t kTimelineEventStride = 100;

using rules::RenderCaps;

// Fingerprints are rendered up to this size; longer ones keep a hash of it.
inline constexpr size_t kFingerprintHashed = 64 * 1024;

// Cuts at a UTF-8 character boundary.
inline std::string shorten(const std::string& s) {
  if (s.size() <= kTimelineMessageMax) return s;
  return std::string(utf8_prefix(s, kTimelineMessageMax)) + "…";
}

// A fingerprint within RenderCaps::kFingerprint that still tells long ones
// apart: a cut prefix plus a hash (FNV-1a, 64 bits) of the whole.
inline std::string capped_identity(std::string fp) {
  if (fp.size() <= RenderCaps::kFingerprint) return fp;
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : fp) h = (h ^ c) * 1099511628211ull;
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(h));
  return std::string(utf8_prefix(fp, RenderCaps::kFingerprint - 18)) + "#" + hex;
}

// A linear search of the ticket's alerts: for tickets with few of them
// (Engine::set_alert_status indexes the long ones, like a storm's).
inline void set_alert_status_linear(Ticket& t, const std::string& fp, const char* status) {
  for (AlertRef& a : t.alerts) {
    if (a.fingerprint == fp) {
      a.status = status;
      return;
    }
  }
  t.alerts.push_back({fp, status});
}

inline Priority raised(Priority p) {
  return p == Priority::kP1 ? p : static_cast<Priority>(static_cast<int>(p) - 1);
}

inline nlohmann::json captures_json(const rules::Captures& c) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [k, v] : c) j[k] = v;
  return j;
}

inline rules::Captures captures_from(const nlohmann::json& j) {
  rules::Captures c;
  if (j.is_object()) {
    for (const auto& [k, v] : j.items()) {
      if (v.is_string()) c[k] = v.get<std::string>();
    }
  }
  return c;
}

// Drops the leading entries of a time-ordered window that `expired` says
// are out of it.
template <typename Window, typename Pred>
void drop_expired(Window& w, Pred expired) {
  auto keep = w.begin();
  while (keep != w.end() && expired(*keep)) ++keep;
  w.erase(w.begin(), keep);
}

template <typename Times>
nlohmann::json times_json(const Times& d) {
  nlohmann::json j = nlohmann::json::array();
  for (TimePoint t : d) j.push_back(to_unix_ms(t));
  return j;
}

template <typename Times = std::vector<TimePoint>>
Times times_from(const nlohmann::json& j) {
  Times d;
  if (j.is_array()) {
    for (const auto& x : j) {
      if (x.is_number_integer()) d.push_back(from_unix_ms(x.get<int64_t>()));
    }
  }
  return d;
}

// What an alert or group without a kept event reads as.
inline const Event kNoEvent{};

// One call's output, and (for explain) the trace of every rule.
struct Engine::Context {
  Actions out;
  std::vector<RuleTrace>* trace = nullptr;
};

}  // namespace ticketd::engine
