// kind: redmine — Redmine's REST API (/issues.json …), authenticated with a
// user's API key (X-Redmine-API-Key).
//
// ticketd's correlation key goes into an issue custom field (key_field_id)
// and is looked up with the cf_N filter. Redmine drops a filter it does not
// know, such as a custom field without "Used as a filter", and then lists
// every issue, so every hit is compared with the key before it is used.
// Redmine also ignores a status the workflow does not allow the user to set
// (the PUT still answers success), so every status change is read back.
// Sync back: a small JSON body (or the redmine_webhook plugin's) pushed to
// ticketd; Redmine itself sends no webhooks.
#include <algorithm>
#include <cctype>
#include <set>

#include "kinds.hpp"
#include "ticketd/core/text.hpp"

namespace ticketd::connectors {
namespace {

// subject is a 255-character column.
constexpr size_t kMaxSubject = 255;
constexpr size_t kMaxText = 32000;
constexpr int kSearchLimit = 100;

// A project id or identifier as Redmine takes it in a body: ids as numbers.
nlohmann::json project_value(const std::string& p) {
  if (all_digits(p)) return std::stoll(p);
  return p;
}

// Redmine's validation errors: 422 {"errors":["Subject cannot be blank", …]}.
std::string error_text(const std::string& body) {
  auto j = nlohmann::json::parse(body, nullptr, false);
  const nlohmann::json& errors = member(j, "errors");
  std::string out;
  if (errors.is_array()) {
    for (const auto& e : errors) {
      if (!e.is_string()) continue;
      out += (out.empty() ? "" : "; ") + e.get<std::string>();
    }
  }
  return cap_text(one_line(out), 300);
}

struct IssueStatus {
  int64_t id = 0;
  std::string name;
  bool is_closed = false;
};

class Redmine final : public Connector {
 public:
  Redmine(const BackendConfig& c, HttpClient& http) : config_(c), http_(http) {}

  Status configure() {
    Settings s(config_);
    if (config_.url.empty()) s.fail("url", "required for kind redmine");
    api_key_ = s.secret("api_key");
    project_ = s.required("project");
    tracker_id_ = s.integer("tracker_id", 0);
    key_field_id_ = s.integer("key_field_id", 0);
    if (key_field_id_ <= 0)
      s.fail("key_field_id",
             "required for kind redmine: the id of the issue custom field "
             "that holds ticketd's key");
    resolved_status_ = s.str("resolved_status", "Resolved");
    closed_status_ = s.str("closed_status", "Closed");
    reopened_status_ = s.str("reopened_status", "In Progress");
    for (const auto& [key, v] : {std::pair{"resolved_status", &resolved_status_},
                                 std::pair{"closed_status", &closed_status_},
                                 std::pair{"reopened_status", &reopened_status_}}) {
      if (v->empty()) s.fail(key, "expected a status name or id");
    }
    private_notes_ = s.boolean("private_notes", true);
    for (const char* table : {"priority", "category"}) {
      auto m = config_.map.find(table);
      if (m == config_.map.end()) continue;
      for (const auto& [k, v] : m->second) {
        if (!v.empty() && !all_digits(v))
          s.fail(std::string("map.") + table,
                 k + ": expected a Redmine " + table + " id (a number), not \"" + v + "\"");
      }
    }
    projects_.push_back(project_);
    if (auto m = config_.map.find("team"); m != config_.map.end()) {
      for (const auto& [team, p] : m->second) {
        if (!p.empty() && std::find(projects_.begin(), projects_.end(), p) == projects_.end())
          projects_.push_back(p);
      }
    }
    return s.finish();
  }

  // One search per project ticketd files into: a cf_N filter needs the
  // field to be enabled for the project it searches.
  Outcome<std::optional<ExternalRef>> find(const std::string& corr) override {
    const std::string cf = "cf_" + std::to_string(key_field_id_);
    for (const std::string& project : projects_) {
      const std::string what = "search for " + corr + " in project " + project;
      auto r = call("GET",
                    "/issues.json?project_id=" + url_encode(project) + "&status_id=*&" + cf + "=" +
                        url_encode(corr) + "&limit=" + std::to_string(kSearchLimit) + "&sort=id",
                    std::nullopt);
      // A project that does not exist (yet) or is closed to us holds nothing.
      if (r && r->status == 404) continue;
      if (auto f = check(r, what)) return *f;
      auto j = json_body(*r, prefix(what));
      if (!j.ok()) return j.failure();
      const nlohmann::json& issues = member(j.value(), "issues");
      if (!issues.is_array())
        return rejected(prefix(what) +
                        ": the answer has no issues list: " + r->body.substr(0, 200));
      size_t others = 0;
      for (const auto& issue : issues) {
        if (key_of(issue) == corr) {
          const std::string id = text_of(issue, "id");
          if (all_digits(id)) return std::optional<ExternalRef>(ref_of(id));
        }
        ++others;
      }
      // Hits that do not carry the key mean the filter was dropped; when
      // they fill the page, the issue may be on a later one.
      const nlohmann::json& total = member(j.value(), "total_count");
      if (others > 0 && total.is_number_integer() &&
          total.get<int64_t>() > static_cast<int64_t>(issues.size())) {
        return rejected(prefix(what) + ": Redmine ignored the " + cf +
                        " filter (the answer lists issues without the key); enable \"Used as a "
                        "filter\" on custom field " +
                        std::to_string(key_field_id_) + " and make it available in project " +
                        project);
      }
    }
    return std::optional<ExternalRef>();
  }

  Outcome<ExternalRef> create(const Ticket& t, const std::string& corr) override {
    nlohmann::json issue = {
        {"project_id", project_value(project_of(t).value_or(project_))},
        {"subject", subject_of(t)},
        {"description", cap_text(description_of(t), kMaxText)},
        {"custom_fields", nlohmann::json::array({{{"id", key_field_id_}, {"value", corr}}})},
    };
    if (tracker_id_ > 0) issue["tracker_id"] = tracker_id_;
    add_mapped_ids(t, issue);
    const std::string what = "create issue";
    auto r = call("POST", "/issues.json", nlohmann::json{{"issue", issue}});
    if (auto f = check(r, what)) return *f;
    auto j = json_body(*r, prefix(what));
    if (!j.ok()) return j.failure();
    const nlohmann::json& created = member(j.value(), "issue");
    const std::string id = text_of(created, "id");
    if (!all_digits(id))
      return rejected(prefix(what) + ": the answer has no issue id: " + r->body.substr(0, 200));
    return ref_of(id);
  }

  Sent comment(const ExternalRef& remote, const Ticket&, const std::string& text) override {
    return put(remote, {{"notes", cap_text(text, kMaxText)}, {"private_notes", private_notes_}},
               "comment on #" + remote.id);
  }

  Sent update(const ExternalRef& remote, const Ticket& t) override {
    nlohmann::json issue = {{"subject", subject_of(t)}};
    // An unmapped team leaves the project alone, so that a move made in
    // Redmine stands.
    if (auto p = project_of(t)) issue["project_id"] = project_value(*p);
    add_mapped_ids(t, issue);
    return put(remote, issue, "update #" + remote.id);
  }

  Sent transition(const ExternalRef& remote, const Ticket& t, RemoteState state,
                  const std::string& note) override {
    const std::string what = std::string(state == RemoteState::kResolved ? "resolve"
                                         : state == RemoteState::kClosed ? "close"
                                                                         : "reopen") +
                             " #" + remote.id;
    if (auto f = load_statuses(what)) return *f;
    auto resolved = status_named(resolved_status_, "resolved_status", what);
    if (!resolved.ok()) return resolved.failure();
    auto closed = status_named(closed_status_, "closed_status", what);
    if (!closed.ok()) return closed.failure();
    auto reopened = status_named(reopened_status_, "reopened_status", what);
    if (!reopened.ok()) return reopened.failure();

    auto current = status_of(remote, what);
    if (!current.ok()) return current.failure();
    const int64_t now = current.value();
    const bool now_resolved = now == resolved.value().id;
    const bool now_closed = !now_resolved && is_closed(now);  // Closed, Rejected, …
    IssueStatus target;
    std::string text;
    switch (state) {
      case RemoteState::kResolved:
        if (now_resolved || now_closed) return sent();
        target = resolved.value();
        text = note.empty() ? "Resolved in ticketd (" + t.key + ")" : note;
        break;
      case RemoteState::kClosed:
        if (now_closed) return sent();
        target = closed.value();
        text = note.empty() ? "Closed in ticketd (" + t.key + ")" : note;
        break;
      case RemoteState::kReopened:
        if (!now_resolved && !now_closed) return sent();
        target = reopened.value();
        text = note.empty() ? "Reopened in ticketd (" + t.key + ")" : note;
        break;
    }
    // Status and note in one journal entry: a retry after a lost answer
    // finds the status set and adds no second note.
    if (Sent s = put(remote,
                     {{"status_id", target.id},
                      {"notes", cap_text(text, kMaxText)},
                      {"private_notes", private_notes_}},
                     what);
        !s.ok()) {
      return s;
    }
    auto after = status_of(remote, what + " (reading it back)");
    if (!after.ok()) return after.failure();
    if (after.value() != target.id) {
      return rejected(prefix(what) + ": Redmine did not apply status \"" + target.name + "\" (" +
                      std::to_string(target.id) + "); the issue stays \"" +
                      status_name(after.value()) +
                      "\". The workflow (Administration → Workflow) does not let the API user's "
                      "role make this change for the issue's tracker; the note was added");
    }
    return sent();
  }

  // The body pushed to POST /api/v1/backends/{name}/webhook: one object or
  // a list, each {"id": 123, "status": …, "by"?, "note"?, "updated"?}, where
  // status is "resolved", "closed" or "reopened", or a Redmine status (name,
  // id, or {"id","name"}) matched against resolved_status, closed_status and
  // reopened_status. The redmine_webhook plugin's body ({"payload":{"issue":
  // {…},"journal":{…}}}) is read too. Any other status reports nothing.
  Result<std::vector<RemoteChange>> parse_webhook(std::string_view body) override {
    auto j = nlohmann::json::parse(body, nullptr, false);
    if (!j.is_object() && !j.is_array())
      return Status::invalid_argument("redmine webhook: the body is not a JSON object or list");
    const nlohmann::json records = j.is_array() ? j : nlohmann::json::array({j});
    std::vector<RemoteChange> out;
    for (const auto& rec : records) {
      RemoteChange c;
      nlohmann::json status;
      const nlohmann::json& payload = member(rec, "payload");
      if (payload.is_object()) {
        const nlohmann::json& issue = member(payload, "issue");
        const nlohmann::json& journal = member(payload, "journal");
        c.remote_id = text_of(issue, "id");
        status = member(issue, "status");
        c.note = text_of(journal, "notes");
        const nlohmann::json& author = member(journal, "author");
        c.by = text_of(author, "login");
        if (auto u = parse_rfc3339(text_of(issue, "updated_on"))) c.updated = *u;
      } else {
        c.remote_id = text_of(rec, "id");
        status = member(rec, "status");
        c.by = text_of(rec, "by");
        c.note = text_of(rec, "note");
        if (auto u = parse_rfc3339(text_of(rec, "updated"))) c.updated = *u;
      }
      if (!all_digits(c.remote_id) || status.is_null())
        return Status::invalid_argument(
            "redmine webhook: each record needs \"id\" and \"status\" (see the redmine backend "
            "page)");
      auto s = state_of_status(status);
      if (!s) continue;
      c.state = *s;
      c.note = cap_text(c.note, 2000);
      out.push_back(std::move(c));
    }
    return out;
  }

 private:
  std::string prefix(const std::string& what) const {
    return "redmine " + config_.name + " " + what;
  }

  std::optional<std::string> mapped(const std::string& table, const std::string& value) const {
    auto t = config_.map.find(table);
    if (t == config_.map.end()) return std::nullopt;
    auto it = t->second.find(value);
    if (it == t->second.end()) return std::nullopt;
    return it->second;
  }

  // The project map.team names for the ticket's team, if any.
  std::optional<std::string> project_of(const Ticket& t) const {
    auto p = mapped("team", t.team);
    if (p && p->empty()) return std::nullopt;
    return p;
  }

  // priority_id and category_id when mapped: ids differ between instances
  // (and categories between projects), so there are no defaults; Redmine
  // gives an issue without one its default priority.
  void add_mapped_ids(const Ticket& t, nlohmann::json& issue) const {
    if (auto p = mapped("priority", priority_name(t.priority)); p && all_digits(*p))
      issue["priority_id"] = std::stoll(*p);
    if (auto c = mapped("category", t.category); c && all_digits(*c))
      issue["category_id"] = std::stoll(*c);
  }

  std::string key_of(const nlohmann::json& issue) const {
    const nlohmann::json& fields = member(issue, "custom_fields");
    if (!fields.is_array()) return "";
    for (const auto& f : fields) {
      const nlohmann::json& id = member(f, "id");
      if (id.is_number_integer() && id.get<int64_t>() == key_field_id_) return text_of(f, "value");
    }
    return "";
  }

  static std::string subject_of(const Ticket& t) {
    return cap_text(one_line(blank(t.title) ? t.key : t.title), kMaxSubject);
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
    ref.key = "#" + id;
    ref.url = join_url(config_.url, "/issues/" + id);
    return ref;
  }

  // The status list, read once: names to ids for the *_status settings, and
  // which statuses count as closed.
  std::optional<Failure> load_statuses(const std::string& what) {
    if (!statuses_.empty()) return std::nullopt;
    auto r = call("GET", "/issue_statuses.json", std::nullopt);
    if (auto f = check(r, what + " (issue statuses)")) return f;
    auto j = json_body(*r, prefix(what));
    if (!j.ok()) return j.failure();
    const nlohmann::json& list = member(j.value(), "issue_statuses");
    std::vector<IssueStatus> out;
    if (list.is_array()) {
      for (const auto& s : list) {
        const nlohmann::json& id = member(s, "id");
        if (!id.is_number_integer()) continue;
        const nlohmann::json& closed = member(s, "is_closed");
        out.push_back(
            {id.get<int64_t>(), text_of(s, "name"), closed.is_boolean() && closed.get<bool>()});
      }
    }
    if (out.empty())
      return rejected(prefix(what) +
                      ": /issue_statuses.json lists no statuses: " + r->body.substr(0, 200));
    statuses_ = std::move(out);
    return std::nullopt;
  }

  // A configured status (an id or a name, case ignored).
  Outcome<IssueStatus> status_named(const std::string& v, const std::string& key,
                                    const std::string& what) const {
    for (const IssueStatus& s : statuses_) {
      if ((all_digits(v) && std::to_string(s.id) == v) || lower(s.name) == lower(v)) return s;
    }
    std::string names;
    for (const IssueStatus& s : statuses_)
      names += (names.empty() ? "" : ", ") + s.name + " (" + std::to_string(s.id) + ")";
    return rejected(prefix(what) + ": " + key + " \"" + v + "\" is not an issue status (" + names +
                    ")");
  }

  bool is_closed(int64_t id) const {
    for (const IssueStatus& s : statuses_) {
      if (s.id == id) return s.is_closed;
    }
    return false;
  }

  std::string status_name(int64_t id) const {
    for (const IssueStatus& s : statuses_) {
      if (s.id == id) return s.name;
    }
    return std::to_string(id);
  }

  // resolved / closed / reopened for a status in a webhook body; no network
  // (the statuses may not be loaded, and this runs on the API's thread).
  std::optional<RemoteState> state_of_status(const nlohmann::json& status) const {
    std::string id, name;
    if (status.is_object()) {
      id = text_of(status, "id");
      name = text_of(status, "name");
    } else if (status.is_number_integer()) {
      id = status.dump();
    } else if (status.is_string()) {
      (all_digits(status.get<std::string>()) ? id : name) = status.get<std::string>();
    }
    const std::string n = lower(name);
    if (n == "resolved" || n == "closed" || n == "reopened") {
      // ticketd's own words; a Redmine status named so means the same.
      return n == "resolved" ? RemoteState::kResolved
             : n == "closed" ? RemoteState::kClosed
                             : RemoteState::kReopened;
    }
    auto is = [&](const std::string& configured) {
      return all_digits(configured) ? configured == id : (!n.empty() && lower(configured) == n);
    };
    if (is(resolved_status_)) return RemoteState::kResolved;
    if (is(closed_status_)) return RemoteState::kClosed;
    if (is(reopened_status_)) return RemoteState::kReopened;
    return std::nullopt;
  }

  Outcome<int64_t> status_of(const ExternalRef& remote, const std::string& what) {
    auto r = call("GET", "/issues/" + url_encode(remote.id) + ".json", std::nullopt);
    if (auto f = check(r, what)) return *f;
    auto j = json_body(*r, prefix(what));
    if (!j.ok()) return j.failure();
    const nlohmann::json& id = member(member(member(j.value(), "issue"), "status"), "id");
    if (!id.is_number_integer())
      return rejected(prefix(what) +
                      ": the answer has no issue.status.id: " + r->body.substr(0, 200));
    return id.get<int64_t>();
  }

  // PUT answers 204 (200 with an empty body before Redmine 4).
  Sent put(const ExternalRef& remote, const nlohmann::json& issue, const std::string& what) {
    auto r =
        call("PUT", "/issues/" + url_encode(remote.id) + ".json", nlohmann::json{{"issue", issue}});
    if (auto f = check(r, what)) return *f;
    return sent();
  }

  Result<HttpResponse> call(const std::string& method, const std::string& path,
                            const std::optional<nlohmann::json>& body) {
    HttpRequest req;
    req.method = method;
    req.url = join_url(config_.url, path);
    req.header("X-Redmine-API-Key", api_key_);
    req.header("Accept", "application/json");
    if (body) {
      req.header("Content-Type", "application/json");
      req.body = body->dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    }
    return http_.send(req);
  }

  // failure_of() with Redmine's error list, and what 401 / 403 mean there
  // (both come with an empty body).
  std::optional<Failure> check(const Result<HttpResponse>& r, const std::string& what) const {
    std::optional<Failure> f = failure_of(r, prefix(what));
    if (!f || !r) return f;
    if (const std::string e = error_text(r->body); !e.empty())
      f->message = prefix(what) + ": HTTP " + std::to_string(r->status) + ": " + e;
    if (r->status == 401) {
      f->message +=
          " (check api_key_file / api_key_env, that the key's user is active, and that the REST "
          "API is enabled: Administration → Settings → API)";
    } else if (r->status == 403) {
      f->message +=
          " (the API key's user lacks a permission in this project: view, add or edit "
          "issues, add notes)";
    }
    return f;
  }

  const BackendConfig config_;
  HttpClient& http_;
  std::string api_key_;
  std::string project_;
  std::vector<std::string> projects_;  // project_, then every map.team project
  int64_t tracker_id_ = 0;
  int64_t key_field_id_ = 0;
  std::string resolved_status_, closed_status_, reopened_status_;
  bool private_notes_ = true;
  std::vector<IssueStatus> statuses_;  // loaded at the first transition
};

}  // namespace

Result<std::unique_ptr<Connector>> make_redmine(const BackendConfig& config, HttpClient& http) {
  auto c = std::make_unique<Redmine>(config, http);
  if (Status s = c->configure(); !s) return s;
  return std::unique_ptr<Connector>(std::move(c));
}

}  // namespace ticketd::connectors
