// The JSON the HTTP API answers with for the store's domain values (private
// to the api layer). Pure functions of their arguments; thread-safe.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "ticketd/store/store.hpp"

namespace ticketd::api {

// GET /api/v1/stats: {"open_by_priority": {"P1": n}, "open_by_team": {"dba": n,
// "(none)": n}, "open_by_type": {"incident": n}, "tickets_total", "open_total",
// "mtta_seconds" and "mttr_seconds" (whole seconds, null when unknown),
// "top_fingerprints": [{"fingerprint", "rule", "tickets", "events",
// "last_opened"}]}.
nlohmann::json stats_to_json(const store::StoreStats& stats);

// The "similar" array of GET /api/v1/tickets/{key}/similar, in the store's
// order: [{"key", "title", "status", "rule", "fingerprint", "same_fingerprint",
// "match" ("fingerprint", "rule" or "text"), "resolved_at" (null when unset),
// "resolution", "notes": [{"time", "actor", "text"}]}].
nlohmann::json similar_to_json(const std::vector<store::SimilarTicket>& similar);

// GET /api/v1/trends: {"days", "since" (the first day's start), "team"
// (`team` as the request gave it, or null), "per_day": [{"date"
// ("YYYY-MM-DD", UTC), "opened", "resolved"}] oldest first, "by_priority":
// [{"priority", "tickets", "mtta_seconds", "mttr_seconds"}], "by_team":
// [{"team" ("" without one), "tickets", "mtta_seconds", "mttr_seconds"}],
// "top_fingerprints": [{"fingerprint", "rule", "tickets", "events",
// "last_opened"}], "top_rules": [{"rule", "tickets", "events"}]}, in the
// store's order; means in whole seconds, null when unknown.
nlohmann::json trends_to_json(const store::Trends& trends, const std::optional<std::string>& team);

// A ticket in a short list (the silence preview): {"key", "type", "title",
// "status", "priority", "team", "assignee", "rule", "fingerprint",
// "event_count", "created_at", "last_seen"}.
nlohmann::json ticket_summary_to_json(const Ticket& t);

// One outbox entry of GET /api/v1/outbox: {"id", "target", "ticket", "kind",
// "count", "created_at", "next_at", "attempts", "last_error" (null when
// none), "held"}. The payload is not shown (it repeats the ticket).
nlohmann::json outbox_entry_to_json(const store::OutboxEntry& e);

}  // namespace ticketd::api
