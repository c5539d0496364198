// Internal to the connectors layer: the factory of each kind, and Settings,
// the reader every factory validates its config keys with.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "ticketd/connectors/connector.hpp"

namespace ticketd::connectors {

// Reads a connector's settings (BackendConfig::settings), remembering which
// keys were read, so that finish() can refuse unknown ones (a typo) with a
// suggestion. Errors name the backend and key.
class Settings {
 public:
  // `what` starts every message: "backend" or "notification".
  explicit Settings(const BackendConfig& config, std::string what = "backend")
      : config_(config), what_(std::move(what)) {}

  // The string value of `key`, or `fallback` when absent.
  std::string str(const std::string& key, const std::string& fallback = "");
  // Like str(), but absent or empty is an error.
  std::string required(const std::string& key);
  int64_t integer(const std::string& key, int64_t fallback);
  bool boolean(const std::string& key, bool fallback);
  std::vector<std::string> strings(const std::string& key);  // a list of strings, or one string
  // The raw value (any JSON), null when absent.
  nlohmann::json raw(const std::string& key);
  // The credential `name` (from `<name>_file` or `<name>_env`); "" when not
  // configured, which is an error when `required`.
  std::string secret(const std::string& name, bool required = true);
  // map:{table}{value}, or `fallback` when the table has no such entry.
  std::string mapped(const std::string& table, const std::string& value,
                     const std::string& fallback = "") const;
  // Records an error of the connector's own (a bad value).
  void fail(const std::string& key, const std::string& message);
  // The first error recorded, else unknown keys; ok when all is well.
  Status finish() const;

  const BackendConfig& config() const { return config_; }

 private:
  const nlohmann::json* find(const std::string& key);
  const BackendConfig& config_;
  std::string what_;
  std::set<std::string> read_;
  std::string error_;
};

// Helpers the connectors share for reading answers they do not trust.
// j[key], or null when j is not an object or has no such key.
const nlohmann::json& member(const nlohmann::json& j, const std::string& key);
// A string member, or an integer one as text (ids come both ways); "" otherwise.
std::string text_of(const nlohmann::json& j, const std::string& key);
// Digits only, and few enough for std::stoll.
bool all_digits(std::string_view s);
std::string lower(std::string s);
// Line breaks and tabs as spaces: titles and subjects are one line.
std::string one_line(std::string s);
// Empty or only whitespace.
bool blank(std::string_view s);

// The base URL with `path` appended ("/rest/api/3/issue").
std::string join_url(const std::string& base, const std::string& path);

// A JSON body, or a kRejected Failure naming `what` when the body is not JSON.
Outcome<nlohmann::json> json_body(const HttpResponse& r, std::string_view what);

using Factory = Result<std::unique_ptr<Connector>> (*)(const BackendConfig&, HttpClient&);
Result<std::unique_ptr<Connector>> make_webhook(const BackendConfig& config, HttpClient& http);
Result<std::unique_ptr<Connector>> make_jira(const BackendConfig& config, HttpClient& http);
Result<std::unique_ptr<Connector>> make_servicenow(const BackendConfig& config, HttpClient& http);
Result<std::unique_ptr<Connector>> make_rt(const BackendConfig& config, HttpClient& http);
Result<std::unique_ptr<Connector>> make_zammad(const BackendConfig& config, HttpClient& http);
Result<std::unique_ptr<Connector>> make_redmine(const BackendConfig& config, HttpClient& http);
Result<std::unique_ptr<Connector>> make_glpi(const BackendConfig& config, HttpClient& http);

}  // namespace ticketd::connectors
