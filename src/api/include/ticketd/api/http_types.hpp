// Plain HTTP request/response values exchanged between the Beast server and
// the routes, so handlers are testable without sockets. Not synchronized.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

namespace ticketd::api {

struct HttpRequest {
  std::string method;                          // "GET", "POST", ...
  std::string path;                            // "/api/v1/tickets" (no query)
  std::map<std::string, std::string> query;    // decoded
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
  std::string peer;  // "127.0.0.1:53412"

  std::string header(const std::string& lower_name) const {
    auto it = headers.find(lower_name);
    return it == headers.end() ? std::string() : it->second;
  }
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

// Handlers answer through this; it may be called from any thread, once.
using Respond = std::function<void(HttpResponse)>;

// {"error":{"code":..., "message":...}}
HttpResponse error_response(int status, const std::string& code, const std::string& message);

// Splits "/a/b?x=1&y=%20" into path and decoded query parameters.
void split_target(const std::string& target, std::string& path,
                  std::map<std::string, std::string>& query);

}  // namespace ticketd::api
