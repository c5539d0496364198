#include "ticketd/rules/matcher.hpp"

#include <re2/re2.h>

namespace ticketd::rules {
namespace {

int severity_rank(Severity s) { return 7 - static_cast<int>(s); }  // higher = more severe

}  // namespace

bool is_condition_field(std::string_view name) {
  if (name.rfind("labels.", 0) == 0) return name.size() > 7;
  if (name.rfind("annotations.", 0) == 0) return name.size() > 12;
  return is_event_field(name);
}

Result<Operand> Operand::parse(std::string_view field, std::string_view text) {
  Operand op;
  op.text_ = std::string(text);
  std::string_view rest = text;
  if (rest.rfind("!~", 0) == 0) {
    op.kind_ = Kind::kNotRegex;
    rest.remove_prefix(2);
  } else if (rest.rfind("~", 0) == 0) {
    op.kind_ = Kind::kRegex;
    rest.remove_prefix(1);
  } else if (rest.rfind("!", 0) == 0) {
    op.kind_ = Kind::kNotEqual;
    rest.remove_prefix(1);
  } else if (rest.rfind("\\", 0) == 0) {
    rest.remove_prefix(1);  // escaped literal
  } else if (field == "severity" && !rest.empty() &&
             (rest[0] == '>' || rest[0] == '<' || rest[0] == '=')) {
    size_t n = (rest.size() > 1 && rest[1] == '=') ? 2 : 1;
    op.kind_ = Kind::kSeverityCompare;
    op.cmp_ = std::string(rest.substr(0, n));
    rest.remove_prefix(n);
    while (!rest.empty() && rest[0] == ' ') rest.remove_prefix(1);
  }
  op.value_ = std::string(rest);
  switch (op.kind_) {
    case Kind::kRegex:
    case Kind::kNotRegex: {
      RE2::Options opts;
      opts.set_log_errors(false);
      auto re = std::make_shared<const RE2>(op.value_, opts);
      if (!re->ok()) {
        return Status::invalid_argument("invalid regex \"" + op.value_ + "\": " + re->error());
      }
      op.re_ = std::move(re);
      break;
    }
    case Kind::kSeverityCompare:
    case Kind::kEqual:
    case Kind::kNotEqual:
      if (field == "severity") {
        auto sev = parse_severity(op.value_);
        if (!sev) {
          return Status::invalid_argument(
              "unknown severity \"" + op.value_ +
              "\", expected emergency, alert, critical, error, warning, notice, info or debug");
        }
        op.severity_ = *sev;
        op.value_ = severity_name(*sev);  // canonical, so "warn" equals "warning"
      }
      break;
  }
  return op;
}

bool Operand::test(const std::optional<std::string>& value, Captures* captures) const {
  switch (kind_) {
    case Kind::kEqual:
      return value && *value == value_;
    case Kind::kNotEqual:
      return !value || *value != value_;
    case Kind::kNotRegex:
      return !RE2::PartialMatch(value.value_or(""), *re_);
    case Kind::kSeverityCompare: {
      if (!value) return false;
      auto sev = parse_severity(*value);
      if (!sev) return false;
      int a = severity_rank(*sev), b = severity_rank(severity_);
      if (cmp_ == ">=") return a >= b;
      if (cmp_ == ">") return a > b;
      if (cmp_ == "<=") return a <= b;
      if (cmp_ == "<") return a < b;
      return a == b;
    }
    case Kind::kRegex: {
      const std::string subject = value.value_or("");
      const int groups = re_->NumberOfCapturingGroups();
      std::vector<re2::StringPiece> sub(static_cast<size_t>(groups) + 1);
      if (!re_->Match(subject, 0, subject.size(), RE2::UNANCHORED, sub.data(), groups + 1)) {
        return false;
      }
      if (captures) {
        for (const auto& [name, index] : re_->NamedCapturingGroups()) {
          const auto& piece = sub[static_cast<size_t>(index)];
          (*captures)[name] =
              piece.data() ? std::string(piece.data(), piece.size()) : std::string();
        }
      }
      return true;
    }
  }
  return false;
}

std::vector<std::string> Operand::capture_names() const {
  std::vector<std::string> out;
  if (re_ && kind_ == Kind::kRegex) {
    for (const auto& [name, index] : re_->NamedCapturingGroups()) out.push_back(name);
  }
  return out;
}

bool Operand::matches_every_value() const {
  if (kind_ == Kind::kSeverityCompare) {
    return (cmp_ == ">=" && severity_ == Severity::kDebug) ||
           (cmp_ == "<=" && severity_ == Severity::kEmergency);
  }
  if (kind_ != Kind::kRegex) return false;
  // A pattern free of assertions that matches "" matches the empty string
  // at every position; one leading "^" or one trailing "$" pins that to the
  // start or the end, which every value has.
  std::string_view p = value_;
  if (!p.empty() && p.front() == '^') {
    p.remove_prefix(1);
  } else if (!p.empty() && p.back() == '$' && (p.size() < 2 || p[p.size() - 2] != '\\')) {
    p.remove_suffix(1);
  }
  if (p.find_first_of("^$") != std::string_view::npos) return false;
  for (const char* assertion : {"\\b", "\\B", "\\A", "\\z"}) {
    if (p.find(assertion) != std::string_view::npos) return false;
  }
  RE2::Options opts;
  opts.set_log_errors(false);
  const RE2 rest(re2::StringPiece(p.data(), p.size()), opts);
  return rest.ok() && RE2::FullMatch("", rest);
}

bool FieldMatch::test(const Event& e, Captures* captures) const {
  const auto value = e.field(field);
  for (const Operand& op : any_of) {
    if (op.test(value, captures)) return true;
  }
  return false;
}

bool Condition::test(const Event& e, Captures* captures) const {
  Captures local;
  for (const FieldMatch& m : all) {
    if (!m.test(e, &local)) return false;
  }
  if (!any.empty()) {
    bool one = false;
    for (const Condition& c : any) {
      if (c.test(e, &local)) {
        one = true;
        break;
      }
    }
    if (!one) return false;
  }
  for (const Condition& c : none) {
    if (c.test(e, nullptr)) return false;
  }
  if (captures) {
    for (auto& [k, v] : local) (*captures)[k] = std::move(v);
  }
  return true;
}

std::string FieldMatch::why_not(const Event& e) const {
  if (test(e, nullptr)) return "";
  const auto value = e.field(field);
  std::string expected;
  for (const Operand& op : any_of) expected += (expected.empty() ? "" : " or ") + op.text();
  if (!value) return field + " is not set, expected " + expected;
  return field + " is \"" + *value + "\", expected " + expected;
}

std::string Condition::why_not(const Event& e) const {
  auto all_failures = failures(e);
  return all_failures.empty() ? "" : all_failures.front();
}

std::vector<std::string> Condition::failures(const Event& e) const {
  std::vector<std::string> out;
  for (const FieldMatch& m : all) {
    if (auto why = m.why_not(e); !why.empty()) out.push_back(std::move(why));
  }
  if (!any.empty()) {
    bool one = false;
    for (const Condition& c : any) one = one || c.test(e, nullptr);
    if (!one) {
      std::string alternatives;
      for (size_t i = 0; i < any.size(); ++i) {
        std::string reasons;
        for (const auto& r : any[i].failures(e)) reasons += (reasons.empty() ? "" : " and ") + r;
        alternatives += (i == 0 ? "" : " | ") + std::to_string(i + 1) + ": " + reasons;
      }
      out.push_back("none of the \"any\" alternatives holds (" + alternatives + ")");
    }
  }
  for (size_t i = 0; i < none.size(); ++i) {
    if (none[i].test(e, nullptr)) {
      out.push_back(none.size() == 1 ? "the \"not\" block matches"
                                     : "\"not\" block " + std::to_string(i + 1) + " matches");
    }
  }
  return out;
}

void Condition::collect_capture_names(std::vector<std::string>& out) const {
  for (const FieldMatch& m : all) {
    for (const Operand& op : m.any_of) {
      for (auto& n : op.capture_names()) out.push_back(std::move(n));
    }
  }
  for (const Condition& c : any) c.collect_capture_names(out);
}

}  // namespace ticketd::rules
