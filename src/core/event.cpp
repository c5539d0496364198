#include "ticketd/core/event.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <nlohmann/json.hpp>

namespace ticketd {
namespace {

constexpr std::array<const char*, 8> kSeverityNames = {"emergency", "alert",  "critical", "error",
                                                       "warning",   "notice", "info",     "debug"};

constexpr std::array<std::string_view, 9> kScalarFields = {
    "source", "host", "severity", "facility", "app", "msgid", "message", "trap_oid", "status"};

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::optional<std::string> non_empty(const std::string& s) {
  if (s.empty()) return std::nullopt;
  return s;
}

std::optional<std::string> find_label(const Labels& m, std::string_view key) {
  auto it = m.find(key);
  if (it == m.end()) return std::nullopt;
  return it->second;
}

// Label values must be strings; numbers and booleans are converted (senders
// such as Grafana put numbers in labels), anything else is an error.
Status read_string_map(const nlohmann::json& j, const char* name, Labels& out) {
  if (j.is_null()) return Status::ok();
  if (!j.is_object()) {
    return Status::invalid_argument(std::string("event: \"") + name +
                                    "\" must be an object of strings");
  }
  for (const auto& [k, v] : j.items()) {
    if (v.is_string()) {
      out[k] = v.get<std::string>();
    } else if (v.is_number() || v.is_boolean()) {
      out[k] = v.dump();
    } else if (v.is_null()) {
      continue;
    } else {
      return Status::invalid_argument(std::string("event: \"") + name + "." + k +
                                      "\" must be a string, got " + v.type_name());
    }
  }
  return Status::ok();
}

}  // namespace

const char* severity_name(Severity s) { return kSeverityNames[static_cast<size_t>(s)]; }

std::optional<Severity> parse_severity(std::string_view name) {
  const std::string n = lower(name);
  for (size_t i = 0; i < kSeverityNames.size(); ++i) {
    if (n == kSeverityNames[i]) return static_cast<Severity>(i);
  }
  if (n == "emerg" || n == "panic") return Severity::kEmergency;
  if (n == "crit" || n == "fatal") return Severity::kCritical;
  if (n == "err") return Severity::kError;
  if (n == "warn") return Severity::kWarning;
  if (n == "information" || n == "informational") return Severity::kInfo;
  return std::nullopt;
}

bool is_event_field(std::string_view name) {
  return std::find(kScalarFields.begin(), kScalarFields.end(), name) != kScalarFields.end();
}

std::optional<std::string> Event::field(std::string_view path) const {
  if (path.rfind("labels.", 0) == 0) return find_label(labels, path.substr(7));
  if (path.rfind("annotations.", 0) == 0) return find_label(annotations, path.substr(12));
  if (path == "source") return non_empty(source);
  if (path == "host") return non_empty(host);
  if (path == "severity") {
    if (!severity) return std::nullopt;
    return std::string(severity_name(*severity));
  }
  if (path == "facility") return non_empty(facility);
  if (path == "app") return non_empty(app);
  if (path == "msgid") return non_empty(msgid);
  if (path == "message") return non_empty(message);
  if (path == "trap_oid") return non_empty(trap_oid);
  if (path == "status") return non_empty(status);
  if (path == "time") return format_rfc3339(time);
  return std::nullopt;
}

nlohmann::json event_to_json(const Event& e) {
  nlohmann::json j = {{"source", e.source}, {"time", format_rfc3339(e.time)}, {"status", e.status}};
  auto put = [&](const char* k, const std::string& v) {
    if (!v.empty()) j[k] = v;
  };
  put("host", e.host);
  if (e.severity) j["severity"] = severity_name(*e.severity);
  put("facility", e.facility);
  put("app", e.app);
  put("msgid", e.msgid);
  put("message", e.message);
  put("trap_oid", e.trap_oid);
  if (!e.labels.empty()) j["labels"] = e.labels;
  if (!e.annotations.empty()) j["annotations"] = e.annotations;
  return j;
}

const std::vector<std::string>& event_json_keys() {
  static const std::vector<std::string> keys = {"source", "host",    "facility", "app",
                                                "msgid",  "message", "trap_oid", "severity",
                                                "status", "time",    "labels",   "annotations"};
  return keys;
}

// Keep event_json_keys() in step with the keys read here.
Result<Event> event_from_json(const nlohmann::json& j, TimePoint received) {
  if (!j.is_object()) {
    return Status::invalid_argument(std::string("event: must be a JSON object, got ") +
                                    j.type_name());
  }
  Event e;
  e.time = received;
  auto str = [&](const char* key, std::string& out) -> Status {
    auto it = j.find(key);
    if (it == j.end() || it->is_null()) return Status::ok();
    if (!it->is_string()) {
      return Status::invalid_argument(std::string("event: \"") + key + "\" must be a string, got " +
                                      it->type_name());
    }
    out = it->get<std::string>();
    return Status::ok();
  };
  for (auto [key, out] : {std::pair<const char*, std::string*>{"source", &e.source},
                          {"host", &e.host},
                          {"facility", &e.facility},
                          {"app", &e.app},
                          {"msgid", &e.msgid},
                          {"message", &e.message},
                          {"trap_oid", &e.trap_oid}}) {
    if (Status s = str(key, *out); !s) return s;
  }
  if (e.source.empty()) e.source = "api";

  std::string text;
  if (Status s = str("severity", text); !s) return s;
  if (!text.empty()) {
    e.severity = parse_severity(text);
    if (!e.severity) {
      return Status::invalid_argument(
          "event: \"severity\" is \"" + text +
          "\", expected one of emergency, alert, critical, error, warning, notice, info, debug");
    }
  }
  text.clear();
  if (Status s = str("status", text); !s) return s;
  if (!text.empty()) {
    text = lower(text);
    if (text != "firing" && text != "resolved") {
      return Status::invalid_argument("event: \"status\" is \"" + text +
                                      "\", expected firing or resolved");
    }
    e.status = text;
  }
  text.clear();
  if (auto t = j.find("time"); t != j.end() && t->is_number()) {
    // Unix time: seconds, or milliseconds when it is that large.
    const double v = t->get<double>();
    if (!(v >= 0 && v < 1e15)) return Status::invalid_argument("event: \"time\" is out of range");
    e.time = from_unix_ms(v >= 1e11 ? static_cast<int64_t>(v) : static_cast<int64_t>(v * 1000));
  } else if (Status s = str("time", text); !s) {
    return s;
  }
  if (!text.empty()) {
    auto t = parse_rfc3339(text);
    if (!t) return Status::invalid_argument("event: \"time\": " + t.error().message());
    e.time = *t;
  }
  if (auto it = j.find("labels"); it != j.end()) {
    if (Status s = read_string_map(*it, "labels", e.labels); !s) return s;
  }
  if (auto it = j.find("annotations"); it != j.end()) {
    if (Status s = read_string_map(*it, "annotations", e.annotations); !s) return s;
  }
  if (e.message.empty() && e.labels.empty() && e.trap_oid.empty()) {
    return Status::invalid_argument(
        "event: carries nothing to act on; set at least one of \"message\", \"labels\", "
        "\"trap_oid\"");
  }
  return e;
}

}  // namespace ticketd
