// Notification targets: kind webhook (a JSON body from a template: Slack,
// Mattermost and Teams incoming webhooks all take {"text": "..."}) and kind
// email (SMTP through libcurl).
#include <algorithm>

#include "kinds.hpp"
#include "render.hpp"

namespace ticketd::connectors {
namespace {

TemplateVars vars_for(const std::string& event, const std::string& message,
                      const std::string& link) {
  return {{"event", event}, {"message", message}, {"link", link}};
}

class WebhookNotifier final : public Notifier {
 public:
  WebhookNotifier(const BackendConfig& c, HttpClient& http) : config_(c), http_(http) {}

  Status configure() {
    Settings s(config_, "notification");
    // A Slack or Teams webhook URL is itself the credential: it may come
    // from url_file / url_env instead of `url`.
    url_ = config_.url.empty() ? s.secret("url") : config_.url;
    if (!url_.empty() && url_.rfind("http://", 0) != 0 && url_.rfind("https://", 0) != 0)
      s.fail("url",
             "must start with http:// or https://");  // the value is not shown: it may be secret
    body_ = s.raw("body");
    if (body_.is_null()) body_ = {{"text", "{{ message }}{{ link }}"}};
    if (Status st = check_body_template(body_, "notification " + config_.name + ": body"); !st)
      return st;
    secret_ = s.secret("secret", false);
    signature_header_ = s.str("signature_header", "X-Ticketd-Signature");
    link_base_ = s.str("link_base");
    return s.finish();
  }

  Sent notify(const Ticket& t, const std::string& event, const std::string& message) override {
    const std::string link = link_base_.empty() ? "" : " " + link_base_ + "/#/tickets/" + t.key;
    HttpRequest req;
    req.method = "POST";
    req.url = url_;
    req.body = render_body(body_, t, vars_for(event, message, link))
                   .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    req.header("Content-Type", "application/json");
    if (!secret_.empty())
      req.header(signature_header_, "sha256=" + hmac_sha256_hex(secret_, req.body));
    if (auto f = failure_of(http_.send(req), "notification " + config_.name)) return *f;
    return sent();
  }

 private:
  const BackendConfig config_;
  HttpClient& http_;
  std::string url_;
  nlohmann::json body_;
  std::string secret_, signature_header_, link_base_;
};

class EmailNotifier final : public Notifier {
 public:
  explicit EmailNotifier(const BackendConfig& c) : config_(c) {}

  Status configure() {
    Settings s(config_, "notification");
    mail_.url = config_.url;
    if (mail_.url.rfind("smtp://", 0) != 0 && mail_.url.rfind("smtps://", 0) != 0)
      s.fail("url", "expected smtp://host[:port] or smtps://host[:port]");
    mail_.from = s.required("from");
    mail_.to = s.strings("to");
    if (mail_.to.empty()) s.fail("to", "at least one recipient");
    mail_.user = s.str("user");
    mail_.password = s.secret("password", !mail_.user.empty());
    mail_.timeout = config_.timeout;
    mail_.verify_tls = config_.verify_tls;
    subject_ = s.str("subject", "[ticketd] {{ message }}");
    body_ = s.str("body",
                  "{{ message }}\n\nTicket: {{ key }}\nPriority: {{ priority }}\nStatus: "
                  "{{ status }}\nTeam: {{ team }}\nAssignee: {{ assignee }}\n\n"
                  "{{ description }}{{ link }}\n");
    link_base_ = s.str("link_base");
    for (const std::string* tpl : {&subject_, &body_}) {
      if (Status st = check_body_template(*tpl, "notification " + config_.name); !st) return st;
    }
    return s.finish();
  }

  Sent notify(const Ticket& t, const std::string& event, const std::string& message) override {
    const std::string link = link_base_.empty() ? "" : "\n\n" + link_base_ + "/#/tickets/" + t.key;
    Mail m = mail_;
    const TemplateVars vars = vars_for(event, message, link);
    m.subject = render_text(subject_, t, vars);
    m.body = render_text(body_, t, vars);
    Status st = send_mail(m);
    if (st) return sent();
    Failure f;
    f.kind = st.code() == StatusCode::kInvalidArgument ? Failure::Kind::kRejected
                                                       : Failure::Kind::kTransient;
    f.message = "notification " + config_.name + ": " + st.message();
    return f;
  }

 private:
  const BackendConfig config_;
  Mail mail_;
  std::string subject_, body_, link_base_;
};

}  // namespace

std::vector<std::string> notifier_kinds() { return {"email", "webhook"}; }

Result<std::unique_ptr<Notifier>> make_notifier(const BackendConfig& config, HttpClient& http) {
  if (config.kind == "webhook") {
    auto n = std::make_unique<WebhookNotifier>(config, http);
    if (Status s = n->configure(); !s) return s;
    return std::unique_ptr<Notifier>(std::move(n));
  }
  if (config.kind == "email") {
    auto n = std::make_unique<EmailNotifier>(config);
    if (Status s = n->configure(); !s) return s;
    return std::unique_ptr<Notifier>(std::move(n));
  }
  return Status::invalid_argument("notification " + config.name + ": unknown kind \"" +
                                  config.kind + "\" (kinds: email, webhook)");
}

}  // namespace ticketd::connectors
