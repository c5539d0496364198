// The lints of rule files (ticketctl check-rules): one test per lint, each
// asserting the exact file:line:column, severity and code, and that the lint
// is the only diagnostic (no knock-on errors). Lines and columns are counted
// in the raw strings below, 1-based.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "ticketd/rules/rule_set.hpp"
#include "ticketd/rules/test_file.hpp"

namespace ticketd::rules {
namespace {

LoadResult load(const std::string& text) { return load_rules_from_string(text, "rules.yaml"); }

std::string all(const LoadResult& r) {
  std::string out;
  for (const Diagnostic& d : r.diagnostics) out += d.to_string() + " [" + d.code + "]\n";
  return out;
}

// The only diagnostic of `r`; fails the test when there is not exactly one.
Diagnostic only(const LoadResult& r) {
  EXPECT_EQ(r.diagnostics.size(), 1u) << all(r);
  return r.diagnostics.empty() ? Diagnostic{} : r.diagnostics.front();
}

std::string render(const Template& t) {
  return t.render([](std::string_view) -> std::optional<std::string> { return std::nullopt; });
}

// ---- duplicate-key ----

TEST(RulesLint, DuplicateKeyInARule) {
  auto r = load(R"(rules:
  - name: disk
    match: { message: '~disk full' }
    name: disk-full
)");
  EXPECT_FALSE(r.ok());
  const Diagnostic d = only(r);
  EXPECT_EQ(d.level, Diagnostic::Level::kError);
  EXPECT_EQ(d.code, "duplicate-key");
  EXPECT_EQ(d.to_string(),
            "rules.yaml:4:5: duplicate key \"name\" (first at line 2); YAML keeps only one of "
            "them, remove or rename one");
}

TEST(RulesLint, DuplicateKeyInANestedMap) {
  auto r = load(R"(rules:
  - name: disk
    match:
      app: kernel
      host: db1
      app: sshd
)");
  EXPECT_FALSE(r.ok());
  const Diagnostic d = only(r);
  EXPECT_EQ(d.level, Diagnostic::Level::kError);
  EXPECT_EQ(d.code, "duplicate-key");
  EXPECT_EQ(d.to_string(),
            "rules.yaml:6:7: duplicate key \"app\" (first at line 4); YAML keeps only one of "
            "them, remove or rename one");
}

// ---- yaml-tag ----

TEST(RulesLint, YamlTagInsteadOfAValue) {
  auto r = load(R"(rules:
  - name: test-box
    match:
      host: !test-box
)");
  EXPECT_FALSE(r.ok());
  const Diagnostic d = only(r);
  EXPECT_EQ(d.level, Diagnostic::Level::kError);
  EXPECT_EQ(d.code, "yaml-tag");
  EXPECT_EQ(d.to_string(),
            "rules.yaml:4:13: `!test-box` is a YAML tag, not a value; quote it: \"!test-box\"");
}

// ---- multiple-documents ----

TEST(RulesLint, SecondDocumentIsAnError) {
  auto r = load(R"(rules:
  - name: disk
    match: { message: '~disk full' }
---
rules:
  - name: memory
    match: { message: '~out of memory' }
)");
  EXPECT_FALSE(r.ok());
  const Diagnostic d = only(r);
  EXPECT_EQ(d.level, Diagnostic::Level::kError);
  EXPECT_EQ(d.code, "multiple-documents");
  EXPECT_EQ(d.to_string(),
            "rules.yaml:4:1: a second YAML document (after \"---\") would be ignored: a file "
            "holds one document; move its content into the first or into a file of its own");
}

// ---- unresolvable-fingerprint ----

TEST(RulesLint, ResolveWhenMustCaptureWhatTheFingerprintUses) {
  auto r = load(R"(rules:
  - name: link
    match: { message: '~link (?P<port>\S+) down' }
    ticket: { title: "Link {{ port }} down on {{ host }}" }
    fingerprint: "{{ host }}/{{ port }}"
    resolve_when: { match: { message: '~link \S+ up' } }
)");
  EXPECT_FALSE(r.ok());
  const Diagnostic d = only(r);
  EXPECT_EQ(d.level, Diagnostic::Level::kError);
  EXPECT_EQ(d.code, "unresolvable-fingerprint");
  EXPECT_EQ(d.to_string(),
            "rules.yaml:6:19: resolve_when does not capture \"port\", which the fingerprint uses "
            "(\"match\" captures it): a resolving event renders a different fingerprint, so the "
            "alert can never resolve; capture (?P<port>...) in resolve_when too");

  // Capturing it in resolve_when too is the fix.
  auto fixed = load(R"(rules:
  - name: link
    match: { message: '~link (?P<port>\S+) down' }
    ticket: { title: "Link {{ port }} down on {{ host }}" }
    fingerprint: "{{ host }}/{{ port }}"
    resolve_when: { match: { message: '~link (?P<port>\S+) up' } }
)");
  EXPECT_TRUE(fixed.ok()) << all(fixed);
  EXPECT_TRUE(fixed.diagnostics.empty()) << all(fixed);
}

// The default fingerprint "<rule>/{{ host }}" uses only the event's host,
// which every resolving event carries: nothing to report.
TEST(RulesLint, DefaultFingerprintAlwaysResolves) {
  auto r = load(R"(rules:
  - name: link
    match: { message: '~link (?P<port>\S+) down' }
    ticket: { title: "Link {{ port }} down on {{ host }}" }
    resolve_when: { match: { message: '~link \S+ up' } }
)");
  EXPECT_TRUE(r.ok()) << all(r);
  EXPECT_TRUE(r.diagnostics.empty()) << all(r);
}

// ---- unreachable-rule ----

// A catch-all is reported at the first rule it hides, naming the catch-all
// and where it is.
TEST(RulesLint, SeverityAtLeastDebugHidesLaterRules) {
  auto r = load(R"(rules:
  - name: everything
    match: { severity: ">=debug" }
  - name: errors
    match: { severity: ">=error", app: kernel }
)");
  EXPECT_FALSE(r.ok());
  const Diagnostic d = only(r);
  EXPECT_EQ(d.level, Diagnostic::Level::kError);
  EXPECT_EQ(d.code, "unreachable-rule");
  EXPECT_EQ(d.to_string(),
            "rules.yaml:4:5: rule \"errors\" is unreachable: rule \"everything\" (rules.yaml:2) "
            "matches every event that has a severity (severity: \">=debug\") and has no "
            "\"continue: true\"");
}

TEST(RulesLint, MessageDotStarHidesLaterRules) {
  auto r = load(R"(rules:
  - name: everything
    match: { message: "~.*" }
  - name: db
    match: { host: db1 }
)");
  EXPECT_FALSE(r.ok());
  const Diagnostic d = only(r);
  EXPECT_EQ(d.level, Diagnostic::Level::kError);
  EXPECT_EQ(d.code, "unreachable-rule");
  EXPECT_EQ(d.to_string(),
            "rules.yaml:4:5: rule \"db\" is unreachable: rule \"everything\" (rules.yaml:2) "
            "matches every event (message: \"~.*\") and has no \"continue: true\"");
}

// ---- unused-capture ----

TEST(RulesLint, UnusedCaptureIsAWarningAndTheRulesLoad) {
  auto r = load(R"(rules:
  - name: disk
    match: { message: '~disk (?P<dev>\S+) full' }
    ticket: { title: "Disk full on {{ host }}" }
)");
  ASSERT_TRUE(r.ok()) << all(r);
  EXPECT_EQ(r.rules->rules().size(), 1u);
  const Diagnostic d = only(r);
  EXPECT_EQ(d.level, Diagnostic::Level::kWarning);
  EXPECT_EQ(d.code, "unused-capture");
  EXPECT_EQ(d.to_string(),
            "rules.yaml:3:23: warning: named capture \"dev\" is not used by any template of rule "
            "\"disk\"; use {{ dev }} or make it a plain group (?:...)");
}

// ---- invalid-regex ----

// The templates using the bad regex's captures would only add "never set"
// and "unresolvable" errors; the regex is the one problem.
TEST(RulesLint, BadRegexIsTheOnlyError) {
  auto r = load(R"(rules:
  - name: disk
    match: { message: '~disk (?P<dev>\S+ full' }
    ticket: { title: "Disk {{ dev }} full on {{ host }}" }
    fingerprint: "{{ host }}/{{ dev }}"
    resolve_when: { match: { message: '~disk \S+ ok' } }
)");
  EXPECT_FALSE(r.ok());
  const Diagnostic d = only(r);
  EXPECT_EQ(d.level, Diagnostic::Level::kError);
  EXPECT_EQ(d.code, "invalid-regex");
  EXPECT_EQ(d.file, "rules.yaml");
  EXPECT_EQ(d.line, 3);
  EXPECT_EQ(d.column, 23);
  EXPECT_EQ(d.message.rfind("\"message\": invalid regex \"disk (?P<dev>\\S+ full\"", 0), 0u)
      << d.message;
}

// ---- YAML merge keys ----

TEST(RulesLint, MergeKeyTakesTheAnchorsValuesUnlessSetHere) {
  auto r = load(R"(rules:
  - name: disk
    match: { message: '~disk full' }
    ticket: &storage
      team: storage
      impact: high
      urgency: high
  - name: memory
    match: { message: '~out of memory' }
    ticket:
      <<: *storage
      urgency: low
)");
  ASSERT_TRUE(r.ok()) << all(r);
  EXPECT_TRUE(r.diagnostics.empty()) << all(r);
  const Rule* memory = r.rules->find("memory");
  ASSERT_NE(memory, nullptr);
  EXPECT_EQ(render(memory->ticket.team), "storage");
  EXPECT_EQ(memory->ticket.impact, Level::kHigh);
  EXPECT_EQ(memory->ticket.urgency, Level::kLow);
}

TEST(RulesLint, MergeKeyListTakesEarlierSourcesFirst) {
  auto r = load(R"(rules:
  - name: disk
    match: { message: '~disk full' }
    ticket: &storage { team: storage, impact: high }
  - name: kernel
    match: { app: kernel }
    ticket: &oncall { team: oncall, urgency: high, category: os }
  - name: db-disk
    match: { message: '~disk error', host: '~^db' }
    ticket:
      <<: [*oncall, *storage]
      category: database
)");
  ASSERT_TRUE(r.ok()) << all(r);
  EXPECT_TRUE(r.diagnostics.empty()) << all(r);
  const Rule* db = r.rules->find("db-disk");
  ASSERT_NE(db, nullptr);
  EXPECT_EQ(render(db->ticket.team), "oncall");        // *oncall comes first
  EXPECT_EQ(render(db->ticket.category), "database");  // set here
  EXPECT_EQ(db->ticket.impact, Level::kHigh);          // only *storage has it
  EXPECT_EQ(db->ticket.urgency, Level::kHigh);         // only *oncall has it
}

// A mistake inside an anchored block is reported once, where it is written,
// not at each `<<: *anchor` that merges it.
TEST(RulesLint, ErrorInsideAnAnchoredBlockPointsAtTheAnchor) {
  auto r = load(R"(rules:
  - name: disk
    match: { message: '~disk full' }
    ticket: &storage
      team: storage
      impact: huge
  - name: memory
    match: { message: '~out of memory' }
    ticket:
      <<: *storage
      title: "Out of memory on {{ host }}"
)");
  EXPECT_FALSE(r.ok());
  const Diagnostic d = only(r);
  EXPECT_EQ(d.level, Diagnostic::Level::kError);
  EXPECT_EQ(d.code, "invalid");
  EXPECT_EQ(d.to_string(),
            "rules.yaml:6:15: \"ticket.impact\" is \"huge\", expected high, medium or low");
}

// Found by the rule_file fuzzer: on this text yaml-cpp 0.7 reports documents
// without end (YAML::LoadAll looped, growing, until memory ran out). A bounded
// count of documents turns it into one syntax error.
TEST(RulesLint, TextTheYamlParserCannotEndIsOneSyntaxErrorNotAHang) {
  const std::string text =
      R"yaml(# yaml-language-server: $schema=../schemas/ticketd-rules.schema.json
# Service levels and escalation for every ti# rejecteed: unknown key "finou mean "fingerpriot"?)\\ules:
  ,a me n-resolve: 8h }
  P3: { respond: 4h, resolve: 3d }

escalate:
  - name: unacknowledged-p1
    when: { prioritynetwork rules fed the way the syslog listener nooncall/leads, noitfy: [oncall-webhook] }
  - name: unacknowledged-p2
    when: { priority: P2, unacknowledged_for: 1h }
    do: { raise_prior0ty: true, notm }
)yaml";
  const LoadResult r = load_rules_from_string(text, "rules.yaml");
  ASSERT_FALSE(r.ok());
  ASSERT_EQ(r.diagnostics.size(), 1u);
  EXPECT_EQ(r.diagnostics[0].code, "yaml-syntax");
  EXPECT_EQ(r.diagnostics[0].to_string().substr(0, 50),
            "rules.yaml:3:3: YAML syntax error: the parser cann");
  EXPECT_EQ(check_rule_test_file(text, "t.yaml").size(), 1u);
}

}  // namespace
}  // namespace ticketd::rules
