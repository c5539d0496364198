#include <algorithm>

#include "engine_internal.hpp"

namespace ticketd::engine {

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
  for (const rules::EscalationRule& e : rules_->escalations) {
    if (auto at = escalation_due(t, e)) consider(*at);
  }
  return next;
}

std::optional<TimePoint> Engine::escalation_due(const Ticket& t,
                                                const rules::EscalationRule& e) const {
  if (auto done = escalated_.find(t.key); done != escalated_.end() && done->second.count(e.name))
    return std::nullopt;
  // Not applicable now: a change of priority or team reschedules (update()).
  if (!e.priorities.empty() &&
      std::find(e.priorities.begin(), e.priorities.end(), t.priority) == e.priorities.end()) {
    return std::nullopt;
  }
  if (!e.teams.empty() && std::find(e.teams.begin(), e.teams.end(), t.team) == e.teams.end())
    return std::nullopt;
  std::optional<TimePoint> at;
  if (e.unacknowledged_for) {
    if (t.acknowledged_at) return std::nullopt;
    at = t.created_at + *e.unacknowledged_for;
  }
  if (e.unresolved_for) at = std::max(at.value_or(TimePoint{}), t.created_at + *e.unresolved_for);
  return at;
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
    if (a.phase == Alert::Phase::kResolved && !groups_.count(a.group))
      timers_.schedule(TimePoint{}, TimerKind::kWindow, fp);
  }
  for (const auto& [key, t] : tickets_) ticket_changed(t);
  for (const auto& [key, w] : problems_)
    timers_.schedule(TimePoint{}, TimerKind::kProblem, key);  // re-checked at once
}

// Every deadline the tick acts on has a timer at or before it.
bool Engine::check_timers() const {
  for (const auto& [id, g] : groups_) {
    if (g.ticket_key.empty() && !g.storm &&
        !timers_.covers(TimerKind::kGroupWait, id, g.wait_until))
      return false;
    if (g.resolved && !timers_.covers(TimerKind::kForgetGroup, id, g.resolved_at + reopen_keep(g)))
      return false;
  }
  for (const auto& [fp, a] : alerts_) {
    const rules::Rule* r = rules_->find(a.rule);
    if (a.phase == Alert::Phase::kFiring && r && r->auto_resolve_after &&
        !timers_.covers(TimerKind::kAutoResolve, fp, a.last_seen + *r->auto_resolve_after)) {
      return false;
    }
    if (a.phase == Alert::Phase::kPending && a.group.empty() && !a.hits.empty() && r &&
        r->threshold &&
        !timers_.covers(TimerKind::kWindow, fp, a.hits.front() + r->threshold->within)) {
      return false;
    }
  }
  for (const auto& [key, w] : problems_) {  // every window is looked at again some time
    if (!timers_.covers(TimerKind::kProblem, key, TimePoint::max())) return false;
  }
  for (const auto& [key, t] : tickets_) {
    const auto at = ticket_deadline(t);
    if (!at) continue;
    auto due = ticket_due_.find(key);
    if (due == ticket_due_.end() || due->second > *at ||
        !timers_.covers(TimerKind::kTicket, key, due->second))
      return false;
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
      if (it != groups_.end() && it->second.ticket_key.empty())
        open_group_ticket(it->second, it->second.wait_until, cx, nullptr);
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
      resolve_alert(fp, at,
                    "auto_resolve_after " +
                        format_duration(*rules_->find(it->second.rule)->auto_resolve_after),
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
      if (const rules::Rule* r = rules_->find(a->second.rule); r && r->flapping)
        within = std::max(within, r->flapping->within);
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
      note(cx, t->key, last_change + within, "flapping",
           "stable again: no state change for " + format_duration(within));
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
      if (a != alerts_.end() && a->second.phase != Alert::Phase::kFiring &&
          a->second.group == g.id) {
        touch_alert(fp);
        alerts_.erase(a);
      }
    }
    if (auto t = tickets_.find(g.ticket_key); t != tickets_.end() && !is_open(t->second.status))
      erase_ticket(g.ticket_key);
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
      drop_expired(a.hits, [&](TimePoint t) { return t <= now - r->threshold->within; });
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
    if (due == ticket_due_.end() || due->second > now)
      continue;  // rescheduled since: a stale entry
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
      note(cx, t.key, *by, "sla",
           std::string("SLA ") + which + " target breached (due " + format_rfc3339(*by) + ")",
           {{"breach", which}});
      changed = true;
    };
    breach("respond", t.respond_by, t.acknowledged_at.has_value());
    breach("resolve", t.resolve_by, false);
    for (const rules::EscalationRule& e : rules_->escalations) {
      const std::optional<TimePoint> at = escalation_due(t, e);
      if (!at || *at > now) continue;
      escalated_[t.key].insert(e.name);
      touch_ticket_state(t.key);
      std::string what;
      if (e.raise_priority && t.priority != Priority::kP1) {
        what += "priority " + priority_name(t.priority) + " -> " +
                priority_name(raised(t.priority)) + "; ";
        t.priority = raised(t.priority);
        follow_sla(t, *at, cx);
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
        cx.out.emplace_back(
            Notify{target, t.key,
                   "Escalated " + t.key + " (" + priority_name(t.priority) + "): " + t.title, now});
      }
      if (what.size() > 2) what.resize(what.size() - 2);
      note(cx, t.key, *at, "escalation",
           "escalated by " + e.name + (what.empty() ? "" : ": " + what), {{"escalation", e.name}});
      changed = true;
    }
    if (changed) {
      update(t, now, cx);
    } else {
      ticket_changed(t);
    }
  }
  // Problem windows: incidents age out; a window with neither incidents nor
  // an open problem leaves (its record too).
  for (const auto& key : timers_.take_due(TimerKind::kProblem, now)) {
    auto it = problems_.find(key);
    if (it == problems_.end()) continue;
    ProblemWindow& w = it->second;
    const std::string name = key.substr(0, key.find('|'));
    auto rule = std::find_if(rules_->problems.begin(), rules_->problems.end(),
                             [&](const rules::ProblemRule& p) { return p.name == name; });
    const Duration within =
        rule == rules_->problems.end() ? Duration::zero() : rule->threshold.within;
    const size_t before = w.incidents.size();
    drop_expired(w.incidents, [&](const auto& x) { return x.first <= now - within; });
    if (w.incidents.size() != before) touch_problem(key);
    if (!w.incidents.empty()) {
      timers_.schedule(w.incidents.front().first + within, TimerKind::kProblem, key);
      continue;
    }
    const Ticket* open = w.open_key.empty() ? nullptr : ticket(w.open_key);
    if (open && is_open(open->status)) {
      // Checked again later: the problem ticket closes by hand, not by a timer.
      timers_.schedule(now + std::max<Duration>(within, std::chrono::hours(1)), TimerKind::kProblem,
                       key);
      continue;
    }
    touch_problem(key);
    problems_.erase(it);
  }
  // The storm window ends: normal behaviour resumes.
  if (!storm_group_.empty() && storm_until_ <= now) {
    if (auto sg = groups_.find(storm_group_); sg != groups_.end()) {
      if (Ticket* st = ticket(sg->second.ticket_key)) {
        note(cx, st->key, storm_until_, "storm",
             "storm window ended; new alerts open their own tickets again");
        if (sg->second.alerts.empty())
          resolve_ticket_if_done(sg->second, storm_until_, "storm over", cx);
        update(*st, storm_until_, cx);
      }
    }
    storm_group_.clear();
    touch_storm();
  }
  // Openings older than the storm window no longer count (otherwise only a
  // later opening would prune them).
  if (!opened_.empty() && opened_.front() <= now - rules_->storm.within) {
    while (!opened_.empty() && opened_.front() <= now - rules_->storm.within) opened_.pop_front();
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

}  // namespace ticketd::engine
