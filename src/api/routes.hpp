// Router: maps HTTP requests to the API handlers of DESIGN.md.
//
// Authentication (bearer tokens with roles) is checked here. Handlers read
// from the store directly and submit events to the pipeline; POST answers
// arrive asynchronously once the events are durable. Thread-safe: handle()
// may run on any I/O thread.
#pragma once

#include <memory>

#include "api/http_types.hpp"
#include "ticketd/core/clock.hpp"
#include "ticketd/daemon/config.hpp"
#include "ticketd/store/store.hpp"

namespace ticketd::daemon {
class Pipeline;
}

namespace ticketd::api {

struct RouterDeps {
  daemon::Pipeline& pipeline;
  store::Store& store;
  const Clock& clock;
  std::vector<daemon::ApiToken> tokens;
  std::string version;
  // Returns the loaded rules for GET /api/v1/rules.
  std::function<std::shared_ptr<const rules::RuleSet>()> current_rules;
};

class Router {
 public:
  explicit Router(RouterDeps deps) : deps_(std::move(deps)) {}
  void handle(HttpRequest req, Respond respond);

 private:
  void post_events(const HttpRequest& req, Respond respond);
  HttpResponse list_tickets(const HttpRequest& req);
  HttpResponse get_ticket(const std::string& key);
  HttpResponse get_timeline(const std::string& key);
  HttpResponse get_ticket_events(const HttpRequest& req, const std::string& key);
  HttpResponse list_rules();
  HttpResponse metrics();
  // Empty when allowed; otherwise the 401/403 answer.
  std::optional<HttpResponse> authorize(const HttpRequest& req, daemon::Role needed) const;

  RouterDeps deps_;
};

}  // namespace ticketd::api
