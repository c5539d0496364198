#include "ticketd/engine/engine.hpp"

#include <nlohmann/json.hpp>

namespace ticketd::engine {
namespace {

constexpr size_t kTimelineMessageMax = 200;

std::string shorten(const std::string& s) {
  if (s.size() <= kTimelineMessageMax) return s;
  return s.substr(0, kTimelineMessageMax) + "…";
}

}  // namespace

const char* decision_name(Decision d) {
  switch (d) {
    case Decision::kTicketed: return "ticketed";
    case Decision::kDeduplicated: return "deduplicated";
    case Decision::kResolved: return "resolved";
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
        } else {
          nlohmann::json j = {{"action", "event"},
                              {"decision", decision_name(x.decision)},
                              {"event", event_to_json(x.event)}};
          if (!x.rule.empty()) j["rule"] = x.rule;
          if (!x.ticket_key.empty()) j["ticket"] = x.ticket_key;
          return j;
        }
      },
      a);
}

Engine::Engine(std::shared_ptr<const rules::RuleSet> rules) : rules_(std::move(rules)) {
  if (!rules_) rules_ = std::make_shared<const rules::RuleSet>(std::vector<rules::Rule>{});
}

void Engine::set_rules(std::shared_ptr<const rules::RuleSet> rules) {
  if (rules) rules_ = std::move(rules);
}

void Engine::restore(const EngineState& state) {
  open_.clear();
  for (const Ticket& t : state.open_tickets) {
    if (!t.fingerprint.empty() && is_open(t.status)) open_[t.fingerprint] = t;
  }
  last_seq_ = state.last_seq;
}

std::string Engine::next_key(TicketType type) { return format_ticket_key(type, ++last_seq_[type]); }

Actions Engine::process(const Event& event, TimePoint now) {
  Actions out;
  bool decided = false;
  for (const rules::Rule& rule : rules_->rules()) {
    rules::Captures captures;
    if (!rule.condition.test(event, &captures)) continue;
    ++hits_[rule.name];
    decided = true;
    EventRecorded record{event, now, Decision::kDropped, rule.name, {}};
    if (rule.action == rules::RuleAction::kDrop) {
      out.emplace_back(std::move(record));
      break;
    }
    apply_rule(rule, event, captures, now, out, record);
    out.emplace_back(std::move(record));
    if (!rule.continue_matching) break;
  }
  if (!decided) out.emplace_back(EventRecorded{event, now, Decision::kUnmatched, {}, {}});
  return out;
}

void Engine::apply_rule(const rules::Rule& rule, const Event& event, const rules::Captures& captures,
                        TimePoint now, Actions& out, EventRecorded& record) {
  const rules::VarLookup vars = [&](std::string_view name) -> std::optional<std::string> {
    if (auto it = captures.find(name); it != captures.end()) return it->second;
    if (name == "rule") return rule.name;
    return event.field(name);
  };
  std::string fingerprint =
      rule.fingerprint ? rule.fingerprint->render(vars) : rule.name + "/" + event.host;
  if (fingerprint.empty()) fingerprint = rule.name;

  auto it = open_.find(fingerprint);
  if (event.status == "resolved") {
    record.decision = Decision::kResolved;
    if (it == open_.end()) return;  // nothing open to resolve: recorded, not ticketed
    Ticket t = std::move(it->second);
    open_.erase(it);
    t.status = TicketStatus::kResolved;
    t.resolved_at = now;
    t.updated_at = now;
    t.last_seen = now;
    ++t.event_count;
    record.ticket_key = t.key;
    out.emplace_back(TimelineAdded{{t.key, now, "engine", "status", "resolved by a resolved event: " + shorten(event.message),
                                    nlohmann::json{{"from", "open"}, {"to", "resolved"}}.dump()}});
    out.emplace_back(TicketUpdated{std::move(t)});
    return;
  }

  if (it != open_.end()) {
    Ticket& t = it->second;
    ++t.event_count;
    t.last_seen = now;
    t.updated_at = now;
    record.decision = Decision::kDeduplicated;
    record.ticket_key = t.key;
    out.emplace_back(TimelineAdded{{t.key, now, "engine", "event",
                                    "event #" + std::to_string(t.event_count) + ": " + shorten(event.message),
                                    nlohmann::json{{"rule", rule.name}, {"event_count", t.event_count}}.dump()}});
    out.emplace_back(TicketUpdated{t});
    return;
  }

  const rules::TicketSpec& spec = rule.ticket;
  Ticket t;
  t.type = spec.type;
  t.key = next_key(spec.type);
  t.title = spec.title.empty() ? (event.host.empty() ? rule.name : rule.name + " on " + event.host)
                               : spec.title.render(vars);
  t.description = spec.description.empty() ? event.message : spec.description.render(vars);
  t.impact = spec.impact.value_or(Level::kMedium);
  t.urgency = spec.urgency.value_or(urgency_from_severity(event.severity));
  t.priority = priority_from(t.impact, t.urgency);
  t.category = spec.category.render(vars);
  t.team = spec.team.render(vars);
  t.assignee = spec.assignee.render(vars);
  t.status = t.assignee.empty() ? TicketStatus::kNew : TicketStatus::kAssigned;
  t.rule = rule.name;
  t.fingerprint = fingerprint;
  t.event_count = 1;
  t.first_seen = t.last_seen = t.created_at = t.updated_at = now;
  t.labels = event.labels;
  for (const auto& [name, tmpl] : spec.labels) t.labels[name] = tmpl.render(vars);

  record.decision = Decision::kTicketed;
  record.ticket_key = t.key;
  out.emplace_back(TicketOpened{t});
  out.emplace_back(TimelineAdded{{t.key, now, "engine", "created", "opened by rule " + rule.name + ": " + shorten(event.message),
                                  nlohmann::json{{"rule", rule.name}, {"fingerprint", fingerprint},
                                                 {"priority", priority_name(t.priority)}}.dump()}});
  open_.emplace(fingerprint, std::move(t));
}

}  // namespace ticketd::engine
