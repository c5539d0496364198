// Event: the normalized form every input (syslog, SNMP, webhooks, API) becomes.
//
// A plain value type; not synchronized. Field names follow DESIGN.md (Inputs).
#pragma once

#include <map>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ticketd/core/status.hpp"
#include "ticketd/core/time.hpp"

namespace ticketd {

// Syslog severities, most severe first (RFC 5424 numeric order).
enum class Severity { kEmergency = 0, kAlert, kCritical, kError, kWarning, kNotice, kInfo, kDebug };

const char* severity_name(Severity s);
// Accepts the canonical names plus common aliases ("emerg", "crit", "err", "warn",
// "information"); case-insensitive.
std::optional<Severity> parse_severity(std::string_view name);

using Labels = std::map<std::string, std::string, std::less<>>;

struct Event {
  std::string source = "api";  // syslog | snmp | alertmanager | grafana | pagerduty | api
  TimePoint time{};            // when it happened (sender's clock, else receive time)
  std::string host;
  std::optional<Severity> severity;
  std::string facility;
  std::string app;
  std::string msgid;
  std::string message;
  std::string trap_oid;
  std::string status = "firing";  // firing | resolved
  Labels labels;
  Labels annotations;

  // Looks up a field by the name rules use: "host", "severity", "labels.ifIndex",
  // "annotations.summary". Returns nullopt for a missing label or unknown field,
  // and for an empty scalar field.
  std::optional<std::string> field(std::string_view path) const;
};

// The names of the scalar event fields rules may address.
bool is_event_field(std::string_view name);

// Every key event_from_json reads ("source" ... "labels", "annotations", "time");
// it ignores others, but a rule test file refuses them as typos.
const std::vector<std::string>& event_json_keys();

nlohmann::json event_to_json(const Event& e);
// Validates and converts one JSON event. `received` fills a missing time.
// Errors name the field: `event: "severity" must be one of emergency, ...`.
Result<Event> event_from_json(const nlohmann::json& j, TimePoint received);

}  // namespace ticketd
