// Repeated kill -9 under load (docs/reliability.md, "Crashes"): HTTP senders
// and a TCP syslog sender keep sending while the daemon is killed at random
// moments and restarted, TICKETD_CRASH_LOOPS times (default 20). Then:
//   - every event acknowledged with 202 is stored exactly once, and no event
//     (acknowledged or not: the senders never retry) is stored twice;
//   - no fingerprint ever has two open tickets: one ticket per host;
//   - correlation state continues: the tickets' event counts add up to the
//     events stored for them, and a threshold fed one event per life of the
//     daemon opens its ticket at exactly the threshold.
// tests/soak/crash_loop.sh runs it longer (more loops, more senders).
#include <random>
#include <set>

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

}  // namespace
}  // namespace ticketd_test
