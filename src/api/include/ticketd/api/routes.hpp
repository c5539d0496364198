// Router: maps HTTP requests to the API handlers of DESIGN.md.
//
// Authentication (bearer tokens with roles) is checked here. Handlers read
// from the store directly and submit events to the pipeline; POST answers
// arrive asynchronously once the events are durable. Thread-safe: handle()
// may run on any I/O thread.
#pragma once

#include <memory>

#include "ticketd/api/http_types.hpp"
#include "ticketd/core/clock.hpp"
#include "ticketd/api/auth.hpp"
#include "ticketd/api/intake.hpp"
#include "ticketd/engine/engine.hpp"
#include "ticketd/store/store.hpp"

namespace ticketd::api {

struct RouterDeps {
  Intake& intake;
  store::Store& store;
  const Clock& clock;
  std::vector<ApiToken> tokens;
  std::string version;
  // Reloads the rules directory; on failure the diagnostics, old set kept.
  std::function<Result<size_t>(std::vector<std::string>* diagnostics)> reload_rules;
  std::vector<WebhookSignature> signatures;
  // The Prometheus text of /metrics (pipeline, inputs, server counters).
  std::function<std::string()> metrics;
};

class Router {
 public:
  explicit Router(RouterDeps deps) : deps_(std::move(deps)) {}
  void handle(HttpRequest req, Respond respond);
  // Called with the request header only (empty body), before the server
  // reads the body: the 401/403 answer when the bearer token is missing,
  // unknown or lacks the role the route needs; empty when the body may be
  // read. Routes that need no token pass; unknown paths need a valid token.
  // handle() still checks everything (signatures need the body).
  std::optional<HttpResponse> admit(const HttpRequest& head) const;

 private:
  void post_events(const HttpRequest& req, Respond respond);
  // Alertmanager / Grafana webhooks: all alerts of a payload, durable before 202.
  void post_webhook(const HttpRequest& req, const std::string& kind, Respond respond);
  void post_pagerduty(const HttpRequest& req, Respond respond);
  // Queues events; answers `accepted` (JSON) once durable.
  void submit_events(std::vector<Event> events, nlohmann::json accepted, Respond respond);
  HttpResponse list_tickets(const HttpRequest& req);
  HttpResponse get_ticket(const std::string& key);
  HttpResponse get_timeline(const std::string& key);
  HttpResponse get_similar(const std::string& key);
  HttpResponse get_ticket_events(const HttpRequest& req, const std::string& key);
  // create / patch / notes / ack, run on the engine as commands.
  void ticket_command(const HttpRequest& req, const std::string& key, const std::string& what, const std::string& who,
                      Respond respond);
  void list_rules(Respond respond);
  void reload_rules(Respond respond);
  void explain(const HttpRequest& req, Respond respond);
  HttpResponse list_silences();
  void add_silence(const HttpRequest& req, const std::string& who, Respond respond);
  void expire_silence(const std::string& id, Respond respond);
  // Runs `command` on the engine; answers with its JSON (status `ok_status`).
  void engine_command(std::function<Result<nlohmann::json>(engine::Engine&, TimePoint, engine::Actions&)> command,
                      int ok_status, Respond respond);
  HttpResponse metrics();
  // Empty when allowed; otherwise the 401/403 answer.
  // With an HMAC secret configured for `endpoint`, the 401 answer when the
  // signature header is missing or wrong.
  std::optional<HttpResponse> verify_signature(const HttpRequest& req, const std::string& endpoint) const;
  // The actor recorded for a change by `who` (the token's name): with tokens
  // configured always the token's name, a body's display name only added
  // ("ops-bot (alice)"); without tokens the display name when given.
  std::string attribution(const std::string& who, const std::string& display) const;
  // `who` receives the token's name ("anonymous" without tokens).
  std::optional<HttpResponse> authorize(const HttpRequest& req, Role needed, std::string* who = nullptr) const;

  RouterDeps deps_;
};

}  // namespace ticketd::api
