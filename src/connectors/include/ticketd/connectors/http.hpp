// HttpClient: the one way connectors talk to backends and notification
// targets. A blocking request/response interface so that a connector's logic
// (several calls for one change: look up, create, transition) reads top to
// bottom; each target's worker runs on its own thread, so one slow backend
// never waits on another. The libcurl implementation applies the timeouts,
// a response size cap and TLS verification.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "ticketd/core/status.hpp"
#include "ticketd/core/time.hpp"

namespace ticketd::connectors {

struct HttpRequest {
  std::string method = "GET";
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;  // name, value
  std::string body;
  void header(std::string name, std::string value) {
    headers.emplace_back(std::move(name), std::move(value));
  }
};

struct HttpResponse {
  long status = 0;
  std::map<std::string, std::string> headers;  // names in lower case; the last of repeats
  std::string body;
  // The value of header `lower_name`, or "".
  std::string header(const std::string& lower_name) const;
};

class HttpClient {
 public:
  virtual ~HttpClient() = default;
  // Sends the request and waits for the whole answer. Fails (unavailable)
  // only when no answer came: refused, reset, timed out, TLS failure, an
  // answer over the size cap. Any HTTP status is an answer.
  virtual Result<HttpResponse> send(const HttpRequest& request) = 0;
};

struct CurlOptions {
  Duration timeout = std::chrono::seconds(10);  // the whole exchange
  Duration connect_timeout = std::chrono::seconds(5);
  bool verify_tls = true;
  std::string ca_file;                 // extra CA bundle; empty: the system's
  size_t max_response = 4 << 20;       // bytes
  std::string user_agent = "ticketd";  // sent as User-Agent
};

// One libcurl easy handle (connections are reused across requests); use it
// from one thread at a time.
std::unique_ptr<HttpClient> make_curl_client(const CurlOptions& options);

// One mail over SMTP (libcurl): `url` is smtp://host[:port] (STARTTLS when
// the server offers it; required when `user` is set) or smtps://host[:port].
struct Mail {
  std::string url;
  std::string user, password;  // empty: no AUTH
  std::string from;
  std::vector<std::string> to;
  std::string subject;
  std::string body;  // plain text
  Duration timeout = std::chrono::seconds(30);
  bool verify_tls = true;
};
// ok, or unavailable (no answer, a 4xx reply: try again) or
// invalid_argument (a 5xx reply: the server refuses this mail), with the
// server's last reply code in the message.
Status send_mail(const Mail& mail);

// "Basic base64(user:password)"
std::string basic_auth(const std::string& user, const std::string& password);
// Percent-encodes everything but unreserved characters (RFC 3986), for a
// query parameter's value or a path segment.
std::string url_encode(std::string_view s);

}  // namespace ticketd::connectors
