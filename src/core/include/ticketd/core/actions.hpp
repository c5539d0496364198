// Actions: the shared vocabulary between the engine, which decides, and the
// effects (store, outbox, metrics), which carry decisions out. Plain values
// with no behaviour: the store applies them without knowing the engine, and
// the engine returns them without knowing any store.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "ticketd/core/event.hpp"
#include "ticketd/core/ticket.hpp"
#include "ticketd/core/time.hpp"

namespace ticketd {

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
// The decision named `name` exactly as decision_name() spells it, or none.
std::optional<Decision> parse_decision(std::string_view name);
// Every decision's name, comma-separated, in declaration order (for messages).
std::string decision_names();

// A new ticket. Carries the whole ticket.
struct TicketOpened {
  Ticket ticket;
};
// A changed ticket: the whole new state (the store upserts it).
// `counters_only`: since the ticket was last reported, only event_count,
// last_seen and updated_at changed (deduplicated events), so a store may
// write just those.
struct TicketUpdated {
  Ticket ticket;
  bool counters_only = false;
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
// A silence created or changed (count, expiry), as its JSON document: the
// store keeps it and hands it back (StoredState::silences) without reading it.
struct SilenceSaved {
  std::string id;
  TimePoint ends_at{};
  std::string body;
};
// Tell a named target (escalation `notify:`) about a ticket.
struct Notify {
  std::string target;
  std::string ticket_key;
  std::string message;
  TimePoint time{};  // when the engine decided it
};
// Something a backend or a notification target must be told, queued in the
// durable outbox in the batch's transaction (connectors/planner.hpp decides
// these from the engine's actions; a connector's worker sends them).
struct OutboxQueued {
  enum class Only {
    kAlways,    // queue it (notifications)
    kUnlinked,  // a create: queue it and link the ticket to the target, unless linked already
    kLinked,    // an update: queue it only if the ticket is linked to the target
  };
  std::string target;      // a configured backend or notification target
  std::string ticket_key;  // entries of one ticket and target are sent in order
  std::string kind;        // create, update, comment, occurrences, resolve, close, reopen, notify
  std::string payload;     // a JSON document for the connector; opaque to the store
  TimePoint time{};        // when it was decided
  TimePoint not_before{};  // not sent before (coalescing window); time when zero
  Only only = Only::kAlways;
  // kind "occurrences": while the ticket's last entry for the target is an
  // unsent occurrences entry, this one folds into it (counts add, the newer
  // payload wins) instead of queueing another.
  int64_t count = 1;
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

using Action = std::variant<TicketOpened, TicketUpdated, TimelineAdded, EventRecorded,
                            ProblemLinked, SilenceSaved, Notify, StateChanged, OutboxQueued>;
using Actions = std::vector<Action>;

// What a store hands back after a restart for the engine to start from.
struct StoredState {
  std::vector<Ticket> open_tickets;        // authoritative ticket state
  std::map<TicketType, int64_t> last_seq;  // highest key number used per type
  std::vector<std::string> silences;       // SilenceSaved bodies, latest of each id
  // The correlation state records (StateChanged), by key; any order.
  std::vector<std::pair<std::string, std::string>> records;
};

}  // namespace ticketd
