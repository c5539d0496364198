// The canonical JSON description of a RuleSet and the diff of two of them.
#include "ticketd/rules/describe.hpp"

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>

namespace ticketd::rules {
namespace {

using nlohmann::json;

json opt_duration(const std::optional<Duration>& d) {
  return d ? json(format_duration(*d)) : json(nullptr);
}

json strings(const std::vector<std::string>& v) {
  json out = json::array();
  for (const auto& s : v) out.push_back(s);
  return out;
}

// Adds "match", "any" and "not" of `c` to `out`, as a rule file spells them.
void put_condition(const Condition& c, json& out);

json condition(const Condition& c) {
  json out = json::object();
  put_condition(c, out);
  return out;
}

void put_condition(const Condition& c, json& out) {
  json match = json::object();
  for (const FieldMatch& fm : c.all) {
    json& ops = match[fm.field];
    if (!ops.is_array()) ops = json::array();
    for (const Operand& op : fm.any_of) ops.push_back(op.text());
  }
  json any = json::array();
  for (const Condition& alt : c.any) any.push_back(condition(alt));
  json none = json::array();
  for (const Condition& n : c.none) none.push_back(condition(n));
  out["match"] = std::move(match);
  out["any"] = std::move(any);
  out["not"] = std::move(none);
}

json selector(const AlertSelector& s) {
  json out = json::object();
  out["rule"] = strings(s.rules);
  put_condition(s.condition, out);
  return out;
}

json threshold(const Threshold& t) {
  json out = json::object();
  out["count"] = t.count;
  out["within"] = format_duration(t.within);
  return out;
}

json opt_level(const std::optional<Level>& l) { return l ? json(level_name(*l)) : json(nullptr); }

json ticket(const TicketSpec& t) {
  json out = json::object();
  out["type"] = ticket_type_name(t.type);
  out["title"] = t.title.source();
  out["description"] = t.description.source();
  out["category"] = t.category.source();
  out["team"] = t.team.source();
  out["assignee"] = t.assignee.source();
  out["impact"] = opt_level(t.impact);
  out["urgency"] = opt_level(t.urgency);
  json labels = json::object();
  for (const auto& [name, tmpl] : t.labels) labels[name] = tmpl.source();
  out["labels"] = std::move(labels);
  return out;
}

json rule(const Rule& r) {
  json out = json::object();
  out["name"] = r.name;
  out["description"] = r.description;
  out["file"] = r.file;
  out["line"] = r.line;
  put_condition(r.condition, out);
  out["continue"] = r.continue_matching;
  out["action"] = r.action == RuleAction::kDrop ? "drop" : "ticket";
  out["ticket"] = ticket(r.ticket);
  out["fingerprint"] = r.fingerprint ? json(r.fingerprint->source()) : json(nullptr);
  out["group_by"] = strings(r.group_by);
  out["group_wait"] = format_duration(r.group_wait);
  out["threshold"] = r.threshold ? threshold(*r.threshold) : json(nullptr);
  out["resolve_when"] = r.resolve_when ? condition(*r.resolve_when) : json(nullptr);
  out["auto_resolve_after"] = opt_duration(r.auto_resolve_after);
  out["reopen_window"] = opt_duration(r.reopen_window);
  if (r.flapping) {
    json f = json::object();
    f["changes"] = r.flapping->changes;
    f["within"] = format_duration(r.flapping->within);
    out["flapping"] = std::move(f);
  } else {
    out["flapping"] = nullptr;
  }
  return out;
}

json inhibit(const InhibitRule& i) {
  json out = json::object();
  // The loader names an unnamed rule after where it is; that is no name.
  const bool unnamed = i.name == "inhibit@" + i.file + ":" + std::to_string(i.line);
  out["name"] = unnamed ? json(nullptr) : json(i.name);
  out["file"] = i.file;
  out["line"] = i.line;
  out["source"] = selector(i.source);
  out["target"] = selector(i.target);
  out["equal"] = strings(i.equal);
  return out;
}

json problem(const ProblemRule& p) {
  json out = json::object();
  out["name"] = p.name;
  out["file"] = p.file;
  out["line"] = p.line;
  out["when"] = selector(p.when);
  out["group_by"] = strings(p.group_by);
  out["threshold"] = threshold(p.threshold);
  out["ticket"] = ticket(p.ticket);
  return out;
}

json escalation(const EscalationRule& e) {
  std::vector<Priority> prios = e.priorities;  // a set: P2,P1 is P1,P2
  std::sort(prios.begin(), prios.end());
  prios.erase(std::unique(prios.begin(), prios.end()), prios.end());
  json when = json::object();
  json p = json::array();
  for (Priority x : prios) p.push_back(priority_name(x));
  when["priority"] = std::move(p);
  when["team"] = strings(e.teams);
  when["unacknowledged_for"] = opt_duration(e.unacknowledged_for);
  when["unresolved_for"] = opt_duration(e.unresolved_for);
  json act = json::object();
  act["raise_priority"] = e.raise_priority;
  act["team"] = e.team;
  act["assignee"] = e.assignee;
  act["notify"] = strings(e.notify);
  json out = json::object();
  out["name"] = e.name;
  out["when"] = std::move(when);
  out["do"] = std::move(act);
  return out;
}

// ---- diff ----

const std::set<std::string> kWhereKeys = {"name", "file", "line"};

// Appends one kChanged per differing leaf of two objects; arrays and scalars
// are leaves. Top-level `skip` keys are not compared.
void diff_fields(const json& a, const json& b, const std::string& prefix,
                 const std::set<std::string>& skip, const std::string& section,
                 const std::string& name, std::vector<RuleChange>& out) {
  std::set<std::string> keys;
  if (a.is_object())
    for (auto it = a.begin(); it != a.end(); ++it) keys.insert(it.key());
  if (b.is_object())
    for (auto it = b.begin(); it != b.end(); ++it) keys.insert(it.key());
  for (const std::string& k : keys) {
    if (skip.count(k)) continue;
    const json x = a.is_object() && a.contains(k) ? a[k] : json(nullptr);
    const json y = b.is_object() && b.contains(k) ? b[k] : json(nullptr);
    if (x == y) continue;
    const std::string path = prefix.empty() ? k : prefix + "." + k;
    if (x.is_object() && y.is_object()) {
      diff_fields(x, y, path, {}, section, name, out);
    } else {
      out.push_back({section, name, RuleChange::Kind::kChanged, path, x, y, ""});
    }
  }
}

std::string str(const json& j, const char* key) {
  if (!j.is_object()) return "";
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : "";
}

// A section of a description, or the empty rule set's when it is missing or
// malformed.
const json& section_of(const json& desc, const char* section, json::value_t type) {
  static const json kEmpty = describe(RuleSet{});
  if (desc.is_object()) {
    auto it = desc.find(section);
    if (it != desc.end() && it->type() == type) return *it;
  }
  return kEmpty[section];
}

const json& list(const json& desc, const char* section) {
  return section_of(desc, section, json::value_t::array);
}

const json& object(const json& desc, const char* section) {
  return section_of(desc, section, json::value_t::object);
}

std::string base_name(const std::string& file) {
  return std::filesystem::path(file).filename().string();
}

// The identity of an item of a keyed section: its name, or for an unnamed
// inhibit rule its whole definition (so it can be added or removed, never
// changed).
std::string key_of(const json& item) {
  if (item.is_object() && item.contains("name") && item["name"].is_string())
    return "name:" + item["name"].get<std::string>();
  json content = item;
  if (content.is_object())
    for (const auto& k : kWhereKeys) content.erase(k);
  return "content:" + content.dump();
}

std::string display_name(const json& item, const std::string& section) {
  if (item.is_object() && item.contains("name") && item["name"].is_string())
    return item["name"].get<std::string>();
  std::string at = str(item, "file");
  if (item.contains("line") && item["line"].is_number())
    at += ":" + std::to_string(item["line"].get<int64_t>());
  return "(unnamed " + std::string(section == "inhibit" ? "inhibit" : "item") + " at " + at + ")";
}

using ChangesByName = std::map<std::string, std::vector<RuleChange>>;

// Sections whose items are keyed by name: added, removed, changed by field.
// `after` holds changes to report right after those of the item of that name.
void diff_keyed(const json& old_items, const json& new_items, const std::string& section,
                RuleSetDiff& out, ChangesByName after = {}) {
  std::map<std::string, const json*> old_by_key;
  for (const json& item : old_items) old_by_key.emplace(key_of(item), &item);
  std::set<std::string> seen;
  for (const json& item : new_items) {
    const std::string key = key_of(item);
    if (!seen.insert(key).second) continue;
    auto it = old_by_key.find(key);
    const std::string name = display_name(item, section);
    if (it == old_by_key.end()) {
      out.changes.push_back({section, name, RuleChange::Kind::kAdded, "", nullptr, item, ""});
      continue;
    }
    diff_fields(*it->second, item, "", kWhereKeys, section, name, out.changes);
    if (auto more = after.find(name); more != after.end()) {
      for (RuleChange& c : more->second) out.changes.push_back(std::move(c));
    }
    const std::string was = base_name(str(*it->second, "file"));
    const std::string now = base_name(str(item, "file"));
    if (was != now) out.notes.push_back({section, name, "file", was, now});
  }
  for (const json& item : old_items) {
    if (seen.count(key_of(item))) continue;
    seen.insert(key_of(item));
    out.changes.push_back(
        {section, display_name(item, section), RuleChange::Kind::kRemoved, "", item, nullptr, ""});
  }
}

// The rules present in both sets that are not in the longest common
// subsequence of the two orders changed their place relative to the others.
ChangesByName diff_order(const json& old_rules, const json& new_rules) {
  ChangesByName out;
  std::map<std::string, size_t> old_pos, new_pos;
  for (size_t i = 0; i < old_rules.size(); ++i) old_pos.emplace(str(old_rules[i], "name"), i);
  for (size_t i = 0; i < new_rules.size(); ++i) new_pos.emplace(str(new_rules[i], "name"), i);
  std::vector<std::string> a, b;  // the common names, in old and in new order
  for (const json& r : old_rules)
    if (new_pos.count(str(r, "name"))) a.push_back(str(r, "name"));
  for (const json& r : new_rules)
    if (old_pos.count(str(r, "name"))) b.push_back(str(r, "name"));
  const size_t n = a.size(), m = b.size();
  std::vector<std::vector<uint32_t>> len(n + 1, std::vector<uint32_t>(m + 1, 0));
  for (size_t i = n; i-- > 0;)
    for (size_t j = m; j-- > 0;)
      len[i][j] = a[i] == b[j] ? len[i + 1][j + 1] + 1 : std::max(len[i + 1][j], len[i][j + 1]);
  std::set<std::string> stay;
  for (size_t i = 0, j = 0; i < n && j < m;) {
    if (a[i] == b[j]) {
      stay.insert(a[i]);
      ++i;
      ++j;
    } else if (len[i + 1][j] >= len[i][j + 1]) {
      ++i;
    } else {
      ++j;
    }
  }
  for (size_t j = 0; j < m; ++j) {
    if (stay.count(b[j])) continue;
    std::string detail;
    for (size_t k = j + 1; k < m && detail.empty(); ++k)
      if (stay.count(b[k])) detail = "now tried before \"" + b[k] + "\"";
    for (size_t k = j; k-- > 0 && detail.empty();)
      if (stay.count(b[k])) detail = "now tried after \"" + b[k] + "\"";
    out[b[j]].push_back({"rules", b[j], RuleChange::Kind::kMoved, "order", json(old_pos[b[j]] + 1),
                         json(new_pos[b[j]] + 1), detail});
  }
  return out;
}

}  // namespace

json describe(const RuleSet& set) {
  json out = json::object();
  json rules = json::array();
  for (const Rule& r : set.rules()) rules.push_back(rule(r));
  out["rules"] = std::move(rules);
  json inhibits = json::array();
  for (const InhibitRule& i : set.inhibits) inhibits.push_back(inhibit(i));
  out["inhibit"] = std::move(inhibits);
  json problems = json::array();
  for (const ProblemRule& p : set.problems) problems.push_back(problem(p));
  out["problems"] = std::move(problems);
  json storm = json::object();
  storm["threshold"] = set.storm.threshold;
  storm["within"] = format_duration(set.storm.within);
  out["storm"] = std::move(storm);
  json sla = json::object();
  for (const auto& [prio, target] : set.sla) {
    json t = json::object();
    t["respond"] = opt_duration(target.respond);
    t["resolve"] = opt_duration(target.resolve);
    sla[priority_name(prio)] = std::move(t);
  }
  out["sla"] = std::move(sla);
  json escalations = json::array();
  for (const EscalationRule& e : set.escalations) escalations.push_back(escalation(e));
  out["escalate"] = std::move(escalations);
  return out;
}

const char* change_kind_name(RuleChange::Kind k) {
  switch (k) {
    case RuleChange::Kind::kAdded:
      return "added";
    case RuleChange::Kind::kRemoved:
      return "removed";
    case RuleChange::Kind::kChanged:
      return "changed";
    case RuleChange::Kind::kMoved:
      return "moved";
  }
  return "changed";
}

RuleSetDiff diff_rule_sets(const json& old_desc, const json& new_desc) {
  RuleSetDiff out;
  const json& old_rules = list(old_desc, "rules");
  const json& new_rules = list(new_desc, "rules");
  // Per rule in the new order: added, or its changed fields and its move;
  // then the removed ones.
  diff_keyed(old_rules, new_rules, "rules", out, diff_order(old_rules, new_rules));
  diff_keyed(list(old_desc, "inhibit"), list(new_desc, "inhibit"), "inhibit", out);
  diff_keyed(list(old_desc, "problems"), list(new_desc, "problems"), "problems", out);
  diff_fields(object(old_desc, "storm"), object(new_desc, "storm"), "", {}, "storm", "",
              out.changes);
  {
    const json& a = object(old_desc, "sla");
    const json& b = object(new_desc, "sla");
    std::set<std::string> prios;
    for (auto it = a.begin(); it != a.end(); ++it) prios.insert(it.key());
    for (auto it = b.begin(); it != b.end(); ++it) prios.insert(it.key());
    for (const std::string& p : prios) {
      if (!a.contains(p)) {
        out.changes.push_back({"sla", p, RuleChange::Kind::kAdded, "", nullptr, b[p], ""});
      } else if (!b.contains(p)) {
        out.changes.push_back({"sla", p, RuleChange::Kind::kRemoved, "", a[p], nullptr, ""});
      } else {
        diff_fields(a[p], b[p], "", {}, "sla", p, out.changes);
      }
    }
  }
  diff_keyed(list(old_desc, "escalate"), list(new_desc, "escalate"), "escalate", out);
  return out;
}

json to_json(const RuleSetDiff& diff) {
  json changes = json::array();
  for (const RuleChange& c : diff.changes) {
    json j = json::object();
    j["section"] = c.section;
    j["name"] = c.name;
    j["change"] = change_kind_name(c.kind);
    j["field"] = c.field.empty() ? json(nullptr) : json(c.field);
    j["old"] = c.old_value;
    j["new"] = c.new_value;
    if (!c.detail.empty()) j["detail"] = c.detail;
    changes.push_back(std::move(j));
  }
  json notes = json::array();
  for (const RuleNote& n : diff.notes) {
    json j = json::object();
    j["section"] = n.section;
    j["name"] = n.name;
    j["field"] = n.field;
    j["old"] = n.old_value;
    j["new"] = n.new_value;
    notes.push_back(std::move(j));
  }
  json out = json::object();
  out["changes"] = std::move(changes);
  out["notes"] = std::move(notes);
  return out;
}

}  // namespace ticketd::rules
