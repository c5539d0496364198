// Request bodies to the engine's typed commands: every field checked here,
// so the engine never sees JSON. Errors are invalid_argument, naming the
// field. Pure functions; thread-safe.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "ticketd/core/status.hpp"
#include "ticketd/engine/commands.hpp"

namespace ticketd::api {

// POST /api/v1/tickets: {"type","title","description","impact","urgency",
// "category","team","assignee","labels"}; title is required.
Result<engine::NewTicket> parse_new_ticket(const nlohmann::json& body);
// PATCH /api/v1/tickets/{key}: status, assignee, team, impact, urgency,
// resolution {code, note}. assignee and team may be null: cleared, like "".
Result<engine::TicketPatch> parse_ticket_patch(const nlohmann::json& body);
// POST /api/v1/tickets/{key}/notes: {"text", "visibility": internal|public}.
struct NoteRequest {
  std::string text;
  engine::NoteVisibility visibility = engine::NoteVisibility::kInternal;
};
Result<NoteRequest> parse_note(const nlohmann::json& body);
// PagerDuty event_action "acknowledge" / "resolve"; nullopt otherwise.
std::optional<engine::AlertCommand> parse_alert_command(std::string_view action);

}  // namespace ticketd::api
