// JsonMapping: turns any JSON alert body into normalized events through a
// per-source table of JSON pointers (config `json_sources:`, POST
// /api/v1/events/{source}), so a tool without a parser of its own needs no
// code. docs/json-alerts.md is the reference.
//
// A path is an RFC 6901 JSON pointer ("/alert/title", "" = the whole
// value). "#" decodes a string holding JSON and continues inside it:
// "/Message#/AlarmName" reads AlarmName from the JSON text in Message (as
// AWS SNS delivers CloudWatch alarms). A field takes a list of paths; the
// first one giving a non-empty value wins (for `time`, the first that reads
// as a time: RFC 3339, or Unix seconds or milliseconds).
//
// Plain values, immutable once loaded; map_json_alerts() is a pure function
// and thread-safe.
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ticketd/core/event.hpp"
#include "ticketd/core/status.hpp"

namespace ticketd::ingest {

// Paths tried in order; the first non-empty value wins. Empty = not mapped.
using JsonPaths = std::vector<std::string>;

struct JsonMapping {
  std::string source;  // the event's `source`: the name in json_sources and the URL
  JsonPaths items;     // an array of alerts at this path; empty = the body is one alert
  JsonPaths host, message, app, msgid, time;
  JsonPaths fingerprint;  // becomes labels.fingerprint
  // severity: the value itself (canonical names and common aliases, any
  // case) unless `severity_map` names it; an unknown value leaves it unset.
  JsonPaths severity;
  std::vector<std::pair<std::string, std::string>> severity_map;  // value -> severity name
  // status: "resolved" when the value is one of `resolved_values` (any
  // case); default list: resolved, ok. Anything else, or nothing, is firing.
  JsonPaths status;
  std::vector<std::string> resolved_values = {"resolved", "ok"};
  // Named values (name -> paths); `*_spread` paths each give an object
  // whose members all become entries, or a list of "key:value" /
  // "key=value" strings or {"tag"|"key"|"name", "value"} objects, or such a
  // comma-separated string. Named entries win over spread ones.
  std::vector<std::pair<std::string, JsonPaths>> labels, annotations;
  JsonPaths labels_spread, annotations_spread;
};

// Whether `path` is a valid path (a JSON pointer, with "#" hops); the
// message says what is wrong: `"alert/title" must start with "/"`.
Status check_json_path(std::string_view path);

// The events of one body: one, or one per element of `items`. Values that
// are not strings are written as JSON text ("42", "true"); a path that
// leads nowhere gives an empty field. Refused (invalid_argument, with the
// alert's index when there are items): a body without a message, `items`
// missing or not a non-empty array. `now` fills a missing or unreadable time.
Result<std::vector<Event>> map_json_alerts(const JsonMapping& mapping, const nlohmann::json& body,
                                           TimePoint now);

}  // namespace ticketd::ingest
