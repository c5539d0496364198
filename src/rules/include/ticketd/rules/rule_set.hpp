// Rule, RuleSet and the loader of rule files.
//
// A RuleSet is built once by load_rules() and never changed afterwards; the
// daemon shares it as std::shared_ptr<const RuleSet> and swaps the pointer on
// reload, so it is safe to read from any thread.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "ticketd/core/ticket.hpp"
#include "ticketd/core/time.hpp"
#include "ticketd/rules/matcher.hpp"
#include "ticketd/rules/template.hpp"

namespace ticketd::rules {

enum class RuleAction { kTicket, kDrop };

// The `ticket:` block of a rule. Unset levels are derived at ticket creation.
struct TicketSpec {
  TicketType type = TicketType::kIncident;
  Template title;
  Template description;
  Template category;
  Template team;
  Template assignee;
  std::optional<Level> impact;   // default medium
  std::optional<Level> urgency;  // default from the event's severity
  std::vector<std::pair<std::string, Template>> labels;
};

struct Threshold {
  int64_t count = 1;
  Duration within{};
};

struct Flapping {
  int64_t changes = 0;  // state changes (firing <-> resolved) ...
  Duration within{};    // ... within this window mark the alert flapping
};

struct Rule {
  std::string name;
  std::string description;
  std::string file;  // where it was defined, for messages
  int line = 0;
  int column = 0;
  Condition condition;  // match + any + not
  bool continue_matching = false;
  RuleAction action = RuleAction::kTicket;
  TicketSpec ticket;
  std::optional<Template> fingerprint;  // default: "<rule>/{{ host }}"
  std::vector<std::string> group_by;    // fields; empty = one alert per ticket
  Duration group_wait{0};
  std::optional<Threshold> threshold;
  std::optional<Condition> resolve_when;
  std::optional<Duration> auto_resolve_after;
  std::optional<Duration> reopen_window;
  std::optional<Flapping> flapping;
  std::string digest;  // changes whenever the rule's definition changes
};

// Selects alerts by rule name (any of `rules`, empty = any rule) and by
// conditions on the alert's event.
struct AlertSelector {
  std::vector<std::string> rules;
  Condition condition;
  bool matches(std::string_view rule, const Event& e) const;
};

struct InhibitRule {
  std::string name;
  std::string file;
  int line = 0;
  AlertSelector source;            // an open ticket's alert matching this ...
  AlertSelector target;            // ... suppresses events matching this ...
  std::vector<std::string> equal;  // ... when these fields are equal
};

struct ProblemRule {
  std::string name;
  std::string file;
  int line = 0;
  AlertSelector when;  // incidents opened by these rules / events
  std::vector<std::string> group_by;
  Threshold threshold{3, std::chrono::hours(24 * 7)};
  TicketSpec ticket;  // type is always problem
};

struct StormRule {
  int64_t threshold = 0;  // 0 = no storm detection
  Duration within{};
};

struct SlaTarget {
  std::optional<Duration> respond;
  std::optional<Duration> resolve;
};

struct EscalationRule {
  std::string name;                  // "escalate[0]" unless named
  std::vector<Priority> priorities;  // empty = any
  std::vector<std::string> teams;    // empty = any
  std::optional<Duration> unacknowledged_for;
  std::optional<Duration> unresolved_for;
  bool raise_priority = false;
  std::string team;
  std::string assignee;
  std::vector<std::string> notify;
};

// A problem found in a rule file, 1-based line and column (0 when unknown).
struct Diagnostic {
  enum class Level { kError, kWarning };
  Level level = Level::kError;
  std::string file;
  int line = 0;
  int column = 0;
  std::string message;
  // A stable name for the kind of problem, for tools reading
  // `check-rules --format json`: "unknown-key", "duplicate-key", "yaml-tag",
  // "unreachable-rule", ... ("invalid" for other invalid values).
  std::string code = {};
  // "rules/net.yaml:12:7: unknown key "mach" (did you mean "match"?)"
  std::string to_string() const;
};

class RuleSet {
 public:
  RuleSet() = default;
  explicit RuleSet(std::vector<Rule> rules);
  const std::vector<Rule>& rules() const { return rules_; }
  const Rule* find(std::string_view name) const;
  // Indexes of the rules that may match `e`, in rule order: a prefilter
  // (hash lookups on exact conditions, one RE2::Set per regex field) so that
  // only candidates are tested in full. Never misses a matching rule.
  std::vector<size_t> candidates(const Event& e) const;

  std::vector<InhibitRule> inhibits;
  std::vector<ProblemRule> problems;
  StormRule storm;
  std::map<Priority, SlaTarget> sla;
  std::vector<EscalationRule> escalations;

 private:
  struct Prefilter;
  std::vector<Rule> rules_;
  std::unordered_map<std::string, size_t> by_name_;
  std::shared_ptr<const Prefilter> prefilter_;
};

struct LoadResult {
  std::shared_ptr<const RuleSet> rules;  // null when there is any error
  std::vector<Diagnostic> diagnostics;   // errors and warnings, in file order
  bool ok() const { return rules != nullptr; }
};

// Loads rule files: each path is a file, or a directory whose *.yaml / *.yml
// files (not subdirectories) are loaded in file-name order. Never throws.
LoadResult load_rules(const std::vector<std::string>& paths);
// Same, from text already in memory (tests, API); `name` labels diagnostics.
LoadResult load_rules_from_string(const std::string& text, const std::string& name);

}  // namespace ticketd::rules
