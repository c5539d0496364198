// HttpServer: the Boost.Beast listener and sessions of the REST API.
//
// Each connection is a session on its own strand, kept alive by
// shared_from_this(); every read has a deadline and a body cap. Requests are
// handed to the Router as plain values. Beast stays inside http_server.cpp;
// this header only forward-declares the io_context. start()/stop() must be
// called from the io_context's thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

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
};

class HttpServer {
 public:
  HttpServer(boost::asio::io_context& io, Router& router, HttpServerOptions options);
  ~HttpServer();

  // Binds and starts accepting. Errors name the address.
  Status start();
  // Closes the acceptor; open sessions finish their current request.
  void stop();
  uint16_t bound_port() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ticketd::api
