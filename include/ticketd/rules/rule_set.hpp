// Rule, RuleSet and the loader of rule files.
//
// A RuleSet is built once by load_rules() and never changed afterwards; the
// daemon shares it as std::shared_ptr<const RuleSet> and swaps the pointer on
// reload, so it is safe to read from any thread.
#pragma once

#include <memory>
#include <optional>
#include <string>
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
};

// A problem found in a rule file, 1-based line and column (0 when unknown).
struct Diagnostic {
  enum class Level { kError, kWarning };
  Level level = Level::kError;
  std::string file;
  int line = 0;
  int column = 0;
  std::string message;
  // "rules/net.yaml:12:7: unknown key "mach" (did you mean "match"?)"
  std::string to_string() const;
};

class RuleSet {
 public:
  explicit RuleSet(std::vector<Rule> rules) : rules_(std::move(rules)) {}
  const std::vector<Rule>& rules() const { return rules_; }
  const Rule* find(std::string_view name) const;

 private:
  std::vector<Rule> rules_;
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

// Levenshtein-based suggestion: the closest candidate within a small distance,
// or empty.
std::string did_you_mean(std::string_view word, const std::vector<std::string>& candidates);

}  // namespace ticketd::rules
