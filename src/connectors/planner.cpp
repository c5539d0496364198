#include "ticketd/connectors/planner.hpp"

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

namespace ticketd::connectors {
namespace {

std::string dump(const nlohmann::json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// What a timeline entry means for a backend: an entry kind, or "".
std::string backend_kind(const TimelineEntry& e) {
  if (e.kind == "priority" || e.kind == "assignment" || e.kind == "escalation")
    return kind::kUpdate;
  if (e.kind == "note") return kind::kComment;
  if (e.kind != "status") return "";
  const nlohmann::json d = e.details_json();
  const std::string from = d.value("from", ""), to = d.value("to", "");
  if (to == "resolved") return kind::kResolve;
  if (to == "closed" || to == "cancelled") return kind::kClose;
  if ((from == "resolved" || from == "closed") && !to.empty()) return kind::kReopen;
  return "";  // new -> in_progress and the like stay in ticketd
}

// The ticket event a timeline entry is for notification targets, or "".
std::string notify_event(const TimelineEntry& e) {
  if (e.kind == "escalation") return "escalated";
  if (e.kind == "status" && e.details_json().value("to", "") == "resolved") return "resolved";
  return "";
}

struct Occurrences {
  int64_t count = 0;
  TimePoint last{};
  std::string message, host;
};

}  // namespace

bool Planner::has_target(const std::string& name) const {
  return std::any_of(routes_.begin(), routes_.end(),
                     [&](const Route& r) { return !r.backend && r.name == name; });
}

void Planner::plan(Actions& batch) const {
  if (routes_.empty()) return;
  // The state each ticket ends the batch in: every entry of the batch
  // carries it (a backend gets the ticket as it is now).
  std::map<std::string, const Ticket*> latest;
  std::set<std::string> opened;
  // Tickets opened or changed beyond their counters: only these can start
  // matching a backend's `when:` (a deduplicated event changes no field it
  // reads), so only these are offered as creates.
  std::set<std::string> changed;
  std::map<std::string, Occurrences> occurrences;  // by ticket, in this batch
  for (const Action& a : batch) {
    if (const auto* o = std::get_if<TicketOpened>(&a)) {
      latest[o->ticket.key] = &o->ticket;
      opened.insert(o->ticket.key);
      changed.insert(o->ticket.key);
    } else if (const auto* u = std::get_if<TicketUpdated>(&a)) {
      latest[u->ticket.key] = &u->ticket;
      if (!u->counters_only) changed.insert(u->ticket.key);
    } else if (const auto* r = std::get_if<EventRecorded>(&a)) {
      if (!r->ticket_key.empty() &&
          (r->decision == Decision::kDeduplicated || r->decision == Decision::kGrouped)) {
        Occurrences& occ = occurrences[r->ticket_key];
        ++occ.count;
        occ.last = r->received_at;
        occ.message = r->event.message;
        occ.host = r->event.host;
      }
    }
  }
  Actions out;
  auto queue = [&](const Route& route, const Ticket& t, const char* k, nlohmann::json payload,
                   TimePoint time, OutboxQueued::Only only) {
    payload["ticket"] = ticket_to_json(t);
    OutboxQueued q;
    q.target = route.name;
    q.ticket_key = t.key;
    q.kind = k;
    q.payload = dump(payload);
    q.time = time;
    q.only = only;
    out.emplace_back(std::move(q));
  };
  // Creates first: a ticket's other entries follow its create.
  for (const std::string& key : changed) {
    const Ticket* t = latest[key];
    const bool is_new = opened.count(key) > 0;
    for (const Route& r : routes_) {
      // A ticket a backend takes is created there while it is open (a
      // closed one that never reached it stays out).
      if (r.backend && is_open(t->status) && r.when.matches(*t)) {
        queue(r, *t, kind::kCreate, nlohmann::json::object(), t->updated_at,
              OutboxQueued::Only::kUnlinked);
      }
      if (!r.backend && is_new && r.when.matches(*t) &&
          std::find(r.on.begin(), r.on.end(), "opened") != r.on.end()) {
        queue(r, *t, kind::kNotify,
              {{"event", "opened"},
               {"message",
                "Opened " + t->key + " (" + priority_name(t->priority) + "): " + t->title}},
              t->created_at, OutboxQueued::Only::kAlways);
      }
    }
  }
  for (const Action& a : batch) {
    if (const auto* tl = std::get_if<TimelineAdded>(&a)) {
      const TimelineEntry& e = tl->entry;
      auto it = latest.find(e.ticket_key);
      if (it == latest.end()) continue;  // not a ticket change (cannot happen: belt and braces)
      const Ticket& t = *it->second;
      const std::string bk = backend_kind(e);
      const std::string ev = notify_event(e);
      for (const Route& r : routes_) {
        if (r.backend && !bk.empty() && e.actor != "backend:" + r.name) {
          // A person's status change says nothing beyond "new -> resolved"
          // unless it carries a resolution ("… (fixed): replaced the PSU");
          // the engine's says why ("resolved: all alerts resolved (linkUp)").
          const nlohmann::json d = e.details_json();
          const bool says_why =
              e.kind != "status" || e.actor == "engine" ||
              (d.contains("resolution") && !d["resolution"].value("note", "").empty());
          nlohmann::json p = {{"actor", e.actor}, {"text", says_why ? e.message : ""}};
          if (d.contains("visibility")) p["visibility"] = d["visibility"];
          queue(r, t, bk.c_str(), std::move(p), e.time, OutboxQueued::Only::kLinked);
        } else if (!r.backend && !ev.empty() && r.when.matches(t) &&
                   std::find(r.on.begin(), r.on.end(), ev) != r.on.end()) {
          const std::string verb = ev == "escalated" ? "Escalated " : "Resolved ";
          queue(r, t, kind::kNotify,
                {{"event", ev},
                 {"message", verb + t.key + " (" + priority_name(t.priority) + "): " + t.title},
                 {"detail", e.message}},
                e.time, OutboxQueued::Only::kAlways);
        }
      }
    } else if (const auto* n = std::get_if<Notify>(&a)) {
      auto it = latest.find(n->ticket_key);
      if (it == latest.end() || !has_target(n->target)) continue;
      for (const Route& r : routes_) {
        if (r.backend || r.name != n->target) continue;
        queue(r, *it->second, kind::kNotify, {{"event", "notify"}, {"message", n->message}},
              n->time, OutboxQueued::Only::kAlways);
      }
    }
  }
  for (const auto& [key, occ] : occurrences) {
    auto it = latest.find(key);
    if (it == latest.end()) continue;
    for (const Route& r : routes_) {
      if (!r.backend) continue;
      OutboxQueued q;
      q.target = r.name;
      q.ticket_key = key;
      q.kind = kind::kOccurrences;
      // No ticket in the payload: occurrences come with nearly every event,
      // so the worker reads the ticket when it sends (as it is then).
      q.payload = dump({{"last_message", occ.message},
                        {"last_host", occ.host},
                        {"last_seen", format_rfc3339(occ.last)}});
      q.time = occ.last;
      q.not_before = occ.last + r.comment_interval;
      q.only = OutboxQueued::Only::kLinked;
      q.count = occ.count;
      out.emplace_back(std::move(q));
    }
  }
  for (auto& a : out) batch.push_back(std::move(a));
}

}  // namespace ticketd::connectors
