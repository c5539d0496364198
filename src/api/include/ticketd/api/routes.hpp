// Router: maps HTTP requests to the API handlers through one route table
// {method, path pattern, role, handler, where it runs}.
//
// Authentication (bearer tokens with roles) and webhook signatures are
// checked in one place, from the table. Handlers that read the store (ticket
// lists, timelines, stats, silences) or the disk (rule reload) run on a small
// pool of reader threads, so a slow query never delays the I/O thread, syslog
// intake or other connections. Events and commands go to the engine through
// the Intake; POST answers arrive asynchronously once durable. Thread-safe:
// handle() may run on any thread and answers through `respond` from any
// thread, exactly once.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ticketd/api/auth.hpp"
#include "ticketd/api/http_types.hpp"
#include "ticketd/api/intake.hpp"
#include "ticketd/core/clock.hpp"
#include "ticketd/ingest/json_mapping.hpp"
#include "ticketd/ingest/webhook_parsers.hpp"

namespace ticketd::store {
class Store;
}

namespace ticketd::api {

class TaskPool;

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
  // The outbox workers: an operator released an entry (retry): send now,
  // whatever pause its target is in.
  std::function<void()> outbox_wake = [] {};
  // POST /api/v1/backends/{name}/webhook: the body handed to the backend's
  // connector, its changes applied; not_found for an unknown backend.
  std::function<Result<nlohmann::json>(const std::string& backend, const std::string& body)>
      backend_webhook = nullptr;
  // POST /v2/enqueue: the routing keys taken, with the team and labels each
  // adds; empty = any routing key is taken.
  ingest::PagerDutyIntegrations pagerduty_integrations = {};
  // POST /api/v1/events/{source}: the JSON-pointer mapping of each source.
  // A source's HMAC secret, if any, is in `signatures` as endpoint
  // "json_sources.<source>".
  std::map<std::string, ingest::JsonMapping, std::less<>> json_sources = {};
  size_t reader_threads = 4;   // store reads run here, off the I/O thread
  size_t reader_queue = 1024;  // reads waiting beyond this are answered 503
  int reader_nice = 5;         // readers yield the CPU to intake when both want it
};

class Router {
 public:
  explicit Router(RouterDeps deps);
  // Waits for the reads still running; their answers are sent.
  ~Router();

  void handle(HttpRequest req, Respond respond);
  // Called with the request header only (empty body), before the server
  // reads the body: the 401/403 answer when the bearer token is missing,
  // unknown or lacks the role the route needs; empty when the body may be
  // read. Routes that need no token pass; unknown paths need a valid token.
  // handle() still checks everything (signatures need the body).
  std::optional<HttpResponse> admit(const HttpRequest& head) const;

  // One request on its way through a handler.
  struct Call {
    HttpRequest req;
    std::string who;                  // the token's name ("anonymous" without tokens)
    std::optional<Role> role;         // the token's role (none without tokens or token)
    std::vector<std::string> params;  // the pattern's {placeholders}, in order
    const std::string& param(size_t i) const { return params.at(i); }
  };
  // Where a handler runs: on the calling (I/O) thread, or on a reader thread
  // because it blocks on the store or the disk.
  enum class Runs { kInline, kReader };
  using Handler = void (Router::*)(const Call& call, Respond respond);
  struct Route {
    const char* method;        // "GET", "POST", "PATCH", "DELETE", "HEAD"
    const char* pattern;       // "/api/v1/tickets/{key}/timeline"
    std::optional<Role> role;  // nullopt: no token needed
    Handler handler;
    Runs runs = Runs::kInline;
    const char* signed_as = nullptr;  // webhook signature endpoint name, if any
  };
  static const std::vector<Route>& routes();

 private:
  void health(const Call& c, Respond respond);
  void ready(const Call& c, Respond respond);
  // The web page: GET / (and /index.html), /app.css, /app.js from web/.
  void web_page(const Call& c, Respond respond);
  void web_css(const Call& c, Respond respond);
  void web_js(const Call& c, Respond respond);
  void metrics(const Call& c, Respond respond);
  // GET /api/v1/openapi.json: the built-in OpenAPI document (docs/api/openapi.json).
  void openapi(const Call& c, Respond respond);
  void post_events(const Call& c, Respond respond);
  // Alertmanager / Grafana webhooks: all alerts of a payload, durable before 202.
  void post_alertmanager(const Call& c, Respond respond);
  void post_grafana(const Call& c, Respond respond);
  void post_webhook(const Call& c, bool grafana, Respond respond);
  void post_pagerduty(const Call& c, Respond respond);
  // Any JSON alert, mapped by its source's json_sources entry.
  void post_json_source(const Call& c, Respond respond);
  // Queues events; answers `accepted` (JSON) once durable.
  void submit_events(std::vector<Event> events, nlohmann::json accepted, Respond respond);
  // GET /api/v1/whoami: the calling token's name and role.
  void whoami(const Call& c, Respond respond);
  void list_tickets(const Call& c, Respond respond);
  void get_ticket(const Call& c, Respond respond);
  void get_timeline(const Call& c, Respond respond);
  void get_similar(const Call& c, Respond respond);
  void get_ticket_events(const Call& c, Respond respond);
  void list_events(const Call& c, Respond respond);
  void create_ticket(const Call& c, Respond respond);
  void patch_ticket(const Call& c, Respond respond);
  void add_note(const Call& c, Respond respond);
  void acknowledge(const Call& c, Respond respond);
  // create / patch / notes / ack: the body parsed into a typed command, run
  // on the engine; a ticket the engine no longer holds is read first.
  void ticket_command(const Call& c, const std::string& what, Respond respond);
  void stats(const Call& c, Respond respond);
  // GET /api/v1/trends?days=&team=: tickets per UTC day and by priority,
  // team, fingerprint and rule over the last `days` days (the clock's).
  void trends(const Call& c, Respond respond);
  void list_rules(const Call& c, Respond respond);
  void rules_definition(const Call& c, Respond respond);
  void reload_rules(const Call& c, Respond respond);
  void explain(const Call& c, Respond respond);
  void list_silences(const Call& c, Respond respond);
  void add_silence(const Call& c, Respond respond);
  // POST /api/v1/silences/preview: what the silence of the body (validated
  // as add_silence does) would match among the open tickets and the last
  // day's events; adds nothing.
  void preview_silence(const Call& c, Respond respond);
  void expire_silence(const Call& c, Respond respond);
  void list_outbox(const Call& c, Respond respond);
  void retry_outbox(const Call& c, Respond respond);
  void drop_outbox(const Call& c, Respond respond);
  void post_backend_webhook(const Call& c, Respond respond);
  // Runs `command` on the engine; answers with its JSON (status `ok_status`).
  void engine_command(Intake::Command command, int ok_status, Respond respond);
  // With an HMAC secret configured for `endpoint`, the 401 answer when the
  // signature header is missing or wrong.
  std::optional<HttpResponse> verify_signature(const HttpRequest& req,
                                               const std::string& endpoint) const;
  // The actor recorded for a change by `who` (the token's name): with tokens
  // configured always the token's name, a body's display name only added
  // ("ops-bot (alice)"); without tokens the display name when given.
  std::string attribution(const std::string& who, const std::string& display) const;
  // Empty when allowed; otherwise the 401/403 answer. `who` receives the
  // token's name ("anonymous" without tokens), `role` its role.
  std::optional<HttpResponse> authorize(const HttpRequest& req, Role needed,
                                        std::string* who = nullptr,
                                        std::optional<Role>* role = nullptr) const;

  RouterDeps deps_;
  std::unique_ptr<TaskPool> readers_;
};

}  // namespace ticketd::api
