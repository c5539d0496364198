// check_rule_test_file: a rule test file is checked as strictly as a rule file.
#include <gtest/gtest.h>

#include <algorithm>

#include "ticketd/core/event.hpp"
#include "ticketd/rules/test_file.hpp"

namespace ticketd::rules {
namespace {

std::vector<std::string> check(const std::string& text) {
  std::vector<std::string> out;
  for (const auto& d : check_rule_test_file(text, "t.yaml")) out.push_back(d.to_string());
  return out;
}

const char* kValid = R"(rule_files: [../rules/20-network.yaml]
tests:
  - name: link down
    events:
      - { at: 0s, source: snmp, host: sw1, trap_oid: IF-MIB::linkDown, labels: { ifIndex: "3" } }
      - { at: 1m, severity: error, status: resolved, message: x, annotations: { a: b } }
    until: 1h
    expect:
      - { type: incident, priority: P2, status: resolved, event_count: 2, labels: { anything: x } }
      - { alerts: 1, incidents: 0, breached: "false", respond_by: "", resolve_by: "", team: net }
  - name: nothing
    events: []
    expect: []
)";

TEST(RuleTestFile, ValidFileHasNoErrors) { EXPECT_EQ(check(kValid), std::vector<std::string>{}); }

TEST(RuleTestFile, UnknownTopLevelKey) {
  EXPECT_EQ(check("rule_files: [a.yaml]\ntests: []\nrule_file: [b.yaml]\n"),
            (std::vector<std::string>{"t.yaml:3:1: unknown key \"rule_file\" in rule test file "
                                      "(did you mean \"rule_files\"?)"}));
}

TEST(RuleTestFile, UnknownKeyInTestCase) {
  EXPECT_EQ(check("rule_files: [a.yaml]\ntests:\n  - name: x\n    events: []\n    expcet: []\n"),
            (std::vector<std::string>{
                "t.yaml:5:5: unknown key \"expcet\" in test (did you mean \"expect\"?)"}));
}

TEST(RuleTestFile, UnknownKeyInEventUsesTheEventParsersFields) {
  EXPECT_EQ(check("rule_files: [a.yaml]\ntests:\n  - events:\n      - { at: 0s, hots: sw1, "
                  "message: x }\n"),
            (std::vector<std::string>{
                "t.yaml:4:19: unknown key \"hots\" in event (did you mean \"host\"?)"}));
  for (const auto& k : event_json_keys()) {
    EXPECT_NE(std::find(test_event_keys().begin(), test_event_keys().end(), k),
              test_event_keys().end())
        << k;
  }
}

TEST(RuleTestFile, UnknownKeyInExpectation) {
  EXPECT_EQ(
      check("rule_files: [a.yaml]\ntests:\n  - events: []\n    expect:\n"
            "      - type: incident\n        priorty: P1\n"),
      (std::vector<std::string>{
          "t.yaml:6:9: unknown key \"priorty\" in expected ticket (did you mean \"priority\"?)"}));
  // No suggestion when nothing is close.
  EXPECT_EQ(check("rule_files: [a.yaml]\ntests:\n  - expect: [{ zzzzzz: 1 }]\n"),
            (std::vector<std::string>{"t.yaml:3:16: unknown key \"zzzzzz\" in expected ticket"}));
}

TEST(RuleTestFile, EveryErrorInOneRunInFileOrder) {
  EXPECT_EQ(check(R"(tests:
  - name: a
    evnets: []
    expect: [{ priorty: P1 }]
  - name: b
    events: [{ hots: x }]
rule_files: [a.yaml]
tets: 1
)"),
            (std::vector<std::string>{
                "t.yaml:3:5: unknown key \"evnets\" in test (did you mean \"events\"?)",
                "t.yaml:4:16: unknown key \"priorty\" in expected ticket (did you mean "
                "\"priority\"?)",
                "t.yaml:6:16: unknown key \"hots\" in event (did you mean \"host\"?)",
                "t.yaml:8:1: unknown key \"tets\" in rule test file (did you mean \"tests\"?)",
            }));
}

TEST(RuleTestFile, ShapesAndSyntax) {
  EXPECT_EQ(check("tests: []\n"),
            (std::vector<std::string>{
                "t.yaml:1:1: a rule test file needs \"rule_files:\" (a list of rule files)"}));
  EXPECT_EQ(check("rule_files: [a.yaml]\ntests: {}\n"),
            (std::vector<std::string>{"t.yaml:2:8: \"tests\" must be a list"}));
  EXPECT_EQ(check("rule_files: [a.yaml]\ntests:\n  - events: [x]\n"),
            (std::vector<std::string>{"t.yaml:3:14: each of \"events\" must be a mapping"}));
  EXPECT_EQ(check("tests: [\n").at(0).rfind("t.yaml:2:1: YAML syntax error", 0), 0u);
}

// The simulated clock only moves forward: events out of order and an
// `until` before the last event are errors where they are written, not a
// silently ignored `until` or a failure without a line.
TEST(RuleTestFile, TimesMustBeDurationsInOrderAndUntilNotBeforeTheLastEvent) {
  EXPECT_EQ(check(R"(rule_files: [r.yaml]
tests:
  - events:
      - { at: 5m, host: a }
      - { at: 1m, host: a }
      - { at: 2x, host: a }
    until: 3m
    expect: []
)"),
            (std::vector<std::string>{
                "t.yaml:5:15: \"at: 1m\" is before the previous event's (5m): events must be in "
                "time order",
                "t.yaml:6:15: \"at\": duration: missing or unknown unit in \"2x\", expected ms, s, "
                "m, h, d or w",
                "t.yaml:7:12: \"until: 3m\" is before the last event (at 5m); the clock only moves "
                "forward: make it at least 5m"}));
  EXPECT_EQ(check("rule_files: [r.yaml]\ntests:\n  - events: [{ at: 1h }]\n    until: 60m\n"),
            std::vector<std::string>{});
  EXPECT_EQ(check("rule_files: [r.yaml]\ntests:\n  - events: [{ at: 10s }, { host: a }]\n"),
            std::vector<std::string>{
                "t.yaml:3:27: this event has no \"at\", so it is at 0s, before the previous event "
                "(10s): give it an \"at\"; events must be in time order"});
}

// An anchored base event merged into others (`<<: *base`): the merged keys
// count as the event's own, the event's own keys win, and the keys it adds
// are still checked where they are written.
TEST(RuleTestFile, MergeKeysAreResolvedBeforeChecking) {
  const std::string text = R"(rule_files: [a.yaml]
tests:
  - name: x
    events:
      - &base { at: 0s, host: db1, message: disk full }
      - { <<: *base, at: 1m, host: db2 }
    expect: []
)";
  EXPECT_EQ(check(text), std::vector<std::string>{});
  const std::optional<YAML::Node> doc = load_rule_test_document(text, "t.yaml");
  ASSERT_TRUE(doc);
  const YAML::Node merged = (*doc)["tests"][0]["events"][1];
  EXPECT_FALSE(merged["<<"]);
  EXPECT_EQ(merged["at"].as<std::string>(), "1m");
  EXPECT_EQ(merged["host"].as<std::string>(), "db2");
  EXPECT_EQ(merged["message"].as<std::string>(), "disk full");

  EXPECT_EQ(check("rule_files: [a.yaml]\ntests:\n  - events:\n      - &base { at: 0s, host: db1 }\n"
                  "      - { <<: *base, at: 1m, hots: db2 }\n"),
            (std::vector<std::string>{
                "t.yaml:5:30: unknown key \"hots\" in event (did you mean \"host\"?)"}));
}

}  // namespace
}  // namespace ticketd::rules
