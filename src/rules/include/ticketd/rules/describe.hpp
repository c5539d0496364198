// The canonical description of a RuleSet as JSON, and the field-level
// difference of two descriptions: what `ticketctl rules diff` and
// `GET /api/v1/rules/definition` are made of.
//
// describe() renders every section the loader accepts (rules in order with
// every field, inhibit, problems, storm, sla, escalate) in one canonical
// form: durations as format_duration() writes them ("300s" -> "5m"),
// templates and operands as their source text, mappings with sorted keys and
// every optional field present (null when unset). Two rule sets that behave
// the same describe the same, whatever their YAML formatting; the only parts
// that depend on the files are the informational `file` / `line` keys.
//
// diff_rule_sets() compares two such descriptions (old = running, new =
// candidate). It works on JSON so that the running side can come from the
// daemon's API. Pure functions; safe to call from any thread.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "ticketd/rules/rule_set.hpp"

namespace ticketd::rules {

// The description of `set`; see docs/api.md (RuleSetDefinition) for its shape.
nlohmann::json describe(const RuleSet& set);

// One difference between two rule sets.
struct RuleChange {
  enum class Kind { kAdded, kRemoved, kChanged, kMoved };
  // "rules", "inhibit", "problems", "storm", "sla" or "escalate".
  std::string section;
  // The rule / inhibit / problem / escalation name, the priority for sla
  // ("P1"), "" for storm. Unnamed inhibit rules are named
  // "(unnamed inhibit at FILE:LINE)".
  std::string name;
  Kind kind = Kind::kChanged;
  // The changed field's dotted path inside the item ("threshold.within",
  // "ticket.labels.env", "match.host"); "order" for kMoved; "" for a whole
  // item added or removed.
  std::string field;
  // Old and new values: the field's values for kChanged (null when unset),
  // the whole item for kAdded (new) and kRemoved (old), the 1-based
  // positions for kMoved.
  nlohmann::json old_value;
  nlohmann::json new_value;
  // For kMoved: `now tried before "x"` / `now tried after "x"`.
  std::string detail;
};

// Something that differs without changing behaviour (a rule now defined in
// another file).
struct RuleNote {
  std::string section;
  std::string name;
  std::string field;  // "file"
  nlohmann::json old_value;
  nlohmann::json new_value;
};

struct RuleSetDiff {
  std::vector<RuleChange> changes;  // by section, then in the new set's order
  std::vector<RuleNote> notes;
  bool empty() const { return changes.empty(); }
};

const char* change_kind_name(RuleChange::Kind k);  // "added", "removed", "changed", "moved"

// The differences from `old_desc` to `new_desc`, both made by describe().
// Sections: rules by name (plus their relative order: the rules outside the
// longest common subsequence of the common names are reported as moved),
// inhibit and problems by name, escalate by name (default "escalate[N]", so
// by index), storm and sla field by field. A malformed description reads as
// an empty one.
RuleSetDiff diff_rule_sets(const nlohmann::json& old_desc, const nlohmann::json& new_desc);

// {"changes":[...], "notes":[...]}: each change as {section, name, change,
// field, old, new[, detail]} (field null for a whole item).
nlohmann::json to_json(const RuleSetDiff& diff);

}  // namespace ticketd::rules
