#include "ticketd/engine/engine.hpp"

#include <algorithm>
#include <cstdio>

#include "ticketd/core/text.hpp"

namespace ticketd::engine {
namespace {

constexpr size_t kTimelineMessageMax = 200;
constexpr int64_t kTimelineEveryEventUpTo = 100;
constexpr int64_t kTimelineEventStride = 100;

using rules::RenderCaps;

// Fingerprints are rendered up to this size; longer ones keep a hash of it.
constexpr size_t kFingerprintHashed = 64 * 1024;

// Cuts at a UTF-8 character boundary.
std::string shorten(const std::string& s) {
  if (s.size() <= kTimelineMessageMax) return s;
  return std::string(utf8_prefix(s, kTimelineMessageMax)) + "…";
}

// A fingerprint within RenderCaps::kFingerprint that still tells long ones
// apart: a cut prefix plus a hash (FNV-1a, 64 bits) of the whole.
std::string capped_identity(std::string fp) {
  if (fp.size() <= RenderCaps::kFingerprint) return fp;
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : fp) h = (h ^ c) * 1099511628211ull;
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(h));
  return std::string(utf8_prefix(fp, RenderCaps::kFingerprint - 18)) + "#" + hex;
}

void set_alert_status(Ticket& t, const std::string& fp, const char* status) {
  for (AlertRef& a : t.alerts) {
    if (a.fingerprint == fp) {
      a.status = status;
      return;
    }
  }
  t.alerts.push_back({fp, status});
}

Priority raised(Priority p) { return p == Priority::kP1 ? p : static_cast<Priority>(static_cast<int>(p) - 1); }

nlohmann::json captures_json(const rules::Captures& c) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [k, v] : c) j[k] = v;
  return j;
}

rules::Captures captures_from(const nlohmann::json& j) {
  rules::Captures c;
  if (j.is_object()) {
    for (const auto& [k, v] : j.items()) {
      if (v.is_string()) c[k] = v.get<std::string>();
    }
  }
  return c;
}

nlohmann::json times_json(const std::deque<TimePoint>& d) {
  nlohmann::json j = nlohmann::json::array();
  for (TimePoint t : d) j.push_back(to_unix_ms(t));
  return j;
}

std::deque<TimePoint> times_from(const nlohmann::json& j) {
  std::deque<TimePoint> d;
  if (j.is_array()) {
    for (const auto& x : j) {
      if (x.is_number_integer()) d.push_back(from_unix_ms(x.get<int64_t>()));
    }
  }
  return d;
}

}  // namespace

// One call's output, and (for explain) the trace of every rule.
struct Engine::Context {
  Actions out;
  std::vector<RuleTrace>* trace = nullptr;
};

const char* decision_name(Decision d) {
  switch (d) {
    case Decision::kTicketed: return "ticketed";
    case Decision::kDeduplicated: return "deduplicated";
    case Decision::kGrouped: return "grouped";
    case Decision::kReopened: return "reopened";
    case Decision::kPending: return "pending";
    case Decision::kResolved: return "resolved";
    case Decision::kInhibited: return "inhibited";
    case Decision::kSilenced: return "silenced";
    case Decision::kDropped: return "dropped";
    case Decision::kUnmatched: return "unmatched";
  }
  return "unknown";
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
          return {{"action", "problem_linked"}, {"problem", x.problem_key}, {"incident", x.incident_key}};
        } else if constexpr (std::is_same_v<T, SilenceSaved>) {
          return {{"action", "silence_saved"}, {"silence", silence_to_json(x.silence, x.silence.starts_at)}};
        } else if constexpr (std::is_same_v<T, Notify>) {
          return {{"action", "notify"}, {"target", x.target}, {"ticket", x.ticket_key}, {"message", x.message}};
        } else {
          return {{"action", "state_changed"}, {"records", x.records.size()}};
        }
      },
      a);
}

nlohmann::json Explanation::to_json() const {
  nlohmann::json rules_json = nlohmann::json::array();
  for (const RuleTrace& r : rules) {
    nlohmann::json j = {{"rule", r.rule}, {"matched", r.matched}, {"reason", r.reason}};
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

void Engine::note(Context& cx, const std::string& key, TimePoint now, std::string kind, std::string message,
                  nlohmann::json details) {
  cx.out.emplace_back(TimelineAdded{{key, now, "engine", std::move(kind), std::move(message), details.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)}});
}

void Engine::update(Ticket& t, TimePoint now, Context& cx) {
  t.updated_at = std::max(t.updated_at, now);
  touch_ticket_state(t.key);
  ticket_changed(t);
  if (batch_mode_) {
    changed_tickets_.insert(t.key);
  } else {
    cx.out.emplace_back(TicketUpdated{t});
  }
}

Actions Engine::flush_updates() {
  Actions out;
  for (const auto& key : changed_tickets_) {
    if (const Ticket* t = ticket(key)) {
      out.emplace_back(TicketUpdated{*t});
    } else if (auto gone = forgotten_.find(key); gone != forgotten_.end()) {
      out.emplace_back(TicketUpdated{std::move(gone->second)});
    }
  }
  changed_tickets_.clear();
  forgotten_.clear();
  return out;
}

void Engine::erase_ticket(const std::string& key_ref) {
  const std::string key = key_ref;  // callers may pass the map's own key
  auto it = tickets_.find(key);
  if (it == tickets_.end()) return;
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
      if (auto k = event.labels.find("dedup_key"); k != event.labels.end() && !k->second.empty()) return k->second;
    }
    if (event.source == "alertmanager" || event.source == "grafana") {
      if (auto k = event.labels.find("fingerprint"); k != event.labels.end() && !k->second.empty()) {
        return rule.name + "/" + k->second;
      }
    }
  }
  std::string fp = rule.fingerprint ? rule.fingerprint->render(vars, kFingerprintHashed) : rule.name + "/" + event.host;
  return fp.empty() ? rule.name : capped_identity(std::move(fp));
}

std::string Engine::group_of(const rules::Rule& rule, const std::string& fp, const Event& event) const {
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
bool Engine::handle_match(const rules::Rule& rule, const Event& event, const rules::Captures& captures, TimePoint now,
                          Context& cx, RuleTrace* tr) {
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
    cx.out.emplace_back(SilenceSaved{live});
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
                 (rec.ticket_key.empty() ? "" : " " + rec.ticket_key) + (rec.detail.empty() ? "" : " (" + rec.detail + ")");
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
      cx.trace->push_back({rule.name, false, "", {}, "", ""});
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
      if (tr) tr->reason = rule.condition.why_not(event);
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
        cx.trace->push_back({rule->name, true, "", {}, "", ""});
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
    if (s.active(now) && s.condition.test(event, nullptr)) return &s;
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

const Ticket* Engine::inhibited_by(const rules::Rule& rule, const Event& event, std::string* inhibit_name) const {
  for (const rules::InhibitRule& inh : rules_->inhibits) {
    if (!inh.target.matches(rule.name, event)) continue;
    // Only firing alerts of the source rules are candidates (an index, not a scan).
    std::vector<const Alert*> candidates;
    for (const auto& [source_rule, fps] : firing_by_rule_) {
      if (source_rule == rule.name) continue;
      if (!inh.source.rules.empty() &&
          std::find(inh.source.rules.begin(), inh.source.rules.end(), source_rule) == inh.source.rules.end()) {
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
      if (!inh.source.matches(a.rule, a.event)) continue;
      bool equal = true;
      for (const auto& f : inh.equal) equal = equal && a.event.field(f) == event.field(f);
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

void Engine::on_alert_event(const rules::Rule& rule, const std::string& fp, const Event& event,
                            const rules::Captures& captures, TimePoint now, Context& cx, EventRecorded& rec) {
  touch_alert(fp);
  auto [it, created] = alerts_.try_emplace(fp);
  Alert& a = it->second;
  if (created) {
    a.fingerprint = fp;
    a.rule = rule.name;
    a.first_seen = now;
    a.captures = captures;
  }
  a.last_seen = now;
  a.event = event;

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
        msg += " (from here on, one timeline entry per " + std::to_string(kTimelineEventStride) + " events)";
      }
      note(cx, t->key, now, "event", msg, {{"rule", rule.name}, {"fingerprint", fp}, {"event_count", t->event_count}});
    }
    update(*t, now, cx);
    return;
  }

  if (a.phase == Alert::Phase::kResolved) {
    a.event_count = 0;
    a.captures = captures;
  }
  ++a.event_count;
  if (rule.threshold) {
    a.hits.push_back(now);
    while (!a.hits.empty() && a.hits.front() <= now - rule.threshold->within) a.hits.pop_front();
    if (a.hits.size() == 1) timers_.schedule(now + rule.threshold->within, TimerKind::kWindow, fp);
    if (static_cast<int64_t>(a.hits.size()) < rule.threshold->count) {
      rec.decision = Decision::kPending;
      rec.detail = "threshold " + std::to_string(a.hits.size()) + "/" + std::to_string(rule.threshold->count) +
                   " within " + format_duration(rule.threshold->within);
      return;  // a resolved alert stays resolved until the threshold is met again
    }
    a.event_count = static_cast<int64_t>(a.hits.size());
    a.hits.clear();
  }
  fire(rule, a, now, cx, rec);
}

void Engine::fire(const rules::Rule& rule, Alert& a, TimePoint now, Context& cx, EventRecorded& rec) {
  const bool was_resolved = a.phase == Alert::Phase::kResolved;
  touch_alert(a.fingerprint);
  a.phase = Alert::Phase::kFiring;
  index_firing(a);
  if (rule.auto_resolve_after) timers_.schedule(a.last_seen + *rule.auto_resolve_after, TimerKind::kAutoResolve, a.fingerprint);
  const std::string group_id = was_resolved && !a.group.empty() ? a.group : group_of(rule, a.fingerprint, a.event);
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
        t->event_count += a.event_count;
        t->last_seen = now;
        set_alert_status(*t, a.fingerprint, "firing");
        if (std::find(g->alerts.begin(), g->alerts.end(), a.fingerprint) == g->alerts.end()) {
          g->alerts.push_back(a.fingerprint);
        }
        rec.decision = Decision::kReopened;
        rec.ticket_key = t->key;
        note(cx, t->key, now, "status", "reopened: " + a.fingerprint + " recurred within the reopen window of " +
                                            format_duration(*rule.reopen_window),
             {{"from", "resolved"}, {"to", "in_progress"}, {"fingerprint", a.fingerprint}});
        update(*t, now, cx);
        return;
      }
    } else if (t) {
      const bool known = std::find(g->alerts.begin(), g->alerts.end(), a.fingerprint) != g->alerts.end();
      if (!known) g->alerts.push_back(a.fingerprint);
      t->event_count += a.event_count;
      t->last_seen = now;
      set_alert_status(*t, a.fingerprint, "firing");
      rec.decision = known ? Decision::kDeduplicated : Decision::kGrouped;
      rec.ticket_key = t->key;
      note(cx, t->key, now, "alert",
           (known ? "alert firing again: " : "alert joined: ") + a.fingerprint + ": " + shorten(a.event.message),
           {{"rule", rule.name}, {"fingerprint", a.fingerprint}});
      update(*t, now, cx);
      return;
    } else {
      forget_group(group_id);
      g = nullptr;
    }
  }
  if (g) {  // waiting for group_wait
    if (std::find(g->alerts.begin(), g->alerts.end(), a.fingerprint) == g->alerts.end()) g->alerts.push_back(a.fingerprint);
    g->waiting_events += a.event_count;
    rec.decision = Decision::kPending;
    rec.detail = "group_wait until " + format_rfc3339(g->wait_until);
    return;
  }
  Group& ng = groups_[group_id];
  ng.id = group_id;
  ng.rule = rule.name;
  ng.alerts = {a.fingerprint};
  ng.first_event = a.event;
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
    t.description = "ticketd stopped opening one ticket per alert; new alerts are collected here until " +
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
    note(cx, t.key, now, "created", "storm started: " + std::to_string(opened_.size()) + " tickets opened within " +
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
  note(cx, st->key, now, "alert", "collected " + std::to_string(g.alerts.size()) + " alert(s) of rule " + g.rule,
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
  const Event& event = g.first_event;
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
  t.title = spec.title.empty() ? (event.host.empty() ? rule->name : rule->name + " on " + event.host)
                               : spec.title.render(vars, RenderCaps::kTitle);
  t.description = spec.description.empty() ? cap_text(event.message, RenderCaps::kDescription)
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
  for (const auto& [name, value] : event.labels) t.labels[name] = cap_text(value, RenderCaps::kLabel);
  for (const auto& [name, tmpl] : spec.labels) t.labels[name] = tmpl.render(vars, RenderCaps::kLabel);
  apply_sla(t);
  g.ticket_key = t.key;
  g.waiting_events = 0;
  tickets_[t.key] = t;
  ticket_changed(t);
  cx.out.emplace_back(TicketOpened{t});
  nlohmann::json details = {{"rule", rule->name}, {"fingerprint", t.fingerprint}, {"priority", priority_name(t.priority)}};
  if (g.alerts.size() > 1) details["alerts"] = g.alerts;
  note(cx, t.key, now, "created", "opened by rule " + rule->name + ": " + shorten(event.message), details);
  if (key) *key = t.key;
  if (t.type == TicketType::kIncident) link_problems(tickets_[t.key], event, now, cx);
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
    while (!w.incidents.empty() && w.incidents.front().first <= now - p.threshold.within) w.incidents.pop_front();
    if (static_cast<int64_t>(w.incidents.size()) < p.threshold.count) continue;

    const rules::VarLookup vars = [&](std::string_view name) -> std::optional<std::string> {
      if (name == "rule") return incident.rule;
      return event.field(name);
    };
    Ticket t;
    t.type = TicketType::kProblem;
    t.key = next_key(t.type);
    t.title = p.ticket.title.empty() ? "Recurring " + incident.rule + " (" + p.name + ")" : p.ticket.title.render(vars, RenderCaps::kTitle);
    t.description = p.ticket.description.empty()
                        ? std::to_string(w.incidents.size()) + " incidents of " + incident.rule + " within " +
                              format_duration(p.threshold.within)
                        : p.ticket.description.render(vars, RenderCaps::kDescription);
    t.impact = p.ticket.impact.value_or(Level::kMedium);
    t.urgency = p.ticket.urgency.value_or(Level::kLow);
    t.priority = priority_from(t.impact, t.urgency);
    t.category = p.ticket.category.empty() ? incident.category : p.ticket.category.render(vars, RenderCaps::kField);
    t.team = p.ticket.team.empty() ? incident.team : p.ticket.team.render(vars, RenderCaps::kField);
    t.assignee = p.ticket.assignee.render(vars, RenderCaps::kField);
    t.status = t.assignee.empty() ? TicketStatus::kNew : TicketStatus::kAssigned;
    t.rule = p.name;
    t.fingerprint = "problem/" + key;
    t.event_count = static_cast<int64_t>(w.incidents.size());
    t.first_seen = w.incidents.front().first;
    t.last_seen = t.created_at = t.updated_at = now;
    for (const auto& [name, tmpl] : p.ticket.labels) t.labels[name] = tmpl.render(vars, RenderCaps::kLabel);
    apply_sla(t);
    for (const auto& [at, key2] : w.incidents) t.incidents.push_back(key2);
    tickets_[t.key] = t;
    ticket_changed(t);
    cx.out.emplace_back(TicketOpened{t});
    note(cx, t.key, now, "created",
         "opened by problem rule " + p.name + ": " + std::to_string(w.incidents.size()) + " incidents",
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
  while (!a.changes.empty() && a.changes.front() <= now - rule->flapping->within) a.changes.pop_front();
  if (static_cast<int64_t>(a.changes.size()) < rule->flapping->changes || !g || g->flapping) return;
  g->flapping = true;
  timers_.schedule(now + rule->flapping->within, TimerKind::kFlapping, g->id);
  if (Ticket* t = ticket(g->ticket_key)) {
    t->flapping = true;
    note(cx, t->key, now, "flapping",
         a.fingerprint + " changed state " + std::to_string(a.changes.size()) + " times within " +
             format_duration(rule->flapping->within) + "; holding the ticket open until it is stable",
         {{"fingerprint", a.fingerprint}});
    update(*t, now, cx);
  }
}

void Engine::resolve_alert(const std::string& fp, TimePoint now, const std::string& why, Context& cx,
                           EventRecorded* rec) {
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
    rec->ticket_key = t->key;
    ++t->event_count;
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
  t->flapping = false;
  touch_group(g.id);
  g.resolved = true;
  g.resolved_at = now;
  timers_.schedule(now + reopen_keep(g), TimerKind::kForgetGroup, g.id);
  note(cx, t->key, now, "status", "resolved: all alerts resolved (" + why + ")", {{"from", from}, {"to", "resolved"}});
}

// ---- timers ----

Duration Engine::reopen_keep(const Group& g) const {
  const rules::Rule* r = rules_->find(g.rule);
  Duration keep = r && r->reopen_window ? *r->reopen_window : Duration::zero();
  if (r && r->flapping) keep = std::max(keep, r->flapping->within);
  return keep;
}

std::optional<TimePoint> Engine::ticket_deadline(const Ticket& t) const {
  if (!is_open(t.status)) return std::nullopt;
  std::optional<TimePoint> next;
  auto consider = [&](TimePoint at) { next = next ? std::min(*next, at) : at; };
  auto breached = [&](const char* which) {
    return std::find(t.breaches.begin(), t.breaches.end(), which) != t.breaches.end();
  };
  if (t.respond_by && !t.acknowledged_at && !breached("respond")) consider(*t.respond_by);
  if (t.resolve_by && !breached("resolve")) consider(*t.resolve_by);
  auto done = escalated_.find(t.key);
  for (const rules::EscalationRule& e : rules_->escalations) {
    if (done != escalated_.end() && done->second.count(e.name)) continue;
    // Not applicable now: a change of priority or team reschedules (update()).
    if (!e.priorities.empty() && std::find(e.priorities.begin(), e.priorities.end(), t.priority) == e.priorities.end()) continue;
    if (!e.teams.empty() && std::find(e.teams.begin(), e.teams.end(), t.team) == e.teams.end()) continue;
    std::optional<TimePoint> at;
    if (e.unacknowledged_for) {
      if (t.acknowledged_at) continue;
      at = t.created_at + *e.unacknowledged_for;
    }
    if (e.unresolved_for) at = std::max(at.value_or(TimePoint{}), t.created_at + *e.unresolved_for);
    if (at) consider(*at);
  }
  return next;
}

void Engine::schedule_ticket(const Ticket& t) {
  const std::optional<TimePoint> at = ticket_deadline(t);
  if (!at) return;
  auto [it, fresh] = ticket_due_.try_emplace(t.key, *at);
  if (!fresh && it->second <= *at) return;  // an earlier entry fires and reschedules
  it->second = *at;
  timers_.schedule(*at, TimerKind::kTicket, t.key);
}

void Engine::ticket_changed(const Ticket& t) {
  if (is_open(t.status)) {
    open_keys_.insert(t.key);
  } else {
    open_keys_.erase(t.key);
  }
  schedule_ticket(t);
}

void Engine::rebuild_timers() {
  timers_.clear();
  ticket_due_.clear();
  for (const auto& [id, g] : groups_) {
    if (g.ticket_key.empty() && !g.storm) timers_.schedule(g.wait_until, TimerKind::kGroupWait, id);
    if (g.flapping) timers_.schedule(TimePoint{}, TimerKind::kFlapping, id);  // re-checked at once
    if (g.resolved) timers_.schedule(g.resolved_at + reopen_keep(g), TimerKind::kForgetGroup, id);
  }
  for (const auto& [fp, a] : alerts_) {
    const rules::Rule* r = rules_->find(a.rule);
    if (a.phase == Alert::Phase::kFiring && r && r->auto_resolve_after) {
      timers_.schedule(a.last_seen + *r->auto_resolve_after, TimerKind::kAutoResolve, fp);
    }
    if (a.phase == Alert::Phase::kPending && !a.hits.empty() && r && r->threshold) {
      timers_.schedule(a.hits.front() + r->threshold->within, TimerKind::kWindow, fp);
    }
    if (a.phase == Alert::Phase::kResolved && !groups_.count(a.group)) timers_.schedule(TimePoint{}, TimerKind::kWindow, fp);
  }
  for (const auto& [key, t] : tickets_) ticket_changed(t);
}

// Every deadline the tick acts on has a timer at or before it.
bool Engine::check_timers() const {
  for (const auto& [id, g] : groups_) {
    if (g.ticket_key.empty() && !g.storm && !timers_.covers(TimerKind::kGroupWait, id, g.wait_until)) return false;
    if (g.resolved && !timers_.covers(TimerKind::kForgetGroup, id, g.resolved_at + reopen_keep(g))) return false;
  }
  for (const auto& [fp, a] : alerts_) {
    const rules::Rule* r = rules_->find(a.rule);
    if (a.phase == Alert::Phase::kFiring && r && r->auto_resolve_after &&
        !timers_.covers(TimerKind::kAutoResolve, fp, a.last_seen + *r->auto_resolve_after)) {
      return false;
    }
    if (a.phase == Alert::Phase::kPending && a.group.empty() && !a.hits.empty() && r && r->threshold &&
        !timers_.covers(TimerKind::kWindow, fp, a.hits.front() + r->threshold->within)) {
      return false;
    }
  }
  for (const auto& [key, t] : tickets_) {
    const auto at = ticket_deadline(t);
    if (!at) continue;
    auto due = ticket_due_.find(key);
    if (due == ticket_due_.end() || due->second > *at || !timers_.covers(TimerKind::kTicket, key, due->second)) return false;
  }
  return true;
}

Actions Engine::tick(TimePoint now) {
  Context cx;
  // Only what is due: each section takes its timers and checks them against
  // the state (a timer is a hint; see TimerQueue).
  // group_wait
  {
    std::vector<std::pair<TimePoint, std::string>> due;
    for (auto& id : timers_.take_due(TimerKind::kGroupWait, now)) {
      auto it = groups_.find(id);
      if (it == groups_.end() || !it->second.ticket_key.empty() || it->second.storm) continue;
      if (it->second.wait_until > now) {
        timers_.schedule(it->second.wait_until, TimerKind::kGroupWait, id);
        continue;
      }
      due.emplace_back(it->second.wait_until, std::move(id));
    }
    std::sort(due.begin(), due.end());
    for (const auto& [at, id] : due) {
      auto it = groups_.find(id);
      if (it != groups_.end() && it->second.ticket_key.empty()) open_group_ticket(it->second, it->second.wait_until, cx, nullptr);
    }
  }
  // auto_resolve_after
  {
    std::vector<std::pair<TimePoint, std::string>> expired;
    for (auto& fp : timers_.take_due(TimerKind::kAutoResolve, now)) {
      auto it = alerts_.find(fp);
      if (it == alerts_.end() || it->second.phase != Alert::Phase::kFiring) continue;
      const rules::Rule* r = rules_->find(it->second.rule);
      if (!r || !r->auto_resolve_after) continue;
      const TimePoint at = it->second.last_seen + *r->auto_resolve_after;
      if (at > now) {
        timers_.schedule(at, TimerKind::kAutoResolve, fp);  // seen again since
        continue;
      }
      expired.emplace_back(at, std::move(fp));
    }
    std::sort(expired.begin(), expired.end());
    for (const auto& [at, fp] : expired) {
      auto it = alerts_.find(fp);
      if (it == alerts_.end()) continue;
      resolve_alert(fp, at, "auto_resolve_after " + format_duration(*rules_->find(it->second.rule)->auto_resolve_after),
                    cx, nullptr);
    }
  }
  // flapping clears when stable
  for (const auto& id : timers_.take_due(TimerKind::kFlapping, now)) {
    auto git = groups_.find(id);
    if (git == groups_.end() || !git->second.flapping) continue;
    Group& g = git->second;
    TimePoint last_change{};
    Duration within{};
    for (const auto& fp : g.alerts) {
      auto a = alerts_.find(fp);
      if (a == alerts_.end()) continue;
      if (!a->second.changes.empty()) last_change = std::max(last_change, a->second.changes.back());
      if (const rules::Rule* r = rules_->find(a->second.rule); r && r->flapping) within = std::max(within, r->flapping->within);
    }
    if (last_change + within > now) {
      timers_.schedule(last_change + within, TimerKind::kFlapping, id);
      continue;
    }
    g.flapping = false;
    touch_group(id);
    for (const auto& fp : g.alerts) {
      auto a = alerts_.find(fp);
      if (a == alerts_.end()) continue;
      a->second.changes.clear();
      touch_alert(fp);
    }
    if (Ticket* t = ticket(g.ticket_key)) {
      t->flapping = false;
      note(cx, t->key, last_change + within, "flapping", "stable again: no state change for " + format_duration(within));
      resolve_ticket_if_done(g, last_change + within, "stable after flapping", cx);
      update(*t, last_change + within, cx);
    }
  }
  // Forget resolved groups past their reopen window, and their alerts.
  for (const auto& id : timers_.take_due(TimerKind::kForgetGroup, now)) {
    auto it = groups_.find(id);
    if (it == groups_.end() || !it->second.resolved) continue;
    const Group& g = it->second;
    const TimePoint until = g.resolved_at + reopen_keep(g);
    if (until > now) {
      timers_.schedule(until, TimerKind::kForgetGroup, id);
      continue;
    }
    for (const auto& fp : g.alerts) {
      auto a = alerts_.find(fp);
      if (a != alerts_.end() && a->second.phase != Alert::Phase::kFiring && a->second.group == g.id) {
        touch_alert(fp);
        alerts_.erase(a);
      }
    }
    if (auto t = tickets_.find(g.ticket_key); t != tickets_.end() && !is_open(t->second.status)) erase_ticket(g.ticket_key);
    touch_group(id);
    groups_.erase(it);
  }
  // Threshold windows of pending alerts that ran out; resolved alerts whose
  // group is gone.
  for (const auto& fp : timers_.take_due(TimerKind::kWindow, now)) {
    auto it = alerts_.find(fp);
    if (it == alerts_.end()) continue;
    Alert& a = it->second;
    const rules::Rule* r = rules_->find(a.rule);
    if (a.phase == Alert::Phase::kPending && a.group.empty() && r && r->threshold) {
      const size_t before = a.hits.size();
      while (!a.hits.empty() && a.hits.front() <= now - r->threshold->within) a.hits.pop_front();
      if (a.hits.size() != before) touch_alert(fp);
      if (a.hits.empty()) {
        alerts_.erase(it);
        continue;
      }
      timers_.schedule(a.hits.front() + r->threshold->within, TimerKind::kWindow, fp);
    }
    if (a.phase == Alert::Phase::kResolved && !groups_.count(a.group)) {
      touch_alert(fp);
      alerts_.erase(it);
    }
  }
  // SLA breaches and escalations, in key order for a stable replay.
  std::vector<std::string> keys;
  for (auto& key : timers_.take_due(TimerKind::kTicket, now)) {
    auto due = ticket_due_.find(key);
    if (due == ticket_due_.end() || due->second > now) continue;  // rescheduled since: a stale entry
    ticket_due_.erase(due);
    keys.push_back(std::move(key));
  }
  std::sort(keys.begin(), keys.end());
  for (const auto& key : keys) {
    auto tit = tickets_.find(key);
    if (tit == tickets_.end() || !is_open(tit->second.status)) continue;
    Ticket& t = tit->second;
    bool changed = false;
    auto breach = [&](const char* which, std::optional<TimePoint> by, bool met) {
      if (!by || met || *by > now) return;
      if (std::find(t.breaches.begin(), t.breaches.end(), which) != t.breaches.end()) return;
      t.breaches.push_back(which);
      note(cx, t.key, *by, "sla", std::string("SLA ") + which + " target breached (due " + format_rfc3339(*by) + ")",
           {{"breach", which}});
      changed = true;
    };
    breach("respond", t.respond_by, t.acknowledged_at.has_value());
    breach("resolve", t.resolve_by, false);
    for (const rules::EscalationRule& e : rules_->escalations) {
      if (auto done = escalated_.find(t.key); done != escalated_.end() && done->second.count(e.name)) continue;
      if (!e.priorities.empty() && std::find(e.priorities.begin(), e.priorities.end(), t.priority) == e.priorities.end()) continue;
      if (!e.teams.empty() && std::find(e.teams.begin(), e.teams.end(), t.team) == e.teams.end()) continue;
      std::optional<TimePoint> at;
      if (e.unacknowledged_for) {
        if (t.acknowledged_at) continue;
        at = t.created_at + *e.unacknowledged_for;
      }
      if (e.unresolved_for) at = std::max(at.value_or(TimePoint{}), t.created_at + *e.unresolved_for);
      if (!at || *at > now) continue;
      escalated_[t.key].insert(e.name);
      touch_ticket_state(t.key);
      std::string what;
      if (e.raise_priority && t.priority != Priority::kP1) {
        what += "priority " + priority_name(t.priority) + " -> " + priority_name(raised(t.priority)) + "; ";
        t.priority = raised(t.priority);
      }
      if (!e.team.empty() && e.team != t.team) {
        what += "team " + (t.team.empty() ? "-" : t.team) + " -> " + e.team + "; ";
        t.team = e.team;
      }
      if (!e.assignee.empty()) {
        what += "assignee -> " + e.assignee + "; ";
        t.assignee = e.assignee;
      }
      for (const auto& target : e.notify) {
        what += "notified " + target + "; ";
        cx.out.emplace_back(Notify{target, t.key, "Escalated " + t.key + " (" + priority_name(t.priority) + "): " + t.title});
      }
      if (what.size() > 2) what.resize(what.size() - 2);
      note(cx, t.key, *at, "escalation", "escalated by " + e.name + (what.empty() ? "" : ": " + what),
           {{"escalation", e.name}});
      changed = true;
    }
    if (changed) {
      update(t, now, cx);
    } else {
      ticket_changed(t);
    }
  }
  // The storm window ends: normal behaviour resumes.
  if (!storm_group_.empty() && storm_until_ <= now) {
    if (auto sg = groups_.find(storm_group_); sg != groups_.end()) {
      if (Ticket* st = ticket(sg->second.ticket_key)) {
        note(cx, st->key, storm_until_, "storm", "storm window ended; new alerts open their own tickets again");
        if (sg->second.alerts.empty()) resolve_ticket_if_done(sg->second, storm_until_, "storm over", cx);
        update(*st, storm_until_, cx);
      }
    }
    storm_group_.clear();
    touch_storm();
  }
  // Silences that ended.
  for (auto it = silences_.begin(); it != silences_.end();) {
    if (it->second.ends_at + std::chrono::hours(24) <= now) {
      it = silences_.erase(it);  // kept in the store; forgotten by the engine a day after expiry
    } else {
      ++it;
    }
  }
  return std::move(cx.out);
}

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
      for (auto& [id, g] : groups_) {
        if (g.ticket_key == key) g.resolved = false;
      }
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
  return Actions{SilenceSaved{std::move(s)}};
}

Result<Actions> Engine::expire_silence(const std::string& id, TimePoint now) {
  auto it = silences_.find(id);
  if (it == silences_.end()) return Status::not_found("no silence " + id);
  if (it->second.ends_at <= now) return Status::conflict("silence " + id + " has already expired");
  it->second.ends_at = now;
  if (it->second.starts_at > now) it->second.starts_at = now;
  return Actions{SilenceSaved{it->second}};
}

std::vector<Silence> Engine::silences() const {
  std::vector<Silence> out;
  for (const auto& [id, s] : silences_) out.push_back(s);
  return out;
}

// ---- snapshot and restore ----

// Records by key prefix: "a/<fingerprint>" an alert, "g/<id>" a group,
// "t/<key>" a resolved ticket kept for its reopen window, "e/<key>" the
// escalations done for a ticket, "p/<key>" a problem window, "storm" the
// storm window. Values are JSON.
std::optional<std::string> Engine::state_record(const std::string& key) const {
  auto dump = [](const nlohmann::json& j) { return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace); };
  const std::string_view id = std::string_view(key).substr(std::min<size_t>(2, key.size()));
  if (key.rfind("a/", 0) == 0) {
    auto it = alerts_.find(std::string(id));
    if (it == alerts_.end()) return std::nullopt;
    const Alert& a = it->second;
    return dump({{"fingerprint", a.fingerprint},
                 {"rule", a.rule},
                 {"group", a.group},
                 {"phase", static_cast<int>(a.phase)},
                 {"first_seen", to_unix_ms(a.first_seen)},
                 {"last_seen", to_unix_ms(a.last_seen)},
                 {"resolved_at", to_unix_ms(a.resolved_at)},
                 {"event_count", a.event_count},
                 {"hits", times_json(a.hits)},
                 {"changes", times_json(a.changes)},
                 {"event", event_to_json(a.event)},
                 {"captures", captures_json(a.captures)}});
  }
  if (key.rfind("g/", 0) == 0) {
    auto it = groups_.find(std::string(id));
    if (it == groups_.end()) return std::nullopt;
    const Group& g = it->second;
    return dump({{"id", g.id},
                 {"rule", g.rule},
                 {"ticket", g.ticket_key},
                 {"wait_until", to_unix_ms(g.wait_until)},
                 {"alerts", g.alerts},
                 {"first_event", event_to_json(g.first_event)},
                 {"captures", captures_json(g.captures)},
                 {"waiting_events", g.waiting_events},
                 {"resolved", g.resolved},
                 {"resolved_at", to_unix_ms(g.resolved_at)},
                 {"flapping", g.flapping},
                 {"storm", g.storm}});
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
    return dump({{"opened", times_json(opened_)}, {"storm_group", storm_group_}, {"storm_until", to_unix_ms(storm_until_)}});
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
      st = Status::io_error(std::string("engine state records are unreadable, rebuilt from open tickets only: ") +
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
  for (const Silence& s : state.silences) {
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
  // Reassembled into the shape of one state document, read below.
  nlohmann::json snap = {{"alerts", nlohmann::json::array()},
                         {"groups", nlohmann::json::array()},
                         {"resolved_tickets", nlohmann::json::array()},
                         {"problems", nlohmann::json::array()},
                         {"escalated", nlohmann::json::object()}};
  for (const auto& [key, text] : records) {
    nlohmann::json v = nlohmann::json::parse(text);  // throws on a corrupt record
    if (key.rfind("a/", 0) == 0) {
      snap["alerts"].push_back(std::move(v));
    } else if (key.rfind("g/", 0) == 0) {
      snap["groups"].push_back(std::move(v));
    } else if (key.rfind("t/", 0) == 0) {
      snap["resolved_tickets"].push_back(std::move(v));
    } else if (key.rfind("p/", 0) == 0) {
      snap["problems"].push_back(std::move(v));
    } else if (key.rfind("e/", 0) == 0) {
      snap["escalated"][key.substr(2)] = std::move(v);
    } else if (key == "storm") {
      for (auto& [k, x] : v.items()) snap[k] = std::move(x);
    }
  }
  adopt_state_document(snap);
}

void Engine::adopt_state_document(const nlohmann::json& snap) {
  const nlohmann::json kNoArray = nlohmann::json::array();
  const nlohmann::json kNoObject = nlohmann::json::object();
  // Every part is read by reference: iterating items() of a temporary
  // returned by value() reads freed memory.
  auto part = [&](const char* name, const nlohmann::json& fallback) -> const nlohmann::json& {
    auto it = snap.find(name);
    return it == snap.end() || it->type() != fallback.type() ? fallback : *it;
  };
  for (const auto& j : part("resolved_tickets", kNoArray)) {
    Ticket t = ticket_from_json(j);
    if (!tickets_.count(t.key)) tickets_[t.key] = t;
  }
  for (const auto& j : part("groups", kNoArray)) {
    Group g;
    g.id = j.value("id", "");
    g.rule = j.value("rule", "");
    g.ticket_key = j.value("ticket", "");
    if (!g.ticket_key.empty() && !tickets_.count(g.ticket_key)) continue;  // ticket closed since
    g.wait_until = from_unix_ms(j.value("wait_until", int64_t{0}));
    g.alerts = j.value("alerts", std::vector<std::string>{});
    if (auto e = event_from_json(j.value("first_event", nlohmann::json::object()), TimePoint{})) g.first_event = *e;
    g.captures = captures_from(j.value("captures", nlohmann::json::object()));
    g.waiting_events = j.value("waiting_events", int64_t{0});
    g.resolved = j.value("resolved", false);
    g.resolved_at = from_unix_ms(j.value("resolved_at", int64_t{0}));
    g.flapping = j.value("flapping", false);
    g.storm = j.value("storm", false);
    groups_[g.id] = std::move(g);
  }
  for (const auto& j : part("alerts", kNoArray)) {
    Alert a;
    a.fingerprint = j.value("fingerprint", "");
    a.rule = j.value("rule", "");
    a.group = j.value("group", "");
    a.phase = static_cast<Alert::Phase>(std::clamp(j.value("phase", 0), 0, 2));
    if (a.phase != Alert::Phase::kPending && !groups_.count(a.group)) continue;
    a.first_seen = from_unix_ms(j.value("first_seen", int64_t{0}));
    a.last_seen = from_unix_ms(j.value("last_seen", int64_t{0}));
    a.resolved_at = from_unix_ms(j.value("resolved_at", int64_t{0}));
    a.event_count = j.value("event_count", int64_t{0});
    a.hits = times_from(j.value("hits", nlohmann::json::array()));
    a.changes = times_from(j.value("changes", nlohmann::json::array()));
    if (auto e = event_from_json(j.value("event", nlohmann::json::object()), TimePoint{})) a.event = *e;
    a.captures = captures_from(j.value("captures", nlohmann::json::object()));
    alerts_[a.fingerprint] = std::move(a);
  }
  for (const auto& j : part("problems", kNoArray)) {
    ProblemWindow w;
    for (const auto& x : j.value("incidents", nlohmann::json::array())) {
      if (x.is_array() && x.size() == 2) w.incidents.emplace_back(from_unix_ms(x[0].get<int64_t>()), x[1].get<std::string>());
    }
    w.open_key = j.value("open", "");
    problems_[j.value("key", "")] = std::move(w);
  }
  for (const auto& [key, names] : part("escalated", kNoObject).items()) {
    if (tickets_.count(key)) escalated_[key] = names.get<std::set<std::string>>();
  }
  opened_ = times_from(snap.value("opened", nlohmann::json::array()));
  storm_group_ = snap.value("storm_group", "");
  storm_until_ = from_unix_ms(snap.value("storm_until", int64_t{0}));
}

void Engine::adopt_orphan_tickets() {
  changed_state_.clear();  // what was read is what is stored
  // Open tickets the state records do not know (a store written before the
  // records existed, or records lost): rebuild them as groups of their
  // alerts so dedup continues, and write those with the next batch.
  std::set<std::string> held;
  for (const auto& [id, g] : groups_) held.insert(g.ticket_key);
  for (auto& [key, t] : tickets_) {
    if (!is_open(t.status) || held.count(key) || t.type == TicketType::kProblem || t.type == TicketType::kChange ||
        t.fingerprint.empty()) {
      continue;
    }
    Group g;
    g.id = t.fingerprint;
    g.rule = t.rule;
    g.ticket_key = key;
    std::vector<AlertRef> refs = t.alerts.empty() ? std::vector<AlertRef>{{t.fingerprint, "firing"}} : t.alerts;
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
      alerts_[a.fingerprint] = std::move(a);
    }
    touch_group(g.id);
    groups_[g.id] = std::move(g);
  }
  for (const auto& [fp, a] : alerts_) {
    if (a.phase == Alert::Phase::kFiring) index_firing(a);
  }
  rebuild_timers();
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
