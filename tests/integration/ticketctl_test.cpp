// ticketctl's command line: strict rule test files and refused options.
#include <unistd.h>

#include <algorithm>
#include <iterator>

#include "harness.hpp"

namespace {

namespace fs = std::filesystem;
using ticketd_test::run;

const std::string kCtl = TICKETCTL_BIN;

struct ToolDir {
  fs::path dir;
  explicit ToolDir(const std::string& name)
      : dir(fs::temp_directory_path() / (name + "-" + std::to_string(::getpid()))) {
    fs::remove_all(dir);
    fs::create_directories(dir / "tests");
    std::ofstream(dir / "r.yaml") << R"(rules:
  - name: disk
    match: { message: '~no space left' }
    ticket: { title: "Disk full on {{ host }}", impact: high, urgency: high }
    fingerprint: "{{ host }}"
)";
  }
  ~ToolDir() { fs::remove_all(dir); }
};

TEST(TicketctlStrict, TestFileTyposAreErrorsBeforeAnyTestRuns) {
  ToolDir d("ticketctl-strict");
  std::ofstream(d.dir / "tests" / "a.yaml") << R"(rule_files: [../r.yaml]
tests:
  - name: disk full
    events:
      - { at: 0s, hots: db1, message: "no space left on /" }
    expect:
      - { priorty: P1 }
)";
  std::ofstream(d.dir / "tests" / "b.yaml") << R"(rule_files: [../r.yaml]
tests:
  - name: fine
    events: [{ host: db1, message: "no space left on /" }]
    expcet: []
)";
  auto [rc, out] = run(kCtl + " test-rules " + (d.dir / "tests").string());
  EXPECT_EQ(rc, 1) << out;
  const std::string a = (d.dir / "tests" / "a.yaml").string();
  const std::string b = (d.dir / "tests" / "b.yaml").string();
  EXPECT_NE(out.find(a + ":5:19: unknown key \"hots\" in event (did you mean \"host\"?)"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find(a + ":7:11: unknown key \"priorty\" in expected ticket (did you mean "
                         "\"priority\"?)"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find(b + ":5:5: unknown key \"expcet\" in test (did you mean \"expect\"?)"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("3 errors in rule test files; no test run"), std::string::npos) << out;
  EXPECT_EQ(out.find("ok   "), std::string::npos) << out;
}

TEST(TicketctlStrict, UnknownOptionsAreRefusedEverywhere) {
  ToolDir d("ticketctl-options");
  struct Case {
    std::string args;
    std::string message;
  };
  // None of these reach a server: the options are checked first.
  const std::vector<Case> cases = {
      {"--url http://x tickets list", "unknown option \"--url\" (did you mean \"--server\"?)"},
      {"tickets list --stauts new", "unknown option \"--stauts\" (did you mean \"--status\"?)"},
      {"tickets show T-1 --public", "unknown option \"--public\""},
      {"tickets create --title x --lable a=b",
       "unknown option \"--lable\" (did you mean \"--label\"?)"},
      {"tickets resolve T-1 --cdoe fixed", "unknown option \"--cdoe\" (did you mean \"--code\"?)"},
      {"silence add host=x --duraton 2h",
       "unknown option \"--duraton\" (did you mean \"--duration\"?)"},
      {"outbox list --helld", "unknown option \"--helld\" (did you mean \"--held\"?)"},
      {"rules list --verbose", "unknown option \"--verbose\""},
      {"check-rules " + d.dir.string() + " --strict", "unknown option \"--strict\""},
      {"replay --rule " + d.dir.string() + " e.jsonl",
       "unknown option \"--rule\" (did you mean \"--rules\"?)"},
      {"tickets list -v", "unknown option \"-v\""},
  };
  for (const auto& c : cases) {
    auto [rc, out] = run(kCtl + " --server http://127.0.0.1:9 " + c.args);
    EXPECT_EQ(rc, 2) << c.args << "\n" << out;
    EXPECT_NE(out.find("ticketctl: " + c.message), std::string::npos) << c.args << "\n" << out;
  }
  // Known options still work, and -- passes an argument that starts with "-".
  auto [rc, out] = run(kCtl + " check-rules --json " + d.dir.string());
  EXPECT_EQ(rc, 0) << out;
  auto [nrc, nout] = run(kCtl + " --server http://127.0.0.1:9 tickets note T-1 -- -x");
  EXPECT_EQ(nrc, 1) << nout;  // got as far as the (absent) server
  EXPECT_EQ(nout.find("unknown option"), std::string::npos) << nout;
}

TEST(TicketctlStrict, TestRulesRunSelectsTestsByName) {
  ToolDir d("ticketctl-run");
  std::ofstream(d.dir / "tests" / "t.yaml") << R"(rule_files: [../r.yaml]
tests:
  - name: disk full makes a P1
    events: [{ host: db1, message: "no space left on /" }]
    expect: [{ priority: P1, title: "Disk full on db1" }]
  - name: a failing test
    events: [{ host: db1, message: "no space left on /" }]
    expect: []
  - name: disk full twice is one ticket
    events:
      - { at: 0s, host: db2, message: "no space left on /" }
      - { at: 1m, host: db2, message: "no space left on /" }
    expect: [{ event_count: 2 }]
)";
  const std::string dir = (d.dir / "tests").string();
  auto [rc, out] = run(kCtl + " test-rules --run '^disk full' " + dir);
  EXPECT_EQ(rc, 0) << out;
  EXPECT_NE(out.find("--run \"^disk full\" selected 2 of 3 tests"), std::string::npos) << out;
  EXPECT_NE(out.find("2 tests, 0 failed"), std::string::npos) << out;
  EXPECT_EQ(out.find("a failing test"), std::string::npos) << out;

  auto [arc, all] = run(kCtl + " test-rules " + dir);
  EXPECT_EQ(arc, 1) << all;
  EXPECT_NE(all.find("3 tests, 1 failed"), std::string::npos) << all;
  EXPECT_EQ(all.find("selected"), std::string::npos) << all;

  auto [nrc, none] = run(kCtl + " test-rules --run nothing-is-called-this " + dir);
  EXPECT_EQ(nrc, 1) << none;
  EXPECT_NE(none.find("selected 0 of 3 tests"), std::string::npos) << none;

  auto [brc, bad] = run(kCtl + " test-rules --run '(' " + dir);
  EXPECT_EQ(brc, 2) << bad;
  EXPECT_NE(bad.find("ticketctl: --run \"(\" is not a valid regular expression"), std::string::npos)
      << bad;
}

// A failing test shows, for each ticket, the fields the expectations name,
// and what the engine did with every event (an unmatched one with the rule it
// came closest to); a rule no test reaches is listed.
TEST(TicketctlStrict, FailingTestShowsFieldsAndDecisionTrace) {
  ToolDir d("ticketctl-trace");
  std::ofstream(d.dir / "r2.yaml") << R"(rules:
  - name: link-down
    match: { source: snmp, trap_oid: IF-MIB::linkDown }
    ticket: { title: "Link down on {{ host }}", team: net }
  - name: never-tested
    match: { source: syslog, app: foo }
)";
  std::ofstream(d.dir / "tests" / "t.yaml") << R"(rule_files: [../r2.yaml]
tests:
  - name: wrong team
    events:
      - { at: 0s, source: snmp, host: sw1, trap_oid: IF-MIB::linkDown }
      - { at: 10s, source: snmp, host: sw1, trap_oid: IF-MIB::linkDown }
      - { at: 20s, source: snmp, host: sw1, trap_oid: IF-MIB::linkUp }
    expect:
      - { team: ops }
)";
  auto [rc, out] = run(kCtl + " test-rules " + (d.dir / "tests").string());
  EXPECT_EQ(rc, 1) << out;
  EXPECT_NE(out.find("closest ticket differs: team: want \"ops\", got \"net\""), std::string::npos)
      << out;
  // The got-line carries team, which the expectation names.
  EXPECT_NE(out.find("title=\"Link down on sw1\" team=\"net\""), std::string::npos) << out;
  EXPECT_NE(out.find("event 1 at 0s (sw1): ticketed by link-down -> INC-000001"), std::string::npos)
      << out;
  EXPECT_NE(out.find("event 2 at 10s (sw1): deduplicated by link-down -> INC-000001"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("event 3 at 20s (sw1): unmatched; closest rule link-down: trap_oid"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("rules no test reaches (1 of 2)"), std::string::npos) << out;
  EXPECT_NE(out.find("  never-tested (" + (d.dir / "r2.yaml").string() + ":5)"), std::string::npos)
      << out;
  EXPECT_EQ(out.find("  link-down ("), std::string::npos) << out;
}

TEST(TicketctlReplay, UntilRunsTheClockOnSoLaterTimersFire) {
  ToolDir d("ticketctl-until");
  std::ofstream(d.dir / "sla.yaml") << R"(rules:
  - name: db-down
    match: { app: postgres, severity: ">=critical" }
    ticket: { team: dba, impact: high, urgency: high, title: "PostgreSQL down on {{ host }}" }
    fingerprint: "{{ host }}"
sla:
  P1: { respond: 15m, resolve: 4h }
escalate:
  - name: unacknowledged-p1
    when: { priority: P1, unacknowledged_for: 15m }
    do: { team: oncall-leads }
)";
  std::filesystem::remove(d.dir / "r.yaml");
  std::ofstream(d.dir / "e.jsonl")
      << R"({"time":"2026-01-01T00:00:00Z","host":"db01","app":"postgres","severity":"critical","message":"down"})"
      << "\n";
  const std::string base =
      kCtl + " replay --rules " + d.dir.string() + " " + (d.dir / "e.jsonl").string();
  // Without --until the clock stops at the last event: no escalation yet.
  auto [rc, out] = run(base);
  EXPECT_EQ(rc, 0) << out;
  EXPECT_NE(out.find("\"ticket_opened\""), std::string::npos) << out;
  EXPECT_EQ(out.find("oncall-leads"), std::string::npos) << out;
  // 20 minutes after the last event the escalation and the breach are due.
  for (const std::string until : {"20m", "2026-01-01T00:20:00Z"}) {
    auto [urc, uout] = run(base + " --until " + until);
    EXPECT_EQ(urc, 0) << until << "\n" << uout;
    EXPECT_NE(uout.find("oncall-leads"), std::string::npos) << until << "\n" << uout;
    EXPECT_NE(uout.find("\"breached\":true"), std::string::npos) << until << "\n" << uout;
  }
  // Not yet due ten minutes on.
  auto [erc, early] = run(base + " --until 10m");
  EXPECT_EQ(erc, 0) << early;
  EXPECT_EQ(early.find("oncall-leads"), std::string::npos) << early;
  // Bad values are usage errors.
  auto [brc, bad] = run(base + " --until soon");
  EXPECT_EQ(brc, 2) << bad;
  EXPECT_NE(bad.find("ticketctl: --until \"soon\" is neither an RFC 3339 time"), std::string::npos)
      << bad;
  auto [prc, past] = run(base + " --until 2025-12-31T23:00:00Z");
  EXPECT_EQ(prc, 2) << past;
  EXPECT_NE(past.find("is before the last event (2026-01-01T00:00:00.000Z)"), std::string::npos)
      << past;
}

TEST(TicketctlExplain, ListsEveryFailedConditionInFull) {
  ToolDir d("ticketctl-explain");
  const std::string long_re =
      "(no space left on device|disk quota exceeded|file system full|write failed: ENOSPC)";
  std::ofstream(d.dir / "r.yaml") << "rules:\n"
                                     "  - name: disk\n"
                                     "    match: { host: db01, app: postgres, message: '~"
                                  << long_re << R"(' }
    ticket: { title: "Disk full on {{ host }}", impact: high, urgency: high }
    fingerprint: "{{ host }}"
)";
  std::ofstream(d.dir / "e.json") << R"({"host":"web02","app":"nginx","message":"all good"})";
  const std::string args = " explain --rules " + d.dir.string() + " " + (d.dir / "e.json").string();

  auto [jrc, jout] = run(kCtl + " --json" + args);
  ASSERT_EQ(jrc, 0) << jout;
  auto j = nlohmann::json::parse(jout, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << jout;
  const auto& rule = j["rules"][0];
  EXPECT_EQ(rule["matched"], false);
  ASSERT_EQ(rule["failed"].size(), 3u) << jout;
  EXPECT_EQ(rule["failed"][0], "host is \"web02\", expected db01");
  EXPECT_EQ(rule["failed"][1], "app is \"nginx\", expected postgres");
  EXPECT_EQ(rule["failed"][2], "message is \"all good\", expected ~" + long_re);  // not cut
  EXPECT_EQ(rule["reason"], std::string(rule["failed"][0]) + "; " + std::string(rule["failed"][1]) +
                                "; " + std::string(rule["failed"][2]));

  // The table: one line per failed condition; the long one is cut and says so.
  auto [trc, table] = run(kCtl + args);
  EXPECT_EQ(trc, 0) << table;
  EXPECT_NE(table.find("disk  no       host is \"web02\", expected db01"), std::string::npos)
      << table;
  EXPECT_NE(table.find("\n               app is \"nginx\", expected postgres"), std::string::npos)
      << table;
  EXPECT_NE(table.find("…"), std::string::npos) << table;
  EXPECT_NE(table.find("--json shows it in full"), std::string::npos) << table;
}

// ---- check-rules --format ----

// stdout alone (run() merges stderr in).
std::pair<int, std::string> run_stdout(const std::string& cmd) {
  return run("(" + cmd + " 2>/dev/null)");
}

// One file with an error and a warning, one good file.
struct CheckRulesDir {
  fs::path dir = fs::temp_directory_path() / ("ticketctl-check-" + std::to_string(::getpid()));
  fs::path bad = dir / "10-bad.yaml";
  fs::path good = dir / "20-good.yaml";
  CheckRulesDir() {
    fs::remove_all(dir);
    fs::create_directories(dir);
    std::ofstream(bad) << R"(rules:
  - name: disk
    match: { message: '~disk (?P<dev>\S+) full' }
    ticket: { title: "Disk full on {{ host }}" }
    tiket: { team: storage }
)";
    std::ofstream(good) << R"(rules:
  - name: memory
    match: { message: '~out of memory' }
    ticket: { title: "Out of memory on {{ host }}" }
)";
  }
  ~CheckRulesDir() { fs::remove_all(dir); }
};

TEST(TicketctlCheckRules, JsonListsEveryDiagnosticWithItsPositionAndCode) {
  CheckRulesDir d;
  auto [rc, out] = run_stdout(kCtl + " check-rules --format json " + d.dir.string());
  EXPECT_EQ(rc, 1) << out;
  auto j = nlohmann::json::parse(out, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << out;
  const auto expected = nlohmann::json{
      {"valid", false},
      {"files", 2},
      {"rules", nullptr},
      {"errors", 1},
      {"warnings", 1},
      {"diagnostics",
       {{{"file", d.bad.string()},
         {"line", 3},
         {"column", 23},
         {"severity", "warning"},
         {"code", "unused-capture"},
         {"message",
          "named capture \"dev\" is not used by any template of rule \"disk\"; use {{ dev }} or "
          "make it a plain group (?:...)"}},
        {{"file", d.bad.string()},
         {"line", 5},
         {"column", 5},
         {"severity", "error"},
         {"code", "unknown-key"},
         {"message", "unknown key \"tiket\" in rule (did you mean \"ticket\"?)"}}}}};
  EXPECT_EQ(j, expected) << j.dump(2);
}

TEST(TicketctlCheckRules, TextFormatIsTheDefaultAndUnchanged) {
  CheckRulesDir d;
  const std::string expected =
      d.bad.string() +
      ":3:23: warning: named capture \"dev\" is not used by any template of rule \"disk\"; use "
      "{{ dev }} or make it a plain group (?:...)\n" +
      d.bad.string() + ":5:5: unknown key \"tiket\" in rule (did you mean \"ticket\"?)\n1 error\n";
  auto [rc, out] = run(kCtl + " check-rules " + d.dir.string());
  EXPECT_EQ(rc, 1);
  EXPECT_EQ(out, expected);
  auto [trc, tout] = run(kCtl + " check-rules --format text " + d.dir.string());
  EXPECT_EQ(trc, 1);
  EXPECT_EQ(tout, expected);

  fs::remove(d.bad);
  auto [grc, gout] = run(kCtl + " check-rules " + d.dir.string());
  EXPECT_EQ(grc, 0);
  EXPECT_EQ(gout, "ok: 1 rules\n");
}

TEST(TicketctlCheckRules, ShippedRulesAreValidWithoutWarnings) {
  const std::string dir = TICKETD_SOURCE_DIR "/rules";
  auto [rc, out] = run_stdout(kCtl + " check-rules --format json " + dir);
  EXPECT_EQ(rc, 0) << out;
  auto j = nlohmann::json::parse(out, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << out;
  size_t files = 0;
  for (const auto& f : fs::directory_iterator(dir))
    files += f.is_regular_file() && f.path().extension() == ".yaml";
  EXPECT_EQ(j["valid"], true);
  EXPECT_EQ(j["files"], files);
  EXPECT_EQ(j["errors"], 0);
  EXPECT_EQ(j["warnings"], 0);
  EXPECT_EQ(j["diagnostics"], nlohmann::json::array()) << out;
  // The same count as the text format's "ok: N rules".
  ASSERT_TRUE(j["rules"].is_number_unsigned()) << out;
  auto [trc, text] = run(kCtl + " check-rules " + dir);
  EXPECT_EQ(trc, 0);
  EXPECT_EQ(text, "ok: " + std::to_string(j["rules"].get<size_t>()) + " rules\n");
}

TEST(TicketctlCheckRules, UnknownFormatIsAUsageError) {
  CheckRulesDir d;
  auto [rc, out] = run(kCtl + " check-rules --format xml " + d.dir.string());
  EXPECT_EQ(rc, 2) << out;
  EXPECT_EQ(out.rfind("ticketctl: check-rules --format takes text or json, not \"xml\"\n", 0), 0u)
      << out;
  auto [src, sout] = run_stdout(kCtl + " check-rules --format xml " + d.dir.string());
  EXPECT_EQ(src, 2);
  EXPECT_EQ(sout, "");  // nothing on stdout for a tool to misread
}

// ---- test-rules: YAML merge keys in rule test files ----

TEST(TicketctlStrict, TestFileEventsMayMergeAnAnchoredBaseEvent) {
  ToolDir d("ticketctl-merge");
  std::ofstream(d.dir / "tests" / "t.yaml") << R"(rule_files: [../r.yaml]
tests:
  - name: base event
    events:
      - &base { at: 0s, host: db1, message: "no space left on /" }
    expect: [{ title: "Disk full on db1", priority: P1 }]
  - name: merged events
    events:
      - { <<: *base, host: db2 }
      - { <<: *base, at: 1m, host: db2 }
      - <<: *base
        at: 2m
        host: db3
    expect:
      - { title: "Disk full on db2", event_count: 2 }
      - { title: "Disk full on db3", event_count: 1 }
)";
  auto [rc, out] = run(kCtl + " test-rules " + (d.dir / "tests").string());
  EXPECT_EQ(rc, 0) << out;
  EXPECT_NE(out.find("2 tests, 0 failed"), std::string::npos) << out;
}

// ---- --help per command, completion ----

// The commands `ticketctl --help` lists: the first word of each line
// indented by exactly two spaces ("  tickets list ...", "  check-rules ...").
std::vector<std::string> listed_commands() {
  auto [rc, out] = run_stdout(kCtl + " --help");
  EXPECT_EQ(rc, 0) << out;
  std::vector<std::string> cmds;
  std::istringstream in(out);
  for (std::string line; std::getline(in, line);) {
    if (line.size() < 3 || line.compare(0, 2, "  ") != 0 ||
        !std::islower(static_cast<unsigned char>(line[2])))
      continue;
    std::string word = line.substr(2, line.find(' ', 2) - 2);
    if (std::find(cmds.begin(), cmds.end(), word) == cmds.end()) cmds.push_back(word);
  }
  return cmds;
}

TEST(TicketctlHelp, EveryListedCommandHasHelpWithAnExample) {
  const auto cmds = listed_commands();
  for (const char* expected : {"check-rules", "test-rules", "replay", "explain", "tickets",
                               "silence", "rules", "events", "outbox", "completion"}) {
    EXPECT_NE(std::find(cmds.begin(), cmds.end(), expected), cmds.end()) << expected;
  }
  for (const std::string& cmd : cmds) {
    for (const char* flag : {"--help", "-h"}) {
      auto [rc, out] = run_stdout(kCtl + " " + cmd + " " + flag);
      EXPECT_EQ(rc, 0) << cmd << " " << flag << ": " << out;
      EXPECT_EQ(out.rfind("usage: ticketctl " + cmd, 0), 0u) << cmd << ": " << out;
      EXPECT_NE(out.find("Example"), std::string::npos) << cmd << ": " << out;
      EXPECT_NE(out.find("  ticketctl " + cmd), std::string::npos) << cmd << ": " << out;
    }
  }
  // After a subcommand and other arguments too; before any command, the overview.
  auto [rc, out] = run_stdout(kCtl + " tickets list --status open --help");
  EXPECT_EQ(rc, 0);
  EXPECT_EQ(out.rfind("usage: ticketctl tickets", 0), 0u) << out;
  auto [trc, top] = run_stdout(kCtl + " --help tickets");
  EXPECT_EQ(trc, 0);
  EXPECT_NE(top.find("ticketctl COMMAND --help"), std::string::npos) << top;
}

TEST(TicketctlCompletion, BashScriptIsValidAndCompletesCommandsSubcommandsAndOptions) {
  auto [rc, script] = run_stdout(kCtl + " completion bash");
  ASSERT_EQ(rc, 0) << script;
  for (const std::string& cmd : listed_commands())
    EXPECT_NE(script.find(cmd), std::string::npos) << cmd;
  const fs::path file =
      fs::temp_directory_path() / ("ticketctl-completion-" + std::to_string(::getpid()));
  std::ofstream(file) << script;
  auto [nrc, nout] = run("bash -n " + file.string());
  EXPECT_EQ(nrc, 0) << nout;

  // What bash would offer for the words typed (the last one being completed).
  auto complete = [&](const std::string& words) {
    auto [crc, out] = run("bash -c 'source " + file.string() + "; COMP_WORDS=(" + words +
                          "); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); _ticketctl; "
                          "echo \"${COMPREPLY[*]}\"'");
    EXPECT_EQ(crc, 0) << out;
    return out.substr(0, out.find('\n'));
  };
  EXPECT_EQ(complete("ticketctl tic"), "tickets");
  EXPECT_EQ(complete("ticketctl tickets l"), "list");
  EXPECT_EQ(complete("ticketctl --server http://h:1 events list --de"), "--decision");
  EXPECT_EQ(complete("ticketctl events list --decision unm"), "unmatched");
  EXPECT_EQ(complete("ticketctl tickets list --sort p"), "priority");
  EXPECT_EQ(complete("ticketctl replay --rules rules/ --max"), "--max-events");
  EXPECT_EQ(complete("ticketctl completion b"), "bash");
  EXPECT_EQ(complete("ticketctl silence add host=db1 --du"), "--duration");
  fs::remove(file);

  // The installed copy is the generated script.
  std::ifstream contrib(TICKETD_SOURCE_DIR "/contrib/bash-completion/ticketctl");
  std::string shipped((std::istreambuf_iterator<char>(contrib)), std::istreambuf_iterator<char>());
  EXPECT_EQ(shipped, script)
      << "regenerate: build/ticketctl completion bash > contrib/bash-completion/ticketctl";

  auto [zrc, zout] = run(kCtl + " completion zsh");
  EXPECT_EQ(zrc, 2) << zout;
  EXPECT_NE(zout.find("completion supports bash, not \"zsh\""), std::string::npos) << zout;
}

}  // namespace
