// SnmpListener: SNMP traps and informs on UDP (Boost.Asio), v1, v2c and v3.
//
// Each datagram is decoded by the SnmpTrapDecoder (communities, USM users),
// turned into an Event with the SnmpNames in force, and handed to `sink`
// (the pipeline's bounded queue). An InformRequest is answered with its
// Response only once the sink took the event; when the queue is full the
// inform is left unanswered (the sender retries) and a trap is dropped and
// counted. SNMPv3 discovery and time-window Reports are sent as the decoder
// produces them. Authentication failures are counted and logged with the
// peer at most once a minute; nothing secret is logged.
// start()/stop() run on the io_context's thread; set_names() and the
// counters are thread-safe.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "ticketd/core/clock.hpp"
#include "ticketd/core/status.hpp"
#include "ticketd/ingest/snmp_names.hpp"
#include "ticketd/ingest/snmp_trap_decoder.hpp"
#include "ticketd/ingest/syslog_listener.hpp"  // EventSink

namespace boost::asio {
class io_context;
}

namespace ticketd::ingest {

struct SnmpListenerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 1162;
  size_t udp_receive_buffer = 4 * 1024 * 1024;  // SO_RCVBUF asked for
};

struct SnmpStats {
  std::atomic<uint64_t> received{0};       // datagrams
  std::atomic<uint64_t> notifications{0};  // traps and informs decoded and handed on
  std::atomic<uint64_t> informs{0};        // of which informs (answered)
  std::atomic<uint64_t> malformed{0};      // not SNMP, or broken BER
  std::atomic<uint64_t> auth_failures{0};  // unknown community or user, wrong digest, undecryptable
  std::atomic<uint64_t> unsupported{0};    // other PDUs (get, set...), ignored
  std::atomic<uint64_t> reports{0};        // v3 discovery / time-window reports sent
  std::atomic<uint64_t> dropped{0};        // queue full
};

class SnmpListener {
 public:
  SnmpListener(boost::asio::io_context& io, SnmpListenerOptions options,
               std::shared_ptr<const SnmpTrapDecoder> decoder,
               std::shared_ptr<const SnmpNames> names, EventSink sink, const Clock& clock);
  ~SnmpListener();

  // Binds and starts; errors name the address.
  Status start();
  // Closes the socket; datagrams not yet read stay in the kernel.
  void stop();
  // Swaps the MIB names (rules reload); takes effect with the next datagram.
  void set_names(std::shared_ptr<const SnmpNames> names);
  uint16_t bound_port() const;
  const SnmpStats& stats() const;
  const SnmpTrapDecoder& decoder() const;

  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace ticketd::ingest
