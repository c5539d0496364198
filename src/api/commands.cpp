#include "commands.hpp"

namespace ticketd::api {

using nlohmann::json;

Result<engine::NewTicket> parse_new_ticket(const json& body) {
  if (!body.is_object()) return Status::invalid_argument("ticket: must be a JSON object");
  auto str = [&](const char* k) -> std::string {
    auto it = body.find(k);
    return it != body.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  for (const char* k :
       {"type", "title", "description", "impact", "urgency", "category", "team", "assignee"}) {
    if (body.contains(k) && !body[k].is_string() && !body[k].is_null()) {
      return Status::invalid_argument(std::string("ticket: \"") + k + "\" must be a string");
    }
  }
  engine::NewTicket t;
  t.title = str("title");
  if (t.title.empty()) return Status::invalid_argument("ticket: \"title\" is required");
  const std::string type = str("type").empty() ? "incident" : str("type");
  auto tt = parse_ticket_type(type);
  if (!tt) {
    return Status::invalid_argument("ticket: \"type\" is \"" + type +
                                    "\", expected incident, service_request, problem or change");
  }
  t.type = *tt;
  for (auto [k, level] : {std::pair{"impact", &t.impact}, std::pair{"urgency", &t.urgency}}) {
    if (str(k).empty()) continue;
    auto l = parse_level(str(k));
    if (!l) {
      return Status::invalid_argument(std::string("ticket: \"") + k + "\" is \"" + str(k) +
                                      "\", expected high, medium or low");
    }
    *level = *l;
  }
  if (body.contains("labels")) {
    if (!body["labels"].is_object())
      return Status::invalid_argument("ticket: \"labels\" must be an object of strings");
    for (const auto& [k, v] : body["labels"].items()) {
      if (!v.is_string())
        return Status::invalid_argument("ticket: \"labels." + k + "\" must be a string");
      t.labels[k] = v.get<std::string>();
    }
  }
  t.description = str("description");
  t.category = str("category");
  t.team = str("team");
  t.assignee = str("assignee");
  return t;
}

Result<engine::TicketPatch> parse_ticket_patch(const json& patch) {
  constexpr const char* kFields = "status, assignee, team, impact, urgency or resolution";
  if (!patch.is_object() || patch.empty()) {
    return Status::invalid_argument(std::string("patch: send a JSON object with ") + kFields);
  }
  engine::TicketPatch p;
  for (const auto& [k, v] : patch.items()) {
    if (k == "resolution") {
      if (!v.is_object()) {
        return Status::invalid_argument(
            "patch: \"resolution\" must be an object {\"code\": \"fixed\", \"note\": \"...\"}");
      }
      Resolution r;
      for (const auto& [rk, rv] : v.items()) {
        if (rk != "code" && rk != "note")
          return Status::invalid_argument("patch: \"resolution." + rk +
                                          "\" is unknown; use code and note");
        if (!rv.is_string())
          return Status::invalid_argument("patch: \"resolution." + rk + "\" must be a string");
        (rk == "code" ? r.code : r.note) = rv.get<std::string>();
      }
      p.resolution = std::move(r);
      continue;
    }
    if (k != "status" && k != "assignee" && k != "team" && k != "impact" && k != "urgency") {
      return Status::invalid_argument("patch: \"" + k + "\" cannot be changed; use " + kFields);
    }
    // null clears the assignee or the team, like "".
    if (v.is_null() && (k == "assignee" || k == "team")) continue;
    if (!v.is_string()) return Status::invalid_argument("patch: \"" + k + "\" must be a string");
  }
  for (auto [k, level] : {std::pair{"impact", &p.impact}, std::pair{"urgency", &p.urgency}}) {
    if (!patch.contains(k)) continue;
    auto l = parse_level(patch[k].get<std::string>());
    if (!l)
      return Status::invalid_argument(std::string("patch: \"") + k +
                                      "\" must be high, medium or low");
    *level = *l;
  }
  auto text_or_empty = [&](const char* k) {
    return patch[k].is_null() ? std::string() : patch[k].get<std::string>();
  };
  if (patch.contains("team")) p.team = text_or_empty("team");
  if (patch.contains("assignee")) p.assignee = text_or_empty("assignee");
  if (patch.contains("status")) {
    const std::string text = patch["status"].get<std::string>();
    p.status = parse_ticket_status(text);
    if (!p.status) {
      return Status::invalid_argument(
          "patch: unknown status \"" + text +
          "\", expected new, assigned, in_progress, pending, resolved, closed or cancelled");
    }
  }
  return p;
}

Result<NoteRequest> parse_note(const json& body) {
  if (!body.is_object() || !body.contains("text") || !body["text"].is_string()) {
    return Status::invalid_argument(
        "note: send {\"text\": \"...\", \"visibility\": \"internal\" or \"public\"}");
  }
  NoteRequest n;
  n.text = body["text"].get<std::string>();
  for (const auto& [k, v] : body.items()) {
    if (k != "text" && k != "visibility")
      return Status::invalid_argument("note: \"" + k + "\" is unknown; use text and visibility");
  }
  if (auto it = body.find("visibility"); it != body.end() && !it->is_null()) {
    auto v = it->is_string() ? engine::parse_note_visibility(it->get<std::string>()) : std::nullopt;
    if (!v)
      return Status::invalid_argument("note: \"visibility\" must be \"internal\" or \"public\"");
    n.visibility = *v;
  }
  return n;
}

std::optional<engine::AlertCommand> parse_alert_command(std::string_view action) {
  if (action == "acknowledge") return engine::AlertCommand::kAcknowledge;
  if (action == "resolve") return engine::AlertCommand::kResolve;
  return std::nullopt;
}

}  // namespace ticketd::api
