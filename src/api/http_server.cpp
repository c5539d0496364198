#include "api/http_server.hpp"

#include <spdlog/spdlog.h>

#include <atomic>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <optional>

#include "api/http_types.hpp"
#include "api/routes.hpp"
#include "net/listen.hpp"

namespace ticketd::api {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

constexpr size_t kHeaderLimit = 16 * 1024;
constexpr size_t kDrainLimit = 64 * 1024 * 1024;

struct Shared {
  Shared(Router& r, HttpServerOptions o) : router(r), options(std::move(o)) {}
  Router& router;
  HttpServerOptions options;
  std::atomic<size_t> sessions{0};
};

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, std::shared_ptr<Shared> shared)
      : stream_(std::move(socket)), shared_(std::move(shared)) {
    ++shared_->sessions;
    beast::error_code ec;
    auto ep = stream_.socket().remote_endpoint(ec);
    if (!ec) peer_ = ep.address().to_string() + ":" + std::to_string(ep.port());
  }
  ~Session() { --shared_->sessions; }

  void run() {
    asio::dispatch(stream_.get_executor(), beast::bind_front_handler(&Session::read, shared_from_this()));
  }

  // Answers and closes at once (connection limit).
  void refuse(HttpResponse r) {
    close_after_write_ = true;
    asio::dispatch(stream_.get_executor(), [self = shared_from_this(), r = std::move(r)]() mutable {
      self->write(std::move(r));
    });
  }

 private:
  void read() {
    parser_.emplace();
    parser_->body_limit(shared_->options.max_body_bytes);
    parser_->header_limit(kHeaderLimit);
    stream_.expires_after(shared_->options.read_timeout);
    http::async_read(stream_, buffer_, *parser_, beast::bind_front_handler(&Session::on_read, shared_from_this()));
  }

  void on_read(beast::error_code ec, size_t) {
    if (ec == http::error::end_of_stream || ec == asio::error::operation_aborted || ec == beast::error::timeout ||
        ec == asio::error::connection_reset || ec == asio::error::eof) {
      return close();
    }
    if (ec == http::error::body_limit) {
      spdlog::warn("http: {} sent a body over the {} byte limit", peer_, shared_->options.max_body_bytes);
      close_after_write_ = true;
      drain_after_write_ = true;
      return write(error_response(413, "payload_too_large",
                                  "request body exceeds the limit of " +
                                      std::to_string(shared_->options.max_body_bytes) + " bytes"));
    }
    if (ec) {
      spdlog::warn("http: bad request from {}: {}", peer_, ec.message());
      close_after_write_ = true;
      return write(error_response(400, "bad_request", "malformed HTTP request: " + ec.message()));
    }
    auto& msg = parser_->get();
    keep_alive_ = msg.keep_alive();
    HttpRequest req;
    req.method = std::string(msg.method_string());
    split_target(std::string(msg.target()), req.path, req.query);
    for (const auto& field : msg) {
      std::string name(field.name_string());
      for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      req.headers[name] = std::string(field.value());
    }
    req.body = std::move(msg.body());
    req.peer = peer_;
    const bool head = req.method == "HEAD";
    if (head) req.method = "GET";
    stream_.expires_never();
    shared_->router.handle(std::move(req), [self = shared_from_this(), head](HttpResponse r) {
      if (head) r.body.clear();
      asio::post(self->stream_.get_executor(), [self, r = std::move(r)]() mutable { self->write(std::move(r)); });
    });
  }

  void write(HttpResponse r) {
    res_ = std::make_shared<http::response<http::string_body>>(static_cast<http::status>(r.status), 11);
    res_->set(http::field::server, "ticketd");
    res_->set(http::field::content_type, r.content_type);
    for (const auto& [k, v] : r.headers) res_->set(k, v);
    res_->body() = std::move(r.body);
    res_->keep_alive(keep_alive_ && !close_after_write_);
    res_->prepare_payload();
    stream_.expires_after(shared_->options.read_timeout);
    http::async_write(stream_, *res_, beast::bind_front_handler(&Session::on_write, shared_from_this()));
  }

  void on_write(beast::error_code ec, size_t) {
    if (ec) return close();
    if (!res_->keep_alive()) {
      if (drain_after_write_) return drain();
      return close();
    }
    res_.reset();
    read();
  }

  // After refusing an oversized body, read and discard what the sender still
  // pushes (bounded), so closing does not reset the connection before the
  // sender has read our answer.
  void drain() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    stream_.expires_after(std::chrono::seconds(5));
    scratch_.resize(64 * 1024);
    stream_.async_read_some(asio::buffer(scratch_), [self = shared_from_this()](beast::error_code e, size_t n) {
      self->drained_ += n;
      if (e || self->drained_ > kDrainLimit) return self->close();
      self->drain();
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
  std::shared_ptr<Shared> shared_;
  std::string peer_;
  std::vector<char> scratch_;
  size_t drained_ = 0;
  bool keep_alive_ = true;
  bool close_after_write_ = false;
  bool drain_after_write_ = false;
};

}  // namespace

struct HttpServer::Impl {
  Impl(asio::io_context& io_ctx, Router& router, HttpServerOptions opts)
      : io(io_ctx), acceptor(io_ctx), shared(std::make_shared<Shared>(router, std::move(opts))) {}

  void accept() {
    acceptor.async_accept(asio::make_strand(io), [this](beast::error_code ec, tcp::socket socket) {
      if (ec == asio::error::operation_aborted || !acceptor.is_open()) return;
      if (ec) {
        spdlog::warn("http: accept failed: {}", ec.message());
      } else {
        auto session = std::make_shared<Session>(std::move(socket), shared);
        if (shared->sessions > shared->options.max_connections) {
          HttpResponse r = error_response(503, "unavailable", "too many connections");
          r.headers.emplace_back("Retry-After", "1");
          session->refuse(std::move(r));
        } else {
          session->run();
        }
      }
      accept();
    });
  }

  asio::io_context& io;
  tcp::acceptor acceptor;
  std::shared_ptr<Shared> shared;
};

HttpServer::HttpServer(asio::io_context& io, Router& router, HttpServerOptions options)
    : impl_(std::make_unique<Impl>(io, router, std::move(options))) {}

HttpServer::~HttpServer() = default;

Status HttpServer::start() {
  const auto& o = impl_->shared->options;
  const std::string where = "http " + o.host + ":" + std::to_string(o.port);
  auto addr = net::listen_address(o.host, where);
  if (!addr) return addr.error();
  if (Status s = net::listen_tcp(impl_->acceptor, tcp::endpoint(*addr, o.port), where); !s) return s;
  impl_->accept();
  return Status::ok();
}

void HttpServer::stop() {
  beast::error_code ec;
  impl_->acceptor.close(ec);
}

uint16_t HttpServer::bound_port() const {
  beast::error_code ec;
  auto ep = impl_->acceptor.local_endpoint(ec);
  return ec ? 0 : ep.port();
}

}  // namespace ticketd::api
