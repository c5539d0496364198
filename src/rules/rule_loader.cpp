// Loads and validates rule files in one pass, collecting every problem with
// its file:line:column instead of stopping at the first.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <tuple>
#include <sstream>

#include <yaml-cpp/yaml.h>

#include "ticketd/rules/rule_set.hpp"

namespace ticketd::rules {
namespace {

namespace fs = std::filesystem;

const std::vector<std::string> kTopKeys = {"rules", "inhibit", "problems", "storm", "sla", "escalate"};
const std::vector<std::string> kNotYetTopKeys = {"inhibit", "problems", "storm", "sla", "escalate"};
const std::vector<std::string> kRuleKeys = {
    "name",      "description",  "match",        "any",           "not",
    "continue",  "action",       "ticket",       "fingerprint",   "group_by",
    "group_wait", "threshold",   "resolve_when", "auto_resolve_after", "reopen_window",
    "flapping"};
const std::vector<std::string> kNotYetRuleKeys = {"group_by",     "group_wait",         "threshold",
                                                  "resolve_when", "auto_resolve_after", "reopen_window",
                                                  "flapping"};
const std::vector<std::string> kTicketKeys = {"type",  "category", "impact",      "urgency", "team",
                                              "title", "description", "assignee", "labels"};
const std::vector<std::string> kFieldNames = {"source", "host",     "severity", "facility", "app",
                                              "msgid",  "message",  "trap_oid", "status"};

bool contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

class FileLoader {
 public:
  FileLoader(std::string file, std::vector<Diagnostic>& diags) : file_(std::move(file)), diags_(diags) {}

  void load_text(const std::string& text, std::vector<Rule>& out) {
    YAML::Node root;
    try {
      root = YAML::Load(text);
    } catch (const YAML::ParserException& e) {
      error(e.mark.line + 1, e.mark.column + 1, "YAML syntax error: " + e.msg);
      return;
    } catch (const std::exception& e) {
      error(0, 0, std::string("cannot read YAML: ") + e.what());
      return;
    }
    try {
      load_root(root, out);
    } catch (const YAML::Exception& e) {
      error(e.mark.line + 1, e.mark.column + 1, "invalid rule file: " + e.msg);
    }
  }

 private:
  void error(int line, int col, std::string msg) {
    diags_.push_back({Diagnostic::Level::kError, file_, line, col, std::move(msg)});
  }
  void warning(const YAML::Node& n, std::string msg) {
    diags_.push_back({Diagnostic::Level::kWarning, file_, n.Mark().line + 1, n.Mark().column + 1,
                      std::move(msg)});
  }
  void error(const YAML::Node& n, std::string msg) {
    error(n.Mark().line + 1, n.Mark().column + 1, std::move(msg));
  }

  void unknown_key(const YAML::Node& key, const std::string& where,
                   const std::vector<std::string>& known) {
    const std::string k = key.as<std::string>();
    std::string msg = "unknown key \"" + k + "\" in " + where;
    std::string guess = did_you_mean(k, known);
    if (!guess.empty()) msg += " (did you mean \"" + guess + "\"?)";
    error(key, msg);
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
      if (!contains(kTopKeys, key)) {
        unknown_key(it->first, "rule file", kTopKeys);
      } else if (contains(kNotYetTopKeys, key)) {
        warning(it->first, "\"" + key + "\" is not supported by this version of ticketd yet; ignored");
      }
    }
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
      error(n.Mark().line + 1, n.Mark().column + 1, what + ": " + t.error().message());
      return {};
    }
    return std::move(t).value();
  }

  bool load_rule(const YAML::Node& r, Rule& rule) {
    const size_t errors_before = error_count();
    rule.file = file_;
    rule.line = r.Mark().line + 1;
    rule.column = r.Mark().column + 1;
    if (!r.IsMap()) {
      error(r, "each rule must be a mapping");
      return false;
    }
    for (auto it = r.begin(); it != r.end(); ++it) {
      const std::string key = it->first.as<std::string>();
      if (!contains(kRuleKeys, key)) {
        unknown_key(it->first, "rule", kRuleKeys);
      } else if (contains(kNotYetRuleKeys, key)) {
        warning(it->first, "\"" + key + "\" is not supported by this version of ticketd yet; ignored");
      }
    }
    if (const YAML::Node n = r["name"]) {
      scalar(n, "\"name\"", rule.name);
      if (rule.name.empty()) error(n, "\"name\" must not be empty");
    } else {
      error(r, "rule has no \"name\"");
    }
    if (const YAML::Node n = r["description"]) scalar(n, "\"description\"", rule.description);

    bool has_condition = false;
    if (const YAML::Node n = r["match"]) {
      has_condition = true;
      load_match(n, rule.condition, true);
    }
    if (const YAML::Node n = r["any"]) {
      has_condition = true;
      load_any(n, rule.condition);
    }
    if (const YAML::Node n = r["not"]) {
      has_condition = true;
      rule.condition.none.emplace_back();
      load_match(n, rule.condition.none.back(), false);
    }
    if (!has_condition) error(r, "rule \"" + rule.name + "\" has no \"match\" (use match: {} to match every event)");

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
      if (rule.action == RuleAction::kDrop) warning(n, "\"ticket\" has no effect with action: drop");
      load_ticket(n, rule.ticket);
    }
    if (const YAML::Node n = r["fingerprint"]) rule.fingerprint = parse_template(n, "\"fingerprint\"");

    if (rule.action == RuleAction::kTicket) check_variables(rule, r);
    return error_count() == errors_before;
  }

  void load_any(const YAML::Node& n, Condition& c) {
    if (!n.IsSequence() || n.size() == 0) {
      error(n, "\"any\" must be a non-empty list of match blocks");
      return;
    }
    for (const YAML::Node& alt : n) {
      c.any.emplace_back();
      load_match(alt, c.any.back(), false);
    }
  }

  // A match block: field: value | [values], plus nested any/not.
  void load_match(const YAML::Node& n, Condition& c, bool top) {
    (void)top;
    if (n.IsNull()) return;  // match: {} or match: ~ means every event
    if (!n.IsMap()) {
      error(n, "a match block must be a mapping of field: value");
      return;
    }
    for (auto it = n.begin(); it != n.end(); ++it) {
      const std::string field = it->first.as<std::string>();
      const YAML::Node& v = it->second;
      if (field == "any") {
        load_any(v, c);
        continue;
      }
      if (field == "not") {
        c.none.emplace_back();
        load_match(v, c.none.back(), false);
        continue;
      }
      if (!is_condition_field(field)) {
        std::vector<std::string> known = kFieldNames;
        known.push_back("any");
        known.push_back("not");
        std::string msg = "unknown field \"" + field + "\" in match";
        std::string guess = did_you_mean(field, known);
        if (!guess.empty()) {
          msg += " (did you mean \"" + guess + "\"?)";
        } else {
          msg += "; use an event field or labels.NAME / annotations.NAME";
        }
        error(it->first, msg);
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
          error(item, "\"" + field + "\": " + op.error().message());
          return;
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
      const YAML::Node& v = it->second;
      if (!contains(kTicketKeys, key)) {
        unknown_key(it->first, "ticket", kTicketKeys);
        continue;
      }
      std::string text;
      if (key == "type") {
        if (!scalar(v, "\"ticket.type\"", text)) continue;
        auto t = parse_ticket_type(text);
        if (!t) {
          error(v, "\"ticket.type\" is \"" + text + "\", expected incident, service_request, problem or change");
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
          spec.labels.emplace_back(l->first.as<std::string>(),
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

  // A template variable that no event and no capture of this rule can set is
  // a mistake the author wants to hear about now, not at 3 a.m.
  void check_variables(const Rule& rule, const YAML::Node& r) {
    std::vector<std::string> captures;
    rule.condition.collect_capture_names(captures);
    auto check = [&](const Template& t, const YAML::Node& where, const std::string& what) {
      for (const std::string& var : t.variables()) {
        if (is_condition_field(var) || var == "time" || var == "rule" || contains(captures, var)) continue;
        std::vector<std::string> known = kFieldNames;
        known.insert(known.end(), captures.begin(), captures.end());
        std::string msg = what + ": variable \"" + var + "\" is never set";
        std::string guess = did_you_mean(var, known);
        if (!guess.empty()) {
          msg += " (did you mean \"" + guess + "\"?)";
        } else {
          msg += "; use an event field, labels.NAME, annotations.NAME or a named regex capture";
        }
        error(where, msg);
      }
    };
    if (const YAML::Node t = r["ticket"]; t && t.IsMap()) {
      const TicketSpec& s = rule.ticket;
      const std::pair<const char*, const Template*> fields[] = {
          {"title", &s.title}, {"description", &s.description}, {"category", &s.category},
          {"team", &s.team},   {"assignee", &s.assignee}};
      for (auto [name, tmpl] : fields) {
        if (t[name]) check(*tmpl, t[name], std::string("\"ticket.") + name + "\"");
      }
      for (const auto& [name, tmpl] : s.labels) check(tmpl, t["labels"][name], "\"ticket.labels." + name + "\"");
    }
    if (rule.fingerprint && r["fingerprint"]) check(*rule.fingerprint, r["fingerprint"], "\"fingerprint\"");
  }

  size_t error_count() const {
    return static_cast<size_t>(std::count_if(diags_.begin(), diags_.end(), [](const Diagnostic& d) {
      return d.level == Diagnostic::Level::kError;
    }));
  }

  std::string file_;
  std::vector<Diagnostic>& diags_;
};

LoadResult finish(std::vector<Rule> rules, std::vector<Diagnostic> diags) {
  std::map<std::string, const Rule*> seen;
  for (const Rule& r : rules) {
    auto [it, inserted] = seen.emplace(r.name, &r);
    if (!inserted) {
      diags.push_back({Diagnostic::Level::kError, r.file, r.line, r.column,
                       "duplicate rule name \"" + r.name + "\" (first defined at " + it->second->file +
                           ":" + std::to_string(it->second->line) + ")"});
    }
  }
  // Report in reading order: files as loaded, then line and column.
  std::map<std::string, size_t> file_order;
  for (const Diagnostic& d : diags) file_order.emplace(d.file, file_order.size());
  std::stable_sort(diags.begin(), diags.end(), [&](const Diagnostic& a, const Diagnostic& b) {
    return std::tuple(file_order[a.file], a.line, a.column) < std::tuple(file_order[b.file], b.line, b.column);
  });
  LoadResult result;
  const bool failed = std::any_of(diags.begin(), diags.end(), [](const Diagnostic& d) {
    return d.level == Diagnostic::Level::kError;
  });
  result.diagnostics = std::move(diags);
  if (!failed) result.rules = std::make_shared<const RuleSet>(std::move(rules));
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

const Rule* RuleSet::find(std::string_view name) const {
  for (const Rule& r : rules_) {
    if (r.name == name) return &r;
  }
  return nullptr;
}

std::string did_you_mean(std::string_view word, const std::vector<std::string>& candidates) {
  std::string best;
  size_t best_d = std::max<size_t>(2, word.size() / 3) + 1;
  for (const std::string& c : candidates) {
    std::vector<size_t> prev(c.size() + 1), cur(c.size() + 1);
    for (size_t j = 0; j <= c.size(); ++j) prev[j] = j;
    for (size_t i = 1; i <= word.size(); ++i) {
      cur[0] = i;
      for (size_t j = 1; j <= c.size(); ++j) {
        size_t cost = word[i - 1] == c[j - 1] ? 0 : 1;
        cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost});
      }
      std::swap(prev, cur);
    }
    if (prev[c.size()] < best_d) {
      best_d = prev[c.size()];
      best = c;
    }
  }
  return best;
}

LoadResult load_rules_from_string(const std::string& text, const std::string& name) {
  std::vector<Diagnostic> diags;
  std::vector<Rule> rules;
  FileLoader(name, diags).load_text(text, rules);
  return finish(std::move(rules), std::move(diags));
}

LoadResult load_rules(const std::vector<std::string>& paths) {
  std::vector<Diagnostic> diags;
  std::vector<Rule> rules;
  std::vector<std::string> files;
  for (const std::string& p : paths) {
    std::error_code ec;
    if (fs::is_directory(p, ec)) {
      std::vector<std::string> in_dir;
      for (const auto& entry : fs::directory_iterator(p, ec)) {
        const auto ext = entry.path().extension();
        if (entry.is_regular_file() && (ext == ".yaml" || ext == ".yml")) in_dir.push_back(entry.path().string());
      }
      if (ec) diags.push_back({Diagnostic::Level::kError, p, 0, 0, "cannot list directory: " + ec.message()});
      std::sort(in_dir.begin(), in_dir.end(), [](const std::string& a, const std::string& b) {
        return fs::path(a).filename() < fs::path(b).filename();
      });
      files.insert(files.end(), in_dir.begin(), in_dir.end());
    } else if (fs::exists(p, ec)) {
      files.push_back(p);
    } else {
      diags.push_back({Diagnostic::Level::kError, p, 0, 0, "no such file or directory"});
    }
  }
  for (const std::string& f : files) {
    std::ifstream in(f, std::ios::binary);
    if (!in) {
      diags.push_back({Diagnostic::Level::kError, f, 0, 0, "cannot open file"});
      continue;
    }
    std::stringstream ss;
    ss << in.rdbuf();
    FileLoader(f, diags).load_text(ss.str(), rules);
  }
  return finish(std::move(rules), std::move(diags));
}

}  // namespace ticketd::rules
