// Integration tests of the daemon and ticketctl through their real interfaces.
#include <sys/stat.h>

#include "harness.hpp"
#include "ticketd/core/time.hpp"

namespace {

using namespace ticketd_test;

const std::string kDisk =
    R"({"host":"db01","severity":"error","message":"write failed: No space left on sda1"})";

// Under systemd, standard output is a journal stream (JOURNAL_STREAM names
// its device:inode): every line then starts with its syslog priority, which
// journald turns into the entry's priority (journalctl -p). Anywhere else the
// lines keep their time stamps and no prefix.
TEST(Daemon, LinesCarryTheirSyslogPriorityWhenStdoutIsTheJournal) {
  Daemon d;
  const fs::path logfile = d.dir() / "ticketd.log";
  std::ofstream(logfile).flush();
  struct stat st {};
  ASSERT_EQ(::stat(logfile.c_str(), &st), 0);
  ::setenv("JOURNAL_STREAM", (std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino)).c_str(),
           1);
  const bool started = d.start();
  ::unsetenv("JOURNAL_STREAM");
  ASSERT_TRUE(started) << d.log();
  ASSERT_EQ(d.stop(), 0);
  const std::string log = d.log();
  EXPECT_NE(log.find("<6>[info] ticketd ready"), std::string::npos) << log;
  EXPECT_EQ(log.find("\n[20"), std::string::npos) << "a line without its priority:\n" << log;

  Daemon plain;  // stdout is a file, not the journal: no prefix
  ASSERT_TRUE(plain.start()) << plain.log();
  ASSERT_EQ(plain.stop(), 0);
  EXPECT_EQ(plain.log().find("<6>"), std::string::npos) << plain.log();
  EXPECT_NE(plain.log().find("[info] ticketd ready"), std::string::npos) << plain.log();
}

TEST(Daemon, DeduplicatesAndSurvivesARestart) {
  Daemon d;
  ASSERT_TRUE(d.start()) << d.log();
  EXPECT_EQ(d.post(kDisk).status, 202);
  EXPECT_EQ(d.post("[" + kDisk + "," + kDisk + "]").status, 202);
  json list = d.tickets();
  ASSERT_EQ(list["tickets"].size(), 1u) << list.dump();
  json t = list["tickets"][0];
  EXPECT_EQ(t["key"], "INC-000001");
  EXPECT_EQ(t["event_count"], 3);
  EXPECT_EQ(t["title"], "Disk sda1 full on db01");
  EXPECT_EQ(t["priority"], "P1");
  EXPECT_EQ(t["status"], "new");

  json one = http("GET", d.url("/api/v1/tickets/INC-000001")).j();
  EXPECT_EQ(one["fingerprint"], "db01/sda1");
  json timeline = http("GET", d.url("/api/v1/tickets/INC-000001/timeline")).j();
  ASSERT_EQ(timeline["timeline"].size(), 3u);
  EXPECT_EQ(timeline["timeline"][0]["kind"], "created");
  EXPECT_EQ(http("GET", d.url("/api/v1/tickets/INC-000001/events")).j()["events"].size(), 3u);
  EXPECT_EQ(http("GET", d.url("/api/v1/tickets/INC-999999")).status, 404);

  EXPECT_EQ(d.stop(), 0) << d.log();
  ASSERT_TRUE(d.start()) << d.log();
  EXPECT_EQ(d.post(kDisk).status, 202);
  list = d.tickets();
  ASSERT_EQ(list["tickets"].size(), 1u) << list.dump();
  EXPECT_EQ(list["tickets"][0]["event_count"], 4);
  // Numbering continues after the restart.
  EXPECT_EQ(
      d.post(R"({"host":"web1","app":"nginx","severity":"critical","message":"upstream gone"})")
          .status,
      202);
  EXPECT_EQ(d.tickets("?team=oncall")["tickets"][0]["key"], "INC-000002");
}

TEST(Daemon, BadInputGetsClearErrorsAndTheDaemonKeepsServing) {
  Daemon d;
  ASSERT_TRUE(d.start()) << d.log();
  Reply r = d.post("{not json");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.j()["error"]["code"], "invalid_json");
  r = http("POST", d.url("/api/v1/events"), kDisk, "text/plain");
  EXPECT_EQ(r.status, 415);
  EXPECT_EQ(r.j()["error"]["code"], "unsupported_media_type");
  r = d.post(R"({"host":"h","severity":"bogus","message":"x"})");
  EXPECT_EQ(r.status, 422);
  EXPECT_EQ(r.j()["error"]["code"], "invalid_event");
  // One bad event rejects the whole batch: nothing half-accepted.
  r = d.post("[" + kDisk + R"(,{"host":7}])");
  EXPECT_EQ(r.status, 422);
  EXPECT_NE(r.j()["error"]["message"].get<std::string>().find("[1]"), std::string::npos);
  r = d.post(std::string(100 * 1024, ' ') + kDisk);
  EXPECT_EQ(r.status, 413);
  EXPECT_EQ(r.j()["error"]["code"], "payload_too_large");
  r = http("PUT", d.url("/api/v1/events"));
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(r.header("allow"), "POST, GET");
  r = http("GET", d.url("/nope"));
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(http("GET", d.url("/api/v1/tickets?status=opened")).status, 400);
  EXPECT_EQ(http("GET", d.url("/api/v1/tickets?status=open")).status, 200);
  EXPECT_EQ(http("GET", d.url("/api/v1/tickets?limit=0")).status, 400);

  // A raw malformed HTTP request, then the daemon still works.
  EXPECT_EQ(run("printf 'GARBAGE\\r\\n\\r\\n' | timeout 5 bash -c 'cat > /dev/tcp/127.0.0.1/" +
                d.url("").substr(17) + "'")
                .first,
            0);
  EXPECT_EQ(http("GET", d.url("/healthz")).status, 200);
  EXPECT_EQ(http("GET", d.url("/readyz")).j()["status"], "ready");
  EXPECT_EQ(d.post(kDisk).status, 202);
  EXPECT_EQ(d.tickets()["tickets"].size(), 1u);
}

TEST(Daemon, FiltersAndPagination) {
  Daemon d;
  ASSERT_TRUE(d.start()) << d.log();
  std::string batch = "[";
  for (int i = 0; i < 5; ++i) {
    batch += (i ? "," : "") + std::string(R"({"host":"h)") + std::to_string(i) +
             R"(","app":"x","severity":"error","message":"boom"})";
  }
  batch += "," + kDisk + "]";
  ASSERT_EQ(d.post(batch).status, 202);
  EXPECT_EQ(d.tickets("?team=oncall")["tickets"].size(), 5u);
  EXPECT_EQ(d.tickets("?priority=P1")["tickets"].size(), 1u);
  EXPECT_EQ(d.tickets("?status=new&type=incident")["tickets"].size(), 6u);
  json page = d.tickets("?limit=4");
  ASSERT_EQ(page["tickets"].size(), 4u);
  ASSERT_TRUE(page["next_cursor"].is_string());
  json rest = d.tickets("?limit=4&cursor=" + page["next_cursor"].get<std::string>());
  EXPECT_EQ(rest["tickets"].size(), 2u);
  EXPECT_TRUE(rest["next_cursor"].is_null());
}

// q= is a full-text search over the tickets the daemon wrote: a note added
// through the API and the message of an event are found, a stray quote or
// parenthesis is text, and a q without a word is a clear 400.
TEST(Daemon, SearchFindsNotesAndEventMessages) {
  Daemon d;
  ASSERT_TRUE(d.start()) << d.log();
  ASSERT_EQ(d.post(kDisk).status, 202);
  ASSERT_EQ(
      d.post(R"({"host":"web1","app":"nginx","severity":"critical","message":"upstream gone"})")
          .status,
      202);
  Reply note = http("POST", d.url("/api/v1/tickets/INC-000001/notes"),
                    R"({"text":"Moved the quetzalcoatl logs to /srv"})");
  ASSERT_LT(note.status, 300) << note.body;
  auto search = [&](const std::string& q) {
    CURL* c = curl_easy_init();
    char* escaped = curl_easy_escape(c, q.data(), static_cast<int>(q.size()));
    Reply r = http("GET", d.url("/api/v1/tickets?q=" + std::string(escaped)));
    curl_free(escaped);
    curl_easy_cleanup(c);
    return r;
  };
  auto keys = [&](const std::string& q) {
    Reply r = search(q);
    EXPECT_EQ(r.status, 200) << q << ": " << r.body;
    std::vector<std::string> out;
    const json body = r.j();
    for (const json& t : body["tickets"]) out.push_back(t["key"].get<std::string>());
    return out;
  };
  using V = std::vector<std::string>;
  EXPECT_EQ(keys("quetzalcoatl"), V{"INC-000001"});
  EXPECT_EQ(keys("note:quetzalcoatl"), V{"INC-000001"});
  EXPECT_EQ(keys("title:quetzalcoatl"), V{});
  EXPECT_EQ(keys("\"upstream gone\""), V{"INC-000002"});  // an event message
  EXPECT_EQ(keys("host:web1"), V{"INC-000002"});
  EXPECT_EQ(keys("INC-000002"), V{"INC-000002"});
  EXPECT_EQ(keys("quetz* (\""), V{"INC-000001"});
  Reply bad = search("\" *");
  EXPECT_EQ(bad.status, 400) << bad.body;
  EXPECT_EQ(bad.j()["error"]["code"], "invalid_argument") << bad.body;
  json page = d.tickets("?q=db01+OR+web1&limit=1");  // OR is a word: neither ticket has both
  EXPECT_EQ(page["tickets"].size(), 0u) << page.dump();
}

TEST(Daemon, EverythingAcknowledgedBeforeSigtermIsThereAfter) {
  Daemon d;
  ASSERT_TRUE(d.start()) << d.log();
  std::vector<std::thread> senders;
  std::atomic<int> accepted{0};
  for (int s = 0; s < 4; ++s) {
    senders.emplace_back([&, s] {
      for (int i = 0; i < 25; ++i) {
        std::string e = R"({"host":"h)" + std::to_string(s * 100 + i) +
                        R"(","app":"a","severity":"error","message":"x"})";
        if (d.post(e).status == 202) ++accepted;
      }
    });
  }
  for (auto& t : senders) t.join();
  EXPECT_EQ(d.stop(), 0);
  ASSERT_TRUE(d.start()) << d.log();
  EXPECT_EQ(d.tickets("?limit=1000")["tickets"].size(), static_cast<size_t>(accepted.load()));
  EXPECT_EQ(accepted.load(), 100);
}

TEST(Daemon, SighupReloadsValidRulesAndKeepsTheOldOnesOtherwise) {
  Daemon d;
  ASSERT_TRUE(d.start()) << d.log();
  const std::string info = R"({"host":"h1","app":"cron","severity":"info","message":"job done"})";
  EXPECT_EQ(d.post(info).status, 202);
  EXPECT_EQ(d.tickets()["tickets"].size(), 0u);  // unmatched

  d.write_rules("rules:\n  - {name: everything, match: {}, ticket: {team: all}}\n");
  d.signal(SIGHUP);
  // The swap happens between batches; poll with new events until it shows.
  bool switched = false;
  for (int i = 0; i < 100 && !switched; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    switched = http("GET", d.url("/api/v1/rules")).j()["rules"][0]["name"] == "everything";
  }
  ASSERT_TRUE(switched) << d.log();
  EXPECT_EQ(d.post(info).status, 202);
  EXPECT_EQ(d.tickets("?team=all")["tickets"].size(), 1u);

  d.write_rules("rules:\n  - {name: broken, mach: {}}\n");
  d.signal(SIGHUP);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  EXPECT_NE(d.log().find("reload rejected"), std::string::npos) << d.log();
  EXPECT_EQ(http("GET", d.url("/api/v1/rules")).j()["rules"][0]["name"], "everything");
  EXPECT_EQ(d.post(R"({"host":"h2","message":"x"})").status, 202);
  EXPECT_EQ(d.tickets("?team=all")["tickets"].size(), 2u);
}

TEST(Daemon, RefusesToStartOnInvalidRulesOrConfig) {
  Daemon d;
  d.write_rules("rules:\n  - name: x\n    mach: {host: a}\n");
  EXPECT_FALSE(d.start());
  EXPECT_EQ(d.exit_code(), 1);
  EXPECT_NE(d.log().find("rules.yaml:3:5: unknown key \"mach\" in rule (did you mean \"match\"?)"),
            std::string::npos)
      << d.log();
  auto [rc, out] = run(std::string(TICKETD_BIN) + " --config " + d.config() + " --check-config");
  EXPECT_EQ(rc, 1);
  EXPECT_NE(out.find("did you mean \"match\""), std::string::npos) << out;

  Daemon bad_config("bogus: 1\n");
  EXPECT_FALSE(bad_config.start());
  EXPECT_EQ(bad_config.exit_code(), 1);
  EXPECT_NE(bad_config.log().find("unknown config key \"bogus\""), std::string::npos)
      << bad_config.log();

  Daemon bad_default("default_rule: no-such-rule\n");
  EXPECT_FALSE(bad_default.start());
  EXPECT_NE(bad_default.log().find("default_rule \"no-such-rule\" is not a rule in"),
            std::string::npos)
      << bad_default.log();
  auto [crc, check] =
      run(std::string(TICKETD_BIN) + " --config " + bad_default.config() + " --check-config");
  EXPECT_EQ(crc, 1);
  EXPECT_NE(check.find("default_rule \"no-such-rule\""), std::string::npos) << check;

  auto [vrc, version] = run(std::string(TICKETD_BIN) + " --version");
  EXPECT_EQ(vrc, 0);
  EXPECT_EQ(version.rfind("ticketd ", 0), 0u);
  EXPECT_EQ(run(std::string(TICKETD_BIN)).first, 2);
}

TEST(Daemon, TokensAndRoles) {
  Daemon d(
      "api:\n  tokens:\n"
      "    - {name: sender, role: ingest, token: ingest-secret-0123456789}\n"
      "    - {name: viewer, role: read, token: read-secret-0123456789}\n");
  ASSERT_TRUE(d.start()) << d.log();
  EXPECT_EQ(d.post(kDisk).status, 401);
  EXPECT_EQ(
      http("POST", d.url("/api/v1/events"), kDisk, "application/json", "wrong-secret-0123456789")
          .status,
      401);
  EXPECT_EQ(
      http("POST", d.url("/api/v1/events"), kDisk, "application/json", "read-secret-0123456789")
          .status,
      403);
  EXPECT_EQ(
      http("POST", d.url("/api/v1/events"), kDisk, "application/json", "ingest-secret-0123456789")
          .status,
      202);
  EXPECT_EQ(http("GET", d.url("/api/v1/tickets"), "", "", "ingest-secret-0123456789").status, 403);
  EXPECT_EQ(
      http("GET", d.url("/api/v1/tickets"), "", "", "read-secret-0123456789").j()["tickets"].size(),
      1u);
  EXPECT_EQ(http("GET", d.url("/healthz")).status, 200);  // probes need no token
  EXPECT_EQ(d.log().find("secret-0123456789"), std::string::npos) << "a secret was logged";
}

TEST(Ticketctl, ListsAndShowsTicketsFromTheDaemon) {
  Daemon d;
  ASSERT_TRUE(d.start()) << d.log();
  ASSERT_EQ(d.post(kDisk).status, 202);
  const std::string ctl = std::string(TICKETCTL_BIN) + " --server " + d.url("");
  auto [rc, table] = run(ctl + " tickets list");
  EXPECT_EQ(rc, 0) << table;
  EXPECT_NE(table.find("KEY"), std::string::npos);
  EXPECT_NE(table.find("INC-000001  P1"), std::string::npos) << table;
  EXPECT_NE(table.find("Disk sda1 full on db01"), std::string::npos) << table;
  auto [jrc, js] = run(ctl + " tickets list --status new --json");
  EXPECT_EQ(jrc, 0);
  EXPECT_EQ(json::parse(js)["tickets"][0]["key"], "INC-000001");
  auto [src, show] = run(ctl + " tickets show INC-000001");
  EXPECT_EQ(src, 0) << show;
  EXPECT_NE(show.find("fingerprint  db01/sda1"), std::string::npos) << show;
  EXPECT_NE(show.find("created"), std::string::npos) << show;
  auto [sjrc, sjs] = run(ctl + " tickets show INC-000001 --json");
  EXPECT_EQ(json::parse(sjs)["timeline"].size(), 1u);
  auto [mrc, missing] = run(ctl + " tickets show INC-424242");
  EXPECT_EQ(mrc, 1);
  EXPECT_NE(missing.find("404 not_found"), std::string::npos) << missing;
  d.stop();
  auto [drc, down] = run(ctl + " tickets list");
  EXPECT_EQ(drc, 1);
  EXPECT_NE(down.find("cannot reach"), std::string::npos) << down;
}

TEST(Ticketctl, CheckRulesPrintsFileLineColumnAndFails) {
  fs::path dir = fs::temp_directory_path() / ("ticketctl-check-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::ofstream(dir / "a.yaml")
      << "rules:\n  - name: x\n    match: {severity: \">=loud\"}\n    fingerprnt: x\n";
  auto [rc, out] = run(std::string(TICKETCTL_BIN) + " check-rules " + (dir / "a.yaml").string());
  EXPECT_EQ(rc, 1);
  EXPECT_NE(out.find((dir / "a.yaml").string() + ":3:23: \"severity\": unknown severity \"loud\""),
            std::string::npos)
      << out;
  EXPECT_NE(out.find(":4:5: unknown key \"fingerprnt\" in rule (did you mean \"fingerprint\"?)"),
            std::string::npos)
      << out;
  std::ofstream(dir / "a.yaml") << "rules:\n  - {name: x, match: {}}\n";
  auto [okrc, ok] = run(std::string(TICKETCTL_BIN) + " check-rules " + dir.string());
  EXPECT_EQ(okrc, 0) << ok;
  EXPECT_EQ(run(std::string(TICKETCTL_BIN) + " frobnicate").first, 2);
  fs::remove_all(dir);
}

}  // namespace

namespace {

using namespace ticketd_test;

const char* kWindowRules = R"(
rules:
  - name: ssh
    match: { app: sshd, message: '~Failed password for \S+ from (?P<ip>\S+)' }
    fingerprint: "{{ host }}/{{ ip }}"
    threshold: { count: 3, within: 10m }
    ticket: { title: "SSH brute force on {{ host }} from {{ ip }}", team: secops }
  - name: any-error
    match: { severity: ">=error" }
    fingerprint: "{{ host }}/{{ app }}"
)";

std::string ssh_fail(const std::string& ip) {
  return R"({"host":"bastion","app":"sshd","message":"Failed password for root from )" + ip +
         R"( port 22"})";
}

TEST(Correlation, ThresholdWindowSurvivesARestart) {
  Daemon d;
  d.write_rules(kWindowRules);
  ASSERT_TRUE(d.start()) << d.log();
  EXPECT_EQ(d.post(ssh_fail("203.0.113.9")).status, 202);
  EXPECT_EQ(d.post(ssh_fail("203.0.113.9")).status, 202);
  EXPECT_EQ(d.tickets()["tickets"].size(), 0u);  // 2 of 3: pending
  EXPECT_EQ(d.stop(), 0);
  ASSERT_TRUE(d.start()) << d.log();
  EXPECT_EQ(d.post(ssh_fail("203.0.113.9")).status, 202);  // the third, after the restart
  json list = d.tickets();
  ASSERT_EQ(list["tickets"].size(), 1u) << list.dump() << d.log();
  EXPECT_EQ(list["tickets"][0]["title"], "SSH brute force on bastion from 203.0.113.9");
  EXPECT_EQ(list["tickets"][0]["event_count"], 3);
}

// After kill -9 nothing acknowledged is lost: the state records a batch
// changed are committed with its events, so a threshold window and a
// group_wait continue exactly where they were.
TEST(Correlation, ThresholdWindowAndGroupWaitSurviveKill9) {
  Daemon d;
  d.write_rules(R"(
rules:
  - name: ssh
    match: { app: sshd, message: '~Failed password for \S+ from (?P<ip>\S+)' }
    fingerprint: "{{ host }}/{{ ip }}"
    threshold: { count: 3, within: 10m }
    ticket: { title: "SSH brute force on {{ host }} from {{ ip }}" }
  - name: oom
    match: { message: '~Killed process \d+ \((?P<process>[^)]+)\)' }
    fingerprint: "{{ host }}/{{ process }}"
    group_by: [host]
    group_wait: 3s
    ticket: { title: "OOM on {{ host }}" }
)");
  ASSERT_TRUE(d.start()) << d.log();
  EXPECT_EQ(d.post(ssh_fail("203.0.113.9")).status, 202);
  EXPECT_EQ(d.post(ssh_fail("203.0.113.9")).status, 202);
  EXPECT_EQ(d.post(R"j({"host":"app1","message":"Killed process 1 (java)"})j").status, 202);
  d.signal(SIGKILL);  // right after the 202s: no clean stop, no final save
  d.stop();
  ASSERT_TRUE(d.start()) << d.log();
  EXPECT_EQ(d.tickets()["tickets"].size(), 0u);  // the group still waits
  EXPECT_EQ(d.post(R"j({"host":"app1","message":"Killed process 2 (python3)"})j").status,
            202);                                          // joins the group
  EXPECT_EQ(d.post(ssh_fail("203.0.113.9")).status, 202);  // the third within the window
  json ssh = d.tickets("?q=SSH");
  ASSERT_EQ(ssh["tickets"].size(), 1u) << ssh.dump() << d.log();
  EXPECT_EQ(ssh["tickets"][0]["event_count"], 3);
  json oom;
  for (int i = 0; i < 100; ++i) {  // group_wait (3 s from the first OOM event) ends
    oom = d.tickets("?q=OOM");
    if (!oom["tickets"].empty()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_EQ(oom["tickets"].size(), 1u) << oom.dump() << d.log();
  EXPECT_EQ(oom["tickets"][0]["alerts"].size(), 2u) << oom.dump();
  EXPECT_EQ(oom["tickets"][0]["event_count"], 2);
}

TEST(Correlation, SilencesThroughTheApiAndTicketctl) {
  Daemon d;
  ASSERT_TRUE(d.start()) << d.log();
  const std::string ctl = std::string(TICKETCTL_BIN) + " --server " + d.url("");
  auto [rc, id] = run(ctl +
                      " silence add host=db01 'labels.env=~^prod' --duration 1h --comment 'disk "
                      "swap' --author alice");
  ASSERT_EQ(rc, 0) << id;
  EXPECT_EQ(id, "s-1\n");
  EXPECT_EQ(
      d.post(
           R"({"host":"db01","severity":"error","app":"pg","message":"down","labels":{"env":"production"}})")
          .status,
      202);
  EXPECT_EQ(d.tickets()["tickets"].size(), 0u);  // silenced, recorded, not ticketed
  EXPECT_EQ(
      d.post(
           R"({"host":"db02","severity":"error","app":"pg","message":"down","labels":{"env":"production"}})")
          .status,
      202);
  EXPECT_EQ(d.tickets()["tickets"].size(), 1u);
  json silences = http("GET", d.url("/api/v1/silences")).j();
  ASSERT_EQ(silences["silences"].size(), 1u);
  EXPECT_EQ(silences["silences"][0]["state"], "active");
  EXPECT_EQ(silences["silences"][0]["created_by"], "alice");
  EXPECT_EQ(silences["silences"][0]["silenced_count"], 1);
  auto [lrc, table] = run(ctl + " silence list");
  EXPECT_EQ(lrc, 0);
  EXPECT_NE(table.find("s-1  active  host=db01 labels.env=~^prod"), std::string::npos) << table;

  // Silences survive a restart.
  EXPECT_EQ(d.stop(), 0);
  ASSERT_TRUE(d.start()) << d.log();
  EXPECT_EQ(
      d.post(
           R"({"host":"db01","severity":"error","app":"x","message":"still","labels":{"env":"prod"}})")
          .status,
      202);
  EXPECT_EQ(d.tickets()["tickets"].size(), 1u);

  Reply bad =
      http("POST", d.url("/api/v1/silences"), R"({"matchers":{"hots":"x"},"duration":"1h"})");
  EXPECT_EQ(bad.status, 422);
  EXPECT_EQ(bad.j()["error"]["code"], "invalid_silence");
  auto [erc, expired] = run(ctl + " silence expire s-1");
  EXPECT_EQ(erc, 0) << expired;
  EXPECT_EQ(http("DELETE", d.url("/api/v1/silences/s-1")).status, 409);
  EXPECT_EQ(http("DELETE", d.url("/api/v1/silences/s-42")).status, 404);
  EXPECT_EQ(
      d.post(
           R"({"host":"db01","severity":"error","app":"y","message":"now","labels":{"env":"prod"}})")
          .status,
      202);
  EXPECT_EQ(d.tickets()["tickets"].size(), 2u);
}

TEST(Correlation, ExplainRulesListAndReloadThroughTheApi) {
  Daemon d;
  d.write_rules(kWindowRules);
  ASSERT_TRUE(d.start()) << d.log();
  Reply ex = http("POST", d.url("/api/v1/explain"), ssh_fail("10.0.0.1"));
  ASSERT_EQ(ex.status, 200) << ex.body;
  json j = ex.j();
  EXPECT_EQ(j["decision"], "pending");
  EXPECT_EQ(j["rules"][0]["rule"], "ssh");
  EXPECT_EQ(j["rules"][0]["captures"]["ip"], "10.0.0.1");
  EXPECT_EQ(j["rules"][0]["fingerprint"], "bastion/10.0.0.1");
  EXPECT_EQ(j["rules"][1]["reason"], "not tried: an earlier rule matched without continue");
  EXPECT_EQ(d.tickets()["tickets"].size(), 0u);
  EXPECT_EQ(http("GET", d.url("/metrics")).body.find("decision=\"pending\"} 1"),
            std::string::npos);  // explain counts nothing

  const std::string ctl = std::string(TICKETCTL_BIN) + " --server " + d.url("");
  EXPECT_EQ(d.post(R"({"host":"h","app":"a","severity":"error","message":"x"})").status, 202);
  auto [lrc, list] = run(ctl + " rules list");
  EXPECT_EQ(lrc, 0);
  EXPECT_NE(list.find("any-error  ticket  1     1"), std::string::npos) << list;

  // A diff against a changed copy, then a reload through the API.
  const fs::path next =
      fs::temp_directory_path() / ("ticketd-next-rules-" + std::to_string(::getpid()));
  fs::create_directories(next);
  std::ofstream(next / "r.yaml")
      << "rules:\n  - {name: ssh, match: {app: sshd}, threshold: {count: 9, within: 1m}}\n"
         "  - {name: new-rule, match: {app: cron}}\n";
  auto [drc, diff] = run(ctl + " rules diff " + next.string());
  EXPECT_EQ(drc, 2) << diff;  // changes
  EXPECT_NE(diff.find("~ ssh (changed"), std::string::npos) << diff;
  EXPECT_NE(diff.find("+ new-rule (added"), std::string::npos) << diff;
  EXPECT_NE(diff.find("- any-error (removed; 1 open tickets lose their rule"), std::string::npos)
      << diff;
  fs::remove_all(next);

  d.write_rules("rules:\n  - {name: broken, mach: {}}\n");
  Reply rejected = http("POST", d.url("/api/v1/rules/reload"), "{}");
  EXPECT_EQ(rejected.status, 422);
  EXPECT_EQ(rejected.j()["error"]["code"], "invalid_rules");
  EXPECT_NE(rejected.j()["error"]["details"].dump().find("did you mean \\\"match\\\""),
            std::string::npos)
      << rejected.body;
  d.write_rules("rules:\n  - {name: only, match: {}}\n");
  auto [rrc, reloaded] = run(ctl + " rules reload");
  EXPECT_EQ(rrc, 0) << reloaded;
  bool switched = false;
  for (int i = 0; i < 50 && !switched; ++i) {
    switched = http("GET", d.url("/api/v1/rules")).j()["rules"][0]["name"] == "only";
    if (!switched) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_TRUE(switched);
}

TEST(Ticketctl, TestRulesReplayAndOfflineExplain) {
  fs::path dir = fs::temp_directory_path() / ("ticketctl-tools-" + std::to_string(::getpid()));
  fs::create_directories(dir / "tests");
  std::ofstream(dir / "r.yaml") << kWindowRules;
  std::ofstream(dir / "tests" / "t.yaml") << R"(rule_files: [../r.yaml]
tests:
  - name: three failures make a ticket
    events:
      - { at: 0s, host: b, app: sshd, message: "Failed password for x from 1.2.3.4" }
      - { at: 1m, host: b, app: sshd, message: "Failed password for x from 1.2.3.4" }
      - { at: 2m, host: b, app: sshd, message: "Failed password for x from 1.2.3.4" }
    expect:
      - { event_count: 3, team: secops }
  - name: a wrong expectation fails readably
    events:
      - { at: 0s, host: b, app: sshd, message: "Failed password for x from 1.2.3.4" }
    expect:
      - { title: "never" }
)";
  auto [rc, out] = run(std::string(TICKETCTL_BIN) + " test-rules " + dir.string());
  EXPECT_EQ(rc, 1) << out;
  EXPECT_NE(
      out.find("ok   " + (dir / "tests" / "t.yaml").string() + ": three failures make a ticket"),
      std::string::npos)
      << out;
  EXPECT_NE(out.find("FAIL " + (dir / "tests" / "t.yaml").string() +
                     ": a wrong expectation fails readably"),
            std::string::npos);
  EXPECT_NE(out.find("expected 1 ticket(s), got 0"), std::string::npos) << out;
  EXPECT_NE(out.find("(no tickets)"), std::string::npos) << out;
  EXPECT_NE(out.find("2 tests, 1 failed"), std::string::npos) << out;

  std::ofstream(dir / "events.jsonl")
      << R"({"time":"2026-01-01T00:00:00Z","host":"b","app":"sshd","message":"Failed password for x from 9.9.9.9"})"
         "\n"
      << R"({"time":"2026-01-01T00:00:10Z","host":"b","app":"sshd","message":"Failed password for x from 9.9.9.9"})"
         "\n"
      << R"({"time":"2026-01-01T00:00:20Z","host":"b","app":"sshd","message":"Failed password for x from 9.9.9.9"})"
         "\n";
  auto [rrc, lines] = run(std::string(TICKETCTL_BIN) + " replay --rules " + dir.string() + " " +
                          (dir / "events.jsonl").string());
  EXPECT_EQ(rrc, 0) << lines;
  std::istringstream in(lines);
  std::string line;
  std::vector<json> actions;
  while (std::getline(in, line)) actions.push_back(json::parse(line));
  ASSERT_GE(actions.size(), 4u) << lines;
  EXPECT_EQ(actions[0]["decision"], "pending");
  bool opened = false;
  for (const auto& a : actions) opened = opened || a["action"] == "ticket_opened";
  EXPECT_TRUE(opened) << lines;

  std::ofstream(dir / "event.json") << ssh_fail("5.5.5.5");
  auto [erc, explained] = run(std::string(TICKETCTL_BIN) + " explain --rules " + dir.string() +
                              " " + (dir / "event.json").string());
  EXPECT_EQ(erc, 0) << explained;
  EXPECT_NE(explained.find("decision: pending"), std::string::npos) << explained;
  EXPECT_NE(explained.find("threshold 1/3 within 10m"), std::string::npos) << explained;
  fs::remove_all(dir);
}

}  // namespace

namespace {

using namespace ticketd_test;

TEST(Tickets, ManualTicketsLifecycleAndChangeWindows) {
  Daemon d;
  ASSERT_TRUE(d.start()) << d.log();
  const std::string ctl = std::string(TICKETCTL_BIN) + " --server " + d.url("");
  // A change in progress silences the hosts it names and collects their alerts.
  auto [crc, created] = run(
      ctl + " tickets create --type change --title 'Swap disks' --label 'hosts=db01,db02' --json");
  ASSERT_EQ(crc, 0) << created;
  const std::string change = json::parse(created)["key"];
  EXPECT_EQ(change, "CHG-000001");
  EXPECT_EQ(run(ctl + " tickets status " + change + " in_progress").first, 0);
  EXPECT_EQ(d.post(kDisk).status, 202);  // db01
  EXPECT_EQ(d.tickets("?type=incident")["tickets"].size(), 0u);
  json chg = http("GET", d.url("/api/v1/tickets/" + change)).j();
  EXPECT_EQ(chg["suppressed_count"], 1);
  EXPECT_EQ(run(ctl + " tickets close " + change).first,
            1);  // in_progress -> closed is not allowed
  Reply conflict = http("PATCH", d.url("/api/v1/tickets/" + change), R"({"status":"closed"})");
  EXPECT_EQ(conflict.status, 409);
  EXPECT_EQ(conflict.j()["error"]["code"], "conflict");
  EXPECT_EQ(run(ctl + " tickets resolve " + change + " --note 'disks swapped'").first, 0);
  EXPECT_EQ(d.post(kDisk).status, 202);  // the change is over: a real incident now
  json inc = d.tickets("?type=incident")["tickets"];
  ASSERT_EQ(inc.size(), 1u);
  const std::string key = inc[0]["key"];

  // Work the incident: assign, acknowledge, note, resolve, close.
  EXPECT_EQ(run(ctl + " tickets assign " + key + " alice").first, 0);
  EXPECT_EQ(http("GET", d.url("/api/v1/tickets/" + key)).j()["status"], "assigned");
  EXPECT_EQ(run(ctl + " tickets ack " + key).first, 0);
  json acked = http("GET", d.url("/api/v1/tickets/" + key)).j();
  EXPECT_EQ(acked["status"], "in_progress");
  EXPECT_FALSE(acked["acknowledged_at"].is_null());
  EXPECT_EQ(run(ctl + " tickets note " + key + " replaced the disk").first, 0);
  Reply patched =
      http("PATCH", d.url("/api/v1/tickets/" + key), R"({"impact":"low","urgency":"low"})");
  EXPECT_EQ(patched.status, 200);
  EXPECT_EQ(patched.j()["priority"], "P5");
  EXPECT_EQ(run(ctl + " tickets resolve " + key).first, 0);
  EXPECT_EQ(run(ctl + " tickets close " + key).first, 0);
  json closed = http("GET", d.url("/api/v1/tickets/" + key)).j();
  EXPECT_EQ(closed["status"], "closed");
  json tl = http("GET", d.url("/api/v1/tickets/" + key + "/timeline")).j()["timeline"];
  std::string kinds;
  for (const auto& e : tl) kinds += e["kind"].get<std::string>() + " ";
  EXPECT_EQ(kinds, "created assignment status acknowledged note priority status status ")
      << tl.dump();
  // After close, the same alert opens a new ticket.
  EXPECT_EQ(d.post(kDisk).status, 202);
  EXPECT_EQ(d.tickets("?type=incident&status=new")["tickets"].size(), 1u);

  EXPECT_EQ(http("POST", d.url("/api/v1/tickets"), R"({"type":"incident"})").status, 400);
  EXPECT_EQ(http("PATCH", d.url("/api/v1/tickets/INC-999999"), R"({"status":"resolved"})").status,
            404);
  EXPECT_EQ(http("PATCH", d.url("/api/v1/tickets/" + key), R"({"title":"x"})").status, 400);
}

// Resolution code and note, public and internal notes, reopen and cancel
// through the API and ticketctl; SLA targets follow a priority change.
TEST(Tickets, ResolutionNotesReopenCancelAndSlaFollowPriority) {
  Daemon d;
  d.write_rules(std::string(kRules) +
                "sla:\n  P1: { respond: 15m, resolve: 4h }\n"
                "  P3: { respond: 4h, resolve: 3d }\n");
  ASSERT_TRUE(d.start()) << d.log();
  const std::string ctl = std::string(TICKETCTL_BIN) + " --server " + d.url("");
  ASSERT_EQ(
      d.post(R"({"host":"web1","app":"nginx","severity":"error","message":"upstream timed out"})")
          .status,
      202);
  const std::string key = d.tickets()["tickets"][0]["key"];
  const std::string path = "/api/v1/tickets/" + key;
  json t = http("GET", d.url(path)).j();
  ASSERT_EQ(t["priority"], "P3");
  EXPECT_TRUE(t["resolution"].is_null());
  const ticketd::TimePoint created = *ticketd::parse_rfc3339(t["created_at"].get<std::string>());
  EXPECT_EQ(t["sla"]["respond_by"], ticketd::format_rfc3339(created + std::chrono::hours(4)));

  // P3 -> P1: the P1 targets, measured from creation, and a timeline entry.
  Reply up = http("PATCH", d.url(path), R"({"impact":"high","urgency":"high"})");
  ASSERT_EQ(up.status, 200) << up.body;
  EXPECT_EQ(up.j()["priority"], "P1");
  EXPECT_EQ(up.j()["sla"]["respond_by"],
            ticketd::format_rfc3339(created + std::chrono::minutes(15)));
  EXPECT_EQ(up.j()["sla"]["resolve_by"], ticketd::format_rfc3339(created + std::chrono::hours(4)));

  // Notes: internal by default, public on request; both on the timeline.
  EXPECT_EQ(run(ctl + " tickets note " + key + " checked the upstream pool").first, 0);
  EXPECT_EQ(run(ctl + " tickets note " + key + " we are on it --public").first, 0);
  Reply bad_note = http("POST", d.url(path + "/notes"), R"({"text":"x","visibility":"secret"})");
  EXPECT_EQ(bad_note.status, 400) << bad_note.body;

  // A resolution needs a known code and goes with resolving.
  EXPECT_EQ(
      http("PATCH", d.url(path), R"({"status":"resolved","resolution":{"code":"magic"}})").status,
      400);
  EXPECT_EQ(http("PATCH", d.url(path), R"({"resolution":{"note":"early"}})").status, 409);
  auto [rrc, rout] = run(ctl + " tickets resolve " + key +
                         " --code workaround --note 'raised proxy_read_timeout to 120s' --json");
  ASSERT_EQ(rrc, 0) << rout;
  t = http("GET", d.url(path)).j();
  EXPECT_EQ(t["status"], "resolved");
  EXPECT_EQ(t["resolution"],
            json({{"code", "workaround"}, {"note", "raised proxy_read_timeout to 120s"}}));
  auto [src, shown] = run(ctl + " tickets show " + key);
  EXPECT_NE(shown.find("workaround"), std::string::npos) << shown;
  EXPECT_NE(shown.find("note (public)"), std::string::npos) << shown;
  EXPECT_NE(shown.find("note (internal)"), std::string::npos) << shown;

  // Reopen clears the resolution; cancel records "cancelled"; a cancelled
  // ticket cannot come back.
  EXPECT_EQ(run(ctl + " tickets reopen " + key + " --note 'timeouts are back'").first, 0);
  t = http("GET", d.url(path)).j();
  EXPECT_EQ(t["status"], "in_progress");
  EXPECT_TRUE(t["resolution"].is_null());
  EXPECT_EQ(run(ctl + " tickets cancel " + key + " --note 'duplicate of a vendor outage'").first,
            0);
  t = http("GET", d.url(path)).j();
  EXPECT_EQ(t["status"], "cancelled");
  EXPECT_EQ(t["resolution"]["code"], "cancelled");
  EXPECT_EQ(run(ctl + " tickets reopen " + key).first, 1);
  EXPECT_EQ(http("PATCH", d.url(path), R"({"status":"in_progress"})").status, 409);

  json tl = http("GET", d.url(path + "/timeline")).j()["timeline"];
  std::string kinds;
  int internal = 0, public_notes = 0;
  for (const auto& e : tl) {
    kinds += e["kind"].get<std::string>() + " ";
    if (e["kind"] == "note") (e["visibility"] == "public" ? public_notes : internal)++;
  }
  EXPECT_EQ(kinds, "created priority sla note note status status note status ") << tl.dump(1);
  EXPECT_EQ(internal, 2);
  EXPECT_EQ(public_notes, 1);
  bool says_how = false;
  for (const auto& e : tl) {
    if (e["kind"] == "status" && e["details"].contains("resolution") &&
        e["details"]["resolution"]["code"] == "workaround")
      says_how = e["message"].get<std::string>().find("proxy_read_timeout") != std::string::npos;
  }
  EXPECT_TRUE(says_how) << tl.dump(1);
}

}  // namespace

namespace {

using namespace ticketd_test;

TEST(Webhooks, AlertmanagerAndPagerDutyEndToEnd) {
  Daemon d;
  d.write_rules(R"(
rules:
  - name: prometheus
    match: { source: alertmanager }
    ticket: { title: "{{ labels.alertname }} on {{ host }}", team: "{{ labels.team | default('oncall') }}" }
  - name: pagerduty
    match: { source: pagerduty }
    ticket: { title: "{{ message }}" }
)");
  ASSERT_TRUE(d.start()) << d.log();
  const std::string firing =
      R"({"version":"4","status":"firing","receiver":"t","groupLabels":{},"commonLabels":{},
    "commonAnnotations":{},"externalURL":"http://am","groupKey":"k","alerts":[
    {"status":"firing","labels":{"alertname":"NodeDown","instance":"db01:9100"},"annotations":{"summary":"down"},
     "startsAt":"2026-11-28T14:00:00Z","endsAt":"0001-01-01T00:00:00Z","fingerprint":"f1"},
    {"status":"firing","labels":{"alertname":"DiskFull","instance":"db01:9100","team":"storage"},"annotations":{},
     "startsAt":"2026-11-28T14:00:00Z","endsAt":"0001-01-01T00:00:00Z","fingerprint":"f2"}]})";
  Reply r = http("POST", d.url("/api/v1/webhooks/alertmanager"), firing);
  ASSERT_EQ(r.status, 202) << r.body;
  EXPECT_EQ(r.j()["accepted"], 2);
  EXPECT_EQ(d.tickets("?status=new")["tickets"].size(), 2u);
  EXPECT_EQ(d.tickets("?team=storage")["tickets"][0]["title"], "DiskFull on db01");
  // Alertmanager repeats the group; then resolves one alert.
  ASSERT_EQ(http("POST", d.url("/api/v1/webhooks/alertmanager"), firing).status, 202);
  std::string resolved = firing;
  resolved.replace(resolved.find("\"status\":\"firing\",\"labels\":{\"alertname\":\"NodeDown\""),
                   17, "\"status\":\"resolved\"");
  ASSERT_EQ(http("POST", d.url("/api/v1/webhooks/alertmanager"), resolved).status, 202);
  EXPECT_EQ(d.tickets("?status=resolved")["tickets"].size(), 1u);
  EXPECT_EQ(d.tickets("?status=resolved")["tickets"][0]["title"], "NodeDown on db01");
  EXPECT_EQ(http("POST", d.url("/api/v1/webhooks/alertmanager"), R"({"alerts":"x"})").status, 422);

  // PagerDuty Events API v2: trigger, acknowledge, resolve by dedup_key.
  Reply t = http(
      "POST", d.url("/v2/enqueue"),
      R"({"routing_key":"r","event_action":"trigger","dedup_key":"pd-1","payload":{"summary":"API latency high","source":"api1","severity":"error"}})");
  ASSERT_EQ(t.status, 202) << t.body;
  EXPECT_EQ(t.j()["status"], "success");
  EXPECT_EQ(t.j()["dedup_key"], "pd-1");
  json pd = d.tickets("?q=latency")["tickets"];
  ASSERT_EQ(pd.size(), 1u);
  EXPECT_EQ(pd[0]["fingerprint"], "pd-1");
  ASSERT_EQ(http("POST", d.url("/v2/enqueue"),
                 R"({"routing_key":"r","event_action":"acknowledge","dedup_key":"pd-1"})")
                .status,
            202);
  json acked = http("GET", d.url("/api/v1/tickets/" + pd[0]["key"].get<std::string>())).j();
  EXPECT_EQ(acked["status"], "in_progress");
  EXPECT_EQ(acked["acknowledged_by"], "pagerduty");
  ASSERT_EQ(http("POST", d.url("/v2/enqueue"),
                 R"({"routing_key":"r","event_action":"resolve","dedup_key":"pd-1"})")
                .status,
            202);
  EXPECT_EQ(http("GET", d.url("/api/v1/tickets/" + pd[0]["key"].get<std::string>())).j()["status"],
            "resolved");
  Reply bad = http("POST", d.url("/v2/enqueue"), R"({"event_action":"trigger","payload":{}})");
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(bad.j()["status"], "invalid event");
  EXPECT_EQ(bad.j()["message"], "Event object is invalid");  // as PagerDuty answers
  EXPECT_EQ(
      bad.j()["errors"],
      json({"'routing_key' is missing or blank", "'payload.summary' is missing or blank",
            "'payload.source' is missing or blank", "'payload.severity' is missing or blank"}));
}

}  // namespace

namespace {

using namespace ticketd_test;

TEST(Webhooks, RealAlertmanagerFiresAndResolves) {
  if (run("command -v prometheus-alertmanager").first != 0)
    GTEST_SKIP() << "prometheus-alertmanager is not installed";
  Daemon d;
  d.write_rules(R"(
rules:
  - name: prometheus
    match: { source: alertmanager, severity: ">=warning" }
    ticket: { title: "{{ labels.alertname }} on {{ host }}: {{ message }}" }
)");
  ASSERT_TRUE(d.start()) << d.log();
  const uint16_t am_port = free_port();
  const fs::path work = d.dir() / "alertmanager";
  fs::create_directories(work);
  std::ofstream(work / "am.yml")
      << "route:\n  receiver: ticketd\n  group_by: [alertname]\n  group_wait: 1s\n"
         "  group_interval: 1s\n  repeat_interval: 1h\n"
         "receivers:\n  - name: ticketd\n    webhook_configs:\n"
         "      - url: "
      << d.url("/api/v1/webhooks/alertmanager")
      << "\n"
         "        send_resolved: true\n";
  const std::string cmd = "prometheus-alertmanager --config.file=" + (work / "am.yml").string() +
                          " --storage.path=" + work.string() +
                          " --web.listen-address=127.0.0.1:" + std::to_string(am_port) +
                          " --cluster.listen-address= > " + (work / "am.log").string() +
                          " 2>&1 & echo $!";
  auto [src, pid_text] = run(cmd);
  ASSERT_EQ(src, 0);
  const pid_t am = static_cast<pid_t>(std::stol(pid_text));
  const std::string am_url = "http://127.0.0.1:" + std::to_string(am_port);
  bool up = false;
  for (int i = 0; i < 100 && !up; ++i) {
    up = http("GET", am_url + "/-/ready").status == 200;
    if (!up) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_TRUE(up) << "alertmanager did not start";
  const std::string alert =
      R"([{"labels":{"alertname":"NodeDown","instance":"db07:9100","severity":"critical"},
                               "annotations":{"summary":"db07 is not answering"}}])";
  ASSERT_EQ(http("POST", am_url + "/api/v2/alerts", alert).status, 200);
  json list;
  for (int i = 0; i < 100 && list.empty(); ++i) {
    list = d.tickets()["tickets"];
    if (list.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_EQ(list.size(), 1u) << d.log();
  EXPECT_EQ(list[0]["title"], "NodeDown on db07: db07 is not answering");
  EXPECT_EQ(list[0]["priority"], "P2");

  // Ending the alert makes Alertmanager send "resolved".
  const std::string ended =
      R"([{"labels":{"alertname":"NodeDown","instance":"db07:9100","severity":"critical"},
                               "annotations":{"summary":"db07 is not answering"},"endsAt":"2000-01-01T00:00:00Z"}])";
  ASSERT_EQ(http("POST", am_url + "/api/v2/alerts", ended).status, 200);
  std::string status;
  for (int i = 0; i < 150 && status != "resolved"; ++i) {
    status = d.tickets()["tickets"][0]["status"];
    if (status != "resolved") std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ::kill(am, SIGTERM);
  ::waitpid(am, nullptr, WNOHANG);
  EXPECT_EQ(status, "resolved") << d.log();
  EXPECT_EQ(d.tickets()["tickets"].size(), 1u);
}

}  // namespace

namespace {

using namespace ticketd_test;

TEST(Webhooks, HmacSignaturesPerEndpoint) {
  Daemon d(
      "webhooks:\n  events: { hmac_secret: \"s3cr3t-0123456789abcdef\" }\n"
      "  pagerduty: { hmac_secret: \"another-0123456789abcdef\", hmac_header: X-Hub-Signature-256 "
      "}\n");
  ASSERT_TRUE(d.start()) << d.log();
  const std::string body =
      R"({"host":"db01","severity":"error","message":"write failed: No space left on sda1"})";
  std::ofstream(d.dir() / "body.json") << body;
  auto [rc, digest] = run("openssl dgst -sha256 -hmac 's3cr3t-0123456789abcdef' -r " +
                          (d.dir() / "body.json").string());
  ASSERT_EQ(rc, 0) << digest;
  digest = digest.substr(0, 64);
  auto post = [&](const std::string& header) {
    return run("curl -s -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: "
               "application/json' " +
               header + " --data-binary @" + (d.dir() / "body.json").string() + " " +
               d.url("/api/v1/events"))
        .second;
  };
  EXPECT_EQ(post(""), "401");
  EXPECT_EQ(post("-H 'X-Signature-256: sha256=" + std::string(64, '0') + "'"), "401");
  EXPECT_EQ(post("-H 'X-Signature-256: sha256=" + digest + "'"), "202");
  EXPECT_EQ(post("-H 'X-Signature-256: " + digest + "'"), "202");  // bare hex works too
  EXPECT_EQ(d.tickets()["tickets"][0]["event_count"], 2);
  // Endpoints without a secret are unaffected; the pagerduty one needs its own header.
  EXPECT_EQ(
      http("POST", d.url("/v2/enqueue"), R"({"event_action":"resolve","dedup_key":"x"})").status,
      401);
  EXPECT_EQ(http("POST", d.url("/api/v1/webhooks/alertmanager"), R"({"alerts":[]})").status, 422);
  EXPECT_EQ(d.log().find("s3cr3t"), std::string::npos) << "a secret was logged";
}

}  // namespace

namespace {

using namespace ticketd_test;

TEST(Tickets, SimilarTicketsAndStats) {
  Daemon d;
  ASSERT_TRUE(d.start()) << d.log();
  const std::string ctl = std::string(TICKETCTL_BIN) + " --server " + d.url("");
  ASSERT_EQ(d.post(kDisk).status, 202);
  ASSERT_EQ(run(ctl + " tickets ack INC-000001").first, 0);
  ASSERT_EQ(
      run(ctl + " tickets resolve INC-000001 --note 'deleted old WAL files in /var/lib/pg'").first,
      0);
  ASSERT_EQ(d.post(kDisk).status, 202);  // recurrence: a new ticket
  json similar = http("GET", d.url("/api/v1/tickets/INC-000002/similar")).j();
  ASSERT_EQ(similar["similar"].size(), 1u) << similar.dump();
  EXPECT_EQ(similar["similar"][0]["key"], "INC-000001");
  EXPECT_EQ(similar["similar"][0]["same_fingerprint"], true);
  EXPECT_EQ(similar["similar"][0]["match"], "fingerprint");
  EXPECT_EQ(similar["similar"][0]["resolution"],
            json({{"code", "fixed"}, {"note", "deleted old WAL files in /var/lib/pg"}}));
  // The new incident's timeline suggests the fix, from its creation on.
  json tl = http("GET", d.url("/api/v1/tickets/INC-000002/timeline")).j()["timeline"];
  bool suggested = false;
  for (const auto& e : tl) {
    if (e["kind"] == "suggestion") {
      suggested =
          e["message"].get<std::string>().find("deleted old WAL files") != std::string::npos &&
          e["details"]["similar"] == "INC-000001";
    }
  }
  EXPECT_TRUE(suggested) << tl.dump(1);
  json stats = http("GET", d.url("/api/v1/stats")).j();
  EXPECT_EQ(stats["tickets_total"], 2);
  EXPECT_EQ(stats["open_total"], 1);
  EXPECT_EQ(stats["open_by_priority"]["P1"], 1);
  EXPECT_TRUE(stats["mtta_seconds"].is_number()) << stats.dump();
  EXPECT_TRUE(stats["mttr_seconds"].is_number()) << stats.dump();
  EXPECT_EQ(stats["top_fingerprints"][0]["fingerprint"], "db01/sda1");
  EXPECT_EQ(stats["top_fingerprints"][0]["tickets"], 2);
}

}  // namespace

namespace {

using namespace ticketd_test;

TEST(WebPage, ServedFromItsFilesWithAStrictPolicy) {
  Daemon d;
  ASSERT_TRUE(d.start()) << d.log();
  Reply page = http("GET", d.url("/"));
  ASSERT_EQ(page.status, 200);
  EXPECT_NE(page.body.find("<title>ticketd</title>"), std::string::npos);
  EXPECT_NE(page.body.find("<script src=\"app.js\" defer></script>"), std::string::npos);
  EXPECT_EQ(http("GET", d.url("/index.html")).body, page.body);
  Reply js = http("GET", d.url("/app.js"));
  ASSERT_EQ(js.status, 200);
  EXPECT_NE(js.header("content-type").find("javascript"), std::string::npos);
  for (const char* endpoint : {"/api/v1/tickets", "/api/v1/silences", "/api/v1/rules",
                               "/api/v1/trends", "/api/v1/whoami"}) {
    EXPECT_NE(js.body.find(endpoint), std::string::npos) << endpoint;
  }
  Reply css = http("GET", d.url("/app.css"));
  ASSERT_EQ(css.status, 200);
  EXPECT_NE(css.header("content-type").find("text/css"), std::string::npos);
  for (const Reply* r : {&page, &js, &css}) {
    const std::string csp = r->header("content-security-policy");
    EXPECT_NE(csp.find("script-src 'self'"), std::string::npos) << csp;
    EXPECT_NE(csp.find("frame-ancestors 'none'"), std::string::npos) << csp;
    EXPECT_EQ(csp.find("unsafe-inline"), std::string::npos) << csp;
    EXPECT_EQ(r->header("x-content-type-options"), "nosniff");
    EXPECT_EQ(r->header("x-frame-options"), "DENY");
  }
  // No inline script or style the policy would block.
  EXPECT_EQ(page.body.find("<script>"), std::string::npos);
  EXPECT_EQ(page.body.find("style="), std::string::npos);
  EXPECT_EQ(page.body.find("onclick"), std::string::npos);
}

TEST(WebPage, RenderedByARealBrowser) {
  if (run("command -v chromium").first != 0)
    GTEST_SKIP() << "chromium is not installed: page not rendered";
  Daemon d;
  ASSERT_TRUE(d.start()) << d.log();
  // A real browser renders the queue from the API, with the title escaped.
  ASSERT_EQ(d.post(R"({"host":"web1","app":"nginx","severity":"critical","message":"x"})").status,
            202);
  ASSERT_EQ(d.post(kDisk).status, 202);
  auto [rc, dom] = run(
      "timeout 60 chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run "
      "--disable-background-networking --disable-component-update --disable-sync --user-data-dir=" +
      (d.dir() / "chrome").string() + " --virtual-time-budget=5000 --dump-dom " + d.url("/") +
      " 2>/dev/null");
  EXPECT_EQ(rc, 0);
  EXPECT_NE(dom.find("<tr data-key=\"INC-000002\""), std::string::npos) << dom;
  EXPECT_NE(dom.find("href=\"#/tickets/INC-000002\""), std::string::npos) << dom;
  EXPECT_NE(dom.find("Disk sda1 full on db01"), std::string::npos) << dom;
  EXPECT_NE(dom.find("<span class=\"prio P1\">P1</span>"), std::string::npos) << dom;
}

}  // namespace
