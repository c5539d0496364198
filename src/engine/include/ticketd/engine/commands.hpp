// Typed commands from humans and integrations. The API parses and validates
// request bodies into these; the engine never sees JSON. Plain values.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ticketd/core/ticket.hpp"

namespace ticketd::engine {

// A ticket opened by hand (POST /api/v1/tickets). `title` is required.
struct NewTicket {
  TicketType type = TicketType::kIncident;
  std::string title;
  std::string description;
  std::optional<Level> impact;   // unset: medium
  std::optional<Level> urgency;  // unset: medium
  std::string category;
  std::string team;
  std::string assignee;  // set: the ticket starts `assigned`
  Labels labels;
};

// What a human changes on a ticket (PATCH /api/v1/tickets/{key}); unset
// fields stay as they are. An invalid status transition is a conflict.
struct TicketPatch {
  std::optional<TicketStatus> status = std::nullopt;
  std::optional<std::string> assignee = std::nullopt;
  std::optional<std::string> team = std::nullopt;
  std::optional<Level> impact = std::nullopt;
  std::optional<Level> urgency = std::nullopt;
  // With status resolved, closed or cancelled (or on a ticket already
  // resolved): how it was resolved. Resolving without one records "fixed";
  // cancelling, "cancelled". A code outside resolution_codes() is invalid.
  std::optional<Resolution> resolution = std::nullopt;

  bool empty() const { return !status && !assignee && !team && !impact && !urgency && !resolution; }
};

// Whether a person may move a ticket from status `from` to `to` (PATCH
// status): the one rule Engine::patch_ticket checks. Staying in the same
// status is always allowed (it changes nothing).
bool transition_allowed(TicketStatus from, TicketStatus to);
// Every status other than `from` that transition_allowed() accepts from it,
// in lifecycle order (new, assigned, in_progress, pending, resolved, closed,
// cancelled): what a client may offer as the ticket's next status.
std::vector<TicketStatus> allowed_transitions(TicketStatus from);

// Who may read a note: `internal` (staff only; the default) or `public`
// (also sent to backends as a public comment).
enum class NoteVisibility { kInternal, kPublic };
const char* note_visibility_name(NoteVisibility v);
std::optional<NoteVisibility> parse_note_visibility(std::string_view s);

// What an integration may do to the ticket holding one alert (PagerDuty
// Events API v2 `event_action` acknowledge / resolve by dedup_key).
enum class AlertCommand { kAcknowledge, kResolve };

}  // namespace ticketd::engine
