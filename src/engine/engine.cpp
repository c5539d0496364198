#include "ticketd/engine/engine.hpp"

#include <algorithm>

#include "engine_internal.hpp"
#include "ticketd/core/json.hpp"

namespace ticketd::engine {

SilenceSaved silence_saved(const Silence& s) {
  return SilenceSaved{s.id, s.ends_at,
                      silence_to_json(s, s.starts_at)
                          .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)};
}

Result<Silence> saved_silence(const SilenceSaved& saved) {
  auto j = parse_json(saved.body);
  if (!j) return j.error();
  return silence_from_json(*j, TimePoint{});
}

nlohmann::json action_to_json(const Action& a) {
  return std::visit(
      [](const auto& x) -> nlohmann::json {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, TicketOpened>) {
          return {{"action", "ticket_opened"}, {"ticket", ticket_to_json(x.ticket)}};
        } else if constexpr (std::is_same_v<T, TicketUpdated>) {
          return {{"action", "ticket_updated"}, {"ticket", ticket_to_json(x.ticket)}};
        } else if constexpr (std::is_same_v<T, TimelineAdded>) {
          auto j = timeline_entry_to_json(x.entry);
          j["ticket"] = x.entry.ticket_key;
          return {{"action", "timeline"}, {"entry", j}};
        } else if constexpr (std::is_same_v<T, EventRecorded>) {
          nlohmann::json j = {{"action", "event"},
                              {"decision", decision_name(x.decision)},
                              {"event", event_to_json(x.event)}};
          if (!x.rule.empty()) j["rule"] = x.rule;
          if (!x.ticket_key.empty()) j["ticket"] = x.ticket_key;
          if (!x.detail.empty()) j["detail"] = x.detail;
          return j;
        } else if constexpr (std::is_same_v<T, ProblemLinked>) {
          return {{"action", "problem_linked"},
                  {"problem", x.problem_key},
                  {"incident", x.incident_key}};
        } else if constexpr (std::is_same_v<T, SilenceSaved>) {
          auto j = parse_json(x.body);
          return {{"action", "silence_saved"}, {"silence", j ? *j : nlohmann::json(x.id)}};
        } else if constexpr (std::is_same_v<T, Notify>) {
          return {{"action", "notify"},
                  {"target", x.target},
                  {"ticket", x.ticket_key},
                  {"message", x.message}};
        } else if constexpr (std::is_same_v<T, OutboxQueued>) {
          return {{"action", "outbox"},
                  {"target", x.target},
                  {"ticket", x.ticket_key},
                  {"kind", x.kind}};
        } else {
          static_assert(std::is_same_v<T, StateChanged>, "every action type has a JSON form");
          return {{"action", "state_changed"}, {"records", x.records.size()}};
        }
      },
      a);
}

nlohmann::json Explanation::to_json() const {
  nlohmann::json rules_json = nlohmann::json::array();
  for (const RuleTrace& r : rules) {
    nlohmann::json j = {
        {"rule", r.rule}, {"matched", r.matched}, {"reason", r.reason}, {"failed", r.failed}};
    if (!r.captures.empty()) j["captures"] = captures_json(r.captures);
    if (!r.fingerprint.empty()) j["fingerprint"] = r.fingerprint;
    if (!r.group.empty()) j["group"] = r.group;
    rules_json.push_back(std::move(j));
  }
  nlohmann::json decisions = nlohmann::json::array();
  nlohmann::json actions_json = nlohmann::json::array();
  for (const Action& a : actions) {
    if (const auto* rec = std::get_if<EventRecorded>(&a)) {
      nlohmann::json d = {{"decision", decision_name(rec->decision)}};
      if (!rec->rule.empty()) d["rule"] = rec->rule;
      if (!rec->ticket_key.empty()) d["ticket"] = rec->ticket_key;
      if (!rec->detail.empty()) d["detail"] = rec->detail;
      decisions.push_back(std::move(d));
    } else {
      actions_json.push_back(action_to_json(a));
    }
  }
  nlohmann::json out = {{"rules", rules_json}, {"decisions", decisions}, {"actions", actions_json}};
  out["decision"] = decisions.empty() ? "unmatched" : decisions[0]["decision"];
  return out;
}

Engine::Engine(std::shared_ptr<const rules::RuleSet> rules) : rules_(std::move(rules)) {
  if (!rules_) rules_ = std::make_shared<const rules::RuleSet>();
}

void Engine::set_rules(std::shared_ptr<const rules::RuleSet> rules) {
  if (!rules) return;
  // Drop pending state (threshold windows, waiting groups) of rules that
  // changed or disappeared; alerts with tickets stay so dedup continues.
  for (auto it = alerts_.begin(); it != alerts_.end();) {
    const rules::Rule* before = rules_->find(it->second.rule);
    const rules::Rule* after = rules->find(it->second.rule);
    const bool unchanged = before && after && before->digest == after->digest;
    if (!unchanged && it->second.phase == Alert::Phase::kPending) {
      unindex(it->second);
      touch_alert(it->first);
      it = alerts_.erase(it);
    } else {
      ++it;
    }
  }
  for (auto it = groups_.begin(); it != groups_.end();) {
    const rules::Rule* before = rules_->find(it->second.rule);
    const rules::Rule* after = rules->find(it->second.rule);
    const bool unchanged = before && after && before->digest == after->digest;
    if (!unchanged && it->second.ticket_key.empty() && !it->second.storm) {
      for (const auto& fp : it->second.alerts) erase_alert(fp);
      touch_group(it->first);
      it = groups_.erase(it);
    } else {
      ++it;
    }
  }
  rules_ = std::move(rules);
  rebuild_timers();  // deadlines depend on the rules (auto_resolve_after, windows, SLA)
}

std::string Engine::next_key(TicketType type) { return format_ticket_key(type, ++last_seq_[type]); }

Ticket* Engine::ticket(const std::string& key) {
  auto it = tickets_.find(key);
  return it == tickets_.end() ? nullptr : &it->second;
}

size_t Engine::open_ticket_count() const { return open_keys_.size(); }

std::map<std::string, int64_t> Engine::open_tickets_by_rule() const {
  std::map<std::string, int64_t> out;
  for (const auto& [key, t] : tickets_) {
    if (is_open(t.status)) ++out[t.rule];
  }
  return out;
}

void Engine::note(Context& cx, const std::string& key, TimePoint now, std::string kind,
                  std::string message, nlohmann::json details) {
  cx.out.emplace_back(
      TimelineAdded{{key, now, "engine", std::move(kind), std::move(message),
                     details.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)}});
}

void Engine::update(Ticket& t, TimePoint now, Context& cx) {
  t.updated_at = std::max(t.updated_at, now);
  touch_ticket_state(t.key);
  ticket_changed(t);
  if (batch_mode_) {
    changed_tickets_.insert(t.key);
    changed_fully_.insert(t.key);
  } else {
    cx.out.emplace_back(TicketUpdated{t});
  }
}

void Engine::update_counters(Ticket& t, TimePoint now, Context& cx) {
  if (!is_open(t.status)) return update(t, now, cx);  // its state record holds the counters too
  t.updated_at = std::max(t.updated_at, now);
  if (batch_mode_) {
    changed_tickets_.insert(t.key);
  } else {
    cx.out.emplace_back(TicketUpdated{t, true});
  }
}

Actions Engine::flush_updates() {
  Actions out;
  for (const auto& key : changed_tickets_) {
    if (const Ticket* t = ticket(key)) {
      out.emplace_back(TicketUpdated{*t, changed_fully_.count(key) == 0});
    } else if (auto gone = forgotten_.find(key); gone != forgotten_.end()) {
      out.emplace_back(TicketUpdated{std::move(gone->second)});
    }
  }
  changed_tickets_.clear();
  changed_fully_.clear();
  forgotten_.clear();
  return out;
}

void Engine::set_alert_status(Ticket& t, const std::string& fp, const char* status) {
  constexpr size_t kIndexFrom = 64;  // below, a linear search is as cheap
  if (t.alerts.size() < kIndexFrom) return set_alert_status_linear(t, fp, status);
  // A ticket's alerts only grow (here), so an index whose count matches the
  // list is complete; a position is still checked before it is trusted.
  AlertIndex& idx = alert_index_[t.key];
  auto rebuild = [&] {
    idx.pos.clear();
    for (size_t i = 0; i < t.alerts.size(); ++i) idx.pos.emplace(t.alerts[i].fingerprint, i);
    idx.count = t.alerts.size();
  };
  if (idx.count != t.alerts.size()) rebuild();
  auto it = idx.pos.find(fp);
  if (it != idx.pos.end() &&
      (it->second >= t.alerts.size() || t.alerts[it->second].fingerprint != fp)) {
    rebuild();
    it = idx.pos.find(fp);
  }
  if (it != idx.pos.end()) {
    t.alerts[it->second].status = status;
    return;
  }
  idx.pos.emplace(fp, t.alerts.size());
  t.alerts.push_back({fp, status});
  idx.count = t.alerts.size();
}

void Engine::erase_ticket(const std::string& key_ref) {
  const std::string key = key_ref;  // callers may pass the map's own key
  auto it = tickets_.find(key);
  if (it == tickets_.end()) return;
  alert_index_.erase(key);
  // A change not yet reported must survive the ticket leaving the engine.
  if (changed_tickets_.count(key)) forgotten_[key] = std::move(it->second);
  tickets_.erase(it);
  open_keys_.erase(key);
  escalated_.erase(key);
  touch_ticket_state(key);
  changes_.erase(std::remove(changes_.begin(), changes_.end(), key), changes_.end());
}

std::string Engine::fingerprint_of(const rules::Rule& rule, const Event& event,
                                   const rules::Captures& captures) const {
  const rules::VarLookup vars = [&](std::string_view name) -> std::optional<std::string> {
    if (auto it = captures.find(name); it != captures.end()) return it->second;
    if (name == "rule") return rule.name;
    return event.field(name);
  };
  if (!rule.fingerprint) {
    // Senders that identify their alerts: PagerDuty's dedup_key is the
    // fingerprint; Alertmanager's and Grafana's alert fingerprint too.
    if (event.source == "pagerduty") {
      if (auto k = event.labels.find("dedup_key"); k != event.labels.end() && !k->second.empty())
        return k->second;
    }
    if (event.source == "alertmanager" || event.source == "grafana") {
      if (auto k = event.labels.find("fingerprint");
          k != event.labels.end() && !k->second.empty()) {
        return rule.name + "/" + k->second;
      }
    }
  }
  std::string fp = rule.fingerprint ? rule.fingerprint->render(vars, kFingerprintHashed)
                                    : rule.name + "/" + event.host;
  return fp.empty() ? rule.name : capped_identity(std::move(fp));
}

std::string Engine::group_of(const rules::Rule& rule, const std::string& fp,
                             const Event& event) const {
  if (rule.group_by.empty()) return fp;
  std::string id = rule.name;
  for (const auto& f : rule.group_by) id += "|" + event.field(f).value_or("");
  return id;
}

// ---- events ----

Actions Engine::process(const Event& event, TimePoint now) {
  Context cx;
  process_into(event, now, cx);
  return std::move(cx.out);
}

Explanation Engine::explain(const Event& event, TimePoint now) const {
  Engine copy = *this;
  Explanation ex;
  Context cx;
  cx.trace = &ex.rules;
  copy.process_into(event, now, cx);
  ex.actions = std::move(cx.out);
  return ex;
}

// A rule matched `event`: drop it, resolve, silence, inhibit or feed its
// alert. Returns true when the event was dropped (no later rule applies).
bool Engine::handle_match(const rules::Rule& rule, const Event& event,
                          const rules::Captures& captures, TimePoint now, Context& cx,
                          RuleTrace* tr) {
  if (rule.action == rules::RuleAction::kDrop) {
    if (tr) tr->reason = "matched: action drop";
    cx.out.emplace_back(EventRecorded{event, now, Decision::kDropped, rule.name, {}, {}});
    return true;
  }
  const std::string fp = fingerprint_of(rule, event, captures);
  if (tr) {
    tr->fingerprint = fp;
    tr->group = group_of(rule, fp, event);
  }
  EventRecorded rec{event, now, Decision::kPending, rule.name, {}, {}};
  if (event.status == "resolved") {
    rec.decision = Decision::kResolved;
    rec.detail = "status resolved";
    resolve_alert(fp, now, "a resolved event", cx, &rec);
  } else if (const Ticket* change = change_covering(event)) {
    Ticket& t = tickets_[change->key];
    ++t.suppressed_count;
    t.last_seen = std::max(t.last_seen, now);
    rec.decision = Decision::kSilenced;
    rec.ticket_key = t.key;
    rec.detail = "change " + t.key + " in progress";
    update(t, now, cx);
  } else if (const Silence* s = silenced_by(event, now)) {
    auto& live = silences_[s->id];
    ++live.silenced_count;
    rec.decision = Decision::kSilenced;
    rec.detail = "silence " + s->id;
    cx.out.emplace_back(silence_saved(live));
  } else if (std::string inhibit; const Ticket* source = inhibited_by(rule, event, &inhibit)) {
    Ticket& t = tickets_[source->key];
    ++t.suppressed_count;
    t.last_seen = std::max(t.last_seen, now);
    rec.decision = Decision::kInhibited;
    rec.ticket_key = t.key;
    rec.detail = "inhibit " + inhibit;
    update(t, now, cx);
  } else {
    on_alert_event(rule, fp, event, captures, now, cx, rec);
  }
  if (tr) {
    tr->reason = std::string("matched: ") + decision_name(rec.decision) +
                 (rec.ticket_key.empty() ? "" : " " + rec.ticket_key) +
                 (rec.detail.empty() ? "" : " (" + rec.detail + ")");
  }
  cx.out.emplace_back(std::move(rec));
  return false;
}

void Engine::process_into(const Event& event, TimePoint now, Context& cx) {
  bool decided = false;
  const auto& all = rules_->rules();
  std::vector<size_t> order;
  if (cx.trace) {
    order.resize(all.size());
    for (size_t i = 0; i < all.size(); ++i) order[i] = i;
  } else {
    order = rules_->candidates(event);
  }
  bool stopped = false;
  for (size_t idx : order) {
    const rules::Rule& rule = all[idx];
    RuleTrace* tr = nullptr;
    if (cx.trace) {
      cx.trace->push_back({rule.name, false, "", {}, "", "", {}});
      tr = &cx.trace->back();
      if (stopped) {
        tr->reason = "not tried: an earlier rule matched without continue";
        continue;
      }
    }
    rules::Captures captures;
    if (rule.resolve_when && rule.resolve_when->test(event, &captures)) {
      ++hits_[rule.name];
      decided = true;
      const std::string fp = fingerprint_of(rule, event, captures);
      EventRecorded rec{event, now, Decision::kResolved, rule.name, {}, "resolve_when"};
      resolve_alert(fp, now, "resolve_when of rule " + rule.name, cx, &rec);
      if (tr) {
        tr->matched = true;
        tr->captures = captures;
        tr->fingerprint = fp;
        tr->reason = "resolve_when matched";
      }
      cx.out.emplace_back(std::move(rec));
      if (!rule.continue_matching) stopped = true;
      if (stopped && !cx.trace) break;
      continue;
    }
    captures.clear();
    if (!rule.condition.test(event, &captures)) {
      if (tr) {
        tr->failed = rule.condition.failures(event);
        for (const auto& f : tr->failed) tr->reason += (tr->reason.empty() ? "" : "; ") + f;
      }
      continue;
    }
    ++hits_[rule.name];
    decided = true;
    if (tr) {
      tr->matched = true;
      tr->captures = captures;
    }
    if (handle_match(rule, event, captures, now, cx, tr)) {
      stopped = true;  // dropped
      if (!cx.trace) break;
      continue;
    }
    if (!rule.continue_matching) {
      stopped = true;
      if (!cx.trace) break;
    }
  }
  if (!decided && !default_rule_.empty()) {
    // Configured default rule: handles what no rule matched, as if it had.
    if (const rules::Rule* rule = rules_->find(default_rule_)) {
      ++hits_[rule->name];
      RuleTrace* tr = nullptr;
      if (cx.trace) {
        cx.trace->push_back({rule->name, true, "", {}, "", "", {}});
        tr = &cx.trace->back();
      }
      handle_match(*rule, event, {}, now, cx, tr);
      if (tr) tr->reason = "default rule: " + tr->reason;
      decided = true;
    }
  }
  if (!decided) cx.out.emplace_back(EventRecorded{event, now, Decision::kUnmatched, {}, {}, {}});
}

const Silence* Engine::silenced_by(const Event& event, TimePoint now) const {
  for (const auto& [id, s] : silences_) {
    if (s.active(now) && s.matches(event)) return &s;
  }
  return nullptr;
}

const Ticket* Engine::change_covering(const Event& event) const {
  if (event.host.empty()) return nullptr;
  for (const auto& key : changes_) {
    auto it = tickets_.find(key);
    if (it == tickets_.end()) continue;
    const Ticket& t = it->second;
    if (t.status != TicketStatus::kInProgress) continue;
    auto hosts = t.labels.find("hosts");
    if (hosts == t.labels.end()) continue;
    std::string_view list = hosts->second;
    for (;;) {
      size_t sep = list.find_first_of(", ");
      if (list.substr(0, sep) == event.host) return &t;
      if (sep == std::string_view::npos) break;
      list.remove_prefix(sep + 1);
    }
  }
  return nullptr;
}

const Ticket* Engine::inhibited_by(const rules::Rule& rule, const Event& event,
                                   std::string* inhibit_name) const {
  for (const rules::InhibitRule& inh : rules_->inhibits) {
    if (!inh.target.matches(rule.name, event)) continue;
    // Only firing alerts of the source rules are candidates (an index, not a scan).
    std::vector<const Alert*> candidates;
    for (const auto& [source_rule, fps] : firing_by_rule_) {
      if (source_rule == rule.name) continue;
      if (!inh.source.rules.empty() && std::find(inh.source.rules.begin(), inh.source.rules.end(),
                                                 source_rule) == inh.source.rules.end()) {
        continue;
      }
      for (const auto& fp : fps) {
        auto it = alerts_.find(fp);
        if (it != alerts_.end()) candidates.push_back(&it->second);
      }
    }
    for (const Alert* ap : candidates) {
      const Alert& a = *ap;
      if (a.phase != Alert::Phase::kFiring || a.rule == rule.name) continue;
      const Event& latest = a.event ? *a.event : kNoEvent;
      if (!inh.source.matches(a.rule, latest)) continue;
      bool equal = true;
      for (const auto& f : inh.equal) equal = equal && latest.field(f) == event.field(f);
      if (!equal) continue;
      auto g = groups_.find(a.group);
      if (g == groups_.end() || g->second.ticket_key.empty()) continue;
      auto t = tickets_.find(g->second.ticket_key);
      if (t == tickets_.end() || !is_open(t->second.status)) continue;
      *inhibit_name = inh.name;
      return &t->second;
    }
  }
  return nullptr;
}

bool Engine::record_follows_ticket(const Alert& a) const {
  if (a.phase != Alert::Phase::kFiring || a.event) return false;
  auto g = groups_.find(a.group);
  return g != groups_.end() && !g->second.ticket_key.empty() && g->second.alerts.size() == 1 &&
         g->second.alerts.front() == a.fingerprint && tickets_.count(g->second.ticket_key) > 0;
}

void Engine::touch_group(const std::string& id) {
  touch("g/" + id);
  // A group's only alert may have a record that follows its ticket
  // (record_follows_ticket); a change of the group may end that.
  auto g = groups_.find(id);
  if (g != groups_.end() && g->second.alerts.size() <= 2) {
    for (const auto& fp : g->second.alerts) touch_alert(fp);
  }
}

void Engine::on_alert_event(const rules::Rule& rule, const std::string& fp, const Event& event,
                            const rules::Captures& captures, TimePoint now, Context& cx,
                            EventRecorded& rec) {
  // A deduplicated event into an alert whose record follows its ticket
  // changes nothing that record holds: it is not rewritten (the ticket's
  // counters, written anyway, carry last_seen).
  const auto before = alerts_.find(fp);
  const bool quiet = before != alerts_.end() && record_follows_ticket(before->second);
  alert_event(rule, fp, event, captures, now, cx, rec);
  const auto after = alerts_.find(fp);
  if (!quiet || after == alerts_.end() || !record_follows_ticket(after->second)) touch_alert(fp);
}

void Engine::alert_event(const rules::Rule& rule, const std::string& fp, const Event& event,
                         const rules::Captures& captures, TimePoint now, Context& cx,
                         EventRecorded& rec) {
  auto [it, created] = alerts_.try_emplace(fp);
  Alert& a = it->second;
  if (created) {
    a.fingerprint = fp;
    a.rule = rule.name;
    a.first_seen = now;
    a.captures = captures;
  }
  a.last_seen = now;
  // The latest event is kept only where inhibition reads it: alerts of a
  // rule that can be an inhibit source. Everything else uses `event`.
  if (may_inhibit(rule.name)) {
    a.event = std::make_shared<const Event>(event);
  } else {
    a.event.reset();
  }

  if (a.phase == Alert::Phase::kFiring) {
    ++a.event_count;
    auto g = groups_.find(a.group);
    if (g == groups_.end()) return;  // cannot happen; keep going
    if (g->second.ticket_key.empty()) {
      touch_group(g->first);
      ++g->second.waiting_events;
      rec.decision = Decision::kPending;
      rec.detail = "group_wait";
      return;
    }
    Ticket* t = ticket(g->second.ticket_key);
    if (!t) return;
    ++t->event_count;
    t->last_seen = now;
    rec.decision = Decision::kDeduplicated;
    rec.ticket_key = t->key;
    // Every event is on the timeline up to kTimelineEveryEventUpTo; beyond
    // that one entry per kTimelineEventStride keeps chatty alerts readable
    // (every event stays in the ticket's events).
    if (t->event_count <= kTimelineEveryEventUpTo || t->event_count % kTimelineEventStride == 0) {
      std::string msg = "event #" + std::to_string(t->event_count) + ": " + shorten(event.message);
      if (t->event_count == kTimelineEveryEventUpTo) {
        msg += " (from here on, one timeline entry per " + std::to_string(kTimelineEventStride) +
               " events)";
      }
      note(cx, t->key, now, "event", msg,
           {{"rule", rule.name}, {"fingerprint", fp}, {"event_count", t->event_count}});
    }
    update_counters(*t, now, cx);
    return;
  }

  if (a.phase == Alert::Phase::kResolved) {
    a.event_count = 0;
    a.captures = captures;
  }
  ++a.event_count;
  if (rule.threshold) {
    a.hits.push_back(now);
    drop_expired(a.hits, [&](TimePoint t) { return t <= now - rule.threshold->within; });
    if (a.hits.size() == 1) timers_.schedule(now + rule.threshold->within, TimerKind::kWindow, fp);
    if (static_cast<int64_t>(a.hits.size()) < rule.threshold->count) {
      rec.decision = Decision::kPending;
      rec.detail = "threshold " + std::to_string(a.hits.size()) + "/" +
                   std::to_string(rule.threshold->count) + " within " +
                   format_duration(rule.threshold->within);
      return;  // a resolved alert stays resolved until the threshold is met again
    }
    a.event_count = static_cast<int64_t>(a.hits.size());
    a.hits.clear();
  }
  fire(rule, a, event, now, cx, rec);
  // The captures seeded the alert's group; a firing alert needs them no more
  // (they are set again when it fires after resolving).
  if (auto it2 = alerts_.find(fp);
      it2 != alerts_.end() && it2->second.phase == Alert::Phase::kFiring) {
    it2->second.captures.clear();
  }
}

bool Engine::may_inhibit(const std::string& rule_name) const {
  for (const rules::InhibitRule& inh : rules_->inhibits) {
    if (inh.source.rules.empty() || std::find(inh.source.rules.begin(), inh.source.rules.end(),
                                              rule_name) != inh.source.rules.end()) {
      return true;
    }
  }
  return false;
}

void Engine::fire(const rules::Rule& rule, Alert& a, const Event& event, TimePoint now, Context& cx,
                  EventRecorded& rec) {
  const bool was_resolved = a.phase == Alert::Phase::kResolved;
  touch_alert(a.fingerprint);
  a.phase = Alert::Phase::kFiring;
  index_firing(a);
  if (rule.auto_resolve_after)
    timers_.schedule(a.last_seen + *rule.auto_resolve_after, TimerKind::kAutoResolve,
                     a.fingerprint);
  const std::string group_id =
      was_resolved && !a.group.empty() ? a.group : group_of(rule, a.fingerprint, event);
  a.group = group_id;
  touch_group(group_id);
  auto git = groups_.find(group_id);
  Group* g = git == groups_.end() ? nullptr : &git->second;
  if (was_resolved) note_change(&rule, a, g, now, cx);

  if (g && !g->ticket_key.empty()) {
    Ticket* t = ticket(g->ticket_key);
    if (t && g->resolved) {
      const bool within = rule.reopen_window && now - g->resolved_at <= *rule.reopen_window;
      if (!within) {
        forget_group(group_id);
        g = nullptr;
      } else {
        g->resolved = false;
        t->status = TicketStatus::kInProgress;
        t->resolved_at.reset();
        t->resolution = {};
        t->event_count += a.event_count;
        t->last_seen = now;
        set_alert_status(*t, a.fingerprint, "firing");
        if (std::find(g->alerts.begin(), g->alerts.end(), a.fingerprint) == g->alerts.end()) {
          g->alerts.push_back(a.fingerprint);
        }
        rec.decision = Decision::kReopened;
        rec.ticket_key = t->key;
        note(cx, t->key, now, "status",
             "reopened: " + a.fingerprint + " recurred within the reopen window of " +
                 format_duration(*rule.reopen_window),
             {{"from", "resolved"}, {"to", "in_progress"}, {"fingerprint", a.fingerprint}});
        update(*t, now, cx);
        return;
      }
    } else if (t) {
      const bool known =
          std::find(g->alerts.begin(), g->alerts.end(), a.fingerprint) != g->alerts.end();
      if (!known) g->alerts.push_back(a.fingerprint);
      t->event_count += a.event_count;
      t->last_seen = now;
      set_alert_status(*t, a.fingerprint, "firing");
      rec.decision = known ? Decision::kDeduplicated : Decision::kGrouped;
      rec.ticket_key = t->key;
      note(cx, t->key, now, "alert",
           (known ? "alert firing again: " : "alert joined: ") + a.fingerprint + ": " +
               shorten(event.message),
           {{"rule", rule.name}, {"fingerprint", a.fingerprint}});
      update(*t, now, cx);
      return;
    } else {
      forget_group(group_id);
      g = nullptr;
    }
  }
  if (g) {  // waiting for group_wait
    if (std::find(g->alerts.begin(), g->alerts.end(), a.fingerprint) == g->alerts.end())
      g->alerts.push_back(a.fingerprint);
    g->waiting_events += a.event_count;
    rec.decision = Decision::kPending;
    rec.detail = "group_wait until " + format_rfc3339(g->wait_until);
    return;
  }
  Group& ng = groups_[group_id];
  ng.id = group_id;
  ng.rule = rule.name;
  ng.alerts = {a.fingerprint};
  ng.first_event = std::make_shared<const Event>(event);
  ng.captures = a.captures;
  ng.waiting_events = a.event_count;
  if (rule.group_wait > Duration::zero()) {
    ng.wait_until = now + rule.group_wait;
    timers_.schedule(ng.wait_until, TimerKind::kGroupWait, group_id);
    rec.decision = Decision::kPending;
    rec.detail = "group_wait until " + format_rfc3339(ng.wait_until);
    return;
  }
  const bool stormed = open_group_ticket(ng, now, cx, &rec.ticket_key);
  rec.decision = stormed ? Decision::kGrouped : Decision::kTicketed;
  if (stormed) rec.detail = "storm";
}

void Engine::forget_group(const std::string& id) {
  auto it = groups_.find(id);
  if (it == groups_.end()) return;
  touch_group(id);
  // Resolved alerts left without a group are forgotten by the next tick.
  for (const auto& fp : it->second.alerts) timers_.schedule(TimePoint{}, TimerKind::kWindow, fp);
  if (!it->second.ticket_key.empty()) {
    auto t = tickets_.find(it->second.ticket_key);
    if (t != tickets_.end() && !is_open(t->second.status)) erase_ticket(t->first);
  }
  groups_.erase(it);
}

// Above the storm threshold, a new ticket is not opened: the group's alerts
// join the storm incident instead. Returns true when redirected.
bool Engine::storm_redirect(Group& g, TimePoint now, Context& cx) {
  const rules::StormRule& storm = rules_->storm;
  if (storm.threshold <= 0) return false;
  touch_storm();
  while (!opened_.empty() && opened_.front() <= now - storm.within) opened_.pop_front();
  Ticket* st = nullptr;
  if (!storm_group_.empty() && now < storm_until_) {
    auto sg = groups_.find(storm_group_);
    if (sg != groups_.end()) st = ticket(sg->second.ticket_key);
    if (st && !is_open(st->status)) st = nullptr;
  }
  if (!st) {
    if (static_cast<int64_t>(opened_.size()) < storm.threshold) {
      opened_.push_back(now);
      return false;
    }
    // Start a storm: one incident collects every new alert for the window.
    Ticket t;
    t.type = TicketType::kIncident;
    t.key = next_key(t.type);
    t.title = "Alert storm: more than " + std::to_string(storm.threshold) + " new tickets within " +
              format_duration(storm.within);
    t.description =
        "ticketd stopped opening one ticket per alert; new alerts are collected here until " +
        format_rfc3339(now + storm.within) + ". Labels count them by rule.";
    t.impact = Level::kHigh;
    t.urgency = Level::kHigh;
    t.priority = priority_from(t.impact, t.urgency);
    t.category = "storm";
    t.rule = "storm";
    t.fingerprint = "storm/" + t.key;
    t.first_seen = t.last_seen = t.created_at = t.updated_at = now;
    apply_sla(t);
    storm_group_ = t.fingerprint;
    storm_until_ = now + storm.within;
    Group& sg = groups_[storm_group_];
    sg.id = storm_group_;
    sg.rule = "storm";
    sg.ticket_key = t.key;
    sg.storm = true;
    tickets_[t.key] = t;
    ticket_changed(t);
    cx.out.emplace_back(TicketOpened{t});
    note(cx, t.key, now, "created",
         "storm started: " + std::to_string(opened_.size()) + " tickets opened within " +
             format_duration(storm.within));
    st = &tickets_[t.key];
  }
  Group& sg = groups_[storm_group_];
  touch_group(storm_group_);
  for (const auto& fp : g.alerts) {
    auto a = alerts_.find(fp);
    if (a == alerts_.end()) continue;
    touch_alert(fp);
    a->second.group = storm_group_;
    sg.alerts.push_back(fp);
    set_alert_status(*st, fp, "firing");
  }
  st->event_count += g.waiting_events;
  st->last_seen = now;
  const std::string count_label = "storm." + g.rule;
  int64_t so_far = 0;
  if (auto it = st->labels.find(count_label); it != st->labels.end()) {
    so_far = std::strtoll(it->second.c_str(), nullptr, 10);
  }
  st->labels[count_label] = std::to_string(so_far + 1);
  note(cx, st->key, now, "alert",
       "collected " + std::to_string(g.alerts.size()) + " alert(s) of rule " + g.rule,
       {{"rule", g.rule}, {"fingerprints", g.alerts}});
  update(*st, now, cx);
  const std::string id = g.id;
  touch_group(id);
  groups_.erase(id);  // `g` is gone from here on
  return true;
}

void Engine::apply_sla(Ticket& t) const {
  auto it = rules_->sla.find(t.priority);
  if (it == rules_->sla.end()) return;
  if (it->second.respond) t.respond_by = t.created_at + *it->second.respond;
  if (it->second.resolve) t.resolve_by = t.created_at + *it->second.resolve;
}

void Engine::follow_sla(Ticket& t, TimePoint now, Context& cx) {
  const std::optional<TimePoint> respond = t.respond_by, resolve = t.resolve_by;
  t.respond_by.reset();
  t.resolve_by.reset();
  apply_sla(t);
  if (t.respond_by == respond && t.resolve_by == resolve) return;
  auto when = [](const std::optional<TimePoint>& at) {
    return at ? nlohmann::json(format_rfc3339(*at)) : nlohmann::json();
  };
  auto text = [](const std::optional<TimePoint>& at) {
    return at ? format_rfc3339(*at) : std::string("none");
  };
  note(cx, t.key, now, "sla",
       "SLA targets for " + priority_name(t.priority) + ": respond by " + text(t.respond_by) +
           ", resolve by " + text(t.resolve_by),
       {{"priority", priority_name(t.priority)},
        {"respond_by", when(t.respond_by)},
        {"resolve_by", when(t.resolve_by)},
        {"was", {{"respond_by", when(respond)}, {"resolve_by", when(resolve)}}}});
}

bool Engine::open_group_ticket(Group& g, TimePoint now, Context& cx, std::string* key) {
  touch_group(g.id);
  const rules::Rule* rule = rules_->find(g.rule);
  if (!rule) {  // the rule went away while waiting
    for (const auto& fp : g.alerts) erase_alert(fp);
    groups_.erase(g.id);
    return false;
  }
  if (storm_redirect(g, now, cx)) {  // `g` is gone
    if (key) *key = groups_[storm_group_].ticket_key;
    return true;
  }
  const Event& event = g.first_event ? *g.first_event : kNoEvent;
  const rules::Captures& captures = g.captures;
  const rules::VarLookup vars = [&](std::string_view name) -> std::optional<std::string> {
    if (auto it = captures.find(name); it != captures.end()) return it->second;
    if (name == "rule") return rule->name;
    return event.field(name);
  };
  const rules::TicketSpec& spec = rule->ticket;
  Ticket t;
  t.type = spec.type;
  t.key = next_key(spec.type);
  t.title = spec.title.empty()
                ? (event.host.empty() ? rule->name : rule->name + " on " + event.host)
                : spec.title.render(vars, RenderCaps::kTitle);
  t.description = spec.description.empty()
                      ? cap_text(event.message, RenderCaps::kDescription)
                      : spec.description.render(vars, RenderCaps::kDescription);
  t.impact = spec.impact.value_or(Level::kMedium);
  t.urgency = spec.urgency.value_or(urgency_from_severity(event.severity));
  t.priority = priority_from(t.impact, t.urgency);
  t.category = spec.category.render(vars, RenderCaps::kField);
  t.team = spec.team.render(vars, RenderCaps::kField);
  t.assignee = spec.assignee.render(vars, RenderCaps::kField);
  t.status = t.assignee.empty() ? TicketStatus::kNew : TicketStatus::kAssigned;
  t.rule = rule->name;
  t.fingerprint = g.id;
  t.event_count = std::max<int64_t>(1, g.waiting_events);
  t.first_seen = t.created_at = t.updated_at = t.last_seen = now;
  for (const auto& fp : g.alerts) {
    auto a = alerts_.find(fp);
    if (a != alerts_.end()) t.first_seen = std::min(t.first_seen, a->second.first_seen);
    t.alerts.push_back({fp, "firing"});
  }
  for (const auto& [name, value] : event.labels)
    t.labels[name] = cap_text(value, RenderCaps::kLabel);
  for (const auto& [name, tmpl] : spec.labels)
    t.labels[name] = tmpl.render(vars, RenderCaps::kLabel);
  apply_sla(t);
  g.ticket_key = t.key;
  g.waiting_events = 0;
  tickets_[t.key] = t;
  ticket_changed(t);
  cx.out.emplace_back(TicketOpened{t});
  nlohmann::json details = {{"rule", rule->name},
                            {"fingerprint", t.fingerprint},
                            {"priority", priority_name(t.priority)}};
  if (g.alerts.size() > 1) details["alerts"] = g.alerts;
  note(cx, t.key, now, "created", "opened by rule " + rule->name + ": " + shorten(event.message),
       details);
  if (key) *key = t.key;
  if (t.type == TicketType::kIncident) link_problems(tickets_[t.key], event, now, cx);
  // What rendered the ticket is not needed again (a group whose ticket
  // closes is forgotten; the next alert starts a new one).
  g.first_event.reset();
  g.captures.clear();
  return false;
}

void Engine::link_problems(const Ticket& incident, const Event& event, TimePoint now, Context& cx) {
  for (const rules::ProblemRule& p : rules_->problems) {
    if (!p.when.matches(incident.rule, event)) continue;
    std::string key = p.name;
    for (const auto& f : p.group_by) key += "|" + event.field(f).value_or("");
    touch_problem(key);
    ProblemWindow& w = problems_[key];
    Ticket* open = w.open_key.empty() ? nullptr : ticket(w.open_key);
    if (open && is_open(open->status)) {
      tickets_[incident.key].problem = open->key;
      cx.out.emplace_back(ProblemLinked{open->key, incident.key});
      ++open->event_count;
      open->last_seen = now;
      note(cx, open->key, now, "linked", "incident " + incident.key + " linked: " + incident.title,
           {{"incident", incident.key}});
      update(*open, now, cx);
      continue;
    }
    w.open_key.clear();
    w.incidents.emplace_back(now, incident.key);
    drop_expired(w.incidents, [&](const auto& x) { return x.first <= now - p.threshold.within; });
    timers_.schedule(w.incidents.front().first + p.threshold.within, TimerKind::kProblem, key);
    if (static_cast<int64_t>(w.incidents.size()) < p.threshold.count) continue;

    const rules::VarLookup vars = [&](std::string_view name) -> std::optional<std::string> {
      if (name == "rule") return incident.rule;
      return event.field(name);
    };
    Ticket t;
    t.type = TicketType::kProblem;
    t.key = next_key(t.type);
    t.title = p.ticket.title.empty() ? "Recurring " + incident.rule + " (" + p.name + ")"
                                     : p.ticket.title.render(vars, RenderCaps::kTitle);
    t.description = p.ticket.description.empty()
                        ? std::to_string(w.incidents.size()) + " incidents of " + incident.rule +
                              " within " + format_duration(p.threshold.within)
                        : p.ticket.description.render(vars, RenderCaps::kDescription);
    t.impact = p.ticket.impact.value_or(Level::kMedium);
    t.urgency = p.ticket.urgency.value_or(Level::kLow);
    t.priority = priority_from(t.impact, t.urgency);
    t.category = p.ticket.category.empty() ? incident.category
                                           : p.ticket.category.render(vars, RenderCaps::kField);
    t.team = p.ticket.team.empty() ? incident.team : p.ticket.team.render(vars, RenderCaps::kField);
    t.assignee = p.ticket.assignee.render(vars, RenderCaps::kField);
    t.status = t.assignee.empty() ? TicketStatus::kNew : TicketStatus::kAssigned;
    t.rule = p.name;
    t.fingerprint = "problem/" + key;
    t.event_count = static_cast<int64_t>(w.incidents.size());
    t.first_seen = w.incidents.front().first;
    t.last_seen = t.created_at = t.updated_at = now;
    for (const auto& [name, tmpl] : p.ticket.labels)
      t.labels[name] = tmpl.render(vars, RenderCaps::kLabel);
    apply_sla(t);
    for (const auto& [at, key2] : w.incidents) t.incidents.push_back(key2);
    tickets_[t.key] = t;
    ticket_changed(t);
    cx.out.emplace_back(TicketOpened{t});
    note(cx, t.key, now, "created",
         "opened by problem rule " + p.name + ": " + std::to_string(w.incidents.size()) +
             " incidents",
         {{"incidents", t.incidents}});
    for (const auto& [at, inc] : w.incidents) {
      cx.out.emplace_back(ProblemLinked{t.key, inc});
      if (Ticket* i = ticket(inc)) i->problem = t.key;
    }
    w.open_key = t.key;
    w.incidents.clear();
  }
}

// ---- resolution and flapping ----

void Engine::note_change(const rules::Rule* rule, Alert& a, Group* g, TimePoint now, Context& cx) {
  if (!rule || !rule->flapping) return;
  touch_alert(a.fingerprint);
  if (g) touch_group(g->id);
  a.changes.push_back(now);
  drop_expired(a.changes, [&](TimePoint t) { return t <= now - rule->flapping->within; });
  if (static_cast<int64_t>(a.changes.size()) < rule->flapping->changes || !g || g->flapping) return;
  g->flapping = true;
  timers_.schedule(now + rule->flapping->within, TimerKind::kFlapping, g->id);
  if (Ticket* t = ticket(g->ticket_key)) {
    t->flapping = true;
    note(cx, t->key, now, "flapping",
         a.fingerprint + " changed state " + std::to_string(a.changes.size()) + " times within " +
             format_duration(rule->flapping->within) +
             "; holding the ticket open until it is stable",
         {{"fingerprint", a.fingerprint}});
    update(*t, now, cx);
  }
}

void Engine::resolve_alert(const std::string& fp, TimePoint now, const std::string& why,
                           Context& cx, EventRecorded* rec) {
  auto it = alerts_.find(fp);
  if (it == alerts_.end()) return;
  Alert& a = it->second;
  touch_alert(fp);
  touch_group(a.group);
  if (a.phase == Alert::Phase::kPending) {  // below threshold: nothing to resolve
    auto g = groups_.find(a.group);
    if (g == groups_.end() || g->second.ticket_key.empty()) {
      alerts_.erase(it);
    }
    return;
  }
  if (a.phase == Alert::Phase::kResolved) return;
  unindex(a);
  a.phase = Alert::Phase::kResolved;
  a.resolved_at = now;
  auto git = groups_.find(a.group);
  Group* g = git == groups_.end() ? nullptr : &git->second;
  note_change(rules_->find(a.rule), a, g, now, cx);
  if (!g) return;
  if (g->ticket_key.empty()) {  // still waiting: drop the alert from the group
    g->alerts.erase(std::remove(g->alerts.begin(), g->alerts.end(), fp), g->alerts.end());
    if (g->alerts.empty()) groups_.erase(git);
    erase_alert(fp);
    return;
  }
  Ticket* t = ticket(g->ticket_key);
  if (!t) return;
  set_alert_status(*t, fp, "resolved");
  if (rec) {  // resolved by an event, which is attached to the ticket
    // On the timeline, not in event_count: that counts the alert's
    // occurrences, and a recovery is not one.
    rec->ticket_key = t->key;
    t->last_seen = now;
  }
  note(cx, t->key, now, "alert", "alert resolved by " + why + ": " + fp, {{"fingerprint", fp}});
  resolve_ticket_if_done(*g, now, why, cx);
  update(*t, now, cx);
}

void Engine::resolve_ticket_if_done(Group& g, TimePoint now, const std::string& why, Context& cx) {
  Ticket* t = ticket(g.ticket_key);
  if (!t || !is_open(t->status) || g.flapping) return;
  for (const auto& fp : g.alerts) {
    auto a = alerts_.find(fp);
    if (a != alerts_.end() && a->second.phase == Alert::Phase::kFiring) return;
  }
  const std::string from = ticket_status_name(t->status);
  t->status = TicketStatus::kResolved;
  t->resolved_at = now;
  t->resolution = {"auto_resolved", "all alerts resolved (" + why + ")"};
  t->flapping = false;
  touch_group(g.id);
  g.resolved = true;
  g.resolved_at = now;
  timers_.schedule(now + reopen_keep(g), TimerKind::kForgetGroup, g.id);
  note(cx, t->key, now, "status", "resolved: all alerts resolved (" + why + ")",
       {{"from", from}, {"to", "resolved"}});
}

void Engine::index_firing(const Alert& a) { firing_by_rule_[a.rule].insert(a.fingerprint); }

void Engine::unindex(const Alert& a) {
  auto it = firing_by_rule_.find(a.rule);
  if (it == firing_by_rule_.end()) return;
  it->second.erase(a.fingerprint);
  if (it->second.empty()) firing_by_rule_.erase(it);
}

void Engine::erase_alert(const std::string& fp_ref) {
  const std::string fp = fp_ref;  // callers may pass the alert's own fingerprint
  auto it = alerts_.find(fp);
  if (it == alerts_.end()) return;
  touch_alert(fp);
  unindex(it->second);
  alerts_.erase(it);
}

bool Engine::check_invariants() const {
  std::unordered_map<std::string, std::unordered_set<std::string>> expected;
  for (const auto& [fp, a] : alerts_) {
    if (a.phase == Alert::Phase::kFiring) expected[a.rule].insert(fp);
  }
  std::unordered_set<std::string> open;
  for (const auto& [key, t] : tickets_) {
    if (is_open(t.status)) open.insert(key);
  }
  return expected == firing_by_rule_ && open == open_keys_ && check_timers();
}

}  // namespace ticketd::engine
