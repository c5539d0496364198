#include "ticketd/api/http_server.hpp"

#include <openssl/ssl.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <filesystem>
#include <mutex>
#include <optional>
#include <type_traits>

#include "ticketd/api/http_types.hpp"
#include "ticketd/api/routes.hpp"
#include "ticketd/net/listen.hpp"
#include "ticketd/net/peer_limiter.hpp"

namespace ticketd::api {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;

// TLS 1.2 suites: forward secrecy (ECDHE) with an AEAD cipher only. TLS 1.3
// suites are all of that kind and keep OpenSSL's defaults.
constexpr const char* kTls12Ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";
constexpr auto kTlsShutdownTimeout = std::chrono::seconds(1);

constexpr size_t kHeaderLimit = 16 * 1024;
constexpr size_t kDrainLimit = 64 * 1024 * 1024;
constexpr size_t kDrainChunk = 16 * 1024;
constexpr auto kDrainTimeout = std::chrono::seconds(5);

struct Shared {
  Shared(Router& r, HttpServerOptions o)
      : router(r),
        options(std::move(o)),
        peers(options.max_connections_per_peer),
        bodies(options.max_inflight_body_bytes) {}
  Router& router;
  HttpServerOptions options;

  // Requests handed to the router whose answer is not yet written. Once
  // stop() was called, on_idle runs (once) when it reaches zero.
  std::atomic<size_t> in_flight{0};
  std::atomic<bool> stopping{false};
  std::mutex idle_mu;
  std::function<void()> on_idle;
  void request_done() {
    if (--in_flight == 0) notify_if_idle();
  }
  void notify_if_idle() {
    std::function<void()> idle;
    {
      std::lock_guard lock(idle_mu);
      if (in_flight.load() == 0 && on_idle) idle = std::exchange(on_idle, nullptr);
    }
    if (idle) idle();
  }
  net::PeerLimiter peers;
  net::ByteBudget bodies;  // body bytes reserved by sessions reading or handling a request
  HttpServerStats stats;
  // Set by start() when options.tls_cert_file is; sessions then speak HTTPS.
  std::unique_ptr<ssl::context> tls;
};

// Builds the server's TLS context: TLS 1.2 at least, ECDHE + AEAD suites for
// TLS 1.2, no compression, no renegotiation, the server's suite order.
Result<std::unique_ptr<ssl::context>> make_tls_context(const HttpServerOptions& o,
                                                       const std::string& where) {
  for (const auto& f : {o.tls_cert_file, o.tls_key_file}) {
    std::error_code fec;
    if (!std::filesystem::is_regular_file(f, fec))
      return Status::invalid_argument(where + ": cannot read " + f + ": no such file");
  }
  auto ctx = std::make_unique<ssl::context>(ssl::context::tls_server);
  ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                   ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 |
                   ssl::context::single_dh_use | ssl::context::no_compression);
  SSL_CTX* native = ctx->native_handle();
  SSL_CTX_set_options(native, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  if (SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION) != 1 ||
      SSL_CTX_set_cipher_list(native, kTls12Ciphers) != 1)
    return Status::internal(where + ": cannot configure TLS");
  beast::error_code ec;
  ctx->use_certificate_chain_file(o.tls_cert_file, ec);
  if (ec)
    return Status::invalid_argument(where + ": cannot load certificate " + o.tls_cert_file + ": " +
                                    ec.message());
  ctx->use_private_key_file(o.tls_key_file, ssl::context::pem, ec);
  if (ec)
    return Status::invalid_argument(where + ": cannot load key " + o.tls_key_file + ": " +
                                    ec.message());
  if (SSL_CTX_check_private_key(native) != 1)
    return Status::invalid_argument(where + ": key " + o.tls_key_file +
                                    " does not match certificate " + o.tls_cert_file);
  return ctx;
}

// One connection, over a plain `beast::tcp_stream` or a
// `beast::ssl_stream<beast::tcp_stream>` (HTTPS: handshake first).
template <class Stream>
class Session : public std::enable_shared_from_this<Session<Stream>> {
  static constexpr bool kTls = std::is_same_v<Stream, TlsStream>;

 public:
  template <class... StreamArgs>
  explicit Session(std::shared_ptr<Shared> shared, StreamArgs&&... args)
      : stream_(std::forward<StreamArgs>(args)...), shared_(std::move(shared)) {
    ++shared_->stats.connections;
    beast::error_code ec;
    auto ep = lowest().socket().remote_endpoint(ec);
    if (!ec) {
      peer_ip_ = ep.address().to_string();
      peer_ = peer_ip_ + ":" + std::to_string(ep.port());
    }
  }
  ~Session() {
    release_body();
    if (peer_held_) shared_->peers.release(peer_ip_);
    --shared_->stats.connections;
  }

  // Takes one of the peer's connection slots; false when it has none left.
  bool hold_peer() {
    peer_held_ = shared_->peers.try_acquire(peer_ip_);
    return peer_held_;
  }
  const std::string& peer_ip() const { return peer_ip_; }

  void run() {
    asio::dispatch(stream_.get_executor(),
                   beast::bind_front_handler(&Session::handshake, this->shared_from_this()));
  }

  // Answers and closes at once (connection limit); over TLS after the handshake.
  void refuse(HttpResponse r) {
    close_after_write_ = true;
    refusal_ = std::move(r);
    run();
  }

 private:
  beast::tcp_stream& lowest() { return beast::get_lowest_layer(stream_); }

  // TLS: the handshake, under the header deadline; then the first read.
  void handshake() {
    if constexpr (kTls) {
      const auto& o = shared_->options;
      lowest().expires_after(std::min(o.header_timeout, o.read_timeout));
      stream_.async_handshake(
          ssl::stream_base::server, [self = this->shared_from_this()](beast::error_code ec) {
            if (ec) {
              // No secrets here: the peer and OpenSSL's reason.
              spdlog::debug("http: TLS handshake with {} failed: {}", self->peer_, ec.message());
              return self->close();
            }
            self->handshaken_ = true;
            self->start();
          });
    } else {
      start();
    }
  }

  void start() {
    if (refusal_) {
      HttpResponse r = std::move(*refusal_);
      refusal_.reset();
      return write(std::move(r));
    }
    read();
  }

  // Reads the next request's header only; the body waits for on_header.
  void read() {
    release_body();
    parser_.emplace();
    parser_->body_limit(shared_->options.max_body_bytes);
    parser_->header_limit(kHeaderLimit);
    // A fresh connection must send its header soon (slow or silent clients
    // would hold a slot); a kept-alive one may idle up to read_timeout.
    const auto& o = shared_->options;
    lowest().expires_after(first_request_ ? std::min(o.header_timeout, o.read_timeout)
                                          : o.read_timeout);
    http::async_read_header(
        stream_, buffer_, *parser_,
        beast::bind_front_handler(&Session::on_header, this->shared_from_this()));
  }

  // Returns true when `ec` ended the session (closed or answered).
  bool failed(beast::error_code ec) {
    if (!ec) return false;
    if (ec == http::error::end_of_stream || ec == asio::error::operation_aborted ||
        ec == beast::error::timeout || ec == asio::error::connection_reset ||
        ec == asio::error::eof || ec == ssl::error::stream_truncated) {
      close();
      return true;
    }
    if (ec == http::error::body_limit) {
      spdlog::warn("http: {} sent a body over the {} byte limit", peer_,
                   shared_->options.max_body_bytes);
      refuse_before_body(error_response(413, "payload_too_large",
                                        "request body exceeds the limit of " +
                                            std::to_string(shared_->options.max_body_bytes) +
                                            " bytes"));
      return true;
    }
    spdlog::warn("http: bad request from {}: {}", peer_, ec.message());
    close_after_write_ = true;
    write(error_response(400, "bad_request", "malformed HTTP request: " + ec.message()));
    return true;
  }

  // The request as a plain value; the body is taken only once it is read.
  HttpRequest request(bool with_body) {
    auto& msg = parser_->get();
    HttpRequest req;
    req.method = std::string(msg.method_string());
    split_target(std::string(msg.target()), req.path, req.query);
    for (const auto& field : msg) {
      std::string name(field.name_string());
      for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      req.headers[name] = std::string(field.value());
    }
    if (with_body) req.body = std::move(msg.body());
    req.peer = peer_;
    if (req.method == "HEAD") req.method = "GET";
    return req;
  }

  // Header read: authenticate and admit the body before buffering it.
  void on_header(beast::error_code ec, size_t) {
    first_request_ = false;
    if (failed(ec)) return;
    keep_alive_ = parser_->get().keep_alive();
    if (shared_->stopping) {  // a kept-alive connection asking after stop()
      HttpResponse r = error_response(503, "unavailable", "ticketd is stopping");
      r.headers.emplace_back("Retry-After", "1");
      return refuse_before_body(std::move(r));
    }
    if (auto deny = shared_->router.admit(request(false)))
      return refuse_before_body(std::move(*deny));
    const size_t limit = shared_->options.max_body_bytes;
    const auto length = parser_->content_length();
    if (length && *length > limit) {
      spdlog::warn("http: {} announced a body of {} bytes, over the {} byte limit", peer_, *length,
                   limit);
      return refuse_before_body(
          error_response(413, "payload_too_large",
                         "request body exceeds the limit of " + std::to_string(limit) + " bytes"));
    }
    const size_t need = length ? static_cast<size_t>(*length)
                               : (parser_->is_done() ? 0 : limit);  // chunked: the cap
    if (need > 0) {
      if (!shared_->bodies.try_reserve(need)) {
        ++shared_->stats.busy_refused;
        HttpResponse r = error_response(
            503, "unavailable",
            "too many request bodies in flight (http.max_inflight_body_bytes); retry later");
        r.headers.emplace_back("Retry-After", "1");
        return refuse_before_body(std::move(r));
      }
      reserved_ = need;
    }
    const auto& msg = parser_->get();
    auto expect = msg.find(http::field::expect);
    if (expect != msg.end() && beast::iequals(expect->value(), "100-continue") &&
        !parser_->is_done()) {
      // The client waits for this before sending the body.
      continue_ = std::make_shared<http::response<http::empty_body>>(http::status::continue_, 11);
      lowest().expires_after(shared_->options.read_timeout);
      return http::async_write(stream_, *continue_,
                               [self = this->shared_from_this()](beast::error_code e, size_t) {
                                 self->continue_.reset();
                                 if (e) return self->close();
                                 self->read_body();
                               });
    }
    read_body();
  }

  void read_body() {
    lowest().expires_after(shared_->options.read_timeout);
    http::async_read(stream_, buffer_, *parser_,
                     beast::bind_front_handler(&Session::on_read, this->shared_from_this()));
  }

  void on_read(beast::error_code ec, size_t) {
    if (failed(ec)) return;
    HttpRequest req = request(true);
    const bool head = parser_->get().method() == http::verb::head;
    lowest().expires_never();
    handling_ = true;
    ++shared_->in_flight;
    shared_->router.handle(std::move(req), [self = this->shared_from_this(), head](HttpResponse r) {
      if (head) r.body.clear();
      asio::post(self->stream_.get_executor(),
                 [self, r = std::move(r)]() mutable { self->write(std::move(r)); });
    });
  }

  // Answers without reading the body, then closes (after a bounded drain of
  // what the client still sends, so it reads the answer instead of a reset).
  void refuse_before_body(HttpResponse r) {
    close_after_write_ = true;
    drain_after_write_ = !parser_->is_done();
    write(std::move(r));
  }

  void write(HttpResponse r) {
    res_ = std::make_shared<http::response<http::string_body>>(static_cast<http::status>(r.status),
                                                               11);
    res_->set(http::field::server, "ticketd");
    res_->set(http::field::content_type, r.content_type);
    for (const auto& [k, v] : r.headers) res_->set(k, v);
    res_->body() = std::move(r.body);
    res_->keep_alive(keep_alive_ && !close_after_write_);
    res_->prepare_payload();
    lowest().expires_after(shared_->options.read_timeout);
    http::async_write(stream_, *res_,
                      beast::bind_front_handler(&Session::on_write, this->shared_from_this()));
  }

  void on_write(beast::error_code ec, size_t) {
    release_body();
    if (handling_) {
      handling_ = false;
      shared_->request_done();
    }
    if (ec) return close();
    if (!res_->keep_alive()) {
      if (drain_after_write_) return drain();
      return close();
    }
    res_.reset();
    read();
  }

  void release_body() {
    if (reserved_ == 0) return;
    shared_->bodies.release(reserved_);
    reserved_ = 0;
  }

  // After refusing a body, read and discard what the sender still pushes
  // (bounded in bytes and time; nothing is kept).
  // Over TLS the raw bytes are discarded, so no record is decrypted.
  void drain() {
    beast::error_code ec;
    lowest().socket().shutdown(tcp::socket::shutdown_send, ec);
    lowest().expires_after(kDrainTimeout);
    drain_more();
  }
  void drain_more() {
    scratch_.resize(kDrainChunk);
    lowest().async_read_some(asio::buffer(scratch_),
                             [self = this->shared_from_this()](beast::error_code e, size_t n) {
                               self->drained_ += n;
                               if (e || self->drained_ > kDrainLimit) return self->close();
                               self->drain_more();
                             });
  }

  // TLS: a bounded close_notify exchange first, so clients see a clean end.
  void close() {
    if constexpr (kTls) {
      if (handshaken_ && !closing_ && lowest().socket().is_open()) {
        closing_ = true;
        lowest().expires_after(kTlsShutdownTimeout);
        return stream_.async_shutdown(
            [self = this->shared_from_this()](beast::error_code) { self->close_socket(); });
      }
    }
    close_socket();
  }
  void close_socket() {
    beast::error_code ec;
    lowest().socket().shutdown(tcp::socket::shutdown_both, ec);
    lowest().close();
  }

  Stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::shared_ptr<http::response<http::string_body>> res_;
  std::shared_ptr<http::response<http::empty_body>> continue_;
  std::optional<HttpResponse> refusal_;  // written right after the handshake
  std::shared_ptr<Shared> shared_;
  std::string peer_ip_ = "unknown";
  std::string peer_ = "unknown";
  std::vector<char> scratch_;
  size_t drained_ = 0;
  size_t reserved_ = 0;  // of shared_->bodies
  bool peer_held_ = false;
  bool handling_ = false;  // counted in shared_->in_flight until its answer is written
  bool first_request_ = true;
  bool keep_alive_ = true;
  bool close_after_write_ = false;
  bool drain_after_write_ = false;
  bool handshaken_ = false;  // TLS only
  bool closing_ = false;     // TLS only: close_notify sent
};

}  // namespace

struct HttpServer::Impl {
  Impl(asio::io_context& io_ctx, Router& router, HttpServerOptions opts, const Clock& clock)
      : io(io_ctx),
        acceptor(io_ctx),
        backoff(io_ctx),
        shared(std::make_shared<Shared>(router, std::move(opts))),
        errors(clock) {}

  void accept() {
    acceptor.async_accept(asio::make_strand(io), [this](beast::error_code ec, tcp::socket socket) {
      if (ec == asio::error::operation_aborted || !acceptor.is_open()) return;
      if (ec) {
        // EMFILE and friends leave the connection queued: pause, or we spin.
        errors.record("http " + where, ec);
        shared->stats.accept_errors = errors.total();
        backoff.expires_after(net::kAcceptBackoff);
        backoff.async_wait([this](const boost::system::error_code& e) {
          if (!e && acceptor.is_open()) accept();
        });
        return;
      }
      if (shared->tls) {
        admit(std::make_shared<Session<TlsStream>>(shared, std::move(socket), *shared->tls));
      } else {
        admit(std::make_shared<Session<beast::tcp_stream>>(shared, std::move(socket)));
      }
      accept();
    });
  }

  // Runs the session, or answers it 503/429 when over a connection limit.
  template <class S>
  void admit(std::shared_ptr<S> session) {
    const auto& o = shared->options;
    if (shared->stats.connections > o.max_connections) {
      ++shared->stats.connections_refused;
      HttpResponse r = error_response(503, "unavailable", "too many connections");
      r.headers.emplace_back("Retry-After", "1");
      session->refuse(std::move(r));
    } else if (!session->hold_peer()) {
      ++shared->stats.connections_refused;
      spdlog::debug("http: refusing {}: {} connections open (http.max_connections_per_peer)",
                    session->peer_ip(), o.max_connections_per_peer);
      HttpResponse r =
          error_response(429, "too_many_connections",
                         "this client has " + std::to_string(o.max_connections_per_peer) +
                             " connections open (http.max_connections_per_peer)");
      r.headers.emplace_back("Retry-After", "1");
      session->refuse(std::move(r));
    } else {
      session->run();
    }
  }

  asio::io_context& io;
  tcp::acceptor acceptor;
  asio::steady_timer backoff;
  std::shared_ptr<Shared> shared;
  net::AcceptErrors errors;
  std::string where;
};

HttpServer::HttpServer(asio::io_context& io, Router& router, HttpServerOptions options,
                       const Clock& clock)
    : impl_(std::make_unique<Impl>(io, router, std::move(options), clock)) {}

HttpServer::~HttpServer() = default;

Status HttpServer::start() {
  const auto& o = impl_->shared->options;
  const std::string where = "http " + o.host + ":" + std::to_string(o.port);
  impl_->where = o.host + ":" + std::to_string(o.port);
  auto addr = net::listen_address(o.host, where);
  if (!addr) return addr.error();
  if (!o.tls_cert_file.empty() || !o.tls_key_file.empty()) {
    auto ctx = make_tls_context(o, where);
    if (!ctx) return ctx.error();
    impl_->shared->tls = std::move(*ctx);
  }
  if (Status s = net::listen_tcp(impl_->acceptor, tcp::endpoint(*addr, o.port), where); !s)
    return s;
  impl_->accept();
  return Status::ok();
}

void HttpServer::stop(std::function<void()> on_idle) {
  beast::error_code ec;
  impl_->acceptor.close(ec);
  impl_->backoff.cancel();
  auto& shared = *impl_->shared;
  shared.stopping = true;
  {
    std::lock_guard lock(shared.idle_mu);
    shared.on_idle = std::move(on_idle);
  }
  shared.notify_if_idle();
}

size_t HttpServer::in_flight() const { return impl_->shared->in_flight.load(); }

const HttpServerStats& HttpServer::stats() const { return impl_->shared->stats; }

uint16_t HttpServer::bound_port() const {
  beast::error_code ec;
  auto ep = impl_->acceptor.local_endpoint(ec);
  return ec ? 0 : ep.port();
}

}  // namespace ticketd::api
