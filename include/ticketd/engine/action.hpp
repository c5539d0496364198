// Actions: what the engine decided, for the effects (store, outbox, metrics)
// to carry out. Plain values; the engine returns them, it never applies them.
#pragma once

#include <optional>
#include <string>
#include <variant>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "ticketd/core/event.hpp"
#include "ticketd/core/ticket.hpp"

namespace ticketd::engine {

// What happened to one event.
enum class Decision {
  kTicketed,      // opened a new ticket
  kDeduplicated,  // attached to the open ticket with the same fingerprint
  kResolved,      // a `status: resolved` event; resolved the open ticket, if any
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
};

using Action = std::variant<TicketOpened, TicketUpdated, TimelineAdded, EventRecorded>;
using Actions = std::vector<Action>;

nlohmann::json action_to_json(const Action& a);

}  // namespace ticketd::engine
