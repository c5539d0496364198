// Syslog listeners on Boost.Asio: UDP (batched with recvmmsg), TCP and TLS
// (RFC 5425), both with per-frame RFC 6587 framing detection, and RELP
// (rsyslog's omrelp; see relp_framer.hpp).
//
// Listeners parse and hand events to `submit` (the pipeline's bounded queue)
// and never see rules or stores. When the queue is full UDP drops and counts;
// TCP/TLS stop reading until it accepts again, so senders feel backpressure.
// start()/stop() run on the io_context's thread; counters are atomics that
// any thread may read.
//
// Shutdown drains: stop() closes the listening socket, makes every TCP/TLS
// session stop reading, and has each hand every message it already read
// (including an unterminated last line) to `submit`, retrying while the
// queue is full; `on_drained` runs on the io_context once all sessions are
// gone. The sink must keep accepting until then.
//
// RELP acknowledges each "syslog" transaction ("rsp 200 OK") only once its
// event is durable: it hands each event to `acked_sink` with a completion,
// and answers in transaction order. While the queue is full it stops
// reading (the sender's window fills up); a failed commit is answered
// "rsp 500" and the connection closed, so the sender resends everything not
// yet acknowledged. On stop() a RELP session stops reading, waits for the
// answers of what it read, sends "serverclose" and closes.
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
  std::atomic<uint64_t> received{0};  // messages (frames or datagrams)
  std::atomic<uint64_t> parsed{0};
  std::atomic<uint64_t> malformed{0};  // kept as raw events, counted here
  std::atomic<uint64_t> dropped{0};    // UDP: queue full
  std::atomic<uint64_t> truncated{0};  // longer than max_message_bytes
  std::atomic<uint64_t> bytes{0};
  std::atomic<uint64_t> connections{0};          // open now (TCP/TLS)
  std::atomic<uint64_t> connections_refused{0};  // over max_connections, or TLS handshake failures
  std::atomic<uint64_t> kernel_dropped{
      0};  // UDP: datagrams the kernel dropped (receive buffer full)
  std::atomic<uint64_t> accept_errors{0};  // TCP/TLS: failed accept() calls (EMFILE, ...)
  std::atomic<uint64_t> lost_at_stop{0};   // read but not handed on when the process stopped
};

struct SyslogListenerOptions {
  enum class Kind { kUdp, kTcp, kTls, kRelp };
  Kind kind = Kind::kUdp;
  std::string host = "127.0.0.1";
  uint16_t port = 5514;
  size_t max_message_bytes = 64 * 1024;
  size_t max_connections = 1000;
  Duration idle_timeout = std::chrono::minutes(10);
  std::string tls_cert_file;              // PEM certificate chain (kTls)
  std::string tls_key_file;               // PEM private key (kTls)
  size_t max_connections_per_peer = 100;  // per source address; 0 = no limit
  // A new TCP/TLS connection (its TLS handshake included) that sends nothing
  // this long is closed; after the first byte idle_timeout applies.
  Duration first_byte_timeout = std::chrono::seconds(10);
  size_t udp_receive_buffer = 8 * 1024 * 1024;  // SO_RCVBUF asked for (kUdp)
};

// Hands parsed events on: on success it takes (moves) them out of the
// vector; when the queue is full it returns unavailable and leaves them.
using EventSink = std::function<Status(std::vector<Event>&)>;
// Like EventSink, and on success calls `done` (on any thread) once the
// events are durable (ok) or failed; on refusal never calls it.
using AckedEventSink =
    std::function<Status(std::vector<Event>&, std::function<void(const Status&)> done)>;

class SyslogListener {
 public:
  // `acked_sink` is required for Kind::kRelp and unused otherwise.
  SyslogListener(boost::asio::io_context& io, SyslogListenerOptions options, EventSink sink,
                 const Clock& clock, AckedEventSink acked_sink = nullptr);
  ~SyslogListener();

  // Binds and starts; errors name the address.
  Status start();
  // Stops reading (see the header comment); `on_drained` (may be empty) runs
  // on the io_context when every message read has been handed to the sink.
  // Only the first call has an effect.
  void stop(std::function<void()> on_drained = {});
  uint16_t bound_port() const;
  const SyslogStats& stats() const;
  const SyslogListenerOptions& options() const;

  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

const char* syslog_kind_name(SyslogListenerOptions::Kind kind);

}  // namespace ticketd::ingest
