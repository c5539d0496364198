#include <algorithm>
#include <cctype>
#include <ctime>
#include <utility>

#include "kinds.hpp"
#include "ticketd/core/text.hpp"

namespace ticketd::connectors {

const char* failure_kind_name(Failure::Kind k) {
  switch (k) {
    case Failure::Kind::kTransient:
      return "transient";
    case Failure::Kind::kThrottled:
      return "throttled";
    case Failure::Kind::kAuth:
      return "auth";
    case Failure::Kind::kRejected:
      return "rejected";
  }
  return "unknown";
}

const char* remote_state_name(RemoteState s) {
  switch (s) {
    case RemoteState::kResolved:
      return "resolved";
    case RemoteState::kClosed:
      return "closed";
    case RemoteState::kReopened:
      return "reopened";
  }
  return "unknown";
}

namespace {

std::optional<std::time_t> http_date(const std::string& v) {
  std::tm tm{};
  if (strptime(v.c_str(), "%a, %d %b %Y %H:%M:%S", &tm) == nullptr) return std::nullopt;
  return timegm(&tm);
}

// Retry-After: delay-seconds or an HTTP-date (RFC 9110 10.2.3). A date is
// measured against the answer's own Date header (the server's clock, not
// ours); without one, a minute.
std::optional<Duration> parse_retry_after(const HttpResponse& h) {
  const std::string v = h.header("retry-after");
  if (v.empty()) return std::nullopt;
  if (std::all_of(v.begin(), v.end(), [](unsigned char c) { return std::isdigit(c); })) {
    if (v.size() > 9) return std::chrono::hours(24);
    return std::chrono::seconds(std::stol(v));
  }
  const auto at = http_date(v);
  if (!at) return std::nullopt;
  const auto sent = http_date(h.header("date"));
  if (!sent) return std::chrono::minutes(1);
  return std::chrono::seconds(std::max<std::time_t>(0, *at - *sent));
}

// The start of an answer's body for a message: control characters (a
// backend's, or an attacker's, terminal escapes) become spaces, since the
// text reaches logs and terminals.
std::string excerpt(const std::string& body) {
  std::string s = body.substr(0, 300);
  for (char& c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) c = ' ';
  }
  if (body.size() > 300) s += "…";
  return s;
}

std::string suggest(std::string_view word, const std::vector<std::string>& candidates) {
  const std::string m = did_you_mean(word, candidates);
  return m.empty() ? "" : "; did you mean \"" + m + "\"?";
}

}  // namespace

std::optional<Failure> failure_of(const Result<HttpResponse>& r, std::string_view what) {
  if (!r) {
    return Failure{Failure::Kind::kTransient, std::string(what) + ": " + r.error().message(),
                   std::nullopt, 0};
  }
  const HttpResponse& h = *r;
  if (h.status >= 200 && h.status < 300) return std::nullopt;
  Failure f;
  f.http_status = h.status;
  f.message = std::string(what) + ": HTTP " + std::to_string(h.status);
  if (h.status >= 300 && h.status < 400 && !h.header("location").empty())
    f.message += " (redirected to " + excerpt(h.header("location")) +
                 "; ticketd does not follow redirects: configure that URL)";
  if (!h.body.empty()) f.message += ": " + excerpt(h.body);
  if (h.status == 429 || h.status == 503) f.retry_after = parse_retry_after(h);
  if (h.status == 429 || (h.status == 503 && f.retry_after)) {
    f.kind = Failure::Kind::kThrottled;
  } else if (h.status == 401 || h.status == 403) {
    f.kind = Failure::Kind::kAuth;
  } else if (h.status >= 500 || h.status == 408 || h.status == 409 || h.status == 425) {
    f.kind = Failure::Kind::kTransient;
  } else {
    f.kind = Failure::Kind::kRejected;
  }
  return f;
}

Failure rejected(std::string message) {
  return Failure{Failure::Kind::kRejected, std::move(message), std::nullopt, 0};
}

Result<std::vector<RemoteChange>> Connector::parse_webhook(std::string_view) {
  return Status::invalid_argument("this backend kind takes no inbound webhooks");
}

bool TicketMatcher::matches(const Ticket& t) const {
  auto in = [](const auto& list, const auto& v) {
    return list.empty() || std::find(list.begin(), list.end(), v) != list.end();
  };
  return in(types, t.type) && in(priorities, t.priority) && in(teams, t.team);
}

std::string correlation_key(const BackendConfig& config, const std::string& ticket_key) {
  return lower(config.key_prefix + ticket_key);
}

namespace {
const std::pair<const char*, Factory> kFactories[] = {
    {"glpi", &make_glpi},
    {"jira", &make_jira},
    {"redmine", &make_redmine},
    {"rt", &make_rt},
    {"servicenow", &make_servicenow},
    {"webhook", &make_webhook},
    {"zammad", &make_zammad},
};
}  // namespace

std::vector<std::string> connector_kinds() {
  std::vector<std::string> out;
  for (const auto& [kind, f] : kFactories) out.emplace_back(kind);
  std::sort(out.begin(), out.end());
  return out;
}

Result<std::unique_ptr<Connector>> make_connector(const BackendConfig& config, HttpClient& http) {
  for (const auto& [kind, factory] : kFactories) {
    if (config.kind == kind) return factory(config, http);
  }
  std::string kinds;
  for (const std::string& k : connector_kinds()) kinds += (kinds.empty() ? "" : ", ") + k;
  return Status::invalid_argument("backend " + config.name + ": unknown kind \"" + config.kind +
                                  "\" (kinds: " + kinds + ")" +
                                  suggest(config.kind, connector_kinds()));
}

// --- Settings ---

const nlohmann::json* Settings::find(const std::string& key) {
  read_.insert(key);
  auto it = config_.settings.find(key);
  if (it == config_.settings.end() || it->is_null()) return nullptr;
  return &*it;
}

void Settings::fail(const std::string& key, const std::string& message) {
  if (error_.empty()) error_ = what_ + " " + config_.name + ": " + key + ": " + message;
}

std::string Settings::str(const std::string& key, const std::string& fallback) {
  const nlohmann::json* v = find(key);
  if (!v) return fallback;
  if (v->is_string()) return v->get<std::string>();
  if (v->is_number() || v->is_boolean()) return v->dump();
  fail(key, "expected a string");
  return fallback;
}

std::string Settings::required(const std::string& key) {
  std::string v = str(key);
  if (v.empty()) fail(key, "required for kind " + config_.kind);
  return v;
}

int64_t Settings::integer(const std::string& key, int64_t fallback) {
  const nlohmann::json* v = find(key);
  if (!v) return fallback;
  if (v->is_number_integer()) return v->get<int64_t>();
  if (v->is_string()) {
    try {
      size_t used = 0;
      const int64_t n = std::stoll(v->get<std::string>(), &used);
      if (used == v->get<std::string>().size()) return n;
    } catch (...) {
    }
  }
  fail(key, "expected an integer");
  return fallback;
}

bool Settings::boolean(const std::string& key, bool fallback) {
  const nlohmann::json* v = find(key);
  if (!v) return fallback;
  if (v->is_boolean()) return v->get<bool>();
  if (v->is_string() && (*v == "true" || *v == "false")) return *v == "true";
  fail(key, "expected true or false");
  return fallback;
}

std::vector<std::string> Settings::strings(const std::string& key) {
  const nlohmann::json* v = find(key);
  std::vector<std::string> out;
  if (!v) return out;
  if (v->is_string()) return {v->get<std::string>()};
  if (!v->is_array()) {
    fail(key, "expected a list of strings");
    return out;
  }
  for (const auto& e : *v) {
    if (!e.is_string()) {
      fail(key, "expected a list of strings");
      return {};
    }
    out.push_back(e.get<std::string>());
  }
  return out;
}

nlohmann::json Settings::raw(const std::string& key) {
  const nlohmann::json* v = find(key);
  return v ? *v : nlohmann::json();
}

std::string Settings::secret(const std::string& name, bool required_) {
  auto it = config_.secrets.find(name);
  if (it != config_.secrets.end() && !it->second.empty()) return it->second;
  if (required_) fail(name, "set " + name + "_file or " + name + "_env");
  return "";
}

std::string Settings::mapped(const std::string& table, const std::string& value,
                             const std::string& fallback) const {
  auto t = config_.map.find(table);
  if (t == config_.map.end()) return fallback;
  auto it = t->second.find(value);
  return it == t->second.end() ? fallback : it->second;
}

Status Settings::finish() const {
  if (!error_.empty()) return Status::invalid_argument(error_);
  std::vector<std::string> known(read_.begin(), read_.end());
  for (const auto& [k, v] : config_.settings.items()) {
    if (read_.count(k)) continue;
    return Status::invalid_argument(what_ + " " + config_.name + ": unknown key \"" + k +
                                    "\" for kind " + config_.kind + suggest(k, known));
  }
  return Status::ok();
}

const nlohmann::json& member(const nlohmann::json& j, const std::string& key) {
  static const nlohmann::json kNull;
  if (!j.is_object()) return kNull;
  auto it = j.find(key);
  return it == j.end() ? kNull : *it;
}

std::string text_of(const nlohmann::json& j, const std::string& key) {
  const nlohmann::json& v = member(j, key);
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number_integer() || v.is_number_unsigned()) return v.dump();
  return "";
}

bool all_digits(std::string_view s) {
  return !s.empty() && s.size() < 19 &&
         std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c); });
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

std::string one_line(std::string s) {
  for (char& c : s) {
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  }
  return s;
}

bool blank(std::string_view s) { return s.find_first_not_of(" \t\r\n") == std::string_view::npos; }

std::string join_url(const std::string& base, const std::string& path) {
  if (!base.empty() && base.back() == '/' && !path.empty() && path.front() == '/')
    return base + path.substr(1);
  return base + path;
}

Outcome<nlohmann::json> json_body(const HttpResponse& r, std::string_view what) {
  auto j = nlohmann::json::parse(r.body, nullptr, false);
  if (j.is_discarded())
    return rejected(std::string(what) + ": the answer (HTTP " + std::to_string(r.status) +
                    ") is not JSON: " + r.body.substr(0, 200));
  return j;
}

}  // namespace ticketd::connectors
