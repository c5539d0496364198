#include "ticketd/api/http_server.hpp"

#include <spdlog/spdlog.h>

#include <atomic>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <mutex>
#include <optional>

#include "ticketd/api/http_types.hpp"
#include "ticketd/api/routes.hpp"
#include "ticketd/net/listen.hpp"
#include "ticketd/net/peer_limiter.hpp"

namespace ticketd::api {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

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
};

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, std::shared_ptr<Shared> shared)
      : stream_(std::move(socket)), shared_(std::move(shared)) {
    ++shared_->stats.connections;
    beast::error_code ec;
    auto ep = stream_.socket().remote_endpoint(ec);
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
                   beast::bind_front_handler(&Session::read, shared_from_this()));
  }

  // Answers and closes at once (connection limit).
  void refuse(HttpResponse r) {
    close_after_write_ = true;
    asio::dispatch(stream_.get_executor(), [self = shared_from_this(), r = std::move(r)]() mutable {
      self->write(std::move(r));
    });
  }

 private:
  // Reads the next request's header only; the body waits for on_header.
  void read() {
    release_body();
    parser_.emplace();
    parser_->body_limit(shared_->options.max_body_bytes);
    parser_->header_limit(kHeaderLimit);
    // A fresh connection must send its header soon (slow or silent clients
    // would hold a slot); a kept-alive one may idle up to read_timeout.
    const auto& o = shared_->options;
    stream_.expires_after(first_request_ ? std::min(o.header_timeout, o.read_timeout)
                                         : o.read_timeout);
    http::async_read_header(stream_, buffer_, *parser_,
                            beast::bind_front_handler(&Session::on_header, shared_from_this()));
  }

  // Returns true when `ec` ended the session (closed or answered).
  bool failed(beast::error_code ec) {
    if (!ec) return false;
    if (ec == http::error::end_of_stream || ec == asio::error::operation_aborted ||
        ec == beast::error::timeout || ec == asio::error::connection_reset ||
        ec == asio::error::eof) {
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
      stream_.expires_after(shared_->options.read_timeout);
      return http::async_write(stream_, *continue_,
                               [self = shared_from_this()](beast::error_code e, size_t) {
                                 self->continue_.reset();
                                 if (e) return self->close();
                                 self->read_body();
                               });
    }
    read_body();
  }

  void read_body() {
    stream_.expires_after(shared_->options.read_timeout);
    http::async_read(stream_, buffer_, *parser_,
                     beast::bind_front_handler(&Session::on_read, shared_from_this()));
  }

  void on_read(beast::error_code ec, size_t) {
    if (failed(ec)) return;
    HttpRequest req = request(true);
    const bool head = parser_->get().method() == http::verb::head;
    stream_.expires_never();
    handling_ = true;
    ++shared_->in_flight;
    shared_->router.handle(std::move(req), [self = shared_from_this(), head](HttpResponse r) {
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
    stream_.expires_after(shared_->options.read_timeout);
    http::async_write(stream_, *res_,
                      beast::bind_front_handler(&Session::on_write, shared_from_this()));
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
  void drain() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    stream_.expires_after(kDrainTimeout);
    drain_more();
  }
  void drain_more() {
    scratch_.resize(kDrainChunk);
    stream_.async_read_some(asio::buffer(scratch_),
                            [self = shared_from_this()](beast::error_code e, size_t n) {
                              self->drained_ += n;
                              if (e || self->drained_ > kDrainLimit) return self->close();
                              self->drain_more();
                            });
  }

  void close() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
    stream_.close();
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::shared_ptr<http::response<http::string_body>> res_;
  std::shared_ptr<http::response<http::empty_body>> continue_;
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
      auto session = std::make_shared<Session>(std::move(socket), shared);
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
      accept();
    });
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
