// kind: servicenow — the Table API (/api/now/table/{table}) of a ServiceNow
// instance: incident by default, problem or change_request when configured.
//
// ticketd's correlation key goes into the task's correlation_id field, made
// for exactly this (an external system's id), and is compared client-side
// after every search: string comparisons in ServiceNow queries ignore case,
// and an invalid query term is dropped silently. Every field value travels
// as a string. Sync back: polling records whose correlation_id carries
// ticketd's prefix and that reached the resolved or closed state, and a
// small JSON body a Business Rule can POST (ServiceNow has no standard
// outbound webhook).
#include <algorithm>
#include <cctype>
#include <ctime>

#include "kinds.hpp"
#include "ticketd/core/text.hpp"

namespace ticketd::connectors {
namespace {

// short_description is a 160-character field; description and journal
// fields take far more, but a comment is no place for megabytes.
constexpr size_t kMaxShort = 160;
constexpr size_t kMaxText = 32000;
constexpr int kPollPageSize = 100;
constexpr int kMaxPollPages = 10;

// ServiceNow sends every value as a string; a Business Rule's script may
// send numbers. A reference field without sysparm_exclude_reference_link is
// {"link","value"}.
std::string field_text(const nlohmann::json& j, const char* key) {
  const nlohmann::json& v = member(j, key);
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number_integer() || v.is_number_unsigned()) return v.dump();
  if (v.is_object()) return field_text(v, "value");
  return "";
}

// A value inside an encoded query: "^" separates terms and is doubled to
// stand for itself.
std::string query_value(const std::string& s) {
  std::string out;
  for (char c : s) {
    out += c;
    if (c == '^') out += '^';
  }
  return out;
}

// "yyyy-MM-dd HH:mm:ss" in UTC: the form of stored date-times, which a
// literal in an encoded query is compared with as is.
std::string glide_time(TimePoint t) {
  const std::time_t secs =
      std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
  return buf;
}

std::optional<TimePoint> parse_glide_time(const std::string& s) {
  if (s.size() != 19) return std::nullopt;
  auto t = parse_rfc3339(s + "Z");
  if (!t) return std::nullopt;
  return *t;
}

// ServiceNow's error body: {"error":{"message":"…","detail":"…"},"status":"failure"}.
std::string error_text(const std::string& body) {
  auto j = nlohmann::json::parse(body, nullptr, false);
  const nlohmann::json& e = member(j, "error");
  std::string out = field_text(e, "message");
  if (const std::string d = field_text(e, "detail"); !d.empty())
    out += out.empty() ? d : " (" + d + ")";
  return cap_text(one_line(out), 300);
}

// 1 high, 2 medium, 3 low: ServiceNow's impact and urgency choices.
std::string level_value(Level l) {
  switch (l) {
    case Level::kHigh:
      return "1";
    case Level::kMedium:
      return "2";
    case Level::kLow:
      return "3";
  }
  return "2";
}

bool valid_pair(const std::string& v) {
  return v.size() == 3 && v[0] >= '1' && v[0] <= '3' && v[1] == ',' && v[2] >= '1' && v[2] <= '3';
}

class ServiceNow final : public Connector {
 public:
  ServiceNow(const BackendConfig& c, HttpClient& http) : config_(c), http_(http) {}

  Status configure() {
    Settings s(config_);
    if (config_.url.empty()) s.fail("url", "required for kind servicenow");
    table_ = s.str("table", "incident");
    if (table_ != "incident" && table_ != "problem" && table_ != "change_request")
      s.fail("table", "expected incident, problem or change_request, not \"" + table_ + "\"");
    const std::string user = s.str("user");
    if (!user.empty()) {
      auth_ = basic_auth(user, s.secret("password"));
      auth_hint_ = "check user and password (password_file / password_env)";
    } else {
      const std::string token = s.secret("token", false);
      if (token.empty())
        s.fail("user",
               "set user with password_file or password_env (Basic), or token_file or "
               "token_env (an OAuth access token)");
      auth_ = "Bearer " + token;
      auth_hint_ = "check the OAuth token (token_file / token_env); it may have expired";
    }
    assignment_group_ = s.str("assignment_group");
    caller_id_ = s.str("caller_id");
    // State values and close fields differ between tables (problem: 101…107,
    // change_request: -5…4) and between releases, so only incident has
    // defaults.
    const bool incident = table_ == "incident";
    auto state = [&](const std::string& key, const std::string& def) {
      std::string v = s.str(key, incident ? def : "");
      if (v.empty())
        s.fail(key, "required for table " + table_ + " (its state values differ from incident's)");
      return v;
    };
    resolved_state_ = state("resolved_state", "6");
    closed_state_ = state("closed_state", "7");
    reopen_state_ = state("reopen_state", "2");
    close_code_ = s.str("close_code", incident ? "Solution provided" : "");
    close_code_field_ = s.str("close_code_field", "close_code");
    comment_field_ = s.str("comment_field", "work_notes");
    if (comment_field_ != "work_notes" && comment_field_ != "comments")
      s.fail("comment_field", "expected work_notes (internal) or comments (seen by the caller)");
    if (auto m = config_.map.find("priority"); m != config_.map.end()) {
      for (const auto& [p, v] : m->second) {
        if (!valid_pair(v))
          s.fail("map.priority", p + ": expected \"impact,urgency\" with values 1-3, not \"" + v +
                                     "\" (e.g. P1: \"1,1\")");
      }
    }
    prefix_ = lower(config_.key_prefix);
    return s.finish();
  }

  Outcome<std::optional<ExternalRef>> find(const std::string& corr) override {
    const std::string what = "search for correlation_id " + corr;
    auto rows = list("correlation_id=" + query_value(corr) + "^ORDERBYDESCsys_created_on",
                     "sys_id,number,correlation_id", 20, 0, what);
    if (!rows.ok()) return rows.failure();
    for (const auto& row : rows.value()) {
      if (field_text(row, "correlation_id") != corr) continue;
      ExternalRef ref = ref_of(field_text(row, "sys_id"), field_text(row, "number"));
      if (ref.id.empty()) return rejected(prefix(what) + ": a hit without sys_id");
      return std::optional<ExternalRef>(ref);
    }
    return std::optional<ExternalRef>();
  }

  Outcome<ExternalRef> create(const Ticket& t, const std::string& corr) override {
    nlohmann::json body = {
        {"short_description", cap_text(one_line(t.title.empty() ? t.key : t.title), kMaxShort)},
        {"description", cap_text(description_of(t), kMaxText)},
        {"correlation_id", corr},
        {"correlation_display", "ticketd"},
    };
    add_mapped_fields(t, body, true);
    if (!caller_id_.empty()) body["caller_id"] = caller_id_;
    if (const std::string c = mapped("category", t.category, ""); !c.empty()) body["category"] = c;
    const std::string what = "create " + table_;
    auto r = call("POST", table_path("") + "?sysparm_fields=sys_id,number", body);
    if (auto f = check(r, what)) return *f;
    auto j = json_body(*r, prefix(what));
    if (!j.ok()) return j.failure();
    const nlohmann::json& result = member(j.value(), "result");
    ExternalRef ref = ref_of(field_text(result, "sys_id"), field_text(result, "number"));
    if (ref.id.empty())
      return rejected(prefix(what) +
                      ": the answer has no result.sys_id: " + r->body.substr(0, 200));
    return ref;
  }

  Sent comment(const ExternalRef& remote, const Ticket&, const std::string& text) override {
    return patch(remote, {{comment_field_, cap_text(text, kMaxText)}}, "comment on " + remote.key);
  }

  Sent update(const ExternalRef& remote, const Ticket& t) override {
    nlohmann::json body = {
        {"short_description", cap_text(one_line(t.title.empty() ? t.key : t.title), kMaxShort)}};
    add_mapped_fields(t, body, false);
    return patch(remote, body, "update " + remote.key);
  }

  Sent transition(const ExternalRef& remote, const Ticket& t, RemoteState state,
                  const std::string& note) override {
    const std::string what = std::string(state == RemoteState::kResolved ? "resolve"
                                         : state == RemoteState::kClosed ? "close"
                                                                         : "reopen") +
                             " " + remote.key;
    auto r = call("GET", table_path(remote.id) + "?sysparm_fields=state", std::nullopt);
    if (auto f = check(r, what)) return *f;
    auto j = json_body(*r, prefix(what));
    if (!j.ok()) return j.failure();
    const std::string current = field_text(member(j.value(), "result"), "state");
    if (current.empty())
      return rejected(prefix(what) + ": the answer has no result.state: " + r->body.substr(0, 200));
    const bool resolved = current == resolved_state_;
    const bool closed = current == closed_state_;
    nlohmann::json body;
    switch (state) {
      case RemoteState::kResolved:
      case RemoteState::kClosed: {
        // Closed is past resolved; closed_state may equal resolved_state for
        // a user that may resolve but not close (itil without itil_admin).
        if (closed || (state == RemoteState::kResolved && resolved)) return sent();
        body = {{"state", state == RemoteState::kResolved ? resolved_state_ : closed_state_},
                {"close_notes", !note.empty() ? note
                                : state == RemoteState::kResolved
                                    ? "Resolved in ticketd (" + t.key + ")"
                                    : "Closed in ticketd (" + t.key + ")"}};
        if (!close_code_.empty()) body[close_code_field_] = close_code_;
        break;
      }
      case RemoteState::kReopened:
        if (!resolved && !closed) return sent();
        if (closed)
          return rejected(prefix(what) + ": the " + table_ +
                          " is closed, and ServiceNow keeps closed records read-only; it cannot "
                          "be reopened");
        body = {{"state", reopen_state_},
                {comment_field_, note.empty() ? "Reopened in ticketd (" + t.key + ")" : note}};
        break;
    }
    return patch(remote, body, what);
  }

  bool polls() const override { return true; }

  // Records carrying ticketd's correlation prefix that reached the resolved
  // or closed state since `since`, oldest first.
  Outcome<std::vector<RemoteChange>> poll(TimePoint since) override {
    const std::string query = "correlation_idSTARTSWITH" + query_value(prefix_) +
                              "^sys_updated_on>=" + glide_time(since) + "^stateIN" +
                              resolved_state_ + "," + closed_state_ + "^ORDERBYsys_updated_on";
    std::vector<RemoteChange> out;
    for (int page = 0; page < kMaxPollPages; ++page) {
      auto rows =
          list(query, "sys_id,state,correlation_id,sys_updated_on,sys_updated_by,close_notes",
               kPollPageSize, page * kPollPageSize, "poll");
      if (!rows.ok()) return rows.failure();
      for (const auto& row : rows.value()) {
        // The query is re-checked here: a dropped term would return all rows.
        const std::string state = field_text(row, "state");
        if (field_text(row, "correlation_id").rfind(prefix_, 0) != 0) continue;
        if (state != resolved_state_ && state != closed_state_) continue;
        RemoteChange c;
        c.remote_id = field_text(row, "sys_id");
        if (c.remote_id.empty()) continue;
        c.state = state == resolved_state_ ? RemoteState::kResolved : RemoteState::kClosed;
        c.by = field_text(row, "sys_updated_by");
        c.note = field_text(row, "close_notes");
        if (auto u = parse_glide_time(field_text(row, "sys_updated_on"))) c.updated = *u;
        out.push_back(std::move(c));
      }
      if (static_cast<int>(rows.value().size()) < kPollPageSize) break;
    }
    return out;
  }

  // The body a Business Rule sends (see docs/backends/servicenow.md): one
  // object or a list of them, each {"sys_id", "state", "previous_state"?,
  // "correlation_id"?, "close_notes"?, "sys_updated_by"?, "sys_updated_on"?}.
  // A record going back from resolved or closed to another state is a reopen
  // only when previous_state says so; other states report nothing.
  Result<std::vector<RemoteChange>> parse_webhook(std::string_view body) override {
    auto j = nlohmann::json::parse(body, nullptr, false);
    if (!j.is_object() && !j.is_array())
      return Status::invalid_argument("servicenow webhook: the body is not a JSON object or list");
    const nlohmann::json records = j.is_array() ? j : nlohmann::json::array({j});
    std::vector<RemoteChange> out;
    for (const auto& rec : records) {
      RemoteChange c;
      c.remote_id = field_text(rec, "sys_id");
      const std::string state = field_text(rec, "state");
      if (c.remote_id.empty() || state.empty())
        return Status::invalid_argument("servicenow webhook: each record needs sys_id and state");
      const std::string corr = field_text(rec, "correlation_id");
      if (!corr.empty() && corr.rfind(prefix_, 0) != 0) continue;  // not one of ticketd's
      const std::string previous = field_text(rec, "previous_state");
      if (state == resolved_state_) {
        c.state = RemoteState::kResolved;
      } else if (state == closed_state_) {
        c.state = RemoteState::kClosed;
      } else if (previous == resolved_state_ || previous == closed_state_) {
        c.state = RemoteState::kReopened;
      } else {
        continue;
      }
      c.by = field_text(rec, "sys_updated_by");
      c.note = field_text(rec, "close_notes");
      if (auto u = parse_glide_time(field_text(rec, "sys_updated_on"))) c.updated = *u;
      out.push_back(std::move(c));
    }
    return out;
  }

 private:
  std::string prefix(const std::string& what) const {
    return "servicenow " + config_.name + " " + what;
  }

  std::string mapped(const std::string& table, const std::string& value,
                     const std::string& fallback) const {
    auto t = config_.map.find(table);
    if (t == config_.map.end()) return fallback;
    auto it = t->second.find(value);
    return it == t->second.end() ? fallback : it->second;
  }

  std::string table_path(const std::string& sys_id) const {
    std::string p = "/api/now/table/" + table_;
    if (!sys_id.empty()) p += "/" + url_encode(sys_id);
    return p;
  }

  ExternalRef ref_of(const std::string& sys_id, const std::string& number) const {
    ExternalRef ref;
    ref.backend = config_.name;
    ref.id = sys_id;
    ref.key = number.empty() ? sys_id : number;
    if (!sys_id.empty())
      ref.url = join_url(config_.url, "/nav_to.do?uri=" + table_ + ".do?sys_id=" + sys_id);
    return ref;
  }

  // impact and urgency (map.priority "impact,urgency", or the ticket's own
  // levels; ServiceNow derives priority from them), and the assignment group
  // (map.team, or the default group when creating).
  void add_mapped_fields(const Ticket& t, nlohmann::json& body, bool creating) const {
    const std::string pair = mapped("priority", priority_name(t.priority), "");
    if (valid_pair(pair)) {
      body["impact"] = pair.substr(0, 1);
      body["urgency"] = pair.substr(2, 1);
    } else {
      body["impact"] = level_value(t.impact);
      body["urgency"] = level_value(t.urgency);
    }
    // On update an unmapped team leaves the group alone, so that a
    // reassignment made in ServiceNow stands.
    std::string group = mapped("team", t.team, "");
    if (group.empty() && creating) group = assignment_group_;
    if (!group.empty()) body["assignment_group"] = group;
  }

  static std::string description_of(const Ticket& t) {
    std::string d = t.description;
    if (!d.empty()) d += "\n\n";
    d += "ticketd ticket " + t.key + " (" + priority_name(t.priority);
    if (!t.team.empty()) d += ", team " + t.team;
    if (!t.rule.empty()) d += ", rule " + t.rule;
    return d + ")";
  }

  // GET on the table: the rows of `result`. The Table API's v1 answers a
  // query without match with 404 "No Record found", which is an empty list.
  Outcome<std::vector<nlohmann::json>> list(const std::string& query, const std::string& fields,
                                            int limit, int offset, const std::string& what) {
    std::string path = table_path("") + "?sysparm_query=" + url_encode(query) +
                       "&sysparm_fields=" + url_encode(fields) +
                       "&sysparm_limit=" + std::to_string(limit) +
                       "&sysparm_exclude_reference_link=true";
    if (offset > 0) path += "&sysparm_offset=" + std::to_string(offset);
    auto r = call("GET", path, std::nullopt);
    if (r && r->status == 404 && error_text(r->body).rfind("No Record found", 0) == 0)
      return std::vector<nlohmann::json>{};
    if (auto f = check(r, what)) return *f;
    auto j = json_body(*r, prefix(what));
    if (!j.ok()) return j.failure();
    const nlohmann::json& result = member(j.value(), "result");
    if (!result.is_array())
      return rejected(prefix(what) + ": the answer has no result list: " + r->body.substr(0, 200));
    return std::vector<nlohmann::json>(result.begin(), result.end());
  }

  Sent patch(const ExternalRef& remote, const nlohmann::json& body, const std::string& what) {
    auto r = call("PATCH", table_path(remote.id) + "?sysparm_fields=sys_id", body);
    if (auto f = check(r, what)) return *f;
    return sent();
  }

  Result<HttpResponse> call(const std::string& method, const std::string& path,
                            const std::optional<nlohmann::json>& body) {
    HttpRequest req;
    req.method = method;
    req.url = join_url(config_.url, path);
    req.header("Authorization", auth_);
    req.header("Accept", "application/json");
    if (body) {
      req.header("Content-Type", "application/json");
      req.body = body->dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    }
    return http_.send(req);
  }

  // failure_of() with ServiceNow's error text made readable. A 403 is not
  // always about permissions: a data policy (a mandatory field, such as the
  // close code) refuses with 403 too, and retrying cannot fix that.
  std::optional<Failure> check(const Result<HttpResponse>& r, const std::string& what) const {
    std::optional<Failure> f = failure_of(r, prefix(what));
    if (!f || !r) return f;
    const std::string detail = error_text(r->body);
    if (!detail.empty())
      f->message = prefix(what) + ": HTTP " + std::to_string(r->status) + ": " + detail;
    if (r->status == 403 && detail.find("Data Policy Exception") != std::string::npos)
      f->kind = Failure::Kind::kRejected;
    if (f->kind == Failure::Kind::kAuth) {
      f->message += r->status == 401 ? " (" + auth_hint_ + ")"
                                     : " (a role or an ACL refuses: writing " + table_ +
                                           " records takes the itil role, and closed records "
                                           "are read-only)";
    }
    return f;
  }

  const BackendConfig config_;
  HttpClient& http_;
  std::string table_;
  std::string auth_, auth_hint_;
  std::string assignment_group_, caller_id_;
  std::string resolved_state_, closed_state_, reopen_state_;
  std::string close_code_, close_code_field_, comment_field_;
  std::string prefix_;  // the lower-case key_prefix every correlation_id of ours starts with
};

}  // namespace

Result<std::unique_ptr<Connector>> make_servicenow(const BackendConfig& config, HttpClient& http) {
  auto c = std::make_unique<ServiceNow>(config, http);
  if (Status s = c->configure(); !s) return s;
  return std::unique_ptr<Connector>(std::move(c));
}

}  // namespace ticketd::connectors
