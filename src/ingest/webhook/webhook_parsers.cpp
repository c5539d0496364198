#include "ticketd/ingest/webhook_parsers.hpp"

#include <openssl/rand.h>

#include <nlohmann/json.hpp>

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

std::optional<Severity> severity_from(const std::string& s) {
  if (s.empty()) return std::nullopt;
  if (auto sev = parse_severity(s)) return sev;
  if (s == "page" || s == "high" || s == "disaster") return Severity::kCritical;
  if (s == "average" || s == "medium" || s == "major") return Severity::kError;
  if (s == "low" || s == "minor") return Severity::kWarning;
  return std::nullopt;
}

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

Result<PagerDutyEvent> parse_pagerduty(const json& body, TimePoint now) {
  if (!body.is_object()) return Status::invalid_argument("pagerduty: body must be a JSON object");
  PagerDutyEvent pd;
  pd.action = str(body, "event_action");
  if (pd.action != "trigger" && pd.action != "acknowledge" && pd.action != "resolve") {
    return Status::invalid_argument("pagerduty: \"event_action\" is \"" + pd.action +
                                    "\", expected trigger, acknowledge or resolve");
  }
  pd.dedup_key = str(body, "dedup_key");
  if (pd.dedup_key.size() > 255)
    return Status::invalid_argument("pagerduty: \"dedup_key\" is longer than 255 characters");
  Event& e = pd.event;
  e.source = "pagerduty";
  e.time = now;
  if (pd.action != "trigger") {
    if (pd.dedup_key.empty())
      return Status::invalid_argument("pagerduty: \"dedup_key\" is required to " + pd.action);
    e.status = pd.action == "resolve" ? "resolved" : "firing";
    e.message = pd.action;
    e.labels["dedup_key"] = pd.dedup_key;
    return pd;
  }
  auto payload = body.find("payload");
  if (payload == body.end() || !payload->is_object()) {
    return Status::invalid_argument("pagerduty: \"payload\" must be an object");
  }
  e.message = str(*payload, "summary");
  e.host = str(*payload, "source");
  const std::string severity = str(*payload, "severity");
  if (e.message.empty())
    return Status::invalid_argument("pagerduty: \"payload.summary\" is required");
  if (e.host.empty()) return Status::invalid_argument("pagerduty: \"payload.source\" is required");
  if (severity != "critical" && severity != "error" && severity != "warning" &&
      severity != "info") {
    return Status::invalid_argument("pagerduty: \"payload.severity\" is \"" + severity +
                                    "\", expected critical, error, warning or info");
  }
  e.severity = parse_severity(severity);
  if (auto ts = str(*payload, "timestamp"); !ts.empty()) {
    if (auto t = parse_rfc3339(ts)) e.time = *t;
  }
  e.app = str(*payload, "component");
  if (auto g = str(*payload, "group"); !g.empty()) e.labels["group"] = g;
  if (auto c = str(*payload, "class"); !c.empty()) e.labels["class"] = c;
  if (payload->contains("custom_details")) {
    const json& details = (*payload)["custom_details"];
    if (details.is_object()) {
      for (const auto& [k, v] : details.items())
        e.annotations[k] = v.is_string() ? v.get<std::string>() : v.dump();
    } else if (!details.is_null()) {
      e.annotations["custom_details"] =
          details.is_string() ? details.get<std::string>() : details.dump();
    }
  }
  if (pd.dedup_key.empty()) pd.dedup_key = random_key();
  e.labels["dedup_key"] = pd.dedup_key;
  return pd;
}

}  // namespace ticketd::ingest
