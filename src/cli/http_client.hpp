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
  HttpClient(std::string server, std::string token)
      : server_(std::move(server)), token_(std::move(token)) {}
  // `path` like "/api/v1/tickets?status=new". Transport failures are errors;
  // any HTTP status is a result.
  Result<HttpResult> request(const std::string& method, const std::string& path,
                             const std::string& body = "");

 private:
  std::string server_;
  std::string token_;
};

// Percent-encodes a query parameter value.
std::string url_encode(const std::string& s);

}  // namespace ticketd::cli
