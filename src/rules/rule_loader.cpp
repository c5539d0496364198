// Loads and validates rule files in one pass, collecting every problem with
// its file:line:column instead of stopping at the first.
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <sstream>
#include <tuple>

#include "ticketd/core/text.hpp"
#include "ticketd/rules/rule_set.hpp"
#include "yaml_diag.hpp"

namespace ticketd::rules {
namespace {

namespace fs = std::filesystem;

const std::vector<std::string> kTopKeys = {"rules", "inhibit", "problems",
                                           "storm", "sla",     "escalate"};
const std::vector<std::string> kRuleKeys = {
    "name",         "description",        "match",         "any",
    "not",          "continue",           "action",        "ticket",
    "fingerprint",  "group_by",           "group_wait",    "threshold",
    "resolve_when", "auto_resolve_after", "reopen_window", "flapping"};
const std::vector<std::string> kTicketKeys = {"type",  "category",    "impact",   "urgency", "team",
                                              "title", "description", "assignee", "labels"};
const std::vector<std::string> kFieldNames = {"source", "host",    "severity", "facility", "app",
                                              "msgid",  "message", "trap_oid", "status"};

bool contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

// Everything read from all files of one load, checked together at the end.
struct RuleRef {
  std::string name;
  std::string file;
  int line = 0;
  int column = 0;
  std::string what;
};

struct LoadParts {
  std::vector<Rule> rules;
  std::vector<InhibitRule> inhibits;
  std::vector<ProblemRule> problems;
  StormRule storm;
  std::string storm_file;
  std::map<Priority, SlaTarget> sla;
  std::vector<EscalationRule> escalations;
  std::vector<RuleRef> refs;
  std::set<std::string> declared;  // every rule name seen, valid or not
  std::vector<Diagnostic> diags;
};

class FileLoader {
 public:
  FileLoader(std::string file, LoadParts& parts)
      : file_(std::move(file)), diags_(parts.diags), parts_(parts) {}

  void load_text(const std::string& text) {
    std::vector<Rule>& out = parts_.rules;
    const std::optional<YAML::Node> root = load_yaml_document(text, file_, diags_);
    if (!root) return;
    try {
      load_root(*root, out);
    } catch (const YAML::Exception& e) {
      error(e.mark.line + 1, e.mark.column + 1, "invalid rule file: " + e.msg);
    }
  }

 private:
  void error(int line, int col, std::string msg, std::string code = "invalid") {
    diags_.push_back(
        {Diagnostic::Level::kError, file_, line, col, std::move(msg), std::move(code)});
  }
  void warning(const YAML::Node& n, std::string msg, std::string code) {
    diags_.push_back({Diagnostic::Level::kWarning, file_, n.Mark().line + 1, n.Mark().column + 1,
                      std::move(msg), std::move(code)});
  }
  void error(const YAML::Node& n, std::string msg, std::string code = "invalid") {
    error(n.Mark().line + 1, n.Mark().column + 1, std::move(msg), std::move(code));
  }

  void unknown_key(const YAML::Node& key, const std::string& where,
                   const std::vector<std::string>& known) {
    diags_.push_back(unknown_key_error(file_, key, where, known));
  }

  bool scalar(const YAML::Node& n, const std::string& what, std::string& out) {
    if (!n.IsScalar()) {
      error(n, what + " must be a string");
      return false;
    }
    out = n.Scalar();
    return true;
  }

  void load_root(const YAML::Node& root, std::vector<Rule>& out) {
    if (root.IsNull()) return;  // empty file: no rules
    if (!root.IsMap()) {
      error(root, "a rule file must be a mapping with a \"rules:\" list");
      return;
    }
    for (auto it = root.begin(); it != root.end(); ++it) {
      const std::string key = it->first.as<std::string>();
      if (!contains(kTopKeys, key)) unknown_key(it->first, "rule file", kTopKeys);
    }
    if (const YAML::Node n = root["inhibit"]) load_inhibits(n);
    if (const YAML::Node n = root["problems"]) load_problems(n);
    if (const YAML::Node n = root["storm"]) load_storm(n);
    if (const YAML::Node n = root["sla"]) load_sla(n);
    if (const YAML::Node n = root["escalate"]) load_escalations(n);
    const YAML::Node rules = root["rules"];
    if (!rules) return;
    if (rules.IsNull()) return;
    if (!rules.IsSequence()) {
      error(rules, "\"rules\" must be a list");
      return;
    }
    for (const YAML::Node& r : rules) {
      Rule rule;
      if (load_rule(r, rule)) out.push_back(std::move(rule));
    }
  }

  Template parse_template(const YAML::Node& n, const std::string& what) {
    std::string text;
    if (!scalar(n, what, text)) return {};
    size_t offset = 0;
    auto t = Template::parse(text, &offset);
    if (!t) {
      // Column of the fault inside a plain scalar; quoted scalars shift by one.
      error(n.Mark().line + 1, n.Mark().column + 1, what + ": " + t.error().message(),
            "template-syntax");
      return {};
    }
    return std::move(t).value();
  }

  bool load_rule(const YAML::Node& r, Rule& rule) {
    const size_t errors_before = error_count();
    bad_regex_ = false;
    capture_sites_.clear();
    capture_scope_ = CaptureScope::kMatch;
    rule.file = file_;
    rule.line = r.Mark().line + 1;
    rule.column = r.Mark().column + 1;
    if (!r.IsMap()) {
      error(r, "each rule must be a mapping");
      return false;
    }
    for (auto it = r.begin(); it != r.end(); ++it) {
      const std::string key = it->first.as<std::string>();
      if (!contains(kRuleKeys, key)) unknown_key(it->first, "rule", kRuleKeys);
    }
    rule.digest = digest_of(r);
    if (const YAML::Node n = r["name"]) {
      scalar(n, "\"name\"", rule.name);
      if (rule.name.empty()) error(n, "\"name\" must not be empty");
      parts_.declared.insert(rule.name);
    } else {
      error(r, "rule has no \"name\"");
    }
    if (const YAML::Node n = r["description"]) scalar(n, "\"description\"", rule.description);

    bool has_condition = false;
    if (const YAML::Node n = r["match"]) {
      has_condition = true;
      load_match(n, rule.condition);
    }
    if (const YAML::Node n = r["any"]) {
      has_condition = true;
      load_any(n, rule.condition);
    }
    if (const YAML::Node n = r["not"]) {
      has_condition = true;
      rule.condition.none.emplace_back();
      load_match(n, rule.condition.none.back());
    }
    if (!has_condition)
      error(r, "rule \"" + rule.name + "\" has no \"match\" (use match: {} to match every event)");

    if (const YAML::Node n = r["continue"]) {
      if (!n.IsScalar() || (n.Scalar() != "true" && n.Scalar() != "false")) {
        error(n, "\"continue\" must be true or false");
      } else {
        rule.continue_matching = n.Scalar() == "true";
      }
    }
    if (const YAML::Node n = r["action"]) {
      std::string a;
      if (scalar(n, "\"action\"", a)) {
        if (a == "ticket") {
          rule.action = RuleAction::kTicket;
        } else if (a == "drop") {
          rule.action = RuleAction::kDrop;
        } else {
          error(n, "\"action\" is \"" + a + "\", expected ticket or drop");
        }
      }
    }
    if (const YAML::Node n = r["ticket"]) {
      if (rule.action == RuleAction::kDrop)
        warning(n, "\"ticket\" has no effect with action: drop", "ignored-ticket");
      load_ticket(n, rule.ticket);
    }
    if (const YAML::Node n = r["fingerprint"])
      rule.fingerprint = parse_template(n, "\"fingerprint\"");
    if (const YAML::Node n = r["group_by"]) rule.group_by = field_list(n, "\"group_by\"");
    if (const YAML::Node n = r["group_wait"])
      rule.group_wait = duration(n, "\"group_wait\"").value_or(Duration{});
    if (const YAML::Node n = r["threshold"]) rule.threshold = threshold(n, "\"threshold\"");
    if (const YAML::Node n = r["resolve_when"]) {
      capture_scope_ = CaptureScope::kResolveWhen;
      rule.resolve_when.emplace();
      if (!n.IsMap()) {
        error(n, "\"resolve_when\" must be a mapping with \"match\" (and optionally any/not)");
      } else {
        for (auto it = n.begin(); it != n.end(); ++it) {
          const std::string k = it->first.as<std::string>();
          if (k == "match")
            load_match(it->second, *rule.resolve_when);
          else if (k == "any")
            load_any(it->second, *rule.resolve_when);
          else if (k == "not") {
            rule.resolve_when->none.emplace_back();
            load_match(it->second, rule.resolve_when->none.back());
          } else {
            unknown_key(it->first, "resolve_when", {"match", "any", "not"});
          }
        }
      }
    }
    capture_scope_ = CaptureScope::kMatch;
    if (const YAML::Node n = r["auto_resolve_after"])
      rule.auto_resolve_after = duration(n, "\"auto_resolve_after\"");
    if (const YAML::Node n = r["reopen_window"])
      rule.reopen_window = duration(n, "\"reopen_window\"");
    if (const YAML::Node n = r["flapping"]) {
      if (check_keys(n, "flapping", {"changes", "within"})) {
        Flapping f;
        f.changes = positive(n["changes"], n, "\"flapping.changes\"");
        f.within = duration(n["within"], "\"flapping.within\"", n).value_or(Duration{});
        rule.flapping = f;
      }
    }

    // A bad regex is reported once; the templates that use its captures
    // would only add knock-on "never set" errors.
    if (rule.action == RuleAction::kTicket && !bad_regex_) check_variables(rule, r);
    if (!bad_regex_) {
      check_unused_captures(rule, r);
      check_resolve_fingerprint(rule, r);
    }
    return error_count() == errors_before;
  }

  static std::string digest_of(const YAML::Node& n) {
    YAML::Emitter out;
    out << n;
    char buf[20];
    std::snprintf(buf, sizeof buf, "%016zx", std::hash<std::string>{}(out.c_str()));
    return buf;
  }

  bool check_keys(const YAML::Node& n, const std::string& what,
                  const std::vector<std::string>& keys) {
    if (!n.IsMap()) {
      error(n, "\"" + what + "\" must be a mapping");
      return false;
    }
    bool ok = true;
    for (auto it = n.begin(); it != n.end(); ++it) {
      if (!contains(keys, it->first.as<std::string>())) {
        unknown_key(it->first, what, keys);
        ok = false;
      }
    }
    return ok;
  }

  // `missing_at` is where to report a missing node.
  std::optional<Duration> duration(const YAML::Node& n, const std::string& what,
                                   const YAML::Node& missing_at = YAML::Node()) {
    if (!n) {
      error(missing_at, what + " is required");
      return std::nullopt;
    }
    std::string text;
    if (!scalar(n, what, text)) return std::nullopt;
    auto d = parse_duration(text);
    if (!d) {
      error(n, what + ": " + d.error().message());
      return std::nullopt;
    }
    return *d;
  }

  int64_t positive(const YAML::Node& n, const YAML::Node& parent, const std::string& what) {
    if (!n) {
      error(parent, what + " is required");
      return 0;
    }
    std::string text;
    if (!scalar(n, what, text)) return 0;
    try {
      size_t used = 0;
      long long v = std::stoll(text, &used);
      if (used == text.size() && v > 0) return v;
    } catch (...) {
    }
    error(n, what + " is \"" + text + "\", expected a positive integer");
    return 0;
  }

  std::optional<Threshold> threshold(const YAML::Node& n, const std::string& what) {
    if (!check_keys(n, what.substr(1, what.size() - 2), {"count", "within"})) return std::nullopt;
    Threshold t;
    t.count = positive(n["count"], n, what.substr(0, what.size() - 1) + ".count\"");
    auto w = duration(n["within"], what.substr(0, what.size() - 1) + ".within\"", n);
    if (!w) return std::nullopt;
    t.within = *w;
    return t;
  }

  std::vector<std::string> field_list(const YAML::Node& n, const std::string& what) {
    std::vector<std::string> out;
    auto add = [&](const YAML::Node& item) {
      std::string f;
      if (!scalar(item, what, f)) return;
      if (!is_condition_field(f)) {
        std::string msg = what + ": unknown field \"" + f + "\"";
        std::string guess = ticketd::did_you_mean(f, kFieldNames);
        if (!guess.empty()) msg += " (did you mean \"" + guess + "\"?)";
        error(item, msg, "unknown-field");
        return;
      }
      out.push_back(f);
    };
    if (n.IsSequence()) {
      for (const YAML::Node& item : n) add(item);
    } else {
      add(n);
    }
    return out;
  }

  // {rule: name | [names], field: value...}
  AlertSelector selector(const YAML::Node& n, const std::string& what) {
    AlertSelector sel;
    if (!n.IsMap()) {
      error(n, "\"" + what + "\" must be a mapping of rule: NAME and/or field: value");
      return sel;
    }
    YAML::Node rest(YAML::NodeType::Map);
    for (auto it = n.begin(); it != n.end(); ++it) {
      if (it->first.as<std::string>() == "rule") {
        const YAML::Node v = it->second;
        if (v.IsSequence()) {
          for (const YAML::Node& x : v) sel.rules.push_back(x.as<std::string>());
        } else if (v.IsScalar()) {
          sel.rules.push_back(v.Scalar());
        } else {
          error(v, "\"" + what + ".rule\" must be a rule name or a list of them");
        }
        for (const auto& name : sel.rules) {
          parts_.refs.push_back({name, file_, v.Mark().line + 1, v.Mark().column + 1, what});
        }
      }
    }
    load_match(n, sel.condition, /*allow_rule=*/true);
    return sel;
  }

  void load_inhibits(const YAML::Node& n) {
    if (!n.IsSequence()) {
      error(n, "\"inhibit\" must be a list");
      return;
    }
    for (const YAML::Node& i : n) {
      if (!check_keys(i, "inhibit", {"name", "source", "target", "equal"})) continue;
      InhibitRule rule;
      rule.file = file_;
      rule.line = i.Mark().line + 1;
      if (i["name"]) scalar(i["name"], "\"inhibit.name\"", rule.name);
      if (rule.name.empty()) rule.name = "inhibit@" + file_ + ":" + std::to_string(rule.line);
      if (!i["source"] || !i["target"]) {
        error(i, "inhibit \"" + rule.name + "\" needs both \"source\" and \"target\"");
        continue;
      }
      rule.source = selector(i["source"], "inhibit.source");
      rule.target = selector(i["target"], "inhibit.target");
      if (i["equal"]) rule.equal = field_list(i["equal"], "\"inhibit.equal\"");
      parts_.inhibits.push_back(std::move(rule));
    }
  }

  void load_problems(const YAML::Node& n) {
    if (!n.IsSequence()) {
      error(n, "\"problems\" must be a list");
      return;
    }
    for (const YAML::Node& p : n) {
      if (!check_keys(p, "problems", {"name", "when", "group_by", "threshold", "ticket"})) continue;
      ProblemRule rule;
      rule.file = file_;
      rule.line = p.Mark().line + 1;
      if (p["name"]) scalar(p["name"], "\"problems.name\"", rule.name);
      if (rule.name.empty()) {
        error(p, "problem rule has no \"name\"");
        continue;
      }
      if (!p["when"]) {
        error(p, "problem rule \"" + rule.name + "\" has no \"when\"");
        continue;
      }
      rule.when = selector(p["when"], "problems.when");
      if (p["group_by"]) rule.group_by = field_list(p["group_by"], "\"problems.group_by\"");
      if (p["threshold"]) {
        if (auto t = threshold(p["threshold"], "\"problems.threshold\"")) rule.threshold = *t;
      }
      if (p["ticket"]) load_ticket(p["ticket"], rule.ticket);
      rule.ticket.type = TicketType::kProblem;
      parts_.problems.push_back(std::move(rule));
    }
  }

  void load_storm(const YAML::Node& n) {
    if (!check_keys(n, "storm", {"threshold", "within"})) return;
    if (parts_.storm_file.size()) {
      error(n, "\"storm\" is already defined in " + parts_.storm_file);
      return;
    }
    parts_.storm_file = file_;
    parts_.storm.threshold = positive(n["threshold"], n, "\"storm.threshold\"");
    parts_.storm.within = duration(n["within"], "\"storm.within\"", n).value_or(Duration{});
  }

  void load_sla(const YAML::Node& n) {
    if (!n.IsMap()) {
      error(n, "\"sla\" must be a mapping of priority: {respond, resolve}");
      return;
    }
    for (auto it = n.begin(); it != n.end(); ++it) {
      const std::string p = it->first.as<std::string>();
      auto prio = parse_priority(p);
      if (!prio) {
        error(it->first, "\"sla\": unknown priority \"" + p + "\", expected P1..P5");
        continue;
      }
      if (parts_.sla.count(*prio)) {
        error(it->first, "\"sla\": " + p + " is already defined");
        continue;
      }
      if (!check_keys(it->second, "sla." + p, {"respond", "resolve"})) continue;
      SlaTarget t;
      if (it->second["respond"])
        t.respond = duration(it->second["respond"], "\"sla." + p + ".respond\"");
      if (it->second["resolve"])
        t.resolve = duration(it->second["resolve"], "\"sla." + p + ".resolve\"");
      parts_.sla[*prio] = t;
    }
  }

  void load_escalations(const YAML::Node& n) {
    if (!n.IsSequence()) {
      error(n, "\"escalate\" must be a list");
      return;
    }
    for (const YAML::Node& e : n) {
      if (!check_keys(e, "escalate", {"name", "when", "do"})) continue;
      EscalationRule rule;
      if (e["name"]) scalar(e["name"], "\"escalate.name\"", rule.name);
      if (rule.name.empty())
        rule.name = "escalate[" + std::to_string(parts_.escalations.size()) + "]";
      const YAML::Node when = e["when"];
      const YAML::Node act = e["do"];
      if (!when || !act) {
        error(e, "escalation \"" + rule.name + "\" needs \"when\" and \"do\"");
        continue;
      }
      if (!check_keys(when, "escalate.when",
                      {"priority", "team", "unacknowledged_for", "unresolved_for"}))
        continue;
      if (!check_keys(act, "escalate.do", {"raise_priority", "team", "assignee", "notify"}))
        continue;
      auto strings = [&](const YAML::Node& v) {
        std::vector<std::string> out;
        if (v.IsSequence()) {
          for (const YAML::Node& x : v) out.push_back(x.as<std::string>());
        } else if (v.IsScalar()) {
          out.push_back(v.Scalar());
        }
        return out;
      };
      if (when["priority"]) {
        for (const auto& p : strings(when["priority"])) {
          if (auto prio = parse_priority(p)) {
            rule.priorities.push_back(*prio);
          } else {
            error(when["priority"],
                  "\"escalate.when.priority\": unknown priority \"" + p + "\", expected P1..P5");
          }
        }
      }
      if (when["team"]) rule.teams = strings(when["team"]);
      if (when["unacknowledged_for"])
        rule.unacknowledged_for =
            duration(when["unacknowledged_for"], "\"escalate.when.unacknowledged_for\"");
      if (when["unresolved_for"])
        rule.unresolved_for = duration(when["unresolved_for"], "\"escalate.when.unresolved_for\"");
      if (!rule.unacknowledged_for && !rule.unresolved_for) {
        error(when, "escalation \"" + rule.name + "\" needs unacknowledged_for or unresolved_for");
      }
      if (const YAML::Node raise = act["raise_priority"]) {
        // Only YAML 1.2 booleans: `yes` would otherwise read as "not true".
        if (!raise.IsScalar() || (raise.Scalar() != "true" && raise.Scalar() != "false"))
          error(raise, "\"escalate.do.raise_priority\" must be true or false");
        else
          rule.raise_priority = raise.Scalar() == "true";
      }
      if (act["team"]) scalar(act["team"], "\"escalate.do.team\"", rule.team);
      if (act["assignee"]) scalar(act["assignee"], "\"escalate.do.assignee\"", rule.assignee);
      if (act["notify"]) rule.notify = strings(act["notify"]);
      parts_.escalations.push_back(std::move(rule));
    }
  }

  void load_any(const YAML::Node& n, Condition& c) {
    if (!n.IsSequence() || n.size() == 0) {
      error(n, "\"any\" must be a non-empty list of match blocks");
      return;
    }
    for (const YAML::Node& alt : n) {
      c.any.emplace_back();
      load_match(alt, c.any.back());
    }
  }

  // A match block: field: value | [values], plus nested any/not.
  void load_match(const YAML::Node& n, Condition& c, bool allow_rule = false) {
    if (n.IsNull()) return;  // match: {} or match: ~ means every event
    if (!n.IsMap()) {
      error(n, "a match block must be a mapping of field: value");
      return;
    }
    for (auto it = n.begin(); it != n.end(); ++it) {
      const std::string field = it->first.as<std::string>();
      const YAML::Node v = it->second;
      if (field == "any") {
        load_any(v, c);
        continue;
      }
      if (field == "not") {
        c.none.emplace_back();
        const CaptureScope scope = capture_scope_;
        capture_scope_ = CaptureScope::kNone;  // a "not" block sets no captures
        load_match(v, c.none.back());
        capture_scope_ = scope;
        continue;
      }
      if (field == "rule" && allow_rule) continue;  // handled by selector()
      if (!is_condition_field(field)) {
        std::vector<std::string> known = kFieldNames;
        known.push_back("any");
        known.push_back("not");
        std::string msg = "unknown field \"" + field + "\" in match";
        std::string guess = ticketd::did_you_mean(field, known);
        if (!guess.empty()) {
          msg += " (did you mean \"" + guess + "\"?)";
        } else {
          msg += "; use an event field or labels.NAME / annotations.NAME";
        }
        error(it->first, msg, "unknown-field");
        continue;
      }
      FieldMatch fm;
      fm.field = field;
      auto add = [&](const YAML::Node& item) {
        if (!item.IsScalar()) {
          error(item, "value of \"" + field + "\" must be a string or a list of strings");
          return;
        }
        auto op = Operand::parse(field, item.Scalar());
        if (!op) {
          const bool regex = op.error().message().rfind("invalid regex", 0) == 0;
          bad_regex_ = bad_regex_ || regex;
          error(item, "\"" + field + "\": " + op.error().message(),
                regex ? "invalid-regex" : "invalid-value");
          return;
        }
        if (capture_scope_ != CaptureScope::kNone) {
          for (const std::string& name : op->capture_names())
            capture_sites_.push_back({name, item, capture_scope_});
        }
        fm.any_of.push_back(std::move(op).value());
      };
      if (v.IsSequence()) {
        if (v.size() == 0) error(v, "\"" + field + "\": an empty list can never match");
        for (const YAML::Node& item : v) add(item);
      } else {
        add(v);
      }
      if (!fm.any_of.empty()) c.all.push_back(std::move(fm));
    }
  }

  void load_ticket(const YAML::Node& n, TicketSpec& spec) {
    if (!n.IsMap()) {
      error(n, "\"ticket\" must be a mapping");
      return;
    }
    for (auto it = n.begin(); it != n.end(); ++it) {
      const std::string key = it->first.as<std::string>();
      const YAML::Node v = it->second;
      if (!contains(kTicketKeys, key)) {
        unknown_key(it->first, "ticket", kTicketKeys);
        continue;
      }
      std::string text;
      if (key == "type") {
        if (!scalar(v, "\"ticket.type\"", text)) continue;
        auto t = parse_ticket_type(text);
        if (!t) {
          error(v, "\"ticket.type\" is \"" + text +
                       "\", expected incident, service_request, problem or change");
        } else {
          spec.type = *t;
        }
      } else if (key == "impact" || key == "urgency") {
        if (!scalar(v, "\"ticket." + key + "\"", text)) continue;
        auto l = parse_level(text);
        if (!l) {
          error(v, "\"ticket." + key + "\" is \"" + text + "\", expected high, medium or low");
        } else {
          (key == "impact" ? spec.impact : spec.urgency) = *l;
        }
      } else if (key == "labels") {
        if (!v.IsMap()) {
          error(v, "\"ticket.labels\" must be a mapping of name: template");
          continue;
        }
        for (auto l = v.begin(); l != v.end(); ++l) {
          spec.labels.emplace_back(
              l->first.as<std::string>(),
              parse_template(l->second, "\"ticket.labels." + l->first.as<std::string>() + "\""));
        }
      } else {
        Template t = parse_template(v, "\"ticket." + key + "\"");
        if (key == "title") spec.title = std::move(t);
        if (key == "description") spec.description = std::move(t);
        if (key == "category") spec.category = std::move(t);
        if (key == "team") spec.team = std::move(t);
        if (key == "assignee") spec.assignee = std::move(t);
      }
    }
  }

  // Fields whose size only the sender bounds (a message may be 1 MiB).
  static bool unbounded_variable(const std::string& var) {
    return var == "message" || var.rfind("annotations.", 0) == 0;
  }

  // A template that can render without bound is cut at its RenderCaps size
  // at run time; say so now. Short fields should not carry a whole message,
  // and a description should carry it once.
  void warn_unbounded(const Template& t, const YAML::Node& where, const std::string& what) {
    size_t uses = 0;
    std::string var;
    for (const std::string& v : t.variables(false)) {  // a fallback is rarely rendered
      if (unbounded_variable(v)) {
        ++uses;
        var = v;
      }
    }
    if (uses == 0) return;
    const bool description = what.find("description") != std::string::npos;
    if (description && uses == 1) return;
    const size_t cap = description                                ? RenderCaps::kDescription
                       : what.find("title") != std::string::npos  ? RenderCaps::kTitle
                       : what.find("labels") != std::string::npos ? RenderCaps::kLabel
                       : what == "\"fingerprint\""                ? RenderCaps::kFingerprint
                                                                  : RenderCaps::kField;
    std::string msg =
        what + ": \"{{ " + var + " }}\" " +
        (uses > 1 ? "appears " + std::to_string(uses) + " times and " : std::string()) +
        "can grow without bound; output is cut at " + std::to_string(cap) + " bytes";
    if (!description) msg += " (use a named regex capture for the part you need)";
    warning(where, msg, "unbounded-template");
  }

  // A template variable that no event and no capture of this rule can set is
  // a mistake the author wants to hear about now, not at 3 a.m.
  void check_variables(const Rule& rule, const YAML::Node& r) {
    std::vector<std::string> captures;
    rule.condition.collect_capture_names(captures);
    auto check = [&](const Template& t, const YAML::Node& where, const std::string& what) {
      for (const std::string& var : t.variables()) {
        if (is_condition_field(var) || var == "time" || var == "rule" || contains(captures, var))
          continue;
        std::vector<std::string> known = kFieldNames;
        known.insert(known.end(), captures.begin(), captures.end());
        std::string msg = what + ": variable \"" + var + "\" is never set";
        std::string guess = ticketd::did_you_mean(var, known);
        if (!guess.empty()) {
          msg += " (did you mean \"" + guess + "\"?)";
        } else {
          msg += "; use an event field, labels.NAME, annotations.NAME or a named regex capture";
        }
        error(where, msg, "unknown-variable");
      }
      warn_unbounded(t, where, what);
    };
    if (const YAML::Node t = r["ticket"]; t && t.IsMap()) {
      const TicketSpec& s = rule.ticket;
      const std::pair<const char*, const Template*> fields[] = {{"title", &s.title},
                                                                {"description", &s.description},
                                                                {"category", &s.category},
                                                                {"team", &s.team},
                                                                {"assignee", &s.assignee}};
      for (auto [name, tmpl] : fields) {
        if (t[name]) check(*tmpl, t[name], std::string("\"ticket.") + name + "\"");
      }
      for (const auto& [name, tmpl] : s.labels)
        check(tmpl, t["labels"][name], "\"ticket.labels." + name + "\"");
    }
    if (rule.fingerprint && r["fingerprint"])
      check(*rule.fingerprint, r["fingerprint"], "\"fingerprint\"");
  }

  // Every variable a template of the rule uses (fallbacks included).
  static std::set<std::string> template_variables(const Rule& rule) {
    std::set<std::string> vars;
    auto add = [&](const Template& t) {
      for (const std::string& v : t.variables()) vars.insert(v);
    };
    const TicketSpec& s = rule.ticket;
    for (const Template* t : {&s.title, &s.description, &s.category, &s.team, &s.assignee}) add(*t);
    for (const auto& [name, t] : s.labels) add(t);
    if (rule.fingerprint) add(*rule.fingerprint);
    return vars;
  }

  // A named capture nothing renders is most often a typo in a template or
  // a leftover; a plain group (?:...) says what is meant.
  void check_unused_captures(const Rule& rule, const YAML::Node& r) {
    (void)r;
    const std::set<std::string> used =
        rule.action == RuleAction::kTicket ? template_variables(rule) : std::set<std::string>{};
    std::set<std::string> fingerprint;
    if (rule.fingerprint) {
      for (const std::string& v : rule.fingerprint->variables()) fingerprint.insert(v);
    }
    std::set<std::pair<std::string, int>> reported;  // a name once per scope
    for (const CaptureSite& site : capture_sites_) {
      const bool in_resolve = site.scope == CaptureScope::kResolveWhen;
      if ((in_resolve ? fingerprint : used).count(site.name)) continue;
      if (!reported.insert({site.name, static_cast<int>(site.scope)}).second) continue;
      std::string msg = "named capture \"" + site.name + "\" is not used";
      if (rule.action == RuleAction::kDrop) {
        msg += ": a drop rule renders no template";
      } else if (in_resolve) {
        msg += " by the fingerprint (the only template a resolve_when capture feeds)";
      } else {
        msg += " by any template of rule \"" + rule.name + "\"";
      }
      msg += "; use {{ " + site.name + " }} or make it a plain group (?:...)";
      warning(site.node, msg, "unused-capture");
    }
  }

  // A resolving event renders the fingerprint with the captures of
  // resolve_when alone; a variable only `match` captures then renders
  // empty, the fingerprint differs, and the alert never resolves.
  void check_resolve_fingerprint(const Rule& rule, const YAML::Node& r) {
    if (!rule.resolve_when || !r["resolve_when"] || !r["resolve_when"].IsMap()) return;
    std::vector<std::string> vars = {"host"};  // the default "<rule>/{{ host }}"
    if (rule.fingerprint) vars = rule.fingerprint->variables();
    std::vector<std::string> matched, resolving;
    rule.condition.collect_capture_names(matched);
    rule.resolve_when->collect_capture_names(resolving);
    std::set<std::string> reported;
    for (const std::string& var : vars) {
      if (is_condition_field(var) || !contains(matched, var) || contains(resolving, var)) continue;
      if (!reported.insert(var).second) continue;
      error(r["resolve_when"],
            "resolve_when does not capture \"" + var +
                "\", which the fingerprint uses (\"match\" "
                "captures it): a resolving event renders a different fingerprint, so the alert "
                "can never resolve; capture (?P<" +
                var + ">...) in resolve_when too",
            "unresolvable-fingerprint");
    }
  }

  size_t error_count() const {
    return static_cast<size_t>(std::count_if(diags_.begin(), diags_.end(), [](const Diagnostic& d) {
      return d.level == Diagnostic::Level::kError;
    }));
  }

  // Where a named regex capture of the current rule is written.
  enum class CaptureScope { kNone, kMatch, kResolveWhen };
  struct CaptureSite {
    std::string name;
    YAML::Node node;
    CaptureScope scope;
  };

  std::string file_;
  std::vector<Diagnostic>& diags_;
  LoadParts& parts_;
  // State of the rule being loaded.
  bool bad_regex_ = false;
  CaptureScope capture_scope_ = CaptureScope::kNone;
  std::vector<CaptureSite> capture_sites_;
};

// A condition that lets every event through, or every event that has
// certain fields set (severity ">=debug" does not hold for an event without
// a severity): `needs` lists those fields, `why` shows the catch-all value.
struct CatchAll {
  std::vector<std::string> needs;
  std::string why;  // `severity: ">=debug"`, "" for an empty condition
};

std::optional<CatchAll> matches_everything(const Condition& c) {
  CatchAll out;
  for (const FieldMatch& fm : c.all) {
    const Operand* total = nullptr;
    bool missing_ok = false;
    for (const Operand& op : fm.any_of) {
      if (op.matches_every_value() && !total) total = &op;
      if (op.test(std::nullopt, nullptr)) missing_ok = true;
    }
    if (!total) return std::nullopt;
    if (out.why.empty()) out.why = fm.field + ": \"" + total->text() + "\"";
    if (!missing_ok) out.needs.push_back(fm.field);
  }
  if (!c.any.empty()) {
    std::optional<CatchAll> best;
    for (const Condition& alt : c.any) {
      auto a = matches_everything(alt);
      if (a && (!best || a->needs.size() < best->needs.size())) best = std::move(a);
    }
    if (!best) return std::nullopt;
    out.needs.insert(out.needs.end(), best->needs.begin(), best->needs.end());
    if (out.why.empty()) out.why = best->why;
  }
  if (!c.none.empty()) return std::nullopt;  // a "not" block keeps some events out
  return out;
}

// True when `c` can only hold for an event that has `field` set.
bool requires_field(const Condition& c, const std::string& field) {
  for (const FieldMatch& fm : c.all) {
    if (fm.field != field) continue;
    if (std::none_of(fm.any_of.begin(), fm.any_of.end(),
                     [](const Operand& op) { return op.test(std::nullopt, nullptr); }))
      return true;
  }
  return false;
}

LoadResult finish(LoadParts parts) {
  std::vector<Diagnostic>& diags = parts.diags;
  std::map<std::string, const Rule*> seen;
  // The earliest rule without continue that lets every event through (or
  // every event with some fields set), and how.
  const Rule* catch_all = nullptr;
  CatchAll caught;
  for (const Rule& r : parts.rules) {
    auto [it, inserted] = seen.emplace(r.name, &r);
    if (!inserted) {
      diags.push_back({Diagnostic::Level::kError, r.file, r.line, r.column,
                       "duplicate rule name \"" + r.name + "\" (first defined at " +
                           it->second->file + ":" + std::to_string(it->second->line) + ")",
                       "duplicate-rule-name"});
    }
    if (catch_all) {
      const std::string where = "rule \"" + catch_all->name + "\" (" + catch_all->file + ":" +
                                std::to_string(catch_all->line) + ")";
      const std::string how = caught.why.empty() ? "" : " (" + caught.why + ")";
      if (caught.needs.empty()) {
        diags.push_back({Diagnostic::Level::kError, r.file, r.line, r.column,
                         "rule \"" + r.name + "\" is unreachable: " + where +
                             " matches every event" + how + " and has no \"continue: true\"",
                         "unreachable-rule"});
        continue;
      }
      std::string fields;
      for (const auto& f : caught.needs) fields += (fields.empty() ? "" : " and ") + f;
      const bool all_required =
          std::all_of(caught.needs.begin(), caught.needs.end(),
                      [&](const std::string& f) { return requires_field(r.condition, f); });
      if (all_required) {
        diags.push_back({Diagnostic::Level::kError, r.file, r.line, r.column,
                         "rule \"" + r.name + "\" is unreachable: " + where +
                             " matches every event that has a " + fields + how +
                             " and has no \"continue: true\"",
                         "unreachable-rule"});
        continue;
      }
      diags.push_back({Diagnostic::Level::kWarning, r.file, r.line, r.column,
                       "rule \"" + r.name + "\" is reached only by events without a " + fields +
                           ": " + where + " matches every event that has one" + how +
                           " and has no \"continue: true\"",
                       "shadowed-rule"});
    }
    if (r.continue_matching) continue;
    if (auto c = matches_everything(r.condition);
        c && (!catch_all || c->needs.size() < caught.needs.size())) {
      catch_all = &r;
      caught = std::move(*c);
    }
  }
  std::vector<std::string> names(parts.declared.begin(), parts.declared.end());
  for (const RuleRef& ref : parts.refs) {
    if (parts.declared.count(ref.name)) continue;
    std::string msg = "\"" + ref.what + "\" refers to unknown rule \"" + ref.name + "\"";
    std::string guess = ticketd::did_you_mean(ref.name, names);
    if (!guess.empty()) msg += " (did you mean \"" + guess + "\"?)";
    diags.push_back(
        {Diagnostic::Level::kError, ref.file, ref.line, ref.column, msg, "unknown-rule"});
  }
  // Report in reading order: files as loaded, then line and column.
  std::map<std::string, size_t> file_order;
  for (const Diagnostic& d : diags) file_order.emplace(d.file, file_order.size());
  std::stable_sort(diags.begin(), diags.end(), [&](const Diagnostic& a, const Diagnostic& b) {
    return std::tuple(file_order[a.file], a.line, a.column) <
           std::tuple(file_order[b.file], b.line, b.column);
  });
  // Content merged into several mappings (`<<: *defaults`) is checked
  // once per use; report each problem once.
  std::set<std::tuple<std::string, int, int, std::string>> reported;
  diags.erase(std::remove_if(diags.begin(), diags.end(),
                             [&](const Diagnostic& d) {
                               return !reported.emplace(d.file, d.line, d.column, d.message).second;
                             }),
              diags.end());
  LoadResult result;
  const bool failed = std::any_of(diags.begin(), diags.end(), [](const Diagnostic& d) {
    return d.level == Diagnostic::Level::kError;
  });
  result.diagnostics = std::move(diags);
  if (!failed) {
    auto set = std::make_shared<RuleSet>(std::move(parts.rules));
    set->inhibits = std::move(parts.inhibits);
    set->problems = std::move(parts.problems);
    set->storm = parts.storm;
    set->sla = std::move(parts.sla);
    set->escalations = std::move(parts.escalations);
    result.rules = std::move(set);
  }
  return result;
}

}  // namespace

std::string Diagnostic::to_string() const {
  std::string out = file;
  if (line > 0) {
    out += ":" + std::to_string(line);
    if (column > 0) out += ":" + std::to_string(column);
  }
  out += ": ";
  if (level == Level::kWarning) out += "warning: ";
  return out + message;
}

LoadResult load_rules_from_string(const std::string& text, const std::string& name) {
  LoadParts parts;
  FileLoader(name, parts).load_text(text);
  return finish(std::move(parts));
}

LoadResult load_rules(const std::vector<std::string>& paths) {
  LoadParts parts;
  std::vector<Diagnostic>& diags = parts.diags;
  std::vector<std::string> files;
  for (const std::string& p : paths) {
    std::error_code ec;
    if (fs::is_directory(p, ec)) {
      std::vector<std::string> in_dir;
      for (const auto& entry : fs::directory_iterator(p, ec)) {
        const auto ext = entry.path().extension();
        if (entry.is_regular_file() && (ext == ".yaml" || ext == ".yml"))
          in_dir.push_back(entry.path().string());
      }
      if (ec)
        diags.push_back(
            {Diagnostic::Level::kError, p, 0, 0, "cannot list directory: " + ec.message(), "io"});
      std::sort(in_dir.begin(), in_dir.end(), [](const std::string& a, const std::string& b) {
        return fs::path(a).filename() < fs::path(b).filename();
      });
      files.insert(files.end(), in_dir.begin(), in_dir.end());
    } else if (fs::exists(p, ec)) {
      files.push_back(p);
    } else {
      diags.push_back({Diagnostic::Level::kError, p, 0, 0, "no such file or directory", "io"});
    }
  }
  for (const std::string& f : files) {
    std::ifstream in(f, std::ios::binary);
    if (!in) {
      diags.push_back({Diagnostic::Level::kError, f, 0, 0, "cannot open file", "io"});
      continue;
    }
    std::stringstream ss;
    ss << in.rdbuf();
    FileLoader(f, parts).load_text(ss.str());
  }
  return finish(std::move(parts));
}

}  // namespace ticketd::rules
