#include <algorithm>

#include "engine_internal.hpp"

namespace ticketd::engine {

// ---- human commands ----

const char* note_visibility_name(NoteVisibility v) {
  return v == NoteVisibility::kPublic ? "public" : "internal";
}

std::optional<NoteVisibility> parse_note_visibility(std::string_view s) {
  if (s == "internal") return NoteVisibility::kInternal;
  if (s == "public") return NoteVisibility::kPublic;
  return std::nullopt;
}

bool transition_allowed(TicketStatus from, TicketStatus to) {
  using S = TicketStatus;
  if (from == to) return true;
  switch (from) {
    case S::kNew:
      return to != S::kClosed;
    case S::kAssigned:
    case S::kInProgress:
    case S::kPending:
      return to != S::kClosed && to != S::kNew;
    case S::kResolved:
      return to == S::kClosed || to == S::kInProgress || to == S::kCancelled;
    case S::kClosed:
    case S::kCancelled:
      return false;
  }
  return false;
}

std::vector<TicketStatus> allowed_transitions(TicketStatus from) {
  using S = TicketStatus;
  std::vector<TicketStatus> out;
  for (S to : {S::kNew, S::kAssigned, S::kInProgress, S::kPending, S::kResolved, S::kClosed,
               S::kCancelled}) {
    if (to != from && transition_allowed(from, to)) out.push_back(to);
  }
  return out;
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

Result<Actions> Engine::create_ticket(const NewTicket& spec, const std::string& actor,
                                      TimePoint now) {
  if (spec.title.empty()) return Status::invalid_argument("ticket: \"title\" is required");
  Ticket t;
  t.type = spec.type;
  t.title = spec.title;
  if (spec.impact) t.impact = *spec.impact;
  if (spec.urgency) t.urgency = *spec.urgency;
  t.labels = spec.labels;
  t.key = next_key(t.type);
  t.description = spec.description;
  t.priority = priority_from(t.impact, t.urgency);
  t.category = spec.category;
  t.team = spec.team;
  t.assignee = spec.assignee;
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

Result<Actions> Engine::patch_ticket(const std::string& key, const TicketPatch& patch,
                                     const std::string& actor, TimePoint now,
                                     const std::optional<Ticket>& stored) {
  if (patch.empty()) {
    return Status::invalid_argument(
        "patch: send a JSON object with status, assignee, team, impact, urgency or resolution");
  }
  if (patch.resolution && !patch.resolution->code.empty()) {
    const auto& codes = resolution_codes();
    if (std::find(codes.begin(), codes.end(), patch.resolution->code) == codes.end()) {
      std::string list;
      for (const auto& c : codes) list += (list.empty() ? "" : ", ") + c;
      return Status::invalid_argument("resolution: \"code\" must be one of " + list + ", not \"" +
                                      patch.resolution->code + "\"");
    }
  }
  auto held_ticket = held(key, stored);
  if (!held_ticket) return held_ticket.error();
  Ticket& t = **held_ticket;
  Ticket before = t;
  Context cx;
  std::vector<std::string> changes;
  if (patch.status && !transition_allowed(before.status, *patch.status)) {
    return Status::conflict(std::string("ticket ") + key + " cannot go from " +
                            ticket_status_name(before.status) + " to " +
                            ticket_status_name(*patch.status));
  }
  const TicketStatus to = patch.status.value_or(before.status);
  const bool ends = to == TicketStatus::kResolved || to == TicketStatus::kClosed ||
                    to == TicketStatus::kCancelled;
  if (patch.resolution && !ends) {
    return Status::conflict(std::string("ticket ") + key + " is " +
                            ticket_status_name(before.status) +
                            ": a resolution goes with status resolved, closed or cancelled");
  }
  if (patch.impact || patch.urgency) {
    if (patch.impact) t.impact = *patch.impact;
    if (patch.urgency) t.urgency = *patch.urgency;
    t.priority = priority_from(t.impact, t.urgency);
    if (t.priority != before.priority) {
      changes.push_back("priority " + priority_name(before.priority) + " -> " +
                        priority_name(t.priority));
      note(cx, key, now, "priority", changes.back(),
           {{"from", priority_name(before.priority)}, {"to", priority_name(t.priority)}});
      follow_sla(t, now, cx);
    }
  }
  if (patch.team && *patch.team != t.team) {
    t.team = *patch.team;
    note(cx, key, now, "assignment",
         "team " + (before.team.empty() ? "-" : before.team) + " -> " +
             (t.team.empty() ? "-" : t.team),
         {{"field", "team"}, {"from", before.team}, {"to", t.team}});
  }
  if (patch.assignee && *patch.assignee != t.assignee) {
    t.assignee = *patch.assignee;
    note(cx, key, now, "assignment",
         "assignee " + (before.assignee.empty() ? "-" : before.assignee) + " -> " +
             (t.assignee.empty() ? "-" : t.assignee),
         {{"field", "assignee"}, {"from", before.assignee}, {"to", t.assignee}});
    // Assigning a new ticket makes it assigned; unassigning an assigned
    // one puts it back in the queue (new), unless the patch names a status.
    if (t.status == TicketStatus::kNew && !t.assignee.empty() && !patch.status)
      t.status = TicketStatus::kAssigned;
    else if (t.status == TicketStatus::kAssigned && t.assignee.empty() && !patch.status)
      t.status = TicketStatus::kNew;
  }
  if (patch.status) t.status = *patch.status;
  if (patch.resolution) {
    t.resolution = *patch.resolution;
    if (t.resolution.code.empty())
      t.resolution.code = t.status == TicketStatus::kCancelled ? "cancelled" : "fixed";
  } else if (t.status != before.status && t.status == TicketStatus::kCancelled) {
    t.resolution = {"cancelled", ""};
  } else if (t.status != before.status && ends &&
             (is_open(before.status) || t.resolution.empty())) {
    t.resolution = {"fixed", ""};  // resolved by hand without saying how
  }                                // closing a resolved ticket keeps how it was resolved
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
      t.resolution = {};
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
    std::string msg =
        std::string(ticket_status_name(before.status)) + " -> " + ticket_status_name(t.status);
    nlohmann::json details = {{"from", ticket_status_name(before.status)},
                              {"to", ticket_status_name(t.status)}};
    if (ends) {
      msg += " (" + t.resolution.code + ")" + (t.resolution.note.empty() ? "" : ": ") +
             t.resolution.note;
      details["resolution"] = {{"code", t.resolution.code}, {"note", t.resolution.note}};
    } else if (before.status == TicketStatus::kResolved) {
      details["reopened"] = true;
    }
    note(cx, key, now, "status", std::move(msg), std::move(details));
  } else if (patch.resolution && t.resolution != before.resolution) {
    note(cx, key, now, "resolution",
         "resolution (" + t.resolution.code + ")" + (t.resolution.note.empty() ? "" : ": ") +
             t.resolution.note,
         {{"resolution", {{"code", t.resolution.code}, {"note", t.resolution.note}}},
          {"was", {{"code", before.resolution.code}, {"note", before.resolution.note}}}});
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
  if (!is_open(t.status))
    return Status::conflict("ticket " + key + " is " + ticket_status_name(t.status));
  if (t.acknowledged_at)
    return Status::conflict("ticket " + key + " was acknowledged by " + t.acknowledged_by);
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

Result<Actions> Engine::add_note(const std::string& key, const std::string& text,
                                 NoteVisibility visibility, const std::string& actor, TimePoint now,
                                 const std::optional<Ticket>& stored) {
  if (text.empty()) return Status::invalid_argument("note: \"text\" must not be empty");
  auto held_ticket = held(key, stored);
  if (!held_ticket) return held_ticket.error();
  Ticket& t = **held_ticket;
  Context cx;
  cx.out.emplace_back(
      TimelineAdded{{key, now, actor, "note", text,
                     nlohmann::json{{"visibility", note_visibility_name(visibility)}}.dump()}});
  update(t, now, cx);
  if (!is_open(t.status) && !std::any_of(groups_.begin(), groups_.end(), [&](const auto& kv) {
        return kv.second.ticket_key == key;
      })) {
    erase_ticket(key);  // adopted only for this note
  }
  return std::move(cx.out);
}

Result<Actions> Engine::alert_command(const std::string& fingerprint, AlertCommand command,
                                      const std::string& actor, TimePoint now,
                                      std::string* ticket_key) {
  auto a = alerts_.find(fingerprint);
  if (a == alerts_.end()) return Actions{};
  auto g = groups_.find(a->second.group);
  const std::string key = g == groups_.end() ? std::string() : g->second.ticket_key;
  if (ticket_key) *ticket_key = key;
  switch (command) {
    case AlertCommand::kResolve: {
      Context cx;
      resolve_alert(fingerprint, now, actor + " resolve", cx, nullptr);
      return std::move(cx.out);
    }
    case AlertCommand::kAcknowledge: {
      if (key.empty()) return Actions{};
      Ticket* t = ticket(key);
      if (!t || t->acknowledged_at || !is_open(t->status)) return Actions{};
      return acknowledge(key, actor, now, std::nullopt);
    }
  }
  return Status::internal("unknown alert command");
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
