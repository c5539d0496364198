#include "ticketd/core/ticket.hpp"

#include <array>
#include <cstdio>
#include <nlohmann/json.hpp>

namespace ticketd {
namespace {

constexpr std::array<const char*, 4> kTypeNames = {"incident", "service_request", "problem",
                                                   "change"};
constexpr std::array<const char*, 4> kTypePrefixes = {"INC", "REQ", "PRB", "CHG"};
constexpr std::array<const char*, 7> kStatusNames = {
    "new", "assigned", "in_progress", "pending", "resolved", "closed", "cancelled"};
constexpr std::array<const char*, 3> kLevelNames = {"high", "medium", "low"};

template <typename Enum, size_t N>
std::optional<Enum> lookup(const std::array<const char*, N>& names, std::string_view s) {
  for (size_t i = 0; i < N; ++i) {
    if (s == names[i]) return static_cast<Enum>(i);
  }
  return std::nullopt;
}

nlohmann::json opt_time(const std::optional<TimePoint>& t) {
  if (!t) return nullptr;
  return format_rfc3339(*t);
}

nlohmann::json opt_string(const std::string& s) {
  if (s.empty()) return nullptr;
  return s;
}

}  // namespace

const char* ticket_type_name(TicketType t) { return kTypeNames[static_cast<size_t>(t)]; }
const char* ticket_type_prefix(TicketType t) { return kTypePrefixes[static_cast<size_t>(t)]; }
const char* ticket_status_name(TicketStatus s) { return kStatusNames[static_cast<size_t>(s)]; }
const char* level_name(Level l) { return kLevelNames[static_cast<size_t>(l)]; }
std::string priority_name(Priority p) { return "P" + std::to_string(static_cast<int>(p)); }

std::optional<TicketType> parse_ticket_type(std::string_view s) {
  return lookup<TicketType>(kTypeNames, s);
}
std::optional<TicketStatus> parse_ticket_status(std::string_view s) {
  return lookup<TicketStatus>(kStatusNames, s);
}
std::optional<Level> parse_level(std::string_view s) { return lookup<Level>(kLevelNames, s); }
std::optional<Priority> parse_priority(std::string_view s) {
  if (s.size() == 2 && (s[0] == 'P' || s[0] == 'p') && s[1] >= '1' && s[1] <= '5') {
    return static_cast<Priority>(s[1] - '0');
  }
  return std::nullopt;
}

Priority priority_from(Level impact, Level urgency) {
  // high=0, medium=1, low=2: P1 + impact + urgency reproduces the matrix.
  return static_cast<Priority>(1 + static_cast<int>(impact) + static_cast<int>(urgency));
}

Level urgency_from_severity(std::optional<Severity> s) {
  if (!s) return Level::kLow;
  if (*s <= Severity::kCritical) return Level::kHigh;
  if (*s <= Severity::kWarning) return Level::kMedium;
  return Level::kLow;
}

bool is_open(TicketStatus s) {
  return s != TicketStatus::kResolved && s != TicketStatus::kClosed &&
         s != TicketStatus::kCancelled;
}

std::string format_ticket_key(TicketType t, int64_t seq) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%s-%06lld", ticket_type_prefix(t), static_cast<long long>(seq));
  return buf;
}

nlohmann::json ticket_to_json(const Ticket& t) {
  return {
      {"key", t.key},
      {"type", ticket_type_name(t.type)},
      {"title", t.title},
      {"description", t.description},
      {"status", ticket_status_name(t.status)},
      {"priority", priority_name(t.priority)},
      {"impact", level_name(t.impact)},
      {"urgency", level_name(t.urgency)},
      {"category", opt_string(t.category)},
      {"team", opt_string(t.team)},
      {"assignee", opt_string(t.assignee)},
      {"rule", opt_string(t.rule)},
      {"fingerprint", opt_string(t.fingerprint)},
      {"event_count", t.event_count},
      {"first_seen", format_rfc3339(t.first_seen)},
      {"last_seen", format_rfc3339(t.last_seen)},
      {"created_at", format_rfc3339(t.created_at)},
      {"updated_at", format_rfc3339(t.updated_at)},
      {"acknowledged_at", opt_time(t.acknowledged_at)},
      {"acknowledged_by", opt_string(t.acknowledged_by)},
      {"resolved_at", opt_time(t.resolved_at)},
      {"closed_at", opt_time(t.closed_at)},
      {"sla",
       {{"respond_by", opt_time(t.respond_by)},
        {"resolve_by", opt_time(t.resolve_by)},
        {"breached", !t.breaches.empty()},
        {"breaches", t.breaches}}},
      {"problem", opt_string(t.problem)},
      {"incidents", t.incidents},
      {"alerts", alerts_json(t.alerts)},
      {"flapping", t.flapping},
      {"suppressed_count", t.suppressed_count},
      {"labels", t.labels},
      {"resolution", t.resolution.empty() ? nlohmann::json()
                                          : nlohmann::json{{"code", t.resolution.code},
                                                           {"note", t.resolution.note}}},
      {"external", external_json(t.external)},
  };
}

const std::vector<std::string>& resolution_codes() {
  static const std::vector<std::string> codes = {"fixed",      "workaround",  "no_fault_found",
                                                 "duplicate",  "known_error", "change_rolled_back",
                                                 "user_error", "cancelled",   "auto_resolved"};
  return codes;
}

nlohmann::json external_json(const std::vector<ExternalRef>& refs) {
  nlohmann::json out = nlohmann::json::array();
  for (const ExternalRef& r : refs) {
    out.push_back({{"backend", r.backend},
                   {"id", r.id},
                   {"key", r.key.empty() ? r.id : r.key},
                   {"url", r.url.empty() ? nlohmann::json() : nlohmann::json(r.url)}});
  }
  return out;
}

nlohmann::json alerts_json(const std::vector<AlertRef>& alerts) {
  nlohmann::json out = nlohmann::json::array();
  for (const AlertRef& a : alerts)
    out.push_back({{"fingerprint", a.fingerprint}, {"status", a.status}});
  return out;
}

std::vector<AlertRef> alerts_from_json(const nlohmann::json& j) {
  std::vector<AlertRef> out;
  if (!j.is_array()) return out;
  for (const auto& a : j) {
    if (a.is_object()) out.push_back({a.value("fingerprint", ""), a.value("status", "firing")});
  }
  return out;
}

Ticket ticket_from_json(const nlohmann::json& j) {
  Ticket t;
  auto s = [&](const char* k) -> std::string {
    auto it = j.find(k);
    return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  auto time = [&](const nlohmann::json& v) -> std::optional<TimePoint> {
    if (!v.is_string()) return std::nullopt;
    auto r = parse_rfc3339(v.get<std::string>());
    if (!r) return std::nullopt;
    return *r;
  };
  auto field_time = [&](const char* k) { return j.contains(k) ? time(j[k]) : std::nullopt; };
  t.key = s("key");
  t.type = parse_ticket_type(s("type")).value_or(TicketType::kIncident);
  t.title = s("title");
  t.description = s("description");
  t.status = parse_ticket_status(s("status")).value_or(TicketStatus::kNew);
  t.priority = parse_priority(s("priority")).value_or(Priority::kP3);
  t.impact = parse_level(s("impact")).value_or(Level::kMedium);
  t.urgency = parse_level(s("urgency")).value_or(Level::kMedium);
  t.category = s("category");
  t.team = s("team");
  t.assignee = s("assignee");
  t.rule = s("rule");
  t.fingerprint = s("fingerprint");
  t.event_count = j.value("event_count", int64_t{0});
  t.first_seen = field_time("first_seen").value_or(TimePoint{});
  t.last_seen = field_time("last_seen").value_or(TimePoint{});
  t.created_at = field_time("created_at").value_or(TimePoint{});
  t.updated_at = field_time("updated_at").value_or(TimePoint{});
  t.acknowledged_at = field_time("acknowledged_at");
  t.acknowledged_by = s("acknowledged_by");
  t.resolved_at = field_time("resolved_at");
  t.closed_at = field_time("closed_at");
  if (j.contains("labels") && j["labels"].is_object()) {
    for (const auto& [k, v] : j["labels"].items()) {
      if (v.is_string()) t.labels[k] = v.get<std::string>();
    }
  }
  if (j.contains("sla") && j["sla"].is_object()) {
    const auto& sla = j["sla"];
    if (sla.contains("respond_by")) t.respond_by = time(sla["respond_by"]);
    if (sla.contains("resolve_by")) t.resolve_by = time(sla["resolve_by"]);
    if (sla.contains("breaches") && sla["breaches"].is_array()) {
      for (const auto& b : sla["breaches"]) {
        if (b.is_string()) t.breaches.push_back(b.get<std::string>());
      }
    }
  }
  t.problem = s("problem");
  if (j.contains("alerts")) t.alerts = alerts_from_json(j["alerts"]);
  t.flapping = j.value("flapping", false);
  t.suppressed_count = j.value("suppressed_count", int64_t{0});
  if (auto r = j.find("resolution"); r != j.end() && r->is_object()) {
    t.resolution.code = r->value("code", "");
    t.resolution.note = r->value("note", "");
  }
  if (auto ext = j.find("external"); ext != j.end() && ext->is_array()) {
    for (const auto& r : *ext) {
      if (!r.is_object()) continue;
      auto str = [&](const char* k) {
        auto it = r.find(k);
        return it != r.end() && it->is_string() ? it->get<std::string>() : std::string();
      };
      t.external.push_back({str("backend"), str("id"), str("key"), str("url")});
    }
  }
  return t;
}

nlohmann::json TimelineEntry::details_json() const {
  auto j = nlohmann::json::parse(details, nullptr, false);
  if (j.is_discarded()) return nlohmann::json::object();
  return j;
}

nlohmann::json timeline_entry_to_json(const TimelineEntry& e) {
  nlohmann::json details = e.details_json();
  nlohmann::json j = {{"time", format_rfc3339(e.time)},
                      {"actor", e.actor},
                      {"kind", e.kind},
                      {"message", e.message}};
  // Notes written before visibility existed were staff notes.
  if (e.kind == "note") j["visibility"] = details.value("visibility", "internal");
  j["details"] = std::move(details);
  return j;
}

}  // namespace ticketd
