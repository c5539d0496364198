#include "ticketd/ingest/webhook_parsers.hpp"

#include <openssl/rand.h>

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>

#include "severity_words.hpp"

namespace ticketd::ingest {
namespace {

using nlohmann::json;

std::string str(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return "";
  return it->is_string() ? it->get<std::string>() : it->dump();
}

Status string_map(const json& j, const std::string& where, Labels& out) {
  if (j.is_null()) return Status::ok();
  if (!j.is_object()) return Status::invalid_argument(where + " must be an object");
  for (const auto& [k, v] : j.items()) {
    if (v.is_string()) {
      out[k] = v.get<std::string>();
    } else if (!v.is_null()) {
      out[k] = v.dump();
    }
  }
  return Status::ok();
}

std::string host_from(const Labels& labels) {
  for (const char* k : {"host", "hostname", "node", "instance", "nodename", "pod"}) {
    auto it = labels.find(k);
    if (it == labels.end() || it->second.empty()) continue;
    std::string h = it->second;
    if (std::string(k) == "instance") {
      // "db01:9100" -> "db01"; "[::1]:9100" -> "::1"; URLs keep their host.
      if (auto scheme = h.find("://"); scheme != std::string::npos) h = h.substr(scheme + 3);
      if (auto slash = h.find('/'); slash != std::string::npos) h = h.substr(0, slash);
      if (!h.empty() && h[0] == '[') {
        h = h.substr(1, h.find(']') - 1);
      } else if (std::count(h.begin(), h.end(), ':') == 1) {
        h = h.substr(0, h.find(':'));
      }
    }
    return h;
  }
  return "";
}

// Alertmanager and Grafana label values are lower-case words.
std::optional<Severity> severity_from(const std::string& s) { return severity_word(s); }

// An Alertmanager-shaped alert (Alertmanager, Grafana unified alerting).
Result<Event> alert_event(const json& a, const std::string& where, const std::string& source,
                          const std::string& group_status, TimePoint now) {
  if (!a.is_object()) return Status::invalid_argument(where + " must be an object");
  Event e;
  e.source = source;
  e.time = now;
  if (Status s = string_map(a.value("labels", json()), where + ".labels", e.labels); !s) return s;
  if (Status s = string_map(a.value("annotations", json()), where + ".annotations", e.annotations);
      !s)
    return s;
  std::string status = str(a, "status");
  if (status.empty()) status = group_status;
  if (status != "firing" && status != "resolved") {
    return Status::invalid_argument(where + ".status is \"" + status +
                                    "\", expected firing or resolved");
  }
  e.status = status;
  const std::string at = status == "resolved" ? str(a, "endsAt") : str(a, "startsAt");
  if (auto t = parse_rfc3339(at); t && to_unix_ms(*t) > 0) e.time = *t;
  e.host = host_from(e.labels);
  e.severity = severity_from(e.labels.count("severity") ? e.labels.at("severity") : "");
  e.app = e.labels.count("job") ? e.labels.at("job") : "";
  for (const char* k : {"summary", "description", "message"}) {
    if (auto it = e.annotations.find(k); it != e.annotations.end() && !it->second.empty()) {
      e.message = it->second;
      break;
    }
  }
  if (e.message.empty())
    e.message = e.labels.count("alertname") ? e.labels.at("alertname") : "alert";
  if (auto fp = str(a, "fingerprint"); !fp.empty()) e.labels["fingerprint"] = fp;
  for (const char* k : {"generatorURL", "dashboardURL", "panelURL", "silenceURL", "valueString"}) {
    if (auto v = str(a, k); !v.empty()) e.annotations[k] = v;
  }
  return e;
}

Result<std::vector<Event>> alerts_of(const json& body, const std::string& source, TimePoint now) {
  if (!body.is_object()) return Status::invalid_argument(source + ": body must be a JSON object");
  auto alerts = body.find("alerts");
  if (alerts == body.end() || !alerts->is_array()) {
    return Status::invalid_argument(source + ": \"alerts\" must be an array");
  }
  if (alerts->empty()) return Status::invalid_argument(source + ": \"alerts\" is empty");
  std::vector<Event> out;
  const std::string group_status = str(body, "status");
  for (size_t i = 0; i < alerts->size(); ++i) {
    auto e = alert_event((*alerts)[i], source + ": \"alerts[" + std::to_string(i) + "]\"", source,
                         group_status, now);
    if (!e) return e.error();
    out.push_back(std::move(e).value());
  }
  return out;
}

std::string random_key() {
  unsigned char bytes[12];
  if (RAND_bytes(bytes, sizeof bytes) != 1) return "";
  static const char* hex = "0123456789abcdef";
  std::string out = "td-";
  for (unsigned char b : bytes) {
    out += hex[b >> 4];
    out += hex[b & 15];
  }
  return out;
}

}  // namespace

Result<std::vector<Event>> parse_alertmanager(const json& body, TimePoint now) {
  if (body.is_object() && body.contains("version") && str(body, "version") != "4") {
    return Status::invalid_argument("alertmanager: webhook version \"" + str(body, "version") +
                                    "\" is not supported, expected 4");
  }
  return alerts_of(body, "alertmanager", now);
}

Result<std::vector<Event>> parse_grafana(const json& body, TimePoint now) {
  if (body.is_object() && body.contains("alerts")) return alerts_of(body, "grafana", now);
  // Legacy Grafana alerting: {ruleName, state: alerting|ok|no_data|paused, message, evalMatches,
  // tags}.
  if (!body.is_object() || !body.contains("state")) {
    return Status::invalid_argument(
        "grafana: expected \"alerts\" (unified alerting) or \"state\" (legacy)");
  }
  Event e;
  e.source = "grafana";
  e.time = now;
  const std::string state = str(body, "state");
  if (state == "alerting" || state == "no_data") {
    e.status = "firing";
  } else if (state == "ok") {
    e.status = "resolved";
  } else {
    return Status::invalid_argument("grafana: \"state\" is \"" + state +
                                    "\", expected alerting, ok or no_data");
  }
  if (Status s = string_map(body.value("tags", json()), "grafana: \"tags\"", e.labels); !s)
    return s;
  e.labels["alertname"] = str(body, "ruleName");
  if (auto id = str(body, "ruleId"); !id.empty()) e.labels["ruleId"] = id;
  e.message = str(body, "message").empty() ? str(body, "title") : str(body, "message");
  if (e.message.empty()) e.message = e.labels["alertname"];
  e.host = host_from(e.labels);
  e.severity = severity_from(e.labels.count("severity") ? e.labels.at("severity") : "");
  if (auto url = str(body, "ruleUrl"); !url.empty()) e.annotations["ruleUrl"] = url;
  return std::vector<Event>{std::move(e)};
}

namespace {

// Characters (code points) of UTF-8 text; PagerDuty's limits count these.
size_t utf8_length(std::string_view s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

// The first `max` characters of UTF-8 text.
std::string utf8_head(const std::string& s, size_t max) {
  size_t chars = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80 && chars++ == max) return s.substr(0, i);
  }
  return s;
}

bool blank(const std::string& s) {
  return std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isspace(c); });
}

// A member PagerDuty wants as a string: a string as is, a number or boolean
// as its JSON text, anything else (absent, null, object, array) as "".
std::string pd_text(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null() || it->is_object() || it->is_array()) return "";
  return it->is_string() ? it->get<std::string>() : it->dump();
}

}  // namespace

std::string masked_routing_key(std::string_view key) {
  if (key.size() <= 8) return "…";
  return std::string(key.substr(0, 4)) + "…";
}

PagerDutyParse parse_pagerduty(const json& body, TimePoint now,
                               const PagerDutyIntegrations& integrations) {
  PagerDutyParse out;
  auto& errors = out.errors;
  if (!body.is_object()) {
    errors.push_back("Event object is not a JSON object");
    return out;
  }
  const std::string routing_key = pd_text(body, "routing_key");
  const PagerDutyIntegration* integration = nullptr;
  if (blank(routing_key)) {
    errors.push_back("'routing_key' is missing or blank");
  } else if (!integrations.empty()) {
    auto it = integrations.find(routing_key);
    if (it == integrations.end()) {
      errors.push_back("Invalid routing key");
    } else {
      integration = &it->second;
    }
  }
  PagerDutyEvent& pd = out.event;
  pd.action = pd_text(body, "event_action");
  const bool trigger = pd.action == "trigger";
  if (blank(pd.action)) {
    errors.push_back("'event_action' is missing or blank");
  } else if (!trigger && pd.action != "acknowledge" && pd.action != "resolve") {
    errors.push_back("'event_action' is invalid");
  }
  pd.dedup_key = pd_text(body, "dedup_key");
  if (utf8_length(pd.dedup_key) > kPagerDutyMaxDedupKey) {
    errors.push_back("'dedup_key' is too long (maximum is 255 characters)");
  } else if ((pd.action == "acknowledge" || pd.action == "resolve") && blank(pd.dedup_key)) {
    errors.push_back("'dedup_key' is missing or blank");
  }
  Event& e = pd.event;
  e.source = "pagerduty";
  e.time = now;
  if (trigger) {
    auto it = body.find("payload");
    const json payload = it != body.end() && it->is_object() ? *it : json::object();
    if (it == body.end() || !it->is_object()) errors.push_back("'payload' is missing or blank");
    e.message = pd_text(payload, "summary");
    e.host = pd_text(payload, "source");
    const std::string severity = pd_text(payload, "severity");
    if (blank(e.message)) errors.push_back("'payload.summary' is missing or blank");
    if (blank(e.host)) errors.push_back("'payload.source' is missing or blank");
    if (blank(severity)) {
      errors.push_back("'payload.severity' is missing or blank");
    } else if (severity != "critical" && severity != "error" && severity != "warning" &&
               severity != "info") {
      errors.push_back("'payload.severity' is invalid");
    }
    if (!errors.empty()) return out;
    e.message = utf8_head(e.message, kPagerDutyMaxSummary);
    e.severity = parse_severity(severity);
    if (auto ts = pd_text(payload, "timestamp"); !ts.empty()) {
      if (auto t = parse_rfc3339(ts)) e.time = *t;
    }
    e.app = pd_text(payload, "component");
    if (auto g = pd_text(payload, "group"); !g.empty()) e.labels["group"] = g;
    if (auto c = pd_text(payload, "class"); !c.empty()) e.labels["class"] = c;
    if (payload.contains("custom_details")) {
      const json& details = payload["custom_details"];
      if (details.is_object()) {
        for (const auto& [k, v] : details.items())
          e.annotations[k] = v.is_string() ? v.get<std::string>() : v.dump();
      } else if (!details.is_null()) {
        e.annotations["custom_details"] =
            details.is_string() ? details.get<std::string>() : details.dump();
      }
    }
    if (pd.dedup_key.empty()) pd.dedup_key = random_key();
  } else {
    if (!errors.empty()) return out;
    e.status = pd.action == "resolve" ? "resolved" : "firing";
    e.message = pd.action;
  }
  e.labels["dedup_key"] = pd.dedup_key;
  if (integration) {
    for (const auto& [k, v] : integration->labels) e.labels.emplace(k, v);
    if (!integration->team.empty()) e.labels.emplace("team", integration->team);
  }
  return out;
}

}  // namespace ticketd::ingest
