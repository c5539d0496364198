// Backends and notifications end to end: the real daemon files tickets into
// a recording fake backend (tests/fakes/webhook.py, kind: webhook), tells a
// chat webhook and a mail relay (tests/fakes/smtp.py), survives the backend
// being down, slow, refusing and a kill -9, and takes changes back.
#include <fstream>

#include "../fakes/fake_server.hpp"
#include "harness.hpp"

namespace ticketd_test {
namespace {

const std::string kDisk =
    R"({"host":"db01","severity":"critical","message":"No space left on /var"})";
std::string error_event(const std::string& host) {
  return R"({"host":")" + host + R"(","app":"nginx","severity":"error","message":"upstream gone"})";
}

// Requests the fake received whose JSON "action" is `action`.
std::vector<json> with_action(const FakeServer& f, const std::string& action) {
  std::vector<json> out;
  for (const auto& r : f.requests()) {
    if (r["json"].is_object() && r["json"].value("action", "") == action) out.push_back(r);
  }
  return out;
}

std::string backend_config(const FakeServer& backend, const std::string& extra = "") {
  return "backends:\n"
         "  - name: hook\n"
         "    kind: webhook\n"
         "    url: " +
         backend.url() +
         "/in\n"
         "    comment_interval: 1s\n" +
         extra + "outbox: { retry_first: 200ms, retry_max: 1s, breaker_open: 1s }\n";
}

TEST(Backends, ATicketIsFiledCommentedAndResolvedInTheBackendAndPeopleAreTold) {
  FakeServer backend("webhook");
  FakeServer chat("webhook");
  const std::string mails =
      (fs::temp_directory_path() / ("ticketd-mails-" + std::to_string(::getpid()))).string();
  fs::remove(mails);
  FakeServer smtp("smtp", mails);
  Daemon d(backend_config(backend) +
           "notifications:\n"
           "  - name: chat\n"
           "    kind: webhook\n"
           "    url: " +
           chat.url() +
           "/hooks/abc\n"
           "    on: [opened, resolved]\n"
           "  - name: mail\n"
           "    kind: email\n"
           "    url: smtp://127.0.0.1:" +
           std::to_string(smtp.port()) +
           "\n"
           "    from: ticketd@example.com\n"
           "    to: [oncall@example.com]\n"
           "    on: [opened]\n"
           "    when: { priority: [P1] }\n");
  ASSERT_TRUE(d.start()) << d.log();
  ASSERT_EQ(d.post(kDisk).status, 202);
  ASSERT_TRUE(eventually([&] { return with_action(backend, "create").size() == 1; })) << d.log();
  const json created = with_action(backend, "create")[0]["json"];
  EXPECT_EQ(created["correlation_key"], "ticketd-inc-000001");
  EXPECT_EQ(created["ticket"]["title"], "Disk /var full on db01");
  // The remote key and URL are on the ticket, and the delivery on its timeline.
  ASSERT_TRUE(eventually(
      [&] { return !http("GET", d.url("/api/v1/tickets/INC-000001")).j()["external"].empty(); }));
  const json t = http("GET", d.url("/api/v1/tickets/INC-000001")).j();
  EXPECT_EQ(t["external"][0]["backend"], "hook");
  EXPECT_EQ(t["external"][0]["key"], "WH-1");
  EXPECT_EQ(t["external"][0]["url"], "http://webhook.example/tickets/WH-1");
  // Chat and mail were told about the P1.
  ASSERT_TRUE(eventually([&] { return chat.requests().size() == 1; }));
  EXPECT_EQ(chat.requests()[0]["json"]["text"], "Opened INC-000001 (P1): Disk /var full on db01");
  ASSERT_TRUE(eventually([&] { return fs::exists(mails) && fs::file_size(mails) > 0; }));
  {
    std::ifstream in(mails);
    std::string line;
    std::getline(in, line);
    const json mail = json::parse(line);
    EXPECT_EQ(mail["to"], json::array({"oncall@example.com"}));
    EXPECT_NE(mail["data"].get<std::string>().find("Subject: [ticketd] Opened INC-000001 (P1)"),
              std::string::npos);
  }
  // Three more occurrences become one comment after comment_interval.
  for (int i = 0; i < 3; ++i) ASSERT_EQ(d.post(kDisk).status, 202);
  ASSERT_TRUE(eventually([&] { return with_action(backend, "comment").size() == 1; }));
  EXPECT_EQ(with_action(backend, "comment")[0]["json"]["text"].get<std::string>().rfind(
                "3 more occurrences (total 4)", 0),
            0u);
  // A person resolves it: the backend and chat hear; the ticket shows it.
  ASSERT_EQ(http("PATCH", d.url("/api/v1/tickets/INC-000001"), R"({"status":"resolved"})").status,
            200);
  ASSERT_TRUE(eventually([&] { return with_action(backend, "resolved").size() == 1; }));
  ASSERT_TRUE(eventually([&] { return chat.requests().size() == 2; }));
  EXPECT_EQ(chat.requests()[1]["json"]["text"], "Resolved INC-000001 (P1): Disk /var full on db01");
  // The backend answered before ticketd recorded the delivery: wait for the
  // record, then every delivery is on the timeline and counted.
  int syncs = 0, notifications = 0;
  auto count = [&] {
    const json tl = http("GET", d.url("/api/v1/tickets/INC-000001/timeline")).j();
    syncs = notifications = 0;
    for (const auto& e : tl["timeline"]) {
      syncs += e["kind"] == "sync";
      notifications += e["kind"] == "notification";
    }
    return syncs == 3 && notifications == 3;
  };
  EXPECT_TRUE(eventually(count)) << syncs << " syncs (created, occurrences, resolved), "
                                 << notifications
                                 << " notifications (chat opened, mail opened, chat resolved)";
  EXPECT_EQ(metric_u(d, R"(ticketd_outbox_sent_total{target="hook",kind="webhook"})"), 3u);
  EXPECT_EQ(metric_u(d, R"(ticketd_outbox_queued{target="hook",kind="webhook"})"), 0u);
  fs::remove(mails);
}

TEST(Backends, ABackendDownForAWhileGetsEveryUpdateOnceAndInOrder) {
  FakeServer backend("webhook");
  Daemon d(backend_config(backend));
  ASSERT_TRUE(d.start()) << d.log();
  backend.fail(503, 6);
  ASSERT_EQ(d.post(kDisk).status, 202);  // ingestion does not wait for the backend
  ASSERT_EQ(http("PATCH", d.url("/api/v1/tickets/INC-000001"), R"({"assignee":"alice"})").status,
            200);
  ASSERT_EQ(http("PATCH", d.url("/api/v1/tickets/INC-000001"), R"({"status":"resolved"})").status,
            200);
  ASSERT_TRUE(eventually([&] { return with_action(backend, "resolved").size() == 1; })) << d.log();
  std::vector<std::string> order;
  for (const auto& r : backend.requests()) order.push_back(r["json"].value("action", ""));
  // Six refused tries of the create, then each change once, in order.
  ASSERT_EQ(order.size(), 9u);
  for (int i = 0; i < 7; ++i) EXPECT_EQ(order[static_cast<size_t>(i)], "create");
  EXPECT_EQ(order[7], "update");
  EXPECT_EQ(order[8], "resolved");
  EXPECT_GE(metric_u(d, R"(ticketd_outbox_failures_total{target="hook",kind="webhook"})"), 6u);
}

TEST(Backends, ARefusedEntryIsHeldUntilAnOperatorRetriesIt) {
  FakeServer backend("webhook");
  Daemon d(backend_config(backend));
  ASSERT_TRUE(d.start()) << d.log();
  backend.fail(400, 1, "", R"({"error":"unknown project"})");
  ASSERT_EQ(d.post(kDisk).status, 202);
  const std::string ctl = std::string(TICKETCTL_BIN) + " --server " + d.url("");
  ASSERT_TRUE(eventually([&] {
    return run(ctl + " outbox list --held").second.find("unknown project") != std::string::npos;
  }));
  auto [rc, out] = run(ctl + " outbox list --held --json");
  ASSERT_EQ(rc, 0) << out;
  const json held = json::parse(out)["entries"];
  ASSERT_EQ(held.size(), 1u);
  EXPECT_EQ(held[0]["kind"], "create");
  EXPECT_EQ(held[0]["held"], true);
  EXPECT_EQ(metric_u(d, R"(ticketd_outbox_held{target="hook",kind="webhook"})"), 1u);
  // Still held a while later; then released by hand, and delivered.
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  EXPECT_EQ(with_action(backend, "create").size(), 1u);
  auto [rc2, out2] = run(ctl + " outbox retry " + held[0]["id"].dump());
  EXPECT_EQ(rc2, 0) << out2;
  ASSERT_TRUE(eventually([&] { return with_action(backend, "create").size() == 2; }));
  ASSERT_TRUE(eventually(
      [&] { return run(ctl + " outbox list --json").second.find("\"id\"") == std::string::npos; }));
  // Retrying what is gone is a clear 404.
  auto [rc3, out3] = run(ctl + " outbox retry " + held[0]["id"].dump());
  EXPECT_NE(rc3, 0);
  EXPECT_NE(out3.find("no outbox entry"), std::string::npos) << out3;
}

TEST(Backends, TheOutboxSurvivesKill9) {
  FakeServer backend("webhook");
  Daemon d(backend_config(backend));
  ASSERT_TRUE(d.start()) << d.log();
  backend.fail(503, 1000);
  ASSERT_EQ(d.post(kDisk).status, 202);
  ASSERT_EQ(d.post(error_event("web1")).status, 202);
  ASSERT_TRUE(eventually([&] { return !backend.requests().empty(); }));
  d.signal(SIGKILL);
  d.stop();
  backend.reset();  // the backend is back
  ASSERT_TRUE(d.start()) << d.log();
  ASSERT_TRUE(eventually([&] { return with_action(backend, "create").size() == 2; })) << d.log();
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  std::set<std::string> keys;
  for (const auto& r : with_action(backend, "create")) keys.insert(r["json"]["ticket"]["key"]);
  EXPECT_EQ(keys, (std::set<std::string>{"INC-000001", "INC-000002"}));
}

TEST(Backends, ASlowBackendDoesNotSlowIngestion) {
  FakeServer backend("webhook");
  Daemon d(backend_config(backend, "    timeout: 30s\n"));
  ASSERT_TRUE(d.start()) << d.log();
  backend.delay(3000);  // each request takes 3 s
  for (int i = 0; i < 40; ++i)
    ASSERT_EQ(d.post(error_event("web" + std::to_string(i))).status, 202);
  // Every ticket is open in ticketd while the backend has seen at most a
  // couple of requests.
  EXPECT_EQ(d.tickets("?limit=100")["tickets"].size(), 40u);
  EXPECT_LE(backend.requests().size(), 2u);
  EXPECT_EQ(http("GET", d.url("/healthz")).status, 200);
}

TEST(Backends, AChangeMadeInTheBackendComesBackAndIsNotSentBack) {
  FakeServer backend("webhook");
  Daemon d(backend_config(backend));
  ASSERT_TRUE(d.start()) << d.log();
  ASSERT_EQ(d.post(kDisk).status, 202);
  ASSERT_TRUE(eventually(
      [&] { return !http("GET", d.url("/api/v1/tickets/INC-000001")).j()["external"].empty(); }));
  Reply r = http("POST", d.url("/api/v1/backends/hook/webhook"),
                 R"({"id":"WH-1","status":"resolved","by":"carol","note":"replaced the disk"})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.j()["applied"], 1);
  ASSERT_TRUE(eventually([&] {
    return http("GET", d.url("/api/v1/tickets/INC-000001")).j()["status"] == "resolved";
  }));
  const json tl = http("GET", d.url("/api/v1/tickets/INC-000001/timeline")).j()["timeline"];
  bool noted = false;
  for (const auto& e : tl) {
    if (e["actor"] == "backend:hook" && e["kind"] == "note")
      noted = e["message"].get<std::string>().find("replaced the disk") != std::string::npos;
  }
  EXPECT_TRUE(noted) << tl.dump(1);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  EXPECT_TRUE(with_action(backend, "resolved").empty());  // not echoed back
  // Told the same thing three times at once: the ticket changes once.
  ASSERT_EQ(
      http("PATCH", d.url("/api/v1/tickets/INC-000001"), R"({"status":"in_progress"})").status,
      200);
  Reply again = http("POST", d.url("/api/v1/backends/hook/webhook"),
                     R"([{"id":"WH-1","status":"resolved"},{"id":"WH-1","status":"resolved"},)"
                     R"({"id":"WH-1","status":"resolved"}])");
  ASSERT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(again.j()["applied"], 1);
  const json tl2 = http("GET", d.url("/api/v1/tickets/INC-000001/timeline")).j()["timeline"];
  int resolves = 0;
  for (const auto& e : tl2)
    resolves += e["kind"] == "status" && e["details"].value("to", "") == "resolved";
  EXPECT_EQ(resolves, 2);  // the first push, and this one once
  // Unknown backend and bad bodies are clear errors.
  EXPECT_EQ(http("POST", d.url("/api/v1/backends/nope/webhook"), "{}").status, 404);
  EXPECT_EQ(http("POST", d.url("/api/v1/backends/hook/webhook"), R"({"id":"WH-1"})").status, 400);
}

TEST(Backends, BadBackendConfigIsRefusedAtStartWithTheKey) {
  Daemon d(
      "backends:\n"
      "  - name: jira\n"
      "    kind: webhook\n"
      "    url: http://127.0.0.1:1\n"
      "    signature_heder: X\n");
  auto [rc, out] = run(std::string(TICKETD_BIN) + " --config " + d.config() + " --check-config");
  EXPECT_NE(rc, 0);
  EXPECT_NE(out.find("signature_header"), std::string::npos) << out;
  Daemon inline_secret(
      "backends:\n"
      "  - name: jira\n"
      "    kind: webhook\n"
      "    url: http://127.0.0.1:1\n"
      "    secret: hunter2hunter2hunter2\n");
  auto [rc2, out2] =
      run(std::string(TICKETD_BIN) + " --config " + inline_secret.config() + " --check-config");
  EXPECT_NE(rc2, 0);
  EXPECT_NE(out2.find("secret_file"), std::string::npos) << out2;
  EXPECT_EQ(out2.find("hunter2"), std::string::npos) << out2;
  // An empty secret file would turn the signature off silently; a key
  // prefix with a space could never be a label.
  Daemon empty_secret(
      "backends:\n"
      "  - name: hook\n"
      "    kind: webhook\n"
      "    url: http://127.0.0.1:1\n"
      "    secret_file: empty.secret\n"
      "    key_prefix: \"my tk-\"\n");
  std::ofstream(empty_secret.dir() / "empty.secret").flush();  // a regular file, empty
  auto [rc3, out3] =
      run(std::string(TICKETD_BIN) + " --config " + empty_secret.config() + " --check-config");
  EXPECT_NE(rc3, 0);
  EXPECT_NE(out3.find("empty secret"), std::string::npos) << out3;
}

}  // namespace
}  // namespace ticketd_test

namespace ticketd_test {
namespace {

// Jira through its fake (tests/fakes/jira.py, Cloud REST v3): filed with the
// correlation label, resolved there and polled back; bad credentials.
struct JiraSetup {
  FakeServer jira{"jira"};
  fs::path token = fs::temp_directory_path() / ("ticketd-jira-token-" + std::to_string(::getpid()));
  std::string config(const std::string& secret) {
    std::ofstream(token) << secret << "\n";
    return "backends:\n"
           "  - name: jira\n"
           "    kind: jira\n"
           "    url: " +
           jira.url() +
           "\n"
           "    api: cloud\n"
           "    user: ops@example.com\n"
           "    token_file: " +
           token.string() +
           "\n"
           "    project: OPS\n"
           "    poll_interval: 1s\n"
           "outbox: { retry_first: 100ms, retry_max: 200ms, breaker_failures: 3, breaker_open: 1s "
           "}\n";
  }
  ~JiraSetup() { fs::remove(token); }
};

TEST(JiraBackend, FiledWithItsLabelAndResolvedInJiraComesBack) {
  JiraSetup s;
  Daemon d(s.config("cloud-token-0123456789"));
  ASSERT_TRUE(d.start()) << d.log();
  ASSERT_EQ(d.post(kDisk).status, 202);
  ASSERT_TRUE(eventually([&] {
    return !http("GET", d.url("/api/v1/tickets/INC-000001")).j()["external"].empty();
  })) << d.log();
  const json ext = http("GET", d.url("/api/v1/tickets/INC-000001")).j()["external"][0];
  EXPECT_EQ(ext["backend"], "jira");
  EXPECT_EQ(ext["key"], "OPS-1");
  EXPECT_EQ(ext["url"], s.jira.url() + "/browse/OPS-1");
  const json issues = s.jira.state()["issues"];
  ASSERT_EQ(issues.size(), 1u);
  const json issue = issues.begin().value();
  EXPECT_NE(issue.dump().find("ticketd-inc-000001"), std::string::npos) << issue.dump();
  // Someone resolves it in Jira: the poll brings it back.
  s.jira.set_state(
      {{"set_status", {{"issue", "OPS-1"}, {"status", "Done"}, {"resolution", "Done"}}}});
  ASSERT_TRUE(eventually([&] {
    return http("GET", d.url("/api/v1/tickets/INC-000001")).j()["status"] == "resolved";
  })) << d.log();
  bool by_jira = false;
  const json tl = http("GET", d.url("/api/v1/tickets/INC-000001/timeline")).j();
  for (const auto& e : tl["timeline"])
    by_jira = by_jira || (e["actor"] == "backend:jira" && e["kind"] == "status");
  EXPECT_TRUE(by_jira) << tl.dump();
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  for (const auto& r : s.jira.requests()) {  // the resolve is not sent back to Jira
    EXPECT_EQ(r["path"].get<std::string>().find("/transitions"), std::string::npos)
        << r["method"] << " " << r["path"];
  }
}

TEST(JiraBackend, BadCredentialsOpenTheBreakerLoseNothingAndNeverLeak) {
  JiraSetup s;
  Daemon d(s.config("wrong-token-4242424242"));
  ASSERT_TRUE(d.start()) << d.log();
  ASSERT_EQ(d.post(kDisk).status, 202);
  ASSERT_TRUE(eventually([&] {
    return metric_u(d, R"(ticketd_outbox_circuit_open{target="jira",kind="jira"})") == 1;
  })) << d.log();
  const json waiting = http("GET", d.url("/api/v1/outbox?target=jira")).j()["entries"];
  ASSERT_EQ(waiting.size(), 1u);
  const std::string err = waiting[0]["last_error"];
  EXPECT_NE(err.find("401"), std::string::npos) << err;
  EXPECT_EQ(err.find("wrong-token"), std::string::npos) << err;
  EXPECT_EQ(d.log().find("wrong-token"), std::string::npos);
  EXPECT_TRUE(s.jira.state()["issues"].empty());
  // The operator fixes the token file and restarts: the queued create goes out, once.
  EXPECT_EQ(d.stop(), 0);
  std::ofstream(s.token) << "cloud-token-0123456789\n";
  ASSERT_TRUE(d.start()) << d.log();
  ASSERT_TRUE(eventually([&] { return s.jira.state()["issues"].size() == 1; })) << d.log();
  ASSERT_TRUE(eventually(
      [&] { return http("GET", d.url("/api/v1/outbox?target=jira")).j()["entries"].empty(); }));
  EXPECT_EQ(s.jira.state()["issues"].size(), 1u);
}

}  // namespace
}  // namespace ticketd_test

namespace ticketd_test {
namespace {

// The daemon filing into a real Request Tracker 5 (tests/backends/rt5.sh,
// shared with connector_tests): the key in the custom field, occurrences as
// one comment, a resolve, all over REST2.
class RtBackend : public ::testing::Test {
 protected:
  static inline std::map<std::string, std::string> rt;
  static inline std::string skip;
  static std::string dir() { return std::string(TICKETD_BINARY_DIR) + "/tests/rt5"; }
  static std::string script() { return std::string(TICKETD_SOURCE_DIR) + "/tests/backends/rt5.sh"; }
  static void SetUpTestSuite() {
    auto [code, out] = run(script() + " start " + dir() + " --owner " + std::to_string(::getpid()) +
                           " --linger 15");
    if (code == 77) {
      skip = "Request Tracker 5 is not installed (scripts/install-deps.sh installs it)";
      return;
    }
    std::istringstream in(out);
    for (std::string line; std::getline(in, line);) {
      const size_t eq = line.find('=');
      if (eq != std::string::npos) rt[line.substr(0, eq)] = line.substr(eq + 1);
    }
    if (code != 0 || rt["RT_URL"].empty()) skip = "";  // fail in SetUp with the output
    if (code != 0) rt["error"] = out;
  }
  static void TearDownTestSuite() {
    if (!rt.empty()) run(script() + " release " + dir() + " " + std::to_string(::getpid()));
  }
  void SetUp() override {
    if (!skip.empty()) GTEST_SKIP() << skip;
    ASSERT_FALSE(rt["RT_URL"].empty()) << rt["error"];
  }
  // GET on RT's REST2 as root (Basic), parsed.
  json rt_get(const std::string& path) {
    std::string url = rt["RT_URL"];
    url.insert(url.find("://") + 3, rt["RT_USER"] + ":" + rt["RT_PASSWORD"] + "@");
    return http("GET", url + "/REST/2.0" + path, "", "").j();
  }
};

TEST_F(RtBackend, TicketsAreFiledCommentedAndResolvedInRealRt) {
  const fs::path token =
      fs::temp_directory_path() / ("ticketd-rt-token-" + std::to_string(::getpid()));
  std::ofstream(token) << rt["RT_TOKEN"] << "\n";
  // A key prefix of this process: RT's database outlives the test.
  const std::string prefix = "it" + std::to_string(::getpid()) + "-";
  Daemon d(
      "backends:\n"
      "  - name: rt\n"
      "    kind: rt\n"
      "    url: " +
      rt["RT_URL"] +
      "\n"
      "    token_file: " +
      token.string() +
      "\n"
      "    comment_interval: 1s\n"
      "    key_prefix: " +
      prefix + "\n");
  ASSERT_TRUE(d.start()) << d.log();
  ASSERT_EQ(d.post(kDisk).status, 202);
  ASSERT_TRUE(eventually([&] {
    return !http("GET", d.url("/api/v1/tickets/INC-000001")).j()["external"].empty();
  })) << d.log();
  const json ext = http("GET", d.url("/api/v1/tickets/INC-000001")).j()["external"][0];
  const std::string id = ext["id"];
  EXPECT_EQ(ext["url"], rt["RT_URL"] + "/Ticket/Display.html?id=" + id);
  const json t = rt_get("/ticket/" + id);
  EXPECT_EQ(t["Subject"], "Disk /var full on db01");
  EXPECT_NE(t.dump().find(prefix + "inc-000001"), std::string::npos) << t.dump();
  // Three more occurrences: one comment.
  for (int i = 0; i < 3; ++i) ASSERT_EQ(d.post(kDisk).status, 202);
  auto comments = [&] {
    int n = 0;
    const json h = rt_get("/ticket/" + id + "/history?per_page=100&fields=Type");
    for (const auto& item : h["items"]) n += item.value("Type", "") == "Comment";
    return n;
  };
  ASSERT_TRUE(eventually([&] { return comments() == 1; })) << d.log();
  ASSERT_EQ(http("PATCH", d.url("/api/v1/tickets/INC-000001"), R"({"status":"resolved"})").status,
            200);
  ASSERT_TRUE(eventually([&] { return rt_get("/ticket/" + id)["Status"] == "resolved"; }))
      << d.log();
  EXPECT_EQ(comments(), 1);
  // The whole exchange is on the ticket's timeline; nothing waits.
  EXPECT_TRUE(
      eventually([&] { return http("GET", d.url("/api/v1/outbox")).j()["entries"].empty(); }));
  fs::remove(token);
}

}  // namespace
}  // namespace ticketd_test
