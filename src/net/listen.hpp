// Listening sockets shared by the HTTP server and the syslog listeners.
// Asio inside: include only from .cpp files that already use Asio.
#pragma once

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <string>

#include "ticketd/core/status.hpp"

namespace ticketd::net {

// "localhost" or a literal IPv4/IPv6 address.
inline Result<boost::asio::ip::address> listen_address(const std::string& host, const std::string& where) {
  boost::system::error_code ec;
  auto addr = boost::asio::ip::make_address(host == "localhost" ? "127.0.0.1" : host, ec);
  if (ec) return Status::invalid_argument(where + ": invalid listen address \"" + host + "\": " + ec.message());
  return addr;
}

// open + reuse_address + bind + listen, with one error naming `where`.
inline Status listen_tcp(boost::asio::ip::tcp::acceptor& acceptor, const boost::asio::ip::tcp::endpoint& ep,
                         const std::string& where) {
  boost::system::error_code ec;
  acceptor.open(ep.protocol(), ec);
  if (!ec) acceptor.set_option(boost::asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(ep, ec);
  if (!ec) acceptor.listen(boost::asio::socket_base::max_listen_connections, ec);
  if (ec) return Status::io_error("cannot listen on " + where + ": " + ec.message());
  return Status::ok();
}

}  // namespace ticketd::net
