// Test harness: starts the real ticketd binary on free loopback ports and
// drives it with a real HTTP client (libcurl); runs the real ticketctl.
#pragma once
#include <arpa/inet.h>
#include <curl/curl.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

extern char** environ;

namespace ticketd_test {

namespace fs = std::filesystem;
using nlohmann::json;

struct Reply {
  long status = 0;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // names in lower case
  json j() const { return json::parse(body, nullptr, false); }
  // The first header of that name (lower case), or "".
  std::string header(const std::string& name) const {
    for (const auto& [k, v] : headers)
      if (k == name) return v;
    return {};
  }
};

inline size_t collect_header(char* p, size_t s, size_t n, void* out) {
  std::string line(p, s * n);
  const size_t colon = line.find(':');
  if (colon != std::string::npos) {
    std::string name = line.substr(0, colon);
    for (char& ch : name) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    std::string value = line.substr(colon + 1);
    const size_t b = value.find_first_not_of(" \t");
    const size_t e = value.find_last_not_of(" \t\r\n");
    value = b == std::string::npos ? "" : value.substr(b, e - b + 1);
    static_cast<Reply*>(out)->headers.emplace_back(std::move(name), std::move(value));
  }
  return s * n;
}

inline size_t collect(char* p, size_t s, size_t n, void* out) {
  static_cast<std::string*>(out)->append(p, s * n);
  return s * n;
}

inline Reply http(const std::string& method, const std::string& url, const std::string& body = "",
                  const std::string& content_type = "application/json",
                  const std::string& token = "", const std::string& cacert = "") {
  Reply r;
  CURL* c = curl_easy_init();
  curl_slist* headers = nullptr;
  if (!content_type.empty())
    headers = curl_slist_append(headers, ("Content-Type: " + content_type).c_str());
  if (!token.empty())
    headers = curl_slist_append(headers, ("Authorization: Bearer " + token).c_str());
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method.c_str());
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &r.body);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, collect_header);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &r);
  curl_easy_setopt(c, CURLOPT_TIMEOUT, 20L);
  if (!cacert.empty()) curl_easy_setopt(c, CURLOPT_CAINFO, cacert.c_str());  // https: trust it
  if (method == "POST" || method == "PATCH" || method == "PUT") {
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.data());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
  }
  if (curl_easy_perform(c) == CURLE_OK) curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r.status);
  curl_slist_free_all(headers);
  curl_easy_cleanup(c);
  return r;
}

inline uint16_t free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

// Runs a command, returns {exit code, stdout+stderr}.
inline std::pair<int, std::string> run(const std::string& cmd) {
  std::string out;
  FILE* p = ::popen((cmd + " 2>&1").c_str(), "r");
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  int rc = ::pclose(p);
  return {WIFEXITED(rc) ? WEXITSTATUS(rc) : -1, out};
}

inline const char* kRules = R"(
rules:
  - name: disk-full
    match: { message: '~(?i)no space left on (?P<dev>\S+)' }
    ticket: { team: storage, impact: high, urgency: high, title: "Disk {{ dev }} full on {{ host }}" }
    fingerprint: "{{ host }}/{{ dev }}"
  - name: any-error
    match: { severity: ">=error" }
    ticket: { team: oncall, title: "{{ app }} error on {{ host }}" }
    fingerprint: "{{ host }}/{{ app }}"
)";

class Daemon {
 public:
  explicit Daemon(std::string extra_config = "") {
    dir_ = fs::temp_directory_path() /
           ("ticketd-it-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "rules");
    write_rules(kRules);
    port_ = free_port();
    syslog_port_ = free_port();
    snmp_port_ = free_port();
    std::ofstream(dir_ / "ticketd.yaml")
        << "listen: { http: \"127.0.0.1:" << port_ << "\", syslog_udp: \"127.0.0.1:" << syslog_port_
        << "\", syslog_tcp: \"127.0.0.1:" << syslog_port_ << "\", snmp: \"127.0.0.1:" << snmp_port_
        << "\" }\n"
        << "rules_dir: rules\nstore: { path: var/ticketd.db }\n"
        << "http: { max_body_bytes: 64KiB }\n"
        << extra_config;
  }
  ~Daemon() {
    stop();
    // Under `make sanitize` the daemon is instrumented too: a report in its
    // log (it keeps running after a TSan warning; LSan only speaks at exit)
    // fails the test that drove it there.
    const std::string text = log();
    for (const char* mark : {"ERROR: AddressSanitizer", "ERROR: LeakSanitizer",
                             ": runtime error: ", "WARNING: ThreadSanitizer"}) {
      if (const size_t at = text.find(mark); at != std::string::npos) {
        ADD_FAILURE() << "sanitizer report in the daemon's log:\n"
                      << text.substr(text.rfind('\n', at) == std::string::npos
                                         ? 0
                                         : text.rfind('\n', at) + 1,
                                     4000);
        break;
      }
    }
    fs::remove_all(dir_);
  }

  void write_rules(const std::string& text) {
    std::ofstream(dir_ / "rules" / "rules.yaml") << text;
  }
  std::string config() const { return (dir_ / "ticketd.yaml").string(); }
  std::string url(const std::string& path) const {
    return (cacert_.empty() ? "http://127.0.0.1:" : "https://127.0.0.1:") + std::to_string(port_) +
           path;
  }
  // The API is served over HTTPS (api.tls_cert): url() says https, and
  // start(), post() and tickets() trust this PEM certificate.
  void use_https(std::string cacert) { cacert_ = std::move(cacert); }
  const std::string& cacert() const { return cacert_; }
  uint16_t port() const { return port_; }
  uint16_t syslog_port() const { return syslog_port_; }
  uint16_t snmp_port() const { return snmp_port_; }
  const fs::path& dir() const { return dir_; }
  std::string log() const {
    std::ifstream in(dir_ / "ticketd.log");
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }

  // Starts ticketd and waits until /healthz answers; false if it exited.
  bool start() {
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    const std::string logfile = (dir_ / "ticketd.log").string();
    posix_spawn_file_actions_addopen(&fa, 1, logfile.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    std::string cfg = config();
    char* argv[] = {const_cast<char*>(TICKETD_BIN), const_cast<char*>("--config"), cfg.data(),
                    nullptr};
    int rc = posix_spawn(&pid_, TICKETD_BIN, &fa, nullptr, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) return false;
    for (int i = 0; i < 200; ++i) {
      int status;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        pid_ = -1;
        return false;
      }
      if (http("GET", url("/healthz"), "", "application/json", "", cacert_).status == 200)
        return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  }

  // SIGTERM and wait; returns the exit code.
  int stop() {
    if (pid_ <= 0) return exit_code_;
    ::kill(pid_, SIGTERM);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return exit_code_;
  }
  void signal(int sig) { ::kill(pid_, sig); }
  int exit_code() const { return exit_code_; }
  // The running daemon's process id (-1 when not running), e.g. for /proc/PID/status.
  pid_t pid() const { return pid_; }

  Reply post(const std::string& body) {
    return http("POST", url("/api/v1/events"), body, "application/json", "", cacert_);
  }
  json tickets(const std::string& query = "") {
    return http("GET", url("/api/v1/tickets" + query), "", "application/json", "", cacert_).j();
  }

 private:
  fs::path dir_;
  uint16_t port_ = 0;
  uint16_t snmp_port_ = 0;
  uint16_t syslog_port_ = 0;
  std::string cacert_;  // set: the API speaks HTTPS
  pid_t pid_ = -1;
  int exit_code_ = -1;
};

// ---- shared helpers of the integration tests ----

// Replaces the first `from` in the daemon's config file with `to`.
inline void edit_config(const Daemon& d, const std::string& from, const std::string& to) {
  std::ifstream in(d.config());
  std::stringstream ss;
  ss << in.rdbuf();
  std::string text = ss.str();
  const auto at = text.find(from);
  if (at == std::string::npos) {
    ADD_FAILURE() << "config has no \"" << from << "\":\n" << text;
    return;
  }
  text.replace(at, from.size(), to);
  std::ofstream(d.config()) << text;
}

// One series' value in Prometheus text ("" when absent).
inline std::string metric_in(const std::string& text, const std::string& series) {
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(series + " ", 0) == 0) return line.substr(series.size() + 1);
  }
  return "";
}
// A series from the daemon's /metrics, as text ("" when absent) or as a number (0 when absent).
inline std::string metric(const Daemon& d, const std::string& series) {
  return metric_in(http("GET", d.url("/metrics"), "", "application/json", "", d.cacert()).body,
                   series);
}
inline uint64_t metric_u(const Daemon& d, const std::string& series) {
  const std::string v = metric(d, series);
  return v.empty() ? 0 : std::stoull(v);
}

// Polls `pred` every 50 ms until it holds or `within` passed; the generous
// default only costs a failing run.
template <typename Pred>
bool eventually(Pred pred, std::chrono::milliseconds within = std::chrono::seconds(30)) {
  const auto until = std::chrono::steady_clock::now() + within;
  while (std::chrono::steady_clock::now() < until) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return pred();
}

// The message of every event the daemon stored, newest first, following
// the cursor through all pages of GET /api/v1/events; `filter` adds query
// parameters ("&rule=load", "&host=db1").
inline std::vector<std::string> stored_event_messages(Daemon& d, const std::string& filter = "") {
  std::vector<std::string> out;
  std::string cursor;
  do {
    Reply r = http("GET", d.url("/api/v1/events?limit=1000" + filter +
                                (cursor.empty() ? "" : "&cursor=" + cursor)));
    EXPECT_EQ(r.status, 200) << r.body;
    if (r.status != 200) break;
    const json page = r.j();  // named: a temporary's ["events"] would dangle in the loop
    for (const json& e : page["events"]) out.push_back(e["event"]["message"].get<std::string>());
    cursor = page["next_cursor"].is_string() ? page["next_cursor"].get<std::string>() : "";
  } while (!cursor.empty());
  return out;
}

// A TCP connection to 127.0.0.1:port from `source` (any 127.x.y.z is
// loopback on Linux: a different source address is a different peer), with
// a 5 s receive timeout; -1 on failure.
inline int connect_tcp(uint16_t port, const char* source = "127.0.0.1") {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in src{};
  src.sin_family = AF_INET;
  ::inet_pton(AF_INET, source, &src.sin_addr);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&src), sizeof src) != 0 ||
      ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return -1;
  }
  timeval tv{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  return fd;
}

// True when the daemon closed the connection: EOF or reset, not a timeout of
// our own read.
inline bool closed_by_daemon(int fd) {
  char c;
  ssize_t r = ::recv(fd, &c, 1, 0);
  return r == 0 || (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK);
}

// A size-limited tmpfs mounted on `dir` (created when missing) for the
// object's lifetime, e.g. as the store's filesystem so a test can fill it.
// Mounting needs root: check mounted() and skip the test otherwise (error()
// says why). Not thread-safe; fill() and free_space() only touch files of
// their own ("filler", "filler2").
class Tmpfs {
 public:
  Tmpfs(fs::path dir, const std::string& size) : dir_(std::move(dir)) {
    fs::create_directories(dir_);
    mounted_ = ::mount("tmpfs", dir_.c_str(), "tmpfs", 0, ("size=" + size).c_str()) == 0;
    if (!mounted_) error_ = std::strerror(errno);
  }
  ~Tmpfs() {
    if (mounted_) ::umount2(dir_.c_str(), MNT_DETACH);
  }
  Tmpfs(const Tmpfs&) = delete;
  Tmpfs& operator=(const Tmpfs&) = delete;

  bool mounted() const { return mounted_; }
  const std::string& error() const { return error_; }

  // Takes every free byte: 64 KiB blocks until one fails, then the last few bytes.
  void fill() const {
    {
      std::ofstream filler(dir_ / "filler", std::ios::binary);
      const std::string block(64 * 1024, 'x');
      while (filler.write(block.data(), static_cast<std::streamsize>(block.size())) &&
             filler.flush()) {
      }
    }
    std::ofstream(dir_ / "filler2", std::ios::binary) << std::string(4096, 'y');
  }
  // Gives back what fill() took.
  void free_space() const {
    fs::remove(dir_ / "filler");
    fs::remove(dir_ / "filler2");
  }

 private:
  fs::path dir_;
  bool mounted_ = false;
  std::string error_;
};

// One datagram to 127.0.0.1:port.
inline void send_udp(uint16_t port, const std::string& payload) {
  int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::sendto(fd, payload.data(), payload.size(), 0, reinterpret_cast<sockaddr*>(&a), sizeof a);
  ::close(fd);
}

}  // namespace ticketd_test
