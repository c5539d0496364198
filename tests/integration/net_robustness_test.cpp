// Network robustness of the real daemon (issue 7): clean stop under load,
// out-of-descriptor accept failures, connection-slot lockout, bodies sent
// before authentication, and kernel UDP drops. Each test drives the real
// ticketd binary with real sockets; none asserts on elapsed time.
#include <poll.h>
#include <sys/resource.h>

#include <regex>

#include "harness.hpp"

namespace {

using namespace ticketd_test;

// ---- helpers ---------------------------------------------------------------

// ticketd started like Daemon::start() does, but with its pid known and,
// optionally, a RLIMIT_NOFILE (soft = hard) set before exec.
class Proc {
 public:
  explicit Proc(Daemon& d, rlim_t nofile = 0) : d_(d) {
    const std::string cfg = d.config();
    const std::string logfile = (d.dir() / "ticketd.log").string();
    pid_ = ::fork();
    if (pid_ == 0) {  // only async-signal-safe calls until exec
      int fd = ::open(logfile.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      ::dup2(fd, 1);
      ::dup2(fd, 2);
      for (int i = 3; i < 4096; ++i) ::close(i);
      if (nofile != 0) {
        rlimit r{nofile, nofile};
        ::setrlimit(RLIMIT_NOFILE, &r);
      }
      ::execl(TICKETD_BIN, TICKETD_BIN, "--config", cfg.c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
  }
  ~Proc() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  pid_t pid() const { return pid_; }

  // True once /healthz answers; false if it exited (see exit_code()).
  bool wait_ready() {
    for (int i = 0; i < 200; ++i) {
      if (exited()) return false;
      if (http("GET", d_.url("/healthz")).status == 200) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  }
  // Waits for it to exit by itself; its exit code.
  int wait_exit() {
    int status = 0;
    if (pid_ > 0 && ::waitpid(pid_, &status, 0) == pid_) {
      pid_ = -1;
      exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    }
    return exit_code_;
  }
  int stop() {
    if (pid_ > 0) ::kill(pid_, SIGTERM);
    return wait_exit();
  }

 private:
  bool exited() {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) != pid_) return false;
    pid_ = -1;
    exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return true;
  }
  Daemon& d_;
  pid_t pid_ = -1;
  int exit_code_ = -1;
};

// Replaces the harness' "http:" block of the config.
void set_http(Daemon& d, const std::string& block) {
  edit_config(d, "http: { max_body_bytes: 64KiB }\n", block);
}

uint16_t http_port(const Daemon& d) {
  const std::string u = d.url("");
  return static_cast<uint16_t>(std::stoi(u.substr(u.rfind(':') + 1)));
}

std::string http_exchange(int fd, const std::string& request) {
  ::send(fd, request.data(), request.size(), MSG_NOSIGNAL);
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = ::recv(fd, buf, sizeof buf, 0)) > 0) out.append(buf, static_cast<size_t>(n));
  return out;
}

int status_of(const std::string& response) {
  if (response.rfind("HTTP/1.1 ", 0) != 0) return 0;
  return std::atoi(response.c_str() + 9);
}

// GET `path` over a fresh connection from `source`; the whole response.
std::string get_from(const Daemon& d, const std::string& path, const char* source) {
  int fd = connect_tcp(http_port(d), source);
  if (fd < 0) return "";
  std::string r =
      http_exchange(fd, "GET " + path + " HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
  ::close(fd);
  return r;
}

// "VmRSS:", "VmHWM:" of /proc/PID/status, in KiB.
uint64_t proc_kib(pid_t pid, const std::string& field) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(field, 0) == 0) return std::stoull(line.substr(field.size()));
  }
  return 0;
}

size_t count_lines_with(const std::string& text, const std::string& what) {
  size_t n = 0;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) n += line.find(what) != std::string::npos;
  return n;
}

const char* kOneTicketRules = R"(
rules:
  - name: stream
    match: { source: syslog }
    fingerprint: "stream"
    ticket: { title: "stream" }
)";

const char* kErrorRules = R"(
rules:
  - name: syslog-error
    match: { source: syslog, severity: ">=error" }
    fingerprint: "{{ host }}/{{ app }}/{{ message }}"
    ticket: { title: "{{ app }}: {{ message }}" }
)";

bool has_ticket(Daemon& d, const std::string& title) {
  const json list = d.tickets("?limit=1000");  // kept alive: the loop walks into it
  for (const auto& t : list["tickets"]) {
    if (t["title"] == title) return true;
  }
  return false;
}

// ---- item 3: a clean stop loses nothing read ---------------------------------

TEST(NetRobustness, SigtermMidStreamStoresEveryTcpMessageRead) {
  // A small queue, so sessions hold read messages waiting for space when
  // SIGTERM arrives.
  Daemon d("queue: { capacity: 64, batch_max: 64 }\n");
  d.write_rules(kOneTicketRules);
  ASSERT_TRUE(d.start()) << d.log();
  constexpr int kClients = 2;
  constexpr int kLines = 10000;
  std::atomic<uint64_t> written{0};
  std::vector<std::thread> clients;
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([&, c] {
      int fd = connect_tcp(d.syslog_port());
      if (fd < 0) return;
      std::string payload;
      for (int i = 0; i < kLines; ++i) {
        payload +=
            "<13>Nov 28 14:03:00 h" + std::to_string(c) + " app: line " + std::to_string(i) + "\n";
      }
      // Odd-sized writes: stops fall inside lines, leaving a tail in the framer.
      for (size_t off = 0; off < payload.size();) {
        ssize_t n = ::send(fd, payload.data() + off, std::min<size_t>(3001, payload.size() - off),
                           MSG_NOSIGNAL);
        if (n <= 0) break;
        off += static_cast<size_t>(n);
        written += static_cast<uint64_t>(n);
      }
      ::close(fd);
    });
  }
  // SIGTERM while the clients are still sending.
  eventually(
      [&] { return metric_u(d, "ticketd_syslog_received_total{transport=\"tcp\"}") >= 2000; });
  EXPECT_EQ(d.stop(), 0) << d.log();
  for (auto& t : clients) t.join();

  const std::string log = d.log();
  std::smatch m;
  ASSERT_TRUE(std::regex_search(
      log, m,
      std::regex(
          R"(syslog tcp: stopped: (\d+) messages read, (\d+) dropped \(queue full\), (\d+) lost at stop)")))
      << log;
  const uint64_t read = std::stoull(m[1]);
  EXPECT_GT(read, 0u);
  EXPECT_LT(read, uint64_t{kClients} * kLines)
      << "SIGTERM came after the stream ended; the test proves less";
  EXPECT_EQ(m[2], "0");
  EXPECT_EQ(m[3], "0");

  // Restarted, the store holds every message the daemon read.
  ASSERT_TRUE(d.start()) << d.log();
  json list = d.tickets()["tickets"];
  ASSERT_EQ(list.size(), 1u) << list.dump(1);
  EXPECT_EQ(list[0]["event_count"].get<uint64_t>(), read)
      << "read " << read << ", stored " << list[0]["event_count"] << "; client wrote " << written
      << " bytes";
}

// ---- item 5: out of descriptors ----------------------------------------------

TEST(NetRobustness, RefusesConnectionLimitsBeyondTheDescriptorLimit) {
  Daemon d;  // defaults: 1024 HTTP + 1000 syslog TCP connections
  Proc p(d, 256);
  EXPECT_EQ(p.wait_exit(), 1) << d.log();
  const std::string log = d.log();
  EXPECT_NE(
      log.find(
          "http.max_connections (1024) + syslog.max_connections (1000) x 1 TCP/TLS listener(s)"),
      std::string::npos)
      << log;
  EXPECT_NE(log.find("the open-file limit (RLIMIT_NOFILE) is 256"), std::string::npos) << log;
}

TEST(NetRobustness, OutOfDescriptorsAcceptBacksOffLogsRarelyAndRecovers) {
  Daemon d("syslog: { max_connections: 50 }\n");
  set_http(d, "http: { max_body_bytes: 64KiB, max_connections: 100 }\n");
  Proc p(d, 256);  // 100 + 50 + 64 reserved fit in 256: starts
  ASSERT_TRUE(p.wait_ready()) << d.log();
  // Something else takes the descriptors (here: a lower limit set on the
  // running process), so accept() fails with EMFILE below the configured limits.
  rlimit low{64, 64};
  ASSERT_EQ(::prlimit(p.pid(), RLIMIT_NOFILE, &low, nullptr), 0);
  std::vector<int> fds;
  for (int i = 0; i < 150; ++i) {
    fds.push_back(connect_tcp(http_port(d)));
    fds.push_back(connect_tcp(d.syslog_port()));
  }
  // The connections wait in the backlog; the daemon must not spin on them.
  std::this_thread::sleep_for(std::chrono::seconds(2));
  for (int fd : fds) {
    if (fd >= 0) ::close(fd);
  }
  EXPECT_TRUE(eventually([&] { return http("GET", d.url("/healthz")).status == 200; })) << d.log();
  const std::string log = d.log();
  EXPECT_GE(count_lines_with(log, "accept failed"), 1u) << log;
  EXPECT_LT(count_lines_with(log, "accept failed"), 100u);
  EXPECT_GT(metric_u(d, "ticketd_accept_errors_total{listener=\"http\"}"), 0u);
  EXPECT_GT(metric_u(d, "ticketd_accept_errors_total{listener=\"syslog_tcp\"}"), 0u);
  // Syslog works again too.
  int fd = connect_tcp(d.syslog_port());
  ASSERT_GE(fd, 0);
  const std::string line = "<11>Nov 28 14:03:00 web1 app: after the descriptor storm\n";
  ASSERT_EQ(::send(fd, line.data(), line.size(), MSG_NOSIGNAL), static_cast<ssize_t>(line.size()));
  ::close(fd);
  EXPECT_TRUE(eventually(
      [&] { return metric_u(d, "ticketd_syslog_received_total{transport=\"tcp\"}") >= 1; }));
  EXPECT_EQ(p.stop(), 0);
}

// ---- item 6: connection-slot lockout -------------------------------------------

TEST(NetRobustness, SilentConnectionsAreClosedAfterTheFirstByteTimeout) {
  Daemon d("syslog: { max_connections: 3, first_byte_timeout: 1s }\n");
  set_http(d, "http: { max_body_bytes: 64KiB, max_connections: 3, header_timeout: 1s }\n");
  d.write_rules(kErrorRules);
  ASSERT_TRUE(d.start()) << d.log();
  // Fill every slot with connections that send nothing (idle_timeout is 10m,
  // read_timeout 30s: only the first-byte/header timeout frees them).
  std::vector<int> silent;
  for (int i = 0; i < 3; ++i) {
    silent.push_back(connect_tcp(d.syslog_port()));
    silent.push_back(connect_tcp(http_port(d)));
  }
  for (int fd : silent) {
    ASSERT_GE(fd, 0);
    EXPECT_TRUE(closed_by_daemon(fd));
    ::close(fd);
  }
  // Fresh clients get through.
  EXPECT_TRUE(eventually([&] { return http("GET", d.url("/healthz")).status == 200; }));
  ASSERT_EQ(run("logger -n 127.0.0.1 -P " + std::to_string(d.syslog_port()) +
                " --tcp --rfc5424 -t app -p daemon.err 'after the silent ones'")
                .first,
            0);
  EXPECT_TRUE(eventually([&] { return has_ticket(d, "app: after the silent ones"); })) << d.log();
}

TEST(NetRobustness, APeerOverItsConnectionLimitIsRefusedWhileOthersGetThrough) {
  Daemon d("syslog: { max_connections_per_peer: 2 }\n");
  set_http(d, "http: { max_body_bytes: 64KiB, max_connections_per_peer: 2 }\n");
  d.write_rules(kErrorRules);
  ASSERT_TRUE(d.start()) << d.log();

  // Syslog: 127.0.0.1 holds two connections; its third is closed at once,
  // while 127.0.0.2 still delivers.
  int a = connect_tcp(d.syslog_port(), "127.0.0.1");
  int b = connect_tcp(d.syslog_port(), "127.0.0.1");
  ASSERT_GE(a, 0);
  ASSERT_GE(b, 0);
  EXPECT_TRUE(eventually(
      [&] { return metric(d, "ticketd_syslog_connections{transport=\"tcp\"}") == "2"; }));
  int c = connect_tcp(d.syslog_port(), "127.0.0.1");
  ASSERT_GE(c, 0);
  EXPECT_TRUE(closed_by_daemon(c));
  EXPECT_EQ(metric(d, "ticketd_syslog_connections_refused_total{transport=\"tcp\"}"), "1");
  int other = connect_tcp(d.syslog_port(), "127.0.0.2");
  ASSERT_GE(other, 0);
  const std::string line = "<11>Nov 28 14:03:00 web2 app: from another peer\n";
  ASSERT_EQ(::send(other, line.data(), line.size(), MSG_NOSIGNAL),
            static_cast<ssize_t>(line.size()));
  EXPECT_TRUE(eventually([&] { return has_ticket(d, "app: from another peer"); })) << d.log();
  for (int fd : {a, b, c, other}) ::close(fd);

  // HTTP: the same with two idle connections from 127.0.0.1.
  int h1 = connect_tcp(http_port(d), "127.0.0.1");
  int h2 = connect_tcp(http_port(d), "127.0.0.1");
  ASSERT_GE(h1, 0);
  ASSERT_GE(h2, 0);
  EXPECT_TRUE(eventually([&] {
    return metric_in(get_from(d, "/metrics", "127.0.0.2"), "ticketd_http_connections") ==
           "3";  // 2 + this one
  }));
  EXPECT_EQ(status_of(get_from(d, "/healthz", "127.0.0.1")), 429);
  EXPECT_EQ(status_of(get_from(d, "/healthz", "127.0.0.2")), 200);
  ::close(h1);
  ::close(h2);
  EXPECT_TRUE(eventually([&] { return status_of(get_from(d, "/healthz", "127.0.0.1")) == 200; }));
}

// ---- item 7: bodies before authentication --------------------------------------

TEST(NetRobustness, UnauthenticatedBodiesAreRefusedBeforeTheyAreRead) {
  Daemon d(
      "api:\n  tokens:\n    - {name: sender, role: ingest, token: ingest-secret-0123456789}\n");
  set_http(d, "http: { max_body_bytes: 2MiB }\n");
  Proc p(d);
  ASSERT_TRUE(p.wait_ready()) << d.log();
  const uint64_t rss_before = proc_kib(p.pid(), "VmRSS:");

  // 400 connections (from four source addresses: within the per-peer
  // default) each announce and send a 1 MiB body without a token.
  constexpr int kConns = 400;
  constexpr size_t kBody = 1024 * 1024;
  const std::string header =
      "POST /api/v1/events HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
      "Content-Length: " +
      std::to_string(kBody) + "\r\n\r\n";
  const std::string chunk(64 * 1024, 'x');
  const char* sources[] = {"127.0.0.1", "127.0.0.2", "127.0.0.3", "127.0.0.4"};
  std::vector<int> fds;
  std::vector<size_t> sent(kConns, 0);
  for (int i = 0; i < kConns; ++i) {
    int fd = connect_tcp(http_port(d), sources[i % 4]);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(::send(fd, header.data(), header.size(), MSG_NOSIGNAL),
              static_cast<ssize_t>(header.size()));
    ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
    fds.push_back(fd);
  }
  // Push all bodies at once, round robin, until sent or refused by a reset.
  std::vector<bool> done(kConns, false);
  for (int round = 0; round < 20000; ++round) {
    std::vector<pollfd> pfds;
    std::vector<int> idx;
    for (int i = 0; i < kConns; ++i) {
      if (!done[i]) {
        pfds.push_back({fds[i], POLLOUT, 0});
        idx.push_back(i);
      }
    }
    if (pfds.empty()) break;
    if (::poll(pfds.data(), pfds.size(), 2000) <= 0) break;  // nobody reads any more
    for (size_t k = 0; k < pfds.size(); ++k) {
      const int i = idx[k];
      if (pfds[k].revents & (POLLERR | POLLHUP)) {
        done[i] = true;
      } else if (pfds[k].revents & POLLOUT) {
        ssize_t n =
            ::send(fds[i], chunk.data(), std::min(chunk.size(), kBody - sent[i]), MSG_NOSIGNAL);
        if (n > 0) sent[i] += static_cast<size_t>(n);
        if ((n < 0 && errno != EAGAIN) || sent[i] == kBody) done[i] = true;
      }
    }
  }
  int unauthorized = 0;
  for (int fd : fds) {
    ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    std::string got = http_exchange(fd, "");
    if (status_of(got) == 401) ++unauthorized;
    ::close(fd);
  }
  EXPECT_EQ(unauthorized, kConns);
  const uint64_t peak = proc_kib(p.pid(), "VmHWM:");
  EXPECT_LT(peak - std::min(peak, rss_before), 200u * 1024)
      << "peak RSS grew from " << rss_before << " KiB to " << peak << " KiB";
  // An authenticated request still works.
  EXPECT_EQ(http("POST", d.url("/api/v1/events"),
                 R"({"host":"h","severity":"error","message":"authorized"})", "application/json",
                 "ingest-secret-0123456789")
                .status,
            202);
  EXPECT_EQ(p.stop(), 0);
}

TEST(NetRobustness, BodiesOverTheInflightBudgetGet503BeforeTheyAreRead) {
  Daemon d;
  set_http(d, "http: { max_body_bytes: 1MiB, max_inflight_body_bytes: 1MiB }\n");
  ASSERT_TRUE(d.start()) << d.log();
  // One client announces a full 1 MiB body and sends only its first byte.
  int hold = connect_tcp(http_port(d));
  ASSERT_GE(hold, 0);
  const std::string announce =
      "POST /api/v1/events HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
      "Content-Length: 1048576\r\n\r\n{";
  ASSERT_EQ(::send(hold, announce.data(), announce.size(), MSG_NOSIGNAL),
            static_cast<ssize_t>(announce.size()));
  const std::string body = R"({"host":"h","severity":"error","message":"small"})";
  const std::string request =
      "POST /api/v1/events HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
      "Connection: close\r\nContent-Length: " +
      std::to_string(body.size()) + "\r\n\r\n" + body;
  std::string answer;
  EXPECT_TRUE(eventually([&] {
    int fd = connect_tcp(http_port(d));
    answer = http_exchange(fd, request);
    ::close(fd);
    return status_of(answer) == 503;
  })) << answer;
  EXPECT_NE(answer.find("Retry-After: 1"), std::string::npos) << answer;
  EXPECT_GT(metric_u(d, "ticketd_http_body_budget_refused_total"), 0u);
  ::close(hold);  // its reservation goes with it
  EXPECT_TRUE(eventually([&] { return d.post(body).status == 202; })) << d.log();
}

// ---- item 8: kernel UDP drops ---------------------------------------------------

TEST(NetRobustness, KernelUdpDropsAreCounted) {
  Daemon d("syslog: { udp_receive_buffer: 4KiB }\n");
  d.write_rules(R"(
rules:
  - name: marker
    match: { message: "~^marker" }
    fingerprint: "marker"
    ticket: { title: "marker" }
  - name: rest
    match: { source: syslog }
    action: drop
)");
  ASSERT_TRUE(d.start()) << d.log();
  EXPECT_NE(d.log().find("receive buffer"), std::string::npos) << d.log();
  int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(d.syslog_port());
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  constexpr uint64_t kBlast = 50000;
  uint64_t sent = 0;
  auto send_one = [&](const std::string& msg) {
    if (::sendto(fd, msg.data(), msg.size(), 0, reinterpret_cast<sockaddr*>(&a), sizeof a) ==
        static_cast<ssize_t>(msg.size())) {
      ++sent;
    }
  };
  for (uint64_t i = 0; i < kBlast; ++i)
    send_one("<13>Nov 28 14:03:00 h app: blast " + std::to_string(i));
  ASSERT_EQ(sent, kBlast);
  // A marker after the blast carries the kernel's drop count of everything
  // before it; send markers until one is read.
  bool seen = false;
  for (int i = 0; i < 50 && !seen; ++i) {
    send_one("<11>Nov 28 14:03:00 h app: marker " + std::to_string(i));
    seen = eventually([&] { return has_ticket(d, "marker"); }, std::chrono::seconds(1));
  }
  ::close(fd);
  ASSERT_TRUE(seen) << d.log();
  const uint64_t received = metric_u(d, "ticketd_syslog_received_total{transport=\"udp\"}");
  const uint64_t kernel = metric_u(d, "ticketd_syslog_kernel_dropped_total{transport=\"udp\"}");
  EXPECT_GT(kernel, 0u);
  EXPECT_GE(received + kernel, kBlast + 1)
      << "received " << received << ", kernel dropped " << kernel;
  EXPECT_LE(received + kernel, sent) << "received " << received << ", kernel dropped " << kernel;
}

}  // namespace
