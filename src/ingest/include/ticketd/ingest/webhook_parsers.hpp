// Webhook payloads (Alertmanager, Grafana, PagerDuty Events API v2) into
// normalized events. Pure functions of the JSON body; thread-safe. Errors
// name the field: `alertmanager: "alerts[2].labels" must be an object`.
#pragma once

#include <map>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "ticketd/core/event.hpp"
#include "ticketd/core/status.hpp"

namespace ticketd::ingest {

// Prometheus Alertmanager webhook (version 4): one event per alert.
// labels and annotations are kept; status firing/resolved; host from
// labels.instance (without :port), .host, .hostname or .node; severity from
// labels.severity; message from annotations.summary / description / alertname.
Result<std::vector<Event>> parse_alertmanager(const nlohmann::json& body, TimePoint now);

// Grafana alerting webhook: unified alerting (Alertmanager-shaped "alerts")
// or the legacy format (ruleName, state, evalMatches).
Result<std::vector<Event>> parse_grafana(const nlohmann::json& body, TimePoint now);

// PagerDuty Events API v2 (POST /v2/enqueue).
struct PagerDutyEvent {
  std::string action;     // trigger | acknowledge | resolve
  std::string dedup_key;  // given, or generated for a trigger without one
  Event event;
};

// What a configured routing key (integration key) puts on its events:
// `labels.team` and the labels, where the event does not set them itself.
struct PagerDutyIntegration {
  std::string team;
  Labels labels;
};
using PagerDutyIntegrations = std::map<std::string, PagerDutyIntegration, std::less<>>;

// The outcome of parsing one enqueue body: the event, or PagerDuty's list of
// reasons ("'routing_key' is missing or blank", ...), each as PagerDuty
// words it, in the `errors` of its `400 invalid event` answer.
struct PagerDutyParse {
  PagerDutyEvent event;             // meaningful only when ok()
  std::vector<std::string> errors;  // empty when the body is a valid event
  bool ok() const { return errors.empty(); }
};

inline constexpr size_t kPagerDutyMaxSummary = 1024;  // characters; longer is cut
inline constexpr size_t kPagerDutyMaxDedupKey = 255;  // characters; longer is refused

// Validates like PagerDuty: routing_key present; event_action one of
// trigger, acknowledge, resolve; a trigger needs payload.summary,
// payload.source and payload.severity (critical, error, warning, info);
// dedup_key at most 255 characters, required to acknowledge or resolve.
// payload.summary is cut to 1,024 characters. With `integrations` non-empty,
// a routing key not among them is refused ("Invalid routing key"), and a
// known one adds its team and labels.
PagerDutyParse parse_pagerduty(const nlohmann::json& body, TimePoint now,
                               const PagerDutyIntegrations& integrations = {});

// "R0ab…" : enough of a routing key to tell keys apart in a log line, never
// the whole key.
std::string masked_routing_key(std::string_view key);

}  // namespace ticketd::ingest
