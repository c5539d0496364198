#include "ticketd/daemon/config.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace ticketd::daemon {
namespace {

std::string error_of(const std::string& yaml) {
  auto c = load_config_from_string(yaml, "/etc/ticketd/ticketd.yaml");
  return c ? "ok" : c.error().message();
}

TEST(Config, DefaultsAndRelativePaths) {
  auto c = load_config_from_string("", "/etc/ticketd/ticketd.yaml");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->http_listen, "127.0.0.1:8080");
  EXPECT_EQ(c->rules_dir, "/etc/ticketd/rules");
  EXPECT_EQ(c->store_path, "/etc/ticketd/var/ticketd.db");
  EXPECT_EQ(c->max_body_bytes, 1024u * 1024u);
  EXPECT_EQ(c->event_retention, std::chrono::hours(24 * 7));
  EXPECT_TRUE(c->store_sync_full);
}

TEST(Config, ReadsEveryKey) {
  auto c = load_config_from_string(R"(
listen: { http: "127.0.0.1:9090" }
rules_dir: /srv/rules
store: { kind: sqlite, path: db/t.db, event_retention: 2d, sync: normal, busy_timeout: 2s }
queue: { capacity: 50, batch_max: 10 }
http: { max_body_bytes: 64KiB, read_timeout: 5s, max_connections: 7 }
log: { level: debug }
)",
                                   "/etc/ticketd/ticketd.yaml");
  ASSERT_TRUE(c) << c.error().message();
  EXPECT_EQ(c->http_listen, "127.0.0.1:9090");
  EXPECT_EQ(c->rules_dir, "/srv/rules");
  EXPECT_EQ(c->store_path, "/etc/ticketd/db/t.db");
  EXPECT_EQ(c->event_retention, std::chrono::hours(48));
  EXPECT_FALSE(c->store_sync_full);
  EXPECT_EQ(c->store_busy_timeout, std::chrono::seconds(2));
  EXPECT_EQ(c->queue_capacity, 50u);
  EXPECT_EQ(c->batch_max, 10u);
  EXPECT_EQ(c->max_body_bytes, 64u * 1024u);
  EXPECT_EQ(c->http_read_timeout, std::chrono::seconds(5));
  EXPECT_EQ(c->http_max_connections, 7u);
  EXPECT_EQ(c->log_level, "debug");
}

TEST(Config, UnknownKeyGetsDidYouMean) {
  EXPECT_EQ(error_of("lsten: {http: 127.0.0.1:1}"),
            "/etc/ticketd/ticketd.yaml:1: unknown config key \"lsten\" (did you mean \"listen\"?)");
  EXPECT_EQ(error_of("store:\n  pth: x\n"),
            "/etc/ticketd/ticketd.yaml:2: unknown config key \"store.pth\" (did you mean "
            "\"store.path\"?)");
}

TEST(Config, BadValuesNameTheKey) {
  EXPECT_EQ(
      error_of("store: {event_retention: forever}"),
      "/etc/ticketd/ticketd.yaml:1: \"store.event_retention\": duration: invalid \"forever\", "
      "expected <number><unit> with unit ms, s, m, h, d or w");
  EXPECT_EQ(error_of("queue: {capacity: 0}"),
            "/etc/ticketd/ticketd.yaml:1: \"queue.capacity\" is \"0\", expected an integer >= 1");
  EXPECT_EQ(error_of("store: {readers: 65}"),
            "/etc/ticketd/ticketd.yaml:1: \"store.readers\" is \"65\", expected an integer >= 1 "
            "and <= 64");
  EXPECT_EQ(error_of("log: {level: loud}"),
            "/etc/ticketd/ticketd.yaml:1: \"log.level\" is \"loud\", expected trace, debug, info, "
            "warn or error");
  EXPECT_EQ(error_of("store: {sync: off}"),
            "/etc/ticketd/ticketd.yaml:1: \"store.sync\" is \"off\": must be full or normal");
  EXPECT_EQ(
      error_of("store: {kind: mysql}"),
      "/etc/ticketd/ticketd.yaml:1: \"store.kind\" is \"mysql\", this version supports: sqlite");
  EXPECT_EQ(error_of("listen: {http: nowhere}"),
            "/etc/ticketd/ticketd.yaml:1: \"listen.http\": invalid listen address \"nowhere\", "
            "expected host:port");
}

TEST(Config, NonLoopbackWithoutTokensIsRefused) {
  EXPECT_EQ(error_of("listen: {http: \"0.0.0.0:8080\"}"),
            "/etc/ticketd/ticketd.yaml:1: listen.http is 0.0.0.0:8080, which is not loopback, and "
            "no api.tokens are "
            "configured: refusing to serve the API unauthenticated; add api.tokens or listen on "
            "127.0.0.1");
  setenv("TICKETD_TEST_TOKEN", "0123456789abcdef0123", 1);
  auto c = load_config_from_string(
      "listen: {http: \"0.0.0.0:8080\"}\napi:\n  tokens:\n    - {name: am, role: ingest, "
      "token_env: TICKETD_TEST_TOKEN}\n",
      "/x/t.yaml");
  ASSERT_TRUE(c) << c.error().message();
  ASSERT_EQ(c->tokens.size(), 1u);
  EXPECT_EQ(c->tokens[0].digest, api::token_digest("0123456789abcdef0123"))
      << "only the secret's SHA-256 is kept";
  EXPECT_EQ(c->tokens[0].role, api::Role::kIngest);
}

TEST(Config, TokenProblems) {
  EXPECT_EQ(error_of("api: {tokens: [{name: a, role: root, token: 0123456789abcdef}]}"),
            "/etc/ticketd/ticketd.yaml:1: api token \"a\": role is \"root\", expected ingest, "
            "read, write or admin");
  EXPECT_EQ(error_of("api: {tokens: [{name: a, role: read, token: short}]}"),
            "/etc/ticketd/ticketd.yaml:1: api token \"a\": the secret must be at least 16 "
            "characters (set "
            "token_file, token_env or token)");
  EXPECT_EQ(error_of("api: {tokens: [{name: a, role: read, token_env: TICKETD_SURELY_UNSET}]}"),
            "/etc/ticketd/ticketd.yaml:1: api token \"a\": environment variable "
            "TICKETD_SURELY_UNSET is not set");
  EXPECT_EQ(error_of("api: {tokens: [{name: a, role: read}]}"),
            "/etc/ticketd/ticketd.yaml:1: api token \"a\" needs exactly one of token_file, "
            "token_env, token_sha256 or token");
  EXPECT_EQ(error_of("api: {tokens: [{name: a, role: read, token: 0123456789abcdef, "
                     "token_sha256: "
                     "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08}]}"),
            "/etc/ticketd/ticketd.yaml:1: api token \"a\" needs exactly one of token_file, "
            "token_env, token_sha256 or token");
  EXPECT_EQ(error_of("api: {tokens: [{name: a, role: read, token_sha256: abc}]}"),
            "/etc/ticketd/ticketd.yaml:1: api token \"a\": token_sha256 must be 64 hex digits "
            "(sha256sum of the secret, without newline)");
}

// token_sha256: the configuration holds only the digest (printf %s SECRET |
// sha256sum); the same secret given inline is the same token.
TEST(Config, TokenSha256) {
  auto c = load_config_from_string(
      "api:\n  tokens:\n    - {name: a, role: admin, token_sha256: "
      "9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08}\n",
      "/x/t.yaml");
  ASSERT_TRUE(c) << c.error().message();
  EXPECT_EQ(c->tokens[0].digest, api::token_digest("test"));  // sha256("test")
  EXPECT_TRUE(api::same_digest(c->tokens[0].digest, api::token_digest("test")));
  EXPECT_FALSE(api::same_digest(c->tokens[0].digest, api::token_digest("tesu")));
  EXPECT_FALSE(api::same_digest(c->tokens[0].digest, ""));
}

TEST(Config, WebhookSignatures) {
  auto c = load_config_from_string(
      "webhooks:\n  grafana: { hmac_secret: 0123456789abcdefXYZ, hmac_header: "
      "X-Grafana-Alerting-Signature }\n",
      "/x/t.yaml");
  ASSERT_TRUE(c) << c.error().message();
  ASSERT_EQ(c->signatures.size(), 1u);
  EXPECT_EQ(c->signatures[0].endpoint, "grafana");
  EXPECT_EQ(c->signatures[0].header, "X-Grafana-Alerting-Signature");
  EXPECT_EQ(error_of("webhooks: { grafna: { hmac_secret: 0123456789abcdefXYZ } }"),
            "/etc/ticketd/ticketd.yaml:1: unknown config key \"webhooks.grafna\" (did you mean "
            "\"webhooks.grafana\"?)");
  EXPECT_EQ(error_of("webhooks: { events: { hmac_secret: short } }"),
            "/etc/ticketd/ticketd.yaml:1: webhooks.events: the HMAC secret must be at least 16 "
            "characters");
}

// Every secret (webhook and source HMAC secrets, backend credentials, SNMP
// passphrases, API tokens) comes from exactly one place: two would leave the
// reader guessing which one the daemon uses.
TEST(Config, ASecretWithTwoSourcesIsRefused) {
  ::setenv("TICKETD_TEST_SECRET", "0123456789abcdefXYZ", 1);
  EXPECT_EQ(error_of("webhooks:\n  events:\n    hmac_secret: 0123456789abcdefXYZ\n"
                     "    hmac_secret_env: TICKETD_TEST_SECRET\n"),
            "/etc/ticketd/ticketd.yaml:3: webhooks.events: set only one of hmac_secret, "
            "hmac_secret_file or hmac_secret_env");
  EXPECT_EQ(error_of("json_sources:\n  z:\n    message: /m\n    hmac_secret: 0123456789abcdefXYZ\n"
                     "    hmac_secret_file: /nonexistent\n"),
            "/etc/ticketd/ticketd.yaml:3: json_sources.z: set only one of hmac_secret, "
            "hmac_secret_file or hmac_secret_env");
  EXPECT_EQ(error_of("api:\n  tokens:\n    - { name: ops, role: read, token: 0123456789abcdefXYZ, "
                     "token_env: TICKETD_TEST_SECRET }\n"),
            "/etc/ticketd/ticketd.yaml:3: api token \"ops\" needs exactly one of token_file, "
            "token_env, token_sha256 or token");
  EXPECT_EQ(error_of("webhooks:\n  events:\n    hmac_secret_env: TICKETD_TEST_SECRET\n"), "ok");
  ::unsetenv("TICKETD_TEST_SECRET");
}

TEST(Config, Sizes) {
  EXPECT_EQ(*parse_size("1048576"), 1048576u);
  EXPECT_EQ(*parse_size("1MiB"), 1048576u);
  EXPECT_EQ(*parse_size("512KiB"), 524288u);
  EXPECT_FALSE(parse_size("lots"));
  EXPECT_FALSE(parse_size("0"));
  EXPECT_FALSE(parse_size("5 parsecs"));
  EXPECT_EQ(*parse_size("1GiB"), 1024u * 1024u * 1024u);
  EXPECT_EQ(parse_size("99999999999999999999").error().message(),
            "size \"99999999999999999999\" is too large");
  EXPECT_EQ(parse_size("99999999999GiB").error().message(), "size \"99999999999GiB\" is too large");
}

// Issue 7 item 11: 99999999999GiB overflowed into no body limit at all.
TEST(Config, SizeThatOverflowsIsRefused) {
  EXPECT_EQ(
      error_of("http:\n  max_body_bytes: 99999999999GiB\n"),
      "/etc/ticketd/ticketd.yaml:2: \"http.max_body_bytes\": size \"99999999999GiB\" is too large");
  EXPECT_EQ(error_of("http:\n  max_body_bytes: 184467440737095516160\n"),
            "/etc/ticketd/ticketd.yaml:2: \"http.max_body_bytes\": size \"184467440737095516160\" "
            "is too large");
}

TEST(Config, MaxBodyBytesAtMostOneGiB) {
  EXPECT_EQ(
      error_of("http: {max_body_bytes: 1025MiB}"),
      "/etc/ticketd/ticketd.yaml:1: \"http.max_body_bytes\" is \"1025MiB\", expected at most 1GiB");
  EXPECT_EQ(error_of("http: {max_body_bytes: 1GiB}"), "ok");
}

TEST(Config, MaxMessageBytesAtMost16MiB) {
  EXPECT_EQ(error_of("syslog: {max_message_bytes: 17MiB}"),
            "/etc/ticketd/ticketd.yaml:1: \"syslog.max_message_bytes\" is \"17MiB\", expected at "
            "most 16MiB");
  EXPECT_EQ(error_of("syslog: {max_message_bytes: 16MiB}"), "ok");
}

TEST(Config, MaxMessageBytesAtLeast480) {
  EXPECT_EQ(
      error_of("syslog: {max_message_bytes: 479}"),
      "/etc/ticketd/ticketd.yaml:1: \"syslog.max_message_bytes\" must be at least 480 (RFC 5424)");
}

TEST(Config, ZeroDurationIsRefused) {
  EXPECT_EQ(error_of("http: {read_timeout: 0s}"),
            "/etc/ticketd/ticketd.yaml:1: \"http.read_timeout\" is \"0s\", expected a duration "
            "greater than 0");
  EXPECT_EQ(error_of("syslog:\n  idle_timeout: 0m\n"),
            "/etc/ticketd/ticketd.yaml:2: \"syslog.idle_timeout\" is \"0m\", expected a duration "
            "greater than 0");
  EXPECT_EQ(error_of("store: {event_retention: 0d}"),
            "/etc/ticketd/ticketd.yaml:1: \"store.event_retention\" is \"0d\", expected a duration "
            "greater than 0");
}

TEST(Config, NegativeDurationIsRefused) {
  EXPECT_EQ(error_of("http: {read_timeout: -5s}"),
            "/etc/ticketd/ticketd.yaml:1: \"http.read_timeout\": duration: invalid \"-5s\", "
            "expected <number><unit> "
            "with unit ms, s, m, h, d or w");
}

TEST(Config, DurationAtMost3650Days) {
  EXPECT_EQ(error_of("store: {event_retention: 3651d}"),
            "/etc/ticketd/ticketd.yaml:1: \"store.event_retention\" is \"3651d\", expected at most "
            "3650d");
  EXPECT_EQ(error_of("store: {event_retention: 3650d}"), "ok");
}

TEST(Config, DuplicateTokenSecretIsRefused) {
  const std::string e = error_of(
      "api:\n  tokens:\n"
      "    - {name: grafana, role: ingest, token: SAME-secret-0123456789}\n"
      "    - {name: ops, role: admin, token: SAME-secret-0123456789}\n");
  EXPECT_EQ(e,
            "/etc/ticketd/ticketd.yaml:4: api token \"ops\" has the same secret as api token "
            "\"grafana\" (line 3): "
            "each token needs its own secret");
  EXPECT_EQ(e.find("SAME-secret"), std::string::npos);
}

TEST(Config, DuplicateTokenNameIsRefused) {
  EXPECT_EQ(error_of("api:\n  tokens:\n"
                     "    - {name: ops, role: read, token: first-secret-0123456789}\n"
                     "    - {name: ops, role: admin, token: second-secret-0123456789}\n"),
            "/etc/ticketd/ticketd.yaml:4: api token name \"ops\" is also used by api token \"ops\" "
            "(line 3): "
            "token names must be unique");
}

TEST(Config, TokenNameMustBeOnePlainWord) {
  EXPECT_EQ(error_of("api:\n  tokens:\n"
                     "    - {name: \"a\\nb\", role: read, token: first-secret-0123456789}\n"),
            "/etc/ticketd/ticketd.yaml:3: api token name \"a\nb\" must be 1 to 64 letters, digits "
            "or - _ . @ :");
}

TEST(Config, DuplicateKeyIsRefused) {
  EXPECT_EQ(error_of("store: {path: var/t.db}\nstore: {path: other/x.db}\n"),
            "/etc/ticketd/ticketd.yaml:2: duplicate config key \"store\" (first set at line 1)");
  EXPECT_EQ(error_of("http:\n  read_timeout: 5s\n  read_timeout: 9s\n"),
            "/etc/ticketd/ticketd.yaml:3: duplicate config key \"http.read_timeout\" (first set at "
            "line 2)");
}

TEST(Config, TlsNeedsCertAndKey) {
  EXPECT_EQ(
      error_of("syslog:\n  tls_cert: c.pem\n"),
      "/etc/ticketd/ticketd.yaml:2: syslog TLS needs both syslog.tls_cert and syslog.tls_key");
}

TEST(Config, ApiTlsNeedsCertAndKey) {
  EXPECT_EQ(
      error_of("api:\n  tls_key: k.pem\n"),
      "/etc/ticketd/ticketd.yaml:2: HTTPS on the API needs both api.tls_cert and api.tls_key");
}

// Issue 7 item 11: "127.0.0.1.nip.io" passed as loopback (a prefix match).
TEST(Config, LoopbackIsExact) {
  for (const char* yes :
       {"127.0.0.1", "127.1.2.3", "::1", "::ffff:127.0.0.1", "localhost", "0:0:0:0:0:0:0:1"}) {
    EXPECT_TRUE(is_loopback_host(yes)) << yes;
  }
  for (const char* no : {"127.0.0.1.nip.io", "127.evil.example", "0.0.0.0", "::", "10.0.0.1",
                         "::ffff:10.0.0.1", "localhost.example", "", "128.0.0.1"}) {
    EXPECT_FALSE(is_loopback_host(no)) << no;
  }
}

TEST(Config, ListenHostMustBeAnAddress) {
  EXPECT_EQ(error_of("listen: {http: \"127.0.0.1.nip.io:8080\"}"),
            "/etc/ticketd/ticketd.yaml:1: \"listen.http\": invalid listen address "
            "\"127.0.0.1.nip.io:8080\": the host "
            "must be an IP address or localhost (names are not resolved)");
  EXPECT_EQ(error_of("listen:\n  syslog_udp: \"example.com:514\"\n"),
            "/etc/ticketd/ticketd.yaml:2: \"listen.syslog_udp\": invalid listen address "
            "\"example.com:514\": the host "
            "must be an IP address or localhost (names are not resolved)");
  EXPECT_EQ(error_of("listen: {http: \"localhost:8080\", syslog_tcp: \"[::1]:5514\", syslog_udp: "
                     "\"[fe80::1%lo]:5514\"}"),
            "ok");
}

TEST(Config, TcpListenersMayNotShareAPort) {
  EXPECT_EQ(error_of("listen:\n  http: 127.0.0.1:5514\n  syslog_tcp: 127.0.0.1:5514\n"),
            "/etc/ticketd/ticketd.yaml:3: \"listen.syslog_tcp\" 127.0.0.1:5514 overlaps "
            "\"listen.http\" 127.0.0.1:5514 "
            "(line 2): two TCP listeners cannot share a port");
  // A default counts too.
  EXPECT_EQ(error_of("listen: {http: \"localhost:5514\"}"),
            "/etc/ticketd/ticketd.yaml:1: \"listen.http\" localhost:5514 overlaps "
            "\"listen.syslog_tcp\" 127.0.0.1:5514 "
            "(default): two TCP listeners cannot share a port");
  // A wildcard overlaps a specific address; "::" also takes IPv4.
  EXPECT_EQ(error_of("listen:\n  syslog_tcp: 0.0.0.0:8080\n"),
            "/etc/ticketd/ticketd.yaml:2: \"listen.syslog_tcp\" 0.0.0.0:8080 overlaps "
            "\"listen.http\" 127.0.0.1:8080 "
            "(default): two TCP listeners cannot share a port");
  EXPECT_EQ(error_of("listen:\n  syslog_tcp: \"[::]:8080\"\n"),
            "/etc/ticketd/ticketd.yaml:2: \"listen.syslog_tcp\" [::]:8080 overlaps \"listen.http\" "
            "127.0.0.1:8080 "
            "(default): two TCP listeners cannot share a port");
  // TLS counts only when it is started (with a certificate).
  EXPECT_EQ(error_of("listen: {syslog_tcp: \"127.0.0.1:6514\"}"), "ok");
  EXPECT_EQ(
      error_of(
          "listen: {syslog_tcp: \"127.0.0.1:6514\"}\nsyslog: {tls_cert: c.pem, tls_key: k.pem}\n"),
      "/etc/ticketd/ticketd.yaml:1: \"listen.syslog_tcp\" 127.0.0.1:6514 overlaps "
      "\"listen.syslog_tls\" "
      "127.0.0.1:6514 (default): two TCP listeners cannot share a port");
}

TEST(Config, UdpAndTcpMayShareAPort) {
  EXPECT_EQ(error_of("listen: {syslog_udp: \"0.0.0.0:5514\", syslog_tcp: \"127.0.0.1:5514\"}"),
            "ok");
  EXPECT_EQ(error_of("listen: {syslog_tcp: \"0.0.0.0:9000\", http: \"[::1]:9000\"}"),
            "ok");  // IPv4 wildcard only
  EXPECT_EQ(error_of("listen: {syslog_tcp: \"127.0.0.1:0\", http: \"127.0.0.1:0\"}"),
            "ok");  // ephemeral
}

// check_environment(): what start-up needs from the machine.
class ConfigEnvironment : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("ticketd-cfg-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_ / "rules");
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // Loads `yaml` as dir/ticketd.yaml and runs check_environment().
  std::string check(const std::string& yaml) {
    const std::string path = (dir_ / "ticketd.yaml").string();
    auto c = load_config_from_string(yaml, path);
    if (!c) return "load: " + c.error().message();
    Status s = check_environment(*c);
    return s ? "ok" : s.message();
  }
  std::string file(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name) << text;
    return (dir_ / name).string();
  }
  std::string cfg() const { return (dir_ / "ticketd.yaml").string(); }

  std::filesystem::path dir_;
};

TEST_F(ConfigEnvironment, DefaultsAreFineAndNothingIsLeftBehind) {
  EXPECT_EQ(check("store: {path: var/sub/t.db}\n"), "ok");
  EXPECT_FALSE(std::filesystem::exists(dir_ / "var"));
}

TEST_F(ConfigEnvironment, StoreUnderARegularFileIsRefused) {
  file("plain", "x");
  EXPECT_EQ(check("store:\n  path: plain/sub/t.db\n"),
            cfg() + ":2: \"store.path\" is \"" + (dir_ / "plain/sub/t.db").string() +
                "\": " + (dir_ / "plain").string() + " is not a directory");
}

TEST_F(ConfigEnvironment, StoreInADirectoryThatCannotBeCreatedIsRefused) {
  EXPECT_EQ(check("store: {path: /proc/nope/x.db}\n"),
            cfg() +
                ":1: \"store.path\" is \"/proc/nope/x.db\": cannot create directory /proc/nope: No "
                "such file or directory");
}

TEST_F(ConfigEnvironment, StoreThatIsNotSqliteIsRefused) {
  file("notes.db", "these are my notes, not a database\n");
  EXPECT_EQ(check("store: {path: notes.db}\n"), cfg() + ":1: \"store.path\" is \"" +
                                                    (dir_ / "notes.db").string() +
                                                    "\": not a SQLite database");
}

TEST_F(ConfigEnvironment, StoreThatIsADirectoryIsRefused) {
  EXPECT_EQ(
      check("store: {path: rules}\n"),
      cfg() + ":1: \"store.path\" is \"" + (dir_ / "rules").string() + "\": not a regular file");
}

TEST_F(ConfigEnvironment, MissingRulesDirIsRefused) {
  EXPECT_EQ(check("rules_dir: nope\n"),
            cfg() + ":1: \"rules_dir\" is \"" + (dir_ / "nope").string() + "\": no such directory");
  // The default ("rules" next to the config) has no line.
  std::filesystem::remove(dir_ / "rules");
  EXPECT_EQ(check(""),
            cfg() + ": \"rules_dir\" is \"" + (dir_ / "rules").string() + "\": no such directory");
}

TEST_F(ConfigEnvironment, MissingTlsCertificateIsRefused) {
  EXPECT_EQ(check("syslog:\n  tls_cert: nope.crt\n  tls_key: nope.key\n"),
            cfg() + ":2: \"syslog.tls_cert\" is \"" + (dir_ / "nope.crt").string() +
                "\": cannot read it: No such file or directory");
  // Not checked when the TLS listener is off, as at start.
  EXPECT_EQ(check("listen: {syslog_tls: off}\nsyslog: {tls_cert: nope.crt, tls_key: nope.key}\n"),
            "ok");
}

TEST_F(ConfigEnvironment, TlsCertificateThatIsNotPemIsRefused) {
  file("c.crt", "not a certificate\n");
  file("k.key", "not a key\n");
  EXPECT_EQ(check("syslog: {tls_cert: c.crt, tls_key: k.key}\n"),
            cfg() + ":1: \"syslog.tls_cert\" is \"" + (dir_ / "c.crt").string() +
                "\": not a PEM certificate");
}

TEST_F(ConfigEnvironment, ApiTlsFilesAreCheckedUnderTheirOwnKeys) {
  file("c.crt", "not a certificate\n");
  file("k.key", "not a key\n");
  EXPECT_EQ(check("api: {tls_cert: c.crt, tls_key: k.key}\n"),
            cfg() + ":1: \"api.tls_cert\" is \"" + (dir_ / "c.crt").string() +
                "\": not a PEM certificate");
  EXPECT_EQ(check("api:\n  tls_cert: nope.crt\n  tls_key: k.key\n"),
            cfg() + ":2: \"api.tls_cert\" is \"" + (dir_ / "nope.crt").string() +
                "\": cannot read it: No such file or directory");
}

TEST_F(ConfigEnvironment, TlsKeyProblemsAreRefused) {
  auto make = [&](const std::string& name) {
    const std::string cmd =
        "cd " + dir_.string() +
        " && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 "
        "-nodes -days 1 -subj /CN=localhost -keyout " +
        name + ".key -out " + name + ".crt >/dev/null 2>&1";
    return std::system(cmd.c_str()) == 0;
  };
  ASSERT_TRUE(make("a"));
  ASSERT_TRUE(make("b"));
  EXPECT_EQ(check("syslog: {tls_cert: a.crt, tls_key: a.key}\n"), "ok");
  EXPECT_EQ(check("syslog:\n  tls_cert: a.crt\n  tls_key: nope.key\n"),
            cfg() + ":3: \"syslog.tls_key\" is \"" + (dir_ / "nope.key").string() +
                "\": cannot read it: No such file or directory");
  EXPECT_EQ(check("syslog:\n  tls_cert: a.crt\n  tls_key: a.crt\n"),
            cfg() + ":3: \"syslog.tls_key\" is \"" + (dir_ / "a.crt").string() +
                "\": not an unencrypted PEM private key");
  EXPECT_EQ(check("syslog:\n  tls_cert: a.crt\n  tls_key: b.key\n"),
            cfg() + ":3: \"syslog.tls_key\" is \"" + (dir_ / "b.key").string() +
                "\": it does not match the certificate " + (dir_ / "a.crt").string());
}

}  // namespace
}  // namespace ticketd::daemon

namespace ticketd::daemon {
namespace {

TEST(Config, RelpListenerIsOffByDefaultAndIsATcpListener) {
  auto c = load_config_from_string("", "/etc/ticketd/ticketd.yaml");
  ASSERT_TRUE(c) << c.error().message();
  EXPECT_EQ(c->syslog_relp_listen, "");
  c = load_config_from_string("listen: {syslog_relp: \"127.0.0.1:2514\"}",
                              "/etc/ticketd/ticketd.yaml");
  ASSERT_TRUE(c) << c.error().message();
  EXPECT_EQ(c->syslog_relp_listen, "127.0.0.1:2514");
  c = load_config_from_string("listen: {syslog_relp: off}", "/etc/ticketd/ticketd.yaml");
  ASSERT_TRUE(c) << c.error().message();
  EXPECT_EQ(c->syslog_relp_listen, "");
  EXPECT_EQ(
      error_of("listen:\n  syslog_relp: 127.0.0.1:5514\n"),
      "/etc/ticketd/ticketd.yaml:2: \"listen.syslog_relp\" 127.0.0.1:5514 overlaps "
      "\"listen.syslog_tcp\" 127.0.0.1:5514 (default): two TCP listeners cannot share a port");
  EXPECT_EQ(error_of("listen:\n  syslog_relp: relp.example.com:2514\n"),
            "/etc/ticketd/ticketd.yaml:2: \"listen.syslog_relp\": invalid listen address "
            "\"relp.example.com:2514\": the host must be an IP address or localhost (names are not "
            "resolved)");
}

// Secret files (token_file, hmac_secret_file, ...) are read only when they
// are regular files of at most 64 KiB: a FIFO or a device named by mistake
// (or by a fuzzer) is refused at once instead of blocking start-up or being
// read without end.
TEST_F(ConfigEnvironment, SecretFilesMustBeSmallRegularFiles) {
  file("tok", "0123456789abcdefXYZ\n");
  auto c =
      load_config_from_string("api: {tokens: [{name: a, role: read, token_file: tok}]}\n", cfg());
  ASSERT_TRUE(c) << c.error().message();
  EXPECT_EQ(c->tokens[0].digest, api::token_digest("0123456789abcdefXYZ"));

  auto error_with_file = [&](const std::string& name) {
    auto r = load_config_from_string(
        "api: {tokens: [{name: a, role: read, token_file: " + name + "}]}\n", cfg());
    return r ? "ok" : r.error().message();
  };
  const std::string prefix = cfg() + ":1: api token \"a\": cannot read token_file ";
  EXPECT_EQ(error_with_file("/dev/zero"), prefix + "/dev/zero: not a regular file");
  ASSERT_EQ(::mkfifo((dir_ / "fifo").c_str(), 0600), 0);
  EXPECT_EQ(error_with_file("fifo"), prefix + (dir_ / "fifo").string() + ": not a regular file");
  EXPECT_EQ(error_with_file("rules"), prefix + (dir_ / "rules").string() + ": not a regular file");
  file("big", std::string(64 * 1024 + 1, 'x'));
  EXPECT_EQ(error_with_file("big"), prefix + (dir_ / "big").string() + ": larger than 64KiB");
  EXPECT_EQ(error_with_file("missing"),
            prefix + (dir_ / "missing").string() + ": No such file or directory");
  // Exactly 64 KiB is still read (and is a valid, if long, secret).
  file("max", std::string(64 * 1024, 'x'));
  EXPECT_EQ(error_with_file("max"), "ok");
}

}  // namespace
}  // namespace ticketd::daemon
