// Inbound backend input: the bodies backends push to
// POST /api/v1/backends/{name}/webhook, read by each connector's
// parse_webhook(), and the answers they send back, read by failure_of()
// (status, Retry-After and Date headers, error bodies). The first byte picks
// the connector (or the answer reader); the rest is the body.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "ticketd/connectors/connector.hpp"
#include "ticketd/core/json.hpp"

namespace {

using namespace ticketd;
using namespace ticketd::connectors;

// parse_webhook never sends; a client that refuses everything proves it.
class NoHttp final : public HttpClient {
 public:
  Result<HttpResponse> send(const HttpRequest&) override {
    return Status::unavailable("the fuzzer sends nothing");
  }
};

std::vector<std::unique_ptr<Connector>>& all_connectors() {
  static NoHttp http;
  static std::vector<std::unique_ptr<Connector>> all = [] {
    std::vector<std::unique_ptr<Connector>> out;
    auto add = [&](const std::string& kind, nlohmann::json settings,
                   std::map<std::string, std::string> secrets) {
      BackendConfig c;
      c.name = kind;
      c.kind = kind;
      c.url = "http://127.0.0.1:1";
      c.settings = std::move(settings);
      c.secrets = std::move(secrets);
      auto made = make_connector(c, http);
      if (!made) __builtin_trap();  // the fuzzer's own configs must be valid
      out.push_back(std::move(made).value());
    };
    add("webhook", nlohmann::json::object(), {});
    add("jira", {{"api", "cloud"}, {"user", "ops@example.com"}, {"project", "OPS"}},
        {{"token", "t"}});
    add("servicenow", {{"user", "u"}}, {{"password", "p"}});
    add("rt", nlohmann::json::object(), {{"token", "t"}});
    add("zammad", {{"group", "Ops"}, {"customer", "alerts@example.com"}}, {{"token", "t"}});
    add("redmine", {{"project", "ops"}, {"key_field_id", 4}}, {{"api_key", "k"}});
    add("glpi", nlohmann::json::object(), {{"user_token", "t"}});
    return out;
  }();
  return all;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  auto& all = all_connectors();
  const size_t pick = data[0] % (all.size() + 1);
  const std::string body(reinterpret_cast<const char*>(data + 1), size - 1);
  if (pick < all.size()) {
    // As the API hands it over: only bodies the depth-limited parser accepts.
    if (!parse_json(body)) return 0;
    auto changes = all[pick]->parse_webhook(body);
    if (changes) {
      for (const RemoteChange& c : *changes) (void)c.remote_id.size();
    }
    return 0;
  }
  // An answer: "STATUS\nRetry-After\nDate\nbody".
  HttpResponse r;
  size_t at = 0;
  auto line = [&]() {
    const size_t nl = body.find('\n', at);
    std::string s = body.substr(at, nl == std::string::npos ? std::string::npos : nl - at);
    at = nl == std::string::npos ? body.size() : nl + 1;
    return s;
  };
  r.status = static_cast<long>(std::strtol(line().c_str(), nullptr, 10));
  r.headers["retry-after"] = line();
  r.headers["date"] = line();
  r.body = body.substr(at);
  auto f = failure_of(Result<HttpResponse>(r), "fuzz");
  if (f) (void)f->message.size();
  return 0;
}
