// kind: jira — Jira Cloud (REST v3: descriptions and comments in Atlassian
// Document Format, Basic auth with the account's email and an API token) and
// Jira Server / Data Center (REST v2: plain-text bodies, Bearer personal
// access token, or Basic user:password).
//
// ticketd's correlation key is a label on the issue: labels match exactly in
// JQL and anyone may add one, where a custom field would need an admin.
// Transitions are chosen by their target status category, because workflow
// transition ids and names differ per project; names can be configured.
// Sync back: polling issues of the configured projects that reached the
// "done" category, and the Jira webhook (jira:issue_updated).
#include <algorithm>
#include <array>
#include <cctype>
#include <set>

#include "kinds.hpp"
#include "ticketd/core/text.hpp"

namespace ticketd::connectors {
namespace {

// Jira caps summaries at 255 characters and text fields at 32767.
constexpr size_t kMaxSummary = 255;
constexpr size_t kMaxText = 32000;
// Poll pages: Jira serves at most 100 issues a page; more than 1000 issues
// done in one poll interval is not an incident queue any more.
constexpr int kPollPageSize = 100;
constexpr int kMaxPollPages = 10;

bool contains_ci(const std::string& hay, const std::string& needle) {
  return lower(hay).find(lower(needle)) != std::string::npos;
}

// A JQL string literal.
std::string jql_quote(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

// Jira's error body: {"errorMessages":["…"],"errors":{"field":"…"}}, as one
// line ("summary: Field 'summary' is required; …"); "" for another body.
std::string jira_error_text(const std::string& body) {
  auto j = nlohmann::json::parse(body, nullptr, false);
  if (!j.is_object()) return "";
  std::string out;
  auto add = [&out](const std::string& s) { out += (out.empty() ? "" : "; ") + s; };
  for (const auto& m : member(j, "errorMessages")) {
    if (m.is_string()) add(m.get<std::string>());
  }
  const nlohmann::json& errors = member(j, "errors");
  if (errors.is_object()) {
    for (const auto& [field, msg] : errors.items()) {
      if (msg.is_string()) add(field + ": " + msg.get<std::string>());
    }
  }
  return cap_text(out, 300);
}

// Atlassian Document Format for plain text: paragraphs at blank lines, line
// breaks within a paragraph as hardBreak nodes. ADF refuses empty text nodes.
nlohmann::json adf(const std::string& text) {
  nlohmann::json content = nlohmann::json::array();
  nlohmann::json para = nlohmann::json::array();
  auto flush = [&] {
    if (para.empty()) return;
    if (para.back()["type"] == "hardBreak") para.erase(para.size() - 1);
    content.push_back({{"type", "paragraph"}, {"content", para}});
    para = nlohmann::json::array();
  };
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(start, end - start);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) {
      flush();
    } else {
      para.push_back({{"type", "text"}, {"text", line}});
      para.push_back({{"type", "hardBreak"}});
    }
    start = end + 1;
  }
  flush();
  if (content.empty())
    content.push_back({{"type", "paragraph"}, {"content", nlohmann::json::array()}});
  return {{"type", "doc"}, {"version", 1}, {"content", content}};
}

// Jira's timestamps ("2025-01-02T03:04:05.000+0000") carry an offset without
// a colon, which RFC 3339 wants.
std::optional<TimePoint> parse_jira_time(std::string s) {
  if (s.size() > 5) {
    const size_t z = s.size() - 5;
    if ((s[z] == '+' || s[z] == '-') && std::isdigit(static_cast<unsigned char>(s[z + 1])))
      s.insert(z + 3, ":");
  }
  auto t = parse_rfc3339(s);
  if (!t) return std::nullopt;
  return *t;
}

// One entry of GET …/issue/{id}/transitions?expand=transitions.fields.
struct Transition {
  std::string id, name, to_name, to_category;  // category: new, indeterminate, done
  bool has_resolution = false;                 // the resolution field is on its screen
  std::vector<std::string> resolutions;        // the values it offers
};

class Jira final : public Connector {
 public:
  Jira(const BackendConfig& c, HttpClient& http) : config_(c), http_(http) {}

  Status configure() {
    Settings s(config_);
    if (config_.url.empty()) s.fail("url", "required for kind jira");
    std::string api = s.str("api");
    if (api.empty() && config_.url.find(".atlassian.net") != std::string::npos) api = "cloud";
    if (api == "cloud" || api == "server") {
      cloud_ = api == "cloud";
    } else if (api.empty()) {
      s.fail("api", "set cloud (Jira Cloud, REST v3) or server (Server / Data Center, REST v2)");
    } else {
      s.fail("api", "expected cloud or server, not \"" + api + "\"");
    }
    api_path_ = cloud_ ? "/rest/api/3" : "/rest/api/2";
    const std::string user = s.str("user");
    if (cloud_) {
      // Jira Cloud takes an API token only as the password of Basic auth.
      if (user.empty()) s.fail("user", "required for api: cloud (the account's email address)");
      auth_ = basic_auth(user, s.secret("token"));
      auth_hint_ = "check user (the account's email) and the API token (token_file / token_env)";
    } else if (!user.empty()) {
      auth_ = basic_auth(user, s.secret("password"));
      auth_hint_ = "check user and password (password_file / password_env)";
    } else {
      // A personal access token works only as a Bearer token, never as a
      // Basic password.
      const std::string token = s.secret("token", false);
      if (token.empty())
        s.fail("token",
               "set token_file or token_env (a personal access token), or user with "
               "password_file or password_env");
      auth_ = "Bearer " + token;
      auth_hint_ = "check the personal access token (token_file / token_env)";
    }
    project_ = s.required("project");
    issue_type_ = s.str("issue_type", "Incident");
    const nlohmann::json tp = s.raw("team_projects");
    if (tp.is_object()) {
      for (const auto& [team, key] : tp.items()) {
        if (key.is_string() && !key.get<std::string>().empty())
          team_projects_[team] = key.get<std::string>();
        else
          s.fail("team_projects", "values must be project keys");
      }
    } else if (!tp.is_null()) {
      s.fail("team_projects", "expected a mapping of team: project key");
    }
    labels_ = s.strings("labels");
    for (const std::string& l : labels_) {
      if (l.empty() ||
          std::any_of(l.begin(), l.end(), [](unsigned char c) { return std::isspace(c) != 0; }))
        s.fail("labels", "a Jira label cannot be empty or contain spaces: \"" + l + "\"");
    }
    resolve_transition_ = s.str("resolve_transition");
    close_transition_ = s.str("close_transition");
    reopen_transition_ = s.str("reopen_transition");
    resolution_ = s.str("resolution");
    set_priority_ = s.boolean("set_priority", true);
    internal_comments_ = s.boolean("internal_comments", true);
    if (auto m = config_.map.find("type"); m != config_.map.end()) {
      for (const auto& [type, name] : m->second) {
        if (!parse_ticket_type(type))
          s.fail("map.type", "unknown ticket type \"" + type +
                                 "\" (incident, service_request, problem, change)");
      }
    }
    return s.finish();
  }

  Outcome<std::optional<ExternalRef>> find(const std::string& corr) override {
    auto page = search("labels = " + jql_quote(corr), "labels,summary", 50, "", 0,
                       "search for label " + corr);
    if (!page.ok()) return page.failure();
    // Labels match exactly in JQL, but every hit is checked anyway: a search
    // that misreads its query must never attach ticketd to a stranger's issue.
    for (const auto& issue : member(page.value(), "issues")) {
      for (const auto& label : member(member(issue, "fields"), "labels")) {
        if (label.is_string() && label.get<std::string>() == corr) {
          ExternalRef ref = ref_of(text_of(issue, "id"), text_of(issue, "key"));
          if (ref.id.empty() || ref.key.empty())
            return rejected(prefix("search for label " + corr) + ": a hit without id or key");
          return std::optional<ExternalRef>(ref);
        }
      }
    }
    return std::optional<ExternalRef>();
  }

  Outcome<ExternalRef> create(const Ticket& t, const std::string& corr) override {
    auto tp = team_projects_.find(t.team);
    const std::string project = tp == team_projects_.end() ? project_ : tp->second;
    nlohmann::json labels = nlohmann::json::array({corr});
    for (const std::string& l : labels_) labels.push_back(l);
    nlohmann::json fields = {
        {"project", {{"key", project}}},
        {"issuetype", {{"name", issue_type_for(t)}}},
        {"summary", cap_text(one_line(t.title.empty() ? t.key : t.title), kMaxSummary)},
        {"labels", labels},
        {"description", body(description_of(t))},
    };
    add_mapped_fields(t, fields);
    const std::string what = "create issue in " + project;
    auto r = call("POST", "/issue", nlohmann::json{{"fields", fields}});
    if (auto f = check(r, what)) return *f;
    auto j = json_body(*r, prefix(what));
    if (!j.ok()) return j.failure();
    ExternalRef ref = ref_of(text_of(j.value(), "id"), text_of(j.value(), "key"));
    if (ref.id.empty() || ref.key.empty())
      return rejected(prefix(what) + ": the answer has no id or key: " + r->body.substr(0, 200));
    return ref;
  }

  Sent comment(const ExternalRef& remote, const Ticket&, const std::string& text) override {
    return add_comment(remote, text);
  }

  Sent update(const ExternalRef& remote, const Ticket& t) override {
    nlohmann::json fields = {
        {"summary", cap_text(one_line(t.title.empty() ? t.key : t.title), kMaxSummary)}};
    add_mapped_fields(t, fields);
    auto r = call("PUT", "/issue/" + issue_path(remote), nlohmann::json{{"fields", fields}});
    if (auto f = check(r, "update " + remote.key)) return *f;
    return sent();
  }

  Sent transition(const ExternalRef& remote, const Ticket&, RemoteState state,
                  const std::string& note) override {
    const std::string what = std::string(state == RemoteState::kResolved ? "resolve"
                                         : state == RemoteState::kClosed ? "close"
                                                                         : "reopen") +
                             " " + remote.key;
    auto issue = call("GET", "/issue/" + issue_path(remote) + "?fields=status", std::nullopt);
    if (auto f = check(issue, what)) return *f;
    auto ij = json_body(*issue, prefix(what));
    if (!ij.ok()) return ij.failure();
    const nlohmann::json& status = member(member(ij.value(), "fields"), "status");
    const std::string current = text_of(status, "name");
    const bool done = text_of(member(status, "statusCategory"), "key") == "done";

    auto tr = call("GET", "/issue/" + issue_path(remote) + "/transitions?expand=transitions.fields",
                   std::nullopt);
    if (auto f = check(tr, what)) return *f;
    auto tj = json_body(*tr, prefix(what));
    if (!tj.ok()) return tj.failure();
    const std::vector<Transition> available = transitions_of(tj.value());

    auto chosen = choose(state, done, current, available, what);
    if (!chosen.ok()) return chosen.failure();
    if (chosen.value()) {
      const Transition& t = *chosen.value();
      nlohmann::json req = {{"transition", {{"id", t.id}}}};
      // Only fields on the transition's screen may be sent (any other gets a
      // 400); the resolution is the one a "done" transition may require.
      if (t.has_resolution && t.to_category == "done") {
        auto res = resolution_for(t, what);
        if (!res.ok()) return res.failure();
        req["fields"] = {{"resolution", {{"name", res.value()}}}};
      }
      auto r = call("POST", "/issue/" + issue_path(remote) + "/transitions", req);
      if (auto f = check(r, what + " (transition \"" + t.name + "\")")) return *f;
    }
    // The note goes after the transition, so that a retry after a failed
    // comment finds the issue moved already and only adds the note.
    if (!note.empty()) return add_comment(remote, note);
    return sent();
  }

  bool polls() const override { return true; }

  // Issues of the configured projects that reached the "done" category since
  // `since`. A label prefix cannot be searched in JQL, so the result may
  // hold issues ticketd never filed; the worker knows its own by remote id.
  Outcome<std::vector<RemoteChange>> poll(TimePoint since) override {
    std::set<std::string> projects = {project_};
    for (const auto& [team, key] : team_projects_) projects.insert(key);
    std::string list;
    for (const std::string& p : projects) list += (list.empty() ? "" : ", ") + jql_quote(p);
    // An unquoted number is an instant (milliseconds since the epoch); a
    // quoted "yyyy/MM/dd HH:mm" would be read in the Jira user's time zone.
    const std::string jql = "project in (" + list + ") AND statusCategory = Done AND updated >= " +
                            std::to_string(to_unix_ms(since)) + " ORDER BY updated ASC";
    std::vector<RemoteChange> out;
    std::string token;
    int start_at = 0;
    for (int page = 0; page < kMaxPollPages; ++page) {
      auto r = search(jql, "status,resolution,updated", kPollPageSize, token, start_at, "poll");
      if (!r.ok()) return r.failure();
      const nlohmann::json& issues = member(r.value(), "issues");
      for (const auto& issue : issues) {
        const nlohmann::json& fields = member(issue, "fields");
        RemoteChange c;
        c.remote_id = text_of(issue, "id");
        if (c.remote_id.empty()) continue;
        c.state = RemoteState::kResolved;
        c.note = text_of(member(fields, "resolution"), "name");
        if (auto t = parse_jira_time(text_of(fields, "updated"))) c.updated = *t;
        out.push_back(std::move(c));
      }
      if (cloud_) {
        token = text_of(r.value(), "nextPageToken");
        const nlohmann::json& last = member(r.value(), "isLast");
        if (token.empty() || (last.is_boolean() && last.get<bool>())) break;
      } else {
        start_at += static_cast<int>(issues.size());
        const nlohmann::json& total = member(r.value(), "total");
        if (issues.empty() || !total.is_number() || start_at >= total.get<int64_t>()) break;
      }
    }
    return out;
  }

  // A Jira webhook (jira:issue_updated): a status change into the "done"
  // category is a resolve; a status change out of it that also clears the
  // resolution (what a reopen transition does) is a reopen. Other updates
  // (comments, ticketd's own edits) report nothing.
  Result<std::vector<RemoteChange>> parse_webhook(std::string_view body) override {
    auto j = nlohmann::json::parse(body, nullptr, false);
    if (!j.is_object())
      return Status::invalid_argument("jira webhook: the body is not a JSON object");
    const nlohmann::json& issue = member(j, "issue");
    const std::string id = text_of(issue, "id");
    if (id.empty()) return Status::invalid_argument("jira webhook: no issue.id");
    const std::string event = text_of(j, "webhookEvent");
    std::vector<RemoteChange> out;
    if (!event.empty() && event != "jira:issue_updated") return out;
    const nlohmann::json& fields = member(issue, "fields");
    const bool done = text_of(member(member(fields, "status"), "statusCategory"), "key") == "done";
    bool status_changed = false, resolution_cleared = false;
    const nlohmann::json& items = member(member(j, "changelog"), "items");
    for (const auto& item : items) {
      const std::string field = text_of(item, "field");
      if (field == "status") status_changed = true;
      if (field == "resolution" && !text_of(item, "fromString").empty() &&
          text_of(item, "toString").empty())
        resolution_cleared = true;
    }
    // Without a changelog (an automation rule's custom body) only the
    // current state is known: done reads as resolved, anything else as
    // nothing, since it cannot tell a reopen from an ordinary edit.
    const bool has_changelog = items.is_array();
    RemoteChange c;
    c.remote_id = id;
    c.by = text_of(member(j, "user"), "displayName");
    const nlohmann::json& ts = member(j, "timestamp");
    if (ts.is_number_integer()) c.updated = from_unix_ms(ts.get<int64_t>());
    if (done && (status_changed || !has_changelog)) {
      c.state = RemoteState::kResolved;
      c.note = text_of(member(fields, "resolution"), "name");
      out.push_back(std::move(c));
    } else if (!done && status_changed && resolution_cleared) {
      c.state = RemoteState::kReopened;
      out.push_back(std::move(c));
    }
    return out;
  }

 private:
  std::string prefix(const std::string& what) const { return "jira " + config_.name + " " + what; }

  // map:{table}{value}, or `fallback`.
  std::string mapped(const std::string& table, const std::string& value,
                     const std::string& fallback) const {
    auto t = config_.map.find(table);
    if (t == config_.map.end()) return fallback;
    auto it = t->second.find(value);
    return it == t->second.end() ? fallback : it->second;
  }

  ExternalRef ref_of(const std::string& id, const std::string& key) const {
    ExternalRef ref;
    ref.backend = config_.name;
    ref.id = id;
    ref.key = key;
    if (!key.empty()) ref.url = join_url(config_.url, "/browse/" + key);
    return ref;
  }

  // The id is stable across project moves, where the key changes.
  static std::string issue_path(const ExternalRef& remote) {
    return url_encode(remote.id.empty() ? remote.key : remote.id);
  }

  nlohmann::json body(const std::string& text) const {
    std::string capped = cap_text(text, kMaxText);
    if (cloud_) return adf(capped);
    return capped;
  }

  std::string issue_type_for(const Ticket& t) const {
    return mapped("type", ticket_type_name(t.type), issue_type_);
  }

  // Priority (map.priority, or Jira's default scheme) and the team's
  // component (map.team); unmapped teams leave components alone.
  void add_mapped_fields(const Ticket& t, nlohmann::json& fields) const {
    if (set_priority_) {
      static const std::array<const char*, 5> kDefault = {"Highest", "High", "Medium", "Low",
                                                          "Lowest"};
      const std::string p = priority_name(t.priority);
      const std::string name = mapped("priority", p, kDefault[static_cast<int>(t.priority) - 1]);
      if (!name.empty()) fields["priority"] = {{"name", name}};
    }
    const std::string component = mapped("team", t.team, "");
    if (!component.empty()) fields["components"] = nlohmann::json::array({{{"name", component}}});
  }

  static std::string description_of(const Ticket& t) {
    std::string d = t.description;
    if (!d.empty()) d += "\n\n";
    d += "ticketd ticket " + t.key + " (" + priority_name(t.priority);
    if (!t.team.empty()) d += ", team " + t.team;
    if (!t.rule.empty()) d += ", rule " + t.rule;
    return d + ")";
  }

  Sent add_comment(const ExternalRef& remote, const std::string& text) {
    nlohmann::json req = {{"body", body(text)}};
    // In a Jira Service Management project a comment is a reply to the
    // customer unless marked internal; elsewhere the property is inert.
    if (internal_comments_)
      req["properties"] =
          nlohmann::json::array({{{"key", "sd.public.comment"}, {"value", {{"internal", true}}}}});
    auto r = call("POST", "/issue/" + issue_path(remote) + "/comment", req);
    if (auto f = check(r, "comment on " + remote.key)) return *f;
    return sent();
  }

  // One page of a JQL search: Cloud's /search/jql (token paging; the old
  // /search is gone there) or Server's /search (startAt paging).
  Outcome<nlohmann::json> search(const std::string& jql, const std::string& fields, int max,
                                 const std::string& token, int start_at, const std::string& what) {
    std::string path = cloud_ ? "/search/jql" : "/search";
    path += "?jql=" + url_encode(jql) + "&fields=" + url_encode(fields) +
            "&maxResults=" + std::to_string(max);
    if (cloud_ && !token.empty()) path += "&nextPageToken=" + url_encode(token);
    if (!cloud_ && start_at > 0) path += "&startAt=" + std::to_string(start_at);
    auto r = call("GET", path, std::nullopt);
    if (auto f = check(r, what)) return *f;
    auto j = json_body(*r, prefix(what));
    if (!j.ok()) return j.failure();
    if (!member(j.value(), "issues").is_array())
      return rejected(prefix(what) + ": the answer has no issues list: " + r->body.substr(0, 200));
    return j;
  }

  Result<HttpResponse> call(const std::string& method, const std::string& path,
                            const std::optional<nlohmann::json>& body) {
    HttpRequest req;
    req.method = method;
    req.url = join_url(config_.url, api_path_ + path);
    req.header("Authorization", auth_);
    req.header("Accept", "application/json");
    if (body) {
      req.header("Content-Type", "application/json");
      req.body = body->dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    }
    return http_.send(req);
  }

  // failure_of() with Jira's error text made readable, and the login
  // failures Jira Server reports in headers rather than in the status.
  std::optional<Failure> check(const Result<HttpResponse>& r, const std::string& what) const {
    std::optional<Failure> f = failure_of(r, prefix(what));
    if (!r) return f;
    const std::string login = r->header("x-seraph-loginreason");
    const bool login_failed = login.find("AUTHENTICATED_FAILED") != std::string::npos ||
                              login.find("AUTHENTICATION_DENIED") != std::string::npos;
    if (!f && !login_failed) return std::nullopt;
    if (!f) {
      f = Failure{Failure::Kind::kAuth, prefix(what) + ": HTTP " + std::to_string(r->status),
                  std::nullopt, r->status};
    }
    if (login_failed) f->kind = Failure::Kind::kAuth;
    if (const std::string detail = jira_error_text(r->body); !detail.empty())
      f->message = prefix(what) + ": HTTP " + std::to_string(r->status) + ": " + detail;
    if (f->kind != Failure::Kind::kAuth) return f;
    // Server / DC demands a CAPTCHA after repeated failed logins and then
    // refuses even the right password until someone logs in by browser.
    const std::string denied = r->header("x-authentication-denied-reason");
    if (r->status == 401 || login_failed || !denied.empty()) {
      f->message += " (" + auth_hint_;
      if (!denied.empty()) f->message += "; login denied: " + denied.substr(0, 100);
      f->message += ")";
    } else {
      f->message +=
          " (the account lacks a permission in the project: Browse Projects, Create Issues, "
          "Edit Issues, Transition Issues or Add Comments)";
    }
    return f;
  }

  static std::vector<Transition> transitions_of(const nlohmann::json& j) {
    std::vector<Transition> out;
    for (const auto& e : member(j, "transitions")) {
      Transition t;
      t.id = text_of(e, "id");
      t.name = text_of(e, "name");
      const nlohmann::json& to = member(e, "to");
      t.to_name = text_of(to, "name");
      t.to_category = text_of(member(to, "statusCategory"), "key");
      const nlohmann::json& res = member(member(e, "fields"), "resolution");
      t.has_resolution = res.is_object();
      for (const auto& v : member(res, "allowedValues")) {
        if (const std::string n = text_of(v, "name"); !n.empty()) t.resolutions.push_back(n);
      }
      if (!t.id.empty()) out.push_back(std::move(t));
    }
    return out;
  }

  // The transition to take, none when the issue is there already, or a
  // Failure naming what is available.
  Outcome<std::optional<Transition>> choose(RemoteState state, bool done,
                                            const std::string& current,
                                            const std::vector<Transition>& available,
                                            const std::string& what) const {
    using Pick = std::optional<Transition>;
    const std::string& configured = state == RemoteState::kResolved ? resolve_transition_
                                    : state == RemoteState::kClosed ? close_transition_
                                                                    : reopen_transition_;
    auto named = [&](const std::string& name) -> Pick {
      for (const Transition& t : available) {
        if (lower(t.name) == lower(name)) return t;
      }
      return std::nullopt;
    };
    if (state == RemoteState::kResolved && done) return Pick();
    if (state == RemoteState::kReopened && !done) return Pick();
    if (state == RemoteState::kClosed && done) {
      // Done already; a configured close transition still moves a resolved
      // issue on to its closed status, when the workflow offers it here.
      if (configured.empty()) return Pick();
      return named(configured);
    }
    if (!configured.empty()) {
      if (Pick t = named(configured)) return t;
      std::string names;
      for (const Transition& t : available) names += (names.empty() ? "" : ", ") + t.name;
      return rejected(prefix(what) + ": no transition \"" + configured + "\" from status \"" +
                      current + "\" (available: " + (names.empty() ? "none" : names) + ")");
    }
    // Unconfigured: the best-named transition into the wanted category, so
    // that "Resolve" wins over "Won't Do" when both lead to done.
    const bool want_done = state != RemoteState::kReopened;
    const std::vector<std::string> words =
        state == RemoteState::kResolved
            ? std::vector<std::string>{"resolve", "done", "fix", "close"}
        : state == RemoteState::kClosed ? std::vector<std::string>{"close", "done", "resolve"}
                                        : std::vector<std::string>{"reopen", "open", "to do"};
    const Transition* best = nullptr;
    size_t best_rank = words.size() + 1;
    for (const Transition& t : available) {
      if ((t.to_category == "done") != want_done || t.to_category.empty()) continue;
      size_t rank = words.size();
      for (size_t i = 0; i < words.size(); ++i) {
        if (contains_ci(t.name, words[i]) || contains_ci(t.to_name, words[i])) {
          rank = i;
          break;
        }
      }
      if (rank < best_rank) {
        best = &t;
        best_rank = rank;
      }
    }
    if (best) return Pick(*best);
    return rejected(prefix(what) + ": status \"" + current + "\" offers no transition " +
                    (want_done ? "into" : "out of") +
                    " the done category (set resolve_transition / close_transition / "
                    "reopen_transition, and check the user's Transition Issues permission)");
  }

  Outcome<std::string> resolution_for(const Transition& t, const std::string& what) const {
    if (t.resolutions.empty()) return resolution_.empty() ? std::string("Done") : resolution_;
    const std::vector<std::string> wanted = resolution_.empty()
                                                ? std::vector<std::string>{"Done", "Fixed"}
                                                : std::vector<std::string>{resolution_};
    for (const std::string& w : wanted) {
      for (const std::string& r : t.resolutions) {
        if (lower(r) == lower(w)) return r;
      }
    }
    if (resolution_.empty()) return t.resolutions.front();
    std::string names;
    for (const std::string& r : t.resolutions) names += (names.empty() ? "" : ", ") + r;
    return rejected(prefix(what) + ": transition \"" + t.name + "\" does not offer resolution \"" +
                    resolution_ + "\" (offered: " + names + ")");
  }

  const BackendConfig config_;
  HttpClient& http_;
  bool cloud_ = true;
  std::string api_path_;
  std::string auth_, auth_hint_;
  std::string project_, issue_type_;
  std::map<std::string, std::string> team_projects_;
  std::vector<std::string> labels_;
  std::string resolve_transition_, close_transition_, reopen_transition_, resolution_;
  bool set_priority_ = true;
  bool internal_comments_ = true;
};

}  // namespace

Result<std::unique_ptr<Connector>> make_jira(const BackendConfig& config, HttpClient& http) {
  auto c = std::make_unique<Jira>(config, http);
  if (Status s = c->configure(); !s) return s;
  return std::unique_ptr<Connector>(std::move(c));
}

}  // namespace ticketd::connectors
