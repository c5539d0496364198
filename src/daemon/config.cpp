#include "ticketd/daemon/config.hpp"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <yaml-cpp/yaml.h>

#include "ticketd/rules/rule_set.hpp"

namespace ticketd::daemon {
namespace {

namespace fs = std::filesystem;

struct Section {
  const char* name;
  std::vector<std::string> keys;
};

const std::vector<std::string> kTopKeys = {"listen", "rules_dir", "default_rule", "store", "queue", "http", "syslog", "api", "webhooks", "log"};
const std::vector<Section> kSections = {
    {"listen", {"http", "syslog_udp", "syslog_tcp", "syslog_tls"}},
    {"syslog", {"max_message_bytes", "max_connections", "idle_timeout", "tls_cert", "tls_key",
                "max_connections_per_peer", "first_byte_timeout", "udp_receive_buffer"}},
    {"store", {"kind", "path", "event_retention", "busy_timeout"}},
    {"queue", {"capacity", "batch_max"}},
    {"http", {"max_body_bytes", "read_timeout", "max_connections",
              "max_connections_per_peer", "header_timeout", "max_inflight_body_bytes"}},
    {"api", {"tokens"}},
    {"log", {"level"}},
};

std::string where(const YAML::Node& n) {
  return "line " + std::to_string(n.Mark().line + 1) + ": ";
}

Status unknown(const YAML::Node& key, const std::string& prefix, const std::vector<std::string>& known) {
  std::string k = key.as<std::string>();
  std::string msg = where(key) + "unknown config key \"" + prefix + k + "\"";
  std::string guess = rules::did_you_mean(k, known);
  if (!guess.empty()) msg += " (did you mean \"" + prefix + guess + "\"?)";
  return Status::invalid_argument(msg);
}

Result<std::string> scalar(const YAML::Node& n, const std::string& key) {
  if (!n.IsScalar()) return Status::invalid_argument(where(n) + "\"" + key + "\" must be a scalar");
  return n.Scalar();
}

Result<size_t> count(const YAML::Node& n, const std::string& key, size_t min) {
  auto s = scalar(n, key);
  if (!s) return s.error();
  try {
    size_t used = 0;
    long long v = std::stoll(*s, &used);
    if (used != s->size() || v < static_cast<long long>(min)) throw std::out_of_range(key);
    return static_cast<size_t>(v);
  } catch (...) {
    return Status::invalid_argument(where(n) + "\"" + key + "\" is \"" + *s + "\", expected an integer >= " +
                                    std::to_string(min));
  }
}

Result<Duration> duration(const YAML::Node& n, const std::string& key) {
  auto s = scalar(n, key);
  if (!s) return s.error();
  auto d = parse_duration(*s);
  if (!d) return Status::invalid_argument(where(n) + "\"" + key + "\": " + d.error().message());
  return *d;
}

// A byte size such as "8MiB", the message naming the key.
Result<size_t> size_key(const YAML::Node& n, const std::string& key) {
  auto s = scalar(n, key);
  if (!s) return s.error();
  auto size = parse_size(*s);
  if (!size) return Status::invalid_argument(where(n) + "\"" + key + "\": " + size.error().message());
  return *size;
}

std::string resolve(const std::string& base_dir, const std::string& p) {
  if (p.empty() || fs::path(p).is_absolute() || base_dir.empty()) return p;
  return (fs::path(base_dir) / p).lexically_normal().string();
}

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

// A secret from `<prefix>` (inline), `<prefix>_file` or `<prefix>_env`.
Result<std::string> load_secret(const YAML::Node& n, const std::string& prefix, const std::string& base_dir,
                                const std::string& what) {
  if (n[prefix + "_file"]) {
    const std::string file = resolve(base_dir, n[prefix + "_file"].as<std::string>());
    std::ifstream in(file);
    if (!in) return Status::invalid_argument(what + ": cannot read " + prefix + "_file " + file);
    std::stringstream ss;
    ss << in.rdbuf();
    return trim(ss.str());
  }
  if (n[prefix + "_env"]) {
    const std::string var = n[prefix + "_env"].as<std::string>();
    const char* v = std::getenv(var.c_str());
    if (!v || !*v) return Status::invalid_argument(what + ": environment variable " + var + " is not set");
    return trim(v);
  }
  if (n[prefix]) return n[prefix].as<std::string>();
  return std::string();
}

Status load_webhooks(const YAML::Node& n, const std::string& base_dir, Config& c) {
  if (!n.IsMap()) return Status::invalid_argument(where(n) + "\"webhooks\" must be a mapping of endpoint: {hmac_secret…}");
  const std::vector<std::string> endpoints = {"events", "alertmanager", "grafana", "pagerduty"};
  const std::vector<std::string> keys = {"hmac_secret", "hmac_secret_file", "hmac_secret_env", "hmac_header"};
  for (auto it = n.begin(); it != n.end(); ++it) {
    const std::string ep = it->first.as<std::string>();
    if (std::find(endpoints.begin(), endpoints.end(), ep) == endpoints.end()) return unknown(it->first, "webhooks.", endpoints);
    if (!it->second.IsMap()) return Status::invalid_argument(where(it->second) + "\"webhooks." + ep + "\" must be a mapping");
    for (auto k = it->second.begin(); k != it->second.end(); ++k) {
      if (std::find(keys.begin(), keys.end(), k->first.as<std::string>()) == keys.end()) {
        return unknown(k->first, "webhooks." + ep + ".", keys);
      }
    }
    WebhookSignature sig;
    sig.endpoint = ep;
    auto secret = load_secret(it->second, "hmac_secret", base_dir, "webhooks." + ep);
    if (!secret) return secret.error();
    sig.secret = *secret;
    if (sig.secret.size() < 16) {
      return Status::invalid_argument(where(it->second) + "webhooks." + ep + ": the HMAC secret must be at least 16 characters");
    }
    if (it->second["hmac_header"]) sig.header = it->second["hmac_header"].as<std::string>();
    c.signatures.push_back(std::move(sig));
  }
  return Status::ok();
}

Status load_tokens(const YAML::Node& list, const std::string& base_dir, Config& c) {
  if (!list.IsSequence()) return Status::invalid_argument(where(list) + "\"api.tokens\" must be a list");
  const std::vector<std::string> keys = {"name", "role", "token", "token_file", "token_env"};
  for (const YAML::Node& t : list) {
    if (!t.IsMap()) return Status::invalid_argument(where(t) + "each of \"api.tokens\" must be a mapping");
    for (auto it = t.begin(); it != t.end(); ++it) {
      if (std::find(keys.begin(), keys.end(), it->first.as<std::string>()) == keys.end()) {
        return unknown(it->first, "api.tokens[].", keys);
      }
    }
    ApiToken tok;
    if (!t["name"]) return Status::invalid_argument(where(t) + "api token needs a \"name\"");
    tok.name = t["name"].as<std::string>();
    const std::string role = t["role"] ? t["role"].as<std::string>() : "";
    if (role == "ingest") tok.role = Role::kIngest;
    else if (role == "read") tok.role = Role::kRead;
    else if (role == "write") tok.role = Role::kWrite;
    else if (role == "admin") tok.role = Role::kAdmin;
    else {
      return Status::invalid_argument(where(t) + "api token \"" + tok.name + "\": role is \"" + role +
                                      "\", expected ingest, read, write or admin");
    }
    auto secret = load_secret(t, "token", base_dir, "api token \"" + tok.name + "\"");
    if (!secret) return secret.error();
    tok.token = *secret;
    if (tok.token.size() < 16) {
      return Status::invalid_argument(where(t) + "api token \"" + tok.name +
                                      "\": the secret must be at least 16 characters (set token_file, token_env or token)");
    }
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

Status load_root(const YAML::Node& root, const std::string& base_dir, Config& c) {
  if (root.IsNull()) return Status::ok();
  if (!root.IsMap()) return Status::invalid_argument("config must be a YAML mapping");
  for (auto it = root.begin(); it != root.end(); ++it) {
    const std::string key = it->first.as<std::string>();
    if (std::find(kTopKeys.begin(), kTopKeys.end(), key) == kTopKeys.end()) return unknown(it->first, "", kTopKeys);
    for (const Section& s : kSections) {
      if (key != s.name) continue;
      if (!it->second.IsMap()) return Status::invalid_argument(where(it->second) + "\"" + key + "\" must be a mapping");
      for (auto sub = it->second.begin(); sub != it->second.end(); ++sub) {
        const std::string k = sub->first.as<std::string>();
        if (std::find(s.keys.begin(), s.keys.end(), k) == s.keys.end()) return unknown(sub->first, key + ".", s.keys);
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
  for (auto [key, target] : {std::pair<const char*, std::string*>{"syslog_udp", &c.syslog_udp_listen},
                             {"syslog_tcp", &c.syslog_tcp_listen},
                             {"syslog_tls", &c.syslog_tls_listen}}) {
    auto n = child(root, "listen", key);
    if (!n) continue;
    if (n.IsNull()) {
      target->clear();
      continue;
    }
    TRY_ASSIGN(*target, scalar(n, std::string("listen.") + key));
    if (*target == "off" || *target == "false") target->clear();
    if (!target->empty()) {
      std::string h;
      uint16_t p = 0;
      if (Status st = split_host_port(*target, h, p); !st) return Status::invalid_argument(where(n) + st.message());
    }
  }
  if (auto n = child(root, "syslog", "max_message_bytes")) {
    std::string text;
    TRY_ASSIGN(text, scalar(n, "syslog.max_message_bytes"));
    auto size = parse_size(text);
    if (!size) return Status::invalid_argument(where(n) + "\"syslog.max_message_bytes\": " + size.error().message());
    if (*size < 480) return Status::invalid_argument(where(n) + "\"syslog.max_message_bytes\" must be at least 480 (RFC 5424)");
    c.syslog_max_message_bytes = *size;
  }
  if (auto n = child(root, "syslog", "max_connections")) TRY_ASSIGN(c.syslog_max_connections, count(n, "syslog.max_connections", 1));
  if (auto n = child(root, "syslog", "idle_timeout")) TRY_ASSIGN(c.syslog_idle_timeout, duration(n, "syslog.idle_timeout"));
  if (auto n = child(root, "syslog", "tls_cert")) TRY_ASSIGN(c.syslog_tls_cert, scalar(n, "syslog.tls_cert"));
  if (auto n = child(root, "syslog", "tls_key")) TRY_ASSIGN(c.syslog_tls_key, scalar(n, "syslog.tls_key"));
  if (auto n = child(root, "syslog", "max_connections_per_peer")) {
    TRY_ASSIGN(c.syslog_max_connections_per_peer, count(n, "syslog.max_connections_per_peer", 0));
  }
  if (auto n = child(root, "syslog", "first_byte_timeout")) {
    TRY_ASSIGN(c.syslog_first_byte_timeout, duration(n, "syslog.first_byte_timeout"));
  }
  if (auto n = child(root, "syslog", "udp_receive_buffer")) TRY_ASSIGN(c.syslog_udp_receive_buffer, size_key(n, "syslog.udp_receive_buffer"));
  if (c.syslog_tls_cert.empty() != c.syslog_tls_key.empty()) {
    return Status::invalid_argument("syslog TLS needs both syslog.tls_cert and syslog.tls_key");
  }
  if (auto n = child(root, "store", "kind")) {
    std::string kind;
    TRY_ASSIGN(kind, scalar(n, "store.kind"));
    if (kind != "sqlite") {
      return Status::invalid_argument(where(n) + "\"store.kind\" is \"" + kind + "\", this version supports: sqlite");
    }
  }
  if (auto n = child(root, "store", "path")) TRY_ASSIGN(c.store_path, scalar(n, "store.path"));
  if (auto n = child(root, "store", "event_retention")) TRY_ASSIGN(c.event_retention, duration(n, "store.event_retention"));
  if (auto n = child(root, "queue", "capacity")) TRY_ASSIGN(c.queue_capacity, count(n, "queue.capacity", 1));
  if (auto n = child(root, "queue", "batch_max")) TRY_ASSIGN(c.batch_max, count(n, "queue.batch_max", 1));
  if (auto n = child(root, "http", "max_body_bytes")) {
    std::string text;
    TRY_ASSIGN(text, scalar(n, "http.max_body_bytes"));
    auto size = parse_size(text);
    if (!size) return Status::invalid_argument(where(n) + "\"http.max_body_bytes\": " + size.error().message());
    c.max_body_bytes = *size;
  }
  if (auto n = child(root, "http", "read_timeout")) TRY_ASSIGN(c.http_read_timeout, duration(n, "http.read_timeout"));
  if (auto n = child(root, "http", "max_connections")) TRY_ASSIGN(c.http_max_connections, count(n, "http.max_connections", 1));
  if (auto n = child(root, "http", "max_connections_per_peer")) {
    TRY_ASSIGN(c.http_max_connections_per_peer, count(n, "http.max_connections_per_peer", 0));
  }
  if (auto n = child(root, "http", "header_timeout")) TRY_ASSIGN(c.http_header_timeout, duration(n, "http.header_timeout"));
  if (auto n = child(root, "http", "max_inflight_body_bytes")) {
    TRY_ASSIGN(c.http_max_inflight_body_bytes, size_key(n, "http.max_inflight_body_bytes"));
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
  if (auto n = root["webhooks"]) {
    if (Status s = load_webhooks(n, base_dir, c); !s) return s;
  }
  std::string host;
  uint16_t port = 0;
  if (Status s = split_host_port(c.http_listen, host, port); !s) return s;
  if (!is_loopback_host(host) && c.tokens.empty()) {
    return Status::invalid_argument("listen.http is " + c.http_listen +
                                    ", which is not loopback, and no api.tokens are configured: "
                                    "refusing to serve the API unauthenticated; add api.tokens or listen on 127.0.0.1");
  }
  return Status::ok();
}

}  // namespace

const char* role_name(Role r) {
  switch (r) {
    case Role::kIngest: return "ingest";
    case Role::kRead: return "read";
    case Role::kWrite: return "write";
    case Role::kAdmin: return "admin";
  }
  return "unknown";
}

Result<size_t> parse_size(const std::string& text) {
  size_t i = 0;
  while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) ++i;
  if (i == 0) return Status::invalid_argument("invalid size \"" + text + "\", expected e.g. 1048576 or 1MiB");
  unsigned long long n = std::stoull(text.substr(0, i));
  std::string unit = text.substr(i);
  while (!unit.empty() && unit[0] == ' ') unit.erase(0, 1);
  unsigned long long mult = 1;
  if (unit.empty() || unit == "B") mult = 1;
  else if (unit == "KiB" || unit == "K" || unit == "KB" || unit == "k") mult = 1024;
  else if (unit == "MiB" || unit == "M" || unit == "MB") mult = 1024 * 1024;
  else if (unit == "GiB" || unit == "G" || unit == "GB") mult = 1024ull * 1024 * 1024;
  else return Status::invalid_argument("invalid size unit in \"" + text + "\", expected B, KiB, MiB or GiB");
  if (n == 0) return Status::invalid_argument("size \"" + text + "\" must be positive");
  return static_cast<size_t>(n * mult);
}

bool is_loopback_host(const std::string& host) {
  return host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0;
}

Status split_host_port(const std::string& text, std::string& host, uint16_t& port) {
  std::string port_text;
  if (!text.empty() && text[0] == '[') {
    auto close = text.find(']');
    if (close == std::string::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return Status::invalid_argument("invalid listen address \"" + text + "\", expected [addr]:port");
    }
    host = text.substr(1, close - 1);
    port_text = text.substr(close + 2);
  } else {
    auto colon = text.rfind(':');
    if (colon == std::string::npos) {
      return Status::invalid_argument("invalid listen address \"" + text + "\", expected host:port");
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
  if (host.empty()) return Status::invalid_argument("missing host in listen address \"" + text + "\"");
  return Status::ok();
}

Result<Config> load_config_from_string(const std::string& text, const std::string& path) {
  Config c;
  c.path = path;
  const std::string base_dir = fs::path(path).parent_path().string();
  try {
    YAML::Node root = YAML::Load(text);
    if (Status s = load_root(root, base_dir, c); !s) {
      return Status::invalid_argument(path + ": " + s.message());
    }
    c.rules_dir = resolve(base_dir, c.rules_dir);
    c.store_path = resolve(base_dir, c.store_path);
    c.syslog_tls_cert = resolve(base_dir, c.syslog_tls_cert);
    c.syslog_tls_key = resolve(base_dir, c.syslog_tls_key);
  } catch (const YAML::Exception& e) {
    return Status::invalid_argument(path + ":" + std::to_string(e.mark.line + 1) + ":" +
                                    std::to_string(e.mark.column + 1) + ": " + e.msg);
  }
  return c;
}

Result<Config> load_config(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::invalid_argument("cannot read config file " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  return load_config_from_string(ss.str(), path);
}

}  // namespace ticketd::daemon
