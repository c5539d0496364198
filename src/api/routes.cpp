#include "ticketd/api/routes.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>
#include <variant>

#include "commands.hpp"
#include "openapi_document.hpp"
#include "shapes.hpp"
#include "task_pool.hpp"
#include "ticketd/core/json.hpp"
#include "ticketd/core/text.hpp"
#include "ticketd/engine/commands.hpp"
#include "ticketd/engine/engine.hpp"
#include "ticketd/ingest/webhook_parsers.hpp"
#include "ticketd/rules/describe.hpp"
#include "ticketd/store/store.hpp"
#include "web_assets.hpp"

namespace ticketd::api {
namespace {

using nlohmann::json;

HttpResponse json_response(int status, const json& body) {
  HttpResponse r;
  r.status = status;
  r.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return r;
}

HttpResponse from_status(const Status& s) {
  switch (s.code()) {
    case StatusCode::kInvalidArgument:
      return error_response(400, "invalid_argument", s.message());
    case StatusCode::kNotFound:
      return error_response(404, "not_found", s.message());
    case StatusCode::kConflict:
      return error_response(409, "conflict", s.message());
    case StatusCode::kAlreadyExists:
      return error_response(409, "already_exists", s.message());
    case StatusCode::kUnavailable: {
      HttpResponse r = error_response(503, "unavailable", s.message());
      r.headers.emplace_back("Retry-After", "1");
      return r;
    }
    default:
      return error_response(500, "internal", s.message());
  }
}

// The answer refusing a body parse_json() refused (depth-limited: nothing
// deeper than kMaxJsonDepth is ever built): 400 for malformed JSON, 422 for
// nesting too deep.
HttpResponse json_body_error(const Status& s) {
  if (is_too_deep(s)) return error_response(422, "too_deep", "request body is " + s.message());
  return error_response(400, "invalid_json", "request body is not valid JSON: " + s.message());
}

// A display name from a request body: one line of visible text, at most
// 100 bytes. Control characters (C0, C1), line and paragraph separators,
// zero-width and bidirectional formatting characters, and parentheses (which
// delimit it in "token (display)") are removed.
std::string display_name(const json& body, const char* field) {
  if (!body.is_object() || !body.contains(field) || !body[field].is_string()) return "";
  const std::string raw = body[field].get<std::string>();
  std::string name;
  for (size_t i = 0; i < raw.size(); ++i) {
    const auto c = static_cast<unsigned char>(raw[i]);
    const auto next = [&](size_t k) {
      return i + k < raw.size() ? static_cast<unsigned char>(raw[i + k]) : 0;
    };
    if (c < 0x20 || c == 0x7f) {
      name += ' ';
    } else if (c == '(' || c == ')') {
      continue;
    } else if (c == 0xC2 && next(1) >= 0x80 && next(1) <= 0x9F) {  // C1 controls
      ++i;
    } else if (c == 0xE2 && next(1) == 0x80 &&
               ((next(2) >= 0x8B && next(2) <= 0x8F) || (next(2) >= 0xA8 && next(2) <= 0xAE))) {
      i += 2;  // U+200B-200F, U+2028-202E
    } else if (c == 0xE2 && next(1) == 0x81 && next(2) >= 0xA0 && next(2) <= 0xA9) {
      i += 2;  // U+2060-2069
    } else if (c == 0xEF && next(1) == 0xBB && next(2) == 0xBF) {
      i += 2;  // U+FEFF
    } else {
      name += raw[i];
    }
  }
  return std::string(utf8_prefix(name, 100));
}

// Constant-time comparison, so response timing does not leak the secret.
bool same_secret(const std::string& a, const std::string& b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

// A ticket as GET /api/v1/tickets/{key} and the ticket commands answer it:
// its JSON with "transitions", the statuses a PATCH may move it to now
// (engine::allowed_transitions, the rule the engine checks).
json ticket_detail_json(const Ticket& t) {
  json j = ticket_to_json(t);
  json next = json::array();
  for (TicketStatus s : engine::allowed_transitions(t.status))
    next.push_back(ticket_status_name(s));
  j["transitions"] = std::move(next);
  return j;
}

bool is_json_content_type(const std::string& ct) {
  std::string base = ct.substr(0, ct.find(';'));
  while (!base.empty() && base.back() == ' ') base.pop_back();
  for (auto& c : base) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return base == "application/json" || (base.rfind("application/", 0) == 0 && base.size() > 5 &&
                                        base.compare(base.size() - 5, 5, "+json") == 0);
}

}  // namespace

std::optional<HttpResponse> Router::verify_signature(const HttpRequest& req,
                                                     const std::string& endpoint) const {
  for (const WebhookSignature& sig : deps_.signatures) {
    if (sig.endpoint != endpoint) continue;
    std::string lower_header = sig.header;
    for (auto& c : lower_header) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::string given = req.header(lower_header);
    if (given.rfind("sha256=", 0) == 0) given = given.substr(7);
    for (auto& c : given) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    HMAC(EVP_sha256(), sig.secret.data(), static_cast<int>(sig.secret.size()),
         reinterpret_cast<const unsigned char*>(req.body.data()), req.body.size(), digest, &len);
    static const char* hex = "0123456789abcdef";
    std::string expected;
    for (unsigned int i = 0; i < len; ++i) {
      expected += hex[digest[i] >> 4];
      expected += hex[digest[i] & 15];
    }
    if (given.empty() || !same_secret(expected, given)) {
      spdlog::warn("api: {} from {}: missing or invalid {} signature", req.path, req.peer,
                   sig.header);
      return error_response(401, "invalid_signature",
                            "missing or invalid HMAC-SHA256 signature in header " + sig.header);
    }
  }
  return std::nullopt;
}

std::string Router::attribution(const std::string& who, const std::string& display) const {
  // Without tokens nobody is authenticated: the body's name is all we have.
  if (deps_.tokens.empty()) return display.empty() ? who : display;
  if (display.empty() || display == who) return who;
  return who + " (" + display + ")";
}

std::optional<HttpResponse> Router::authorize(const HttpRequest& req, Role needed, std::string* who,
                                              std::optional<Role>* role) const {
  if (who) *who = "anonymous";
  if (role) role->reset();
  if (deps_.tokens.empty()) return std::nullopt;
  const std::string auth = req.header("authorization");
  const std::string prefix = "Bearer ";
  if (auth.size() <= prefix.size() || auth.compare(0, prefix.size(), prefix) != 0) {
    HttpResponse r =
        error_response(401, "unauthorized", "missing \"Authorization: Bearer TOKEN\" header");
    r.headers.emplace_back("WWW-Authenticate", "Bearer");
    return r;
  }
  // One digest of what was presented, compared with every token's digest in
  // constant time: neither the secret's length nor its content shows in timing.
  const std::string presented = token_digest(std::string_view(auth).substr(prefix.size()));
  for (const ApiToken& t : deps_.tokens) {
    if (!same_digest(t.digest, presented)) continue;
    if (who) *who = t.name;
    if (role) *role = t.role;
    if (role_allows(t.role, needed)) return std::nullopt;
    return error_response(403, "forbidden",
                          std::string("token \"") + t.name + "\" has role " + role_name(t.role) +
                              ", this request needs " + role_name(needed));
  }
  spdlog::warn("api: rejected an unknown bearer token from {}", req.peer);
  HttpResponse r = error_response(401, "unauthorized", "unknown token");
  r.headers.emplace_back("WWW-Authenticate", "Bearer");
  return r;
}

namespace {

// Splits "/a/b/c" into {"a","b","c"}.
std::vector<std::string_view> segments(std::string_view path) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < path.size()) {
    if (path[i] == '/') {
      ++i;
      continue;
    }
    size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    out.push_back(path.substr(i, j - i));
    i = j;
  }
  return out;
}

// Whether `path` fits `pattern` ("{name}" matches one non-empty segment);
// the placeholders' values go to `params`.
bool matches(std::string_view pattern, std::string_view path, std::vector<std::string>* params) {
  if (pattern == "/" || path == "/") return pattern == path;
  if (path.size() > 1 && path.back() == '/') return false;  // "/api/v1/tickets/" names nothing
  const auto want = segments(pattern);
  const auto have = segments(path);
  if (want.size() != have.size()) return false;
  std::vector<std::string> values;
  for (size_t i = 0; i < want.size(); ++i) {
    if (want[i].size() > 2 && want[i].front() == '{' && want[i].back() == '}') {
      values.emplace_back(have[i]);
    } else if (want[i] != have[i]) {
      return false;
    }
  }
  if (params) *params = std::move(values);
  return true;
}

// The route for `method` on `path`; `allowed` gets the methods the path
// takes when the method is not among them.
const Router::Route* find_route(const std::string& method, const std::string& path,
                                std::vector<std::string>* params, std::string* allowed) {
  for (const Router::Route& r : Router::routes()) {
    if (!matches(r.pattern, path, nullptr)) continue;
    if (method == r.method) {
      matches(r.pattern, path, params);
      return &r;
    }
    if (allowed && allowed->find(r.method) == std::string::npos) {
      *allowed += (allowed->empty() ? "" : ", ") + std::string(r.method);
    }
  }
  return nullptr;
}

}  // namespace

const std::vector<Router::Route>& Router::routes() {
  using R = Router;
  static const std::vector<Route> table = {
      {"GET", "/healthz", std::nullopt, &R::health},
      {"HEAD", "/healthz", std::nullopt, &R::health},
      {"GET", "/readyz", std::nullopt, &R::ready},
      {"HEAD", "/readyz", std::nullopt, &R::ready},
      // The page itself holds no data; its API calls carry the token.
      {"GET", "/", std::nullopt, &R::web_page},
      {"GET", "/index.html", std::nullopt, &R::web_page},
      {"GET", "/app.css", std::nullopt, &R::web_css},
      {"GET", "/app.js", std::nullopt, &R::web_js},
      {"GET", "/metrics", Role::kRead, &R::metrics},
      // The API's description holds no data, like the page: no token.
      {"GET", "/api/v1/openapi.json", std::nullopt, &R::openapi},
      {"POST", "/api/v1/events", Role::kIngest, &R::post_events, Runs::kInline, "events"},
      {"POST", "/api/v1/webhooks/alertmanager", Role::kIngest, &R::post_alertmanager, Runs::kInline,
       "alertmanager"},
      {"POST", "/api/v1/webhooks/grafana", Role::kIngest, &R::post_grafana, Runs::kInline,
       "grafana"},
      {"POST", "/v2/enqueue", Role::kIngest, &R::post_pagerduty, Runs::kInline, "pagerduty"},
      // Signed per source ("json_sources.<source>"), checked by the handler.
      {"POST", "/api/v1/events/{source}", Role::kIngest, &R::post_json_source},
      {"GET", "/api/v1/events", Role::kRead, &R::list_events, Runs::kReader},
      {"GET", "/api/v1/rules", Role::kRead, &R::list_rules},
      {"GET", "/api/v1/rules/definition", Role::kRead, &R::rules_definition},
      {"POST", "/api/v1/rules/reload", Role::kAdmin, &R::reload_rules, Runs::kReader},
      {"GET", "/api/v1/stats", Role::kRead, &R::stats, Runs::kReader},
      {"GET", "/api/v1/trends", Role::kRead, &R::trends, Runs::kReader},
      {"POST", "/api/v1/explain", Role::kRead, &R::explain},
      {"GET", "/api/v1/silences", Role::kRead, &R::list_silences, Runs::kReader},
      {"POST", "/api/v1/silences", Role::kAdmin, &R::add_silence},
      // What a silence would match, before it is added: the same body and role.
      {"POST", "/api/v1/silences/preview", Role::kAdmin, &R::preview_silence, Runs::kReader},
      {"DELETE", "/api/v1/silences/{id}", Role::kAdmin, &R::expire_silence},
      {"GET", "/api/v1/whoami", Role::kRead, &R::whoami},
      {"GET", "/api/v1/tickets", Role::kRead, &R::list_tickets, Runs::kReader},
      {"POST", "/api/v1/tickets", Role::kWrite, &R::create_ticket},
      {"GET", "/api/v1/tickets/{key}", Role::kRead, &R::get_ticket, Runs::kReader},
      {"PATCH", "/api/v1/tickets/{key}", Role::kWrite, &R::patch_ticket, Runs::kReader},
      {"GET", "/api/v1/tickets/{key}/timeline", Role::kRead, &R::get_timeline, Runs::kReader},
      {"GET", "/api/v1/tickets/{key}/events", Role::kRead, &R::get_ticket_events, Runs::kReader},
      {"GET", "/api/v1/tickets/{key}/similar", Role::kRead, &R::get_similar, Runs::kReader},
      {"POST", "/api/v1/tickets/{key}/notes", Role::kWrite, &R::add_note, Runs::kReader},
      {"POST", "/api/v1/tickets/{key}/ack", Role::kWrite, &R::acknowledge, Runs::kReader},
      {"GET", "/api/v1/outbox", Role::kRead, &R::list_outbox, Runs::kReader},
      {"POST", "/api/v1/outbox/{id}/retry", Role::kAdmin, &R::retry_outbox, Runs::kReader},
      {"DELETE", "/api/v1/outbox/{id}", Role::kAdmin, &R::drop_outbox, Runs::kReader},
      {"POST", "/api/v1/backends/{name}/webhook", Role::kWrite, &R::post_backend_webhook,
       Runs::kReader},
  };
  return table;
}

Router::Router(RouterDeps deps)
    : deps_(std::move(deps)),
      readers_(std::make_unique<TaskPool>(deps_.reader_threads, deps_.reader_queue,
                                          deps_.reader_nice)) {}

Router::~Router() = default;

void Router::handle(HttpRequest req, Respond respond) {
  try {
    Call call;
    std::string allowed;
    const Route* route = find_route(req.method, req.path, &call.params, &allowed);
    if (!route) {
      if (allowed.empty())
        return respond(
            error_response(404, "not_found", "no route for " + req.method + " " + req.path));
      HttpResponse r =
          error_response(405, "method_not_allowed",
                         req.method + " is not allowed on " + req.path + "; use " + allowed);
      r.headers.emplace_back("Allow", allowed);
      return respond(std::move(r));
    }
    call.who = "anonymous";
    if (route->role) {
      if (auto deny = authorize(req, *route->role, &call.who, &call.role))
        return respond(std::move(*deny));
    }
    if (route->signed_as) {
      if (auto deny = verify_signature(req, route->signed_as)) return respond(std::move(*deny));
    }
    call.req = std::move(req);
    if (route->runs == Runs::kInline) return (this->*route->handler)(call, std::move(respond));
    auto task = [this, handler = route->handler, call = std::move(call), respond]() {
      try {
        (this->*handler)(call, respond);
      } catch (const std::exception& e) {
        spdlog::error("api: {} {} failed: {}", call.req.method, call.req.path, e.what());
        respond(error_response(500, "internal", "internal error"));
      }
    };
    if (!readers_->try_post(std::move(task))) {
      HttpResponse r = error_response(503, "unavailable", "too many API reads waiting; retry");
      r.headers.emplace_back("Retry-After", "1");
      return respond(std::move(r));
    }
  } catch (const std::exception& e) {
    spdlog::error("api: {} {} failed: {}", req.method, req.path, e.what());
    respond(error_response(500, "internal", "internal error"));
  }
}

void Router::health(const Call&, Respond respond) {
  respond(json_response(200, {{"status", "ok"}, {"version", deps_.version}}));
}

void Router::ready(const Call&, Respond respond) {
  // Ready = the engine takes events: not stopping, store committing.
  const Intake::Health h = deps_.intake.health();
  if (!h.accepting)
    return respond(json_response(503, {{"status", "stopping"}, {"version", deps_.version}}));
  if (!h.store_healthy) {
    HttpResponse r = json_response(503, {{"status", "store_unavailable"},
                                         {"version", deps_.version},
                                         {"store_failures", h.store_failures}});
    r.headers.emplace_back("Retry-After", "1");
    return respond(std::move(r));
  }
  respond(json_response(200, {{"status", "ready"},
                              {"version", deps_.version},
                              {"queue_depth", h.queue_depth},
                              {"open_tickets", h.open_tickets}}));
}

namespace {

// The page's files, with headers that keep it from running anything but its
// own script (no inline code, no framing, no third-party requests).
HttpResponse web_asset(std::string_view body, const char* content_type) {
  HttpResponse r;
  r.content_type = content_type;
  r.body = std::string(body);
  r.headers.emplace_back("Content-Security-Policy",
                         "default-src 'none'; script-src 'self'; style-src 'self'; "
                         "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; "
                         "base-uri 'none'; form-action 'self'");
  r.headers.emplace_back("X-Content-Type-Options", "nosniff");
  r.headers.emplace_back("X-Frame-Options", "DENY");
  r.headers.emplace_back("Referrer-Policy", "no-referrer");
  r.headers.emplace_back("Cache-Control", "no-cache");
  return r;
}

}  // namespace

void Router::web_page(const Call&, Respond respond) {
  respond(web_asset(web_index_html(), "text/html; charset=utf-8"));
}

void Router::web_css(const Call&, Respond respond) {
  respond(web_asset(web_app_css(), "text/css; charset=utf-8"));
}

void Router::web_js(const Call&, Respond respond) {
  respond(web_asset(web_app_js(), "text/javascript; charset=utf-8"));
}

void Router::metrics(const Call&, Respond respond) {
  HttpResponse r;
  r.content_type = "text/plain; version=0.0.4";
  if (deps_.metrics) r.body = deps_.metrics();
  respond(std::move(r));
}

void Router::openapi(const Call&, Respond respond) {
  HttpResponse r;
  r.body = std::string(openapi_document());
  respond(std::move(r));
}

void Router::post_events(const Call& c, Respond respond) {
  const HttpRequest& req = c.req;
  if (!is_json_content_type(req.header("content-type"))) {
    return respond(error_response(
        415, "unsupported_media_type",
        "Content-Type must be application/json, got \"" + req.header("content-type") + "\""));
  }
  auto parsed = parse_json(req.body);
  if (!parsed) return respond(json_body_error(parsed.error()));
  const json& body = *parsed;
  const TimePoint now = deps_.clock.now();
  std::vector<Event> events;
  std::vector<std::string> problems;
  auto take = [&](const json& j, const std::string& where) {
    auto e = event_from_json(j, now);
    if (e) {
      events.push_back(std::move(e).value());
    } else {
      problems.push_back(where + e.error().message());
    }
  };
  if (body.is_array()) {
    if (body.empty())
      return respond(error_response(422, "invalid_event", "empty array: no events to accept"));
    for (size_t i = 0; i < body.size(); ++i) take(body[i], "[" + std::to_string(i) + "] ");
  } else {
    take(body, "");
  }
  if (!problems.empty()) {
    // All or nothing: a sender retrying the whole batch must not duplicate
    // the valid half of it.
    std::string msg = problems.front();
    if (problems.size() > 1) msg += " (and " + std::to_string(problems.size() - 1) + " more)";
    HttpResponse r = json_response(
        422, {{"error", {{"code", "invalid_event"}, {"message", msg}, {"details", problems}}}});
    return respond(std::move(r));
  }
  const size_t n = events.size();
  submit_events(std::move(events), {{"status", "accepted"}, {"accepted", n}}, std::move(respond));
}

void Router::submit_events(std::vector<Event> events, json accepted, Respond respond) {
  Status s = deps_.intake.try_submit(std::move(events), [respond, accepted](const Status& st) {
    if (st) {
      respond(json_response(202, accepted));
    } else {
      respond(from_status(st));
    }
  });
  if (!s) respond(from_status(s));
}

void Router::post_alertmanager(const Call& c, Respond respond) {
  post_webhook(c, false, std::move(respond));
}

void Router::post_grafana(const Call& c, Respond respond) {
  post_webhook(c, true, std::move(respond));
}

void Router::post_webhook(const Call& c, bool grafana, Respond respond) {
  const HttpRequest& req = c.req;
  if (!is_json_content_type(req.header("content-type"))) {
    return respond(
        error_response(415, "unsupported_media_type", "Content-Type must be application/json"));
  }
  auto body = parse_json(req.body);
  if (!body) return respond(json_body_error(body.error()));
  auto events = grafana ? ingest::parse_grafana(*body, deps_.clock.now())
                        : ingest::parse_alertmanager(*body, deps_.clock.now());
  if (!events) return respond(error_response(422, "invalid_payload", events.error().message()));
  const size_t n = events->size();
  submit_events(std::move(events).value(), {{"status", "accepted"}, {"accepted", n}},
                std::move(respond));
}

void Router::post_pagerduty(const Call& c, Respond respond) {
  const HttpRequest& req = c.req;
  // PagerDuty clients read its answer, so refusals have exactly its shape:
  // a fixed status and message, the reasons in "errors".
  auto pd_error = [](int status, std::vector<std::string> errors) {
    return json_response(status, {{"status", "invalid event"},
                                  {"message", "Event object is invalid"},
                                  {"errors", std::move(errors)}});
  };
  if (!is_json_content_type(req.header("content-type")))
    return respond(pd_error(415, {"Content-Type must be application/json"}));
  auto body = parse_json(req.body);
  if (!body) {
    return respond(pd_error(
        400,
        {is_too_deep(body.error()) ? "request body is " + body.error().message()
                                   : "request body is not valid JSON: " + body.error().message()}));
  }
  auto parsed = ingest::parse_pagerduty(*body, deps_.clock.now(), deps_.pagerduty_integrations);
  if (!parsed.ok()) {
    if (std::find(parsed.errors.begin(), parsed.errors.end(), "Invalid routing key") !=
        parsed.errors.end()) {
      // Never the whole key: it is the integration's secret.
      spdlog::warn("api: /v2/enqueue from {}: unknown routing key {}", req.peer,
                   ingest::masked_routing_key(body->at("routing_key").is_string()
                                                  ? body->at("routing_key").get<std::string>()
                                                  : body->at("routing_key").dump()));
    }
    return respond(pd_error(400, std::move(parsed.errors)));
  }
  ingest::PagerDutyEvent* pd = &parsed.event;
  json ok = {{"status", "success"}, {"message", "Event processed"}, {"dedup_key", pd->dedup_key}};
  if (pd->action == "trigger") {
    std::vector<Event> events;
    events.push_back(std::move(pd->event));
    return submit_events(std::move(events), ok, std::move(respond));
  }
  const auto command = parse_alert_command(pd->action);
  if (!command) return respond(pd_error(400, {"'event_action' is invalid"}));
  Status s = deps_.intake.try_command(
      [key = pd->dedup_key, command = *command](engine::Engine& eng, TimePoint now,
                                                engine::Actions& out) -> Result<json> {
        std::string ticket;
        auto r = eng.alert_command(key, command, "pagerduty", now, &ticket);
        if (!r) return r.error();
        for (auto& a : *r) out.push_back(std::move(a));
        for (auto& a : eng.flush_updates()) out.push_back(std::move(a));
        return json{{"ticket", ticket}};
      },
      [respond, ok](Result<json> r) {
        if (r) {
          respond(json_response(202, ok));
        } else {
          respond(from_status(r.error()));
        }
      });
  if (!s) respond(from_status(s));
}

void Router::post_json_source(const Call& c, Respond respond) {
  const HttpRequest& req = c.req;
  const std::string& source = c.param(0);
  auto mapping = deps_.json_sources.find(source);
  if (mapping == deps_.json_sources.end()) {
    return respond(error_response(
        404, "not_found", "no JSON source \"" + source + "\" (configure it under json_sources)"));
  }
  if (auto deny = verify_signature(req, "json_sources." + source)) return respond(std::move(*deny));
  // AWS SNS posts its JSON as text/plain; the body must parse as JSON either way.
  const std::string type = req.header("content-type");
  if (!is_json_content_type(type) && type.rfind("text/plain", 0) != 0) {
    return respond(error_response(
        415, "unsupported_media_type",
        "Content-Type must be application/json (or text/plain), got \"" + type + "\""));
  }
  auto body = parse_json(req.body);
  if (!body) return respond(json_body_error(body.error()));
  auto events = ingest::map_json_alerts(mapping->second, *body, deps_.clock.now());
  if (!events) return respond(error_response(422, "invalid_event", events.error().message()));
  const size_t n = events->size();
  submit_events(std::move(events).value(), {{"status", "accepted"}, {"accepted", n}},
                std::move(respond));
}

void Router::whoami(const Call& c, Respond respond) {
  if (deps_.tokens.empty())
    return respond(json_response(200, {{"name", "anonymous"}, {"role", "admin"}, {"auth", false}}));
  respond(json_response(
      200, {{"name", c.who}, {"role", role_name(c.role.value_or(Role::kRead))}, {"auth", true}}));
}

void Router::list_tickets(const Call& c, Respond respond) {
  const HttpRequest& req = c.req;
  store::TicketQuery q;
  auto param = [&](const char* name) -> std::string {
    auto it = req.query.find(name);
    return it == req.query.end() ? "" : it->second;
  };
  if (auto v = param("status"); v == "open") {
    q.open_only = true;
  } else if (!v.empty()) {
    q.status = parse_ticket_status(v);
    if (!q.status) {
      return respond(error_response(400, "invalid_argument",
                                    "unknown status \"" + v +
                                        "\", expected open, new, assigned, in_progress, pending, "
                                        "resolved, closed or cancelled"));
    }
  }
  if (auto v = param("type"); !v.empty()) {
    q.type = parse_ticket_type(v);
    if (!q.type)
      return respond(error_response(400, "invalid_argument", "unknown type \"" + v + "\""));
  }
  if (auto v = param("priority"); !v.empty()) {
    q.priority = parse_priority(v);
    if (!q.priority)
      return respond(error_response(400, "invalid_argument",
                                    "unknown priority \"" + v + "\", expected P1..P5"));
  }
  // team= and assignee=: empty means any; "none" selects the tickets
  // without one.
  if (auto v = param("team"); !v.empty()) q.team = v == "none" ? "" : v;
  if (auto v = param("assignee"); !v.empty()) q.assignee = v == "none" ? "" : v;
  if (auto v = param("sort"); v == "newest") {
    q.sort = store::TicketSort::kNewest;
  } else if (v == "priority") {
    q.sort = store::TicketSort::kPriority;
  } else if (!v.empty()) {
    return respond(error_response(400, "invalid_argument",
                                  "unknown sort \"" + v + "\", expected newest or priority"));
  }
  q.text = param("q");
  q.cursor = param("cursor");
  if (auto v = param("limit"); !v.empty()) {
    try {
      size_t used = 0;
      q.limit = std::stoi(v, &used);
      if (used != v.size() || q.limit < 1 || q.limit > 1000) throw std::out_of_range("limit");
    } catch (...) {
      return respond(error_response(400, "invalid_argument",
                                    "limit must be an integer from 1 to 1000, got \"" + v + "\""));
    }
  }
  auto page = deps_.store.list_tickets(q);
  if (!page) return respond(from_status(page.error()));
  json list = json::array();
  for (const Ticket& t : page->tickets) list.push_back(ticket_to_json(t));
  json out = {{"tickets", list},
              {"next_cursor", page->next_cursor.empty() ? json(nullptr) : json(page->next_cursor)},
              {"total", page->total}};
  respond(json_response(200, out));
}

void Router::get_ticket(const Call& c, Respond respond) {
  const std::string& key = c.param(0);
  auto t = deps_.store.get_ticket(key);
  if (!t) return respond(from_status(t.error()));
  if (!*t) return respond(error_response(404, "not_found", "no ticket " + key));
  respond(json_response(200, ticket_detail_json(**t)));
}

void Router::get_similar(const Call& c, Respond respond) {
  const std::string& key = c.param(0);
  auto t = deps_.store.get_ticket(key);
  if (!t) return respond(from_status(t.error()));
  if (!*t) return respond(error_response(404, "not_found", "no ticket " + key));
  auto similar = deps_.store.similar(**t, {.limit = 10, .by_text = true});
  if (!similar) return respond(from_status(similar.error()));
  respond(json_response(200, {{"key", key}, {"similar", similar_to_json(*similar)}}));
}

void Router::get_timeline(const Call& c, Respond respond) {
  const std::string& key = c.param(0);
  auto t = deps_.store.get_ticket(key);
  if (!t) return respond(from_status(t.error()));
  if (!*t) return respond(error_response(404, "not_found", "no ticket " + key));
  auto entries = deps_.store.timeline(key);
  if (!entries) return respond(from_status(entries.error()));
  json list = json::array();
  for (const TimelineEntry& e : *entries) list.push_back(timeline_entry_to_json(e));
  respond(json_response(200, {{"key", key}, {"timeline", list}}));
}

void Router::get_ticket_events(const Call& c, Respond respond) {
  const HttpRequest& req = c.req;
  const std::string& key = c.param(0);
  int limit = 100;
  if (auto it = req.query.find("limit"); it != req.query.end())
    limit = std::atoi(it->second.c_str());
  auto events = deps_.store.ticket_events(key, limit);
  if (!events) return respond(from_status(events.error()));
  json list = json::array();
  for (const store::StoredEvent& e : *events) {
    list.push_back({{"id", e.id},
                    {"received_at", format_rfc3339(e.received_at)},
                    {"decision", e.decision},
                    {"rule", e.rule},
                    {"event", event_to_json(e.event)}});
  }
  respond(json_response(200, {{"key", key}, {"events", list}}));
}

namespace {
// since= and until=: RFC 3339, or a duration ("24h", "30m", "7d") meaning
// that long before now.
std::optional<TimePoint> parse_time_param(const std::string& v, TimePoint now) {
  if (auto ago = parse_duration(v)) return now - *ago;
  if (auto t = parse_rfc3339(v)) return *t;
  return std::nullopt;
}
}  // namespace

void Router::list_events(const Call& c, Respond respond) {
  const HttpRequest& req = c.req;
  auto param = [&](const char* name) -> std::optional<std::string> {
    auto it = req.query.find(name);
    if (it == req.query.end()) return std::nullopt;
    return it->second;
  };
  store::EventQuery q;
  if (auto v = param("decision"); v && !v->empty()) {
    if (!parse_decision(*v)) {
      return respond(
          error_response(400, "invalid_argument",
                         "unknown decision \"" + *v + "\", expected one of " + decision_names()));
    }
    q.decision = *v;
  }
  const TimePoint now = deps_.clock.now();
  for (const char* name : {"since", "until"}) {
    auto v = param(name);
    if (!v || v->empty()) continue;
    auto t = parse_time_param(*v, now);
    if (!t) {
      return respond(
          error_response(400, "invalid_argument",
                         std::string(name) +
                             " must be an RFC 3339 time (2026-11-28T14:03:00Z) or a duration "
                             "before now (30m, 24h, 7d), got \"" +
                             *v + "\""));
    }
    (std::string_view(name) == "since" ? q.since : q.until) = *t;
  }
  // rule=, host=, ticket=: exactly that; empty means any.
  if (auto v = param("rule"); v && !v->empty()) q.rule = *v;
  if (auto v = param("host"); v && !v->empty()) q.host = *v;
  if (auto v = param("ticket"); v && !v->empty()) q.ticket = *v;
  q.cursor = param("cursor").value_or("");
  if (auto v = param("limit"); v && !v->empty()) {
    try {
      size_t used = 0;
      q.limit = std::stoi(*v, &used);
      if (used != v->size() || q.limit < 1 || q.limit > 1000) throw std::out_of_range("limit");
    } catch (...) {
      return respond(error_response(400, "invalid_argument",
                                    "limit must be an integer from 1 to 1000, got \"" + *v + "\""));
    }
  }
  auto page = deps_.store.list_events(q);
  if (!page) return respond(from_status(page.error()));
  json list = json::array();
  for (const store::StoredEvent& e : page->events) {
    list.push_back({{"id", e.id},
                    {"received_at", format_rfc3339(e.received_at)},
                    {"decision", e.decision},
                    {"rule", e.rule},
                    {"ticket", e.ticket_key},
                    {"detail", e.detail},
                    {"event", event_to_json(e.event)}});
  }
  respond(json_response(
      200, {{"events", list},
            {"next_cursor", page->next_cursor.empty() ? json(nullptr) : json(page->next_cursor)}}));
}

void Router::engine_command(Intake::Command command, int ok_status, Respond respond) {
  Status s = deps_.intake.try_command(std::move(command), [respond, ok_status](Result<json> r) {
    if (r) {
      respond(json_response(ok_status, *r));
    } else {
      respond(from_status(r.error()));
    }
  });
  if (!s) respond(from_status(s));
}

void Router::create_ticket(const Call& c, Respond respond) {
  ticket_command(c, "create", std::move(respond));
}
void Router::patch_ticket(const Call& c, Respond respond) {
  ticket_command(c, "patch", std::move(respond));
}
void Router::add_note(const Call& c, Respond respond) {
  ticket_command(c, "notes", std::move(respond));
}
void Router::acknowledge(const Call& c, Respond respond) {
  ticket_command(c, "ack", std::move(respond));
}

void Router::ticket_command(const Call& c, const std::string& what, Respond respond) {
  const HttpRequest& req = c.req;
  const std::string key = c.params.empty() ? std::string() : c.param(0);
  json body = json::object();
  if (what != "ack" || !req.body.empty()) {
    if (!is_json_content_type(req.header("content-type"))) {
      return respond(
          error_response(415, "unsupported_media_type", "Content-Type must be application/json"));
    }
    auto parsed = parse_json(req.body);
    if (!parsed) return respond(json_body_error(parsed.error()));
    body = std::move(parsed).value();
  }
  // A ticket the engine no longer holds (resolved long ago) goes with the command.
  std::optional<Ticket> stored;
  if (!key.empty()) {
    auto t = deps_.store.get_ticket(key);
    if (!t) return respond(from_status(t.error()));
    if (!*t) return respond(error_response(404, "not_found", "no ticket " + key));
    stored = **t;
  }
  if (body.is_object() && body.contains("actor") && !body["actor"].is_string()) {
    return respond(error_response(422, "invalid_argument", "\"actor\" must be a string"));
  }
  const std::string actor = "user:" + attribution(c.who, display_name(body, "actor"));
  if (body.is_object()) body.erase("actor");
  // The body becomes a typed command here; the engine never sees JSON.
  std::function<Result<engine::Actions>(engine::Engine&, TimePoint)> run;
  if (what == "create") {
    auto spec = parse_new_ticket(body);
    if (!spec) return respond(from_status(spec.error()));
    run = [spec = std::move(spec).value(), actor](engine::Engine& eng, TimePoint now) {
      return eng.create_ticket(spec, actor, now);
    };
  } else if (what == "patch") {
    auto patch = parse_ticket_patch(body);
    if (!patch) return respond(from_status(patch.error()));
    run = [key, patch = std::move(patch).value(), actor, stored](engine::Engine& eng,
                                                                 TimePoint now) {
      return eng.patch_ticket(key, patch, actor, now, stored);
    };
  } else if (what == "ack") {
    run = [key, actor, stored](engine::Engine& eng, TimePoint now) {
      return eng.acknowledge(key, actor, now, stored);
    };
  } else {
    auto note = parse_note(body);
    if (!note) return respond(from_status(note.error()));
    run = [key, note = std::move(note).value(), actor, stored](engine::Engine& eng, TimePoint now) {
      return eng.add_note(key, note.text, note.visibility, actor, now, stored);
    };
  }
  engine_command(
      [key, run = std::move(run)](engine::Engine& eng, TimePoint now,
                                  engine::Actions& out) -> Result<json> {
        Result<engine::Actions> r = run(eng, now);
        if (!r) return r.error();
        for (auto& a : eng.flush_updates())
          r->push_back(std::move(a));  // batch mode defers updates
        json result;
        std::string wanted = key;
        for (auto& a : *r) {
          if (const auto* o = std::get_if<engine::TicketOpened>(&a);
              o && (wanted.empty() || o->ticket.key == wanted)) {
            wanted = o->ticket.key;
            result = ticket_detail_json(o->ticket);
          }
          if (const auto* u = std::get_if<engine::TicketUpdated>(&a);
              u && u->ticket.key == wanted) {
            result = ticket_detail_json(u->ticket);
          }
          out.push_back(std::move(a));
        }
        return result;
      },
      what == "create" || what == "notes" ? 201 : 200, std::move(respond));
}

void Router::stats(const Call&, Respond respond) {
  auto stats = deps_.store.stats();
  if (!stats) return respond(from_status(stats.error()));
  respond(json_response(200, stats_to_json(*stats)));
}

void Router::trends(const Call& c, Respond respond) {
  const HttpRequest& req = c.req;
  store::TrendsQuery q;
  q.days = 30;
  if (auto it = req.query.find("days"); it != req.query.end()) {
    const std::string& v = it->second;
    try {
      size_t used = 0;
      q.days = std::stoi(v, &used);
      if (used != v.size() || q.days < 1 || q.days > 365) throw std::out_of_range("days");
    } catch (...) {
      return respond(
          error_response(400, "invalid_argument",
                         "days must be an integer from 1 to 365, got \"" + v.substr(0, 40) + "\""));
    }
  }
  std::optional<std::string> team;
  if (auto it = req.query.find("team"); it != req.query.end() && !it->second.empty()) {
    team = it->second;
    std::string lower = *team;
    for (auto& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    q.team = lower == "none" ? std::string() : *team;
  }
  // Whole UTC days: the window starts at the midnight `days - 1` days before
  // today's, and its last day is today.
  constexpr int64_t kDayMs = 24 * 60 * 60 * 1000;
  const int64_t now = to_unix_ms(deps_.clock.now());
  const int64_t today = now >= 0 ? now / kDayMs * kDayMs : (now - kDayMs + 1) / kDayMs * kDayMs;
  q.since = from_unix_ms(today - (q.days - 1) * kDayMs);
  auto trends = deps_.store.trends(q);
  if (!trends) return respond(from_status(trends.error()));
  respond(json_response(200, trends_to_json(*trends, team)));
}

void Router::list_rules(const Call&, Respond respond) {
  engine_command(
      [](engine::Engine& eng, TimePoint, engine::Actions&) -> Result<json> {
        std::map<std::string, int64_t> open;
        for (const auto& [rule, n] : eng.open_tickets_by_rule()) open[rule] = n;
        json list = json::array();
        for (const rules::Rule& r : eng.rules().rules()) {
          auto hits = eng.rule_hits().find(r.name);
          list.push_back({{"name", r.name},
                          {"description", r.description},
                          {"file", r.file},
                          {"line", r.line},
                          {"action", r.action == rules::RuleAction::kDrop ? "drop" : "ticket"},
                          {"digest", r.digest},
                          {"hits", hits == eng.rule_hits().end() ? 0 : hits->second},
                          {"open_tickets", open[r.name]}});
        }
        return json{{"rules", list}};
      },
      200, std::move(respond));
}

// The running rule set in the canonical form `ticketctl rules diff` compares.
void Router::rules_definition(const Call&, Respond respond) {
  engine_command([](engine::Engine& eng, TimePoint,
                    engine::Actions&) -> Result<json> { return rules::describe(eng.rules()); },
                 200, std::move(respond));
}

void Router::reload_rules(const Call&, Respond respond) {
  std::vector<std::string> diagnostics;
  auto r = deps_.reload_rules(&diagnostics);
  if (!r) {
    HttpResponse resp = json_response(422, {{"error",
                                             {{"code", "invalid_rules"},
                                              {"message", r.error().message()},
                                              {"details", diagnostics}}}});
    return respond(std::move(resp));
  }
  respond(json_response(200, {{"status", "reloaded"}, {"rules", *r}, {"warnings", diagnostics}}));
}

void Router::explain(const Call& c, Respond respond) {
  const HttpRequest& req = c.req;
  if (!is_json_content_type(req.header("content-type"))) {
    return respond(
        error_response(415, "unsupported_media_type", "Content-Type must be application/json"));
  }
  auto body = parse_json(req.body);
  if (!body) return respond(json_body_error(body.error()));
  auto e = event_from_json(*body, deps_.clock.now());
  if (!e) return respond(error_response(422, "invalid_event", e.error().message()));
  engine_command(
      [event = std::move(e).value()](engine::Engine& eng, TimePoint now, engine::Actions&)
          -> Result<json> { return eng.explain(event, now).to_json(); },
      200, std::move(respond));
}

namespace {

// "42" -> 42; anything else (or not positive) -> none.
std::optional<int64_t> entry_id(const std::string& text) {
  try {
    size_t used = 0;
    const long long v = std::stoll(text, &used);
    if (used != text.size() || v <= 0) return std::nullopt;
    return v;
  } catch (...) {
    return std::nullopt;
  }
}

}  // namespace

void Router::list_outbox(const Call& c, Respond respond) {
  const HttpRequest& req = c.req;
  auto param = [&](const char* name) -> std::string {
    auto it = req.query.find(name);
    return it == req.query.end() ? "" : it->second;
  };
  store::OutboxQuery q;
  q.target = param("target");
  q.ticket_key = param("ticket");
  if (auto v = param("held"); v == "true" || v == "1") {
    q.held_only = true;
  } else if (!v.empty() && v != "false" && v != "0") {
    return respond(error_response(400, "invalid_argument", "held must be true or false"));
  }
  if (auto v = param("limit"); !v.empty()) {
    auto n = entry_id(v);
    if (!n || *n > 1000)
      return respond(error_response(400, "invalid_argument", "limit must be 1..1000"));
    q.limit = static_cast<int>(*n);
  }
  if (auto v = param("after"); !v.empty() && v != "0") {
    auto n = entry_id(v);
    if (!n) return respond(error_response(400, "invalid_argument", "after must be an entry id"));
    q.after_id = *n;
  }
  auto entries = deps_.store.outbox_list(q);
  if (!entries) return respond(from_status(entries.error()));
  json list = json::array();
  for (const store::OutboxEntry& e : *entries) list.push_back(outbox_entry_to_json(e));
  json out = {{"entries", list}};
  if (static_cast<int>(entries->size()) == q.limit && !entries->empty())
    out["next_after"] = entries->back().id;
  respond(json_response(200, out));
}

void Router::retry_outbox(const Call& c, Respond respond) {
  auto id = entry_id(c.param(0));
  if (!id) return respond(error_response(404, "not_found", "no outbox entry " + c.param(0)));
  auto r = deps_.store.outbox_retry(*id, deps_.clock.now());
  if (!r) return respond(from_status(r.error()));
  if (!*r) return respond(error_response(404, "not_found", "no outbox entry " + c.param(0)));
  spdlog::info("api: outbox entry {} released for retry by {}", *id, c.who);
  deps_.outbox_wake();
  respond(json_response(200, {{"id", *id}, {"retry", true}}));
}

void Router::drop_outbox(const Call& c, Respond respond) {
  auto id = entry_id(c.param(0));
  if (!id) return respond(error_response(404, "not_found", "no outbox entry " + c.param(0)));
  auto r = deps_.store.outbox_drop(*id);
  if (!r) return respond(from_status(r.error()));
  if (!*r) return respond(error_response(404, "not_found", "no outbox entry " + c.param(0)));
  spdlog::warn("api: outbox entry {} dropped unsent by {}", *id, c.who);
  respond(json_response(200, {{"id", *id}, {"dropped", true}}));
}

void Router::post_backend_webhook(const Call& c, Respond respond) {
  if (!deps_.backend_webhook)
    return respond(error_response(404, "not_found", "no backend named " + c.param(0)));
  // Whatever the connector does with it, a body nested too deep is refused
  // here, before any tree exists (see core/json.hpp).
  if (auto checked = parse_json(c.req.body); !checked)
    return respond(json_body_error(checked.error()));
  auto r = deps_.backend_webhook(c.param(0), c.req.body);
  if (!r) return respond(from_status(r.error()));
  respond(json_response(200, *r));
}

void Router::list_silences(const Call&, Respond respond) {
  auto list = deps_.store.list_silences();
  if (!list) return respond(from_status(list.error()));
  const TimePoint now = deps_.clock.now();
  json out = json::array();
  for (const std::string& body : *list) {
    auto s = engine::saved_silence(SilenceSaved{{}, {}, body});
    if (s) out.push_back(engine::silence_to_json(*s, now));
  }
  respond(json_response(200, {{"silences", out}}));
}

namespace {

// The silence in a request's JSON body (as POST /api/v1/silences takes it),
// or the answer refusing it: 415, 400 or 422. An "id" in the body is ignored.
std::variant<engine::Silence, HttpResponse> silence_in_body(const HttpRequest& req, TimePoint now,
                                                            json* body_out) {
  if (!is_json_content_type(req.header("content-type")))
    return error_response(415, "unsupported_media_type", "Content-Type must be application/json");
  auto parsed = parse_json(req.body);
  if (!parsed) return json_body_error(parsed.error());
  json body = std::move(parsed).value();
  if (body.is_object()) body.erase("id");
  auto s = engine::silence_from_json(body, now);
  if (!s) return error_response(422, "invalid_silence", s.error().message());
  if (body_out) *body_out = std::move(body);
  return std::move(s).value();
}

}  // namespace

void Router::add_silence(const Call& c, Respond respond) {
  json body;
  auto read = silence_in_body(c.req, deps_.clock.now(), &body);
  if (auto* refused = std::get_if<HttpResponse>(&read)) return respond(std::move(*refused));
  auto s = std::get<engine::Silence>(std::move(read));
  std::string by = display_name(body, "created_by");
  if (by.empty()) by = display_name(body, "createdBy");  // Alertmanager's spelling
  s.created_by = attribution(c.who, by);
  engine_command(
      [silence = std::move(s)](engine::Engine& eng, TimePoint now,
                               engine::Actions& out) -> Result<json> {
        auto added = eng.add_silence(silence, now);
        if (!added) return added.error();
        auto saved = engine::saved_silence(std::get<engine::SilenceSaved>(added->front()));
        if (!saved) return saved.error();
        json j = engine::silence_to_json(*saved, now);
        for (auto& a : *added) out.push_back(std::move(a));
        return j;
      },
      201, std::move(respond));
}

void Router::preview_silence(const Call& c, Respond respond) {
  // How far the preview looks: open tickets (each by its newest events) and
  // the events of the last day, newest first; what lies beyond is counted
  // as capped, never read.
  constexpr int kTicketsShown = 50;
  constexpr int kTicketsExamined = 10000;
  constexpr int kEventsPerTicket = 10;
  constexpr int kEventsExamined = 10000;
  constexpr auto kRecent = std::chrono::hours(24);
  const TimePoint now = deps_.clock.now();
  auto read = silence_in_body(c.req, now, nullptr);
  if (auto* refused = std::get_if<HttpResponse>(&read)) return respond(std::move(*refused));
  const auto silence = std::get<engine::Silence>(std::move(read));

  // Open tickets, newest first, page by page: a ticket matches when one of
  // its newest stored events does (the engine silences events, and a
  // ticket grouping several alerts matches by any of them).
  json shown = json::array();
  int64_t total = 0, examined = 0;
  bool tickets_capped = false;
  store::TicketQuery q;
  q.open_only = true;
  q.sort = store::TicketSort::kPriority;  // reads only open tickets; the most urgent shown first
  q.limit = 1000;
  for (;;) {
    auto page = deps_.store.list_tickets(q);
    if (!page) return respond(from_status(page.error()));
    std::vector<std::string> keys;
    for (const Ticket& t : page->tickets) keys.push_back(t.key);
    auto events = deps_.store.latest_ticket_events(keys, kEventsPerTicket);
    if (!events) return respond(from_status(events.error()));
    for (const Ticket& t : page->tickets) {
      auto it = events->find(t.key);
      if (it == events->end()) continue;
      for (const store::StoredEvent& e : it->second) {
        if (!silence.matches(e.event)) continue;
        if (++total <= kTicketsShown) {
          json j = ticket_summary_to_json(t);
          j["host"] = e.event.host;
          shown.push_back(std::move(j));
        }
        break;
      }
    }
    examined += static_cast<int64_t>(page->tickets.size());
    if (page->next_cursor.empty()) break;
    if (examined >= kTicketsExamined) {
      tickets_capped = true;
      break;
    }
    q.cursor = page->next_cursor;
  }

  auto recent = deps_.store.recent_events(now - kRecent, kEventsExamined + 1);
  if (!recent) return respond(from_status(recent.error()));
  const bool events_capped = recent->size() > static_cast<size_t>(kEventsExamined);
  if (events_capped) recent->resize(kEventsExamined);
  int64_t recent_matches = 0;
  for (const store::StoredEvent& e : *recent) recent_matches += silence.matches(e.event) ? 1 : 0;
  respond(json_response(200, {{"tickets", std::move(shown)},
                              {"tickets_total", total},
                              {"tickets_examined", examined},
                              {"tickets_capped", tickets_capped},
                              {"recent_events", recent_matches},
                              {"recent_events_examined", recent->size()},
                              {"recent_events_capped", events_capped}}));
}

void Router::expire_silence(const Call& c, Respond respond) {
  const std::string& id = c.param(0);
  engine_command(
      [id](engine::Engine& eng, TimePoint now, engine::Actions& out) -> Result<json> {
        auto expired = eng.expire_silence(id, now);
        if (!expired) return expired.error();
        auto saved = engine::saved_silence(std::get<engine::SilenceSaved>(expired->front()));
        if (!saved) return saved.error();
        json j = engine::silence_to_json(*saved, now);
        for (auto& a : *expired) out.push_back(std::move(a));
        return j;
      },
      200, std::move(respond));
}

std::optional<HttpResponse> Router::admit(const HttpRequest& head) const {
  if (deps_.tokens.empty()) return std::nullopt;
  if (const Route* route = find_route(head.method, head.path, nullptr, nullptr)) {
    if (!route->role) return std::nullopt;
    return authorize(head, *route->role);
  }
  // Unknown path or method: any valid token may learn it is a 404 or 405.
  auto deny = authorize(head, Role::kAdmin);
  if (deny && deny->status == 403) return std::nullopt;
  return deny;
}

}  // namespace ticketd::api
