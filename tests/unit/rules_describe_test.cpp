// describe() and diff_rule_sets(): the canonical form of a rule set and the
// field-level differences `ticketctl rules diff` prints.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "ticketd/rules/describe.hpp"
#include "ticketd/rules/rule_set.hpp"

namespace ticketd::rules {
namespace {

using nlohmann::json;

json described(const std::string& yaml) {
  LoadResult r = load_rules_from_string(yaml, "rules.yaml");
  EXPECT_TRUE(r.ok()) << (r.diagnostics.empty() ? "" : r.diagnostics[0].to_string());
  return r.ok() ? describe(*r.rules) : json();
}

RuleSetDiff diff(const std::string& old_yaml, const std::string& new_yaml) {
  return diff_rule_sets(described(old_yaml), described(new_yaml));
}

// "section name change field old new" per change, for exact comparisons.
std::vector<std::string> lines(const RuleSetDiff& d) {
  std::vector<std::string> out;
  for (const RuleChange& c : d.changes) {
    std::string l = c.section + " " + c.name + " " + change_kind_name(c.kind);
    if (!c.field.empty()) l += " " + c.field;
    if (c.kind == RuleChange::Kind::kChanged || c.kind == RuleChange::Kind::kMoved)
      l += " " + c.old_value.dump() + " -> " + c.new_value.dump();
    if (!c.detail.empty()) l += " (" + c.detail + ")";
    out.push_back(l);
  }
  return out;
}

const char* kEverySection = R"(
rules:
  - name: ssh
    description: brute force
    match: { app: sshd, message: '~from (?P<ip>\S+)' }
    any: [{ host: bastion }, { host: "~^jump" }]
    not: { severity: debug }
    continue: true
    ticket:
      type: incident
      title: "SSH from {{ ip }}"
      team: security
      impact: high
      labels: { src: "{{ ip }}", env: prod }
    fingerprint: "{{ host }}/{{ ip }}"
    group_by: [host]
    group_wait: 30s
    threshold: { count: 5, within: 120s }
    resolve_when: { match: { message: '~accepted .* from (?P<ip>\S+)' } }
    auto_resolve_after: 3600s
    reopen_window: 1d
    flapping: { changes: 4, within: 10m }
  - name: noise
    match: { app: cron }
    action: drop
inhibit:
  - source: { rule: ssh }
    target: { severity: "<=warning" }
    equal: [host]
problems:
  - name: recurring
    when: { rule: ssh }
    group_by: [host]
    threshold: { count: 3, within: 7d }
    ticket: { title: "Recurring on {{ host }}" }
storm: { threshold: 100, within: 1m }
sla:
  P1: { respond: 15m, resolve: 4h }
escalate:
  - when: { priority: [P2, P1], unacknowledged_for: 900s }
    do: { team: leads, notify: [pager] }
)";

TEST(RulesDescribe, RendersEverySectionCanonically) {
  const json d = described(kEverySection);
  ASSERT_TRUE(d.is_object());
  const json& r = d["rules"][0];
  EXPECT_EQ(r["name"], "ssh");
  EXPECT_EQ(r["description"], "brute force");
  EXPECT_EQ(r["line"], 3);
  EXPECT_EQ(r["match"], json::parse(R"j({"app":["sshd"],"message":["~from (?P<ip>\\S+)"]})j"));
  EXPECT_EQ(r["any"].dump(), R"([{"any":[],"match":{"host":["bastion"]},"not":[]},)"
                             R"({"any":[],"match":{"host":["~^jump"]},"not":[]}])");
  EXPECT_EQ(r["not"][0]["match"]["severity"], json::array({"debug"}));
  EXPECT_EQ(r["continue"], true);
  EXPECT_EQ(r["action"], "ticket");
  EXPECT_EQ(r["ticket"]["title"], "SSH from {{ ip }}");
  EXPECT_EQ(r["ticket"]["impact"], "high");
  EXPECT_TRUE(r["ticket"]["urgency"].is_null());
  EXPECT_EQ(r["ticket"]["labels"], json::parse(R"({"env":"prod","src":"{{ ip }}"})"));
  EXPECT_EQ(r["fingerprint"], "{{ host }}/{{ ip }}");
  EXPECT_EQ(r["group_by"], json::array({"host"}));
  EXPECT_EQ(r["group_wait"], "30s");
  EXPECT_EQ(r["threshold"], json::parse(R"({"count":5,"within":"2m"})"));
  EXPECT_EQ(r["resolve_when"]["match"]["message"], json::array({"~accepted .* from (?P<ip>\\S+)"}));
  EXPECT_EQ(r["auto_resolve_after"], "1h");
  EXPECT_EQ(r["reopen_window"], "1d");
  EXPECT_EQ(r["flapping"], json::parse(R"({"changes":4,"within":"10m"})"));
  const json& noise = d["rules"][1];
  EXPECT_EQ(noise["action"], "drop");
  EXPECT_TRUE(noise["fingerprint"].is_null());
  EXPECT_TRUE(noise["threshold"].is_null());
  EXPECT_EQ(noise["group_wait"], "0s");

  EXPECT_TRUE(d["inhibit"][0]["name"].is_null());  // the loader's "inhibit@file:line" is no name
  EXPECT_EQ(d["inhibit"][0]["source"]["rule"], json::array({"ssh"}));
  EXPECT_EQ(d["inhibit"][0]["target"]["match"]["severity"], json::array({"<=warning"}));
  EXPECT_EQ(d["inhibit"][0]["equal"], json::array({"host"}));
  EXPECT_EQ(d["problems"][0]["threshold"], json::parse(R"({"count":3,"within":"7d"})"));
  EXPECT_EQ(d["problems"][0]["ticket"]["type"], "problem");
  EXPECT_EQ(d["storm"], json::parse(R"({"threshold":100,"within":"1m"})"));
  EXPECT_EQ(d["sla"], json::parse(R"({"P1":{"respond":"15m","resolve":"4h"}})"));
  const json& e = d["escalate"][0];
  EXPECT_EQ(e["name"], "escalate[0]");
  EXPECT_EQ(e["when"]["priority"], json::array({"P1", "P2"}));  // a set, sorted
  EXPECT_EQ(e["when"]["unacknowledged_for"], "15m");
  EXPECT_TRUE(e["when"]["unresolved_for"].is_null());
  EXPECT_EQ(e["do"]["team"], "leads");
  EXPECT_EQ(e["do"]["notify"], json::array({"pager"}));
  EXPECT_EQ(e["do"]["raise_priority"], false);
}

TEST(RulesDiff, ReformattingAndRespellingDurationsIsNoChange) {
  const std::string reformatted = R"(
# the same rules, written differently
escalate:
  - do:
      notify: pager
      team: leads
    when:
      unacknowledged_for: 15m
      priority: [P1, P2]
sla: { P1: { resolve: 240m, respond: 900s } }
storm:
  within: 60s
  threshold: 100
problems:
  - name: recurring
    ticket:
      title: "Recurring on {{ host }}"
    threshold: { within: 168h, count: 3 }
    group_by: host
    when: { rule: [ssh] }
inhibit:
  - equal: host
    target:
      severity: "<=warning"
    source:
      rule: ssh
rules:
  - name: ssh
    description: "brute force"
    match:
      message: '~from (?P<ip>\S+)'
      app: [sshd]
    any:
      - host: [bastion]
      - host: "~^jump"
    not:
      severity: [debug]
    continue: true
    ticket:
      labels:
        env: prod
        src: "{{ ip }}"
      impact: high
      team: security
      title: "SSH from {{ ip }}"
    fingerprint: "{{ host }}/{{ ip }}"
    group_by: host
    group_wait: 30000ms
    threshold: { within: 2m, count: 5 }
    resolve_when: { match: { message: ['~accepted .* from (?P<ip>\S+)'] } }
    auto_resolve_after: 1h
    reopen_window: 24h
    flapping: { within: 600s, changes: 4 }
  - { name: noise, match: { app: [cron] }, action: drop }
)";
  const RuleSetDiff d = diff(kEverySection, reformatted);
  EXPECT_TRUE(d.empty()) << ::testing::PrintToString(lines(d));
  EXPECT_TRUE(d.notes.empty());
  EXPECT_TRUE(diff(kEverySection, kEverySection).empty());
}

TEST(RulesDiff, ReportsEachChangedFieldOfARule) {
  const std::string before = R"(
rules:
  - name: ssh
    match: { app: sshd, host: db01 }
    ticket: { title: "SSH on {{ host }}", labels: { env: prod } }
    threshold: { count: 5, within: 5m }
  - name: other
    match: { app: x }
)";
  const std::string after = R"(
rules:
  - name: ssh
    match: { app: sshd, host: [db01, db02] }
    continue: true
    ticket: { title: "SSH on {{ host }}", labels: { env: staging, tier: db } }
    threshold: { count: 5, within: 10m }
    auto_resolve_after: 1h
  - name: other
    match: { app: x }
)";
  EXPECT_EQ(lines(diff(before, after)),
            (std::vector<std::string>{
                R"(rules ssh changed auto_resolve_after null -> "1h")",
                R"(rules ssh changed continue false -> true)",
                R"(rules ssh changed match.host ["db01"] -> ["db01","db02"])",
                R"(rules ssh changed threshold.within "5m" -> "10m")",
                R"(rules ssh changed ticket.labels.env "prod" -> "staging")",
                R"(rules ssh changed ticket.labels.tier null -> "db")",
            }));
}

TEST(RulesDiff, AddedAndRemovedRulesCarryTheirDefinition) {
  const RuleSetDiff d = diff("rules:\n  - {name: a, match: {app: a}}\n  - {name: b, match: {}}\n",
                             "rules:\n  - {name: a, match: {app: a}}\n  - {name: c, match: {}}\n");
  ASSERT_EQ(d.changes.size(), 2u) << ::testing::PrintToString(lines(d));
  EXPECT_EQ(lines(d), (std::vector<std::string>{"rules c added", "rules b removed"}));
  EXPECT_EQ(d.changes[0].new_value["name"], "c");
  EXPECT_TRUE(d.changes[0].old_value.is_null());
  EXPECT_EQ(d.changes[1].old_value["name"], "b");
  EXPECT_TRUE(d.changes[1].new_value.is_null());
}

std::string rules_named(const std::vector<std::string>& names) {
  std::string out = "rules:\n";
  for (const auto& n : names) out += "  - {name: " + n + ", match: {app: " + n + "}}\n";
  return out;
}

TEST(RulesDiff, OrderChangesReportTheRulesThatMoved) {
  // d now comes first: only d moved, the others kept their relative order.
  EXPECT_EQ(lines(diff(rules_named({"a", "b", "c", "d"}), rules_named({"d", "a", "b", "c"}))),
            (std::vector<std::string>{R"(rules d moved order 4 -> 1 (now tried before "a"))"}));
  // a went last.
  EXPECT_EQ(lines(diff(rules_named({"a", "b", "c"}), rules_named({"b", "c", "a"}))),
            (std::vector<std::string>{R"(rules a moved order 1 -> 3 (now tried after "c"))"}));
  // Adding or removing a rule shifts positions but moves nothing.
  EXPECT_EQ(lines(diff(rules_named({"a", "b", "c"}), rules_named({"x", "a", "c"}))),
            (std::vector<std::string>{"rules x added", "rules b removed"}));
  // A swap: one of the two moved (the first in the old order, on a tie).
  const std::string before = "rules:\n  - {name: a, match: {app: a}}\n  - {name: b, match: {}}\n";
  const std::string after =
      "rules:\n  - {name: b, match: {}, continue: true}\n  - {name: a, match: {app: a}}\n";
  EXPECT_EQ(lines(diff(before, after)),
            (std::vector<std::string>{"rules b changed continue false -> true",
                                      R"(rules a moved order 1 -> 2 (now tried after "b"))"}));
}

TEST(RulesDiff, InhibitProblemsStormSlaAndEscalate) {
  const std::string before = R"(
rules:
  - {name: db-down, match: {app: postgres}}
  - {name: app-error, match: {severity: ">=error"}}
inhibit:
  - name: db-hides-app
    source: { rule: db-down }
    target: { rule: app-error }
    equal: [host]
  - name: gone
    source: { rule: db-down }
    target: { app: x }
problems:
  - name: recurring
    when: { rule: app-error }
    threshold: { count: 3, within: 7d }
storm: { threshold: 100, within: 1m }
sla:
  P1: { respond: 15m, resolve: 4h }
  P2: { respond: 1h }
escalate:
  - when: { priority: P1, unacknowledged_for: 15m }
    do: { team: leads }
)";
  const std::string after = R"(
rules:
  - {name: db-down, match: {app: postgres}}
  - {name: app-error, match: {severity: ">=error"}}
inhibit:
  - name: db-hides-app
    source: { rule: db-down }
    target: { rule: app-error }
    equal: [host, labels.env]
problems:
  - name: recurring
    when: { rule: app-error }
    threshold: { count: 5, within: 7d }
storm: { threshold: 50, within: 1m }
sla:
  P1: { respond: 30m, resolve: 4h }
  P3: { resolve: 3d }
escalate:
  - when: { priority: P1, unacknowledged_for: 10m }
    do: { team: leads, notify: [pager] }
)";
  EXPECT_EQ(lines(diff(before, after)),
            (std::vector<std::string>{
                R"(inhibit db-hides-app changed equal ["host"] -> ["host","labels.env"])",
                "inhibit gone removed",
                "problems recurring changed threshold.count 3 -> 5",
                "storm  changed threshold 100 -> 50",
                R"(sla P1 changed respond "15m" -> "30m")",
                "sla P2 removed",
                "sla P3 added",
                R"(escalate escalate[0] changed do.notify [] -> ["pager"])",
                R"(escalate escalate[0] changed when.unacknowledged_for "15m" -> "10m")",
            }));
}

TEST(RulesDiff, UnnamedInhibitRulesAreKeyedByTheirDefinition) {
  const std::string before = R"(
rules: [{name: a, match: {app: a}}, {name: b, match: {app: b}}]
inhibit:
  - {source: {rule: a}, target: {rule: b}}
)";
  // Other lines, same definition: no change.
  const std::string moved = "\n\n\n" + before;
  EXPECT_TRUE(diff(before, moved).empty()) << ::testing::PrintToString(lines(diff(before, moved)));
  const std::string changed = R"(
rules: [{name: a, match: {app: a}}, {name: b, match: {app: b}}]
inhibit:
  - {source: {rule: a}, target: {rule: b}, equal: [host]}
)";
  EXPECT_EQ(lines(diff(before, changed)),
            (std::vector<std::string>{"inhibit (unnamed inhibit at rules.yaml:4) added",
                                      "inhibit (unnamed inhibit at rules.yaml:4) removed"}));
}

TEST(RulesDiff, ARuleMovedToAnotherFileInTheSameOrderIsANoteOnly) {
  namespace fs = std::filesystem;
  const fs::path base =
      fs::temp_directory_path() / ("ticketd-describe-" + std::to_string(::getpid()));
  fs::remove_all(base);
  fs::create_directories(base / "old");
  fs::create_directories(base / "new");
  std::ofstream(base / "old" / "10-a.yaml")
      << "rules:\n  - {name: a, match: {app: a}}\n  - {name: b, match: {app: b}}\n";
  std::ofstream(base / "new" / "10-a.yaml") << "rules:\n  - {name: a, match: {app: a}}\n";
  std::ofstream(base / "new" / "20-b.yaml") << "rules:\n  - name: b\n    match:\n      app: b\n";
  LoadResult o = load_rules({(base / "old").string()});
  LoadResult n = load_rules({(base / "new").string()});
  fs::remove_all(base);
  ASSERT_TRUE(o.ok() && n.ok());
  const RuleSetDiff d = diff_rule_sets(describe(*o.rules), describe(*n.rules));
  EXPECT_TRUE(d.empty()) << ::testing::PrintToString(lines(d));
  ASSERT_EQ(d.notes.size(), 1u);
  EXPECT_EQ(d.notes[0].name, "b");
  EXPECT_EQ(d.notes[0].old_value, "10-a.yaml");
  EXPECT_EQ(d.notes[0].new_value, "20-b.yaml");
}

TEST(RulesDiff, JsonShapeAndMalformedInput) {
  const RuleSetDiff d = diff(rules_named({"a", "b"}), rules_named({"b", "a", "c"}));
  const json j = to_json(d);
  ASSERT_EQ(j["changes"].size(), 2u) << j.dump();
  EXPECT_EQ(j["changes"][0],
            json::parse(R"({"section":"rules","name":"a","change":"moved","field":"order",)"
                        R"("old":1,"new":2,"detail":"now tried after \"b\""})"));
  EXPECT_EQ(j["changes"][1]["change"], "added");
  EXPECT_TRUE(j["changes"][1]["field"].is_null());
  EXPECT_EQ(j["changes"][1]["new"]["name"], "c");
  EXPECT_EQ(j["notes"], json::array());
  // A description that is not one reads as an empty rule set.
  const RuleSetDiff all_new = diff_rule_sets(json("nonsense"), described(rules_named({"a"})));
  EXPECT_EQ(lines(all_new), (std::vector<std::string>{"rules a added"}));
}

}  // namespace
}  // namespace ticketd::rules
