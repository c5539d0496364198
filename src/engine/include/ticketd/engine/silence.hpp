// Silence: a runtime, Alertmanager-style mute. Events matching all its
// matchers while it is active are recorded and counted, never ticketed.
// A plain value; the engine owns the live set.
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <string>
#include <utility>
#include <vector>

#include "ticketd/core/status.hpp"
#include "ticketd/core/time.hpp"
#include "ticketd/rules/matcher.hpp"

namespace ticketd::engine {

struct Silence {
  std::string id;  // assigned by the engine: "s-1", "s-2", ...
  // field -> operand in rule syntax ("db01", "!db01", "~^db", "!~x", ">=error").
  std::vector<std::pair<std::string, std::string>> matchers;
  TimePoint starts_at{};
  TimePoint ends_at{};
  std::string created_by;
  std::string comment;
  int64_t silenced_count = 0;
  rules::Condition condition;  // compiled matchers

  bool active(TimePoint now) const { return starts_at <= now && now < ends_at; }
  // Whether every matcher holds for `event`, whatever the time: while the
  // silence is active, such an event is silenced (the engine asks exactly
  // this; the API's preview asks it of stored events).
  bool matches(const Event& event) const { return condition.test(event, nullptr); }
  // "pending", "active" or "expired"
  const char* state(TimePoint now) const;
};

// Validates and compiles a silence from API JSON:
//   {"matchers": {"host": "db01", "labels.env": "~prod"}  or
//    "matchers": [{"name": "host", "value": "db01", "isRegex": false, "isEqual": true}],
//    "starts_at": RFC 3339 (default now), "ends_at": RFC 3339 or "duration": "2h",
//    "created_by": "alice", "comment": "disk swap"}
// camelCase (startsAt, endsAt, createdBy) is accepted as well.
Result<Silence> silence_from_json(const nlohmann::json& j, TimePoint now);
nlohmann::json silence_to_json(const Silence& s, TimePoint now);

}  // namespace ticketd::engine
