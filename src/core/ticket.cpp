#include "ticketd/core/ticket.hpp"

#include <array>
#include <cstdio>

#include <nlohmann/json.hpp>

namespace ticketd {
namespace {

constexpr std::array<const char*, 4> kTypeNames = {"incident", "service_request", "problem", "change"};
constexpr std::array<const char*, 4> kTypePrefixes = {"INC", "REQ", "PRB", "CHG"};
constexpr std::array<const char*, 7> kStatusNames = {"new",      "assigned", "in_progress", "pending",
                                                     "resolved", "closed",   "cancelled"};
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
  return s != TicketStatus::kResolved && s != TicketStatus::kClosed && s != TicketStatus::kCancelled;
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
      {"sla", {{"respond_by", nullptr}, {"resolve_by", nullptr}, {"breached", false}}},
      {"problem", nullptr},
      {"labels", t.labels},
      {"external", nlohmann::json::array()},
  };
}

nlohmann::json TimelineEntry::details_json() const {
  auto j = nlohmann::json::parse(details, nullptr, false);
  if (j.is_discarded()) return nlohmann::json::object();
  return j;
}

nlohmann::json timeline_entry_to_json(const TimelineEntry& e) {
  return {{"time", format_rfc3339(e.time)},
          {"actor", e.actor},
          {"kind", e.kind},
          {"message", e.message},
          {"details", e.details_json()}};
}

}  // namespace ticketd
