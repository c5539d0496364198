#include "ticketd/daemon/config.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <optional>
#include <sstream>

#include "ticketd/core/text.hpp"

namespace ticketd::daemon {
namespace {

namespace fs = std::filesystem;

struct Section {
  const char* name;
  std::vector<std::string> keys;
};

const std::vector<std::string> kTopKeys = {"listen", "rules_dir", "default_rule", "store",
                                           "queue",  "http",      "syslog",       "snmp",
                                           "api",    "webhooks",  "backends",     "notifications",
                                           "outbox", "log",       "pagerduty",    "json_sources"};
const std::vector<Section> kSections = {
    {"listen", {"http", "syslog_udp", "syslog_tcp", "syslog_tls", "syslog_relp", "snmp"}},
    {"snmp", {"communities", "users", "engine_id", "mib_dirs", "udp_receive_buffer"}},
    {"syslog",
     {"max_message_bytes", "max_connections", "idle_timeout", "tls_cert", "tls_key",
      "max_connections_per_peer", "first_byte_timeout", "udp_receive_buffer"}},
    {"store", {"kind", "path", "event_retention", "busy_timeout", "sync", "readers"}},
    {"queue", {"capacity", "batch_max"}},
    {"http",
     {"max_body_bytes", "read_timeout", "max_connections", "max_connections_per_peer",
      "header_timeout", "max_inflight_body_bytes"}},
    {"api", {"tokens", "tls_cert", "tls_key"}},
    {"log", {"level"}},
    {"pagerduty", {"integrations"}},
    {"outbox",
     {"retry_first", "retry_max", "breaker_failures", "breaker_open", "breaker_open_max"}},
};

// Messages about one key start with "line N: "; load_config_from_string()
// turns that into "FILE:N: ".
std::string where(const YAML::Node& n) {
  return "line " + std::to_string(n.Mark().line + 1) + ": ";
}

// The same for a key recorded in c.key_lines; empty for a default.
std::string where(const Config& c, const std::string& key) {
  auto it = c.key_lines.find(key);
  return it == c.key_lines.end() ? "" : "line " + std::to_string(it->second) + ": ";
}

// "line N: message" -> "FILE:N: message"; anything else -> "FILE: message".
std::string located(const std::string& path, const std::string& msg) {
  if (msg.rfind("line ", 0) == 0) {
    size_t i = 5;
    while (i < msg.size() && std::isdigit(static_cast<unsigned char>(msg[i]))) ++i;
    if (i > 5 && msg.compare(i, 2, ": ") == 0)
      return path + ":" + msg.substr(5, i - 5) + msg.substr(i);
  }
  return path + ": " + msg;
}

Status unknown(const YAML::Node& key, const std::string& prefix,
               const std::vector<std::string>& known) {
  std::string k = key.as<std::string>();
  std::string msg = where(key) + "unknown config key \"" + prefix + k + "\"";
  std::string guess = did_you_mean(k, known);
  if (!guess.empty()) msg += " (did you mean \"" + prefix + guess + "\"?)";
  return Status::invalid_argument(msg);
}

Result<std::string> scalar(const YAML::Node& n, const std::string& key) {
  if (!n.IsScalar()) return Status::invalid_argument(where(n) + "\"" + key + "\" must be a scalar");
  return n.Scalar();
}

Result<size_t> count(const YAML::Node& n, const std::string& key, size_t min,
                     size_t max = SIZE_MAX) {
  auto s = scalar(n, key);
  if (!s) return s.error();
  try {
    size_t used = 0;
    long long v = std::stoll(*s, &used);
    if (used != s->size() || v < static_cast<long long>(min) ||
        static_cast<unsigned long long>(v) > max) {
      throw std::out_of_range(key);
    }
    return static_cast<size_t>(v);
  } catch (...) {
    return Status::invalid_argument(where(n) + "\"" + key + "\" is \"" + *s +
                                    "\", expected an integer >= " + std::to_string(min) +
                                    (max == SIZE_MAX ? "" : " and <= " + std::to_string(max)));
  }
}

// Every duration key so far needs a positive value (a zero timeout or
// retention makes no sense), and none may be so long that adding it to a
// clock overflows.
constexpr Duration kMaxDuration = std::chrono::hours(24 * 3650);

Result<Duration> duration(const YAML::Node& n, const std::string& key) {
  auto s = scalar(n, key);
  if (!s) return s.error();
  auto d = parse_duration(*s);
  if (!d) return Status::invalid_argument(where(n) + "\"" + key + "\": " + d.error().message());
  if (*d <= Duration::zero()) {
    return Status::invalid_argument(where(n) + "\"" + key + "\" is \"" + *s +
                                    "\", expected a duration greater than 0");
  }
  if (*d > kMaxDuration) {
    return Status::invalid_argument(where(n) + "\"" + key + "\" is \"" + *s +
                                    "\", expected at most 3650d");
  }
  return *d;
}

// "1GiB", "64KiB", "480": the shortest exact spelling.
std::string size_text(size_t n) {
  if (n >= (1u << 30) && n % (1u << 30) == 0) return std::to_string(n >> 30) + "GiB";
  if (n >= (1u << 20) && n % (1u << 20) == 0) return std::to_string(n >> 20) + "MiB";
  if (n >= (1u << 10) && n % (1u << 10) == 0) return std::to_string(n >> 10) + "KiB";
  return std::to_string(n);
}

// A size key with a sane maximum, so that a typo cannot turn a limit off.
Result<size_t> byte_size(const YAML::Node& n, const std::string& key, size_t max) {
  auto s = scalar(n, key);
  if (!s) return s.error();
  auto v = parse_size(*s);
  if (!v) return Status::invalid_argument(where(n) + "\"" + key + "\": " + v.error().message());
  if (*v > max) {
    return Status::invalid_argument(where(n) + "\"" + key + "\" is \"" + *s +
                                    "\", expected at most " + size_text(max));
  }
  return *v;
}

std::string resolve(const std::string& base_dir, const std::string& p) {
  if (p.empty() || fs::path(p).is_absolute() || base_dir.empty()) return p;
  return (fs::path(base_dir) / p).lexically_normal().string();
}

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

// A secret file holds a token or a passphrase: at most this many bytes.
constexpr size_t kMaxSecretFileBytes = 64 * 1024;

// The content of a secret file, only from a regular file and only up to
// kMaxSecretFileBytes: a FIFO, /dev/stdin or /dev/zero named by mistake
// would otherwise block start-up or read without end. The error says why.
Result<std::string> read_secret_file(const std::string& file) {
  // O_NONBLOCK: opening a FIFO for reading does not wait for a writer.
  const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return Status::invalid_argument(std::strerror(errno));
  struct stat st {};
  Result<std::string> out = Status::invalid_argument("not a regular file");
  if (::fstat(fd, &st) != 0) {
    out = Status::invalid_argument(std::strerror(errno));
  } else if (S_ISREG(st.st_mode)) {
    std::string data;
    std::array<char, 4096> buf{};
    ssize_t n;
    while ((n = ::read(fd, buf.data(), buf.size())) != 0) {
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) break;
      data.append(buf.data(), static_cast<size_t>(n));
      if (data.size() > kMaxSecretFileBytes) break;
    }
    if (n < 0)
      out = Status::invalid_argument(std::strerror(errno));
    else if (data.size() > kMaxSecretFileBytes)
      out = Status::invalid_argument("larger than 64KiB");
    else
      out = std::move(data);
  }
  ::close(fd);
  return out;
}

// A secret from exactly one of `<prefix>` (inline), `<prefix>_file` or
// `<prefix>_env`; none gives "". Two would leave the reader guessing which
// one the daemon uses, so they are refused.
Result<std::string> load_secret(const YAML::Node& n, const std::string& prefix,
                                const std::string& base_dir, const std::string& what) {
  int sources = 0;
  for (const std::string& k : {prefix, prefix + "_file", prefix + "_env"}) sources += n[k] ? 1 : 0;
  if (sources > 1) {
    return Status::invalid_argument(where(n) + what + ": set only one of " + prefix + ", " +
                                    prefix + "_file or " + prefix + "_env");
  }
  if (n[prefix + "_file"]) {
    const std::string file = resolve(base_dir, n[prefix + "_file"].as<std::string>());
    auto content = read_secret_file(file);
    if (!content)
      return Status::invalid_argument(where(n[prefix + "_file"]) + what + ": cannot read " +
                                      prefix + "_file " + file + ": " + content.error().message());
    return trim(*content);
  }
  if (n[prefix + "_env"]) {
    const std::string var = n[prefix + "_env"].as<std::string>();
    const char* v = std::getenv(var.c_str());
    if (!v || !*v) {
      return Status::invalid_argument(where(n[prefix + "_env"]) + what + ": environment variable " +
                                      var + " is not set");
    }
    return trim(v);
  }
  if (n[prefix]) return n[prefix].as<std::string>();
  return std::string();
}

Status load_webhooks(const YAML::Node& n, const std::string& base_dir, Config& c) {
  if (!n.IsMap())
    return Status::invalid_argument(where(n) +
                                    "\"webhooks\" must be a mapping of endpoint: {hmac_secret…}");
  const std::vector<std::string> endpoints = {"events", "alertmanager", "grafana", "pagerduty"};
  const std::vector<std::string> keys = {"hmac_secret", "hmac_secret_file", "hmac_secret_env",
                                         "hmac_header"};
  for (auto it = n.begin(); it != n.end(); ++it) {
    const std::string ep = it->first.as<std::string>();
    if (std::find(endpoints.begin(), endpoints.end(), ep) == endpoints.end())
      return unknown(it->first, "webhooks.", endpoints);
    if (!it->second.IsMap())
      return Status::invalid_argument(where(it->second) + "\"webhooks." + ep +
                                      "\" must be a mapping");
    for (auto k = it->second.begin(); k != it->second.end(); ++k) {
      if (std::find(keys.begin(), keys.end(), k->first.as<std::string>()) == keys.end()) {
        return unknown(k->first, "webhooks." + ep + ".", keys);
      }
    }
    api::WebhookSignature sig;
    sig.endpoint = ep;
    auto secret = load_secret(it->second, "hmac_secret", base_dir, "webhooks." + ep);
    if (!secret) return secret.error();
    sig.secret = *secret;
    if (sig.secret.size() < 16) {
      return Status::invalid_argument(where(it->second) + "webhooks." + ep +
                                      ": the HMAC secret must be at least 16 characters");
    }
    if (it->second["hmac_header"]) sig.header = it->second["hmac_header"].as<std::string>();
    c.signatures.push_back(std::move(sig));
  }
  return Status::ok();
}

// A YAML value as JSON, for a connector's own settings: mappings and lists
// keep their shape; scalars stay strings (connectors read numbers and
// booleans from strings too) except unquoted true/false.
nlohmann::json yaml_to_json(const YAML::Node& n) {
  if (n.IsMap()) {
    nlohmann::json j = nlohmann::json::object();
    for (auto it = n.begin(); it != n.end(); ++it)
      j[it->first.as<std::string>()] = yaml_to_json(it->second);
    return j;
  }
  if (n.IsSequence()) {
    nlohmann::json j = nlohmann::json::array();
    for (const YAML::Node& e : n) j.push_back(yaml_to_json(e));
    return j;
  }
  if (n.IsNull()) return nullptr;
  if (n.Tag() != "!" && (n.Scalar() == "true" || n.Scalar() == "false"))
    return n.Scalar() == "true";
  return n.Scalar();
}

// A scalar or a list of scalars, as a list.
Result<std::vector<std::string>> string_list(const YAML::Node& n, const std::string& key) {
  std::vector<std::string> out;
  if (n.IsScalar()) return std::vector<std::string>{n.Scalar()};
  if (!n.IsSequence()) return Status::invalid_argument(where(n) + "\"" + key + "\" must be a list");
  for (const YAML::Node& e : n) {
    if (!e.IsScalar())
      return Status::invalid_argument(where(e) + "\"" + key + "\" must be a list of strings");
    out.push_back(e.Scalar());
  }
  return out;
}

// A mapping of plain strings (labels), each non-empty.
Status string_pairs(const YAML::Node& n, const std::string& key, Labels& out) {
  if (!n.IsMap())
    return Status::invalid_argument(where(n) + "\"" + key + "\" must be a mapping of name: value");
  for (auto it = n.begin(); it != n.end(); ++it) {
    const std::string k = it->first.as<std::string>();
    if (!it->second.IsScalar() || k.empty()) {
      return Status::invalid_argument(where(it->first) + "\"" + key + "." + k +
                                      "\" must be a single value");
    }
    out[k] = it->second.Scalar();
  }
  return Status::ok();
}

// pagerduty: { integrations: { ROUTING_KEY: { team: T, labels: {k: v} } } }.
// Messages never show a whole routing key.
Status load_pagerduty(const YAML::Node& n, Config& c) {
  if (!n.IsMap()) {
    return Status::invalid_argument(
        where(n) + "\"pagerduty.integrations\" must be a mapping of routing key: {team, labels}");
  }
  for (auto it = n.begin(); it != n.end(); ++it) {
    const std::string key = it->first.as<std::string>();
    const std::string what = "pagerduty.integrations." + ingest::masked_routing_key(key);
    if (key.empty() || std::any_of(key.begin(), key.end(), [](unsigned char ch) {
          return std::isspace(ch) || std::iscntrl(ch);
        })) {
      return Status::invalid_argument(where(it->first) + "\"" + what +
                                      "\": a routing key is one word, without spaces");
    }
    ingest::PagerDutyIntegration integration;
    const YAML::Node v = it->second;
    if (!v.IsNull()) {
      if (!v.IsMap())
        return Status::invalid_argument(where(v) + "\"" + what +
                                        "\" must be a mapping with team and labels");
      for (auto k = v.begin(); k != v.end(); ++k) {
        const std::string name = k->first.as<std::string>();
        if (name == "team") {
          auto t = scalar(k->second, what + ".team");
          if (!t) return t.error();
          integration.team = *t;
        } else if (name == "labels") {
          if (Status s = string_pairs(k->second, what + ".labels", integration.labels); !s)
            return s;
        } else {
          return unknown(k->first, what + ".", {"team", "labels"});
        }
      }
    }
    c.pagerduty_integrations[key] = std::move(integration);
  }
  return Status::ok();
}

// Source names the built-in inputs use: a JSON source must not pass for one.
const std::vector<std::string> kBuiltInSources = {"syslog",  "snmp",      "alertmanager",
                                                  "grafana", "pagerduty", "api"};

// One path or a list of paths (tried in order), each a valid JSON pointer.
Result<ingest::JsonPaths> json_paths(const YAML::Node& n, const std::string& key) {
  ingest::JsonPaths out;
  if (n.IsScalar()) {
    out.push_back(n.Scalar());
  } else if (n.IsSequence() && n.size() > 0) {
    for (const YAML::Node& e : n) {
      if (!e.IsScalar())
        return Status::invalid_argument(where(e) + "\"" + key + "\" must be a list of paths");
      out.push_back(e.Scalar());
    }
  } else {
    return Status::invalid_argument(
        where(n) + "\"" + key + "\" must be a JSON pointer (\"/alert/title\") or a list of them");
  }
  for (const std::string& p : out) {
    if (Status s = ingest::check_json_path(p); !s)
      return Status::invalid_argument(where(n) + "\"" + key + "\": " + s.message());
  }
  return out;
}

// labels / annotations: { name: path(s), "*": path(s) to spread }.
Status named_paths(const YAML::Node& n, const std::string& key,
                   std::vector<std::pair<std::string, ingest::JsonPaths>>& named,
                   ingest::JsonPaths& spread) {
  if (!n.IsMap()) {
    return Status::invalid_argument(where(n) + "\"" + key +
                                    "\" must be a mapping of name: JSON pointer");
  }
  for (auto it = n.begin(); it != n.end(); ++it) {
    const std::string name = it->first.as<std::string>();
    auto paths = json_paths(it->second, key + "." + name);
    if (!paths) return paths.error();
    if (name == "*") {
      spread = std::move(paths).value();
    } else {
      named.emplace_back(name, std::move(paths).value());
    }
  }
  return Status::ok();
}

Status load_json_source(const YAML::Node& n, const std::string& name, const std::string& base_dir,
                        ingest::JsonMapping& m, Config& c) {
  const std::string what = "json_sources." + name;
  if (!n.IsMap())
    return Status::invalid_argument(where(n) + "\"" + what + "\" must be a mapping of field: path");
  static const std::vector<std::string> keys = {"host",
                                                "message",
                                                "app",
                                                "msgid",
                                                "time",
                                                "fingerprint",
                                                "severity",
                                                "status",
                                                "labels",
                                                "annotations",
                                                "items",
                                                "hmac_secret",
                                                "hmac_secret_file",
                                                "hmac_secret_env",
                                                "hmac_header"};
  m.source = name;
  for (auto it = n.begin(); it != n.end(); ++it) {
    const std::string k = it->first.as<std::string>();
    if (std::find(keys.begin(), keys.end(), k) == keys.end())
      return unknown(it->first, what + ".", keys);
    const YAML::Node v = it->second;
    const std::string at = what + "." + k;
    auto assign = [&](ingest::JsonPaths& target) -> Status {
      auto p = json_paths(v, at);
      if (!p) return p.error();
      target = std::move(p).value();
      return Status::ok();
    };
    Status s = Status::ok();
    if (k == "host") s = assign(m.host);
    if (k == "message") s = assign(m.message);
    if (k == "app") s = assign(m.app);
    if (k == "msgid") s = assign(m.msgid);
    if (k == "time") s = assign(m.time);
    if (k == "fingerprint") s = assign(m.fingerprint);
    if (k == "items") s = assign(m.items);
    if (k == "labels") s = named_paths(v, at, m.labels, m.labels_spread);
    if (k == "annotations") s = named_paths(v, at, m.annotations, m.annotations_spread);
    if (k == "severity") {
      if (!v.IsMap()) {
        s = assign(m.severity);
      } else {
        for (auto e = v.begin(); e != v.end(); ++e) {
          const std::string sk = e->first.as<std::string>();
          if (sk == "pointer") {
            auto p = json_paths(e->second, at + ".pointer");
            if (!p) return p.error();
            m.severity = std::move(p).value();
          } else if (sk == "map") {
            if (!e->second.IsMap())
              return Status::invalid_argument(where(e->second) + "\"" + at +
                                              ".map\" must be a mapping of value: severity");
            for (auto x = e->second.begin(); x != e->second.end(); ++x) {
              const std::string to = x->second.IsScalar() ? x->second.Scalar() : "";
              if (!parse_severity(to)) {
                return Status::invalid_argument(
                    where(x->second) + "\"" + at + ".map." + x->first.as<std::string>() +
                    "\" is \"" + to +
                    "\", expected emergency, alert, critical, error, warning, notice, info or "
                    "debug");
              }
              m.severity_map.emplace_back(x->first.as<std::string>(), to);
            }
          } else {
            return unknown(e->first, at + ".", {"pointer", "map"});
          }
        }
        if (m.severity.empty())
          return Status::invalid_argument(where(v) + "\"" + at + "\" needs a \"pointer\"");
      }
    }
    if (k == "status") {
      if (!v.IsMap()) {
        s = assign(m.status);
      } else {
        for (auto e = v.begin(); e != v.end(); ++e) {
          const std::string sk = e->first.as<std::string>();
          if (sk == "pointer") {
            auto p = json_paths(e->second, at + ".pointer");
            if (!p) return p.error();
            m.status = std::move(p).value();
          } else if (sk == "resolved") {
            auto list = string_list(e->second, at + ".resolved");
            if (!list) return list.error();
            if (list->empty())
              return Status::invalid_argument(where(e->second) + "\"" + at +
                                              ".resolved\" must list at least one value");
            m.resolved_values = std::move(list).value();
          } else {
            return unknown(e->first, at + ".", {"pointer", "resolved"});
          }
        }
        if (m.status.empty())
          return Status::invalid_argument(where(v) + "\"" + at + "\" needs a \"pointer\"");
      }
    }
    if (!s) return s;
  }
  if (m.message.empty()) {
    return Status::invalid_argument(where(n) + "\"" + what +
                                    "\" needs a \"message\" path (every event needs a message)");
  }
  if (n["hmac_secret"] || n["hmac_secret_file"] || n["hmac_secret_env"]) {
    api::WebhookSignature sig;
    sig.endpoint = what;
    auto secret = load_secret(n, "hmac_secret", base_dir, what);
    if (!secret) return secret.error();
    sig.secret = *secret;
    if (sig.secret.size() < 16) {
      return Status::invalid_argument(where(n) + what +
                                      ": the HMAC secret must be at least 16 characters");
    }
    if (n["hmac_header"]) sig.header = n["hmac_header"].as<std::string>();
    c.signatures.push_back(std::move(sig));
  } else if (n["hmac_header"]) {
    return Status::invalid_argument(where(n["hmac_header"]) + what +
                                    ": hmac_header needs hmac_secret, hmac_secret_file or "
                                    "hmac_secret_env");
  }
  return Status::ok();
}

// json_sources: { NAME: mapping }; NAME is the URL's {source} and the
// events' `source`.
Status load_json_sources(const YAML::Node& n, const std::string& base_dir, Config& c) {
  if (!n.IsMap()) {
    return Status::invalid_argument(where(n) +
                                    "\"json_sources\" must be a mapping of source name: mapping");
  }
  for (auto it = n.begin(); it != n.end(); ++it) {
    const std::string name = it->first.as<std::string>();
    const bool word = !name.empty() && name.size() <= 64 &&
                      std::all_of(name.begin(), name.end(), [](unsigned char ch) {
                        return std::islower(ch) || std::isdigit(ch) || ch == '-' || ch == '_';
                      });
    if (!word) {
      return Status::invalid_argument(
          where(it->first) + "json source name \"" + name +
          "\" must be 1 to 64 lower-case letters, digits, - or _ (it is a URL path segment)");
    }
    if (std::find(kBuiltInSources.begin(), kBuiltInSources.end(), name) != kBuiltInSources.end()) {
      return Status::invalid_argument(where(it->first) + "json source name \"" + name +
                                      "\" is the source of a built-in input; choose another name");
    }
    ingest::JsonMapping m;
    if (Status s = load_json_source(it->second, name, base_dir, m, c); !s) return s;
    c.json_sources[name] = std::move(m);
  }
  return Status::ok();
}

// `when:` of a backend or notification target: type, priority, team lists.
Status load_matcher(const YAML::Node& n, const std::string& what, connectors::TicketMatcher& m) {
  if (!n.IsMap())
    return Status::invalid_argument(where(n) + what +
                                    ".when must be a mapping of type, priority, team");
  const std::vector<std::string> keys = {"type", "priority", "team"};
  for (auto it = n.begin(); it != n.end(); ++it) {
    const std::string k = it->first.as<std::string>();
    if (std::find(keys.begin(), keys.end(), k) == keys.end())
      return unknown(it->first, what + ".when.", keys);
    auto values = string_list(it->second, what + ".when." + k);
    if (!values) return values.error();
    for (const std::string& v : *values) {
      if (k == "type") {
        auto t = parse_ticket_type(v);
        if (!t)
          return Status::invalid_argument(where(it->second) + what + ".when.type: \"" + v +
                                          "\" is not incident, service_request, problem or change");
        m.types.push_back(*t);
      } else if (k == "priority") {
        auto p = parse_priority(v);
        if (!p)
          return Status::invalid_argument(where(it->second) + what + ".when.priority: \"" + v +
                                          "\" is not P1..P5");
        m.priorities.push_back(*p);
      } else {
        m.teams.push_back(v);
      }
    }
  }
  return Status::ok();
}

// backends: / notifications: entries. Keys every entry has are read here;
// the rest go to the connector, which refuses what it does not know.
// Credentials come only from `<name>_file` or `<name>_env`.
Status load_targets(const YAML::Node& list, const std::string& section, const std::string& base_dir,
                    Config& c) {
  if (!list.IsSequence())
    return Status::invalid_argument(where(list) + "\"" + section + "\" must be a list");
  const bool notifications = section == "notifications";
  auto& out = notifications ? c.notifications : c.backends;
  const std::vector<std::string> secret_names = {"token",      "password", "api_key", "app_token",
                                                 "user_token", "secret",   "url"};
  auto http = connectors::make_curl_client({});  // for validation; nothing is sent
  size_t index = 0;
  for (const YAML::Node& n : list) {
    const std::string at = section + "[" + std::to_string(index++) + "]";
    if (!n.IsMap()) return Status::invalid_argument(where(n) + at + " must be a mapping");
    connectors::BackendConfig b;
    if (!n["name"] || !n["name"].IsScalar() || n["name"].Scalar().empty())
      return Status::invalid_argument(where(n) + at + " needs a \"name\"");
    b.name = n["name"].Scalar();
    const bool plain =
        b.name.size() <= 64 && std::all_of(b.name.begin(), b.name.end(), [](char ch) {
          return std::islower(static_cast<unsigned char>(ch)) ||
                 std::isdigit(static_cast<unsigned char>(ch)) || ch == '-' || ch == '_';
        });
    if (!plain)
      return Status::invalid_argument(where(n["name"]) + at + ": name \"" + b.name +
                                      "\" must be 1 to 64 lower-case letters, digits, - or _");
    for (const auto* other : {&c.backends, &c.notifications}) {
      for (const auto& o : *other) {
        if (o.name == b.name)
          return Status::invalid_argument(
              where(n["name"]) + at + ": name \"" + b.name +
              "\" is used twice (backends and notifications share names)");
      }
    }
    const std::string what = section + " " + b.name;
    if (!n["kind"] || !n["kind"].IsScalar())
      return Status::invalid_argument(
          where(n) + what + " needs a \"kind\" (" +
          (notifications ? "webhook or email"
                         : "jira, servicenow, rt, zammad, redmine, glpi or webhook") +
          ")");
    b.kind = n["kind"].Scalar();
    for (auto it = n.begin(); it != n.end(); ++it) {
      const YAML::Node key = it->first;
      const YAML::Node v = it->second;
      const std::string k = key.as<std::string>();
      auto ends_with = [&](const char* suffix) {
        const std::string sfx = suffix;
        return k.size() > sfx.size() && k.compare(k.size() - sfx.size(), sfx.size(), sfx) == 0;
      };
      if (k == "name" || k == "kind") continue;
      // Keys read here are scalars (or the mappings below); a list or a
      // mapping where a word belongs is named, not "bad conversion".
      const bool structured = k == "when" || k == "map" || k == "on" || k == "to" || k == "body" ||
                              k == "headers" || k == "labels";
      if (!structured && (ends_with("_file") || ends_with("_env") || k == "url" ||
                          k == "key_prefix" || k == "ca_file" || k == "verify_tls")) {
        if (!v.IsScalar())
          return Status::invalid_argument(where(v) + what + "." + k + " must be a single value");
      }
      if (k == "url") {
        b.url = v.as<std::string>();
        while (!b.url.empty() && b.url.back() == '/' && b.url.find("://") + 3 < b.url.size() - 1)
          b.url.pop_back();
      } else if (k == "when") {
        if (Status s = load_matcher(v, what, b.when); !s) return s;
      } else if (k == "map") {
        if (!v.IsMap())
          return Status::invalid_argument(where(v) + what + ".map must be a mapping of tables");
        for (auto t = v.begin(); t != v.end(); ++t) {
          if (!t->second.IsMap())
            return Status::invalid_argument(where(t->second) + what + ".map." +
                                            t->first.as<std::string>() + " must be a mapping");
          const std::string table_name = t->first.as<std::string>();
          auto& table = b.map[table_name];
          for (auto e = t->second.begin(); e != t->second.end(); ++e) {
            const YAML::Node value = e->second;
            if (!value.IsScalar())
              return Status::invalid_argument(where(value) + what + ".map." + table_name + "." +
                                              e->first.as<std::string>() +
                                              " must be a single value");
            table[e->first.as<std::string>()] = value.Scalar();
          }
        }
      } else if (k == "timeout" || k == "comment_interval") {
        auto d = duration(v, what + "." + k);
        if (!d) return d.error();
        (k == "timeout" ? b.timeout : b.comment_interval) = *d;
      } else if (k == "poll_interval") {
        if (v.IsScalar() && (v.Scalar() == "0" || v.Scalar() == "off")) {
          b.poll_interval = Duration{};
        } else {
          auto d = duration(v, what + "." + k);
          if (!d) return d.error();
          b.poll_interval = *d;
        }
      } else if (k == "key_prefix") {
        b.key_prefix = v.as<std::string>();
      } else if (k == "verify_tls") {
        if (!v.IsScalar() || (v.Scalar() != "true" && v.Scalar() != "false"))
          return Status::invalid_argument(where(v) + what + ".verify_tls must be true or false");
        b.verify_tls = v.Scalar() == "true";
      } else if (k == "ca_file") {
        b.ca_file = resolve(base_dir, v.as<std::string>());
      } else if (k == "on" && notifications) {
        auto values = string_list(v, what + ".on");
        if (!values) return values.error();
        for (const std::string& e : *values) {
          if (e != "opened" && e != "escalated" && e != "resolved")
            return Status::invalid_argument(where(v) + what + ".on: \"" + e +
                                            "\" is not opened, escalated or resolved");
        }
        b.on = *values;
      } else if (ends_with("_file") || ends_with("_env")) {
        const std::string name = k.substr(0, k.rfind('_'));
        if (std::find(secret_names.begin(), secret_names.end(), name) == secret_names.end()) {
          b.settings[k] = yaml_to_json(v);  // not a credential: the connector decides
          continue;
        }
        if (n[name + "_file"] && n[name + "_env"])
          return Status::invalid_argument(where(key) + what + ": set " + name + "_file or " + name +
                                          "_env, not both");
        auto secret = load_secret(n, name, base_dir, what);
        if (!secret) return secret.error();
        // An empty file (or /dev/null, or a directory) would silently turn
        // a signature or a login off.
        if (secret->empty())
          return Status::invalid_argument(where(key) + what + ": " + k + " gives an empty " + name);
        b.secrets[name] = *secret;
      } else if (std::find(secret_names.begin(), secret_names.end(), k) != secret_names.end() &&
                 k != "url") {
        return Status::invalid_argument(where(key) + what + ": put the " + k + " in " + k +
                                        "_file or " + k + "_env, not in the config file");
      } else {
        b.settings[k] = yaml_to_json(v);
      }
    }
    const bool email = notifications && b.kind == "email";
    if (!email && !b.url.empty() && b.url.rfind("http://", 0) != 0 &&
        b.url.rfind("https://", 0) != 0)
      return Status::invalid_argument(where(n) + what + ": url \"" + b.url +
                                      "\" must start with http:// or https://");
    // The key goes where only plain words are allowed (a Jira label, a
    // Zammad tag, a GLPI title's bracket).
    const bool plain_prefix = !b.key_prefix.empty() && b.key_prefix.size() <= 32 &&
                              std::all_of(b.key_prefix.begin(), b.key_prefix.end(), [](char ch) {
                                return std::islower(static_cast<unsigned char>(ch)) ||
                                       std::isdigit(static_cast<unsigned char>(ch)) || ch == '-';
                              });
    if (!plain_prefix)
      return Status::invalid_argument(
          where(n) + what + ".key_prefix must be 1 to 32 lower-case letters, digits or -");
    Status valid = Status::ok();
    if (notifications) {
      auto made = connectors::make_notifier(b, *http);
      if (!made) valid = made.error();
    } else {
      auto made = connectors::make_connector(b, *http);
      if (!made) valid = made.error();
    }
    if (!valid) return Status::invalid_argument(where(n) + valid.message());
    out.push_back(std::move(b));
  }
  return Status::ok();
}

// snmp.users: SNMPv3 USM users. Passphrases come from *_passphrase_file,
// *_passphrase_env or *_passphrase and are never logged.
Status load_snmp_users(const YAML::Node& list, const std::string& base_dir, Config& c) {
  if (!list.IsSequence())
    return Status::invalid_argument(where(list) + "\"snmp.users\" must be a list");
  const std::vector<std::string> keys = {"name",
                                         "auth",
                                         "auth_passphrase",
                                         "auth_passphrase_file",
                                         "auth_passphrase_env",
                                         "priv",
                                         "priv_passphrase",
                                         "priv_passphrase_file",
                                         "priv_passphrase_env",
                                         "engine_id"};
  for (const YAML::Node& u : list) {
    if (!u.IsMap())
      return Status::invalid_argument(where(u) + "each of \"snmp.users\" must be a mapping");
    for (auto it = u.begin(); it != u.end(); ++it) {
      if (std::find(keys.begin(), keys.end(), it->first.as<std::string>()) == keys.end()) {
        return unknown(it->first, "snmp.users[].", keys);
      }
    }
    ingest::SnmpUser user;
    if (!u["name"]) return Status::invalid_argument(where(u) + "snmp user needs a \"name\"");
    user.name = u["name"].as<std::string>();
    const std::string what = "snmp user \"" + user.name + "\"";
    if (u["auth"]) {
      auto a = ingest::parse_snmp_auth_protocol(u["auth"].as<std::string>());
      if (!a) return Status::invalid_argument(where(u["auth"]) + what + ": " + a.error().message());
      user.auth = *a;
    }
    if (u["priv"]) {
      auto p = ingest::parse_snmp_priv_protocol(u["priv"].as<std::string>());
      if (!p) return Status::invalid_argument(where(u["priv"]) + what + ": " + p.error().message());
      user.priv = *p;
    }
    auto auth = load_secret(u, "auth_passphrase", base_dir, what);
    if (!auth) return auth.error();
    user.auth_passphrase = *auth;
    auto priv = load_secret(u, "priv_passphrase", base_dir, what);
    if (!priv) return priv.error();
    user.priv_passphrase = *priv;
    if (u["engine_id"]) {
      auto id = ingest::parse_snmp_engine_id(u["engine_id"].as<std::string>());
      if (!id)
        return Status::invalid_argument(where(u["engine_id"]) + what +
                                        ": engine_id: " + id.error().message());
      user.engine_id = *id;
    }
    c.snmp_users.push_back(std::move(user));
  }
  return Status::ok();
}

Status load_tokens(const YAML::Node& list, const std::string& base_dir, Config& c) {
  if (!list.IsSequence())
    return Status::invalid_argument(where(list) + "\"api.tokens\" must be a list");
  const std::vector<std::string> keys = {"name",       "role",      "token",
                                         "token_file", "token_env", "token_sha256"};
  std::vector<int> lines;  // of each token in c.tokens
  for (const YAML::Node& t : list) {
    if (!t.IsMap())
      return Status::invalid_argument(where(t) + "each of \"api.tokens\" must be a mapping");
    for (auto it = t.begin(); it != t.end(); ++it) {
      if (std::find(keys.begin(), keys.end(), it->first.as<std::string>()) == keys.end()) {
        return unknown(it->first, "api.tokens[].", keys);
      }
    }
    api::ApiToken tok;
    if (!t["name"]) return Status::invalid_argument(where(t) + "api token needs a \"name\"");
    tok.name = t["name"].as<std::string>();
    // The name is what the audit trail shows: one plain word.
    const bool plain = !tok.name.empty() && tok.name.size() <= 64 &&
                       std::all_of(tok.name.begin(), tok.name.end(), [](char ch) {
                         return std::isalnum(static_cast<unsigned char>(ch)) || ch == '-' ||
                                ch == '_' || ch == '.' || ch == '@' || ch == ':';
                       });
    if (!plain) {
      return Status::invalid_argument(where(t["name"]) + "api token name \"" + tok.name +
                                      "\" must be 1 to 64 letters, digits or - _ . @ :");
    }
    const std::string role = t["role"] ? t["role"].as<std::string>() : "";
    if (role == "ingest")
      tok.role = api::Role::kIngest;
    else if (role == "read")
      tok.role = api::Role::kRead;
    else if (role == "write")
      tok.role = api::Role::kWrite;
    else if (role == "admin")
      tok.role = api::Role::kAdmin;
    else {
      return Status::invalid_argument(where(t) + "api token \"" + tok.name + "\": role is \"" +
                                      role + "\", expected ingest, read, write or admin");
    }
    // One source of the secret: inline, a file, the environment, or only its
    // SHA-256 (token_sha256), so the configuration need not hold the secret.
    int sources = 0;
    for (const char* k : {"token", "token_file", "token_env", "token_sha256"})
      sources += t[k] ? 1 : 0;
    if (sources != 1) {
      return Status::invalid_argument(
          where(t) + "api token \"" + tok.name +
          "\" needs exactly one of token_file, token_env, token_sha256 or token");
    }
    if (const YAML::Node h = t["token_sha256"]) {
      auto digest = api::digest_from_hex(h.as<std::string>());
      if (!digest) {
        return Status::invalid_argument(
            where(h) + "api token \"" + tok.name +
            "\": token_sha256 must be 64 hex digits (sha256sum of the secret, without newline)");
      }
      tok.digest = *digest;
    } else {
      auto secret = load_secret(t, "token", base_dir, "api token \"" + tok.name + "\"");
      if (!secret) return secret.error();
      if (secret->size() < 16) {
        return Status::invalid_argument(
            where(t) + "api token \"" + tok.name +
            "\": the secret must be at least 16 characters (set token_file, token_env or token)");
      }
      tok.digest = api::token_digest(*secret);  // the secret itself is not kept
    }
    // A secret names one token: a second token with it would be ambiguous
    // (which role?). Name both entries, never the secret.
    for (size_t i = 0; i < c.tokens.size(); ++i) {
      const std::string other =
          "api token \"" + c.tokens[i].name + "\" (line " + std::to_string(lines[i]) + ")";
      if (c.tokens[i].name == tok.name) {
        return Status::invalid_argument(where(t) + "api token name \"" + tok.name +
                                        "\" is also used by " + other +
                                        ": token names must be unique");
      }
      if (c.tokens[i].digest == tok.digest) {
        return Status::invalid_argument(where(t) + "api token \"" + tok.name +
                                        "\" has the same secret as " + other +
                                        ": each token needs its own secret");
      }
    }
    lines.push_back(t.Mark().line + 1);
    c.tokens.push_back(std::move(tok));
  }
  return Status::ok();
}

// root[a][b], or an undefined node when either is missing (yaml-cpp throws
// when indexing a missing node).
YAML::Node child(const YAML::Node& root, const char* a, const char* b) {
  const YAML::Node first = root[a];
  if (!first || !first.IsMap()) return YAML::Node(YAML::NodeType::Undefined);
  return first[b];
}

constexpr size_t kMaxBodyBytes = size_t{1} << 30;            // http.max_body_bytes
constexpr size_t kMaxSyslogMessageBytes = size_t{16} << 20;  // syslog.max_message_bytes

// A listen host as bytes, for loopback and overlap checks: IPv4-mapped IPv6
// addresses count as IPv4, "localhost" as 127.0.0.1 (as in net/listen.hpp).
struct IpAddress {
  bool v6 = false;
  std::array<unsigned char, 16> bytes{};  // IPv4 in the first 4
  bool any() const {
    return std::all_of(bytes.begin(), bytes.begin() + (v6 ? 16 : 4),
                       [](unsigned char b) { return b == 0; });
  }
  bool operator==(const IpAddress&) const = default;
};

bool parse_ip(const std::string& host, IpAddress& out) {
  out = IpAddress();
  if (host == "localhost") {
    out.bytes = {127, 0, 0, 1};
    return true;
  }
  if (inet_pton(AF_INET, host.c_str(), out.bytes.data()) == 1) return true;
  const std::string bare = host.substr(0, host.find('%'));  // fe80::1%eth0
  if (bare.empty() || inet_pton(AF_INET6, bare.c_str(), out.bytes.data()) != 1) return false;
  out.v6 = true;
  static constexpr unsigned char kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (std::memcmp(out.bytes.data(), kMapped, sizeof kMapped) == 0) {
    std::memmove(out.bytes.data(), out.bytes.data() + 12, 4);
    std::fill(out.bytes.begin() + 4, out.bytes.end(), 0);
    out.v6 = false;
  }
  return true;
}

// Would binding both fail? The same address, or a wildcard of the same
// family; "::" is dual-stack on Linux, so it also takes IPv4 addresses.
bool overlaps(const IpAddress& a, const IpAddress& b) {
  if (a == b) return true;
  auto covers = [](const IpAddress& wild, const IpAddress& other) {
    return wild.any() && (wild.v6 || !other.v6);
  };
  return covers(a, b) || covers(b, a);
}

// Every listener parses as the listeners will parse it (a literal address or
// localhost, names are not resolved), and no two TCP listeners share a port.
// UDP and TCP on the same port are fine.
Status check_listeners(const Config& c) {
  struct Listener {
    std::string key;
    const std::string* text;
    bool tcp;
    IpAddress ip;
    uint16_t port = 0;
  };
  std::vector<Listener> all = {
      {"listen.http", &c.http_listen, true, {}, 0},
      {"listen.syslog_udp", &c.syslog_udp_listen, false, {}, 0},
      {"listen.syslog_tcp", &c.syslog_tcp_listen, true, {}, 0},
      // started only with a certificate
      {"listen.syslog_tls", &c.syslog_tls_listen, !c.syslog_tls_cert.empty(), {}, 0},
      {"listen.syslog_relp", &c.syslog_relp_listen, true, {}, 0},
      {"listen.snmp", &c.snmp_listen, false, {}, 0}};
  for (Listener& l : all) {
    if (l.text->empty()) continue;
    std::string host;
    if (Status s = split_host_port(*l.text, host, l.port); !s) {
      return Status::invalid_argument(where(c, l.key) + "\"" + l.key + "\": " + s.message());
    }
    if (!parse_ip(host, l.ip)) {
      return Status::invalid_argument(
          where(c, l.key) + "\"" + l.key + "\": invalid listen address \"" + *l.text +
          "\": the host must be an IP address or localhost (names are not resolved)");
    }
  }
  for (size_t i = 0; i < all.size(); ++i) {
    for (size_t j = 0; j < i; ++j) {
      const Listener* a = &all[j];
      const Listener* b = &all[i];
      if (!a->tcp || !b->tcp || a->text->empty() || b->text->empty() || a->port == 0 ||
          a->port != b->port)
        continue;
      if (!overlaps(a->ip, b->ip)) continue;
      // Lead with the later key the file sets; the other may be a default.
      if (where(c, b->key).empty()) std::swap(a, b);
      const std::string a_where = where(c, a->key);
      return Status::invalid_argument(
          where(c, b->key) + "\"" + b->key + "\" " + *b->text + " overlaps \"" + a->key + "\" " +
          *a->text +
          (a_where.empty() ? " (default)" : " (" + a_where.substr(0, a_where.size() - 2) + ")") +
          ": two TCP listeners cannot share a port");
    }
  }
  return Status::ok();
}

Status duplicate(const YAML::Node& key, const std::string& name, int first_line) {
  return Status::invalid_argument(where(key) + "duplicate config key \"" + name +
                                  "\" (first set at line " + std::to_string(first_line) + ")");
}

Status load_root(const YAML::Node& root, const std::string& base_dir, Config& c) {
  if (root.IsNull()) return Status::ok();
  if (!root.IsMap()) return Status::invalid_argument("config must be a YAML mapping");
  for (auto it = root.begin(); it != root.end(); ++it) {
    const std::string key = it->first.as<std::string>();
    if (std::find(kTopKeys.begin(), kTopKeys.end(), key) == kTopKeys.end())
      return unknown(it->first, "", kTopKeys);
    // YAML parsers keep one of two equal keys silently; an override appended
    // at the end of the file must not be ignored without a word.
    if (c.key_lines.count(key)) return duplicate(it->first, key, c.key_lines[key]);
    c.key_lines[key] = it->first.Mark().line + 1;
    for (const Section& s : kSections) {
      if (key != s.name) continue;
      if (!it->second.IsMap())
        return Status::invalid_argument(where(it->second) + "\"" + key + "\" must be a mapping");
      for (auto sub = it->second.begin(); sub != it->second.end(); ++sub) {
        const std::string k = sub->first.as<std::string>();
        if (std::find(s.keys.begin(), s.keys.end(), k) == s.keys.end())
          return unknown(sub->first, key + ".", s.keys);
        if (c.key_lines.count(key + "." + k))
          return duplicate(sub->first, key + "." + k, c.key_lines[key + "." + k]);
        c.key_lines[key + "." + k] = sub->first.Mark().line + 1;
      }
    }
  }
#define TRY_ASSIGN(target, expr) \
  do {                           \
    auto r_ = (expr);            \
    if (!r_) return r_.error();  \
    target = *r_;                \
  } while (0)
  if (auto n = child(root, "listen", "http")) TRY_ASSIGN(c.http_listen, scalar(n, "listen.http"));
  if (auto n = root["rules_dir"]) TRY_ASSIGN(c.rules_dir, scalar(n, "rules_dir"));
  if (auto n = root["default_rule"]) TRY_ASSIGN(c.default_rule, scalar(n, "default_rule"));
  for (auto [key, target] :
       {std::pair<const char*, std::string*>{"syslog_udp", &c.syslog_udp_listen},
        {"syslog_tcp", &c.syslog_tcp_listen},
        {"syslog_tls", &c.syslog_tls_listen},
        {"syslog_relp", &c.syslog_relp_listen},
        {"snmp", &c.snmp_listen}}) {
    auto n = child(root, "listen", key);
    if (!n) continue;
    if (n.IsNull()) {
      target->clear();
      continue;
    }
    TRY_ASSIGN(*target, scalar(n, std::string("listen.") + key));
    if (*target == "off" || *target == "false") target->clear();
  }
  if (auto n = child(root, "syslog", "max_message_bytes")) {
    TRY_ASSIGN(c.syslog_max_message_bytes,
               byte_size(n, "syslog.max_message_bytes", kMaxSyslogMessageBytes));
    if (c.syslog_max_message_bytes < 480) {
      return Status::invalid_argument(
          where(n) + "\"syslog.max_message_bytes\" must be at least 480 (RFC 5424)");
    }
  }
  if (auto n = child(root, "syslog", "max_connections"))
    TRY_ASSIGN(c.syslog_max_connections, count(n, "syslog.max_connections", 1));
  if (auto n = child(root, "syslog", "idle_timeout"))
    TRY_ASSIGN(c.syslog_idle_timeout, duration(n, "syslog.idle_timeout"));
  if (auto n = child(root, "syslog", "tls_cert"))
    TRY_ASSIGN(c.syslog_tls_cert, scalar(n, "syslog.tls_cert"));
  if (auto n = child(root, "syslog", "tls_key"))
    TRY_ASSIGN(c.syslog_tls_key, scalar(n, "syslog.tls_key"));
  if (auto n = child(root, "syslog", "max_connections_per_peer")) {
    TRY_ASSIGN(c.syslog_max_connections_per_peer, count(n, "syslog.max_connections_per_peer", 0));
  }
  if (auto n = child(root, "syslog", "first_byte_timeout")) {
    TRY_ASSIGN(c.syslog_first_byte_timeout, duration(n, "syslog.first_byte_timeout"));
  }
  if (auto n = child(root, "syslog", "udp_receive_buffer"))
    TRY_ASSIGN(c.syslog_udp_receive_buffer,
               byte_size(n, "syslog.udp_receive_buffer", size_t{1} << 30));
  if (c.syslog_tls_cert.empty() != c.syslog_tls_key.empty()) {
    return Status::invalid_argument(
        where(c, c.syslog_tls_cert.empty() ? "syslog.tls_key" : "syslog.tls_cert") +
        "syslog TLS needs both syslog.tls_cert and syslog.tls_key");
  }
  if (auto n = child(root, "store", "kind")) {
    std::string kind;
    TRY_ASSIGN(kind, scalar(n, "store.kind"));
    if (kind != "sqlite") {
      return Status::invalid_argument(where(n) + "\"store.kind\" is \"" + kind +
                                      "\", this version supports: sqlite");
    }
  }
  if (auto n = child(root, "store", "path")) TRY_ASSIGN(c.store_path, scalar(n, "store.path"));
  if (auto n = child(root, "store", "event_retention"))
    TRY_ASSIGN(c.event_retention, duration(n, "store.event_retention"));
  if (auto n = child(root, "store", "readers"))
    TRY_ASSIGN(c.store_readers, count(n, "store.readers", 1, 64));
  if (auto n = child(root, "store", "busy_timeout"))
    TRY_ASSIGN(c.store_busy_timeout, duration(n, "store.busy_timeout"));
  if (auto n = child(root, "store", "sync")) {
    std::string sync;
    TRY_ASSIGN(sync, scalar(n, "store.sync"));
    if (sync != "full" && sync != "normal") {
      return Status::invalid_argument(where(n) + "\"store.sync\" is \"" + sync +
                                      "\": must be full or normal");
    }
    c.store_sync_full = sync == "full";
  }
  if (auto n = child(root, "queue", "capacity"))
    TRY_ASSIGN(c.queue_capacity, count(n, "queue.capacity", 1));
  if (auto n = child(root, "queue", "batch_max"))
    TRY_ASSIGN(c.batch_max, count(n, "queue.batch_max", 1));
  if (auto n = child(root, "http", "max_body_bytes"))
    TRY_ASSIGN(c.max_body_bytes, byte_size(n, "http.max_body_bytes", kMaxBodyBytes));
  if (auto n = child(root, "http", "read_timeout"))
    TRY_ASSIGN(c.http_read_timeout, duration(n, "http.read_timeout"));
  if (auto n = child(root, "http", "max_connections"))
    TRY_ASSIGN(c.http_max_connections, count(n, "http.max_connections", 1));
  if (auto n = child(root, "http", "max_connections_per_peer")) {
    TRY_ASSIGN(c.http_max_connections_per_peer, count(n, "http.max_connections_per_peer", 0));
  }
  if (auto n = child(root, "http", "header_timeout"))
    TRY_ASSIGN(c.http_header_timeout, duration(n, "http.header_timeout"));
  if (auto n = child(root, "http", "max_inflight_body_bytes")) {
    TRY_ASSIGN(c.http_max_inflight_body_bytes,
               byte_size(n, "http.max_inflight_body_bytes", size_t{16} << 30));
  }
  // SNMP traps: community allow-list, USM users, our engine ID (informs), MIB directories.
  auto strings = [](const YAML::Node& n,
                    const std::string& key) -> Result<std::vector<std::string>> {
    if (!n.IsSequence())
      return Status::invalid_argument(where(n) + "\"" + key + "\" must be a list");
    std::vector<std::string> out;
    for (const YAML::Node& v : n) {
      if (!v.IsScalar())
        return Status::invalid_argument(where(v) + "\"" + key + "\" must be a list of strings");
      out.push_back(v.as<std::string>());
    }
    return out;
  };
  if (auto n = child(root, "snmp", "communities"))
    TRY_ASSIGN(c.snmp_communities, strings(n, "snmp.communities"));
  if (auto n = child(root, "snmp", "mib_dirs")) {
    TRY_ASSIGN(c.snmp_mib_dirs, strings(n, "snmp.mib_dirs"));
    for (auto& d : c.snmp_mib_dirs) d = resolve(base_dir, d);
  }
  if (auto n = child(root, "snmp", "engine_id")) {
    std::string hex;
    TRY_ASSIGN(hex, scalar(n, "snmp.engine_id"));
    auto id = ingest::parse_snmp_engine_id(hex);
    if (!id)
      return Status::invalid_argument(where(n) + "\"snmp.engine_id\": " + id.error().message());
    c.snmp_engine_id = *id;
  }
  if (auto n = child(root, "snmp", "udp_receive_buffer")) {
    TRY_ASSIGN(c.snmp_udp_receive_buffer, byte_size(n, "snmp.udp_receive_buffer", size_t{1} << 30));
  }
  if (auto n = child(root, "snmp", "users")) {
    if (Status s = load_snmp_users(n, base_dir, c); !s) return s;
  }
  if (auto n = child(root, "log", "level")) {
    TRY_ASSIGN(c.log_level, scalar(n, "log.level"));
    const std::vector<std::string> levels = {"trace", "debug", "info", "warn", "error"};
    if (std::find(levels.begin(), levels.end(), c.log_level) == levels.end()) {
      return Status::invalid_argument(where(n) + "\"log.level\" is \"" + c.log_level +
                                      "\", expected trace, debug, info, warn or error");
    }
  }
#undef TRY_ASSIGN
  if (auto n = child(root, "api", "tokens")) {
    if (Status s = load_tokens(n, base_dir, c); !s) return s;
  }
  if (auto n = child(root, "api", "tls_cert")) {
    auto v = scalar(n, "api.tls_cert");
    if (!v) return v.error();
    c.api_tls_cert = *v;
  }
  if (auto n = child(root, "api", "tls_key")) {
    auto v = scalar(n, "api.tls_key");
    if (!v) return v.error();
    c.api_tls_key = *v;
  }
  if (c.api_tls_cert.empty() != c.api_tls_key.empty()) {
    return Status::invalid_argument(
        where(c, c.api_tls_cert.empty() ? "api.tls_key" : "api.tls_cert") +
        "HTTPS on the API needs both api.tls_cert and api.tls_key");
  }
  if (auto n = root["webhooks"]) {
    if (Status s = load_webhooks(n, base_dir, c); !s) return s;
  }
  if (auto n = child(root, "pagerduty", "integrations")) {
    if (Status s = load_pagerduty(n, c); !s) return s;
  }
  if (auto n = root["json_sources"]) {
    if (Status s = load_json_sources(n, base_dir, c); !s) return s;
  }
  if (auto n = root["backends"]) {
    if (Status s = load_targets(n, "backends", base_dir, c); !s) return s;
  }
  if (auto n = root["notifications"]) {
    if (Status s = load_targets(n, "notifications", base_dir, c); !s) return s;
  }
  for (auto [key, target] : {std::pair{"retry_first", &c.outbox.retry_first},
                             std::pair{"retry_max", &c.outbox.retry_max},
                             std::pair{"breaker_open", &c.outbox.breaker_open},
                             std::pair{"breaker_open_max", &c.outbox.breaker_open_max}}) {
    if (auto n = child(root, "outbox", key)) {
      auto d = duration(n, std::string("outbox.") + key);
      if (!d) return d.error();
      *target = *d;
    }
  }
  if (c.outbox.retry_first > c.outbox.retry_max)
    return Status::invalid_argument(where(c, "outbox.retry_first") +
                                    "outbox.retry_first is longer than outbox.retry_max");
  if (c.outbox.breaker_open > c.outbox.breaker_open_max)
    return Status::invalid_argument(where(c, "outbox.breaker_open") +
                                    "outbox.breaker_open is longer than outbox.breaker_open_max");
  if (auto n = child(root, "outbox", "breaker_failures")) {
    auto v = count(n, "outbox.breaker_failures", 1, 1000);
    if (!v) return v.error();
    c.outbox.breaker_failures = static_cast<int>(*v);
  }
  if (Status s = check_listeners(c); !s) return s;
  std::string host;
  uint16_t port = 0;
  if (Status s = split_host_port(c.http_listen, host, port); !s) return s;
  if (!is_loopback_host(host) && c.tokens.empty()) {
    return Status::invalid_argument(
        where(c, "listen.http") + "listen.http is " + c.http_listen +
        ", which is not loopback, and no api.tokens are configured: "
        "refusing to serve the API unauthenticated; add api.tokens or listen on 127.0.0.1");
  }
  return Status::ok();
}

}  // namespace

Result<size_t> parse_size(const std::string& text) {
  size_t i = 0;
  while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) ++i;
  if (i == 0)
    return Status::invalid_argument("invalid size \"" + text + "\", expected e.g. 1048576 or 1MiB");
  const std::string too_large = "size \"" + text + "\" is too large";
  constexpr unsigned long long kMax = std::numeric_limits<size_t>::max();
  unsigned long long n = 0;
  for (size_t d = 0; d < i; ++d) {
    const unsigned digit = static_cast<unsigned>(text[d] - '0');
    if (n > (kMax - digit) / 10) return Status::invalid_argument(too_large);
    n = n * 10 + digit;
  }
  std::string unit = text.substr(i);
  while (!unit.empty() && unit[0] == ' ') unit.erase(0, 1);
  unsigned long long mult = 1;
  if (unit.empty() || unit == "B")
    mult = 1;
  else if (unit == "KiB" || unit == "K" || unit == "KB" || unit == "k")
    mult = 1024;
  else if (unit == "MiB" || unit == "M" || unit == "MB")
    mult = 1024 * 1024;
  else if (unit == "GiB" || unit == "G" || unit == "GB")
    mult = 1024ull * 1024 * 1024;
  else
    return Status::invalid_argument("invalid size unit in \"" + text +
                                    "\", expected B, KiB, MiB or GiB");
  if (n == 0) return Status::invalid_argument("size \"" + text + "\" must be positive");
  if (n > kMax / mult) return Status::invalid_argument(too_large);
  return static_cast<size_t>(n * mult);
}

bool is_loopback_host(const std::string& host) {
  IpAddress ip;
  if (!parse_ip(host, ip)) return false;
  if (!ip.v6) return ip.bytes[0] == 127;
  static constexpr unsigned char kLoopback6[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  return std::memcmp(ip.bytes.data(), kLoopback6, 16) == 0;
}

bool is_listen_host(const std::string& host) {
  IpAddress ip;
  return parse_ip(host, ip);
}

Status split_host_port(const std::string& text, std::string& host, uint16_t& port) {
  std::string port_text;
  if (!text.empty() && text[0] == '[') {
    auto close = text.find(']');
    if (close == std::string::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return Status::invalid_argument("invalid listen address \"" + text +
                                      "\", expected [addr]:port");
    }
    host = text.substr(1, close - 1);
    port_text = text.substr(close + 2);
  } else {
    auto colon = text.rfind(':');
    if (colon == std::string::npos) {
      return Status::invalid_argument("invalid listen address \"" + text +
                                      "\", expected host:port");
    }
    host = text.substr(0, colon);
    port_text = text.substr(colon + 1);
  }
  try {
    size_t used = 0;
    int p = std::stoi(port_text, &used);
    if (used != port_text.size() || p < 0 || p > 65535) throw std::out_of_range("port");
    port = static_cast<uint16_t>(p);
  } catch (...) {
    return Status::invalid_argument("invalid port in listen address \"" + text + "\"");
  }
  if (host.empty())
    return Status::invalid_argument("missing host in listen address \"" + text + "\"");
  return Status::ok();
}

Result<Config> load_config_from_string(const std::string& text, const std::string& path) {
  Config c;
  c.path = path;
  const std::string base_dir = fs::path(path).parent_path().string();
  try {
    YAML::Node root = YAML::Load(text);
    if (Status s = load_root(root, base_dir, c); !s)
      return Status::invalid_argument(located(path, s.message()));
    c.rules_dir = resolve(base_dir, c.rules_dir);
    c.store_path = resolve(base_dir, c.store_path);
    c.syslog_tls_cert = resolve(base_dir, c.syslog_tls_cert);
    c.syslog_tls_key = resolve(base_dir, c.syslog_tls_key);
    c.api_tls_cert = resolve(base_dir, c.api_tls_cert);
    c.api_tls_key = resolve(base_dir, c.api_tls_key);
  } catch (const YAML::Exception& e) {
    return Status::invalid_argument(path + ":" + std::to_string(e.mark.line + 1) + ":" +
                                    std::to_string(e.mark.column + 1) + ": " + e.msg);
  }
  return c;
}

std::string Config::where(const std::string& key) const {
  auto it = key_lines.find(key);
  return it == key_lines.end() ? path + ": " : path + ":" + std::to_string(it->second) + ": ";
}

namespace {

std::string errno_text() { return std::strerror(errno); }

// fs::status() reports a missing path, or one under a regular file, as an error.
bool missing_path(const std::error_code& ec) {
  return ec == std::errc::no_such_file_or_directory || ec == std::errc::not_a_directory;
}

// The store opens (creating) its file and a -wal and -shm file beside it, and
// creates missing parent directories. Checked by doing the same with a probe
// file, then removing the probe and any directory created for it.
Status check_store_path(const Config& c) {
  const std::string prefix = c.where("store.path") + "\"store.path\" is \"" + c.store_path + "\": ";
  auto fail = [&](const std::string& what) { return Status::invalid_argument(prefix + what); };
  const fs::path db(c.store_path);
  std::error_code ec;
  const fs::file_status st = fs::status(db, ec);
  if (fs::exists(st)) {
    if (!fs::is_regular_file(st)) return fail("not a regular file");
    const int fd = ::open(db.c_str(), O_RDWR | O_CLOEXEC);
    if (fd < 0) return fail("cannot open it for writing: " + errno_text());
    char header[16];
    const ssize_t n = ::read(fd, header, sizeof header);
    ::close(fd);
    if (n != 0 && (n != 16 || std::memcmp(header, "SQLite format 3", 16) != 0))
      return fail("not a SQLite database");
  } else if (ec && !missing_path(ec)) {
    return fail("cannot access it: " + ec.message());
  }
  const fs::path dir = db.has_parent_path() ? db.parent_path() : fs::path(".");
  std::vector<fs::path> missing;  // deepest first
  fs::path existing = dir;
  for (;;) {
    const fs::file_status ds = fs::status(existing, ec);
    if (fs::exists(ds)) {
      if (!fs::is_directory(ds)) return fail(existing.string() + " is not a directory");
      break;
    }
    if (ec && !missing_path(ec))
      return fail("cannot access " + existing.string() + ": " + ec.message());
    missing.push_back(existing);
    if (!existing.has_parent_path() || existing.parent_path() == existing) break;
    existing = existing.parent_path();
  }
  std::vector<fs::path> created;
  auto clean_up = [&created] {
    std::error_code ignored;
    for (auto it = created.rbegin(); it != created.rend(); ++it) fs::remove(*it, ignored);
  };
  for (auto it = missing.rbegin(); it != missing.rend(); ++it) {
    if (::mkdir(it->c_str(), 0777) != 0) {
      const std::string reason = errno_text();
      clean_up();
      return fail("cannot create directory " + it->string() + ": " + reason);
    }
    created.push_back(*it);
  }
  const fs::path probe = dir / (".ticketd-check-" + std::to_string(::getpid()));
  const int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  const std::string reason = fd < 0 ? errno_text() : "";
  if (fd >= 0) {
    ::close(fd);
    ::unlink(probe.c_str());
  }
  clean_up();
  if (fd < 0) return fail("cannot create files in " + dir.string() + ": " + reason);
  return Status::ok();
}

// Loads the certificate and key as the TLS listener will (PEM, the key must
// match the certificate); no passphrase prompt. `section` is "syslog" or "api".
Status check_tls_files(const Config& c, const std::string& section, const std::string& cert_file,
                       const std::string& key_file) {
  const std::string cert_key = section + ".tls_cert";
  const std::string key_key = section + ".tls_key";
  auto open = [&](const char* key, const std::string& file, FILE** f) -> Status {
    *f = std::fopen(file.c_str(), "r");
    if (!*f)
      return Status::invalid_argument(c.where(key) + "\"" + key + "\" is \"" + file +
                                      "\": cannot read it: " + errno_text());
    return Status::ok();
  };
  ERR_clear_error();
  FILE* f = nullptr;
  if (Status s = open(cert_key.c_str(), cert_file, &f); !s) return s;
  X509* cert = PEM_read_X509(f, nullptr, nullptr, nullptr);
  std::fclose(f);
  if (!cert) {
    ERR_clear_error();
    return Status::invalid_argument(c.where(cert_key) + "\"" + cert_key + "\" is \"" + cert_file +
                                    "\": not a PEM certificate");
  }
  if (Status s = open(key_key.c_str(), key_file, &f); !s) {
    X509_free(cert);
    return s;
  }
  auto no_passphrase = [](char*, int, int, void*) { return -1; };
  EVP_PKEY* key = PEM_read_PrivateKey(f, nullptr, no_passphrase, nullptr);
  std::fclose(f);
  Status result;
  if (!key) {
    result = Status::invalid_argument(c.where(key_key) + "\"" + key_key + "\" is \"" + key_file +
                                      "\": not an unencrypted PEM private key");
  } else if (X509_check_private_key(cert, key) != 1) {
    result = Status::invalid_argument(c.where(key_key) + "\"" + key_key + "\" is \"" + key_file +
                                      "\": it does not match the certificate " + cert_file);
  }
  ERR_clear_error();  // OpenSSL's reasons vary by version; the message above says what is wrong
  EVP_PKEY_free(key);
  X509_free(cert);
  return result;
}

}  // namespace

Status check_environment(const Config& c) {
  std::error_code ec;
  if (!fs::exists(c.rules_dir, ec)) {
    return Status::invalid_argument(
        c.where("rules_dir") + "\"rules_dir\" is \"" + c.rules_dir +
        "\": " + (ec && !missing_path(ec) ? ec.message() : "no such directory"));
  }
  if (Status s = check_store_path(c); !s) return s;
  // As at start-up: MIB directories are read only with an SNMP listener.
  if (!c.snmp_listen.empty()) {
    for (const std::string& d : c.snmp_mib_dirs) {
      if (!fs::is_directory(d, ec)) {
        return Status::invalid_argument(c.where("snmp.mib_dirs") + "\"snmp.mib_dirs\": \"" + d +
                                        "\" is not a directory");
      }
    }
  }
  // As in run(): the TLS listener, and so its files, only with a certificate.
  if (!c.syslog_tls_cert.empty() && !c.syslog_tls_listen.empty()) {
    if (Status s = check_tls_files(c, "syslog", c.syslog_tls_cert, c.syslog_tls_key); !s) return s;
  }
  // HTTPS on the API: the same checks, naming api.tls_cert / api.tls_key.
  if (!c.api_tls_cert.empty() && !c.http_listen.empty()) {
    if (Status s = check_tls_files(c, "api", c.api_tls_cert, c.api_tls_key); !s) return s;
  }
  return Status::ok();
}

Result<Config> load_config(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::invalid_argument("cannot read config file " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  return load_config_from_string(ss.str(), path);
}

}  // namespace ticketd::daemon
