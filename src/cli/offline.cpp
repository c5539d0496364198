#include "offline.hpp"

#include <yaml-cpp/yaml.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <sstream>

#include "table.hpp"
#include "ticketd/core/clock.hpp"
#include "ticketd/engine/engine.hpp"
#include "ticketd/rules/test_file.hpp"

namespace ticketd::cli {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// Rule tests start at this simulated instant ("at: 0s").
const TimePoint kEpoch = from_unix_ms(1'767'225'600'000);  // 2026-01-01T00:00:00Z

json yaml_to_json(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Map: {
      json j = json::object();
      for (auto it = n.begin(); it != n.end(); ++it)
        j[it->first.as<std::string>()] = yaml_to_json(it->second);
      return j;
    }
    case YAML::NodeType::Sequence: {
      json j = json::array();
      for (const auto& x : n) j.push_back(yaml_to_json(x));
      return j;
    }
    case YAML::NodeType::Scalar:
      return n.Scalar();
    default:
      return nullptr;
  }
}

std::string text_of(const json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_null()) return "";
  return v.dump();
}

// The whole file, or nullopt with `error` set to "cannot read FILE: REASON"
// (a missing file is not "not valid JSON").
std::optional<std::string> read_file(const std::string& path, std::string& error) {
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    error = "cannot read " + path + ": " + std::strerror(EISDIR);
    return std::nullopt;
  }
  errno = 0;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = "cannot read " + path + ": " + std::strerror(errno != 0 ? errno : EIO);
    return std::nullopt;
  }
  return std::string(std::istreambuf_iterator<char>(in), {});
}

std::shared_ptr<const rules::RuleSet> load_or_report(const std::vector<std::string>& paths,
                                                     std::ostream& out) {
  auto r = rules::load_rules(paths);
  for (const auto& d : r.diagnostics) out << d.to_string() << "\n";
  return r.rules;
}

// Keeps the latest state of every ticket the engine reports.
struct TicketBook {
  std::map<std::string, Ticket> tickets;
  std::vector<std::string> order;
  void absorb(const engine::Actions& actions) {
    for (const auto& a : actions) {
      if (const auto* o = std::get_if<engine::TicketOpened>(&a)) {
        if (!tickets.count(o->ticket.key)) order.push_back(o->ticket.key);
        tickets[o->ticket.key] = o->ticket;
      } else if (const auto* u = std::get_if<engine::TicketUpdated>(&a)) {
        tickets[u->ticket.key] = u->ticket;
      } else if (const auto* p = std::get_if<engine::ProblemLinked>(&a)) {
        tickets[p->incident_key].problem = p->problem_key;
      }
    }
  }
};

// An expected map (`sla: { breached: true }`, `labels: { env: prod }`) holds
// when each key it names has that value; the others are not compared.
void out_of_object(const std::string& path, const json& want, const json& got,
                   std::vector<std::string>& out) {
  for (const auto& [k, w] : want.items()) {
    const std::string field = path + "." + k;
    const json g = got.is_object() && got.contains(k) ? got[k] : json(nullptr);
    if (w.is_object()) {
      out_of_object(field, w, g, out);
      continue;
    }
    const std::string got_text = g.is_null() ? "(unset)" : text_of(g);
    if (got_text != text_of(w))
      out.push_back(field + ": want \"" + text_of(w) + "\", got \"" + got_text + "\"");
  }
}

// Does `actual` (ticket JSON) have every field `expected` names with that value?
// Returns the mismatches as "field: want X, got Y".
std::vector<std::string> mismatches(const json& expected, const json& actual) {
  std::vector<std::string> out;
  for (const auto& [k, want] : expected.items()) {
    if (want.is_object()) {  // labels, sla, resolution, external: the keys named
      out_of_object(k, want, actual.contains(k) ? actual[k] : json(nullptr), out);
      continue;
    }
    if (k == "alerts") {
      std::string got = std::to_string(actual["alerts"].size());
      if (got != text_of(want)) out.push_back("alerts: want " + text_of(want) + ", got " + got);
      continue;
    }
    if (k == "breached" || k == "respond_by" || k == "resolve_by") {
      std::string got = text_of(actual["sla"][k]);
      if (got != text_of(want))
        out.push_back(k + ": want \"" + text_of(want) + "\", got \"" + got + "\"");
      continue;
    }
    if (k == "incidents") {
      std::string got = std::to_string(actual["incidents"].size());
      if (got != text_of(want)) out.push_back("incidents: want " + text_of(want) + ", got " + got);
      continue;
    }
    if (!actual.contains(k)) {
      out.push_back(k + ": not a ticket field");
      continue;
    }
    std::string got = text_of(actual[k]);
    if (got != text_of(want))
      out.push_back(k + ": want \"" + text_of(want) + "\", got \"" + got + "\"");
  }
  return out;
}

// The value of an expectation's field in a ticket, as mismatches() reads it.
json field_of(const json& t, const std::string& k) {
  if (k == "alerts" || k == "incidents") return t.contains(k) ? json(t[k].size()) : json(nullptr);
  if (k == "breached" || k == "respond_by" || k == "resolve_by")
    return t.contains("sla") && t["sla"].contains(k) ? t["sla"][k] : json(nullptr);
  return t.contains(k) ? t[k] : json(nullptr);
}

// A got-line: the usual fields, then every other field the expectations name
// (so a test about `team` shows the team it got).
std::string describe(const json& t, const std::vector<std::string>& extra) {
  std::string s;
  std::vector<std::string> keys = {"key", "type", "priority", "status", "event_count", "title"};
  for (const auto& k : extra)
    if (std::find(keys.begin(), keys.end(), k) == keys.end()) keys.push_back(k);
  for (const auto& k : keys) {
    if (!s.empty()) s += " ";
    const json v = field_of(t, k);
    s += k + "=" +
         (v.is_string() ? "\"" + text_of(v) + "\""
          : v.is_null() ? "(unset)"
                        : text_of(v));
  }
  return s;
}

// For an event no rule matched: the rule it came closest to (fewest failed
// conditions, the first of equals) and what failed, e.g.
// `closest rule link-down: trap_oid is "IF-MIB::linkUp", want one of [...]`.
std::string closest_rule(const rules::RuleSet& set, const Event& e) {
  const rules::Rule* best = nullptr;
  std::vector<std::string> best_failed;
  for (const auto& r : set.rules()) {
    if (r.action == rules::RuleAction::kDrop) continue;
    auto failed = r.condition.failures(e);
    if (failed.empty()) continue;
    if (!best || failed.size() < best_failed.size()) {
      best = &r;
      best_failed = std::move(failed);
    }
  }
  if (!best) return "no rule to compare with";
  std::string s = "closest rule " + best->name + ": ";
  for (size_t i = 0; i < best_failed.size(); ++i) s += (i ? "; " : "") + best_failed[i];
  return s;
}

// One line of a test's decision trace: what the engine did with an event.
std::string trace_line(size_t index, Duration at, const engine::EventRecorded& rec,
                       const rules::RuleSet& set) {
  std::string s = "event " + std::to_string(index) + " at " + format_duration(at);
  if (!rec.event.host.empty()) s += " (" + rec.event.host + ")";
  s += ": " + std::string(decision_name(rec.decision));
  if (!rec.rule.empty()) s += " by " + rec.rule;
  if (!rec.ticket_key.empty()) s += " -> " + rec.ticket_key;
  if (!rec.detail.empty()) s += " (" + rec.detail + ")";
  if (rec.decision == Decision::kUnmatched) s += "; " + closest_rule(set, rec.event);
  return s;
}

struct TestOutcome {
  bool passed = true;
  std::vector<std::string> report;
  std::vector<std::string> trace;       // what the engine did with each event
  std::set<std::string> reached_rules;  // rules that decided an event
};

TestOutcome run_test(const std::shared_ptr<const rules::RuleSet>& rule_set,
                     const YAML::Node& test) {
  TestOutcome r;
  engine::Engine eng(rule_set);
  TicketBook book;
  TimePoint now = kEpoch;
  auto record = [&](const engine::Actions& actions, size_t index, Duration at) {
    for (const auto& a : actions) {
      const auto* rec = std::get_if<engine::EventRecorded>(&a);
      if (!rec) continue;
      if (!rec->rule.empty()) r.reached_rules.insert(rec->rule);
      r.trace.push_back(trace_line(index, at, *rec, *rule_set));
    }
  };
  const YAML::Node events = test["events"];
  if (events && events.IsSequence()) {
    size_t i = 0;
    for (const YAML::Node& ev : events) {
      ++i;
      json j = yaml_to_json(ev);
      Duration at{};
      if (j.contains("at")) {
        auto d = parse_duration(text_of(j["at"]));
        if (!d) {
          r.passed = false;
          r.report.push_back("event " + std::to_string(i) + ": \"at\": " + d.error().message());
          return r;
        }
        at = *d;
        j.erase("at");
      }
      if (kEpoch + at < now) {
        r.passed = false;
        r.report.push_back("event " + std::to_string(i) + ": \"at\" goes back in time");
        return r;
      }
      now = kEpoch + at;
      auto e = event_from_json(j, now);
      if (!e) {
        r.passed = false;
        r.report.push_back("event " + std::to_string(i) + ": " + e.error().message());
        return r;
      }
      e->time = now;
      book.absorb(eng.tick(now));
      const engine::Actions acts = eng.process(*e, now);
      record(acts, i, at);
      book.absorb(acts);
    }
  }
  if (const YAML::Node until = test["until"]) {
    auto d = parse_duration(until.as<std::string>());
    if (!d) {
      r.passed = false;
      r.report.push_back("\"until\": " + d.error().message());
      return r;
    }
    if (kEpoch + *d > now) now = kEpoch + *d;
  }
  book.absorb(eng.tick(now));

  json actual = json::array();
  for (const auto& key : book.order) actual.push_back(ticket_to_json(book.tickets[key]));
  json expected = test["expect"] ? yaml_to_json(test["expect"]) : json::array();
  if (!expected.is_array()) expected = json::array();
  std::set<size_t> used;
  for (size_t e = 0; e < expected.size(); ++e) {
    std::optional<size_t> found;
    std::vector<std::string> closest;
    for (size_t a = 0; a < actual.size(); ++a) {
      if (used.count(a)) continue;
      auto miss = mismatches(expected[e], actual[a]);
      if (miss.empty()) {
        found = a;
        break;
      }
      if (closest.empty() || miss.size() < closest.size()) closest = miss;
    }
    if (found) {
      used.insert(*found);
      continue;
    }
    r.passed = false;
    r.report.push_back("expected ticket " + std::to_string(e + 1) + " " + expected[e].dump() +
                       " not found");
    for (const auto& m : closest) r.report.push_back("    closest ticket differs: " + m);
  }
  if (actual.size() != expected.size()) {
    r.passed = false;
    r.report.push_back("expected " + std::to_string(expected.size()) + " ticket(s), got " +
                       std::to_string(actual.size()));
  }
  if (!r.passed) {
    std::vector<std::string> named;
    for (const auto& e : expected)
      if (e.is_object())
        for (const auto& [k, v] : e.items()) named.push_back(k);
    r.report.push_back("  got:");
    if (actual.empty()) r.report.push_back("    (no tickets)");
    for (const auto& t : actual) r.report.push_back("    " + describe(t, named));
    r.report.push_back("  events:");
    if (r.trace.empty()) r.report.push_back("    (no events)");
    for (const auto& line : r.trace) r.report.push_back("    " + line);
  }
  return r;
}

void collect_test_files(const std::string& path, std::vector<std::string>& out) {
  std::error_code ec;
  if (!fs::is_directory(path, ec)) {
    out.push_back(path);
    return;
  }
  std::vector<std::string> found;
  for (const auto& entry : fs::recursive_directory_iterator(path, ec)) {
    const auto ext = entry.path().extension();
    if (!entry.is_regular_file() || (ext != ".yaml" && ext != ".yml")) continue;
    // Only files with a top-level "tests:" are rule tests.
    try {
      YAML::Node n = YAML::LoadFile(entry.path().string());
      if (n.IsMap() && n["tests"]) found.push_back(entry.path().string());
    } catch (const YAML::Exception&) {
      found.push_back(entry.path().string());  // report the syntax error when run
    }
  }
  std::sort(found.begin(), found.end());
  out.insert(out.end(), found.begin(), found.end());
}

}  // namespace

int test_rules(const std::vector<std::string>& paths, std::ostream& out,
               const std::optional<std::regex>& run, const std::string& run_pattern) {
  std::vector<std::string> files;
  for (const auto& p : paths) collect_test_files(p, files);
  if (files.empty()) {
    out << "no rule test files found in";
    for (const auto& p : paths) out << " " << p;
    out << "\n";
    return 1;
  }
  // Every file is checked before any test runs: a typo in a key would
  // otherwise make a test compare less than it says and pass.
  std::vector<std::string> texts;
  size_t errors = 0;
  for (const auto& file : files) {
    std::string error;
    auto text = read_file(file, error);
    if (!text) {
      out << error << "\n";
      ++errors;
      texts.emplace_back();
      continue;
    }
    for (const auto& d : rules::check_rule_test_file(*text, file)) {
      out << d.to_string() << "\n";
      ++errors;
    }
    texts.push_back(std::move(*text));
  }
  if (errors > 0) {
    out << errors << (errors == 1 ? " error" : " errors") << " in rule test files; no test run\n";
    return 1;
  }
  int total = 0, failed = 0, all = 0;
  // Every rule some test file loads (name -> where), and those an event of
  // some test reached: a rule no test reaches is a rule no test checks.
  std::map<std::string, std::string> loaded_rules;
  std::set<std::string> reached;
  for (size_t f = 0; f < files.size(); ++f) {
    const std::string& file = files[f];
    // Checked above; merge keys resolved as in rule files.
    const YAML::Node doc = rules::load_rule_test_document(texts[f], file).value_or(YAML::Node());
    // A test's name, "test N" (N counting every test) when it has none.
    std::vector<std::pair<YAML::Node, std::string>> selected;
    for (const YAML::Node& test : doc["tests"]) {
      ++all;
      std::string name =
          test["name"] ? test["name"].as<std::string>() : "test " + std::to_string(all);
      if (!run || std::regex_search(name, *run)) selected.emplace_back(test, std::move(name));
    }
    if (selected.empty()) continue;  // its rule files are not even loaded
    std::vector<std::string> rule_paths;
    const fs::path base = fs::path(file).parent_path();
    for (const auto& rf : doc["rule_files"])
      rule_paths.push_back((base / rf.as<std::string>()).lexically_normal().string());
    auto rule_set = load_or_report(rule_paths, out);
    if (!rule_set) {
      out << "FAIL " << file << ": the rule files are invalid\n";
      ++failed;
      continue;
    }
    for (const auto& rule : rule_set->rules())
      loaded_rules.emplace(rule.name, rule.file + ":" + std::to_string(rule.line));
    for (const auto& [test, name] : selected) {
      ++total;
      TestOutcome r;
      try {
        r = run_test(rule_set, test);
      } catch (const std::exception& e) {
        r.passed = false;
        r.report.push_back(std::string("invalid test: ") + e.what());
      }
      reached.insert(r.reached_rules.begin(), r.reached_rules.end());
      if (r.passed) {
        out << "ok   " << file << ": " << name << "\n";
      } else {
        ++failed;
        out << "FAIL " << file << ": " << name << "\n";
        for (const auto& line : r.report) out << "  " << line << "\n";
      }
    }
  }
  if (run) {
    out << "--run \"" << run_pattern << "\" selected " << total << " of " << all << " tests\n";
    if (total == 0) {
      out << "no test name matches --run \"" << run_pattern << "\"\n";
      return 1;
    }
  }
  // With --run only some tests ran: every rule they skip would be listed.
  if (!run) {
    std::vector<std::string> unreached;
    for (const auto& [name, where] : loaded_rules)
      if (!reached.count(name)) unreached.push_back(name + " (" + where + ")");
    if (!unreached.empty()) {
      out << "rules no test reaches (" << unreached.size() << " of " << loaded_rules.size()
          << "): no test event is decided by them\n";
      for (const auto& u : unreached) out << "  " << u << "\n";
    }
  }
  out << total << " tests, " << failed << " failed\n";
  return failed == 0 ? 0 : 1;
}

std::optional<ReplayUntil> parse_replay_until(const std::string& text, std::string& error) {
  ReplayUntil u;
  u.text = text;
  if (auto t = parse_rfc3339(text)) {
    u.at = *t;
    return u;
  }
  if (auto d = parse_duration(text)) {
    u.after = *d;
    return u;
  }
  error = "--until \"" + text +
          "\" is neither an RFC 3339 time (2026-01-01T12:00:00Z) nor a duration after the last "
          "event (30m, 2h, 7d)";
  return std::nullopt;
}

int replay(const std::vector<std::string>& rule_paths, const std::string& events_file,
           std::ostream& out, const std::optional<ReplayUntil>& until) {
  auto rule_set = load_or_report(rule_paths, std::cerr);
  if (!rule_set) return 1;
  std::ifstream file;
  std::istream* in = &std::cin;
  if (events_file != "-") {
    errno = 0;
    file.open(events_file);
    if (!file) {
      std::cerr << "ticketctl: cannot read " << events_file << ": "
                << std::strerror(errno != 0 ? errno : EIO) << "\n";
      return 1;
    }
    in = &file;
  }
  engine::Engine eng(rule_set);
  SystemClock wall;
  TimePoint now{};
  std::string line;
  int lineno = 0, bad = 0;
  auto emit = [&](const engine::Actions& actions) {
    for (const auto& a : actions) {
      if (std::holds_alternative<engine::StateChanged>(a))
        continue;  // the daemon's, not the engine's
      json j = engine::action_to_json(a);
      const auto* rec = std::get_if<engine::EventRecorded>(&a);
      if (rec && rec->decision == Decision::kUnmatched)
        j["reason"] = closest_rule(*rule_set, rec->event);
      out << j.dump() << "\n";
    }
  };
  while (std::getline(*in, line)) {
    ++lineno;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    auto j = json::parse(line, nullptr, false);
    auto e = j.is_discarded() ? Result<Event>(Status::invalid_argument("not valid JSON"))
                              : event_from_json(j, now == TimePoint{} ? wall.now() : now);
    if (!e) {
      std::cerr << events_file << ":" << lineno << ": " << e.error().message() << "\n";
      ++bad;
      continue;
    }
    now = std::max(now, e->time);  // events replay on their own clock, never backwards
    emit(eng.tick(now));
    emit(eng.process(*e, now));
  }
  emit(eng.tick(now));
  if (until) {
    // The clock runs on past the last event: the timers due by then fire
    // (escalations, SLA breaches, auto_resolve_after, group_wait, ...).
    if (!until->at && now == TimePoint{}) {
      std::cerr << "ticketctl: --until " << until->text
                << ": no event to count the duration from\n";
      return 2;
    }
    const TimePoint end = until->at ? *until->at : now + until->after;
    if (end < now) {
      std::cerr << "ticketctl: --until " << until->text << " is before the last event ("
                << format_rfc3339(now) << "); the clock never goes back\n";
      return 2;
    }
    emit(eng.tick(end));
  }
  return bad == 0 ? 0 : 1;
}

namespace {

// What an outcome means for a reload: which rule decides the event, and
// whether that makes (or feeds) a ticket, drops it or leaves it unmatched.
// Deduplicated, pending, grouped... are all "ticket": they differ by state
// (what was open before the window), not by rules.
std::string outcome_class(const std::string& decision) {
  if (decision == "dropped") return "dropped";
  if (decision == "unmatched") return "unmatched";
  if (decision == "silenced" || decision == "inhibited") return "";  // compare by rule only
  return "ticket";
}

std::string outcome_text(const std::string& decision, const std::string& rule) {
  return rule.empty() ? decision : decision + " by " + rule;
}

}  // namespace

int replay_compare(const std::vector<std::string>& rule_paths,
                   const std::vector<StoredDecision>& stored, const std::string& window,
                   bool as_json, std::ostream& out) {
  auto rule_set = load_or_report(rule_paths, std::cerr);
  if (!rule_set) return 1;
  engine::Engine eng(rule_set);
  TimePoint now{};
  struct Change {
    std::string from, to;
    size_t events = 0;
    std::vector<std::string> ids;  // the first few
    std::string example_host, example_message;
  };
  std::map<std::pair<std::string, std::string>, Change> changes;
  size_t replayed = 0, unchanged = 0, unreadable = 0;
  // The tickets the events land in (opened, or joined when opened before the
  // window): a threshold or grouping change shows here, not per event.
  std::set<std::string> running_keys, candidate_keys;
  std::string first_at, last_at;
  for (const StoredDecision& s : stored) {
    auto j = json::parse(s.event_json, nullptr, false);
    auto received = parse_rfc3339(s.received_at);
    auto e = j.is_discarded() ? Result<Event>(Status::invalid_argument("not valid JSON"))
                              : event_from_json(j, received ? *received : now);
    if (!e) {
      ++unreadable;
      continue;
    }
    ++replayed;
    if (first_at.empty()) first_at = s.received_at;
    last_at = s.received_at;
    now = std::max(now, e->time);
    eng.tick(now);
    const engine::Actions acts = eng.process(*e, now);
    if (!s.ticket.empty() && outcome_class(s.decision) == "ticket") running_keys.insert(s.ticket);
    // The first record is the event's own decision (continue: true rules
    // add more; the first rule is the one that decided it).
    const engine::EventRecorded* rec = nullptr;
    for (const auto& a : acts)
      if ((rec = std::get_if<engine::EventRecorded>(&a))) break;
    const std::string decision = rec ? decision_name(rec->decision) : "unmatched";
    const std::string rule = rec ? rec->rule : "";
    if (rec && !rec->ticket_key.empty() && outcome_class(decision) == "ticket")
      candidate_keys.insert(rec->ticket_key);
    const std::string was = outcome_class(s.decision);
    const bool same = s.rule == rule && (was.empty() || was == outcome_class(decision) ||
                                         outcome_class(decision).empty());
    if (same) {
      ++unchanged;
      continue;
    }
    const std::string from = outcome_text(was.empty() ? s.decision : was, s.rule);
    const std::string to =
        outcome_text(outcome_class(decision).empty() ? decision : outcome_class(decision), rule);
    Change& c = changes[{from, to}];
    c.from = from;
    c.to = to;
    if (c.events++ == 0) {
      c.example_host = e->host;
      c.example_message = e->message;
    }
    if (c.ids.size() < 5) c.ids.push_back(s.id);
  }
  std::vector<const Change*> sorted;
  for (const auto& [k, c] : changes) sorted.push_back(&c);
  std::stable_sort(sorted.begin(), sorted.end(),
                   [](const Change* a, const Change* b) { return a->events > b->events; });
  const size_t changed = replayed - unchanged;
  const size_t running_tickets = running_keys.size(), candidate_tickets = candidate_keys.size();
  if (as_json) {
    json list = json::array();
    for (const Change* c : sorted) {
      list.push_back({{"from", c->from},
                      {"to", c->to},
                      {"events", c->events},
                      {"event_ids", c->ids},
                      {"example", {{"host", c->example_host}, {"message", c->example_message}}}});
    }
    out << json{{"window", window},
                {"first", first_at.empty() ? json(nullptr) : json(first_at)},
                {"last", last_at.empty() ? json(nullptr) : json(last_at)},
                {"events", replayed},
                {"unreadable", unreadable},
                {"unchanged", unchanged},
                {"changed", changed},
                {"changes", list},
                {"tickets", {{"running", running_tickets}, {"candidate", candidate_tickets}}}}
               .dump(2)
        << "\n";
  } else {
    out << "replayed " << replayed << " stored events";
    if (!first_at.empty()) out << " received " << first_at << " .. " << last_at;
    out << " (--since " << window << ")\n";
    if (unreadable > 0) out << unreadable << " stored events could not be read and were skipped\n";
    out << "unchanged: " << unchanged << "\nchanged:   " << changed << "\n";
    if (!sorted.empty()) {
      Table t({"RUNNING RULES", "CANDIDATE RULES", "EVENTS", "EVENT IDS", "EXAMPLE"});
      for (const Change* c : sorted) {
        std::string ids;
        for (const auto& id : c->ids) ids += (ids.empty() ? "" : ",") + id;
        if (c->events > c->ids.size()) ids += ",…";
        t.add({c->from, c->to, std::to_string(c->events), ids,
               c->example_host + (c->example_message.empty() ? "" : ": " + c->example_message)});
      }
      t.print(out, 100);
    }
    out << "tickets these events went to: " << running_tickets << " under the running rules, "
        << candidate_tickets << " under the candidate rules\n";
    if (changed == 0 && running_tickets == candidate_tickets)
      out << "no change: the candidate rules decide every event as the running rules did\n";
  }
  return changed == 0 && running_tickets == candidate_tickets ? 0 : 2;
}

void print_explanation(const std::string& explanation_json, std::ostream& out) {
  auto j = json::parse(explanation_json, nullptr, false);
  if (j.is_discarded()) {
    out << explanation_json << "\n";
    return;
  }
  // A rule that did not match gets one line per failed condition.
  Table t({"RULE", "MATCHED", "REASON", "FINGERPRINT"});
  for (const auto& r : j["rules"]) {
    const std::string matched = r["matched"].get<bool>() ? "yes" : "no";
    if (r.contains("failed") && r["failed"].is_array() && !r["failed"].empty()) {
      bool first = true;
      for (const auto& f : r["failed"]) {
        t.add({first ? text_of(r["rule"]) : "", first ? matched : "", text_of(f), ""});
        first = false;
      }
      continue;
    }
    std::string reason = text_of(r["reason"]);
    if (r.contains("captures")) reason += " " + r["captures"].dump();
    t.add({text_of(r["rule"]), matched, reason,
           r.contains("fingerprint") ? text_of(r["fingerprint"]) : ""});
  }
  if (t.print(out, 80))
    out << "(text longer than 80 columns is cut with \"…\"; --json shows it in full)\n";
  out << "\ndecision: " << text_of(j["decision"]) << "\n";
  for (const auto& d : j["decisions"]) {
    out << "  " << text_of(d["decision"]);
    if (d.contains("rule")) out << " by rule " << text_of(d["rule"]);
    if (d.contains("ticket")) out << " -> " << text_of(d["ticket"]);
    if (d.contains("detail")) out << " (" << text_of(d["detail"]) << ")";
    out << "\n";
  }
}

int explain_offline(const std::vector<std::string>& rule_paths, const std::string& event_file,
                    bool as_json, std::ostream& out) {
  auto rule_set = load_or_report(rule_paths, std::cerr);
  if (!rule_set) return 1;
  std::string text;
  if (event_file == "-") {
    text.assign(std::istreambuf_iterator<char>(std::cin), {});
  } else {
    std::string error;
    auto read = read_file(event_file, error);
    if (!read) {
      std::cerr << "ticketctl: " << error << "\n";
      return 1;
    }
    text = std::move(*read);
  }
  auto j = json::parse(text, nullptr, false);
  SystemClock wall;
  auto e = j.is_discarded() ? Result<Event>(Status::invalid_argument("not valid JSON"))
                            : event_from_json(j, wall.now());
  if (!e) {
    std::cerr << "ticketctl: " << event_file << ": " << e.error().message() << "\n";
    return 1;
  }
  engine::Engine eng(rule_set);
  const std::string result = eng.explain(*e, wall.now()).to_json().dump(as_json ? 2 : -1);
  if (as_json) {
    out << result << "\n";
  } else {
    print_explanation(result, out);
  }
  return 0;
}

}  // namespace ticketd::cli
