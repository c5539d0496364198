// Overload (issue "Reliability", item 4): every input flooded at once far
// beyond what the engine and store keep up with — HTTP events from several
// threads, TCP syslog over several connections, UDP syslog and SNMP traps —
// with a slow-loris HTTP connection open meanwhile. Checks behaviour only:
// memory stays under a bound derived from the configured limits, UDP drops
// are counted, HTTP answers 503 + Retry-After (never hangs) and stores every
// 202, /healthz keeps answering, and everything recovers afterwards. Rates
// and durations are printed, never asserted.
#include <algorithm>
#include <iostream>
#include <mutex>
#include <unordered_set>

#include "harness.hpp"

namespace {

using namespace ticketd_test;
using Clock = std::chrono::steady_clock;

// ---- SNMPv2c trap, BER-encoded by hand (no net-snmp needed) -----------------

std::string ber(uint8_t tag, const std::string& content) {
  std::string out(1, static_cast<char>(tag));
  const size_t n = content.size();
  if (n < 0x80) {
    out += static_cast<char>(n);
  } else if (n < 0x100) {
    out += '\x81';
    out += static_cast<char>(n);
  } else {
    out += '\x82';
    out += static_cast<char>(n >> 8);
    out += static_cast<char>(n & 0xff);
  }
  return out + content;
}

std::string ber_int(uint32_t v) {
  std::string bytes;
  do {
    bytes.insert(bytes.begin(), static_cast<char>(v & 0xff));
    v >>= 8;
  } while (v != 0);
  if (static_cast<uint8_t>(bytes[0]) & 0x80) bytes.insert(bytes.begin(), '\0');
  return bytes;
}

std::string ber_oid(const std::vector<uint32_t>& arcs) {
  std::string out(1, static_cast<char>(arcs[0] * 40 + arcs[1]));
  for (size_t i = 2; i < arcs.size(); ++i) {
    std::string enc(1, static_cast<char>(arcs[i] & 0x7f));
    for (uint32_t v = arcs[i] >> 7; v != 0; v >>= 7)
      enc.insert(enc.begin(), static_cast<char>(0x80 | (v & 0x7f)));
    out += enc;
  }
  return ber(0x06, out);
}

// A v2c linkDown trap (community "public") whose ifDescr carries `descr`.
std::string v2c_trap(uint32_t request_id, const std::string& descr) {
  const std::string varbinds =
      ber(0x30, ber_oid({1, 3, 6, 1, 2, 1, 1, 3, 0}) + ber(0x43, ber_int(0))) +
      ber(0x30,
          ber_oid({1, 3, 6, 1, 6, 3, 1, 1, 4, 1, 0}) + ber_oid({1, 3, 6, 1, 6, 3, 1, 1, 5, 3})) +
      ber(0x30, ber_oid({1, 3, 6, 1, 2, 1, 2, 2, 1, 2, 1}) + ber(0x04, descr));
  const std::string pdu = ber(0xA7, ber(0x02, ber_int(request_id)) + ber(0x02, ber_int(0)) +
                                        ber(0x02, ber_int(0)) + ber(0x30, varbinds));
  return ber(0x30, ber(0x02, ber_int(1)) + ber(0x04, "public") + pdu);
}

// ---- helpers ----------------------------------------------------------------

// A field of /proc/PID/status in KiB (VmRSS, VmHWM); 0 when unreadable.
uint64_t proc_kib(pid_t pid, const std::string& field) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(field + ":", 0) == 0) return std::stoull(line.substr(field.size() + 1));
  }
  return 0;
}

uint16_t port_of(const Daemon& d) {
  const std::string u = d.url("");
  return static_cast<uint16_t>(std::stoi(u.substr(u.rfind(':') + 1)));
}

// Every stored event of `host`: its messages, paged 1000 at a time.
std::vector<std::string> stored_messages(const Daemon& d, const std::string& host) {
  std::vector<std::string> out;
  std::string cursor;
  for (int page = 0; page < 1000; ++page) {
    Reply r = http("GET", d.url("/api/v1/events?host=" + host + "&limit=1000" +
                                (cursor.empty() ? "" : "&cursor=" + cursor)));
    if (r.status != 200) {
      ADD_FAILURE() << "GET /api/v1/events: " << r.status << " " << r.body;
      break;
    }
    const json j = r.j();
    for (const json& e : j["events"]) out.push_back(e["event"]["message"].get<std::string>());
    if (!j.contains("next_cursor") || j["next_cursor"].is_null()) break;
    cursor = j["next_cursor"].get<std::string>();
  }
  return out;
}

// One POST on a kept-alive handle; status 0 when curl gave up (timeout).
struct Post {
  long status = 0;
  std::string retry_after;
};
Post post_on(CURL* c, const std::string& url, const std::string& body) {
  Reply r;
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.data());
  curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &r.body);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, collect_header);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &r);
  Post p;
  if (curl_easy_perform(c) == CURLE_OK) curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &p.status);
  p.retry_after = r.header("retry-after");
  return p;
}

// Small limits, so "bounded" means something: a queue of 64 events in
// batches of 16, 4 KiB bodies, 64 KiB of bodies in flight, 1 s to send a
// request header.
constexpr uint64_t kQueueCapacity = 64;
constexpr uint64_t kMaxBodyBytes = 4 * 1024;
constexpr uint64_t kInflightBodyBytes = 64 * 1024;
constexpr int kHttpThreads = 4;
constexpr int kTcpConnections = 3;

const char* kOverloadRules = R"(
rules:
  - name: flood-noise
    match: { severity: debug }
    action: drop
  - name: traps
    match: { source: snmp }
    action: drop
)";

TEST(Overload, EveryInputFloodedAtOnceStaysBoundedRefusesVisiblyAndRecovers) {
  Daemon d("queue: { capacity: " + std::to_string(kQueueCapacity) +
           ", batch_max: 16 }\n"
           "syslog: { udp_receive_buffer: 256KiB, max_message_bytes: 1KiB }\n"
           "snmp: { udp_receive_buffer: 256KiB }\n");
  edit_config(
      d, "http: { max_body_bytes: 64KiB }\n",
      "http: { max_body_bytes: 4KiB, max_inflight_body_bytes: 64KiB, header_timeout: 1s }\n");
  d.write_rules(kOverloadRules);
  ASSERT_TRUE(d.start()) << d.log();
  const pid_t pid = d.pid();
  ASSERT_GT(pid, 0);
  const uint64_t baseline_kib = proc_kib(pid, "VmRSS");
  ASSERT_GT(baseline_kib, 0u);

  // Slow loris: a partial request header, then nothing (a connection that
  // sends nothing at all: NetRobustness.SilentConnectionsAreClosedAfterTheFirstByteTimeout).
  int loris = connect_tcp(port_of(d));
  ASSERT_GE(loris, 0);
  const std::string partial = "POST /api/v1/events HTTP/1.1\r\nHost: t\r\nContent-Ty";
  ASSERT_EQ(::send(loris, partial.data(), partial.size(), MSG_NOSIGNAL),
            static_cast<ssize_t>(partial.size()));

  std::atomic<bool> stop{false};
  std::vector<std::thread> threads;

  // HTTP: each thread POSTs unique events on one kept-alive connection.
  std::mutex accepted_mu;
  std::vector<std::string> http_accepted;
  std::atomic<uint64_t> http_offered{0}, http_refused{0}, http_other{0}, http_no_retry_after{0};
  for (int t = 0; t < kHttpThreads; ++t) {
    threads.emplace_back([&, t] {
      CURL* c = curl_easy_init();
      curl_slist* headers = curl_slist_append(nullptr, "Content-Type: application/json");
      curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
      curl_easy_setopt(c, CURLOPT_TIMEOUT, 15L);  // a hang fails, it does not block the test
      const std::string url = d.url("/api/v1/events");
      for (int i = 0; !stop; ++i) {
        const std::string msg = "http-" + std::to_string(t) + "-" + std::to_string(i);
        const Post p = post_on(
            c, url,
            json({{"host", "http-flood"}, {"app", "flood"}, {"severity", "info"}, {"message", msg}})
                .dump());
        ++http_offered;
        if (p.status == 202) {
          std::lock_guard lock(accepted_mu);
          http_accepted.push_back(msg);
        } else if (p.status == 503) {
          ++http_refused;
          if (p.retry_after.empty()) ++http_no_retry_after;
        } else {
          ++http_other;
        }
      }
      curl_slist_free_all(headers);
      curl_easy_cleanup(c);
    });
  }

  // TCP syslog: newline-framed unique lines; a send that the daemon's
  // backpressure stalls is retried until the whole line is written.
  std::atomic<uint64_t> tcp_offered{0};
  std::atomic<int> tcp_broken{0};
  for (int k = 0; k < kTcpConnections; ++k) {
    threads.emplace_back([&, k] {
      int fd = connect_tcp(d.syslog_port());
      if (fd < 0) {
        ++tcp_broken;
        return;
      }
      timeval tv{0, 200000};
      ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
      for (int i = 0; !stop; ++i) {
        const std::string line = "<15>Dec  2 13:00:00 tcp-flood flood: tcp-" + std::to_string(k) +
                                 "-" + std::to_string(i) + "\n";
        size_t sent = 0;
        const auto give_up = Clock::now() + std::chrono::seconds(30);
        while (sent < line.size() && Clock::now() < give_up) {
          ssize_t n = ::send(fd, line.data() + sent, line.size() - sent, MSG_NOSIGNAL);
          if (n > 0) {
            sent += static_cast<size_t>(n);
          } else if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
            break;
          }
        }
        if (sent < line.size()) {
          ++tcp_broken;
          break;
        }
        ++tcp_offered;
      }
      ::close(fd);
    });
  }

  // UDP syslog and SNMP traps: as fast as the sockets take them.
  std::atomic<uint64_t> udp_offered{0}, snmp_offered{0};
  auto udp_sender = [&](uint16_t port, std::atomic<uint64_t>& offered, bool snmp) {
    int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    for (uint32_t i = 0; !stop; ++i) {
      const std::string payload =
          snmp ? v2c_trap(i, "trap-" + std::to_string(i))
               : "<15>Dec  2 13:00:00 udp-flood flood: udp-" + std::to_string(i);
      if (::sendto(fd, payload.data(), payload.size(), 0, reinterpret_cast<sockaddr*>(&a),
                   sizeof a) == static_cast<ssize_t>(payload.size()))
        ++offered;
    }
    ::close(fd);
  };
  threads.emplace_back(udp_sender, d.syslog_port(), std::ref(udp_offered), false);
  threads.emplace_back(udp_sender, d.snmp_port(), std::ref(snmp_offered), true);

  // /healthz from its own thread, and the daemon's RSS while it floods.
  std::atomic<uint64_t> health_ok{0}, health_failed{0}, peak_sampled_kib{0};
  threads.emplace_back([&] {
    while (!stop) {
      const long status = http("GET", d.url("/healthz")).status;
      ++(status == 200 ? health_ok : health_failed);
      peak_sampled_kib = std::max<uint64_t>(peak_sampled_kib, proc_kib(pid, "VmRSS"));
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  });

  // At least 3 s, then until HTTP was refused and UDP and SNMP drops were
  // counted (or 12 s in all: the assertions below then say what is missing).
  const auto started = Clock::now();
  auto saw_overload = [&] {
    return http_refused > 0 && metric_u(d, "ticketd_syslog_dropped_total{transport=\"udp\"}") > 0 &&
           metric_u(d, "ticketd_snmp_dropped_total") > 0;
  };
  std::this_thread::sleep_for(std::chrono::seconds(3));
  while (!saw_overload() && Clock::now() - started < std::chrono::seconds(12))
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  const double flood_seconds = std::chrono::duration<double>(Clock::now() - started).count();
  // The drop counters while the flood is still on.
  const std::string during = http("GET", d.url("/metrics")).body;
  stop = true;
  for (auto& t : threads) t.join();

  // Slow loris: closed by the daemon (header_timeout 1s; read_timeout is 30s).
  EXPECT_TRUE(closed_by_daemon(loris)) << "the partial-header connection is still open";
  ::close(loris);

  // Recovery: a new event is accepted and stored; the daemon still runs.
  Reply after;
  EXPECT_TRUE(eventually(
      [&] {
        after = d.post(R"({"host":"after-flood","severity":"info","message":"after the flood"})");
        return after.status == 202;
      },
      std::chrono::seconds(10)))
      << after.status << " " << after.body;
  EXPECT_EQ(stored_messages(d, "after-flood"), std::vector<std::string>{"after the flood"});
  EXPECT_EQ(::waitpid(pid, nullptr, WNOHANG), 0) << "ticketd exited";
  EXPECT_EQ(http("GET", d.url("/healthz")).status, 200);

  // Memory: the high-water mark stays under the baseline plus what the
  // limits allow — the queue (64 events, each at most a 4 KiB body parsed:
  // 64 KiB apiece is generous), the bodies in flight, and 48 MiB for SQLite's
  // page caches (2 MiB per connection), thread stacks and malloc arenas.
  // The flood offers far more than that: with queue.capacity 10000000 the
  // same run peaked near 200 MiB and failed here.
  const uint64_t peak_kib = std::max(proc_kib(pid, "VmHWM"), peak_sampled_kib.load());
  const uint64_t bound_kib = baseline_kib + kQueueCapacity * 64 + kInflightBodyBytes / 1024 +
                             kHttpThreads * kMaxBodyBytes / 1024 + 48 * 1024;
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  // `make sanitize`: the daemon is instrumented too, and its allocator keeps
  // freed memory in quarantine and shadow memory beside it, so its RSS says
  // nothing about the limits. The other promises below still hold there.
  std::cout << "[overload] rss bound not checked: the daemon is built with a sanitizer\n";
#else
  EXPECT_LT(peak_kib, bound_kib);
#endif

  // UDP drops are counted, in the metrics read during the flood.
  const uint64_t udp_received =
      std::stoull("0" + metric_in(during, "ticketd_syslog_received_total{transport=\"udp\"}"));
  const uint64_t udp_dropped =
      std::stoull("0" + metric_in(during, "ticketd_syslog_dropped_total{transport=\"udp\"}"));
  const uint64_t udp_kernel = std::stoull(
      "0" + metric_in(during, "ticketd_syslog_kernel_dropped_total{transport=\"udp\"}"));
  const uint64_t snmp_received =
      std::stoull("0" + metric_in(during, "ticketd_snmp_received_total"));
  const uint64_t snmp_dropped = std::stoull("0" + metric_in(during, "ticketd_snmp_dropped_total"));
  const uint64_t snmp_queued =
      std::stoull("0" + metric_in(during, "ticketd_snmp_notifications_total"));
  EXPECT_GT(udp_dropped, 0u) << during;
  EXPECT_GT(snmp_dropped, 0u) << during;
  EXPECT_GT(metric_u(d, "ticketd_syslog_dropped_total{transport=\"udp\"}"), 0u);

  // HTTP: refused with 503 + Retry-After, nothing else, no hang; every 202 stored.
  EXPECT_GT(http_refused.load(), 0u);
  EXPECT_EQ(http_no_retry_after.load(), 0u);
  EXPECT_EQ(http_other.load(), 0u) << "answers other than 202/503, or timeouts";
  const std::vector<std::string> http_stored = stored_messages(d, "http-flood");
  const std::unordered_set<std::string> http_stored_set(http_stored.begin(), http_stored.end());
  EXPECT_EQ(http_stored_set.size(), http_stored.size()) << "an event stored twice";
  uint64_t http_missing = 0;
  for (const auto& m : http_accepted) http_missing += http_stored_set.count(m) == 0;
  EXPECT_EQ(http_missing, 0u) << "of " << http_accepted.size() << " accepted";
  EXPECT_EQ(http_stored.size(), http_accepted.size());

  // TCP: backpressure, not loss — every line written is read and none
  // dropped (the rules drop them afterwards, so paging stays short).
  EXPECT_EQ(tcp_broken.load(), 0);
  uint64_t tcp_received = 0;
  EXPECT_TRUE(eventually(
      [&] {
        tcp_received = metric_u(d, "ticketd_syslog_received_total{transport=\"tcp\"}");
        return tcp_received >= tcp_offered;
      },
      std::chrono::seconds(15)))
      << tcp_received << " of " << tcp_offered << " read";
  EXPECT_EQ(tcp_received, tcp_offered.load());
  EXPECT_EQ(metric_u(d, "ticketd_syslog_dropped_total{transport=\"tcp\"}"), 0u);

  // /healthz answered every time.
  EXPECT_GT(health_ok.load(), 0u);
  EXPECT_EQ(health_failed.load(), 0u);

  std::cout << "[overload] flood " << flood_seconds << " s; queue.capacity " << kQueueCapacity
            << "\n[overload] http: offered " << http_offered << ", accepted (202) "
            << http_accepted.size() << ", refused (503) " << http_refused << ", other "
            << http_other << ", stored " << http_stored.size()
            << "\n[overload] tcp syslog: offered " << tcp_offered << ", read " << tcp_received
            << " (backpressure, no refusals)"
            << "\n[overload] udp syslog: offered " << udp_offered << ", received " << udp_received
            << ", dropped (queue full) " << udp_dropped << ", kernel dropped " << udp_kernel
            << "\n[overload] snmp: offered " << snmp_offered << ", received " << snmp_received
            << ", queued " << snmp_queued << ", dropped (queue full) " << snmp_dropped
            << "\n[overload] healthz: ok " << health_ok << ", failed " << health_failed
            << "\n[overload] rss: baseline " << baseline_kib << " KiB, peak " << peak_kib
            << " KiB, bound " << bound_kib << " KiB\n";
}

}  // namespace
