// `ticketd --config FILE --check-config` on bad configs: the real binary
// exits 1 and names the key's file:line on stderr; start-up refuses the same.
// Issue 7 item 11: the check passed configs that failed at start or were wrong.
#include "harness.hpp"

namespace ticketd_test {
namespace {

class CheckConfig : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("ticketd-check-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "rules");
    std::ofstream(dir_ / "rules" / "rules.yaml") << kRules;
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string cfg() const { return (dir_ / "ticketd.yaml").string(); }
  std::string in_dir(const std::string& name) const { return (dir_ / name).string(); }

  // Writes the config and runs the check; {exit code, stderr}. Free ports
  // keep a default listener from clashing with another test's.
  std::pair<int, std::string> check(const std::string& yaml) {
    std::ofstream(cfg()) << yaml;
    return run("{ " + std::string(TICKETD_BIN) + " --config " + cfg() +
               " --check-config 2>&1 >/dev/null; }");
  }

  fs::path dir_;
};

TEST_F(CheckConfig, ShippedConfigPasses) {
  auto [rc, out] = run(std::string(TICKETD_BIN) + " --config " + TICKETD_SOURCE_DIR +
                       "/config/ticketd.yaml --check-config");
  EXPECT_EQ(rc, 0) << out;
  EXPECT_NE(out.find(": ok ("), std::string::npos) << out;
}

TEST_F(CheckConfig, ConnectionLimitsBeyondTheDescriptorLimit) {
  std::ofstream(cfg()) << "rules_dir: rules\n";
  auto [rc, err] = run("{ prlimit --nofile=256:256 " + std::string(TICKETD_BIN) + " --config " +
                       cfg() + " --check-config 2>&1 >/dev/null; }");
  EXPECT_EQ(rc, 1) << err;
  EXPECT_NE(err.find("connection limits need 2088 file descriptors"), std::string::npos) << err;
  EXPECT_NE(err.find("the open-file limit (RLIMIT_NOFILE) is 256"), std::string::npos) << err;
}

TEST_F(CheckConfig, SizeThatOverflows) {
  auto [rc, err] = check("http:\n  max_body_bytes: 99999999999GiB\n");
  EXPECT_EQ(rc, 1);
  EXPECT_EQ(err, "ticketd: " + cfg() +
                     ":2: \"http.max_body_bytes\": size \"99999999999GiB\" is too large\n");
}

TEST_F(CheckConfig, AbsurdBodyLimit) {
  auto [rc, err] = check("http: {max_body_bytes: 4GiB}\n");
  EXPECT_EQ(rc, 1);
  EXPECT_EQ(err, "ticketd: " + cfg() +
                     ":1: \"http.max_body_bytes\" is \"4GiB\", expected at most 1GiB\n");
}

TEST_F(CheckConfig, DuplicateTokenSecret) {
  auto [rc, err] = check(
      "api:\n  tokens:\n    - {name: am, role: ingest, token: same-secret-0123456789}\n"
      "    - {name: boss, role: admin, token: same-secret-0123456789}\n");
  EXPECT_EQ(rc, 1);
  EXPECT_EQ(err, "ticketd: " + cfg() +
                     ":4: api token \"boss\" has the same secret as api token \"am\" (line 3): "
                     "each token needs its own "
                     "secret\n");
  EXPECT_EQ(err.find("same-secret"), std::string::npos);
}

TEST_F(CheckConfig, StoreInProc) {
  auto [rc, err] = check("store: {path: /proc/nope/x.db}\n");
  EXPECT_EQ(rc, 1);
  EXPECT_EQ(err, cfg() +
                     ":1: \"store.path\" is \"/proc/nope/x.db\": cannot create directory "
                     "/proc/nope: No such file or "
                     "directory\n");
}

TEST_F(CheckConfig, StoreUnderARegularFile) {
  std::ofstream(dir_ / "plain") << "x";
  auto [rc, err] = check("store: {path: plain/t.db}\n");
  EXPECT_EQ(rc, 1);
  EXPECT_EQ(err, cfg() + ":1: \"store.path\" is \"" + in_dir("plain/t.db") +
                     "\": " + in_dir("plain") + " is not a directory\n");
}

TEST_F(CheckConfig, CreatableStoreDirectoryPassesAndIsNotLeftBehind) {
  auto [rc, err] = check("store: {path: var/t.db}\nlisten: {syslog_udp: off, syslog_tcp: off}\n");
  EXPECT_EQ(rc, 0) << err;
  EXPECT_FALSE(fs::exists(dir_ / "var"));
}

TEST_F(CheckConfig, MissingMibDirectoryIsRefusedAsStartUpWould) {
  auto [rc, err] = check(
      "listen: {syslog_udp: off, syslog_tcp: off, snmp: \"127.0.0.1:0\"}\nsnmp:\n  mib_dirs: "
      "[no-mibs]\n");
  EXPECT_EQ(rc, 1);
  EXPECT_EQ(err,
            cfg() + ":3: \"snmp.mib_dirs\": \"" + in_dir("no-mibs") + "\" is not a directory\n")
      << err;
}

TEST_F(CheckConfig, MissingTlsCertificate) {
  auto [rc, err] = check("syslog:\n  tls_cert: nope.crt\n  tls_key: nope.key\n");
  EXPECT_EQ(rc, 1);
  EXPECT_EQ(err, cfg() + ":2: \"syslog.tls_cert\" is \"" + in_dir("nope.crt") +
                     "\": cannot read it: No such file or directory\n");
}

TEST_F(CheckConfig, HttpAndSyslogTcpOnOnePort) {
  auto [rc, err] = check("listen:\n  http: 127.0.0.1:5514\n  syslog_tcp: 127.0.0.1:5514\n");
  EXPECT_EQ(rc, 1);
  EXPECT_EQ(err, "ticketd: " + cfg() +
                     ":3: \"listen.syslog_tcp\" 127.0.0.1:5514 overlaps \"listen.http\" "
                     "127.0.0.1:5514 (line 2): two TCP "
                     "listeners cannot share a port\n");
}

TEST_F(CheckConfig, ZeroReadTimeout) {
  auto [rc, err] = check("http:\n  read_timeout: 0s\n");
  EXPECT_EQ(rc, 1);
  EXPECT_EQ(err, "ticketd: " + cfg() +
                     ":2: \"http.read_timeout\" is \"0s\", expected a duration greater than 0\n");
}

TEST_F(CheckConfig, DnsNameAsListenAddress) {
  auto [rc, err] = check("listen: {http: \"127.0.0.1.nip.io:8080\"}\n");
  EXPECT_EQ(rc, 1);
  EXPECT_EQ(err, "ticketd: " + cfg() +
                     ":1: \"listen.http\": invalid listen address \"127.0.0.1.nip.io:8080\": the "
                     "host must be an IP "
                     "address or localhost (names are not resolved)\n");
}

TEST_F(CheckConfig, MissingRulesDir) {
  auto [rc, err] = check("rules_dir: nope\n");
  EXPECT_EQ(rc, 1);
  EXPECT_NE(
      err.find(cfg() + ":1: \"rules_dir\" is \"" + in_dir("nope") + "\": no such directory\n"),
      std::string::npos)
      << err;
}

TEST_F(CheckConfig, EmptyRulesDirWarns) {
  fs::remove(dir_ / "rules" / "rules.yaml");
  auto [rc, err] = check("rules_dir: rules\n");
  EXPECT_EQ(rc, 0);
  EXPECT_EQ(err, cfg() + ":1: warning: rules_dir \"" + in_dir("rules") +
                     "\" has no rules: events will be stored, but no ticket will be opened\n");
}

TEST_F(CheckConfig, DefaultRuleThatIsNotARule) {
  auto [rc, err] = check("rules_dir: rules\ndefault_rule: nope\n");
  EXPECT_EQ(rc, 1);
  EXPECT_EQ(err, cfg() + ":2: default_rule \"nope\" is not a rule in " + in_dir("rules") + "\n");
}

// Start-up runs the same check_environment(), so it refuses with the same message.
TEST(CheckConfigAtStart, StartRefusesWhatTheCheckRefuses) {
  Daemon d("syslog: { tls_cert: nope.crt, tls_key: nope.key }\n");
  EXPECT_FALSE(d.start());
  EXPECT_EQ(d.exit_code(), 1);
  EXPECT_NE(
      d.log().find(d.config() + ":5: \"syslog.tls_cert\" is \"" + (d.dir() / "nope.crt").string() +
                   "\": cannot read it: No such file or directory"),
      std::string::npos)
      << d.log();
}

}  // namespace
}  // namespace ticketd_test
