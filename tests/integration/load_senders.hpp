// Senders on every acknowledged input at once (HTTP, TCP syslog, RELP), for
// the tests that make the store fail under load (full_disk_test.cpp,
// store_errors_test.cpp), and the checks they all make afterwards. One
// LoadSenders per test, driven from the test's thread.
#pragma once
#include <map>
#include <mutex>
#include <set>

#include "harness.hpp"
#include "relp_client.hpp"

namespace ticketd_test {

// One rule per sender, so each sender's stored events can be listed apart.
inline const char* kLoadRules = R"(rules:
  - name: http-load
    match: { app: httpload }
    fingerprint: "{{ host }}"
    ticket: { title: "HTTP load on {{ host }}" }
  - name: tcp-load
    match: { app: tcpload }
    fingerprint: "{{ host }}"
    ticket: { title: "TCP load on {{ host }}" }
  - name: relp-load
    match: { app: relpload }
    fingerprint: "{{ host }}"
    ticket: { title: "RELP load on {{ host }}" }
)";

class LoadSenders {
 public:
  // Starts sending to the running daemon `d`; `relp_port` is its
  // listen.syslog_relp port (see enable_relp()).
  LoadSenders(Daemon& d, uint16_t relp_port) : d_(d) {
    http_ = std::thread([this] { send_http(); });
    tcp_ = std::thread([this] { send_tcp(); });
    relp_ = std::thread(
        [this, relp_port] { relp_result_ = run_relp_sender(relp_port, "r0", "r", done_); });
  }
  ~LoadSenders() { stop(); }
  LoadSenders(const LoadSenders&) = delete;
  LoadSenders& operator=(const LoadSenders&) = delete;

  // Stops sending; the RELP sender first resends until all it sent is acknowledged.
  void stop() {
    done_ = true;
    for (std::thread* t : {&http_, &tcp_, &relp_})
      if (t->joinable()) t->join();
  }

  // After stop(), with the store healthy again: nothing acknowledged lost,
  // nothing stored twice or unsent, every TCP line stored, one ticket per
  // fingerprint counting every stored event. Returns the figures.
  std::string check() {
    std::ostringstream figures;
    // HTTP: every stored event is one that got 202 (or whose answer the
    // sender never saw: none here, the daemon never dies).
    const std::vector<std::string> http_stored = stored_event_messages(d_, "&rule=http-load");
    const std::set<std::string> http_unique(http_stored.begin(), http_stored.end());
    EXPECT_EQ(http_unique.size(), http_stored.size()) << "an HTTP event was stored twice";
    EXPECT_EQ(http_unique, http_acked_) << "HTTP: stored and acknowledged differ";
    EXPECT_EQ(http_other_.load(), 0) << "HTTP answers other than 202 and 503";
    figures << "HTTP " << http_sent_ << " sent, " << http_acked_.size()
            << " acknowledged (202) = " << http_stored.size() << " stored, " << http_refused_
            << " refused (503 + Retry-After)";

    // TCP syslog: every line sent was read and, once the store recovered, stored once.
    std::vector<std::string> tcp_stored;
    EXPECT_TRUE(eventually([&] {
      tcp_stored = stored_event_messages(d_, "&rule=tcp-load");
      return static_cast<int>(tcp_stored.size()) >= tcp_sent_;
    })) << tcp_stored.size()
        << " of " << tcp_sent_ << " TCP lines stored";
    const std::set<std::string> tcp_unique(tcp_stored.begin(), tcp_stored.end());
    EXPECT_EQ(tcp_unique.size(), tcp_stored.size()) << "a TCP line was stored twice";
    EXPECT_EQ(static_cast<int>(tcp_stored.size()), tcp_sent_.load());
    figures << "; TCP " << tcp_sent_ << " sent, " << tcp_stored.size() << " stored";

    // RELP: every "200 OK" is stored; nothing stored that was not sent; and
    // the sender resent what it got "500 not stored" for or no answer to,
    // so a message stored twice would be one answered 500 although stored.
    const RelpLoadResult& r = relp_result_;
    EXPECT_TRUE(r.errors.empty()) << r.errors.front();
    const std::vector<std::string> relp_stored = stored_event_messages(d_, "&rule=relp-load");
    const std::set<std::string> relp_unique(relp_stored.begin(), relp_stored.end());
    EXPECT_EQ(relp_unique.size(), relp_stored.size())
        << "a RELP message was stored twice: answered 500 or not at all, yet stored";
    size_t acked_lost = 0, unsent_stored = 0;
    for (const std::string& m : r.acked) acked_lost += relp_unique.count(m) == 0;
    for (const std::string& m : relp_unique) unsent_stored += r.sent.count(m) == 0;
    EXPECT_EQ(acked_lost, 0u) << "RELP: acknowledged (200) but not stored";
    EXPECT_EQ(unsent_stored, 0u) << "RELP: stored but never sent";
    EXPECT_EQ(r.acked, r.sent) << "RELP: not everything sent was acknowledged in the end";
    figures << "; RELP " << r.sent.size() << " sent, " << r.acked.size() << " acknowledged, "
            << relp_stored.size() << " stored, " << r.not_stored << " answered 500 not stored, "
            << r.unanswered << " unanswered at a closed connection (all resent), " << r.connections
            << " connections; lost " << acked_lost;

    // One open ticket per fingerprint, counting every stored event.
    int64_t counted = 0;
    std::map<std::string, int> per_fingerprint;
    const json tickets = d_.tickets("?limit=1000")["tickets"];
    for (const json& t : tickets) {
      ++per_fingerprint[t["rule"].get<std::string>() + "|" + t["fingerprint"].get<std::string>()];
      counted += t["event_count"].get<int64_t>();
    }
    for (const auto& [fp, n] : per_fingerprint) EXPECT_EQ(n, 1) << fp;
    EXPECT_EQ(counted,
              static_cast<int64_t>(http_stored.size() + tcp_stored.size() + relp_stored.size()));
    return figures.str();
  }

  int http_refused() const { return http_refused_; }
  const RelpLoadResult& relp() const { return relp_result_; }  // after stop()

 private:
  void send_http() {
    for (int i = 0; !done_; ++i) {
      const std::string msg = "h-" + std::to_string(i);
      const Reply r = d_.post(R"({"host":"w)" + std::to_string(i % 4) +
                              R"(","app":"httpload","severity":"error","message":")" + msg + "\"}");
      http_sent_ = i + 1;
      if (r.status == 202) {
        std::lock_guard lock(mu_);
        http_acked_.insert(msg);
      } else if (r.status == 503) {
        ++http_refused_;
        EXPECT_EQ(r.header("retry-after"), "1");
      } else {
        ++http_other_;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(3));
    }
  }

  void send_tcp() {
    const int fd = connect_tcp(d_.syslog_port());
    ASSERT_GE(fd, 0);
    // Blocking writes: while the store fails the daemon stops reading and
    // the sender waits; nothing read is dropped.
    for (int i = 0; !done_; ++i) {
      const std::string line = "<11>1 2026-12-01T00:00:00Z t" + std::to_string(i % 3) +
                               " tcpload - - - t-" + std::to_string(i) + "\n";
      size_t off = 0;
      while (off < line.size()) {
        const ssize_t n = ::send(fd, line.data() + off, line.size() - off, MSG_NOSIGNAL);
        ASSERT_GT(n, 0) << std::strerror(errno);
        off += static_cast<size_t>(n);
      }
      tcp_sent_ = i + 1;
      if (i % 20 == 0) std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    ::close(fd);
  }

  Daemon& d_;
  std::atomic<bool> done_{false};
  std::mutex mu_;
  std::set<std::string> http_acked_;
  std::atomic<int> http_sent_{0}, http_refused_{0}, http_other_{0}, tcp_sent_{0};
  RelpLoadResult relp_result_;
  std::thread http_, tcp_, relp_;
};

}  // namespace ticketd_test
