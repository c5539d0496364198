// A raw RELP client for the integration tests, and a RELP sender under load
// that resends what was not acknowledged, as a RELP sender does. Not
// thread-safe: one thread per client.
#pragma once
#include <deque>
#include <map>
#include <optional>
#include <set>

#include "harness.hpp"

namespace ticketd_test {

// Enables listen.syslog_relp on a free port; returns the port.
inline uint16_t enable_relp(Daemon& d) {
  const uint16_t port = free_port();
  edit_config(d, "snmp: \"", "syslog_relp: \"127.0.0.1:" + std::to_string(port) + "\", snmp: \"");
  return port;
}

struct Frame {
  uint64_t txnr = 0;
  std::string command;
  std::string data;
};

// A minimal RELP client: writes frames, reads the daemon's.
class RelpClient {
 public:
  explicit RelpClient(uint16_t port) : fd_(connect_tcp(port)) {}
  ~RelpClient() {
    if (fd_ >= 0) ::close(fd_);
  }
  RelpClient(const RelpClient&) = delete;
  RelpClient& operator=(const RelpClient&) = delete;
  bool connected() const { return fd_ >= 0; }

  // False when the connection failed (the daemon closed or reset it).
  bool try_send_raw(const std::string& bytes) {
    size_t off = 0;
    while (off < bytes.size()) {
      const ssize_t n = ::send(fd_, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
      if (n <= 0) return false;
      off += static_cast<size_t>(n);
    }
    return true;
  }
  void send_raw(const std::string& bytes) {
    ASSERT_EQ(::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL),
              static_cast<ssize_t>(bytes.size()));
  }
  static std::string frame(uint64_t txnr, const std::string& command, const std::string& data) {
    std::string f = std::to_string(txnr) + " " + command + " " + std::to_string(data.size());
    if (!data.empty()) f += " " + data;
    return f + "\n";
  }
  void send(uint64_t txnr, const std::string& command, const std::string& data) {
    send_raw(frame(txnr, command, data));
  }

  // The next frame; nullopt on EOF, reset or the 5 s receive timeout
  // (timed_out() tells the last apart: the connection is still good).
  std::optional<Frame> next() {
    timed_out_ = false;
    while (true) {
      if (auto f = parse()) return f;
      char tmp[4096];
      ssize_t n = ::recv(fd_, tmp, sizeof tmp, 0);
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) timed_out_ = true;
      if (n <= 0) return std::nullopt;
      buf_.append(tmp, static_cast<size_t>(n));
    }
  }
  bool timed_out() const { return timed_out_; }

 private:
  std::optional<Frame> parse() {
    const size_t s1 = buf_.find(' ');
    if (s1 == std::string::npos) return std::nullopt;
    const size_t s2 = buf_.find(' ', s1 + 1);
    if (s2 == std::string::npos) return std::nullopt;
    size_t end_len = s2 + 1;
    while (end_len < buf_.size() && std::isdigit(static_cast<unsigned char>(buf_[end_len])))
      ++end_len;
    if (end_len == buf_.size()) return std::nullopt;
    Frame f;
    f.txnr = std::stoull(buf_.substr(0, s1));
    f.command = buf_.substr(s1 + 1, s2 - s1 - 1);
    const size_t len = std::stoull(buf_.substr(s2 + 1, end_len - s2 - 1));
    size_t data_at = end_len;
    if (len > 0) ++data_at;  // the SP before DATA
    if (buf_.size() < data_at + len + 1) return std::nullopt;
    f.data = buf_.substr(data_at, len);
    EXPECT_EQ(buf_[data_at + len], '\n');
    buf_.erase(0, data_at + len + 1);
    return f;
  }

  int fd_;
  std::string buf_;
  bool timed_out_ = false;
};

inline const std::string kRelpOffers =
    "relp_version=0\nrelp_software=librelp,1.11.0,https://www.rsyslog.com\ncommands=syslog";

// What a RelpLoadSender saw.
struct RelpLoadResult {
  std::set<std::string> sent;   // every distinct message offered
  std::set<std::string> acked;  // answered "200 OK"
  int not_stored = 0;           // "500 not stored" answers (each message resent)
  int unanswered = 0;           // in flight when a connection ended (each resent)
  int connections = 0;
  std::vector<std::string> errors;  // anything a RELP sender must never see
};

// Sends "<12>Dec  2 13:00:00 <host> relpload: <prefix>-N" over RELP, up to
// `window` transactions in flight in one write, until `stop` is set; then
// keeps resending until everything sent is acknowledged (or `drain` passed).
// A message answered 500 (the daemon then closes the connection) or left
// unanswered when the connection ends is resent on a new connection with the
// same text (RELP is at-least-once).
inline RelpLoadResult run_relp_sender(uint16_t port, const std::string& host,
                                      const std::string& prefix, const std::atomic<bool>& stop,
                                      std::chrono::seconds drain = std::chrono::seconds(60),
                                      size_t window = 16) {
  RelpLoadResult out;
  std::deque<std::string> resend;
  int next = 0;
  std::chrono::steady_clock::time_point drain_until{};
  auto past_drain = [&] {
    if (!stop) return false;
    const auto now = std::chrono::steady_clock::now();
    if (drain_until == std::chrono::steady_clock::time_point{}) drain_until = now + drain;
    return now > drain_until;
  };
  while (!past_drain()) {
    if (stop && resend.empty()) break;
    RelpClient c(port);
    if (!c.connected() || !c.try_send_raw(RelpClient::frame(1, "open", kRelpOffers))) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      continue;
    }
    auto open = c.next();
    if (!open || open->data.rfind("200 OK", 0) != 0) {
      if (open) out.errors.push_back("open answered " + open->data);
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      continue;
    }
    ++out.connections;
    uint64_t txnr = 2;
    bool alive = true;
    while (alive && !past_drain()) {
      std::map<uint64_t, std::string> in_flight;
      std::string burst;
      while (in_flight.size() < window) {
        std::string msg;
        if (!resend.empty()) {
          msg = resend.front();
          resend.pop_front();
        } else if (!stop) {
          msg = prefix + "-" + std::to_string(next++);
          out.sent.insert(msg);
        } else {
          break;
        }
        burst +=
            RelpClient::frame(txnr, "syslog", "<12>Dec  2 13:00:00 " + host + " relpload: " + msg);
        in_flight.emplace(txnr++, msg);
      }
      if (in_flight.empty()) {  // stopped, everything acknowledged
        if (c.try_send_raw(RelpClient::frame(txnr, "close", ""))) c.next();
        return out;
      }
      alive = c.try_send_raw(burst);
      bool refused = false;
      // Answers may be held while the store cannot commit: wait through
      // receive timeouts, not through a closed connection.
      while (alive && !in_flight.empty()) {
        auto f = c.next();
        if (!f) {
          alive = c.timed_out() && !past_drain();
          continue;
        }
        if (f->command == "serverclose") {
          out.errors.push_back("serverclose");
          alive = false;
          continue;
        }
        const auto it = in_flight.find(f->txnr);
        if (f->command != "rsp" || it == in_flight.end()) {
          out.errors.push_back("unexpected " + f->command + " txnr " + std::to_string(f->txnr));
          continue;
        }
        if (f->data == "200 OK") {
          out.acked.insert(it->second);
        } else if (f->data.rfind("500 not stored", 0) == 0) {
          ++out.not_stored;
          resend.push_back(it->second);
          refused = true;  // the daemon closes after it: reconnect once all is answered
        } else {
          out.errors.push_back("answer " + f->data);
          resend.push_back(it->second);
        }
        in_flight.erase(it);
      }
      if (refused) alive = false;
      out.unanswered += static_cast<int>(in_flight.size());
      for (const auto& [t, msg] : in_flight) resend.push_back(msg);
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  }
  return out;
}

}  // namespace ticketd_test
