// Actions: what the engine decided, for the effects (store, outbox, metrics)
// to carry out. Plain values; the engine returns them, it never applies them.
#pragma once

#include <optional>
#include <string>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "ticketd/core/event.hpp"
#include "ticketd/core/ticket.hpp"
#include "ticketd/engine/silence.hpp"

namespace ticketd::engine {

// What happened to one event.
enum class Decision {
  kTicketed,      // opened a new ticket
  kDeduplicated,  // attached to the open ticket of its alert
  kGrouped,       // a new alert joined an existing ticket (group_by, storm)
  kReopened,      // recurrence within reopen_window reopened a resolved ticket
  kPending,       // counted towards a threshold or waiting for group_wait
  kResolved,      // resolved its alert (resolve_when, status: resolved)
  kInhibited,     // suppressed by an inhibit rule; attached to the inhibiting ticket
  kSilenced,      // muted by a silence or a change in progress
  kDropped,       // a rule with action: drop matched
  kUnmatched,     // no rule matched; kept for the retention period
};
const char* decision_name(Decision d);

// A new ticket. Carries the whole ticket.
struct TicketOpened {
  Ticket ticket;
};
// A changed ticket: the whole new state (the store upserts it).
struct TicketUpdated {
  Ticket ticket;
};
struct TimelineAdded {
  TimelineEntry entry;
};
// An event as received, with what became of it.
struct EventRecorded {
  Event event;
  TimePoint received_at{};
  Decision decision = Decision::kUnmatched;
  std::string rule;        // the deciding rule, if any
  std::string ticket_key;  // the ticket it is attached to, if any
  std::string detail;      // e.g. "silence s-3", "inhibit host-down", "threshold 2/5"
};
// An incident linked to a problem.
struct ProblemLinked {
  std::string problem_key;
  std::string incident_key;
};
// A silence created or changed (count, expiry).
struct SilenceSaved {
  Silence silence;
};
// Tell a named target (escalation `notify:`) about a ticket.
struct Notify {
  std::string target;
  std::string ticket_key;
  std::string message;
};
// One record of the engine's correlation state (an alert with its windows,
// a group with its timer, a problem window, escalations done, …), opaque to
// the store: `value` replaces the stored record of `key`, or, when empty,
// deletes it.
struct StateRecord {
  std::string key;
  std::optional<std::string> value;
};
// The records a batch changed, committed in the batch's transaction so that
// after any crash the stored state matches the stored tickets and events.
struct StateChanged {
  std::vector<StateRecord> records;
};

using Action = std::variant<TicketOpened, TicketUpdated, TimelineAdded, EventRecorded, ProblemLinked, SilenceSaved,
                            Notify, StateChanged>;
using Actions = std::vector<Action>;

nlohmann::json action_to_json(const Action& a);

}  // namespace ticketd::engine
