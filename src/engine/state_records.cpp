#include <algorithm>

#include "engine_internal.hpp"

namespace ticketd::engine {

// ---- state records and restore ----

// Records by key prefix: "a/<fingerprint>" an alert, "g/<id>" a group,
// "t/<key>" a resolved ticket kept for its reopen window, "e/<key>" the
// escalations done for a ticket, "p/<key>" a problem window, "storm" the
// storm window. Values are JSON.
std::optional<std::string> Engine::state_record(const std::string& key) const {
  auto dump = [](const nlohmann::json& j) {
    return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  };
  const std::string_view id = std::string_view(key).substr(std::min<size_t>(2, key.size()));
  if (key.rfind("a/", 0) == 0) {
    auto it = alerts_.find(std::string(id));
    if (it == alerts_.end()) return std::nullopt;
    const Alert& a = it->second;
    nlohmann::json j = {{"fingerprint", a.fingerprint},
                        {"rule", a.rule},
                        {"group", a.group},
                        {"phase", static_cast<int>(a.phase)},
                        {"first_seen", to_unix_ms(a.first_seen)},
                        {"resolved_at", to_unix_ms(a.resolved_at)},
                        {"changes", times_json(a.changes)}};
    if (record_follows_ticket(a)) {  // last_seen is the ticket's; event_count unused while firing
      j["follows_ticket"] = true;
      return dump(j);
    }
    j["last_seen"] = to_unix_ms(a.last_seen);
    j["event_count"] = a.event_count;
    j["hits"] = times_json(a.hits);
    j["captures"] = captures_json(a.captures);
    if (a.event) j["event"] = event_to_json(*a.event);
    return dump(j);
  }
  if (key.rfind("g/", 0) == 0) {
    auto it = groups_.find(std::string(id));
    if (it == groups_.end()) return std::nullopt;
    const Group& g = it->second;
    nlohmann::json j = {{"id", g.id},
                        {"rule", g.rule},
                        {"ticket", g.ticket_key},
                        {"wait_until", to_unix_ms(g.wait_until)},
                        {"alerts", g.alerts},
                        {"captures", captures_json(g.captures)},
                        {"waiting_events", g.waiting_events},
                        {"resolved", g.resolved},
                        {"resolved_at", to_unix_ms(g.resolved_at)},
                        {"flapping", g.flapping},
                        {"storm", g.storm}};
    if (g.first_event) j["first_event"] = event_to_json(*g.first_event);
    return dump(j);
  }
  if (key.rfind("t/", 0) == 0) {  // open tickets come from the store
    auto it = tickets_.find(std::string(id));
    if (it == tickets_.end() || is_open(it->second.status)) return std::nullopt;
    return dump(ticket_to_json(it->second));
  }
  if (key.rfind("e/", 0) == 0) {
    auto it = escalated_.find(std::string(id));
    if (it == escalated_.end() || it->second.empty()) return std::nullopt;
    return dump(it->second);
  }
  if (key.rfind("p/", 0) == 0) {
    auto it = problems_.find(std::string(id));
    if (it == problems_.end()) return std::nullopt;
    nlohmann::json inc = nlohmann::json::array();
    for (const auto& [at, k] : it->second.incidents) inc.push_back({to_unix_ms(at), k});
    return dump({{"key", it->first}, {"incidents", inc}, {"open", it->second.open_key}});
  }
  if (key == "storm") {
    if (opened_.empty() && storm_group_.empty()) return std::nullopt;
    return dump({{"opened", times_json(opened_)},
                 {"storm_group", storm_group_},
                 {"storm_until", to_unix_ms(storm_until_)}});
  }
  return std::nullopt;
}

bool Engine::holds_record(const std::string& key) const {
  const std::string id = key.substr(std::min<size_t>(2, key.size()));
  if (key.rfind("a/", 0) == 0) return alerts_.count(id) > 0;
  if (key.rfind("g/", 0) == 0) return groups_.count(id) > 0;
  if (key.rfind("t/", 0) == 0) {
    auto it = tickets_.find(id);
    return it != tickets_.end() && !is_open(it->second.status);
  }
  if (key.rfind("e/", 0) == 0) {
    auto it = escalated_.find(id);
    return it != escalated_.end() && !it->second.empty();
  }
  if (key.rfind("p/", 0) == 0) return problems_.count(id) > 0;
  if (key == "storm") return !opened_.empty() || !storm_group_.empty();
  return false;
}

StateChanged Engine::take_state_changes() {
  StateChanged out;
  out.records.reserve(changed_state_.size());
  for (const std::string& key : changed_state_) out.records.push_back({key, state_record(key)});
  changed_state_.clear();
  return out;
}

std::map<std::string, std::string> Engine::state_records() const {
  std::vector<std::string> keys;
  for (const auto& [fp, a] : alerts_) keys.push_back("a/" + fp);
  for (const auto& [id, g] : groups_) keys.push_back("g/" + id);
  for (const auto& [key, t] : tickets_) keys.push_back("t/" + key);
  for (const auto& [key, names] : escalated_) keys.push_back("e/" + key);
  for (const auto& [key, w] : problems_) keys.push_back("p/" + key);
  keys.push_back("storm");
  std::map<std::string, std::string> out;
  for (const auto& key : keys) {
    if (auto v = state_record(key)) out[key] = std::move(*v);
  }
  return out;
}

Status Engine::restore(const EngineState& state) {
  // Rebuilt aside and swapped in whole, so a failure never leaves this
  // engine half rebuilt.
  Engine fresh(rules_);
  fresh.default_rule_ = default_rule_;
  fresh.batch_mode_ = batch_mode_;
  fresh.hits_ = hits_;
  fresh.adopt_tickets(state);
  Status st = Status::ok();
  if (!state.records.empty()) {
    Engine tickets_only = fresh;
    try {
      fresh.adopt_records(state.records);
    } catch (const std::exception& e) {
      // An unreadable record costs the pending correlation state (threshold
      // windows, group_wait), never the open tickets.
      fresh = std::move(tickets_only);
      st = Status::io_error(
          std::string("engine state records are unreadable, rebuilt from open tickets only: ") +
          e.what());
    }
  }
  fresh.adopt_orphan_tickets();
  // Stored records the engine did not take (a ticket closed since, a stray
  // probe) are deleted with the next batch.
  for (const auto& [key, value] : state.records) {
    if (!fresh.holds_record(key)) fresh.touch(key);
  }
  *this = std::move(fresh);
  return st;
}

void Engine::adopt_tickets(const EngineState& state) {
  last_seq_ = state.last_seq;
  for (const std::string& body : state.silences) {
    auto parsed = saved_silence(SilenceSaved{{}, {}, body});
    if (!parsed) continue;  // unreadable: that silence is gone, the rest stay
    const Silence& s = *parsed;
    silences_[s.id] = s;
    if (s.id.rfind("s-", 0) == 0) {
      try {
        last_silence_ = std::max<int64_t>(last_silence_, std::stoll(s.id.substr(2)));
      } catch (...) {
      }
    }
  }
  for (const Ticket& t : state.open_tickets) {
    if (!is_open(t.status)) continue;
    tickets_[t.key] = t;
    if (t.type == TicketType::kChange) changes_.push_back(t.key);
  }
}

void Engine::adopt_records(const std::vector<std::pair<std::string, std::string>>& records) {
  // Each record is parsed and adopted on its own (no document of the whole
  // state is built), in the order adoption needs: resolved tickets before
  // the groups that refer to them, groups before their alerts, tickets
  // before their escalations. parse() throws on a corrupt record.
  const std::pair<const char*, void (Engine::*)(const std::string&, const nlohmann::json&)>
      kinds[] = {
          {"t/", &Engine::adopt_resolved_ticket}, {"g/", &Engine::adopt_group},
          {"a/", &Engine::adopt_alert},           {"p/", &Engine::adopt_problem},
          {"e/", &Engine::adopt_escalated},       {"storm", &Engine::adopt_storm},
      };
  for (const auto& [prefix, adopt] : kinds) {
    for (const auto& [key, text] : records) {
      if (key.rfind(prefix, 0) != 0) continue;
      (this->*adopt)(key, nlohmann::json::parse(text));
    }
  }
}

void Engine::adopt_resolved_ticket(const std::string&, const nlohmann::json& j) {
  Ticket t = ticket_from_json(j);
  if (!tickets_.count(t.key)) tickets_[t.key] = std::move(t);
}

void Engine::adopt_group(const std::string&, const nlohmann::json& j) {
  Group g;
  g.id = j.value("id", "");
  g.rule = j.value("rule", "");
  g.ticket_key = j.value("ticket", "");
  if (!g.ticket_key.empty() && !tickets_.count(g.ticket_key)) return;  // ticket closed since
  g.wait_until = from_unix_ms(j.value("wait_until", int64_t{0}));
  g.alerts = j.value("alerts", std::vector<std::string>{});
  if (auto it = j.find("first_event"); it != j.end() && it->is_object()) {
    if (auto e = event_from_json(*it, TimePoint{}))
      g.first_event = std::make_shared<const Event>(std::move(e).value());
  }
  g.captures = captures_from(j.value("captures", nlohmann::json::object()));
  g.waiting_events = j.value("waiting_events", int64_t{0});
  g.resolved = j.value("resolved", false);
  g.resolved_at = from_unix_ms(j.value("resolved_at", int64_t{0}));
  g.flapping = j.value("flapping", false);
  g.storm = j.value("storm", false);
  std::string id = g.id;
  groups_[std::move(id)] = std::move(g);
}

void Engine::adopt_alert(const std::string&, const nlohmann::json& j) {
  Alert a;
  a.fingerprint = j.value("fingerprint", "");
  a.rule = j.value("rule", "");
  a.group = j.value("group", "");
  a.phase = static_cast<Alert::Phase>(std::clamp(j.value("phase", 0), 0, 2));
  if (a.phase != Alert::Phase::kPending && !groups_.count(a.group)) return;
  a.first_seen = from_unix_ms(j.value("first_seen", int64_t{0}));
  a.last_seen = from_unix_ms(j.value("last_seen", int64_t{0}));
  a.resolved_at = from_unix_ms(j.value("resolved_at", int64_t{0}));
  a.event_count = j.value("event_count", int64_t{0});
  a.hits = times_from(j.value("hits", nlohmann::json::array()));
  a.changes = times_from(j.value("changes", nlohmann::json::array()));
  if (auto it = j.find("event"); it != j.end() && it->is_object()) {
    if (auto e = event_from_json(*it, TimePoint{}))
      a.event = std::make_shared<const Event>(std::move(e).value());
  }
  a.captures = captures_from(j.value("captures", nlohmann::json::object()));
  if (j.value("follows_ticket", false)) {
    auto g = groups_.find(a.group);
    const Ticket* t = g == groups_.end() ? nullptr : ticket(g->second.ticket_key);
    if (t) a.last_seen = t->last_seen;
  }
  std::string fp = a.fingerprint;
  alerts_[std::move(fp)] = std::move(a);
}

void Engine::adopt_problem(const std::string&, const nlohmann::json& j) {
  ProblemWindow w;
  if (auto it = j.find("incidents"); it != j.end() && it->is_array()) {
    for (const auto& x : *it) {
      if (x.is_array() && x.size() == 2)
        w.incidents.emplace_back(from_unix_ms(x[0].get<int64_t>()), x[1].get<std::string>());
    }
  }
  w.open_key = j.value("open", "");
  problems_[j.value("key", "")] = std::move(w);
}

void Engine::adopt_escalated(const std::string& key, const nlohmann::json& names) {
  const std::string ticket = key.substr(2);
  if (tickets_.count(ticket)) escalated_[ticket] = names.get<std::set<std::string>>();
}

void Engine::adopt_storm(const std::string&, const nlohmann::json& j) {
  if (!j.is_object()) return;
  opened_ = times_from<std::deque<TimePoint>>(j.value("opened", nlohmann::json::array()));
  storm_group_ = j.value("storm_group", "");
  storm_until_ = from_unix_ms(j.value("storm_until", int64_t{0}));
}

void Engine::adopt_ticket_group(const Ticket& t) {
  if (t.type == TicketType::kProblem || t.type == TicketType::kChange || t.fingerprint.empty())
    return;
  Group g;
  g.id = t.fingerprint;  // a ticket's fingerprint is its group's id
  g.rule = t.rule;
  g.ticket_key = t.key;
  std::vector<AlertRef> refs =
      t.alerts.empty() ? std::vector<AlertRef>{{t.fingerprint, "firing"}} : t.alerts;
  for (const AlertRef& r : refs) {
    g.alerts.push_back(r.fingerprint);
    if (r.status != "firing" || alerts_.count(r.fingerprint)) continue;
    Alert a;
    a.fingerprint = r.fingerprint;
    a.rule = t.rule;
    a.group = g.id;
    a.phase = Alert::Phase::kFiring;
    a.first_seen = t.first_seen;
    a.last_seen = t.last_seen;
    touch_alert(a.fingerprint);
    index_firing(a);
    alerts_[a.fingerprint] = std::move(a);
  }
  touch_group(g.id);
  groups_[g.id] = std::move(g);
}

void Engine::adopt_orphan_tickets() {
  changed_state_.clear();  // what was read is what is stored
  // Open tickets the state records do not know (a store written before the
  // records existed, or records lost): rebuild them as groups of their
  // alerts so dedup continues, and write those with the next batch.
  std::set<std::string> held;
  for (const auto& [id, g] : groups_) held.insert(g.ticket_key);
  for (const auto& [key, t] : tickets_) {
    if (is_open(t.status) && !held.count(key)) adopt_ticket_group(t);
  }
  for (const auto& [fp, a] : alerts_) {
    if (a.phase == Alert::Phase::kFiring) index_firing(a);
  }
  rebuild_timers();
}

}  // namespace ticketd::engine
