#include "ingest/syslog/syslog_listener.hpp"

#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>
#include <cerrno>
#include <deque>
#include <filesystem>
#include <optional>

#include "net/listen.hpp"
#include "ticketd/ingest/syslog_framer.hpp"
#include "ticketd/ingest/syslog_parser.hpp"

namespace ticketd::ingest {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using udp = asio::ip::udp;

namespace {

constexpr size_t kUdpBatch = 32;
constexpr size_t kReadChunk = 64 * 1024;
constexpr auto kRetryFull = std::chrono::milliseconds(50);

// Logs a warning at most once a minute per kind, counting the rest.
void rate_limited_warn(std::atomic<int64_t>& last_ms, const std::string& msg) {
  const int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::steady_clock::now().time_since_epoch())
                          .count();
  int64_t prev = last_ms.load();
  if (now - prev < 60'000 || !last_ms.compare_exchange_strong(prev, now)) return;
  spdlog::warn("{}", msg);
}

}  // namespace

const char* syslog_kind_name(SyslogListenerOptions::Kind kind) {
  switch (kind) {
    case SyslogListenerOptions::Kind::kUdp: return "udp";
    case SyslogListenerOptions::Kind::kTcp: return "tcp";
    case SyslogListenerOptions::Kind::kTls: return "tls";
  }
  return "?";
}

struct SyslogListener::Impl : std::enable_shared_from_this<SyslogListener::Impl> {
  Impl(asio::io_context& io_ctx, SyslogListenerOptions o, EventSink s, const Clock& c)
      : io(io_ctx), options(std::move(o)), sink(std::move(s)), clock(c), udp_socket(io_ctx), acceptor(io_ctx),
        tls(ssl::context::tls_server) {}

  asio::io_context& io;
  SyslogListenerOptions options;
  EventSink sink;
  const Clock& clock;
  SyslogStats stats;
  udp::socket udp_socket;
  tcp::acceptor acceptor;
  ssl::context tls;
  bool stopped = false;
  std::atomic<int64_t> last_drop_warning{0};
  std::atomic<int64_t> last_malformed_warning{0};
  // UDP receive buffers, reused.
  std::vector<std::vector<char>> buffers;
  std::vector<mmsghdr> headers;
  std::vector<iovec> iovecs;
  std::vector<sockaddr_storage> addrs;

  std::string where() const {
    return std::string("syslog ") + syslog_kind_name(options.kind) + " " + options.host + ":" + std::to_string(options.port);
  }

  Event parse(std::string_view msg, const std::string& peer) {
    ++stats.received;
    stats.bytes += msg.size();
    SyslogParse p = parse_syslog(msg, peer, clock.now());
    if (p.malformed) {
      ++stats.malformed;
      rate_limited_warn(last_malformed_warning, where() + ": malformed message from " + peer + ": " + p.error);
    } else {
      ++stats.parsed;
    }
    return std::move(p.event);
  }

  // ---- UDP ----
  void udp_wait() {
    udp_socket.async_wait(udp::socket::wait_read, [self = shared_from_this()](const boost::system::error_code& ec) {
      if (ec || self->stopped) return;
      self->udp_drain();
      self->udp_wait();
    });
  }

  void udp_drain() {
    const int fd = udp_socket.native_handle();
    for (int round = 0; round < 64; ++round) {  // then yield to other handlers
      for (size_t i = 0; i < kUdpBatch; ++i) {
        iovecs[i] = {buffers[i].data(), buffers[i].size()};
        headers[i] = {};
        headers[i].msg_hdr.msg_iov = &iovecs[i];
        headers[i].msg_hdr.msg_iovlen = 1;
        headers[i].msg_hdr.msg_name = &addrs[i];
        headers[i].msg_hdr.msg_namelen = sizeof(sockaddr_storage);
      }
      int n = ::recvmmsg(fd, headers.data(), kUdpBatch, MSG_DONTWAIT, nullptr);
      if (n <= 0) return;  // EAGAIN: drained
      std::vector<Event> events;
      events.reserve(static_cast<size_t>(n));
      for (int i = 0; i < n; ++i) {
        const auto& h = headers[static_cast<size_t>(i)];
        size_t len = h.msg_len;
        if (h.msg_hdr.msg_flags & MSG_TRUNC) ++stats.truncated;
        udp::endpoint peer;
        std::memcpy(peer.data(), &addrs[static_cast<size_t>(i)], std::min<size_t>(h.msg_hdr.msg_namelen, sizeof(sockaddr_storage)));
        events.push_back(parse(std::string_view(buffers[static_cast<size_t>(i)].data(), len), peer.address().to_string()));
      }
      const size_t count = events.size();
      if (Status s = sink(events); !s) {
        stats.dropped += count;
        rate_limited_warn(last_drop_warning, where() + ": dropping messages: " + s.message());
      }
      if (static_cast<size_t>(n) < kUdpBatch) return;
    }
  }

  // ---- TCP / TLS ----
  template <typename Stream>
  class Session : public std::enable_shared_from_this<Session<Stream>> {
   public:
    Session(std::shared_ptr<Impl> owner, Stream stream, std::string peer)
        : owner_(std::move(owner)), stream_(std::move(stream)), peer_(std::move(peer)),
          framer_(owner_->options.max_message_bytes), retry_(stream_.get_executor()) {
      ++owner_->stats.connections;
      buf_.resize(kReadChunk);
    }
    ~Session() { --owner_->stats.connections; }

    void start() {
      if constexpr (std::is_same_v<Stream, beast::ssl_stream<beast::tcp_stream>>) {
        beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds(30));
        stream_.async_handshake(ssl::stream_base::server, [self = this->shared_from_this()](beast::error_code ec) {
          if (ec) {
            ++self->owner_->stats.connections_refused;
            spdlog::warn("{}: TLS handshake with {} failed: {}", self->owner_->where(), self->peer_, ec.message());
            return;
          }
          self->read();
        });
      } else {
        read();
      }
    }

   private:
    void read() {
      beast::get_lowest_layer(stream_).expires_after(owner_->options.idle_timeout);
      stream_.async_read_some(asio::buffer(buf_), [self = this->shared_from_this()](beast::error_code ec, size_t n) {
        self->on_read(ec, n);
      });
    }

    void on_read(beast::error_code ec, size_t n) {
      if (n > 0) {
        const uint64_t cut_before = framer_.truncated();
        framer_.feed(std::string_view(buf_.data(), n), [&](std::string_view frame, bool) {
          pending_.push_back(owner_->parse(frame, peer_));
        });
        owner_->stats.truncated += framer_.truncated() - cut_before;
      }
      if (ec) {
        // Connection over (EOF, reset, idle timeout): the unterminated rest
        // is a message too.
        framer_.finish([&](std::string_view frame, bool) { pending_.push_back(owner_->parse(frame, peer_)); });
        closing_ = true;
        if (ec != asio::error::eof && ec != beast::error::timeout && ec != asio::error::operation_aborted &&
            ec != ssl::error::stream_truncated) {
          spdlog::debug("{}: connection from {} ended: {}", owner_->where(), peer_, ec.message());
        }
      }
      deliver();
    }

    // Hands pending events to the queue; while it is full, stop reading and
    // retry shortly: TCP flow control pushes back on the sender.
    void deliver() {
      if (!pending_.empty()) {
        Status s = owner_->sink(pending_);  // takes the events only when accepted
        if (!s) {
          retry_.expires_after(kRetryFull);
          retry_.async_wait([self = this->shared_from_this()](const boost::system::error_code& e) {
            if (!e && !self->owner_->stopped) self->deliver();
          });
          return;
        }
        pending_.clear();
      }
      if (!closing_ && !owner_->stopped) read();
    }

    std::shared_ptr<Impl> owner_;
    Stream stream_;
    std::string peer_;
    SyslogFramer framer_;
    asio::steady_timer retry_;
    std::vector<char> buf_;
    std::vector<Event> pending_;
    bool closing_ = false;
  };

  void accept() {
    acceptor.async_accept(asio::make_strand(io), [self = shared_from_this()](beast::error_code ec, tcp::socket socket) {
      if (ec == asio::error::operation_aborted || self->stopped) return;
      if (!ec) self->admit(std::move(socket));
      self->accept();
    });
  }

  void admit(tcp::socket socket) {
    beast::error_code ec;
    auto ep = socket.remote_endpoint(ec);
    std::string peer = ec ? "unknown" : ep.address().to_string();
    if (stats.connections >= options.max_connections) {
      ++stats.connections_refused;
      rate_limited_warn(last_drop_warning, where() + ": refusing " + peer + ": " +
                                               std::to_string(options.max_connections) + " connections open");
      socket.close(ec);
      return;
    }
    if (options.kind == SyslogListenerOptions::Kind::kTls) {
      using S = beast::ssl_stream<beast::tcp_stream>;
      std::make_shared<Session<S>>(shared_from_this(), S(beast::tcp_stream(std::move(socket)), tls), peer)->start();
    } else {
      std::make_shared<Session<beast::tcp_stream>>(shared_from_this(), beast::tcp_stream(std::move(socket)), peer)->start();
    }
  }
};

SyslogListener::SyslogListener(asio::io_context& io, SyslogListenerOptions options, EventSink sink, const Clock& clock)
    : impl_(std::make_shared<Impl>(io, std::move(options), std::move(sink), clock)) {}

SyslogListener::~SyslogListener() { stop(); }

const SyslogStats& SyslogListener::stats() const { return impl_->stats; }
const SyslogListenerOptions& SyslogListener::options() const { return impl_->options; }

Status SyslogListener::start() {
  auto& o = impl_->options;
  beast::error_code ec;
  auto address = net::listen_address(o.host, impl_->where());
  if (!address) return address.error();
  const auto addr = *address;
  if (o.kind == SyslogListenerOptions::Kind::kUdp) {
    udp::endpoint ep(addr, o.port);
    auto& s = impl_->udp_socket;
    s.open(ep.protocol(), ec);
    if (!ec) s.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) s.set_option(asio::socket_base::receive_buffer_size(4 * 1024 * 1024), ec);
    ec.clear();  // a smaller kernel limit is fine
    s.bind(ep, ec);
    if (!ec) s.non_blocking(true, ec);
    if (ec) return Status::io_error("cannot listen on " + impl_->where() + ": " + ec.message());
    const size_t size = std::min<size_t>(o.max_message_bytes, 65535);
    impl_->buffers.assign(kUdpBatch, std::vector<char>(size));
    impl_->headers.resize(kUdpBatch);
    impl_->iovecs.resize(kUdpBatch);
    impl_->addrs.resize(kUdpBatch);
    impl_->udp_wait();
    return Status::ok();
  }
  if (o.kind == SyslogListenerOptions::Kind::kTls) {
    for (const auto& f : {o.tls_cert_file, o.tls_key_file}) {
      std::error_code fec;
      if (!std::filesystem::is_regular_file(f, fec)) {
        return Status::invalid_argument(impl_->where() + ": cannot read " + f + ": no such file");
      }
    }
    auto& ctx = impl_->tls;
    ctx.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                    ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 | ssl::context::single_dh_use);
    ctx.use_certificate_chain_file(o.tls_cert_file, ec);
    if (ec) return Status::invalid_argument(impl_->where() + ": cannot load certificate " + o.tls_cert_file + ": " + ec.message());
    ctx.use_private_key_file(o.tls_key_file, ssl::context::pem, ec);
    if (ec) return Status::invalid_argument(impl_->where() + ": cannot load key " + o.tls_key_file + ": " + ec.message());
  }
  if (Status s = net::listen_tcp(impl_->acceptor, tcp::endpoint(addr, o.port), impl_->where()); !s) return s;
  impl_->accept();
  return Status::ok();
}

void SyslogListener::stop() {
  if (!impl_ || impl_->stopped) return;
  impl_->stopped = true;
  beast::error_code ec;
  impl_->acceptor.close(ec);
  impl_->udp_socket.close(ec);
}

uint16_t SyslogListener::bound_port() const {
  beast::error_code ec;
  if (impl_->options.kind == SyslogListenerOptions::Kind::kUdp) {
    auto ep = impl_->udp_socket.local_endpoint(ec);
    return ec ? 0 : ep.port();
  }
  auto ep = impl_->acceptor.local_endpoint(ec);
  return ec ? 0 : ep.port();
}

}  // namespace ticketd::ingest
