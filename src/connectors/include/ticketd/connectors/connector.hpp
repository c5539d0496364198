// Connector: one ticket system (Jira, ServiceNow, RT, …) seen through the
// few operations the outbox worker needs. A connector holds no state about
// tickets: what links a ticketd ticket to its remote ticket (ExternalRef) is
// kept by the store and handed in. Every operation is idempotent or guarded
// by a lookup, so a retried entry never duplicates a remote ticket or
// reverses a later change.
//
// Connectors report failures as values (Failure) with a kind that tells the
// worker what to do: retry later, back off for a while, or hold the entry
// for an operator.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "ticketd/connectors/http.hpp"
#include "ticketd/core/status.hpp"
#include "ticketd/core/ticket.hpp"
#include "ticketd/core/time.hpp"

namespace ticketd::connectors {

struct Failure {
  enum class Kind {
    kTransient,  // no answer, 5xx, 408, 409: retry with backoff
    kThrottled,  // 429 (or 503 with Retry-After): retry after retry_after
    kAuth,       // 401, 403: credentials or permissions; retry with backoff, loudly
    kRejected,   // any other 4xx, or an answer that makes no sense: this entry
                 // cannot succeed as it is; held for an operator
  };
  Kind kind = Kind::kTransient;
  std::string message;  // for logs, the timeline and `ticketctl outbox list`; never a secret
  std::optional<Duration> retry_after;
  long http_status = 0;  // 0: no answer
};
const char* failure_kind_name(Failure::Kind k);

// A value or a Failure.
template <class T>
class Outcome {
 public:
  Outcome(T value) : v_(std::move(value)) {}  // NOLINT: implicit, like Result
  Outcome(Failure f) : v_(std::move(f)) {}    // NOLINT
  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() { return std::get<0>(v_); }
  const T& value() const { return std::get<0>(v_); }
  const Failure& failure() const { return std::get<1>(v_); }

 private:
  std::variant<T, Failure> v_;
};
struct Nothing {};
using Sent = Outcome<Nothing>;
inline Sent sent() { return Nothing{}; }

// nullopt for a 2xx answer; otherwise the Failure it means. `what` names the
// call ("jira create OPS issue") and starts the message; the answer's error
// text (the body, cut to 300 bytes) follows. Retry-After (seconds or an HTTP
// date) is read on 429 and 503.
std::optional<Failure> failure_of(const Result<HttpResponse>& r, std::string_view what);
// A Failure of kind kRejected for an answer that is 2xx but unusable.
Failure rejected(std::string message);

// A status a connector moves a remote ticket to.
enum class RemoteState { kResolved, kClosed, kReopened };
const char* remote_state_name(RemoteState s);

// A remote ticket resolved, closed or reopened by people in the backend.
struct RemoteChange {
  std::string remote_id;  // ExternalRef::id
  RemoteState state = RemoteState::kResolved;
  std::string by;    // who, when the backend says
  std::string note;  // resolution or comment text, when the backend says
  TimePoint updated{};
};

class Connector {
 public:
  virtual ~Connector() = default;

  // The remote ticket carrying `corr` (ticketd's correlation key, written on
  // it by create()), or none. Every search hit is checked for exact equality.
  virtual Outcome<std::optional<ExternalRef>> find(const std::string& corr) = 0;
  // Creates the remote ticket for `t`, carrying `corr`. The ref's backend is
  // filled in by the caller.
  virtual Outcome<ExternalRef> create(const Ticket& t, const std::string& corr) = 0;
  // Adds an internal comment / work note.
  virtual Sent comment(const ExternalRef& remote, const Ticket& t, const std::string& text) = 0;
  // Brings priority, assignment (team / assignee) and title in line with `t`.
  virtual Sent update(const ExternalRef& remote, const Ticket& t) = 0;
  // Moves the remote ticket to `state`; `note` (may be empty) is the
  // resolution or reason. Already there: success.
  virtual Sent transition(const ExternalRef& remote, const Ticket& t, RemoteState state,
                          const std::string& note) = 0;

  // Sync back by polling (Jira, ServiceNow): remote tickets this backend
  // moved to resolved/closed (or reopened) since `since`. Connectors that
  // cannot poll return an empty list.
  virtual Outcome<std::vector<RemoteChange>> poll(TimePoint since) {
    (void)since;
    return std::vector<RemoteChange>{};
  }
  virtual bool polls() const { return false; }
  // Sync back by push: the changes an inbound webhook body from this backend
  // reports (POST /api/v1/backends/{name}/webhook). invalid_argument for a
  // body it cannot read. Called on API threads while the worker uses the
  // connector: it must only parse (no HTTP, no mutable state).
  virtual Result<std::vector<RemoteChange>> parse_webhook(std::string_view body);
};

// Which tickets a backend or notification target takes; an empty list
// matches anything.
struct TicketMatcher {
  std::vector<TicketType> types;
  std::vector<Priority> priorities;
  std::vector<std::string> teams;
  bool matches(const Ticket& t) const;
};

// One entry of `backends:` in the config file, as a connector sees it.
struct BackendConfig {
  std::string name;  // unique; the ExternalRef's backend
  std::string kind;  // jira, servicenow, rt, zammad, redmine, glpi, webhook
  std::string url;   // base URL, without a trailing slash
  // Credentials read from `<name>_file` or `<name>_env` keys ("token",
  // "password", "api_key", "app_token", "user_token", "secret", …). Never
  // logged, never shown by any API.
  std::map<std::string, std::string> secrets;
  TicketMatcher when;
  // `map:` tables: "priority" (P1..P5 →), "team" (team →), "category" (→),
  // "status"; what each maps to is the connector's (its docs page says).
  std::map<std::string, std::map<std::string, std::string>> map;
  // Every other key, for the connector to read; make_connector() refuses
  // keys the connector does not know.
  nlohmann::json settings = nlohmann::json::object();
  Duration timeout = std::chrono::seconds(10);
  // Occurrence comments for a ticket go out at most this often, each
  // summing the occurrences since the last.
  Duration comment_interval = std::chrono::minutes(5);
  // Sync back by polling (connectors that poll); zero: off.
  Duration poll_interval = std::chrono::minutes(1);
  // The correlation key written on remote tickets: prefix + the lower-case
  // ticket key ("ticketd-inc-000042"). Two ticketd instances filing into one
  // backend need different prefixes.
  std::string key_prefix = "ticketd-";
  bool verify_tls = true;
  std::string ca_file;
  // Notification targets only: which ticket events they take ("opened",
  // "escalated", "resolved").
  std::vector<std::string> on;
};

// A notification target (`notifications:` in the config): tells people about
// a ticket. Kinds: webhook (Slack, Mattermost, Teams and anything taking a
// JSON body from a template) and email (SMTP).
class Notifier {
 public:
  virtual ~Notifier() = default;
  // `event`: opened, escalated, resolved, or notify (an escalation's
  // `notify:`); `message` says it in one line.
  virtual Sent notify(const Ticket& t, const std::string& event, const std::string& message) = 0;
};

// The kinds make_notifier() knows.
std::vector<std::string> notifier_kinds();
Result<std::unique_ptr<Notifier>> make_notifier(const BackendConfig& config, HttpClient& http);

// "ticketd-inc-000042" for INC-000042 with the default prefix.
std::string correlation_key(const BackendConfig& config, const std::string& ticket_key);

// The kinds make_connector() knows, sorted.
std::vector<std::string> connector_kinds();
// The connector for `config.kind`, sending through `http` (which must
// outlive it). invalid_argument naming the key for a bad or missing setting,
// or an unknown kind.
Result<std::unique_ptr<Connector>> make_connector(const BackendConfig& config, HttpClient& http);

}  // namespace ticketd::connectors
