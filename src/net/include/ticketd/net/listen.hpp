// Listening sockets shared by the HTTP server and the syslog listeners.
// Asio inside: include only from .cpp files that already use Asio.
#pragma once

#include <spdlog/spdlog.h>

#include <atomic>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <string>

#include "ticketd/core/clock.hpp"
#include "ticketd/core/status.hpp"

namespace ticketd::net {

// "localhost" or a literal IPv4/IPv6 address.
inline Result<boost::asio::ip::address> listen_address(const std::string& host,
                                                       const std::string& where) {
  boost::system::error_code ec;
  auto addr = boost::asio::ip::make_address(host == "localhost" ? "127.0.0.1" : host, ec);
  if (ec)
    return Status::invalid_argument(where + ": invalid listen address \"" + host +
                                    "\": " + ec.message());
  return addr;
}

// open + reuse_address + bind + listen, with one error naming `where`.
inline Status listen_tcp(boost::asio::ip::tcp::acceptor& acceptor,
                         const boost::asio::ip::tcp::endpoint& ep, const std::string& where) {
  boost::system::error_code ec;
  acceptor.open(ep.protocol(), ec);
  if (!ec) acceptor.set_option(boost::asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(ep, ec);
  if (!ec) acceptor.listen(boost::asio::socket_base::max_listen_connections, ec);
  if (ec) return Status::io_error("cannot listen on " + where + ": " + ec.message());
  return Status::ok();
}

// Pause before the next accept() after a failure. EMFILE/ENFILE leave the
// connection in the backlog, so retrying at once would spin on it.
inline constexpr auto kAcceptBackoff = std::chrono::milliseconds(100);
// At most one "accept failed" log line per listener this often.
inline constexpr auto kAcceptLogInterval = std::chrono::seconds(10);

// Logs `msg` as a warning unless this kind of warning (`last_ms`, starting
// at 0) was logged within the last minute by `clock`: a flood of bad input
// cannot fill the log. Thread-safe.
inline void warn_once_a_minute(const Clock& clock, std::atomic<int64_t>& last_ms,
                               const std::string& msg) {
  const int64_t now = clock.monotonic_ns() / 1'000'000 + 60'000;  // the first warning always shows
  int64_t prev = last_ms.load();
  if (now - prev < 60'000 || !last_ms.compare_exchange_strong(prev, now)) return;
  spdlog::warn("{}", msg);
}

// Counts accept() failures of one listener and logs them rate-limited: the
// first failure, then at most one line per kAcceptLogInterval with the
// number of failures since the last line. Thread-safe.
class AcceptErrors {
 public:
  explicit AcceptErrors(const Clock& clock) : clock_(clock) {}
  void record(const std::string& where, const boost::system::error_code& ec) {
    ++total_;
    ++since_log_;
    const int64_t now = clock_.monotonic_ns() / 1'000'000 + 1;  // 0 means "never logged"
    int64_t prev = last_log_ms_.load();
    const int64_t interval =
        std::chrono::duration_cast<std::chrono::milliseconds>(kAcceptLogInterval).count();
    if (prev != 0 && now - prev < interval) return;
    if (!last_log_ms_.compare_exchange_strong(prev, now)) return;
    const uint64_t n = since_log_.exchange(0);
    spdlog::warn("{}: accept failed: {} ({} failure{} since the last report; retrying every {} ms)",
                 where, ec.message(), n, n == 1 ? "" : "s",
                 std::chrono::duration_cast<std::chrono::milliseconds>(kAcceptBackoff).count());
  }
  uint64_t total() const { return total_.load(); }

 private:
  const Clock& clock_;
  std::atomic<uint64_t> total_{0};
  std::atomic<uint64_t> since_log_{0};
  std::atomic<int64_t> last_log_ms_{0};
};

}  // namespace ticketd::net
