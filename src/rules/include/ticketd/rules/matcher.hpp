// Matchers: the `match:` / `any:` / `not:` conditions of a rule.
//
// A Condition holds when all its field matches hold, at least one of its `any`
// alternatives holds (if there are any) and none of its `not` blocks holds.
// A field match holds when any of its operands holds ("list = any of").
// Operands: "x" equal, "!x" not equal, "~re" RE2 partial match, "!~re" no
// match, and for `severity` ">=warning" style comparisons where ">=" means
// "at least as severe as". A leading backslash makes "!"/"~"/">"/"<" literal.
// A missing field compares as the empty string for regexes and never equals a
// value. Named regex captures are returned for use in templates.
// Immutable after construction; safe to share between threads.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ticketd/core/event.hpp"
#include "ticketd/core/status.hpp"

namespace re2 {
class RE2;
}

namespace ticketd::rules {

using Captures = std::map<std::string, std::string, std::less<>>;

class Operand {
 public:
  enum class Kind { kEqual, kNotEqual, kRegex, kNotRegex, kSeverityCompare };
  // `field` is the event field it applies to ("severity" allows comparisons).
  static Result<Operand> parse(std::string_view field, std::string_view text);

  bool test(const std::optional<std::string>& value, Captures* captures) const;
  Kind kind() const { return kind_; }
  // The operand without its prefix: the value, regex or severity.
  const std::string& value() const { return value_; }
  const std::string& text() const { return text_; }
  // Named capture groups of a regex operand.
  std::vector<std::string> capture_names() const;
  // True when the operand holds for every value the field can have: a regex
  // that matches the empty string wherever it starts or ends ("~", "~.*",
  // "~^", "~.*$"), or for severity ">=debug" / "<=emergency". Whether it
  // also holds when the field is missing is test(std::nullopt, nullptr):
  // a regex does (a missing field is ""), a severity comparison does not.
  // May miss exotic catch-alls, never reports one that is not.
  bool matches_every_value() const;

 private:
  Kind kind_ = Kind::kEqual;
  std::string text_;   // as written
  std::string value_;  // the operand without its prefix
  std::shared_ptr<const re2::RE2> re_;
  Severity severity_ = Severity::kDebug;
  std::string cmp_;  // ">=", ">", "<=", "<", "="
};

struct FieldMatch {
  std::string field;  // "host", "labels.ifIndex", ...
  std::vector<Operand> any_of;
  bool test(const Event& e, Captures* captures) const;
  // Why the match failed, for explain: `host is "db02", expected db01`.
  std::string why_not(const Event& e) const;
};

struct Condition {
  std::vector<FieldMatch> all;
  std::vector<Condition> any;
  std::vector<Condition> none;

  bool empty() const { return all.empty() && any.empty() && none.empty(); }
  // On success, adds the named captures of the matched regexes to `captures`.
  bool test(const Event& e, Captures* captures) const;
  // The first reason the condition does not hold ("" when it holds).
  std::string why_not(const Event& e) const;
  // Every reason it does not hold, in rule order (empty when it holds): each
  // failed field match, an "any" none of whose alternatives holds (with each
  // alternative's reasons), each "not" block that matches. Regexes in full.
  std::vector<std::string> failures(const Event& e) const;
  // Names of every regex capture this condition can set.
  void collect_capture_names(std::vector<std::string>& out) const;
};

// True for a field name a condition may address: the scalar event fields and
// "labels.X" / "annotations.X".
bool is_condition_field(std::string_view name);

}  // namespace ticketd::rules
