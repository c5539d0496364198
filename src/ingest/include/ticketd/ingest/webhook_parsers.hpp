// Webhook payloads (Alertmanager, Grafana, PagerDuty Events API v2) into
// normalized events. Pure functions of the JSON body; thread-safe. Errors
// name the field: `alertmanager: "alerts[2].labels" must be an object`.
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <string>
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
Result<PagerDutyEvent> parse_pagerduty(const nlohmann::json& body, TimePoint now);

}  // namespace ticketd::ingest
