// kind: glpi — GLPI's legacy REST API (apirest.php, GLPI 9.5 / 10), with a
// user's API token and, when the API client asks for one, an App-Token.
//
// The API works in sessions: initSession trades the user token for a
// Session-Token that every later call carries. The token is taken on first
// use and kept; when GLPI forgets it (401 ERROR_SESSION_TOKEN_INVALID:
// session lifetime, a PHP session clean-up, a restart) a new one is taken
// once and the call repeated. Sessions are not killed at shutdown: a
// connector's destructor must not wait on a backend, and an idle GLPI
// session ends by itself.
//
// GLPI tickets have no external-id column, so ticketd's correlation key
// goes into the title as "[key] title" and is found with a "contains" title
// search, whose hits are checked for the bracketed key (a search for
// ticketd-inc-000042 also finds [ticketd-inc-0000421] and
// [xticketd-inc-000042]). Updates report success per item, and a status
// the profile's life cycle does not allow can be dropped quietly, so every
// status change is read back. Sync back: a small JSON body pushed to
// ticketd (GLPI 9.5 / 10 send no webhooks of their own).
#include <algorithm>
#include <cctype>

#include "kinds.hpp"
#include "ticketd/core/text.hpp"

namespace ticketd::connectors {
namespace {

// name is a 255-character column; content is rich text.
constexpr size_t kMaxName = 255;
constexpr size_t kMaxText = 32000;
constexpr int kSearchRange = 50;

constexpr int kStatusSolved = 5;
constexpr int kStatusClosed = 6;
constexpr int kGroupAssigned = 2;  // Group_Ticket.type: 1 requester, 2 assigned, 3 observer

// GLPI sends some integers as strings (search rows, older versions).
std::optional<int64_t> int_of(const nlohmann::json& v) {
  if (v.is_number_integer()) return v.get<int64_t>();
  if (v.is_string() && all_digits(v.get<std::string>())) return std::stoll(v.get<std::string>());
  return std::nullopt;
}

// GLPI 10 renders ticket content and followups as HTML: text is escaped and
// its line breaks kept.
std::string to_html(std::string_view text) {
  std::string out = "<p>";
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\n':
        out += "<br>";
        break;
      case '\r':
        break;
      default:
        out += c;
    }
  }
  return out + "</p>";
}

const char* status_label(int64_t s) {
  switch (s) {
    case 1:
      return "New";
    case 2:
      return "Processing (assigned)";
    case 3:
      return "Processing (planned)";
    case 4:
      return "Pending";
    case kStatusSolved:
      return "Solved";
    case kStatusClosed:
      return "Closed";
  }
  return "unknown";
}

// GLPI's errors: ["ERROR_CODE", "message"], where the message of a failed
// add or update is the per-item result list.
std::pair<std::string, std::string> error_of(const std::string& body) {
  auto j = nlohmann::json::parse(body, nullptr, false);
  if (!j.is_array() || j.empty() || !j[0].is_string()) return {};
  std::string message;
  if (j.size() > 1) {
    if (j[1].is_string()) {
      message = j[1].get<std::string>();
    } else if (j[1].is_array()) {
      for (const auto& item : j[1]) {
        const std::string m = text_of(item, "message");
        if (!m.empty()) message += (message.empty() ? "" : "; ") + m;
      }
    }
  }
  return {j[0].get<std::string>(), cap_text(one_line(message), 300)};
}

class Glpi final : public Connector {
 public:
  Glpi(const BackendConfig& c, HttpClient& http) : config_(c), http_(http) {}

  Status configure() {
    Settings s(config_);
    if (config_.url.empty()) s.fail("url", "required for kind glpi");
    // url is GLPI's root (where people log in); apirest.php below it is
    // tolerated.
    base_ = config_.url;
    while (!base_.empty() && base_.back() == '/') base_.pop_back();
    constexpr std::string_view kApi = "/apirest.php";
    if (base_.size() >= kApi.size() &&
        base_.compare(base_.size() - kApi.size(), kApi.size(), kApi) == 0)
      base_.resize(base_.size() - kApi.size());
    user_token_ = s.secret("user_token");
    app_token_ = s.secret("app_token", false);
    entity_id_ = s.integer("entity_id", -1);
    solution_type_id_ = s.integer("solution_type_id", 0);
    reopen_status_ = s.integer("reopen_status", 2);
    if (reopen_status_ < 1 || reopen_status_ > 4)
      s.fail("reopen_status", "expected an open status: 1 (new) to 4 (pending)");
    auto check_table = [&](const char* table, int64_t lo, int64_t hi, const char* what) {
      auto m = config_.map.find(table);
      if (m == config_.map.end()) return;
      for (const auto& [k, v] : m->second) {
        const bool ok =
            all_digits(v) && v.size() < 10 && std::stoll(v) >= lo && std::stoll(v) <= hi;
        if (!v.empty() && !ok)
          s.fail(std::string("map.") + table, k + ": expected " + what + ", not \"" + v + "\"");
      }
    };
    check_table("priority", 1, 6, "a GLPI priority from 1 (very low) to 6 (major)");
    check_table("team", 1, 999999999, "a GLPI group id");
    check_table("category", 1, 999999999, "a GLPI ITIL category id");
    return s.finish();
  }

  Outcome<std::optional<ExternalRef>> find(const std::string& corr) override {
    const std::string what = "search for " + corr;
    // Title (1) contains the key; show the id (2); oldest first.
    const std::string path =
        "/search/Ticket?criteria%5B0%5D%5Bfield%5D=1"
        "&criteria%5B0%5D%5Bsearchtype%5D=contains"
        "&criteria%5B0%5D%5Bvalue%5D=" +
        url_encode(corr) + "&forcedisplay%5B0%5D=2&sort=2&order=ASC&range=0-" +
        std::to_string(kSearchRange - 1);
    auto r = api("GET", path, std::nullopt, what);
    if (!r.ok()) return r.failure();
    auto j = json_body(r.value(), prefix(what));
    if (!j.ok()) return j.failure();
    // Rows are a list by default, an object keyed by id with withindexes;
    // no hit may come as a missing or empty "data".
    const nlohmann::json& data = member(j.value(), "data");
    std::vector<nlohmann::json> rows;
    if (data.is_array()) rows.assign(data.begin(), data.end());
    if (data.is_object()) {
      for (const auto& [k, row] : data.items()) rows.push_back(row);
    }
    const std::string tag = "[" + corr + "]";
    for (const auto& row : rows) {
      if (text_of(row, "1").find(tag) == std::string::npos) continue;
      auto id = int_of(member(row, "2"));
      if (id && *id > 0) return std::optional<ExternalRef>(ref_of(std::to_string(*id)));
    }
    return std::optional<ExternalRef>();
  }

  Outcome<ExternalRef> create(const Ticket& t, const std::string& corr) override {
    nlohmann::json input = {
        {"name", name_of(t, corr)},
        {"content", to_html(cap_text(description_of(t), kMaxText))},
        // 1 incident, 2 request; problems and changes are other item types
        // in GLPI, and are filed as incidents.
        {"type", t.type == TicketType::kServiceRequest ? 2 : 1},
    };
    add_levels(t, input);
    if (entity_id_ >= 0) input["entities_id"] = entity_id_;
    if (auto g = mapped_id("team", t.team)) input["_groups_id_assign"] = *g;
    const std::string what = "create ticket";
    auto r = api("POST", "/Ticket", nlohmann::json{{"input", input}}, what);
    if (!r.ok()) return r.failure();
    auto id = added_id(r.value(), what);
    if (!id.ok()) return id.failure();
    return ref_of(std::to_string(id.value()));
  }

  Sent comment(const ExternalRef& remote, const Ticket&, const std::string& text) override {
    return followup(remote, text, "comment on ticket " + remote.id);
  }

  Sent update(const ExternalRef& remote, const Ticket& t) override {
    const std::string what = "update ticket " + remote.id;
    nlohmann::json input = {{"name", name_of(t, correlation_key(config_, t.key))}};
    add_levels(t, input);
    if (auto r = put_ticket(remote, input, what); !r.ok()) return r;
    if (auto g = mapped_id("team", t.team)) return assign_group(remote, *g, what);
    return sent();
  }

  Sent transition(const ExternalRef& remote, const Ticket& t, RemoteState state,
                  const std::string& note) override {
    const std::string what = std::string(state == RemoteState::kResolved ? "resolve"
                                         : state == RemoteState::kClosed ? "close"
                                                                         : "reopen") +
                             " ticket " + remote.id;
    auto current = status_of(remote, what);
    if (!current.ok()) return current.failure();
    int64_t now = current.value();
    const bool done = now == kStatusSolved || now == kStatusClosed;
    switch (state) {
      case RemoteState::kResolved: {
        if (done) return sent();
        const std::string text = note.empty() ? "Resolved in ticketd (" + t.key + ")" : note;
        auto after = solve(remote, text, what);
        if (!after.ok()) return after.failure();
        return sent();
      }
      case RemoteState::kClosed: {
        if (now == kStatusClosed) return sent();
        // Closing an open ticket goes through a solution, which carries the
        // note (and closes at once where solved tickets close after 0
        // days). A ticket solved already is closed without a note: a
        // followup from its requester (the API user, by default) would
        // reopen it.
        if (now != kStatusSolved) {
          const std::string text = note.empty() ? "Closed in ticketd (" + t.key + ")" : note;
          auto after = solve(remote, text, what);
          if (!after.ok()) return after.failure();
          if (after.value() == kStatusClosed) return sent();
        }
        if (Sent s = put_ticket(remote, {{"status", kStatusClosed}}, what); !s.ok()) return s;
        return expect_status(
            remote, what, [](int64_t st) { return st == kStatusClosed; },
            status_label(kStatusClosed));
      }
      case RemoteState::kReopened: {
        if (!done) return sent();
        if (Sent s = put_ticket(remote, {{"status", reopen_status_}}, what); !s.ok()) return s;
        auto open = [](int64_t st) { return st != kStatusSolved && st != kStatusClosed; };
        if (Sent s = expect_status(remote, what, open, status_label(reopen_status_)); !s.ok())
          return s;
        // The note goes after the reopen: a followup on a closed ticket is
        // refused.
        return followup(remote, note.empty() ? "Reopened in ticketd (" + t.key + ")" : note, what);
      }
    }
    return sent();
  }

  // The body pushed to POST /api/v1/backends/{name}/webhook: one object or
  // a list, each {"id": 15, "status": …, "by"?, "note"?, "updated"?}, where
  // status is GLPI's number (5 solved → resolved, 6 closed → closed, 1–4 →
  // reopened) or "resolved" / "solved", "closed", "reopened".
  Result<std::vector<RemoteChange>> parse_webhook(std::string_view body) override {
    auto j = nlohmann::json::parse(body, nullptr, false);
    if (!j.is_object() && !j.is_array())
      return Status::invalid_argument("glpi webhook: the body is not a JSON object or list");
    const nlohmann::json records = j.is_array() ? j : nlohmann::json::array({j});
    std::vector<RemoteChange> out;
    for (const auto& rec : records) {
      RemoteChange c;
      c.remote_id = text_of(rec, "id");
      const nlohmann::json& status = member(rec, "status");
      if (!all_digits(c.remote_id) || status.is_null())
        return Status::invalid_argument(
            "glpi webhook: each record needs \"id\" and \"status\" (see the glpi backend page)");
      std::optional<RemoteState> state;
      if (auto n = int_of(status)) {
        if (*n == kStatusSolved) state = RemoteState::kResolved;
        if (*n == kStatusClosed) state = RemoteState::kClosed;
        if (*n >= 1 && *n <= 4) state = RemoteState::kReopened;
      } else if (status.is_string()) {
        const std::string s = lower(status.get<std::string>());
        if (s == "resolved" || s == "solved") state = RemoteState::kResolved;
        if (s == "closed") state = RemoteState::kClosed;
        if (s == "reopened") state = RemoteState::kReopened;
      }
      if (!state) continue;
      c.state = *state;
      c.by = text_of(rec, "by");
      c.note = cap_text(text_of(rec, "note"), 2000);
      if (auto u = parse_rfc3339(text_of(rec, "updated"))) c.updated = *u;
      out.push_back(std::move(c));
    }
    return out;
  }

 private:
  std::string prefix(const std::string& what) const { return "glpi " + config_.name + " " + what; }

  std::optional<int64_t> mapped_id(const std::string& table, const std::string& value) const {
    auto t = config_.map.find(table);
    if (t == config_.map.end()) return std::nullopt;
    auto it = t->second.find(value);
    if (it == t->second.end() || !all_digits(it->second)) return std::nullopt;
    return std::stoll(it->second);
  }

  // Urgency and impact from the ticket's levels (GLPI's scale: 1 very low …
  // 5 very high; high is 4, so that 5 stays for people), priority from
  // map.priority or P1 → 5 … P5 → 1 (6, major, only when mapped), and the
  // category when mapped.
  void add_levels(const Ticket& t, nlohmann::json& input) const {
    auto level = [](Level l) { return l == Level::kHigh ? 4 : l == Level::kMedium ? 3 : 2; };
    input["urgency"] = level(t.urgency);
    input["impact"] = level(t.impact);
    auto p = mapped_id("priority", priority_name(t.priority));
    input["priority"] = p ? *p : 6 - static_cast<int>(t.priority);
    if (auto c = mapped_id("category", t.category)) input["itilcategories_id"] = *c;
  }

  static std::string name_of(const Ticket& t, const std::string& corr) {
    return cap_text(one_line("[" + corr + "] " + (blank(t.title) ? t.key : t.title)), kMaxName);
  }

  static std::string description_of(const Ticket& t) {
    std::string d = t.description;
    if (!d.empty()) d += "\n\n";
    d += "ticketd ticket " + t.key + " (" + priority_name(t.priority);
    if (!t.team.empty()) d += ", team " + t.team;
    if (!t.rule.empty()) d += ", rule " + t.rule;
    return d + ")";
  }

  ExternalRef ref_of(const std::string& id) const {
    ExternalRef ref;
    ref.backend = config_.name;
    ref.id = id;
    ref.key = id;
    ref.url = base_ + "/front/ticket.form.php?id=" + id;
    return ref;
  }

  // The id of an added item: 201 {"id": 15, "message": ""}; a refused one
  // has "id": false and GLPI's reason.
  Outcome<int64_t> added_id(const HttpResponse& r, const std::string& what) const {
    auto j = json_body(r, prefix(what));
    if (!j.ok()) return j.failure();
    const nlohmann::json& item =
        j.value().is_array() && !j.value().empty() ? j.value()[0] : j.value();
    auto id = int_of(member(item, "id"));
    if (!id || *id <= 0) {
      const std::string m = text_of(item, "message");
      return rejected(prefix(what) + ": GLPI did not add it" + (m.empty() ? "" : ": " + m) +
                      " (answer: " + r.body.substr(0, 200) + ")");
    }
    return *id;
  }

  Outcome<int64_t> status_of(const ExternalRef& remote, const std::string& what) {
    auto r = api("GET", "/Ticket/" + url_encode(remote.id), std::nullopt, what);
    if (!r.ok()) return r.failure();
    auto j = json_body(r.value(), prefix(what));
    if (!j.ok()) return j.failure();
    auto status = int_of(member(j.value(), "status"));
    if (!status)
      return rejected(prefix(what) +
                      ": the answer has no status: " + r.value().body.substr(0, 200));
    return *status;
  }

  template <class Pred>
  Sent expect_status(const ExternalRef& remote, const std::string& what, Pred ok,
                     const std::string& wanted) {
    auto after = status_of(remote, what);
    if (!after.ok()) return after.failure();
    if (ok(after.value())) return sent();
    return rejected(prefix(what) + ": GLPI kept the ticket " + status_label(after.value()) +
                    " instead of " + wanted +
                    " (the profile's ticket life cycle may not allow the change: Administration → "
                    "Profiles → Assistance → Life cycles)");
  }

  // Adds the solution and answers the status it left: solved, or closed
  // where solved tickets close after 0 days.
  Outcome<int64_t> solve(const ExternalRef& remote, const std::string& text,
                         const std::string& what) {
    if (!all_digits(remote.id)) return rejected(prefix(what) + ": not a GLPI ticket id");
    nlohmann::json input = {{"itemtype", "Ticket"},
                            {"items_id", std::stoll(remote.id)},
                            {"content", to_html(cap_text(text, kMaxText))}};
    if (solution_type_id_ > 0) input["solutiontypes_id"] = solution_type_id_;
    auto r = api("POST", "/ITILSolution", nlohmann::json{{"input", input}}, what);
    if (!r.ok()) return r.failure();
    if (auto id = added_id(r.value(), what); !id.ok()) return id.failure();
    auto after = status_of(remote, what);
    if (!after.ok()) return after.failure();
    if (after.value() != kStatusSolved && after.value() != kStatusClosed)
      return rejected(prefix(what) + ": GLPI took the solution but the ticket stays " +
                      status_label(after.value()));
    return after.value();
  }

  Sent followup(const ExternalRef& remote, const std::string& text, const std::string& what) {
    if (!all_digits(remote.id)) return rejected(prefix(what) + ": not a GLPI ticket id");
    nlohmann::json input = {{"itemtype", "Ticket"},
                            {"items_id", std::stoll(remote.id)},
                            {"content", to_html(cap_text(text, kMaxText))},
                            {"is_private", 1}};
    auto r = api("POST", "/ITILFollowup", nlohmann::json{{"input", input}}, what);
    if (!r.ok()) return r.failure();
    if (auto id = added_id(r.value(), what); !id.ok()) return id.failure();
    return sent();
  }

  // PUT Ticket/{id}: 200 [{"15": true, "message": ""}], or false with the
  // reason.
  Sent put_ticket(const ExternalRef& remote, const nlohmann::json& input, const std::string& what) {
    auto r = api("PUT", "/Ticket/" + url_encode(remote.id), nlohmann::json{{"input", input}}, what);
    if (!r.ok()) return r.failure();
    auto j = json_body(r.value(), prefix(what));
    if (!j.ok()) return j.failure();
    const nlohmann::json items =
        j.value().is_array() ? j.value() : nlohmann::json::array({j.value()});
    for (const auto& item : items) {
      const nlohmann::json& ok = member(item, remote.id);
      if (ok.is_boolean() && !ok.get<bool>()) {
        const std::string m = text_of(item, "message");
        return rejected(prefix(what) + ": GLPI refused the update" + (m.empty() ? "" : ": " + m));
      }
    }
    return sent();
  }

  // The team's group becomes an assigned group; groups ticketd assigned for
  // other teams (other map.team values) are taken off afterwards, so the
  // ticket is never left without one. Groups people added stay.
  Sent assign_group(const ExternalRef& remote, int64_t group, const std::string& what) {
    auto r = api("GET", "/Ticket/" + url_encode(remote.id) + "/Group_Ticket", std::nullopt, what);
    if (!r.ok()) return r.failure();
    auto j = json_body(r.value(), prefix(what));
    if (!j.ok()) return j.failure();
    std::vector<int64_t> ours;  // map.team group ids
    if (auto m = config_.map.find("team"); m != config_.map.end()) {
      for (const auto& [team, g] : m->second) {
        if (all_digits(g)) ours.push_back(std::stoll(g));
      }
    }
    bool present = false;
    std::vector<int64_t> stale;  // Group_Ticket ids
    if (j.value().is_array()) {
      for (const auto& link : j.value()) {
        if (int_of(member(link, "type")) != kGroupAssigned) continue;
        auto g = int_of(member(link, "groups_id"));
        auto id = int_of(member(link, "id"));
        if (!g || !id) continue;
        if (*g == group) {
          present = true;
        } else if (std::find(ours.begin(), ours.end(), *g) != ours.end()) {
          stale.push_back(*id);
        }
      }
    }
    if (!present) {
      nlohmann::json input = {
          {"tickets_id", std::stoll(remote.id)}, {"groups_id", group}, {"type", kGroupAssigned}};
      auto add = api("POST", "/Group_Ticket", nlohmann::json{{"input", input}}, what);
      if (!add.ok()) return add.failure();
      if (auto id = added_id(add.value(), what); !id.ok()) return id.failure();
    }
    for (int64_t link : stale) {
      auto del = api("DELETE", "/Group_Ticket/" + std::to_string(link), std::nullopt, what);
      if (!del.ok()) return del.failure();
    }
    return sent();
  }

  // A call with the session: taken when missing, and taken anew once when
  // GLPI no longer knows it. A 2xx answer, or the Failure it means.
  Outcome<HttpResponse> api(const std::string& method, const std::string& path,
                            const std::optional<nlohmann::json>& body, const std::string& what) {
    for (int attempt = 0;; ++attempt) {
      if (session_.empty()) {
        if (auto f = init_session(what)) return *f;
      }
      auto r = call(method, "/apirest.php" + path, body, true);
      if (r && r->status == 401 && error_of(r->body).first == "ERROR_SESSION_TOKEN_INVALID" &&
          attempt == 0) {
        session_.clear();
        continue;
      }
      if (auto f = check(r, what)) return *f;
      return *r;
    }
  }

  std::optional<Failure> init_session(const std::string& what) {
    auto r = call("GET", "/apirest.php/initSession", std::nullopt, false);
    if (auto f = check(r, what + " (initSession)")) return f;
    auto j = json_body(*r, prefix(what + " (initSession)"));
    if (!j.ok()) return j.failure();
    const std::string token = text_of(j.value(), "session_token");
    if (token.empty())
      return rejected(prefix(what) + ": initSession answered without a session_token");
    session_ = token;
    return std::nullopt;
  }

  Result<HttpResponse> call(const std::string& method, const std::string& path,
                            const std::optional<nlohmann::json>& body, bool with_session) {
    HttpRequest req;
    req.method = method;
    req.url = base_ + path;
    if (with_session) {
      req.header("Session-Token", session_);
    } else {
      req.header("Authorization", "user_token " + user_token_);
    }
    if (!app_token_.empty()) req.header("App-Token", app_token_);
    req.header("Accept", "application/json");
    // GLPI wants a Content-Type on every call, and refuses a GET with a
    // body (400).
    req.header("Content-Type", "application/json");
    if (body) req.body = body->dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    return http_.send(req);
  }

  // failure_of() with GLPI's error code and message. Credential and access
  // errors that GLPI answers with 400 are auth failures all the same.
  std::optional<Failure> check(const Result<HttpResponse>& r, const std::string& what) const {
    std::optional<Failure> f = failure_of(r, prefix(what));
    if (!f || !r) return f;
    const auto [code, message] = error_of(r->body);
    if (code.empty()) return f;
    f->message = prefix(what) + ": HTTP " + std::to_string(r->status) + ": " + code +
                 (message.empty() ? "" : ": " + message);
    std::string hint;
    if (code == "ERROR_GLPI_LOGIN_USER_TOKEN" || code == "ERROR_LOGIN_PARAMETERS_MISSING" ||
        code == "ERROR_GLPI_LOGIN") {
      hint =
          "check user_token_file / user_token_env: the user's API token (My settings → Remote "
          "access keys)";
    } else if (code == "ERROR_WRONG_APP_TOKEN_PARAMETER" ||
               code == "ERROR_APP_TOKEN_PARAMETERS_MISSING") {
      hint = "check app_token_file / app_token_env against the API client (Setup → General → API)";
    } else if (code == "ERROR_NOT_ALLOWED_IP") {
      hint = "no active API client allows ticketd's address (Setup → General → API)";
    } else if (code == "ERROR_RIGHT_MISSING") {
      hint = "the user's profile lacks a right on tickets, followups or solutions";
    } else if (code == "ERROR_SESSION_TOKEN_INVALID") {
      hint = "GLPI refused a fresh session too";
    }
    if (!hint.empty()) {
      f->kind = Failure::Kind::kAuth;
      f->message += " (" + hint + ")";
    }
    return f;
  }

  const BackendConfig config_;
  HttpClient& http_;
  std::string base_;  // GLPI's root URL, without apirest.php
  std::string user_token_, app_token_;
  std::string session_;  // Session-Token; empty until initSession
  int64_t entity_id_ = -1;
  int64_t solution_type_id_ = 0;
  int64_t reopen_status_ = 2;
};

}  // namespace

Result<std::unique_ptr<Connector>> make_glpi(const BackendConfig& config, HttpClient& http) {
  auto c = std::make_unique<Glpi>(config, http);
  if (Status s = c->configure(); !s) return s;
  return std::unique_ptr<Connector>(std::move(c));
}

}  // namespace ticketd::connectors
