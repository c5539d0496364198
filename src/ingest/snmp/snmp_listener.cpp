#include "ticketd/ingest/snmp_listener.hpp"

#include <spdlog/spdlog.h>

#include <array>
#include <boost/asio.hpp>
#include <mutex>

#include "ticketd/ingest/snmp_event.hpp"
#include "ticketd/net/listen.hpp"

namespace ticketd::ingest {

namespace asio = boost::asio;
using udp = asio::ip::udp;

struct SnmpListener::Impl : std::enable_shared_from_this<SnmpListener::Impl> {
  Impl(asio::io_context& io_ctx, SnmpListenerOptions o, std::shared_ptr<const SnmpTrapDecoder> d,
       std::shared_ptr<const SnmpNames> n, EventSink s, const Clock& c)
      : options(std::move(o)),
        decoder(std::move(d)),
        names(std::move(n)),
        sink(std::move(s)),
        clock(c),
        socket(io_ctx) {}

  std::string where() const {
    return "snmp udp " + options.host + ":" + std::to_string(options.port);
  }

  void wait() {
    socket.async_receive_from(
        asio::buffer(buffer), peer,
        [self = shared_from_this()](const boost::system::error_code& ec, size_t n) {
          if (ec == asio::error::operation_aborted || !self->socket.is_open()) return;
          if (!ec) self->on_datagram(n);
          self->wait();
        });
  }

  void reply(const std::string& bytes) {
    boost::system::error_code ec;
    socket.send_to(asio::buffer(bytes), peer, 0,
                   ec);  // UDP: never blocks long; a failure is the sender's loss
    if (ec)
      spdlog::debug("{}: cannot answer {}: {}", where(), peer.address().to_string(), ec.message());
  }

  void on_datagram(size_t n) {
    ++stats.received;
    const std::string from = peer.address().to_string();
    const SnmpReceived r = decoder->decode(std::string_view(buffer.data(), n), clock.now());
    switch (r.outcome) {
      case SnmpOutcome::kMalformed:
        ++stats.malformed;
        net::warn_once_a_minute(clock, last_malformed,
                                where() + ": malformed datagram from " + from + ": " + r.error);
        return;
      case SnmpOutcome::kAuthFailure:
        ++stats.auth_failures;
        net::warn_once_a_minute(
            clock, last_auth,
            where() + ": authentication failed for a message from " + from + ": " + r.error);
        return;
      case SnmpOutcome::kUnsupported:
        ++stats.unsupported;
        return;
      case SnmpOutcome::kReport:
        ++stats.reports;
        if (!r.reply.empty()) reply(r.reply);
        return;
      case SnmpOutcome::kNotification:
        break;
    }
    if (!r.notification) return;
    std::shared_ptr<const SnmpNames> current;
    {
      std::lock_guard lock(names_mu);
      current = names;
    }
    std::vector<Event> events;
    events.push_back(snmp_to_event(*r.notification, *current, from, clock.now()));
    if (Status s = sink(events); !s) {
      ++stats.dropped;
      net::warn_once_a_minute(clock, last_drop, where() + ": dropping traps: " + s.message());
      return;  // an inform stays unanswered: the sender retries
    }
    ++stats.notifications;
    if (!r.reply.empty()) {
      ++stats.informs;
      reply(r.reply);
    }
  }

  SnmpListenerOptions options;
  std::shared_ptr<const SnmpTrapDecoder> decoder;
  std::mutex names_mu;
  std::shared_ptr<const SnmpNames> names;
  EventSink sink;
  const Clock& clock;
  udp::socket socket;
  udp::endpoint peer;
  std::array<char, 65535> buffer{};
  SnmpStats stats;
  std::atomic<int64_t> last_malformed{0}, last_auth{0}, last_drop{0};
};

SnmpListener::SnmpListener(asio::io_context& io, SnmpListenerOptions options,
                           std::shared_ptr<const SnmpTrapDecoder> decoder,
                           std::shared_ptr<const SnmpNames> names, EventSink sink,
                           const Clock& clock)
    : impl_(std::make_shared<Impl>(io, std::move(options), std::move(decoder), std::move(names),
                                   std::move(sink), clock)) {}

SnmpListener::~SnmpListener() { stop(); }

Status SnmpListener::start() {
  auto& o = impl_->options;
  auto address = net::listen_address(o.host, impl_->where());
  if (!address) return address.error();
  udp::endpoint ep(*address, o.port);
  boost::system::error_code ec;
  auto& s = impl_->socket;
  s.open(ep.protocol(), ec);
  // No SO_REUSEADDR: a second ticketd (or snmptrapd) on the port must fail
  // to start, not silently share the traps.
  if (!ec) {
    boost::system::error_code ignored;  // the kernel may cap it (net.core.rmem_max); not fatal
    s.set_option(asio::socket_base::receive_buffer_size(static_cast<int>(o.udp_receive_buffer)),
                 ignored);
  }
  if (!ec) s.bind(ep, ec);
  if (ec) return Status::io_error("cannot listen on " + impl_->where() + ": " + ec.message());
  impl_->wait();
  return Status::ok();
}

void SnmpListener::stop() {
  boost::system::error_code ec;
  impl_->socket.close(ec);
}

void SnmpListener::set_names(std::shared_ptr<const SnmpNames> names) {
  std::lock_guard lock(impl_->names_mu);
  impl_->names = std::move(names);
}

uint16_t SnmpListener::bound_port() const {
  boost::system::error_code ec;
  auto ep = impl_->socket.local_endpoint(ec);
  return ec ? 0 : ep.port();
}

const SnmpStats& SnmpListener::stats() const { return impl_->stats; }
const SnmpTrapDecoder& SnmpListener::decoder() const { return *impl_->decoder; }

}  // namespace ticketd::ingest
