// Syslog listeners on Boost.Asio: UDP (batched with recvmmsg), TCP and TLS
// (RFC 5425), both with per-frame RFC 6587 framing detection.
//
// Listeners parse and hand events to `submit` (the pipeline's bounded queue)
// and never see rules or stores. When the queue is full UDP drops and counts;
// TCP/TLS stop reading until it accepts again, so senders feel backpressure.
// start()/stop() run on the io_context's thread; counters are atomics that
// any thread may read.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "ticketd/core/clock.hpp"
#include "ticketd/core/event.hpp"
#include "ticketd/core/status.hpp"

namespace boost::asio {
class io_context;
}

namespace ticketd::ingest {

struct SyslogStats {
  std::atomic<uint64_t> received{0};   // messages (frames or datagrams)
  std::atomic<uint64_t> parsed{0};
  std::atomic<uint64_t> malformed{0};  // kept as raw events, counted here
  std::atomic<uint64_t> dropped{0};    // UDP: queue full
  std::atomic<uint64_t> truncated{0};  // longer than max_message_bytes
  std::atomic<uint64_t> bytes{0};
  std::atomic<uint64_t> connections{0};          // open now (TCP/TLS)
  std::atomic<uint64_t> connections_refused{0};  // over max_connections, or TLS handshake failures
};

struct SyslogListenerOptions {
  enum class Kind { kUdp, kTcp, kTls };
  Kind kind = Kind::kUdp;
  std::string host = "127.0.0.1";
  uint16_t port = 5514;
  size_t max_message_bytes = 64 * 1024;
  size_t max_connections = 1000;
  Duration idle_timeout = std::chrono::minutes(10);
  std::string tls_cert_file;  // PEM certificate chain (kTls)
  std::string tls_key_file;   // PEM private key (kTls)
};

// Hands parsed events on: on success it takes (moves) them out of the
// vector; when the queue is full it returns unavailable and leaves them.
using EventSink = std::function<Status(std::vector<Event>&)>;

class SyslogListener {
 public:
  SyslogListener(boost::asio::io_context& io, SyslogListenerOptions options, EventSink sink, const Clock& clock);
  ~SyslogListener();

  // Binds and starts; errors name the address.
  Status start();
  void stop();
  uint16_t bound_port() const;
  const SyslogStats& stats() const;
  const SyslogListenerOptions& options() const;

  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

const char* syslog_kind_name(SyslogListenerOptions::Kind kind);

}  // namespace ticketd::ingest
