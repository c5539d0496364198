// `ticketctl rules diff DIR` against a running daemon: every section a reload
// changes, field by field, as text and --json, with diff(1)-like exit codes
// (0 no changes, 2 changes, 1 trouble).
#include "harness.hpp"

namespace ticketd_test {
namespace {

const char* kRunning = R"(rules:
  - name: disk-full
    match: { message: '~no space left on (?P<dev>\S+)' }
    ticket: { team: storage, impact: high, urgency: high, title: "Disk {{ dev }} full on {{ host }}" }
    fingerprint: "{{ host }}/{{ dev }}"
  - name: host-down
    match: { app: ping, message: "~down" }
    ticket: { team: ops, impact: high, urgency: high, title: "{{ host }} down" }
  - name: any-error
    match: { severity: ">=error" }
    ticket: { title: "Error on {{ host }}" }
inhibit:
  - name: down-hides-rest
    source: { rule: host-down }
    target: { severity: "<=error" }
    equal: [host]
problems:
  - name: recurring-disk
    when: { rule: disk-full }
    group_by: [host]
    threshold: { count: 3, within: 7d }
    ticket: { title: "Recurring disk trouble on {{ host }}" }
storm: { threshold: 100, within: 1m }
sla:
  P1: { respond: 15m, resolve: 4h }
escalate:
  - name: p1-unacked
    when: { priority: [P1], unacknowledged_for: 15m }
    do: { team: oncall-leads }
)";

std::string replaced(std::string s, const std::string& from, const std::string& to) {
  const size_t at = s.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) s.replace(at, from.size(), to);
  return s;
}

class RulesDiffTest : public ::testing::Test {
 protected:
  void SetUp() override {
    d_.write_rules(kRunning);
    ASSERT_TRUE(d_.start()) << d_.log();
    ctl_ = std::string(TICKETCTL_BIN) + " --server " + d_.url("");
    cand_ = d_.dir() / "candidate";
    fs::create_directories(cand_);
  }
  void candidate(const std::string& text) { std::ofstream(cand_ / "rules.yaml") << text; }
  std::pair<int, std::string> diff(const std::string& extra = "") {
    return run(ctl_ + " rules diff " + cand_.string() + extra);
  }
  Daemon d_;
  std::string ctl_;
  fs::path cand_;
};

TEST_F(RulesDiffTest, AnIdenticalCopyIsNoChangeExitZero) {
  candidate(kRunning);
  auto [rc, out] = diff();
  EXPECT_EQ(rc, 0) << out;
  EXPECT_EQ(out, "no changes\n");
  auto [jrc, jout] = diff(" --json");
  EXPECT_EQ(jrc, 0) << jout;
  const json j = json::parse(jout, nullptr, false);
  ASSERT_TRUE(j.is_object()) << jout;
  EXPECT_EQ(j["changes"], json::array());
}

// The edits the first version reported as "no changes": each one changes
// behaviour after a reload.
TEST_F(RulesDiffTest, OrderInhibitProblemsStormSlaAndEscalationChangesAreReported) {
  std::string next = replaced(kRunning, R"(  - name: host-down
    match: { app: ping, message: "~down" }
    ticket: { team: ops, impact: high, urgency: high, title: "{{ host }} down" }
  - name: any-error
    match: { severity: ">=error" }
    ticket: { title: "Error on {{ host }}" }
)",
                              R"(  - name: any-error
    match: { severity: ">=error" }
    ticket: { title: "Error on {{ host }}" }
  - name: host-down
    match: { app: ping, message: "~down" }
    ticket: { team: ops, impact: high, urgency: high, title: "{{ host }} down" }
)");
  next = replaced(next, "equal: [host]", "equal: [host, app]");
  next = replaced(next, "count: 3, within: 7d", "count: 5, within: 7d");
  next = replaced(next, "threshold: 100, within: 1m", "threshold: 300, within: 1m");
  next = replaced(next, "respond: 15m", "respond: 10m");
  next = replaced(next, "unacknowledged_for: 15m", "unacknowledged_for: 30m");
  candidate(next);

  auto [rc, out] = diff();
  EXPECT_EQ(rc, 2) << out;
  EXPECT_EQ(out, R"(rules:
  ~ host-down (moved)
      order: #2 -> #3, now tried after "any-error"
inhibit:
  ~ down-hides-rest
      equal: ["host"] -> ["host","app"]
problems:
  ~ recurring-disk
      threshold.count: 3 -> 5
storm:
  ~ storm
      threshold: 100 -> 300
sla:
  ~ P1
      respond: "15m" -> "10m"
escalate:
  ~ p1-unacked
      when.unacknowledged_for: "15m" -> "30m"
6 changes (5 changed, 1 moved)
)");

  auto [jrc, jout] = diff(" --json");
  EXPECT_EQ(jrc, 2) << jout;
  const json j = json::parse(jout, nullptr, false);
  ASSERT_TRUE(j.is_object()) << jout;
  ASSERT_EQ(j["changes"].size(), 6u) << jout;
  EXPECT_EQ(j["changes"][0], json::parse(R"({"section":"rules","name":"host-down",
      "change":"moved","field":"order","old":2,"new":3,
      "detail":"now tried after \"any-error\""})"));
  EXPECT_EQ(j["changes"][1], json::parse(R"({"section":"inhibit","name":"down-hides-rest",
      "change":"changed","field":"equal","old":["host"],"new":["host","app"]})"));
  EXPECT_EQ(j["changes"][4]["section"], "sla");
  EXPECT_EQ(j["changes"][4]["field"], "respond");
  EXPECT_EQ(j["changes"][5]["field"], "when.unacknowledged_for");
  EXPECT_EQ(j["open_tickets"], json::object());
}

TEST_F(RulesDiffTest, ChangedAndRemovedRulesNameTheirOpenTickets) {
  ASSERT_EQ(d_.post(R"({"host":"web1","app":"shop","severity":"error","message":"boom"})").status,
            202);
  std::string next = replaced(kRunning, R"(  - name: any-error
    match: { severity: ">=error" }
    ticket: { title: "Error on {{ host }}" }
)",
                              "");
  next = replaced(next, "team: storage,", "team: storage-oncall,");
  candidate(next);
  auto [rc, out] = diff();
  EXPECT_EQ(rc, 2) << out;
  EXPECT_NE(out.find("  - any-error (removed; 1 open tickets lose their rule"), std::string::npos)
      << out;
  EXPECT_NE(out.find("  ~ disk-full (changed; 0 open tickets keep deduplicating"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("      ticket.team: \"storage\" -> \"storage-oncall\""), std::string::npos)
      << out;
  auto [jrc, jout] = diff(" --json");
  EXPECT_EQ(jrc, 2) << jout;
  const json j = json::parse(jout, nullptr, false);
  ASSERT_TRUE(j.is_object()) << jout;
  EXPECT_EQ(j["open_tickets"], json::parse(R"({"any-error":1})"));
}

TEST_F(RulesDiffTest, TroubleIsExitOneNeverMistakenForChanges) {
  // Invalid candidate: the errors with their positions, nothing compared.
  candidate("rules:\n  - name: x\n    match: { hots: a }\n");
  auto [rc, out] = diff();
  EXPECT_EQ(rc, 1) << out;
  EXPECT_NE(out.find("rules.yaml:3:14: unknown field \"hots\""), std::string::npos) << out;
  EXPECT_NE(out.find("a reload would be rejected"), std::string::npos) << out;
  auto [jrc, jout] = diff(" --json");
  EXPECT_EQ(jrc, 1) << jout;
  const json j = json::parse(jout, nullptr, false);
  ASSERT_TRUE(j.is_object()) << jout;
  EXPECT_EQ(j["diagnostics"].size(), 1u) << jout;

  // A directory that does not exist.
  auto [mrc, missing] = run(ctl_ + " rules diff " + (d_.dir() / "nope").string());
  EXPECT_EQ(mrc, 1) << missing;

  // No daemon to compare with.
  candidate(kRunning);
  auto [urc, unreachable] =
      run(std::string(TICKETCTL_BIN) + " --server http://127.0.0.1:1 rules diff " + cand_.string());
  EXPECT_EQ(urc, 1) << unreachable;
  EXPECT_EQ(unreachable.find("no changes"), std::string::npos) << unreachable;
}

}  // namespace
}  // namespace ticketd_test
