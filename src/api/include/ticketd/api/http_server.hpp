// HttpServer: the Boost.Beast listener and sessions of the REST API.
//
// Each connection is a session on its own strand, kept alive by
// shared_from_this(); every read has a deadline and a body cap. The header is
// read first: authentication (Router::admit), the body size limit and the
// server-wide budget of body bytes in flight are checked before any body
// byte is buffered. With tls_cert_file/tls_key_file set, every connection
// is HTTPS (TLS handshake under header_timeout before the first read).
// Requests are handed to the Router as plain values. Beast and OpenSSL stay inside
// http_server.cpp; this header only forward-declares the io_context. start()/stop() must be called
// from the io_context's thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "ticketd/core/clock.hpp"
#include "ticketd/core/status.hpp"
#include "ticketd/core/time.hpp"

namespace boost::asio {
class io_context;
}

namespace ticketd::api {

class Router;

struct HttpServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 8080;
  size_t max_body_bytes = 1024 * 1024;
  Duration read_timeout = std::chrono::seconds(30);
  size_t max_connections = 1024;
  size_t max_connections_per_peer = 256;  // per source address; 0 = no limit
  // A new connection must deliver its first request header within this;
  // later requests on a kept-alive connection get read_timeout.
  Duration header_timeout = std::chrono::seconds(10);
  // Request bodies being read or handled, all sessions together; beyond it
  // 503 + Retry-After before the body is read.
  size_t max_inflight_body_bytes = 64 * 1024 * 1024;
  // HTTPS when set (both or neither): PEM certificate chain and private key.
  // TLS 1.2 at least; TLS 1.2 suites are ECDHE with AES-GCM or
  // CHACHA20-POLY1305; no compression, no renegotiation. start() fails when
  // they cannot be loaded or do not match. Empty = plain HTTP.
  std::string tls_cert_file;
  std::string tls_key_file;
};

struct HttpServerStats {
  std::atomic<uint64_t> connections{0};          // open now
  std::atomic<uint64_t> connections_refused{0};  // over max_connections or max_connections_per_peer
  std::atomic<uint64_t> accept_errors{0};        // failed accept() calls (EMFILE, ...)
  std::atomic<uint64_t> busy_refused{0};         // 503: over max_inflight_body_bytes
};

class HttpServer {
 public:
  // `clock` (outliving the server) times the rate-limited logs.
  HttpServer(boost::asio::io_context& io, Router& router, HttpServerOptions options,
             const Clock& clock);
  ~HttpServer();

  // Binds and starts accepting. Errors name the address.
  Status start();
  // Closes the acceptor; open sessions finish their current request, and
  // later requests on kept-alive connections are answered 503. `on_idle`
  // (may be empty) runs once no answer is in flight: at once, or on the
  // thread that writes the last one.
  void stop(std::function<void()> on_idle = nullptr);
  // Requests handed to the router whose answer is not yet written.
  size_t in_flight() const;
  uint16_t bound_port() const;
  const HttpServerStats& stats() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ticketd::api
