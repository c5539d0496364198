#include "ticketd/api/routes.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

#include "shapes.hpp"
#include "web_page.hpp"
#include "ticketd/core/json.hpp"
#include "ticketd/core/text.hpp"
#include "ticketd/ingest/webhook_parsers.hpp"

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
    case StatusCode::kInvalidArgument: return error_response(400, "invalid_argument", s.message());
    case StatusCode::kNotFound: return error_response(404, "not_found", s.message());
    case StatusCode::kConflict: return error_response(409, "conflict", s.message());
    case StatusCode::kAlreadyExists: return error_response(409, "already_exists", s.message());
    case StatusCode::kUnavailable: {
      HttpResponse r = error_response(503, "unavailable", s.message());
      r.headers.emplace_back("Retry-After", "1");
      return r;
    }
    default: return error_response(500, "internal", s.message());
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
    const auto next = [&](size_t k) { return i + k < raw.size() ? static_cast<unsigned char>(raw[i + k]) : 0; };
    if (c < 0x20 || c == 0x7f) {
      name += ' ';
    } else if (c == '(' || c == ')') {
      continue;
    } else if (c == 0xC2 && next(1) >= 0x80 && next(1) <= 0x9F) {  // C1 controls
      ++i;
    } else if (c == 0xE2 && next(1) == 0x80 && ((next(2) >= 0x8B && next(2) <= 0x8F) || (next(2) >= 0xA8 && next(2) <= 0xAE))) {
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

bool is_json_content_type(const std::string& ct) {
  std::string base = ct.substr(0, ct.find(';'));
  while (!base.empty() && base.back() == ' ') base.pop_back();
  for (auto& c : base) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return base == "application/json" || (base.rfind("application/", 0) == 0 && base.size() > 5 &&
                                        base.compare(base.size() - 5, 5, "+json") == 0);
}

}  // namespace

std::optional<HttpResponse> Router::verify_signature(const HttpRequest& req, const std::string& endpoint) const {
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
      spdlog::warn("api: {} from {}: missing or invalid {} signature", req.path, req.peer, sig.header);
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

std::optional<HttpResponse> Router::authorize(const HttpRequest& req, Role needed, std::string* who) const {
  if (who) *who = "anonymous";
  if (deps_.tokens.empty()) return std::nullopt;
  const std::string auth = req.header("authorization");
  const std::string prefix = "Bearer ";
  if (auth.size() <= prefix.size() || auth.compare(0, prefix.size(), prefix) != 0) {
    HttpResponse r = error_response(401, "unauthorized", "missing \"Authorization: Bearer TOKEN\" header");
    r.headers.emplace_back("WWW-Authenticate", "Bearer");
    return r;
  }
  const std::string secret = auth.substr(prefix.size());
  for (const ApiToken& t : deps_.tokens) {
    if (!same_secret(t.token, secret)) continue;
    if (who) *who = t.name;
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

void Router::handle(HttpRequest req, Respond respond) {
  try {
    const std::string& p = req.path;
    if (p == "/healthz" || p == "/readyz") {
      if (req.method != "GET" && req.method != "HEAD") return respond(error_response(405, "method_not_allowed", "use GET"));
      if (p == "/readyz") {
        // Ready = the engine takes events: not stopping, queue not full.
        const Intake::Health h = deps_.intake.health();
        if (!h.accepting) {
          return respond(json_response(503, {{"status", "stopping"}, {"version", deps_.version}}));
        }
        if (!h.store_healthy) {
          HttpResponse r = json_response(503, {{"status", "store_unavailable"},
                                               {"version", deps_.version},
                                               {"store_failures", h.store_failures}});
          r.headers.emplace_back("Retry-After", "1");
          return respond(std::move(r));
        }
        return respond(json_response(200, {{"status", "ready"},
                                           {"version", deps_.version},
                                           {"queue_depth", h.queue_depth},
                                           {"open_tickets", h.open_tickets}}));
      }
      return respond(json_response(200, {{"status", "ok"}, {"version", deps_.version}}));
    }
    if (p == "/" || p == "/index.html") {
      if (req.method != "GET") return respond(error_response(405, "method_not_allowed", "use GET"));
      // The page itself holds no data; its API calls carry the token.
      HttpResponse page;
      page.content_type = "text/html; charset=utf-8";
      page.body = kWebPage;
      page.headers.emplace_back("Content-Security-Policy",
                                "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'");
      page.headers.emplace_back("X-Content-Type-Options", "nosniff");
      return respond(std::move(page));
    }
    if (p == "/metrics") {
      if (auto deny = authorize(req, Role::kRead)) return respond(*deny);
      return respond(metrics());
    }
    if (p == "/api/v1/events") {
      if (req.method != "POST") return respond(error_response(405, "method_not_allowed", "use POST"));
      if (auto deny = authorize(req, Role::kIngest)) return respond(*deny);
      if (auto deny = verify_signature(req, "events")) return respond(*deny);
      return post_events(req, std::move(respond));
    }
    if (p == "/api/v1/webhooks/alertmanager" || p == "/api/v1/webhooks/grafana" || p == "/v2/enqueue") {
      if (req.method != "POST") return respond(error_response(405, "method_not_allowed", "use POST"));
      if (auto deny = authorize(req, Role::kIngest)) return respond(*deny);
      const std::string endpoint = p == "/v2/enqueue" ? "pagerduty" : p.substr(p.rfind('/') + 1);
      if (auto deny = verify_signature(req, endpoint)) return respond(*deny);
      if (p == "/v2/enqueue") return post_pagerduty(req, std::move(respond));
      return post_webhook(req, p.substr(p.rfind('/') + 1), std::move(respond));
    }
    const std::string tickets = "/api/v1/tickets";
    if (p == "/api/v1/rules") {
      if (req.method != "GET") return respond(error_response(405, "method_not_allowed", "use GET"));
      if (auto deny = authorize(req, Role::kRead)) return respond(*deny);
      return list_rules(std::move(respond));
    }
    if (p == "/api/v1/rules/reload") {
      if (req.method != "POST") return respond(error_response(405, "method_not_allowed", "use POST"));
      if (auto deny = authorize(req, Role::kAdmin)) return respond(*deny);
      return reload_rules(std::move(respond));
    }
    if (p == "/api/v1/stats") {
      if (req.method != "GET") return respond(error_response(405, "method_not_allowed", "use GET"));
      if (auto deny = authorize(req, Role::kRead)) return respond(*deny);
      auto stats = deps_.store.stats();
      if (!stats) return respond(from_status(stats.error()));
      return respond(json_response(200, stats_to_json(*stats)));
    }
    if (p == "/api/v1/explain") {
      if (req.method != "POST") return respond(error_response(405, "method_not_allowed", "use POST"));
      if (auto deny = authorize(req, Role::kRead)) return respond(*deny);
      return explain(req, std::move(respond));
    }
    if (p == "/api/v1/silences") {
      if (req.method == "GET") {
        if (auto deny = authorize(req, Role::kRead)) return respond(*deny);
        return respond(list_silences());
      }
      if (req.method != "POST") return respond(error_response(405, "method_not_allowed", "use GET or POST"));
      std::string who;
      if (auto deny = authorize(req, Role::kAdmin, &who)) return respond(*deny);
      return add_silence(req, who, std::move(respond));
    }
    if (p.rfind("/api/v1/silences/", 0) == 0) {
      if (req.method != "DELETE") return respond(error_response(405, "method_not_allowed", "use DELETE"));
      if (auto deny = authorize(req, Role::kAdmin)) return respond(*deny);
      return expire_silence(p.substr(std::string("/api/v1/silences/").size()), std::move(respond));
    }
    if (p == tickets || p.rfind(tickets + "/", 0) == 0) {
      std::string key, sub;
      if (p != tickets) {
        std::string rest = p.substr(tickets.size() + 1);
        auto slash = rest.find('/');
        key = rest.substr(0, slash);
        sub = slash == std::string::npos ? "" : rest.substr(slash + 1);
      }
      if (req.method == "GET") {
        if (auto deny = authorize(req, Role::kRead)) return respond(*deny);
        if (p == tickets) return respond(list_tickets(req));
        if (sub.empty()) return respond(get_ticket(key));
        if (sub == "timeline") return respond(get_timeline(key));
        if (sub == "events") return respond(get_ticket_events(req, key));
        if (sub == "similar") return respond(get_similar(key));
      } else if (req.method == "POST" || req.method == "PATCH") {
        std::string who;
        if (auto deny = authorize(req, Role::kWrite, &who)) return respond(*deny);
        if (p == tickets && req.method == "POST") return ticket_command(req, "", "create", who, std::move(respond));
        if (!key.empty() && sub.empty() && req.method == "PATCH") return ticket_command(req, key, "patch", who, std::move(respond));
        if (!key.empty() && (sub == "notes" || sub == "ack") && req.method == "POST") {
          return ticket_command(req, key, sub, who, std::move(respond));
        }
      }
      if (sub.empty() || sub == "timeline" || sub == "events" || sub == "notes" || sub == "ack" || sub == "similar") {
        return respond(error_response(405, "method_not_allowed", req.method + " is not allowed on " + p));
      }
    }
    respond(error_response(404, "not_found", "no route for " + req.method + " " + p));
  } catch (const std::exception& e) {
    spdlog::error("api: {} {} failed: {}", req.method, req.path, e.what());
    respond(error_response(500, "internal", "internal error"));
  }
}

void Router::post_events(const HttpRequest& req, Respond respond) {
  if (!is_json_content_type(req.header("content-type"))) {
    return respond(error_response(415, "unsupported_media_type",
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
    if (body.empty()) return respond(error_response(422, "invalid_event", "empty array: no events to accept"));
    for (size_t i = 0; i < body.size(); ++i) take(body[i], "[" + std::to_string(i) + "] ");
  } else {
    take(body, "");
  }
  if (!problems.empty()) {
    // All or nothing: a sender retrying the whole batch must not duplicate
    // the valid half of it.
    std::string msg = problems.front();
    if (problems.size() > 1) msg += " (and " + std::to_string(problems.size() - 1) + " more)";
    HttpResponse r = json_response(422, {{"error", {{"code", "invalid_event"}, {"message", msg}, {"details", problems}}}});
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

void Router::post_webhook(const HttpRequest& req, const std::string& kind, Respond respond) {
  if (!is_json_content_type(req.header("content-type"))) {
    return respond(error_response(415, "unsupported_media_type", "Content-Type must be application/json"));
  }
  auto body = parse_json(req.body);
  if (!body) return respond(json_body_error(body.error()));
  auto events = kind == "grafana" ? ingest::parse_grafana(*body, deps_.clock.now())
                                  : ingest::parse_alertmanager(*body, deps_.clock.now());
  if (!events) return respond(error_response(422, "invalid_payload", events.error().message()));
  const size_t n = events->size();
  submit_events(std::move(events).value(), {{"status", "accepted"}, {"accepted", n}}, std::move(respond));
}

void Router::post_pagerduty(const HttpRequest& req, Respond respond) {
  // PagerDuty clients expect its error shape; ours is there too.
  auto pd_error = [](int status, const std::string& code, const std::string& message) {
    // PagerDuty's exact answer: a fixed message, the details in "errors".
    return json_response(status, {{"status", "invalid event"},
                                  {"message", "Event object is invalid"},
                                  {"errors", {message}},
                                  {"error", {{"code", code}, {"message", message}}}});
  };
  if (!is_json_content_type(req.header("content-type"))) {
    return respond(pd_error(415, "unsupported_media_type", "Content-Type must be application/json"));
  }
  auto body = parse_json(req.body);
  if (!body) return respond(pd_error(400, is_too_deep(body.error()) ? "too_deep" : "invalid_json", body.error().message()));
  auto pd = ingest::parse_pagerduty(*body, deps_.clock.now());
  if (!pd) return respond(pd_error(400, "invalid_event", pd.error().message()));
  json ok = {{"status", "success"}, {"message", "Event processed"}, {"dedup_key", pd->dedup_key}};
  if (pd->action == "trigger") {
    std::vector<Event> events;
    events.push_back(std::move(pd->event));
    return submit_events(std::move(events), ok, std::move(respond));
  }
  Status s = deps_.intake.try_command(
      [key = pd->dedup_key, action = pd->action](engine::Engine& eng, TimePoint now, engine::Actions& out) -> Result<json> {
        std::string ticket;
        auto r = eng.alert_command(key, action, "pagerduty", now, &ticket);
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

HttpResponse Router::list_tickets(const HttpRequest& req) {
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
      return error_response(400, "invalid_argument",
                            "unknown status \"" + v +
                                "\", expected open, new, assigned, in_progress, pending, resolved, closed or cancelled");
    }
  }
  if (auto v = param("type"); !v.empty()) {
    q.type = parse_ticket_type(v);
    if (!q.type) return error_response(400, "invalid_argument", "unknown type \"" + v + "\"");
  }
  if (auto v = param("priority"); !v.empty()) {
    q.priority = parse_priority(v);
    if (!q.priority) return error_response(400, "invalid_argument", "unknown priority \"" + v + "\", expected P1..P5");
  }
  q.team = param("team");
  q.text = param("q");
  q.cursor = param("cursor");
  if (auto v = param("limit"); !v.empty()) {
    try {
      size_t used = 0;
      q.limit = std::stoi(v, &used);
      if (used != v.size() || q.limit < 1 || q.limit > 1000) throw std::out_of_range("limit");
    } catch (...) {
      return error_response(400, "invalid_argument", "limit must be an integer from 1 to 1000, got \"" + v + "\"");
    }
  }
  auto page = deps_.store.list_tickets(q);
  if (!page) return from_status(page.error());
  json list = json::array();
  for (const Ticket& t : page->tickets) list.push_back(ticket_to_json(t));
  json out = {{"tickets", list}, {"next_cursor", page->next_cursor.empty() ? json(nullptr) : json(page->next_cursor)}};
  return json_response(200, out);
}

HttpResponse Router::get_ticket(const std::string& key) {
  auto t = deps_.store.get_ticket(key);
  if (!t) return from_status(t.error());
  if (!*t) return error_response(404, "not_found", "no ticket " + key);
  return json_response(200, ticket_to_json(**t));
}

HttpResponse Router::get_similar(const std::string& key) {
  auto t = deps_.store.get_ticket(key);
  if (!t) return from_status(t.error());
  if (!*t) return error_response(404, "not_found", "no ticket " + key);
  auto similar = deps_.store.similar(**t, 10);
  if (!similar) return from_status(similar.error());
  return json_response(200, {{"key", key}, {"similar", similar_to_json(*similar)}});
}

HttpResponse Router::get_timeline(const std::string& key) {
  auto t = deps_.store.get_ticket(key);
  if (!t) return from_status(t.error());
  if (!*t) return error_response(404, "not_found", "no ticket " + key);
  auto entries = deps_.store.timeline(key);
  if (!entries) return from_status(entries.error());
  json list = json::array();
  for (const TimelineEntry& e : *entries) list.push_back(timeline_entry_to_json(e));
  return json_response(200, {{"key", key}, {"timeline", list}});
}

HttpResponse Router::get_ticket_events(const HttpRequest& req, const std::string& key) {
  int limit = 100;
  if (auto it = req.query.find("limit"); it != req.query.end()) limit = std::atoi(it->second.c_str());
  auto events = deps_.store.ticket_events(key, limit);
  if (!events) return from_status(events.error());
  json list = json::array();
  for (const store::StoredEvent& e : *events) {
    list.push_back({{"id", e.id},
                    {"received_at", format_rfc3339(e.received_at)},
                    {"decision", e.decision},
                    {"rule", e.rule},
                    {"event", event_to_json(e.event)}});
  }
  return json_response(200, {{"key", key}, {"events", list}});
}

void Router::engine_command(
    std::function<Result<json>(engine::Engine&, TimePoint, engine::Actions&)> command, int ok_status,
    Respond respond) {
  Status s = deps_.intake.try_command(std::move(command), [respond, ok_status](Result<json> r) {
    if (r) {
      respond(json_response(ok_status, *r));
    } else {
      respond(from_status(r.error()));
    }
  });
  if (!s) respond(from_status(s));
}

void Router::ticket_command(const HttpRequest& req, const std::string& key, const std::string& what,
                            const std::string& who, Respond respond) {
  json body = json::object();
  if (what != "ack" || !req.body.empty()) {
    if (!is_json_content_type(req.header("content-type"))) {
      return respond(error_response(415, "unsupported_media_type", "Content-Type must be application/json"));
    }
    auto parsed = parse_json(req.body);
    if (!parsed) return respond(json_body_error(parsed.error()));
    body = std::move(parsed).value();
  }
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
  const std::string actor = "user:" + attribution(who, display_name(body, "actor"));
  if (body.is_object()) body.erase("actor");
  engine_command(
      [key, what, body, actor, stored](engine::Engine& eng, TimePoint now, engine::Actions& out) -> Result<json> {
        Result<engine::Actions> r = Status::internal("unknown ticket command");
        if (what == "create") {
          r = eng.create_ticket(body, actor, now);
        } else if (what == "patch") {
          r = eng.patch_ticket(key, body, actor, now, stored);
        } else if (what == "ack") {
          r = eng.acknowledge(key, actor, now, stored);
        } else if (what == "notes") {
          if (!body.is_object() || !body.contains("text") || !body["text"].is_string()) {
            return Status::invalid_argument("note: send {\"text\": \"...\"}");
          }
          r = eng.add_note(key, body["text"].get<std::string>(), actor, now, stored);
        }
        if (!r) return r.error();
        for (auto& a : eng.flush_updates()) r->push_back(std::move(a));  // batch mode defers updates
        json result;
        std::string wanted = key;
        for (auto& a : *r) {
          if (const auto* o = std::get_if<engine::TicketOpened>(&a); o && (wanted.empty() || o->ticket.key == wanted)) {
            wanted = o->ticket.key;
            result = ticket_to_json(o->ticket);
          }
          if (const auto* u = std::get_if<engine::TicketUpdated>(&a); u && u->ticket.key == wanted) {
            result = ticket_to_json(u->ticket);
          }
          out.push_back(std::move(a));
        }
        return result;
      },
      what == "create" || what == "notes" ? 201 : 200, std::move(respond));
}

void Router::list_rules(Respond respond) {
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

void Router::reload_rules(Respond respond) {
  std::vector<std::string> diagnostics;
  auto r = deps_.reload_rules(&diagnostics);
  if (!r) {
    HttpResponse resp = json_response(
        422, {{"error", {{"code", "invalid_rules"}, {"message", r.error().message()}, {"details", diagnostics}}}});
    return respond(std::move(resp));
  }
  respond(json_response(200, {{"status", "reloaded"}, {"rules", *r}, {"warnings", diagnostics}}));
}

void Router::explain(const HttpRequest& req, Respond respond) {
  if (!is_json_content_type(req.header("content-type"))) {
    return respond(error_response(415, "unsupported_media_type", "Content-Type must be application/json"));
  }
  auto body = parse_json(req.body);
  if (!body) return respond(json_body_error(body.error()));
  auto e = event_from_json(*body, deps_.clock.now());
  if (!e) return respond(error_response(422, "invalid_event", e.error().message()));
  engine_command(
      [event = std::move(e).value()](engine::Engine& eng, TimePoint now, engine::Actions&) -> Result<json> {
        return eng.explain(event, now).to_json();
      },
      200, std::move(respond));
}

HttpResponse Router::list_silences() {
  auto list = deps_.store.list_silences();
  if (!list) return from_status(list.error());
  const TimePoint now = deps_.clock.now();
  json out = json::array();
  for (const std::string& body : *list) {
    auto s = engine::saved_silence(SilenceSaved{{}, {}, body});
    if (s) out.push_back(engine::silence_to_json(*s, now));
  }
  return json_response(200, {{"silences", out}});
}

void Router::add_silence(const HttpRequest& req, const std::string& who, Respond respond) {
  if (!is_json_content_type(req.header("content-type"))) {
    return respond(error_response(415, "unsupported_media_type", "Content-Type must be application/json"));
  }
  auto parsed = parse_json(req.body);
  if (!parsed) return respond(json_body_error(parsed.error()));
  json body = std::move(parsed).value();
  std::string by = display_name(body, "created_by");
  if (by.empty()) by = display_name(body, "createdBy");  // Alertmanager's spelling
  const std::string author = attribution(who, by);
  if (body.is_object()) body.erase("id");
  auto s = engine::silence_from_json(body, deps_.clock.now());
  if (!s) return respond(error_response(422, "invalid_silence", s.error().message()));
  s->created_by = author;
  engine_command(
      [silence = std::move(s).value()](engine::Engine& eng, TimePoint now, engine::Actions& out) -> Result<json> {
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

void Router::expire_silence(const std::string& id, Respond respond) {
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

HttpResponse Router::metrics() {
  HttpResponse r;
  r.content_type = "text/plain; version=0.0.4";
  if (deps_.metrics) r.body = deps_.metrics();
  return r;
}

std::optional<HttpResponse> Router::admit(const HttpRequest& head) const {
  if (deps_.tokens.empty()) return std::nullopt;
  const std::string& p = head.path;
  const std::string& m = head.method;
  if (p == "/healthz" || p == "/readyz" || p == "/" || p == "/index.html") return std::nullopt;
  std::optional<Role> need;  // the role handle() asks for on this route
  if (p == "/api/v1/events" || p == "/api/v1/webhooks/alertmanager" || p == "/api/v1/webhooks/grafana" ||
      p == "/v2/enqueue") {
    need = Role::kIngest;
  } else if (p == "/api/v1/rules/reload" || p.rfind("/api/v1/silences/", 0) == 0 ||
             (p == "/api/v1/silences" && m == "POST")) {
    need = Role::kAdmin;
  } else if (p == "/api/v1/tickets" || p.rfind("/api/v1/tickets/", 0) == 0) {
    need = m == "GET" ? Role::kRead : Role::kWrite;
  } else if (p == "/metrics" || p == "/api/v1/rules" || p == "/api/v1/stats" || p == "/api/v1/explain" ||
             p == "/api/v1/silences") {
    need = Role::kRead;
  }
  if (need) return authorize(head, *need);
  // Unknown path: any valid token may learn it is a 404.
  auto deny = authorize(head, Role::kAdmin);
  if (deny && deny->status == 403) return std::nullopt;
  return deny;
}

}  // namespace ticketd::api
