// Repeated full-disk cycles under load (docs/reliability.md, "Full disk"):
// the store's filesystem (a size-limited tmpfs) is filled and freed several
// times while an HTTP sender and a TCP syslog sender keep sending. Nothing
// acknowledged is lost, nothing is acknowledged that was not stored, every
// TCP line read is stored once the space returns, and the daemon recovers
// each time without a restart. Needs root for the tmpfs (skipped otherwise).
#include <set>

#include "harness.hpp"

namespace ticketd_test {
namespace {

const char* kDiskRules = R"(rules:
  - name: http-load
    match: { app: httpload }
    fingerprint: "{{ host }}"
    ticket: { title: "HTTP load on {{ host }}" }
  - name: tcp-load
    match: { app: tcpload }
    fingerprint: "{{ host }}"
    ticket: { title: "TCP load on {{ host }}" }
)";

TEST(FullDisk, RepeatedFillAndFreeCyclesUnderLoadLoseNothingAndNeedNoRestart) {
  constexpr int kCycles = 4;
  Daemon d;
  d.write_rules(kDiskRules);
  Tmpfs var(d.dir() / "var", "32m");
  if (!var.mounted()) GTEST_SKIP() << "cannot mount a tmpfs here (needs root): " << var.error();
  ASSERT_TRUE(d.start()) << d.log();

  std::atomic<bool> done{false};
  std::mutex mu;
  std::set<std::string> acknowledged;
  std::atomic<int> refused{0}, other{0};
  std::thread http_sender([&] {
    for (int i = 0; !done; ++i) {
      const std::string msg = "h-" + std::to_string(i);
      const Reply r = d.post(R"({"host":"w)" + std::to_string(i % 4) +
                             R"(","app":"httpload","severity":"error","message":")" + msg + "\"}");
      if (r.status == 202) {
        std::lock_guard lock(mu);
        acknowledged.insert(msg);
      } else if (r.status == 503) {
        ++refused;
        EXPECT_EQ(r.header("retry-after"), "1");
      } else {
        ++other;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(3));
    }
  });
  std::atomic<int> tcp_sent{0};
  std::thread tcp_sender([&] {
    const int fd = connect_tcp(d.syslog_port());
    ASSERT_GE(fd, 0);
    // Blocking writes: while the store is full the daemon stops reading and
    // the sender waits; nothing read is dropped.
    for (int i = 0; !done; ++i) {
      const std::string line = "<11>1 2026-12-01T00:00:00Z t" + std::to_string(i % 3) +
                               " tcpload - - - t-" + std::to_string(i) + "\n";
      size_t off = 0;
      while (off < line.size()) {
        const ssize_t n = ::send(fd, line.data() + off, line.size() - off, MSG_NOSIGNAL);
        ASSERT_GT(n, 0) << std::strerror(errno);
        off += static_cast<size_t>(n);
      }
      tcp_sent = i + 1;
      if (i % 20 == 0) std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    ::close(fd);
  });

  uint64_t failures_before = 0;
  for (int cycle = 0; cycle < kCycles; ++cycle) {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    var.fill();
    // The store notices, /readyz says so, and HTTP is refused, not acknowledged.
    ASSERT_TRUE(eventually([&] {
      return metric_u(d, "ticketd_store_failures_total") > failures_before;
    })) << "cycle "
        << cycle << "\n"
        << d.log();
    failures_before = metric_u(d, "ticketd_store_failures_total");
    EXPECT_TRUE(eventually([&] { return http("GET", d.url("/readyz")).status == 503; }))
        << "cycle " << cycle;
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    var.free_space();
    ASSERT_TRUE(eventually([&] { return http("GET", d.url("/readyz")).status == 200; }))
        << "cycle " << cycle << ": did not recover\n"
        << d.log();
  }
  done = true;
  http_sender.join();
  tcp_sender.join();

  // Nothing acknowledged lost, nothing stored twice, nothing acknowledged
  // that was not stored (every stored HTTP event is one that got 202, or
  // one whose answer the sender never saw: none here, the daemon never died).
  const std::vector<std::string> http_stored = stored_event_messages(d, "&rule=http-load");
  const std::set<std::string> http_unique(http_stored.begin(), http_stored.end());
  EXPECT_EQ(http_unique.size(), http_stored.size()) << "an HTTP event was stored twice";
  EXPECT_EQ(http_unique, acknowledged) << "stored and acknowledged differ";
  EXPECT_GT(refused.load(), 0) << "the disk never filled while HTTP was sending";
  EXPECT_EQ(other.load(), 0);

  // Every TCP line sent was read and, once space returned, stored once.
  std::vector<std::string> tcp_stored;
  ASSERT_TRUE(eventually([&] {
    tcp_stored = stored_event_messages(d, "&rule=tcp-load");
    return static_cast<int>(tcp_stored.size()) >= tcp_sent;
  })) << tcp_stored.size()
      << " of " << tcp_sent << " TCP lines stored";
  const std::set<std::string> tcp_unique(tcp_stored.begin(), tcp_stored.end());
  EXPECT_EQ(tcp_unique.size(), tcp_stored.size()) << "a TCP line was stored twice";
  EXPECT_EQ(static_cast<int>(tcp_stored.size()), tcp_sent.load());

  // One open ticket per fingerprint, counting every stored event.
  int64_t counted = 0;
  std::map<std::string, int> per_fingerprint;
  const json tickets = d.tickets("?limit=1000")["tickets"];
  for (const json& t : tickets) {
    ++per_fingerprint[t["rule"].get<std::string>() + "|" + t["fingerprint"].get<std::string>()];
    counted += t["event_count"].get<int64_t>();
  }
  for (const auto& [fp, n] : per_fingerprint) EXPECT_EQ(n, 1) << fp;
  EXPECT_EQ(counted, static_cast<int64_t>(http_stored.size() + tcp_stored.size()));
  EXPECT_EQ(d.stop(), 0) << d.log();
  std::cout << "full disk: " << kCycles << " fill/free cycles; HTTP " << acknowledged.size()
            << " acknowledged = stored, " << refused << " refused with 503; TCP " << tcp_sent
            << " sent, " << tcp_stored.size() << " stored; store failures " << failures_before
            << "; no restart\n";
}

}  // namespace
}  // namespace ticketd_test
