#include "engine_internal.hpp"

#include <algorithm>

namespace ticketd::engine {

// ---- human commands ----

bool transition_allowed(TicketStatus from, TicketStatus to) {
  using S = TicketStatus;
  if (from == to) return true;
  switch (from) {
    case S::kNew: return to != S::kClosed;
    case S::kAssigned:
    case S::kInProgress:
    case S::kPending: return to != S::kClosed && to != S::kNew;
    case S::kResolved: return to == S::kClosed || to == S::kInProgress || to == S::kCancelled;
    case S::kClosed:
    case S::kCancelled: return false;
  }
  return false;
}

Result<Ticket*> Engine::held(const std::string& key, const std::optional<Ticket>& stored) {
  if (Ticket* t = ticket(key)) return t;
  if (!stored) return Status::not_found("no ticket " + key);
  tickets_[key] = *stored;
  touch_ticket_state(key);
  ticket_changed(*stored);
  if (stored->type == TicketType::kChange) changes_.push_back(key);
  return &tickets_[key];
}

void Engine::end_alerts_of(const Ticket& t, TimePoint now) {
  for (auto& [id, g] : groups_) {
    if (g.ticket_key != t.key) continue;
    touch_group(id);
    for (const auto& fp : g.alerts) {
      auto a = alerts_.find(fp);
      if (a != alerts_.end() && a->second.phase == Alert::Phase::kFiring) {
        touch_alert(fp);
        unindex(a->second);
        a->second.phase = Alert::Phase::kResolved;
        a->second.resolved_at = now;
      }
    }
    g.resolved = true;
    g.resolved_at = now;
    g.flapping = false;
    timers_.schedule(now + reopen_keep(g), TimerKind::kForgetGroup, id);
  }
}

Result<Actions> Engine::create_ticket(const nlohmann::json& body, const std::string& actor, TimePoint now) {
  if (!body.is_object()) return Status::invalid_argument("ticket: must be a JSON object");
  auto str = [&](const char* k) -> std::string {
    auto it = body.find(k);
    return it != body.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  for (const char* k : {"type", "title", "description", "impact", "urgency", "category", "team", "assignee"}) {
    if (body.contains(k) && !body[k].is_string() && !body[k].is_null()) {
      return Status::invalid_argument(std::string("ticket: \"") + k + "\" must be a string");
    }
  }
  Ticket t;
  t.title = str("title");
  if (t.title.empty()) return Status::invalid_argument("ticket: \"title\" is required");
  const std::string type = str("type").empty() ? "incident" : str("type");
  auto tt = parse_ticket_type(type);
  if (!tt) return Status::invalid_argument("ticket: \"type\" is \"" + type + "\", expected incident, service_request, problem or change");
  t.type = *tt;
  for (auto [k, level] : {std::pair<const char*, Level*>{"impact", &t.impact}, {"urgency", &t.urgency}}) {
    if (str(k).empty()) continue;
    auto l = parse_level(str(k));
    if (!l) return Status::invalid_argument(std::string("ticket: \"") + k + "\" is \"" + str(k) + "\", expected high, medium or low");
    *level = *l;
  }
  if (body.contains("labels")) {
    if (!body["labels"].is_object()) return Status::invalid_argument("ticket: \"labels\" must be an object of strings");
    for (const auto& [k, v] : body["labels"].items()) {
      if (!v.is_string()) return Status::invalid_argument("ticket: \"labels." + k + "\" must be a string");
      t.labels[k] = v.get<std::string>();
    }
  }
  t.key = next_key(t.type);
  t.description = str("description");
  t.priority = priority_from(t.impact, t.urgency);
  t.category = str("category");
  t.team = str("team");
  t.assignee = str("assignee");
  t.status = t.assignee.empty() ? TicketStatus::kNew : TicketStatus::kAssigned;
  t.first_seen = t.last_seen = t.created_at = t.updated_at = now;
  apply_sla(t);
  tickets_[t.key] = t;
  ticket_changed(t);
  if (t.type == TicketType::kChange) changes_.push_back(t.key);
  Actions out;
  out.emplace_back(TicketOpened{t});
  out.emplace_back(TimelineAdded{{t.key, now, actor, "created", "created by " + actor, "{}"}});
  return out;
}

Result<Actions> Engine::patch_ticket(const std::string& key, const nlohmann::json& patch, const std::string& actor,
                                     TimePoint now, const std::optional<Ticket>& stored) {
  if (!patch.is_object() || patch.empty()) {
    return Status::invalid_argument("patch: send a JSON object with status, assignee, team, impact or urgency");
  }
  for (const auto& [k, v] : patch.items()) {
    if (k != "status" && k != "assignee" && k != "team" && k != "impact" && k != "urgency") {
      return Status::invalid_argument("patch: \"" + k + "\" cannot be changed; use status, assignee, team, impact or urgency");
    }
    if (!v.is_string()) return Status::invalid_argument("patch: \"" + k + "\" must be a string");
  }
  auto held_ticket = held(key, stored);
  if (!held_ticket) return held_ticket.error();
  Ticket& t = **held_ticket;
  Ticket before = t;
  Context cx;
  std::vector<std::string> changes;
  if (patch.contains("impact") || patch.contains("urgency")) {
    for (const char* k : {"impact", "urgency"}) {
      if (!patch.contains(k)) continue;
      auto l = parse_level(patch[k].get<std::string>());
      if (!l) return Status::invalid_argument(std::string("patch: \"") + k + "\" must be high, medium or low");
      (std::string(k) == "impact" ? t.impact : t.urgency) = *l;
    }
    t.priority = priority_from(t.impact, t.urgency);
    if (t.priority != before.priority) {
      changes.push_back("priority " + priority_name(before.priority) + " -> " + priority_name(t.priority));
      note(cx, key, now, "priority", changes.back(), {{"from", priority_name(before.priority)}, {"to", priority_name(t.priority)}});
    }
  }
  if (patch.contains("team") && patch["team"].get<std::string>() != t.team) {
    t.team = patch["team"].get<std::string>();
    note(cx, key, now, "assignment", "team " + (before.team.empty() ? "-" : before.team) + " -> " + t.team,
         {{"field", "team"}, {"from", before.team}, {"to", t.team}});
  }
  if (patch.contains("assignee") && patch["assignee"].get<std::string>() != t.assignee) {
    t.assignee = patch["assignee"].get<std::string>();
    note(cx, key, now, "assignment", "assignee " + (before.assignee.empty() ? "-" : before.assignee) + " -> " + t.assignee,
         {{"field", "assignee"}, {"from", before.assignee}, {"to", t.assignee}});
    if (t.status == TicketStatus::kNew && !t.assignee.empty() && !patch.contains("status")) t.status = TicketStatus::kAssigned;
  }
  if (patch.contains("status")) {
    const std::string text = patch["status"].get<std::string>();
    auto to = parse_ticket_status(text);
    if (!to) {
      t = before;
      return Status::invalid_argument("patch: unknown status \"" + text +
                                      "\", expected new, assigned, in_progress, pending, resolved, closed or cancelled");
    }
    if (!transition_allowed(before.status, *to)) {
      t = before;
      return Status::conflict(std::string("ticket ") + key + " cannot go from " + ticket_status_name(before.status) +
                              " to " + ticket_status_name(*to));
    }
    t.status = *to;
  }
  if (t.status != before.status) {
    if (t.status == TicketStatus::kResolved) {
      t.resolved_at = now;
      end_alerts_of(t, now);
    } else if (t.status == TicketStatus::kClosed || t.status == TicketStatus::kCancelled) {
      t.closed_at = now;
      if (!t.resolved_at && t.status == TicketStatus::kClosed) t.resolved_at = now;
      end_alerts_of(t, now);
    } else if (before.status == TicketStatus::kResolved) {
      t.resolved_at.reset();  // reopened by hand
      bool grouped = false;
      for (auto& [id, g] : groups_) {
        if (g.ticket_key != key) continue;
        g.resolved = false;
        touch_group(id);
        grouped = true;
      }
      // Its group may be gone (no reopen window): without one, the next
      // event of its alert would open a second ticket for the fingerprint.
      if (!grouped) adopt_ticket_group(t);
    }
    note(cx, key, now, "status", std::string(ticket_status_name(before.status)) + " -> " + ticket_status_name(t.status),
         {{"from", ticket_status_name(before.status)}, {"to", ticket_status_name(t.status)}});
  }
  for (auto& a : cx.out) {
    if (auto* tl = std::get_if<TimelineAdded>(&a)) tl->entry.actor = actor;
  }
  update(t, now, cx);
  if (t.status == TicketStatus::kClosed || t.status == TicketStatus::kCancelled) {
    for (auto it = groups_.begin(); it != groups_.end();) {
      if (it->second.ticket_key == key) {
        for (const auto& fp : it->second.alerts) erase_alert(fp);
        it = groups_.erase(it);
      } else {
        ++it;
      }
    }
    erase_ticket(key);
  }
  return std::move(cx.out);
}

Result<Actions> Engine::acknowledge(const std::string& key, const std::string& actor, TimePoint now,
                                    const std::optional<Ticket>& stored) {
  auto held_ticket = held(key, stored);
  if (!held_ticket) return held_ticket.error();
  Ticket& t = **held_ticket;
  if (!is_open(t.status)) return Status::conflict("ticket " + key + " is " + ticket_status_name(t.status));
  if (t.acknowledged_at) return Status::conflict("ticket " + key + " was acknowledged by " + t.acknowledged_by);
  Context cx;
  t.acknowledged_at = now;
  t.acknowledged_by = actor;
  std::string msg = "acknowledged by " + actor;
  if (t.status == TicketStatus::kNew || t.status == TicketStatus::kAssigned) {
    msg += "; " + std::string(ticket_status_name(t.status)) + " -> in_progress";
    t.status = TicketStatus::kInProgress;
  }
  cx.out.emplace_back(TimelineAdded{{key, now, actor, "acknowledged", msg, "{}"}});
  update(t, now, cx);
  return std::move(cx.out);
}

Result<Actions> Engine::add_note(const std::string& key, const std::string& text, const std::string& actor,
                                 TimePoint now, const std::optional<Ticket>& stored) {
  if (text.empty()) return Status::invalid_argument("note: \"text\" must not be empty");
  auto held_ticket = held(key, stored);
  if (!held_ticket) return held_ticket.error();
  Ticket& t = **held_ticket;
  Context cx;
  cx.out.emplace_back(TimelineAdded{{key, now, actor, "note", text, "{}"}});
  update(t, now, cx);
  if (!is_open(t.status) && !std::any_of(groups_.begin(), groups_.end(), [&](const auto& kv) {
        return kv.second.ticket_key == key;
      })) {
    erase_ticket(key);  // adopted only for this note
  }
  return std::move(cx.out);
}

Result<Actions> Engine::alert_command(const std::string& fingerprint, const std::string& action,
                                      const std::string& actor, TimePoint now, std::string* ticket_key) {
  auto a = alerts_.find(fingerprint);
  if (a == alerts_.end()) return Actions{};
  auto g = groups_.find(a->second.group);
  const std::string key = g == groups_.end() ? std::string() : g->second.ticket_key;
  if (ticket_key) *ticket_key = key;
  if (action == "resolve") {
    Context cx;
    resolve_alert(fingerprint, now, actor + " resolve", cx, nullptr);
    return std::move(cx.out);
  }
  if (action == "acknowledge") {
    if (key.empty()) return Actions{};
    Ticket* t = ticket(key);
    if (!t || t->acknowledged_at || !is_open(t->status)) return Actions{};
    return acknowledge(key, actor, now, std::nullopt);
  }
  return Status::invalid_argument("unknown alert command \"" + action + "\"");
}

// ---- silences ----

Result<Actions> Engine::add_silence(Silence s, TimePoint now) {
  if (s.ends_at <= now) return Status::invalid_argument("silence: \"ends_at\" is in the past");
  s.id = "s-" + std::to_string(++last_silence_);
  silences_[s.id] = s;
  return Actions{silence_saved(s)};
}

Result<Actions> Engine::expire_silence(const std::string& id, TimePoint now) {
  auto it = silences_.find(id);
  if (it == silences_.end()) return Status::not_found("no silence " + id);
  if (it->second.ends_at <= now) return Status::conflict("silence " + id + " has already expired");
  it->second.ends_at = now;
  if (it->second.starts_at > now) it->second.starts_at = now;
  return Actions{silence_saved(it->second)};
}

std::vector<Silence> Engine::silences() const {
  std::vector<Silence> out;
  for (const auto& [id, s] : silences_) out.push_back(s);
  return out;
}

}  // namespace ticketd::engine
