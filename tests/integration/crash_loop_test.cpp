// Repeated kill -9 under load (docs/reliability.md, "Crashes"): HTTP senders
// and a TCP syslog sender keep sending while the daemon is killed at random
// moments and restarted, TICKETD_CRASH_LOOPS times (default 20). Then:
//   - every event acknowledged with 202 is stored exactly once, and no event
//     (acknowledged or not: the senders never retry) is stored twice;
//   - no fingerprint ever has two open tickets: one ticket per host;
//   - correlation state continues: the tickets' event counts add up to the
//     events stored for them, and a threshold fed one event per life of the
//     daemon opens its ticket at exactly the threshold.
// A second crash loop puts the backend outbox under the same kill -9s
// (Kill9WithBackendsPendingDeliversEveryTicketOnceAndInOrder, below).
// tests/soak/crash_loop.sh runs them longer (more loops, more senders).
#include <algorithm>
#include <map>
#include <random>
#include <set>

#include "../fakes/fake_server.hpp"
#include "harness.hpp"

namespace ticketd_test {
namespace {

int env_int(const char* name, int fallback) {
  const char* v = std::getenv(name);
  return v && *v ? std::atoi(v) : fallback;
}

const char* kCrashRules = R"(rules:
  - name: load
    match: { app: load }
    fingerprint: "{{ host }}"
    ticket: { title: "Load on {{ host }}", team: ops }
  - name: slow-burn
    match: { app: burn }
    fingerprint: "{{ host }}"
    threshold: { count: 5, within: 1d }
    ticket: { title: "Slow burn on {{ host }}" }
  - name: syslog-load
    match: { app: sysload }
    fingerprint: "{{ host }}"
    ticket: { title: "Syslog load on {{ host }}" }
)";

TEST(CrashLoop, Kill9UnderHttpAndSyslogLoadLosesAndDuplicatesNothing) {
  const int loops = env_int("TICKETD_CRASH_LOOPS", 20);
  const int http_senders = env_int("TICKETD_CRASH_SENDERS", 3);
  Daemon d;  // store.sync: full, the default
  d.write_rules(kCrashRules);
  ASSERT_TRUE(d.start()) << d.log();

  std::atomic<bool> done{false};
  std::mutex mu;
  std::set<std::string> acknowledged;  // messages answered 202
  std::atomic<int> offered{0}, refused{0};
  std::vector<std::thread> senders;
  for (int s = 0; s < http_senders; ++s) {
    senders.emplace_back([&, s] {
      for (int i = 0; !done; ++i) {
        const std::string msg = "m-" + std::to_string(s) + "-" + std::to_string(i);
        const std::string body = R"({"host":"h)" + std::to_string(i % 10) +
                                 R"(","app":"load","severity":"error","message":")" + msg + "\"}";
        ++offered;
        const Reply r = d.post(body);
        if (r.status == 202) {
          std::lock_guard<std::mutex> lock(mu);
          acknowledged.insert(msg);
        } else {
          ++refused;  // down, starting or pushing back: not acknowledged
          std::this_thread::sleep_for(std::chrono::milliseconds(5));
        }
      }
    });
  }
  std::atomic<int> syslog_sent{0};
  senders.emplace_back([&] {  // TCP syslog: no acknowledgement, so at most once
    int fd = -1;
    for (int i = 0; !done;) {
      if (fd < 0) fd = connect_tcp(d.syslog_port());
      if (fd < 0) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
        continue;
      }
      const std::string line = "<11>1 2026-12-01T00:00:00Z s" + std::to_string(i % 5) +
                               " sysload - - - s-" + std::to_string(i) + "\n";
      if (::send(fd, line.data(), line.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(line.size())) {
        ::close(fd);
        fd = -1;
        continue;
      }
      ++i;
      ++syslog_sent;
      if (i % 50 == 0) std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    if (fd >= 0) ::close(fd);
  });

  std::mt19937 rng(20261202);
  int burn_acknowledged = 0;
  for (int loop = 0; loop < loops; ++loop) {
    // One slow-burn event per life of the daemon: the threshold's count
    // lives across the crashes.
    if (d.post(R"({"host":"burner","app":"burn","message":"b-)" + std::to_string(loop) + "\"}")
            .status == 202)
      ++burn_acknowledged;
    std::this_thread::sleep_for(
        std::chrono::milliseconds(std::uniform_int_distribution<int>(20, 400)(rng)));
    d.signal(SIGKILL);
    d.stop();  // reaps it
    ASSERT_TRUE(d.start()) << "restart " << loop + 1 << " failed:\n" << d.log();
  }
  done = true;
  for (auto& t : senders) t.join();
  ASSERT_EQ(d.stop(), 0) << d.log();
  ASSERT_TRUE(d.start()) << d.log();

  // Exactly once: every acknowledged event stored, none stored twice.
  const std::vector<std::string> load = stored_event_messages(d, "&rule=load");
  std::map<std::string, int> times;
  for (const std::string& m : load) ++times[m];
  int lost = 0, duplicated = 0;
  for (const std::string& m : acknowledged) lost += times.count(m) ? 0 : 1;
  for (const auto& [m, n] : times) duplicated += n > 1 ? 1 : 0;
  EXPECT_EQ(lost, 0) << "acknowledged but not stored";
  EXPECT_EQ(duplicated, 0) << "stored twice";
  EXPECT_GE(load.size(), acknowledged.size());
  EXPECT_GT(acknowledged.size(), static_cast<size_t>(loops)) << "the load was too light to prove";

  const std::vector<std::string> syslog = stored_event_messages(d, "&rule=syslog-load");
  const std::set<std::string> syslog_unique(syslog.begin(), syslog.end());
  EXPECT_EQ(syslog_unique.size(), syslog.size()) << "a syslog message was stored twice";
  EXPECT_GT(syslog.size(), 0u);

  // One open ticket per fingerprint; the tickets count every stored event.
  const json tickets = d.tickets("?limit=1000")["tickets"];
  std::map<std::string, int> open_per_fingerprint;
  int64_t load_events = 0, syslog_events = 0;
  for (const json& t : tickets) {
    ++open_per_fingerprint[t["rule"].get<std::string>() + "|" +
                           t["fingerprint"].get<std::string>()];
    if (t["rule"] == "load") load_events += t["event_count"].get<int64_t>();
    if (t["rule"] == "syslog-load") syslog_events += t["event_count"].get<int64_t>();
  }
  for (const auto& [fp, n] : open_per_fingerprint) EXPECT_EQ(n, 1) << fp << " has " << n;
  EXPECT_EQ(load_events, static_cast<int64_t>(load.size()));
  EXPECT_EQ(syslog_events, static_cast<int64_t>(syslog.size()));

  // The threshold (5 events within a day) counted across the crashes.
  const json burn = d.tickets("?q=burn");
  if (burn_acknowledged >= 5) {
    ASSERT_EQ(burn["tickets"].size(), 1u) << burn.dump();
    EXPECT_EQ(burn["tickets"][0]["event_count"], burn_acknowledged);
  }
  std::cout << "crash loop: " << loops << " kill -9s survived; HTTP " << offered << " offered, "
            << acknowledged.size() << " acknowledged, " << load.size() << " stored, " << lost
            << " lost, " << duplicated << " duplicated; syslog " << syslog_sent << " sent, "
            << syslog.size() << " stored (TCP: unacknowledged, at most once)\n";
}

// The backend outbox in the crash loop: a webhook backend and a Jira backend
// (tests/fakes/webhook.py, tests/fakes/jira.py) take every ticket while the
// fakes answer slowly or 503 at random, so sends are pending or in flight
// when the daemon is killed. HTTP events open and deduplicate into tickets
// (occurrence comments) and a second thread reassigns tickets (updates).
// After the loop and a drain:
//   - every ticket is linked in both backends, and each backend holds exactly
//     one remote ticket per ticket: Jira by the lookup of the correlation
//     label before a repeated create, the webhook receiver by deduplicating
//     on correlation_key as docs/backends/webhook.md asks (a create in
//     flight at a kill is sent again: counted);
//   - a ticket's updates arrive in the order they were made, none skipped:
//     every acknowledged reassignment reaches the webhook;
//   - the outbox is empty: nothing queued, held or lost.
const char* kOutboxRules = R"(rules:
  - name: load
    match: { app: load }
    fingerprint: "{{ host }}"
    ticket: { title: "Load on {{ host }}", team: ops }
)";

// The webhook requests answered 2xx, per correlation key, in arrival order.
std::map<std::string, std::vector<json>> answered_by_key(const FakeServer& f) {
  std::map<std::string, std::vector<json>> out;
  for (const json& r : f.requests()) {
    const int status = r.value("status", 0);
    if (status < 200 || status > 299 || !r["json"].is_object()) continue;
    out[r["json"].value("correlation_key", "")].push_back(r["json"]);
  }
  return out;
}

TEST(CrashLoop, Kill9WithBackendsPendingDeliversEveryTicketOnceAndInOrder) {
  const int loops = env_int("TICKETD_CRASH_LOOPS", 20);
  constexpr int kHosts = 30;
  FakeServer hook("webhook");
  FakeServer jira("jira");
  const fs::path token =
      fs::temp_directory_path() / ("ticketd-crash-jira-token-" + std::to_string(::getpid()));
  std::ofstream(token) << "cloud-token-0123456789\n";
  Daemon d(
      "backends:\n"
      "  - name: hook\n"
      "    kind: webhook\n"
      "    url: " +
      hook.url() +
      "/in\n"
      "    timeout: 5s\n"
      "    comment_interval: 1s\n"
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
      "    timeout: 5s\n"
      "    comment_interval: 1s\n"
      "    poll_interval: off\n"
      "outbox: { retry_first: 100ms, retry_max: 500ms, breaker_open: 500ms, "
      "breaker_open_max: 1s }\n");
  d.write_rules(kOutboxRules);
  ASSERT_TRUE(d.start()) << d.log();

  std::atomic<bool> done{false};
  std::atomic<int> acknowledged{0};
  std::thread sender([&] {
    for (int i = 0; !done; ++i) {
      const std::string body = R"({"host":"o)" + std::to_string(i % kHosts) +
                               R"(","app":"load","severity":"error","message":"o-)" +
                               std::to_string(i) + "\"}";
      if (d.post(body).status == 202)
        ++acknowledged;
      else
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  });
  // Reassignments a<n>, n increasing, of the first tickets; per ticket the
  // numbers answered 200 (committed with their outbox entries).
  std::mutex mu;
  std::map<std::string, std::vector<int>> reassigned;
  std::thread patcher([&] {
    for (int n = 0; !done; ++n) {
      char key[16];
      std::snprintf(key, sizeof key, "INC-%06d", 1 + n % 8);
      const Reply r = http("PATCH", d.url(std::string("/api/v1/tickets/") + key),
                           R"({"assignee":"a)" + std::to_string(n) + "\"}");
      if (r.status == 200) {
        std::lock_guard<std::mutex> lock(mu);
        reassigned[key].push_back(n);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(15));
    }
  });

  const auto loop_start = std::chrono::steady_clock::now();
  std::mt19937 rng(20261203);
  const int delays[] = {0, 0, 150, 600};
  for (int loop = 0; loop < loops; ++loop) {
    // Each life the backends are fast, slow (a send in flight at the kill)
    // or refusing for a while (entries waiting, backing off).
    for (const FakeServer* f : {&hook, &jira}) {
      f->delay(delays[std::uniform_int_distribution<int>(0, 3)(rng)]);
      const int refusals = std::uniform_int_distribution<int>(0, 3)(rng);
      if (refusals > 0) f->fail(503, refusals);
    }
    std::this_thread::sleep_for(
        std::chrono::milliseconds(std::uniform_int_distribution<int>(50, 400)(rng)));
    d.signal(SIGKILL);
    d.stop();  // reaps it
    ASSERT_TRUE(d.start()) << "restart " << loop + 1 << " failed:\n" << d.log();
  }
  done = true;
  sender.join();
  patcher.join();
  hook.delay(0);
  jira.delay(0);
  ASSERT_EQ(d.stop(), 0) << d.log();
  ASSERT_TRUE(d.start()) << d.log();

  // The drain: every entry delivered, none held.
  const std::string ctl = std::string(TICKETCTL_BIN) + " --server " + d.url("");
  const auto loop_end = std::chrono::steady_clock::now();
  ASSERT_TRUE(eventually(
      [&] {
        const json o = http("GET", d.url("/api/v1/outbox")).j();
        return o.is_object() && o["entries"].is_array() && o["entries"].empty();
      },
      std::chrono::seconds(60)))
      << run(ctl + " outbox list").second << d.log();
  for (const char* series : {R"(ticketd_outbox_queued{target="hook",kind="webhook"})",
                             R"(ticketd_outbox_queued{target="jira",kind="jira"})",
                             R"(ticketd_outbox_held{target="hook",kind="webhook"})",
                             R"(ticketd_outbox_held{target="jira",kind="jira"})"})
    EXPECT_EQ(metric_u(d, series), 0u) << series;
  auto [ctl_rc, ctl_out] = run(ctl + " outbox list --json");
  ASSERT_EQ(ctl_rc, 0) << ctl_out;
  EXPECT_TRUE(json::parse(ctl_out)["entries"].empty()) << ctl_out;

  const json tickets = d.tickets("?limit=1000")["tickets"];
  ASSERT_GT(tickets.size(), 10u) << "too few tickets to prove anything";
  std::map<std::string, std::string> corr_of;  // ticket key -> correlation key
  for (const json& t : tickets) {
    std::string corr = "ticketd-" + t["key"].get<std::string>();
    std::transform(corr.begin(), corr.end(), corr.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    corr_of[t["key"]] = corr;
  }

  // Jira: exactly one issue per ticket, found by its label, and it is the one
  // the ticket links to.
  std::map<std::string, std::vector<std::string>> issues_by_label;
  const json jira_state = jira.state();  // named: items() of a temporary would dangle
  for (const auto& [id, issue] : jira_state["issues"].items()) {
    for (const json& l : issue["fields"]["labels"])
      issues_by_label[l.get<std::string>()].push_back(issue["key"]);
  }
  int jira_creates = 0, jira_lookups = 0;
  for (const json& r : jira.requests()) {
    const std::string path = r["path"];
    if (r["method"] == "POST" && path == "/rest/api/3/issue" && r.value("status", 0) == 201)
      ++jira_creates;
    if (path == "/rest/api/3/search/jql") ++jira_lookups;
  }
  // Webhook: per correlation key, what the receiver answered 2xx.
  const auto hook_by_key = answered_by_key(hook);
  const json hook_ids = hook.state()["by_corr"];
  int hook_creates = 0, hook_resent_creates = 0, updates_checked = 0, repeated_updates = 0,
      repeated_comments = 0;
  for (const json& t : tickets) {
    const std::string key = t["key"], corr = corr_of[key];
    std::string hook_ext, jira_ext;
    for (const json& e : t["external"]) {
      if (e["backend"] == "hook") hook_ext = e["key"];
      if (e["backend"] == "jira") jira_ext = e["key"];
    }
    ASSERT_EQ(issues_by_label[corr].size(), 1u)
        << key << " has Jira issues " << json(issues_by_label[corr]).dump() << "; ticket "
        << t.dump() << "\n"
        << d.log();
    EXPECT_EQ(jira_ext, issues_by_label[corr][0]) << key;
    ASSERT_TRUE(hook_ids.contains(corr)) << key << " never reached the webhook";
    EXPECT_EQ(hook_ext, "WH-" + hook_ids[corr].dump()) << key;

    // The webhook's requests for this ticket: its create(s) first, then the
    // reassignments in the order they were made, each acknowledged one there.
    const auto it = hook_by_key.find(corr);
    ASSERT_NE(it, hook_by_key.end()) << key;
    const std::vector<json>& got = it->second;
    ASSERT_FALSE(got.empty());
    EXPECT_EQ(got[0]["action"], "create") << key;
    bool past_creates = false;
    int last = -1;
    std::vector<int> seen;
    std::set<std::string> comments;
    for (const json& b : got) {
      const std::string action = b["action"];
      if (action == "create") {
        EXPECT_FALSE(past_creates) << key << ": a create after its updates";
        ++(&b == &got[0] ? hook_creates : hook_resent_creates);
        continue;
      }
      past_creates = true;
      EXPECT_EQ(b.value("remote_id", ""), hook_ext) << key;
      if (action == "update") {
        const std::string a = b["ticket"].value("assignee", "");
        ASSERT_EQ(a.rfind('a', 0), 0u) << a;
        const int n = std::stoi(a.substr(1));
        EXPECT_GE(n, last) << key << ": update a" << n << " after a" << last;
        if (n == last) ++repeated_updates;
        last = n;
        seen.push_back(n);
      } else if (action == "comment") {
        // "3 more occurrences (total 40), last at …": the total is read
        // when sent, the rest was queued; the same rest twice is a repeat.
        std::string text = b.value("text", "");
        const size_t total = text.find(" (total ");
        if (total != std::string::npos) text.erase(total, text.find(')', total) - total);
        if (!comments.insert(text).second) ++repeated_comments;
      }
    }
    std::lock_guard<std::mutex> lock(mu);
    for (int n : reassigned[key]) {
      EXPECT_TRUE(std::binary_search(seen.begin(), seen.end(), n))
          << key << ": reassignment a" << n << " never reached the webhook";
      ++updates_checked;
    }
  }
  EXPECT_EQ(hook_creates, static_cast<int>(tickets.size()));
  EXPECT_EQ(hook_ids.size(), tickets.size()) << "the webhook received creates of unknown tickets";
  EXPECT_EQ(jira_creates - static_cast<int>(tickets.size()), 0)
      << "Jira issues created more than once";
  EXPECT_GT(updates_checked, loops) << "too few reassignments to prove anything";
  std::cout << "loop took "
            << std::chrono::duration_cast<std::chrono::milliseconds>(loop_end - loop_start).count()
            << " ms, drain took "
            << std::chrono::duration_cast<std::chrono::milliseconds>(
                   std::chrono::steady_clock::now() - loop_end)
                   .count()
            << " ms\n";
  std::cout << "crash loop with backends: " << loops << " kill -9s; " << acknowledged
            << " events acknowledged, " << tickets.size() << " tickets; Jira: " << jira_creates
            << " issues created (" << jira_lookups
            << " label lookups before a repeated create), 0 twice; webhook: " << hook_creates
            << " creates + " << hook_resent_creates
            << " re-sent after a kill (same correlation_key, deduplicated by the receiver), "
            << updates_checked << " acknowledged reassignments all delivered in order ("
            << repeated_updates << " delivered twice), " << repeated_comments
            << " occurrence comments delivered twice; outbox empty\n";
  fs::remove(token);
}

}  // namespace
}  // namespace ticketd_test
