// kind: zammad — Zammad's REST API (/api/v1), authenticated with an API
// access token ("Authorization: Token token=…").
//
// ticketd's correlation key travels as a ticket tag, sent in the create call
// itself: Zammad adds `tags` inside the transaction that creates the ticket,
// so no crash can leave a remote ticket without its key (tagging with a
// second call, POST /api/v1/tags/add, would leave that window). A custom
// text attribute (key_field) can carry it too, or instead. Zammad's ticket
// search is Elasticsearch full text: a tag query also returns tickets whose
// tags merely share words with the key, so every hit is checked against the
// ticket's own tag list (or the attribute) before it is used.
//
// Zammad has no resolved state of its own: resolve and close both set
// `closed` unless configured otherwise. Sync back: the body of a Zammad
// webhook (Manage → Webhook, fired by a trigger), default or custom.
#include <algorithm>
#include <cctype>

#include "kinds.hpp"
#include "ticketd/core/text.hpp"

namespace ticketd::connectors {
namespace {

// Zammad's title column takes 250 characters.
constexpr size_t kMaxTitle = 250;
// Articles take far more, but a note is no place for megabytes.
constexpr size_t kMaxText = 32000;
constexpr int kSearchLimit = 20;

// Article bodies written in Zammad's web UI are HTML. A note ticketd
// records is text: tags dropped (block ends and <br> become line breaks),
// the common entities decoded.
std::string html_to_text(std::string_view html) {
  static const std::pair<std::string_view, std::string_view> kEntities[] = {
      {"amp", "&"}, {"lt", "<"},   {"gt", ">"},  {"quot", "\""},
      {"#39", "'"}, {"apos", "'"}, {"nbsp", " "}};
  std::string out;
  for (size_t i = 0; i < html.size(); ++i) {
    const char c = html[i];
    if (c == '<') {
      const size_t end = html.find('>', i);
      if (end == std::string_view::npos) break;
      const std::string tag = lower(std::string(html.substr(i + 1, end - i - 1)));
      if (tag.rfind("br", 0) == 0 || tag == "/p" || tag == "/div" || tag == "/li") out += '\n';
      i = end;
      continue;
    }
    if (c == '&') {
      bool decoded = false;
      for (const auto& [name, text] : kEntities) {
        if (html.substr(i + 1, name.size()) == name && html.substr(i + 1 + name.size(), 1) == ";") {
          out += text;
          i += name.size() + 1;
          decoded = true;
          break;
        }
      }
      if (decoded) continue;
    }
    out += c;
  }
  // Trim, and keep at most one blank line in a row.
  std::string text;
  int newlines = 0;
  for (char c : out) {
    if (c == '\n') {
      if (++newlines > 2) continue;
    } else {
      newlines = 0;
    }
    text += c;
  }
  const size_t b = text.find_first_not_of(" \n");
  const size_t e = text.find_last_not_of(" \n");
  return b == std::string::npos ? "" : text.substr(b, e - b + 1);
}

// Zammad's error body: {"error":"…","error_human":"…"}.
std::string error_text(const std::string& body) {
  auto j = nlohmann::json::parse(body, nullptr, false);
  std::string e = text_of(j, "error_human");
  if (e.empty()) e = text_of(j, "error");
  return cap_text(one_line(e), 300);
}

class Zammad final : public Connector {
 public:
  Zammad(const BackendConfig& c, HttpClient& http) : config_(c), http_(http) {}

  Status configure() {
    Settings s(config_);
    if (config_.url.empty()) s.fail("url", "required for kind zammad");
    token_ = s.secret("token");
    group_ = s.required("group");
    const std::string customer = s.required("customer");
    // customer_id takes a user id, or "guess:<e-mail>", which finds the
    // user by address and creates it when missing.
    if (all_digits(customer)) {
      customer_ = std::stoll(customer);
    } else if (customer.rfind("guess:", 0) == 0) {
      customer_ = customer;
    } else if (customer.find('@') != std::string::npos) {
      customer_ = "guess:" + customer;
    } else if (!customer.empty()) {
      s.fail("customer",
             "expected a user id, an e-mail address or guess:<e-mail>, not \"" + customer + "\"");
    }
    key_field_ = s.str("key_field");
    if (!key_field_.empty() &&
        !std::all_of(key_field_.begin(), key_field_.end(), [](unsigned char c) {
          return std::islower(c) || std::isdigit(c) || c == '_';
        })) {
      s.fail("key_field", "expected the attribute's name (lower-case letters, digits, _)");
    }
    tag_ = s.boolean("tag", true);
    if (!tag_ && key_field_.empty())
      s.fail("tag", "the correlation key needs a place: keep tag: true or set key_field");
    resolved_state_ = s.str("resolved_state", "closed");
    closed_state_ = s.str("closed_state", "closed");
    reopen_state_ = s.str("reopen_state", "open");
    return s.finish();
  }

  Outcome<std::optional<ExternalRef>> find(const std::string& corr) override {
    const std::string what = "search for " + corr;
    const std::string field = key_field_.empty() ? "tags" : key_field_;
    // A quoted phrase: the analyzer splits the key at its hyphens, and a
    // bare term would match any ticket sharing one of the pieces.
    const std::string query = field + ":\"" + corr + "\"";
    auto r = call("GET",
                  "/api/v1/tickets/search?query=" + url_encode(query) +
                      "&limit=" + std::to_string(kSearchLimit) + "&sort_by=created_at&order_by=asc",
                  std::nullopt);
    if (auto f = check(r, what)) return *f;
    auto j = json_body(*r, prefix(what));
    if (!j.ok()) return j.failure();
    // {"tickets":[ids],"tickets_count":n,"assets":{"Ticket":{"<id>":{…}}}};
    // with expand=true (not sent, but a proxy may add it) a list of tickets.
    std::vector<std::pair<std::string, nlohmann::json>> hits;
    if (j.value().is_array()) {
      for (const auto& t : j.value()) hits.emplace_back(text_of(t, "id"), t);
    } else {
      const nlohmann::json& ids = member(j.value(), "tickets");
      if (!ids.is_array())
        return rejected(prefix(what) +
                        ": the answer has no tickets list: " + r->body.substr(0, 200));
      const nlohmann::json& assets = member(member(j.value(), "assets"), "Ticket");
      for (const auto& id : ids) {
        const std::string sid = id.is_string() ? id.get<std::string>() : id.dump();
        hits.emplace_back(sid, member(assets, sid));
      }
    }
    for (const auto& [id, ticket] : hits) {
      if (!all_digits(id)) continue;
      if (!key_field_.empty()) {
        if (text_of(ticket, key_field_) == corr)
          return std::optional<ExternalRef>(ref_of(id, ticket));
        continue;
      }
      auto tags = tags_of(id, what);
      if (!tags.ok()) return tags.failure();
      const auto& list = tags.value();
      if (std::find(list.begin(), list.end(), corr) != list.end())
        return std::optional<ExternalRef>(ref_of(id, ticket));
    }
    return std::optional<ExternalRef>();
  }

  Outcome<ExternalRef> create(const Ticket& t, const std::string& corr) override {
    const std::string title = title_of(t);
    nlohmann::json body = {
        {"title", title},
        {"group", group_of(t).value_or(group_)},
        {"customer_id", customer_},
        {"article",
         {{"subject", title},
          {"body", cap_text(description_of(t), kMaxText)},
          {"type", "note"},
          {"internal", true},
          {"content_type", "text/plain"}}},
    };
    if (const std::string p = priority_of(t); !p.empty()) body["priority"] = p;
    if (tag_) body["tags"] = corr;
    if (!key_field_.empty()) body[key_field_] = corr;
    const std::string what = "create ticket";
    auto r = call("POST", "/api/v1/tickets", body);
    if (auto f = check(r, what)) return *f;
    auto j = json_body(*r, prefix(what));
    if (!j.ok()) return j.failure();
    const std::string id = text_of(j.value(), "id");
    if (!all_digits(id))
      return rejected(prefix(what) + ": the answer has no ticket id: " + r->body.substr(0, 200));
    return ref_of(id, j.value());
  }

  Sent comment(const ExternalRef& remote, const Ticket&, const std::string& text) override {
    const std::string what = "comment on #" + remote.key;
    if (!all_digits(remote.id)) return rejected(prefix(what) + ": not a Zammad ticket id");
    nlohmann::json body = {{"ticket_id", std::stoll(remote.id)},
                           {"body", cap_text(text, kMaxText)},
                           {"type", "note"},
                           {"internal", true},
                           {"content_type", "text/plain"}};
    auto r = call("POST", "/api/v1/ticket_articles", body);
    if (auto f = check(r, what)) return *f;
    return sent();
  }

  Sent update(const ExternalRef& remote, const Ticket& t) override {
    nlohmann::json body = {{"title", title_of(t)}};
    if (const std::string p = priority_of(t); !p.empty()) body["priority"] = p;
    // An unmapped team leaves the group alone, so that a move made in
    // Zammad stands.
    if (auto g = group_of(t)) body["group"] = *g;
    const std::string what = "update #" + remote.key;
    auto r = call("PUT", "/api/v1/tickets/" + url_encode(remote.id), body);
    if (auto f = check(r, what)) return *f;
    return sent();
  }

  Sent transition(const ExternalRef& remote, const Ticket& t, RemoteState state,
                  const std::string& note) override {
    const std::string what = std::string(state == RemoteState::kResolved ? "resolve"
                                         : state == RemoteState::kClosed ? "close"
                                                                         : "reopen") +
                             " #" + remote.key;
    auto current = state_of(remote, what);
    if (!current.ok()) return current.failure();
    const std::string& now = current.value();
    // A merged ticket lives on in its target; it is done with.
    const bool done = now == resolved_state_ || now == closed_state_ || now == "merged";
    std::string target, text;
    switch (state) {
      case RemoteState::kResolved:
        if (done) return sent();
        target = resolved_state_;
        text = note.empty() ? "Resolved in ticketd (" + t.key + ")" : note;
        break;
      case RemoteState::kClosed:
        if (now == closed_state_ || now == "merged") return sent();
        target = closed_state_;
        text = note.empty() ? "Closed in ticketd (" + t.key + ")" : note;
        break;
      case RemoteState::kReopened:
        if (now == "merged")
          return rejected(prefix(what) +
                          ": the ticket was merged into another; it cannot be reopened");
        if (!done) return sent();
        target = reopen_state_;
        text = note.empty() ? "Reopened in ticketd (" + t.key + ")" : note;
        break;
    }
    // State and note in one call: one history entry, and a retry after a
    // lost answer finds the state set and adds no second note.
    nlohmann::json body = {{"state", target},
                           {"article",
                            {{"body", cap_text(text, kMaxText)},
                             {"type", "note"},
                             {"internal", true},
                             {"content_type", "text/plain"}}}};
    auto r = call("PUT", "/api/v1/tickets/" + url_encode(remote.id) + "?expand=true", body);
    if (auto f = check(r, what)) return *f;
    auto j = json_body(*r, prefix(what));
    if (!j.ok()) return j.failure();
    const std::string after = text_of(j.value(), "state");
    if (!after.empty() && after != target)
      return rejected(prefix(what) + ": Zammad kept state \"" + after + "\" instead of \"" +
                      target + "\" (a core workflow may forbid the change)");
    return sent();
  }

  // A Zammad webhook body: the default payload {"ticket":{…},"article":{…}},
  // or a custom one with the same names ({"ticket":{"id":"#{ticket.id}",
  // "state":"#{ticket.state.name}",…}}). The ticket's state decides:
  // resolved_state → resolved, closed_state (when it differs) → closed,
  // reopen_state → reopened; any other state reports nothing.
  Result<std::vector<RemoteChange>> parse_webhook(std::string_view body) override {
    auto j = nlohmann::json::parse(body, nullptr, false);
    if (!j.is_object())
      return Status::invalid_argument("zammad webhook: the body is not a JSON object");
    const nlohmann::json& ticket = member(j, "ticket");
    RemoteChange c;
    c.remote_id = text_of(ticket, "id");
    const nlohmann::json& st = member(ticket, "state");
    const std::string state = st.is_object() ? text_of(st, "name") : text_of(ticket, "state");
    if (!all_digits(c.remote_id) || state.empty())
      return Status::invalid_argument(
          "zammad webhook: expected {\"ticket\": {\"id\": …, \"state\": \"…\"}}");
    std::vector<RemoteChange> out;
    if (state == resolved_state_) {
      c.state = RemoteState::kResolved;
    } else if (state == closed_state_) {
      c.state = RemoteState::kClosed;
    } else if (state == reopen_state_) {
      c.state = RemoteState::kReopened;
    } else {
      return out;
    }
    const nlohmann::json& by = member(ticket, "updated_by");
    if (by.is_object()) {
      c.by = text_of(by, "firstname");
      if (const std::string last = text_of(by, "lastname"); !last.empty())
        c.by += (c.by.empty() ? "" : " ") + last;
      if (c.by.empty()) c.by = text_of(by, "login");
    } else {
      c.by = text_of(ticket, "updated_by");
    }
    const nlohmann::json& article = member(j, "article");
    std::string note = text_of(article, "body");
    if (text_of(article, "content_type") != "text/plain") note = html_to_text(note);
    c.note = cap_text(note, 2000);
    if (auto u = parse_rfc3339(text_of(ticket, "updated_at"))) c.updated = *u;
    out.push_back(std::move(c));
    return out;
  }

 private:
  std::string prefix(const std::string& what) const {
    return "zammad " + config_.name + " " + what;
  }

  // map:{table}{value}; nullopt when the table has no entry, "" when the
  // entry is empty (which sends nothing).
  std::optional<std::string> mapped(const std::string& table, const std::string& value) const {
    auto t = config_.map.find(table);
    if (t == config_.map.end()) return std::nullopt;
    auto it = t->second.find(value);
    if (it == t->second.end()) return std::nullopt;
    return it->second;
  }

  // The group map.team names for the ticket's team, if any.
  std::optional<std::string> group_of(const Ticket& t) const {
    auto g = mapped("team", t.team);
    if (g && g->empty()) return std::nullopt;
    return g;
  }

  // Zammad's default priorities: "1 low", "2 normal", "3 high".
  std::string priority_of(const Ticket& t) const {
    if (auto p = mapped("priority", priority_name(t.priority))) return *p;
    switch (t.priority) {
      case Priority::kP1:
      case Priority::kP2:
        return "3 high";
      case Priority::kP3:
        return "2 normal";
      case Priority::kP4:
      case Priority::kP5:
        return "1 low";
    }
    return "2 normal";
  }

  static std::string title_of(const Ticket& t) {
    return cap_text(one_line(blank(t.title) ? t.key : t.title), kMaxTitle);
  }

  static std::string description_of(const Ticket& t) {
    std::string d = t.description;
    if (!d.empty()) d += "\n\n";
    d += "ticketd ticket " + t.key + " (" + priority_name(t.priority);
    if (!t.team.empty()) d += ", team " + t.team;
    if (!t.rule.empty()) d += ", rule " + t.rule;
    return d + ")";
  }

  ExternalRef ref_of(const std::string& id, const nlohmann::json& ticket) const {
    ExternalRef ref;
    ref.backend = config_.name;
    ref.id = id;
    ref.key = text_of(ticket, "number");
    if (ref.key.empty()) ref.key = id;
    ref.url = join_url(config_.url, "/#ticket/zoom/" + id);
    return ref;
  }

  Outcome<std::vector<std::string>> tags_of(const std::string& id, const std::string& what) {
    auto r = call("GET", "/api/v1/tags?object=Ticket&o_id=" + url_encode(id), std::nullopt);
    if (auto f = check(r, what + " (tags of ticket " + id + ")")) return *f;
    auto j = json_body(*r, prefix(what));
    if (!j.ok()) return j.failure();
    std::vector<std::string> out;
    const nlohmann::json& tags = member(j.value(), "tags");
    if (!tags.is_array())
      return rejected(prefix(what) +
                      ": the tags answer has no tags list: " + r->body.substr(0, 200));
    for (const auto& tag : tags) {
      if (tag.is_string()) out.push_back(tag.get<std::string>());
    }
    return out;
  }

  // The ticket's state name (expand=true answers with names instead of ids).
  Outcome<std::string> state_of(const ExternalRef& remote, const std::string& what) {
    auto r = call("GET", "/api/v1/tickets/" + url_encode(remote.id) + "?expand=true", std::nullopt);
    if (auto f = check(r, what)) return *f;
    auto j = json_body(*r, prefix(what));
    if (!j.ok()) return j.failure();
    std::string state = text_of(j.value(), "state");
    if (state.empty())
      return rejected(prefix(what) + ": the answer has no state: " + r->body.substr(0, 200));
    return state;
  }

  Result<HttpResponse> call(const std::string& method, const std::string& path,
                            const std::optional<nlohmann::json>& body) {
    HttpRequest req;
    req.method = method;
    req.url = join_url(config_.url, path);
    req.header("Authorization", "Token token=" + token_);
    req.header("Accept", "application/json");
    if (body) {
      req.header("Content-Type", "application/json");
      req.body = body->dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    }
    return http_.send(req);
  }

  // failure_of() with Zammad's error text, and what to check on 401 / 403.
  std::optional<Failure> check(const Result<HttpResponse>& r, const std::string& what) const {
    std::optional<Failure> f = failure_of(r, prefix(what));
    if (!f || !r) return f;
    if (const std::string e = error_text(r->body); !e.empty())
      f->message = prefix(what) + ": HTTP " + std::to_string(r->status) + ": " + e;
    if (r->status == 401) {
      f->message += " (check token_file / token_env: the token may be wrong, expired or deleted)";
    } else if (r->status == 403) {
      f->message +=
          " (API token access may be off (System → API), or the token's user lacks "
          "the ticket.agent permission or access to the group)";
    }
    return f;
  }

  const BackendConfig config_;
  HttpClient& http_;
  std::string token_;
  std::string group_;
  nlohmann::json customer_;
  std::string key_field_;
  bool tag_ = true;
  std::string resolved_state_, closed_state_, reopen_state_;
};

}  // namespace

Result<std::unique_ptr<Connector>> make_zammad(const BackendConfig& config, HttpClient& http) {
  auto c = std::make_unique<Zammad>(config, http);
  if (Status s = c->configure(); !s) return s;
  return std::unique_ptr<Connector>(std::move(c));
}

}  // namespace ticketd::connectors
