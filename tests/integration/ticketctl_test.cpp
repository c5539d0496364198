// ticketctl's command line: strict rule test files and refused options.
#include <unistd.h>

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

}  // namespace
