// Regression tests for the crash-class defects found by probing the daemon
// (issue 7): each drives the real ticketd binary the way the probe did.

#include "harness.hpp"

namespace ticketd_test {
namespace {

// The shipped rules, plus `extra` as one more file.
void use_shipped_rules(Daemon& d, const std::string& extra = "") {
  fs::remove(d.dir() / "rules" / "rules.yaml");
  for (const auto& f : fs::directory_iterator(fs::path(TICKETD_SOURCE_DIR) / "rules")) {
    if (f.path().extension() == ".yaml")
      fs::copy_file(f.path(), d.dir() / "rules" / f.path().filename());
  }
  if (!extra.empty()) std::ofstream(d.dir() / "rules" / "99-test.yaml") << extra;
}

std::string nested(const std::string& open, const std::string& close, int depth) {
  std::string s;
  s.reserve(static_cast<size_t>(depth) * (open.size() + close.size()));
  for (int i = 0; i < depth; ++i) s += open;
  for (int i = 0; i < depth; ++i) s += close;
  return s;
}

// Item 1: with the shipped rules, several open tickets with SLAs, a note
// and escalations, the daemon stopped and started again every time.
TEST(CrashRegression, RestartsWithTheShippedRulesAndSeveralOpenSlaTicketsAndEscalations) {
  Daemon d;
  // The shipped escalations wait 15 minutes; one more that fires at once
  // puts escalations into the saved state like a long-running daemon has.
  use_shipped_rules(d, R"(
escalate:
  - name: test-immediate
    when: { priority: [P1, P2, P3, P4, P5], unacknowledged_for: 1s }
    do: { notify: [test-webhook] }
)");
  ASSERT_TRUE(d.start()) << d.log();
  for (const char* host : {"db1", "db2", "db3"}) {
    EXPECT_EQ(d.post(std::string(R"({"host":")") + host +
                     R"(","severity":"error","message":"write failed: No space left on device"})")
                  .status,
              202);
  }
  EXPECT_EQ(
      d.post(R"({"host":"core1","app":"ping","severity":"critical","message":"core1 unreachable"})")
          .status,
      202);
  ASSERT_EQ(d.tickets()["tickets"].size(), 4u);
  EXPECT_EQ(http("POST", d.url("/api/v1/tickets/INC-000001/notes"), R"({"text":"looking"})").status,
            201);
  // Escalations fire on the daemon's next tick.
  ASSERT_TRUE(eventually([&] { return metric_u(d, "ticketd_notifications_total") >= 4; }))
      << d.log();
  std::this_thread::sleep_for(
      std::chrono::milliseconds(1500));  // the state is saved at most once a second

  for (int round = 0; round < 3; ++round) {
    ASSERT_EQ(d.stop(), 0) << d.log();
    ASSERT_TRUE(d.start()) << "restart " << round << " failed:\n" << d.log();
    EXPECT_EQ(d.tickets("?status=open")["tickets"].size(), 4u);
  }
  // Dedup continues into the same tickets, and escalations do not repeat.
  EXPECT_EQ(
      d.post(
           R"({"host":"db2","severity":"error","message":"write failed: No space left on device"})")
          .status,
      202);
  json t = http("GET", d.url("/api/v1/tickets/INC-000002")).j();
  EXPECT_EQ(t["event_count"], 2);
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));
  EXPECT_EQ(metric_u(d, "ticketd_notifications_total"), 0)
      << "escalations fired again after the restart";
  EXPECT_EQ(d.tickets()["tickets"].size(), 4u);
}

// Item 2: one deeply nested body crashed the daemon through any route that
// serialized it. Every JSON route refuses it and the daemon keeps serving.
TEST(CrashRegression, DeeplyNestedBodiesOnEveryRouteAreRefused) {
  Daemon d;
  edit_config(d, "max_body_bytes: 64KiB", "max_body_bytes: 2MiB");
  ASSERT_TRUE(d.start()) << d.log();
  ASSERT_EQ(d.post(R"({"host":"db1","severity":"error","app":"pg","message":"boom"})").status, 202);
  const std::string deep_array = nested("[", "]", 100000);
  const std::string deep_object = nested("{\"a\":", "}", 100000);
  struct Case {
    const char* method;
    const char* path;
    std::string body;
  };
  const std::vector<Case> cases = {
      {"POST", "/v2/enqueue", R"({"event_action":)" + deep_array + "}"},
      {"POST", "/v2/enqueue",
       R"({"routing_key":"x","event_action":"trigger","dedup_key":)" + deep_array + "}"},
      {"POST", "/v2/enqueue",
       R"({"routing_key":"x","event_action":"trigger","payload":{"summary":"s","source":"h","severity":"error","custom_details":)" +
           deep_object + "}}"},
      {"POST", "/api/v1/webhooks/alertmanager",
       R"({"version":"4","status":"firing","alerts":[{"status":"firing","labels":{"alertname":)" +
           deep_array + "}}]}"},
      {"POST", "/api/v1/webhooks/grafana", R"({"status":"firing","ruleName":)" + deep_array + "}"},
      {"POST", "/api/v1/tickets", R"({"title":"t","labels":)" + deep_object + "}"},
      {"PATCH", "/api/v1/tickets/INC-000001", R"({"assignee":)" + deep_array + "}"},
      {"POST", "/api/v1/tickets/INC-000001/notes", R"({"text":)" + deep_array + "}"},
      {"POST", "/api/v1/events", R"({"host":"h","message":"m","labels":)" + deep_object + "}"},
      {"POST", "/api/v1/events", deep_array},
      {"POST", "/api/v1/explain", R"({"host":"h","message":)" + deep_array + "}"},
      {"POST", "/api/v1/silences", R"({"matchers":)" + deep_array + "}"},
  };
  for (const Case& c : cases) {
    Reply r = http(c.method, d.url(c.path), c.body);
    EXPECT_TRUE(r.status == 400 || r.status == 422)
        << c.method << " " << c.path << ": " << r.status << " " << r.body;
    EXPECT_NE(r.body.find("deeper than 64"), std::string::npos)
        << c.path << ": " << r.body.substr(0, 300);
    ASSERT_EQ(http("GET", d.url("/healthz")).status, 200)
        << c.method << " " << c.path << " killed the daemon\n"
        << d.log();
  }
  // 64 levels are fine.
  EXPECT_EQ(
      d.post(R"({"host":"db1","severity":"error","app":"pg","message":"boom","labels":{"x":"y"}})")
          .status,
      202);
  EXPECT_EQ(http("POST", d.url("/api/v1/tickets"), R"({"title":"fine","labels":{"a":"b"}})").status,
            201);
}

// Item 4: a full store refuses, counts and pushes back instead of losing
// syslog silently, /readyz says so, and everything recovers when space returns.
TEST(CrashRegression, AFullStoreIsNotReadyPushesBackLosesNothingAndRecovers) {
  Daemon d;
  Tmpfs var(d.dir() / "var", "16m");
  if (!var.mounted()) GTEST_SKIP() << "cannot mount a tmpfs here (needs root): " << var.error();
  ASSERT_TRUE(d.start()) << d.log();
  // Two open tickets before the failure: the rebuild after a failed commit
  // once answered 500 and left the engine half rebuilt with two or more.
  ASSERT_EQ(d.post(R"({"host":"db0","severity":"error","app":"pg","message":"warm up"})").status,
            202);
  ASSERT_EQ(d.post(R"({"host":"db1","severity":"error","app":"pg","message":"warm up"})").status,
            202);
  // Fill the filesystem.
  var.fill();

  // TCP: a sender that keeps writing while the disk is full; every line
  // must eventually be stored, held back meanwhile.
  std::atomic<bool> space_returned{false};
  std::atomic<int> tcp_sent{0};
  const std::string padding(300, 'p');
  std::thread tcp([&] {
    const int fd = connect_tcp(d.syslog_port());
    ASSERT_GE(fd, 0);
    // Blocking writes: while the daemon pushes back, the sender waits.
    for (int i = 0; (!space_returned && i < 3000) || i < 400;) {
      std::string line = "<11>Jan  1 00:00:00 tcphost app: write failed: No space left on device " +
                         std::to_string(i) + " " + padding + "\n";
      size_t off = 0;
      while (off < line.size()) {
        ssize_t n = ::send(fd, line.data() + off, line.size() - off, MSG_NOSIGNAL);
        ASSERT_GT(n, 0) << std::strerror(errno);
        off += static_cast<size_t>(n);
      }
      tcp_sent = ++i;
    }
    ::close(fd);
  });
  // HTTP: refused with 503 and Retry-After, never a silent 202; not ready.
  ASSERT_TRUE(eventually([&] { return metric_u(d, "ticketd_store_failures_total") > 0; }))
      << d.log();
  EXPECT_TRUE(eventually([&] {
    return d.post(R"({"host":"db9","severity":"error","app":"pg","message":"while full"})")
               .status == 503;
  }));
  EXPECT_TRUE(eventually([&] { return http("GET", d.url("/readyz")).status == 503; }));
  EXPECT_TRUE(eventually([&] {
    const std::string head = run("curl -si -XPOST -H 'Content-Type: application/json' --data "
                                 "'{\"host\":\"db9\",\"message\":\"x\"}' " +
                                 d.url("/api/v1/events"))
                                 .second;
    return head.find(" 503 ") != std::string::npos &&
           head.find("Retry-After: 1") != std::string::npos;
  }));
  // UDP: best effort, but every drop is counted.
  const int kUdp = 200;
  for (int i = 0; i < kUdp; ++i) {
    send_udp(d.syslog_port(),
             "<11>Jan  1 00:00:00 udphost app: write failed: No space left on device " +
                 std::to_string(i));
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  ASSERT_TRUE(eventually(
      [&] { return metric_u(d, "ticketd_syslog_received_total{transport=\"udp\"}") >= kUdp; }));
  EXPECT_GT(metric_u(d, "ticketd_events_rejected_store_unavailable_total"), 0);

  // Space returns: no restart needed.
  var.free_space();
  space_returned = true;
  tcp.join();
  const int kTcp = tcp_sent;
  ASSERT_TRUE(eventually([&] { return http("GET", d.url("/readyz")).status == 200; })) << d.log();
  EXPECT_EQ(d.log().find("unexpected error"), std::string::npos) << d.log();
  EXPECT_EQ(d.log().find("cannot reload engine state"), std::string::npos) << d.log();
  EXPECT_EQ(d.post(R"({"host":"db9","severity":"error","app":"pg","message":"after"})").status,
            202);
  auto count_of = [&](const std::string& host) -> int64_t {
    const json list = d.tickets();
    for (const auto& t : list["tickets"]) {
      if (t.value("title", "").find(host) != std::string::npos)
        return t.value("event_count", int64_t{0});
    }
    return 0;
  };
  ASSERT_TRUE(eventually([&] { return count_of("tcphost") == kTcp; }))
      << "TCP lines stored: " << count_of("tcphost") << " of " << kTcp << "\n"
      << d.tickets().dump(1) << "\n"
      << http("GET", d.url("/metrics")).body << d.log();
  const uint64_t udp_dropped = metric_u(d, "ticketd_syslog_dropped_total{transport=\"udp\"}");
  EXPECT_EQ(static_cast<uint64_t>(count_of("udphost")) + udp_dropped, uint64_t{kUdp});
  EXPECT_EQ(d.stop(), 0);
}

// Item 10: with tokens the actor is the token's name; a body may add a
// display name, never replace it.
TEST(CrashRegression, TheAuditTrailNamesTheTokenNotTheBody) {
  Daemon d(
      "api:\n  tokens:\n"
      "    - {name: ops-bot, role: write, token: write-secret-0123456789}\n"
      "    - {name: root-admin, role: admin, token: admin-secret-0123456789}\n"
      "    - {name: sender, role: ingest, token: ingest-secret-0123456789}\n");
  ASSERT_TRUE(d.start()) << d.log();
  ASSERT_EQ(http("POST", d.url("/api/v1/events"),
                 R"({"host":"db1","severity":"error","app":"pg","message":"x"})",
                 "application/json", "ingest-secret-0123456789")
                .status,
            202);
  EXPECT_EQ(http("POST", d.url("/api/v1/tickets/INC-000001/notes"),
                 R"({"text":"hi","actor":"adm"})", "application/json", "write-secret-0123456789")
                .status,
            201);
  json tl =
      http("GET", d.url("/api/v1/tickets/INC-000001/timeline"), "", "", "write-secret-0123456789")
          .j();
  std::string actors;
  for (const auto& e : tl["timeline"]) actors += e.value("actor", "") + ";";
  EXPECT_NE(actors.find("user:ops-bot (adm)"), std::string::npos) << actors;
  EXPECT_EQ(actors.find("user:adm;"), std::string::npos) << actors;

  Reply s = http("POST", d.url("/api/v1/silences"),
                 R"({"matchers":{"host":"db2"},"duration":"1h","created_by":"adm","comment":"x"})",
                 "application/json", "admin-secret-0123456789");
  ASSERT_EQ(s.status, 201) << s.body;
  EXPECT_EQ(s.j()["created_by"], "root-admin (adm)");
}

// Item 9: one huge event under a template that repeats it stays a small
// ticket; check-rules warns about such templates.
TEST(CrashRegression, RenderedFieldsAreCappedAndCheckRulesWarns) {
  Daemon d;
  std::string fifty;
  for (int i = 0; i < 50; ++i) fifty += "{{ message }} ";
  d.write_rules(R"(
rules:
  - name: echo
    match: { app: echo }
    ticket: { title: "{{ message }}", description: ")" +
                fifty + R"(", labels: { copy: "{{ message }}" } }
    fingerprint: "{{ host }}/{{ message }}"
)");
  auto [rc, out] = run(std::string(TICKETCTL_BIN) + " check-rules " + (d.dir() / "rules").string());
  EXPECT_EQ(rc, 0) << out;
  EXPECT_NE(
      out.find(
          "\"ticket.description\": \"{{ message }}\" appears 50 times and can grow without bound"),
      std::string::npos)
      << out;
  EXPECT_NE(
      out.find(
          "\"ticket.title\": \"{{ message }}\" can grow without bound; output is cut at 512 bytes"),
      std::string::npos)
      << out;

  edit_config(d, "max_body_bytes: 64KiB", "max_body_bytes: 2MiB");
  ASSERT_TRUE(d.start()) << d.log();
  const std::string big(1000 * 1000, 'm');
  ASSERT_EQ(
      d.post(R"({"host":"h1","app":"echo","severity":"error","message":")" + big + R"("})").status,
      202);
  ASSERT_EQ(
      d.post(R"({"host":"h1","app":"echo","severity":"error","message":")" + big + R"("})").status,
      202);
  Reply list = http("GET", d.url("/api/v1/tickets"));
  EXPECT_LT(list.body.size(), 100u * 1024) << "the ticket list carries the whole event";
  json t = list.j()["tickets"].at(0);
  EXPECT_EQ(t["event_count"], 2) << "the capped fingerprint must still deduplicate";
  EXPECT_LE(t["title"].get<std::string>().size(), 512u);
  EXPECT_LE(t["description"].get<std::string>().size(), 32u * 1024);
  EXPECT_LE(t["labels"]["copy"].get<std::string>().size(), 1024u);
  EXPECT_NE(t["description"].get<std::string>().find("[truncated]"), std::string::npos);
  EXPECT_LE(t["fingerprint"].get<std::string>().size(), 512u);
}

}  // namespace
}  // namespace ticketd_test
