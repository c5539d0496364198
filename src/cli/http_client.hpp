// A small blocking HTTP client over libcurl for ticketctl. Not thread-safe;
// one instance per thread.
#pragma once

#include <string>

#include "ticketd/core/status.hpp"

namespace ticketd::cli {

struct HttpResult {
  long status = 0;
  std::string body;
};

class HttpClient {
 public:
  // `server`: http://HOST:PORT or https://HOST:PORT. `cacert` (may be empty):
  // a PEM file of CA certificates trusted for https instead of the system's.
  HttpClient(std::string server, std::string token, std::string cacert = "")
      : server_(std::move(server)), token_(std::move(token)), cacert_(std::move(cacert)) {}
  // `path` like "/api/v1/tickets?status=new". Transport failures are errors;
  // any HTTP status is a result.
  Result<HttpResult> request(const std::string& method, const std::string& path,
                             const std::string& body = "");

 private:
  std::string server_;
  std::string token_;
  std::string cacert_;
};

// Percent-encodes a query parameter value.
std::string url_encode(const std::string& s);

}  // namespace ticketd::cli
