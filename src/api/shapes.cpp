#include "shapes.hpp"

#include <chrono>
#include <optional>

#include "ticketd/core/time.hpp"

namespace ticketd::api {
namespace {

nlohmann::json whole_seconds(const std::optional<Duration>& d) {
  if (!d) return nullptr;
  return std::chrono::duration_cast<std::chrono::seconds>(*d).count();
}

}  // namespace

nlohmann::json stats_to_json(const store::StoreStats& stats) {
  nlohmann::json out;
  out["open_by_priority"] = nlohmann::json::object();
  for (const auto& [priority, n] : stats.open_by_priority)
    out["open_by_priority"][priority_name(priority)] = n;
  out["open_by_team"] = nlohmann::json::object();
  for (const auto& [team, n] : stats.open_by_team)
    out["open_by_team"][team.empty() ? "(none)" : team] = n;
  out["open_by_type"] = nlohmann::json::object();
  for (const auto& [type, n] : stats.open_by_type) out["open_by_type"][ticket_type_name(type)] = n;
  out["tickets_total"] = stats.tickets_total;
  out["open_total"] = stats.open_total;
  out["mtta_seconds"] = whole_seconds(stats.mtta);
  out["mttr_seconds"] = whole_seconds(stats.mttr);
  out["top_fingerprints"] = nlohmann::json::array();
  for (const store::RecurringFingerprint& f : stats.top_fingerprints) {
    out["top_fingerprints"].push_back({{"fingerprint", f.fingerprint},
                                       {"rule", f.rule},
                                       {"tickets", f.tickets},
                                       {"events", f.events},
                                       {"last_opened", format_rfc3339(f.last_opened)}});
  }
  return out;
}

nlohmann::json similar_to_json(const std::vector<store::SimilarTicket>& similar) {
  nlohmann::json out = nlohmann::json::array();
  for (const store::SimilarTicket& s : similar) {
    const Ticket& t = s.ticket;
    nlohmann::json notes = nlohmann::json::array();
    for (const TimelineEntry& n : s.notes) {
      notes.push_back({{"time", format_rfc3339(n.time)}, {"actor", n.actor}, {"text", n.message}});
    }
    out.push_back({{"key", t.key},
                   {"title", t.title},
                   {"status", ticket_status_name(t.status)},
                   {"rule", t.rule},
                   {"fingerprint", t.fingerprint},
                   {"same_fingerprint", s.match == store::SimilarMatch::kFingerprint},
                   {"match", s.match == store::SimilarMatch::kFingerprint ? "fingerprint"
                             : s.match == store::SimilarMatch::kRule      ? "rule"
                                                                          : "text"},
                   {"resolved_at", t.resolved_at ? nlohmann::json(format_rfc3339(*t.resolved_at))
                                                 : nlohmann::json()},
                   {"resolution",
                    t.resolution.empty()
                        ? nlohmann::json()
                        : nlohmann::json{{"code", t.resolution.code}, {"note", t.resolution.note}}},
                   {"notes", std::move(notes)}});
  }
  return out;
}

nlohmann::json trends_to_json(const store::Trends& trends, const std::optional<std::string>& team) {
  nlohmann::json out;
  out["days"] = trends.per_day.size();
  out["since"] = trends.per_day.empty() ? nlohmann::json()
                                        : nlohmann::json(format_rfc3339(trends.per_day[0].start));
  out["team"] = team ? nlohmann::json(*team) : nlohmann::json();
  out["per_day"] = nlohmann::json::array();
  for (const store::TrendsDay& d : trends.per_day) {
    out["per_day"].push_back({{"date", format_rfc3339(d.start).substr(0, 10)},
                              {"opened", d.opened},
                              {"resolved", d.resolved}});
  }
  out["by_priority"] = nlohmann::json::array();
  for (const auto& [priority, g] : trends.by_priority) {
    out["by_priority"].push_back({{"priority", priority_name(priority)},
                                  {"tickets", g.tickets},
                                  {"mtta_seconds", whole_seconds(g.mtta)},
                                  {"mttr_seconds", whole_seconds(g.mttr)}});
  }
  out["by_team"] = nlohmann::json::array();
  for (const auto& [name, g] : trends.by_team) {
    out["by_team"].push_back({{"team", name},
                              {"tickets", g.tickets},
                              {"mtta_seconds", whole_seconds(g.mtta)},
                              {"mttr_seconds", whole_seconds(g.mttr)}});
  }
  out["top_fingerprints"] = nlohmann::json::array();
  for (const store::RecurringFingerprint& f : trends.top_fingerprints) {
    out["top_fingerprints"].push_back({{"fingerprint", f.fingerprint},
                                       {"rule", f.rule},
                                       {"tickets", f.tickets},
                                       {"events", f.events},
                                       {"last_opened", format_rfc3339(f.last_opened)}});
  }
  out["top_rules"] = nlohmann::json::array();
  for (const store::RuleTrend& r : trends.top_rules) {
    out["top_rules"].push_back({{"rule", r.rule}, {"tickets", r.tickets}, {"events", r.events}});
  }
  return out;
}

nlohmann::json ticket_summary_to_json(const Ticket& t) {
  return {{"key", t.key},
          {"type", ticket_type_name(t.type)},
          {"title", t.title},
          {"status", ticket_status_name(t.status)},
          {"priority", priority_name(t.priority)},
          {"team", t.team},
          {"assignee", t.assignee},
          {"rule", t.rule},
          {"fingerprint", t.fingerprint},
          {"event_count", t.event_count},
          {"created_at", format_rfc3339(t.created_at)},
          {"last_seen", format_rfc3339(t.last_seen)}};
}

nlohmann::json outbox_entry_to_json(const store::OutboxEntry& e) {
  return {{"id", e.id},
          {"target", e.target},
          {"ticket", e.ticket_key},
          {"kind", e.kind},
          {"count", e.count},
          {"created_at", format_rfc3339(e.created_at)},
          {"next_at", format_rfc3339(e.next_at)},
          {"attempts", e.attempts},
          {"last_error", e.last_error.empty() ? nlohmann::json() : nlohmann::json(e.last_error)},
          {"held", e.held}};
}

}  // namespace ticketd::api
