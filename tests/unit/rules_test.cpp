#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "ticketd/core/text.hpp"
#include "ticketd/rules/rule_set.hpp"

namespace ticketd::rules {
namespace {

VarLookup vars(std::map<std::string, std::string, std::less<>> m) {
  return [m](std::string_view name) -> std::optional<std::string> {
    auto it = m.find(name);
    if (it == m.end()) return std::nullopt;
    return it->second;
  };
}

Event event(std::string host, std::string message, std::optional<Severity> sev = std::nullopt) {
  Event e;
  e.host = std::move(host);
  e.message = std::move(message);
  e.severity = sev;
  return e;
}

// ---- templates ----

TEST(Template, RendersVariablesAndFilters) {
  auto t =
      Template::parse("Disk {{ mount }} on {{host|upper}} ({{ labels.team | default(\"ops\") }})");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->render(vars({{"mount", "/var"}, {"host", "db01"}})), "Disk /var on DB01 (ops)");
  EXPECT_EQ(t->render(vars({{"mount", "/"}, {"host", "x"}, {"labels.team", "dba"}})),
            "Disk / on X (dba)");
  EXPECT_EQ((std::vector<std::string>{"mount", "host", "labels.team"}), t->variables());
}

TEST(Template, MissingVariableRendersEmpty) {
  auto t = Template::parse("[{{ nope }}]{{ x | lower | trim }}");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->render(vars({{"x", "  AbC "}})), "[]abc");
}

TEST(Template, DefaultFromAnotherVariable) {
  auto t = Template::parse("{{ labels.alertname | default(message) | upper }}");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->render(vars({{"message", "disk full"}})), "DISK FULL");
  EXPECT_EQ(t->render(vars({{"labels.alertname", "NodeDown"}, {"message", "x"}})), "NODEDOWN");
  EXPECT_EQ(t->variables(), (std::vector<std::string>{"labels.alertname", "message"}));
}

TEST(Template, PlainTextAndSingleBraces) {
  auto t = Template::parse("a { b } c");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->render(vars({})), "a { b } c");
}

TEST(Template, ErrorsPointAtTheFault) {
  size_t at = 0;
  auto unclosed = Template::parse("x {{ host", &at);
  ASSERT_FALSE(unclosed);
  EXPECT_EQ(at, 2u);
  EXPECT_EQ(unclosed.error().message(), "template: \"{{\" is never closed by \"}}\"");
  auto filter = Template::parse("{{ host | shout }}", &at);
  ASSERT_FALSE(filter);
  EXPECT_EQ(at, 10u);
  EXPECT_EQ(filter.error().message(),
            "template: unknown filter \"shout\", expected lower, upper, trim or default(\"x\")");
  EXPECT_FALSE(Template::parse("{{ }}"));
  EXPECT_FALSE(Template::parse("{{ a b }}"));
  EXPECT_FALSE(Template::parse("{{ a | default }}"));
  EXPECT_FALSE(Template::parse("{{ a | default() }}"));
  EXPECT_FALSE(Template::parse("{{ a | default(\"x) }}"));
}

// ---- matchers ----

bool test_op(const char* field, const char* op, std::optional<std::string> value) {
  auto o = Operand::parse(field, op);
  EXPECT_TRUE(o) << op;
  return o && o->test(value, nullptr);
}

TEST(Matcher, EqualityAndNegation) {
  EXPECT_TRUE(test_op("host", "db01", "db01"));
  EXPECT_FALSE(test_op("host", "db01", "db02"));
  EXPECT_FALSE(test_op("host", "db01", std::nullopt));
  EXPECT_TRUE(test_op("host", "!db01", "db02"));
  EXPECT_FALSE(test_op("host", "!db01", "db01"));
  EXPECT_TRUE(test_op("host", "!db01", std::nullopt));
  EXPECT_TRUE(test_op("host", "\\!literal", "!literal"));
}

TEST(Matcher, RegexIsUnanchoredAndCaptures) {
  auto o = Operand::parse("message", R"(~Failed password for (?P<user>\S+) from (?P<ip>\S+))");
  ASSERT_TRUE(o);
  Captures c;
  EXPECT_TRUE(o->test("sshd[1]: Failed password for root from 10.0.0.9 port 22", &c));
  EXPECT_EQ(c["user"], "root");
  EXPECT_EQ(c["ip"], "10.0.0.9");
  EXPECT_FALSE(o->test("Accepted password for root", &c));
  EXPECT_TRUE(test_op("message", "!~error", "all good"));
  EXPECT_FALSE(test_op("message", "!~error", "an error"));
  EXPECT_TRUE(test_op("message", "~^$", std::nullopt));  // missing compares as ""
}

TEST(Matcher, BadRegexIsAnError) {
  auto o = Operand::parse("message", "~(unclosed");
  ASSERT_FALSE(o);
  EXPECT_NE(o.error().message().find("invalid regex \"(unclosed\""), std::string::npos);
}

TEST(Matcher, SeverityComparisonsMeanAtLeastAsSevere) {
  EXPECT_TRUE(test_op("severity", ">=warning", "warning"));
  EXPECT_TRUE(test_op("severity", ">=warning", "critical"));
  EXPECT_FALSE(test_op("severity", ">=warning", "notice"));
  EXPECT_TRUE(test_op("severity", ">warning", "error"));
  EXPECT_FALSE(test_op("severity", ">warning", "warning"));
  EXPECT_TRUE(test_op("severity", "<=info", "debug"));
  EXPECT_TRUE(test_op("severity", "<notice", "info"));
  EXPECT_FALSE(test_op("severity", ">=debug", std::nullopt));
  EXPECT_TRUE(test_op("severity", "warn", "warning"));  // alias canonicalised
  auto bad = Operand::parse("severity", ">=loud");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message(),
            "unknown severity \"loud\", expected emergency, alert, critical, error, warning, "
            "notice, info or debug");
  // Outside severity a leading ">" is literal.
  EXPECT_TRUE(test_op("message", ">=x", ">=x"));
}

LoadResult load(const std::string& yaml) { return load_rules_from_string(yaml, "test.yaml"); }

std::vector<std::string> messages(const LoadResult& r) {
  std::vector<std::string> out;
  for (const auto& d : r.diagnostics) out.push_back(d.to_string());
  return out;
}

TEST(Matcher, ListsAnyAndNotCombine) {
  auto r = load(R"(
rules:
  - name: r
    match:
      source: [snmp, syslog]
      labels.ifAdminStatus: "!down"
    any:
      - { host: "~^sw" }
      - { severity: ">=error" }
    not: { message: "~test" }
)");
  ASSERT_TRUE(r.ok()) << messages(r)[0];
  const Condition& c = r.rules->rules()[0].condition;
  Event e = event("sw1", "link down");
  e.source = "snmp";
  EXPECT_TRUE(c.test(e, nullptr));
  e.labels["ifAdminStatus"] = "down";
  EXPECT_FALSE(c.test(e, nullptr));
  e.labels["ifAdminStatus"] = "up";
  e.host = "rtr1";
  EXPECT_FALSE(c.test(e, nullptr));  // neither any-alternative
  e.severity = Severity::kCritical;
  EXPECT_TRUE(c.test(e, nullptr));
  e.message = "test link down";
  EXPECT_FALSE(c.test(e, nullptr));  // excluded by not
  e.message = "x";
  e.source = "api";
  EXPECT_FALSE(c.test(e, nullptr));
}

// ---- loader diagnostics ----

TEST(Loader, UnknownKeysGetFileLineColumnAndDidYouMean) {
  auto r = load("rules:\n  - name: a\n    mach: {host: x}\n    ticket: {titel: x}\n");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(messages(r),
            (std::vector<std::string>{
                "test.yaml:2:5: rule \"a\" has no \"match\" (use match: {} to match every event)",
                "test.yaml:3:5: unknown key \"mach\" in rule (did you mean \"match\"?)",
                "test.yaml:4:14: unknown key \"titel\" in ticket (did you mean \"title\"?)",
            }));
}

TEST(Loader, BadValuesAreReportedWhereTheyAre) {
  auto r = load(R"(rules:
  - name: a
    match: { hots: x, severity: ">=loud", message: "~(" }
    action: page
    ticket: { type: outage, impact: huge }
)");
  ASSERT_FALSE(r.ok());
  auto m = messages(r);
  ASSERT_EQ(m.size(), 6u) << ::testing::PrintToString(m);
  EXPECT_EQ(m[0], "test.yaml:3:14: unknown field \"hots\" in match (did you mean \"host\"?)");
  EXPECT_EQ(m[1],
            "test.yaml:3:33: \"severity\": unknown severity \"loud\", expected emergency, alert, "
            "critical, error, warning, notice, info or debug");
  EXPECT_EQ(m[2].rfind("test.yaml:3:52: \"message\": invalid regex \"(\"", 0), 0u) << m[2];
  EXPECT_EQ(m[3], "test.yaml:4:13: \"action\" is \"page\", expected ticket or drop");
  EXPECT_EQ(m[4],
            "test.yaml:5:21: \"ticket.type\" is \"outage\", expected incident, service_request, "
            "problem or change");
  EXPECT_EQ(m[5], "test.yaml:5:37: \"ticket.impact\" is \"huge\", expected high, medium or low");
}

TEST(Loader, TemplateVariablesThatCanNeverBeSet) {
  auto r = load(R"(rules:
  - name: ssh
    match: { message: '~from (?P<ip>\S+)' }
    ticket: { title: "{{ ip }} on {{ hots }}", team: "{{ labels.team }}" }
    fingerprint: "{{ host }}/{{ user }}"
)");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(
      messages(r),
      (std::vector<std::string>{
          "test.yaml:4:22: \"ticket.title\": variable \"hots\" is never set (did you mean "
          "\"host\"?)",
          "test.yaml:5:18: \"fingerprint\": variable \"user\" is never set; use an event field, "
          "labels.NAME, annotations.NAME or a named regex capture",
      }));
}

TEST(Loader, SyntaxErrorsAndShapes) {
  EXPECT_EQ(messages(load("rules: [\n")).at(0).rfind("test.yaml:2:1: YAML syntax error", 0), 0u);
  EXPECT_EQ(messages(load("- a\n")),
            (std::vector<std::string>{
                "test.yaml:1:1: a rule file must be a mapping with a \"rules:\" list"}));
  EXPECT_EQ(messages(load("rulez: []\n")),
            (std::vector<std::string>{
                "test.yaml:1:1: unknown key \"rulez\" in rule file (did you mean \"rules\"?)"}));
  EXPECT_TRUE(load("").ok());
  EXPECT_TRUE(load("rules:\n").ok());
}

TEST(Loader, DuplicateNamesAndMissingName) {
  auto r = load(
      "rules:\n  - {name: a, match: {host: x}}\n  - {name: a, match: {host: y}}\n  - {match: "
      "{host: z}}\n");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(messages(r),
            (std::vector<std::string>{
                "test.yaml:3:5: duplicate rule name \"a\" (first defined at test.yaml:2)",
                "test.yaml:4:5: rule has no \"name\"",
            }));
}

TEST(Loader, EveryCorrelationKeyLoads) {
  auto r = load(R"(rules:
  - name: link-down
    match: { trap_oid: IF-MIB::linkDown }
    fingerprint: "{{ host }}/{{ labels.ifIndex }}"
    group_by: [host]
    group_wait: 30s
    threshold: { count: 3, within: 5m }
    resolve_when: { match: { trap_oid: IF-MIB::linkUp } }
    auto_resolve_after: 2h
    reopen_window: 30m
    flapping: { changes: 4, within: 10m }
  - name: host-down
    match: { app: ping }
inhibit:
  - name: host-down-inhibits
    source: { rule: host-down }
    target: { source: syslog }
    equal: [host]
problems:
  - name: recurring
    when: { rule: link-down }
    group_by: [host]
    threshold: { count: 3, within: 7d }
    ticket: { title: "Recurring on {{ host }}", team: net }
storm: { threshold: 200, within: 1m }
sla:
  P1: { respond: 15m, resolve: 4h }
escalate:
  - when: { priority: [P1, P2], unacknowledged_for: 15m }
    do: { raise_priority: true, team: leads, notify: [oncall-webhook] }
)");
  ASSERT_TRUE(r.ok()) << messages(r).at(0);
  EXPECT_TRUE(r.diagnostics.empty());
  const Rule& rule = r.rules->rules()[0];
  EXPECT_EQ(rule.group_by, std::vector<std::string>{"host"});
  EXPECT_EQ(rule.group_wait, std::chrono::seconds(30));
  ASSERT_TRUE(rule.threshold);
  EXPECT_EQ(rule.threshold->count, 3);
  EXPECT_EQ(rule.threshold->within, std::chrono::minutes(5));
  ASSERT_TRUE(rule.resolve_when);
  EXPECT_EQ(rule.auto_resolve_after, std::chrono::hours(2));
  EXPECT_EQ(rule.reopen_window, std::chrono::minutes(30));
  EXPECT_EQ(rule.flapping->changes, 4);
  ASSERT_EQ(r.rules->inhibits.size(), 1u);
  EXPECT_EQ(r.rules->inhibits[0].source.rules, std::vector<std::string>{"host-down"});
  EXPECT_EQ(r.rules->inhibits[0].equal, std::vector<std::string>{"host"});
  ASSERT_EQ(r.rules->problems.size(), 1u);
  EXPECT_EQ(r.rules->problems[0].threshold.within, std::chrono::hours(24 * 7));
  EXPECT_EQ(r.rules->storm.threshold, 200);
  EXPECT_EQ(r.rules->sla.at(Priority::kP1).respond, std::chrono::minutes(15));
  ASSERT_EQ(r.rules->escalations.size(), 1u);
  EXPECT_TRUE(r.rules->escalations[0].raise_priority);
  EXPECT_EQ(r.rules->escalations[0].notify, std::vector<std::string>{"oncall-webhook"});
}

TEST(Loader, CorrelationKeyErrors) {
  auto r = load(R"(rules:
  - name: a
    match: { host: x }
    threshold: { count: 0, within: soon }
    group_by: [hots]
inhibit:
  - { source: { rule: b }, target: { rule: a } }
problems:
  - { name: p, when: { rule: aa } }
sla: { P9: { respond: 1m } }
)");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(
      messages(r),
      (std::vector<std::string>{
          "test.yaml:4:25: \"threshold.count\" is \"0\", expected a positive integer",
          "test.yaml:4:36: \"threshold.within\": duration: invalid \"soon\", expected "
          "<number><unit> "
          "with unit ms, s, m, h, d or w",
          "test.yaml:5:16: \"group_by\": unknown field \"hots\" (did you mean \"host\"?)",
          "test.yaml:7:23: \"inhibit.source\" refers to unknown rule \"b\"",
          "test.yaml:9:30: \"problems.when\" refers to unknown rule \"aa\" (did you mean \"a\"?)",
          "test.yaml:10:8: \"sla\": unknown priority \"P9\", expected P1..P5",
      }));
}

TEST(Loader, UnreachableRulesAreReported) {
  auto r = load("rules:\n  - {name: all, match: {}}\n  - {name: never, match: {host: x}}\n");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(
      messages(r),
      (std::vector<std::string>{
          "test.yaml:3:5: rule \"never\" is unreachable: rule \"all\" (test.yaml:2) matches every "
          "event and has no \"continue: true\""}));
  EXPECT_TRUE(
      load("rules:\n  - {name: all, match: {}, continue: true}\n  - {name: b, match: {host: x}}\n")
          .ok());
}

TEST(Loader, PrefilterNeverMissesAMatch) {
  auto r = load(R"(rules:
  - { name: exact, match: { app: sshd, host: "~^db" } }
  - { name: regex, match: { message: "~disk (?P<d>\\w+) full" } }
  - { name: neg, match: { host: "!x" }, continue: true }
  - { name: list, match: { source: [snmp, syslog] } }
)");
  ASSERT_TRUE(r.ok()) << messages(r).at(0);
  Event e = event("db1", "disk sda full");
  e.app = "sshd";
  e.source = "snmp";
  std::vector<size_t> all;
  for (size_t i = 0; i < r.rules->rules().size(); ++i) {
    if (r.rules->rules()[i].condition.test(e, nullptr)) all.push_back(i);
  }
  auto cand = r.rules->candidates(e);
  for (size_t i : all) EXPECT_NE(std::find(cand.begin(), cand.end(), i), cand.end()) << i;
  Event other = event("x", "nothing");
  auto few = r.rules->candidates(other);
  EXPECT_EQ(few, std::vector<size_t>{2});  // only the rule with no anchor
}

TEST(Loader, DirectoryFilesLoadInFileNameOrder) {
  namespace fs = std::filesystem;
  fs::path dir = fs::temp_directory_path() / ("ticketd-rules-" + std::to_string(::getpid()));
  fs::create_directories(dir / "tests");
  std::ofstream(dir / "20-b.yaml") << "rules:\n  - {name: b, match: {}}\n";
  std::ofstream(dir / "10-a.yml") << "rules:\n  - {name: a, match: {}, continue: true}\n";
  std::ofstream(dir / "notes.txt") << "not a rule file";
  std::ofstream(dir / "tests" / "x.yaml") << "tests: []\n";  // subdirectories are not rule files
  auto r = load_rules({dir.string()});
  ASSERT_TRUE(r.ok()) << messages(r).at(0);
  ASSERT_EQ(r.rules->rules().size(), 2u);
  EXPECT_EQ(r.rules->rules()[0].name, "a");
  EXPECT_EQ(r.rules->rules()[1].name, "b");
  auto missing = load_rules({(dir / "nope").string()});
  EXPECT_FALSE(missing.ok());
  fs::remove_all(dir);
}

TEST(Loader, DidYouMean) {
  EXPECT_EQ(did_you_mean("fingerprnt", {"fingerprint", "flapping"}), "fingerprint");
  EXPECT_EQ(did_you_mean("zzz", {"fingerprint", "flapping"}), "");
}

// YAML 1.1 booleans (yes, on) are plain strings to the loader: refused,
// never read as false.
TEST(Loader, RaisePriorityTakesOnlyTrueOrFalse) {
  LoadResult r = load(R"(rules:
  - { name: a, match: {} }
escalate:
  - when: { priority: P2, unacknowledged_for: 1h }
    do: { raise_priority: yes }
)");
  ASSERT_FALSE(r.ok());
  ASSERT_EQ(r.diagnostics.size(), 1u);
  EXPECT_EQ(r.diagnostics[0].to_string(),
            "test.yaml:5:27: \"escalate.do.raise_priority\" must be true or false");
}

}  // namespace
}  // namespace ticketd::rules
