// Ticket, its ITIL vocabulary (type, status, impact, urgency, priority) and
// timeline entries. Plain value types; not synchronized.
#pragma once

#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ticketd/core/event.hpp"
#include "ticketd/core/time.hpp"

namespace ticketd {

enum class TicketType { kIncident, kServiceRequest, kProblem, kChange };
enum class TicketStatus { kNew, kAssigned, kInProgress, kPending, kResolved, kClosed, kCancelled };
enum class Level { kHigh, kMedium, kLow };  // impact and urgency
enum class Priority { kP1 = 1, kP2, kP3, kP4, kP5 };

const char* ticket_type_name(TicketType t);    // "incident", "service_request", ...
const char* ticket_type_prefix(TicketType t);  // "INC", "REQ", "PRB", "CHG"
const char* ticket_status_name(TicketStatus s);
const char* level_name(Level l);
std::string priority_name(Priority p);  // "P1"

std::optional<TicketType> parse_ticket_type(std::string_view s);
std::optional<TicketStatus> parse_ticket_status(std::string_view s);
std::optional<Level> parse_level(std::string_view s);
std::optional<Priority> parse_priority(std::string_view s);

// The ITIL impact x urgency matrix of DESIGN.md.
Priority priority_from(Level impact, Level urgency);
// Default urgency when a rule does not set one: emergency/alert/critical -> high,
// error/warning -> medium, anything else (or none) -> low.
Level urgency_from_severity(std::optional<Severity> s);

// True for statuses in which a ticket still collects events (not resolved,
// closed or cancelled).
bool is_open(TicketStatus s);

// "INC-000123"
std::string format_ticket_key(TicketType t, int64_t seq);

// One alert a ticket holds, by fingerprint.
struct AlertRef {
  std::string fingerprint;
  std::string status = "firing";  // firing | resolved
  bool operator==(const AlertRef&) const = default;
};

// The ticket's counterpart in a backend (Jira, ServiceNow, …): kept by the
// store beside the ticket, never by the engine.
struct ExternalRef {
  std::string backend;  // the backend's configured name
  std::string id;       // the backend's stable id (Jira id, ServiceNow sys_id, RT id)
  std::string key;      // what people see (OPS-24, INC0010002, 20); may equal id
  std::string url;      // a link to it for people, when known
  bool operator==(const ExternalRef&) const = default;
};

// How a ticket was resolved: a code from a short fixed list and what was
// done, written by the person who resolved it. Empty when resolved by the
// engine (the alert cleared) or not resolved.
struct Resolution {
  std::string code;  // fixed, workaround, no_fault_found, duplicate, cancelled, auto_resolved, …
  std::string note;
  bool empty() const { return code.empty() && note.empty(); }
  bool operator==(const Resolution&) const = default;
};

// The resolution codes people may give (resolve without one is "fixed").
const std::vector<std::string>& resolution_codes();

struct Ticket {
  std::string key;
  TicketType type = TicketType::kIncident;
  std::string title;
  std::string description;
  TicketStatus status = TicketStatus::kNew;
  Level impact = Level::kMedium;
  Level urgency = Level::kMedium;
  Priority priority = Priority::kP3;
  std::string category;
  std::string team;
  std::string assignee;
  std::string rule;
  std::string fingerprint;
  int64_t event_count = 0;
  TimePoint first_seen{};
  TimePoint last_seen{};
  TimePoint created_at{};
  TimePoint updated_at{};
  std::optional<TimePoint> acknowledged_at;
  std::string acknowledged_by;
  std::optional<TimePoint> resolved_at;
  std::optional<TimePoint> closed_at;
  Labels labels;
  std::optional<TimePoint> respond_by;  // SLA targets
  std::optional<TimePoint> resolve_by;
  std::vector<std::string> breaches;   // "respond", "resolve"
  std::string problem;                 // key of the problem this incident is linked to
  std::vector<std::string> incidents;  // for problems: linked incident keys (read from the store)
  std::vector<AlertRef> alerts;
  bool flapping = false;
  int64_t suppressed_count = 0;  // events inhibited or silenced into this ticket
  Resolution resolution;         // set when resolved by a person; cleared on reopen
  // Remote tickets in backends (read from the store; the engine never sets
  // it and the store never writes it from TicketOpened/TicketUpdated).
  std::vector<ExternalRef> external;
};

nlohmann::json ticket_to_json(const Ticket& t);
nlohmann::json external_json(const std::vector<ExternalRef>& refs);
nlohmann::json alerts_json(const std::vector<AlertRef>& alerts);
std::vector<AlertRef> alerts_from_json(const nlohmann::json& j);
// Inverse of ticket_to_json (engine snapshots). Unknown or missing fields keep defaults.
Ticket ticket_from_json(const nlohmann::json& j);

// One line of a ticket's history.
struct TimelineEntry {
  std::string ticket_key;
  TimePoint time{};
  std::string actor;  // "engine", "api:<token name>", "user:alice"
  std::string kind;   // created, event, status, priority, assignment, note, sync
  std::string message;
  nlohmann::json details_json() const;
  std::string details = "{}";  // JSON object text
};

nlohmann::json timeline_entry_to_json(const TimelineEntry& e);

}  // namespace ticketd
