// kind: webhook — a generic HTTP endpoint that receives every change of the
// tickets it takes as one JSON POST: the ticket, what happened, and
// ticketd's correlation key. Optional body template and HMAC signature.
#include <ctime>

#include "kinds.hpp"
#include "render.hpp"

namespace ticketd::connectors {
namespace {

class Webhook final : public Connector {
 public:
  Webhook(const BackendConfig& c, HttpClient& http) : config_(c), http_(http) {}

  Status configure() {
    Settings s(config_);
    method_ = s.str("method", "POST");
    if (method_ != "POST" && method_ != "PUT") s.fail("method", "expected POST or PUT");
    body_ = s.raw("body");
    if (!body_.is_null()) {
      if (Status st = check_body_template(body_, "backend " + config_.name + ": body"); !st)
        return st;
    }
    secret_ = s.secret("secret", false);
    signature_header_ = s.str("signature_header", "X-Ticketd-Signature");
    id_field_ = s.str("id_field", "id");
    url_field_ = s.str("url_field", "url");
    const nlohmann::json headers = s.raw("headers");
    if (headers.is_object()) {
      for (const auto& [k, v] : headers.items()) {
        if (v.is_string())
          headers_.emplace_back(k, v.get<std::string>());
        else
          s.fail("headers", "values must be strings");
      }
    } else if (!headers.is_null()) {
      s.fail("headers", "expected a mapping of header: value");
    }
    if (config_.url.empty()) s.fail("url", "required for kind webhook");
    return s.finish();
  }

  // A webhook cannot be searched: the receiver deduplicates on
  // correlation_key, which every request carries.
  Outcome<std::optional<ExternalRef>> find(const std::string&) override {
    return std::optional<ExternalRef>();
  }

  Outcome<ExternalRef> create(const Ticket& t, const std::string& corr) override {
    auto r = post(t, corr, "create", "");
    if (auto f = failure_of(r, "webhook " + config_.name + " create")) return *f;
    ExternalRef ref;
    ref.id = corr;
    auto j = nlohmann::json::parse(r->body, nullptr, false);
    if (j.is_object()) {
      auto id = j.find(id_field_);
      if (id != j.end() && (id->is_string() || id->is_number()))
        ref.id = id->is_string() ? id->get<std::string>() : id->dump();
      auto url = j.find(url_field_);
      if (url != j.end() && url->is_string()) ref.url = url->get<std::string>();
    }
    ref.key = ref.id;
    return ref;
  }

  Sent comment(const ExternalRef& remote, const Ticket& t, const std::string& text) override {
    return send(remote, t, "comment", text);
  }
  Sent update(const ExternalRef& remote, const Ticket& t) override {
    return send(remote, t, "update", "");
  }
  Sent transition(const ExternalRef& remote, const Ticket& t, RemoteState state,
                  const std::string& note) override {
    return send(remote, t, remote_state_name(state), note);
  }

  // The receiver reports its changes back as {"id": remote id, "status":
  // "resolved" | "closed" | "reopened", "by": "...", "note": "..."}, or a
  // list of such objects.
  Result<std::vector<RemoteChange>> parse_webhook(std::string_view body) override {
    auto j = nlohmann::json::parse(body, nullptr, false);
    if (j.is_discarded()) return Status::invalid_argument("the body is not JSON");
    if (j.is_object()) j = nlohmann::json::array({j});
    if (!j.is_array()) return Status::invalid_argument("expected an object or a list of objects");
    std::vector<RemoteChange> out;
    for (const auto& c : j) {
      if (!c.is_object() || !c.contains("id") || !c.contains("status"))
        return Status::invalid_argument("each change needs \"id\" and \"status\"");
      RemoteChange rc;
      rc.remote_id = c["id"].is_string() ? c["id"].get<std::string>() : c["id"].dump();
      const std::string st =
          c["status"].is_string() ? c["status"].get<std::string>() : c["status"].dump();
      if (st == "resolved")
        rc.state = RemoteState::kResolved;
      else if (st == "closed")
        rc.state = RemoteState::kClosed;
      else if (st == "reopened" || st == "open")
        rc.state = RemoteState::kReopened;
      else
        return Status::invalid_argument("status \"" + st +
                                        "\" is not resolved, closed or reopened");
      if (c.contains("by") && c["by"].is_string()) rc.by = c["by"].get<std::string>();
      if (c.contains("note") && c["note"].is_string()) rc.note = c["note"].get<std::string>();
      out.push_back(std::move(rc));
    }
    return out;
  }

 private:
  Sent send(const ExternalRef& remote, const Ticket& t, const std::string& action,
            const std::string& text) {
    auto r = post(t, correlation_key(config_, t.key), action, text, remote.id);
    if (auto f = failure_of(r, "webhook " + config_.name + " " + action)) return *f;
    return sent();
  }

  Result<HttpResponse> post(const Ticket& t, const std::string& corr, const std::string& action,
                            const std::string& text, const std::string& remote_id = "") {
    TemplateVars vars = {
        {"action", action}, {"text", text}, {"correlation_key", corr}, {"remote_id", remote_id}};
    nlohmann::json body;
    if (body_.is_null()) {
      body = {{"action", action}, {"correlation_key", corr}, {"ticket", ticket_to_json(t)}};
      if (!text.empty()) body["text"] = text;
      if (!remote_id.empty()) body["remote_id"] = remote_id;
    } else {
      body = render_body(body_, t, vars);
    }
    HttpRequest req;
    req.method = method_;
    req.url = config_.url;
    req.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    req.header("Content-Type", "application/json");
    for (const auto& [k, v] : headers_) req.header(k, v);
    if (!secret_.empty()) {
      req.header(signature_header_, "sha256=" + hmac_sha256_hex(secret_, req.body));
    }
    return http_.send(req);
  }

  const BackendConfig config_;
  HttpClient& http_;
  std::string method_;
  nlohmann::json body_;
  std::string secret_, signature_header_, id_field_, url_field_;
  std::vector<std::pair<std::string, std::string>> headers_;
};

}  // namespace

Result<std::unique_ptr<Connector>> make_webhook(const BackendConfig& config, HttpClient& http) {
  auto c = std::make_unique<Webhook>(config, http);
  if (Status s = c->configure(); !s) return s;
  return std::unique_ptr<Connector>(std::move(c));
}

}  // namespace ticketd::connectors
