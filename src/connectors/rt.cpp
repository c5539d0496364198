// kind: rt — Request Tracker 5 through its REST2 API (/REST/2.0/, built
// into RT 5). The correlation key is kept in a ticket custom field
// (`key_field`, default TicketdKey) that must be applied to every queue
// tickets are filed in; create() checks that RT stored it, because RT drops
// the value of a field not applied to the queue without a word. A PUT
// answers 200 with a list of messages even when RT refused part of it, so
// update() and transition() read the ticket back and report what did not
// take. RT has no outbound webhooks of its own: a Scrip posts status
// changes to ticketd (docs/backends/rt.md); no polling.
#include <algorithm>
#include <cctype>

#include "kinds.hpp"
#include "ticketd/core/text.hpp"

namespace ticketd::connectors {
namespace {

using nlohmann::json;

constexpr size_t kSubjectMax = 200;  // RT's Tickets.Subject is varchar(200)
constexpr const char* kDefaultPriority[] = {"90", "70", "50", "30", "10"};  // P1..P5

// A TicketSQL string literal.
std::string sql_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'' || c == '\\') out += '\\';
    out += c;
  }
  return out + "'";
}

// RT gives ids as strings in collections and as numbers in single records.
std::string id_text(const json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number_integer()) return std::to_string(v.get<int64_t>());
  return "";
}

std::string str_of(const json& j, const char* key) {
  const json& v = member(j, key);
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number()) return v.dump();
  return "";
}

bool iequal(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

// The "messages" a PUT answers with, joined for a Failure.
std::string joined_messages(const HttpResponse& r) {
  auto j = json::parse(r.body, nullptr, false);
  std::string out;
  if (!j.is_array()) return out;
  for (const auto& m : j) {
    if (!m.is_string()) continue;
    out += (out.empty() ? "" : "; ") + m.get<std::string>();
  }
  return out;
}

class Rt final : public Connector {
 public:
  Rt(const BackendConfig& c, HttpClient& http) : config_(c), http_(http) {}

  Status configure() {
    Settings s(config_);
    if (config_.url.empty()) s.fail("url", "required for kind rt");
    queue_ = s.str("queue", "General");
    if (queue_.empty()) s.fail("queue", "must not be empty");
    key_field_ = s.str("key_field", "TicketdKey");
    if (key_field_.empty() || key_field_.find_first_of("{}'\"\\") != std::string::npos)
      s.fail("key_field", "expected a custom field name without braces, quotes or backslashes");
    resolved_status_ = s.str("resolved_status", "resolved");
    closed_status_ = s.str("closed_status", resolved_status_);
    reopened_status_ = s.str("reopened_status", "open");
    owner_from_assignee_ = s.boolean("owner_from_assignee", false);
    const std::string token = s.secret("token", false);
    const std::string user = s.str("user");
    const std::string password = s.secret("password", false);
    if (!token.empty()) {
      if (!user.empty()) s.fail("user", "set either token_file/token_env or user with a password");
      auth_ = "token " + token;
    } else if (!user.empty() && !password.empty()) {
      auth_ = basic_auth(user, password);
    } else if (!user.empty()) {
      s.fail("password", "set password_file or password_env (or use token_file/token_env)");
    } else {
      s.fail("token", "set token_file or token_env, or user with password_file or password_env");
    }
    for (int p = 1; p <= 5; ++p) {
      const std::string name = "P" + std::to_string(p);
      const std::string v = s.mapped("priority", name, kDefaultPriority[p - 1]);
      if (v.empty() || v.size() > 9 ||
          !std::all_of(v.begin(), v.end(), [](unsigned char c) { return std::isdigit(c); })) {
        s.fail("map.priority." + name, "expected a number (RT priorities are numbers, e.g. 0-99)");
        continue;
      }
      priority_[p - 1] = std::stoi(v);
    }
    if (auto st = config_.map.find("status"); st != config_.map.end()) {
      for (const auto& [from, to] : st->second) {
        if (to != "resolved" && to != "closed" && to != "reopened" && to != "ignore")
          s.fail("map.status." + from, "expected resolved, closed, reopened or ignore");
      }
    }
    return s.finish();
  }

  Outcome<std::optional<ExternalRef>> find(const std::string& corr) override {
    const std::string query = "CF.{" + key_field_ + "} = " + sql_quote(corr);
    auto r =
        http_.send(request("GET", "/tickets?query=" + url_encode(query) +
                                      "&fields=CustomFields&orderby=id&order=ASC&per_page=100"));
    if (auto f = failure_of(r, what("search by " + key_field_))) return *f;
    auto j = json_body(*r, what("search"));
    if (!j) return j.failure();
    const json& items = member(j.value(), "items");
    if (!items.is_array()) return rejected(what("search") + ": the answer has no items list");
    for (const json& item : items) {
      const std::string id = id_text(member(item, "id"));
      if (id.empty()) continue;
      std::optional<bool> carries = carries_key(item, corr);
      if (!carries) {  // the hit came without its fields: read the ticket
        auto t = get_ticket(id);
        if (!t) return t.failure();
        carries = carries_key(t.value(), corr).value_or(false);
      }
      if (*carries) return std::optional<ExternalRef>(ref_for(id));
    }
    return std::optional<ExternalRef>();
  }

  Outcome<ExternalRef> create(const Ticket& t, const std::string& corr) override {
    const std::string queue = queue_for(t);
    json body = {
        {"Queue", queue},
        {"Subject", subject(t)},
        {"Content", content(t, corr)},
        {"ContentType", "text/plain"},
        {"Priority", priority_[static_cast<int>(t.priority) - 1]},
        {"CustomFields", {{key_field_, corr}}},
    };
    if (const std::string o = owner(t); !o.empty()) body["Owner"] = o;
    auto r = send_json("POST", "/ticket", body);
    if (auto f = failure_of(r, what("create in queue " + queue))) return *f;
    auto j = json_body(*r, what("create"));
    if (!j) return j.failure();
    const std::string id = id_text(member(j.value(), "id"));
    if (id.empty()) return rejected(what("create") + ": the answer has no ticket id: " + r->body);

    // RT drops the value of a custom field that is not applied to the queue
    // (or that this user may not see or set) and still answers 201.
    auto back = get_ticket(id);
    if (!back) return back.failure();  // a retry finds the ticket first, if the key was stored
    if (!carries_key(back.value(), corr).value_or(false)) {
      abandon(id, queue);
      return rejected(what("create") + ": ticket " + id + " was created in queue " + queue +
                      " but RT did not store custom field " + key_field_ +
                      " on it: apply the custom field " + key_field_ +
                      " (single free-form value, applies to tickets) to queue " + queue +
                      " and give this user SeeCustomField and ModifyCustomField on it; ticket " +
                      id + " was set to rejected");
    }
    return ref_for(id);
  }

  Sent comment(const ExternalRef& remote, const Ticket&, const std::string& text) override {
    if (text.empty()) return sent();
    return add_comment(remote.id, text);
  }

  Sent update(const ExternalRef& remote, const Ticket& t) override {
    const int priority = priority_[static_cast<int>(t.priority) - 1];
    json body = {{"Subject", subject(t)}, {"Priority", priority}};
    const std::string queue = settings_mapped("team", t.team);  // unmapped: stays
    if (!queue.empty()) body["Queue"] = queue;
    const std::string o = owner(t);
    if (!o.empty()) body["Owner"] = o;
    auto r = send_json("PUT", "/ticket/" + url_encode(remote.id), body);
    const std::string w = what("update ticket " + remote.id);
    if (auto f = failure_of(r, w)) return *f;
    // A 200 lists what RT did and what it refused, in the user's language:
    // read the ticket back instead of parsing sentences.
    auto back = get_ticket(remote.id);
    if (!back) return back.failure();
    const json& tk = back.value();
    std::vector<std::string> off;
    if (str_of(tk, "Priority") != std::to_string(priority))
      off.push_back("Priority " + str_of(tk, "Priority") + " (wanted " + std::to_string(priority) +
                    ")");
    if (!queue.empty()) {
      const json& q = member(tk, "Queue");
      if (!iequal(str_of(q, "Name"), queue) && id_text(member(q, "id")) != queue)
        off.push_back("Queue " + str_of(q, "Name") + " (wanted " + queue + ")");
    }
    if (!o.empty()) {
      const std::string now_owner = str_of(member(tk, "Owner"), "id");
      if (!iequal(now_owner, o)) off.push_back("Owner " + now_owner + " (wanted " + o + ")");
    }
    if (off.empty()) return sent();
    std::string msg = w + ": RT refused part of the change: ";
    for (size_t i = 0; i < off.size(); ++i) msg += (i ? ", " : "") + off[i];
    if (const std::string m = joined_messages(*r); !m.empty()) msg += "; RT said: " + m;
    return rejected(msg);
  }

  Sent transition(const ExternalRef& remote, const Ticket&, RemoteState state,
                  const std::string& note) override {
    const std::string target = state == RemoteState::kResolved ? resolved_status_
                               : state == RemoteState::kClosed ? closed_status_
                                                               : reopened_status_;
    auto before = get_ticket(remote.id);
    if (!before) return before.failure();
    if (str_of(before.value(), "Status") == target) return sent();
    if (!note.empty()) {
      if (Sent c = add_comment(remote.id, note); !c) return c;
    }
    auto r = send_json("PUT", "/ticket/" + url_encode(remote.id), {{"Status", target}});
    const std::string w = what("set ticket " + remote.id + " to " + target);
    if (auto f = failure_of(r, w)) return *f;
    auto after = get_ticket(remote.id);
    if (!after) return after.failure();
    const std::string now = str_of(after.value(), "Status");
    if (now == target) return sent();
    std::string msg = w + ": RT refused; the ticket is " + now;
    if (const std::string m = joined_messages(*r); !m.empty()) msg += "; RT said: " + m;
    return rejected(msg);
  }

  // {"id": "20", "status": "resolved", "by": "alice", "note": "…",
  //  "updated": "2026-12-01T10:00:00Z"}, or a list of those.
  Result<std::vector<RemoteChange>> parse_webhook(std::string_view body) override {
    auto j = json::parse(body, nullptr, false);
    if (j.is_discarded()) return Status::invalid_argument("rt webhook: the body is not JSON");
    if (j.is_object()) j = json::array({j});
    if (!j.is_array())
      return Status::invalid_argument("rt webhook: expected an object {\"id\", \"status\"}");
    std::vector<RemoteChange> out;
    for (const json& o : j) {
      if (!o.is_object())
        return Status::invalid_argument("rt webhook: expected objects {\"id\", \"status\"}");
      RemoteChange c;
      c.remote_id = id_text(member(o, "id"));
      if (c.remote_id.empty() || !std::all_of(c.remote_id.begin(), c.remote_id.end(),
                                              [](unsigned char ch) { return std::isdigit(ch); }))
        return Status::invalid_argument("rt webhook: \"id\" must be the RT ticket number");
      const std::string status = str_of(o, "status");
      if (status.empty()) return Status::invalid_argument("rt webhook: \"status\" missing");
      const std::string kind = incoming(status);
      if (kind == "ignore") continue;
      c.state = kind == "resolved" ? RemoteState::kResolved
                : kind == "closed" ? RemoteState::kClosed
                                   : RemoteState::kReopened;
      c.by = str_of(o, "by");
      c.note = str_of(o, "note");
      // Left at TimePoint{} when the body does not say: connectors have no
      // Clock, the receiving end fills in the time of arrival.
      if (const std::string u = str_of(o, "updated"); !u.empty()) {
        auto tp = parse_rfc3339(u);
        if (!tp)
          return Status::invalid_argument("rt webhook: \"updated\": " + tp.error().message());
        c.updated = *tp;
      }
      out.push_back(std::move(c));
    }
    return out;
  }

 private:
  std::string what(const std::string& action) const { return "rt " + config_.name + " " + action; }

  HttpRequest request(const std::string& method, const std::string& path) const {
    HttpRequest r;
    r.method = method;
    r.url = join_url(config_.url, "/REST/2.0" + path);
    r.header("Authorization", auth_);
    r.header("Accept", "application/json");
    return r;
  }

  Result<HttpResponse> send_json(const std::string& method, const std::string& path,
                                 const json& body) {
    HttpRequest r = request(method, path);
    r.header("Content-Type", "application/json");
    r.body = body.dump(-1, ' ', false, json::error_handler_t::replace);
    return http_.send(r);
  }

  // The ticket as RT shows it, with its queue's name.
  Outcome<json> get_ticket(const std::string& id) {
    auto r = http_.send(request("GET", "/ticket/" + url_encode(id) + "?fields%5BQueue%5D=Name"));
    if (auto f = failure_of(r, what("read ticket " + id))) return *f;
    auto j = json_body(*r, what("read ticket " + id));
    if (!j) return j.failure();
    if (!j.value().is_object()) return rejected(what("read ticket " + id) + ": not an object");
    return j;
  }

  // Whether the ticket (or search hit) carries `corr` in key_field; nullopt
  // when it came without custom fields at all.
  std::optional<bool> carries_key(const json& ticket, const std::string& corr) const {
    const json& cfs = member(ticket, "CustomFields");
    if (cfs.is_null()) return std::nullopt;
    if (!cfs.is_array()) return false;  // RT sends "" when no field has a value
    for (const json& cf : cfs) {
      if (str_of(cf, "name") != key_field_) continue;
      const json& values = member(cf, "values");
      if (!values.is_array()) continue;
      for (const json& v : values) {
        if (v.is_string() && v.get<std::string>() == corr) return true;
      }
    }
    return false;
  }

  Sent add_comment(const std::string& id, const std::string& text) {
    auto r = send_json("POST", "/ticket/" + url_encode(id) + "/comment",
                       {{"Content", text}, {"ContentType", "text/plain"}});
    if (auto f = failure_of(r, what("comment on ticket " + id))) return *f;
    return sent();
  }

  // A ticket ticketd cannot find again is set aside, so that a retry after
  // the field is applied does not leave a second open copy behind. Best
  // effort: the Failure already tells the operator.
  void abandon(const std::string& id, const std::string& queue) {
    (void)send_json("POST", "/ticket/" + url_encode(id) + "/comment",
                    {{"Content", "ticketd could not store its key in custom field " + key_field_ +
                                     " (not applied to queue " + queue +
                                     "?), so it cannot track this ticket; it was set to rejected "
                                     "and ticketd will file the alert again once the field is "
                                     "applied."},
                     {"ContentType", "text/plain"},
                     {"Status", "rejected"}});
  }

  ExternalRef ref_for(const std::string& id) const {
    ExternalRef ref;
    ref.id = id;
    ref.key = id;
    ref.url = join_url(config_.url, "/Ticket/Display.html?id=" + id);
    return ref;
  }

  std::string settings_mapped(const std::string& table, const std::string& value) const {
    auto t = config_.map.find(table);
    if (t == config_.map.end()) return "";
    auto it = t->second.find(value);
    return it == t->second.end() ? "" : it->second;
  }

  std::string queue_for(const Ticket& t) const {
    const std::string q = settings_mapped("team", t.team);
    return q.empty() ? queue_ : q;
  }

  // The RT user to own the ticket: map.assignee, else (owner_from_assignee)
  // the assignee as it is; "" leaves the owner alone.
  std::string owner(const Ticket& t) const {
    if (t.assignee.empty()) return "";
    const std::string o = settings_mapped("assignee", t.assignee);
    if (!o.empty()) return o;
    return owner_from_assignee_ ? t.assignee : "";
  }

  static std::string subject(const Ticket& t) {
    std::string s = t.title.empty() ? "ticketd " + t.key : t.title;
    for (char& c : s) {
      if (c == '\n' || c == '\r' || c == '\t') c = ' ';
    }
    return std::string(utf8_prefix(s, kSubjectMax));
  }

  static std::string content(const Ticket& t, const std::string& corr) {
    std::string s = t.description.empty() ? t.title : t.description;
    s += "\n\n-- \nticketd " + t.key + " (key " + corr + ")";
    return s;
  }

  // What an RT status reported by the webhook means for ticketd.
  std::string incoming(const std::string& status) const {
    const std::string m = settings_mapped("status", status);
    if (!m.empty()) return m;
    if (status == resolved_status_) return "resolved";
    if (status == closed_status_ || status == "rejected" || status == "deleted") return "closed";
    if (status == reopened_status_ || status == "new" || status == "open" || status == "stalled")
      return "reopened";
    return "ignore";
  }

  const BackendConfig config_;
  HttpClient& http_;
  std::string auth_;
  std::string queue_, key_field_;
  std::string resolved_status_, closed_status_, reopened_status_;
  bool owner_from_assignee_ = false;
  int priority_[5] = {90, 70, 50, 30, 10};
};

}  // namespace

Result<std::unique_ptr<Connector>> make_rt(const BackendConfig& config, HttpClient& http) {
  auto c = std::make_unique<Rt>(config, http);
  if (Status s = c->configure(); !s) return s;
  return std::unique_ptr<Connector>(std::move(c));
}

}  // namespace ticketd::connectors
