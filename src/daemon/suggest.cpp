#include "suggest.hpp"

#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

namespace ticketd::daemon {

namespace {

// A fix someone wrote down: ticketd's own "alerts cleared" says nothing.
bool has_fix(const Ticket& t) {
  return !t.resolution.note.empty() && t.resolution.code != "auto_resolved" &&
         t.resolution.code != "cancelled";
}

}  // namespace

std::optional<TimelineEntry> suggestion_for(const Ticket& opened,
                                            const std::vector<store::SimilarTicket>& similar) {
  for (const store::SimilarTicket& s : similar) {
    const Ticket& t = s.ticket;
    const bool same_fingerprint = s.match == store::SimilarMatch::kFingerprint;
    const bool strong = same_fingerprint ||
                        (!opened.rule.empty() && t.rule == opened.rule && t.title == opened.title);
    if (!strong || !has_fix(t)) continue;
    std::string when = t.resolved_at ? " on " + format_rfc3339(*t.resolved_at).substr(0, 10) : "";
    TimelineEntry e;
    e.ticket_key = opened.key;
    e.time = opened.created_at;
    e.actor = "engine";
    e.kind = "suggestion";
    e.message = "Like " + t.key + when + " (" + t.resolution.code + "): " + t.resolution.note;
    e.details =
        nlohmann::json{{"similar", t.key},
                       {"match", same_fingerprint ? "fingerprint" : "rule and title"},
                       {"resolution", {{"code", t.resolution.code}, {"note", t.resolution.note}}}}
            .dump();
    return e;
  }
  return std::nullopt;
}

void add_suggestions(store::Store& store, std::vector<Action>& actions) {
  std::vector<TimelineEntry> found;
  for (const Action& a : actions) {
    const auto* o = std::get_if<TicketOpened>(&a);
    if (!o || o->ticket.type != TicketType::kIncident) continue;
    // Only fingerprint and rule matches can be strong: the text index is
    // not asked (it costs a ranked search per new incident).
    auto similar = store.similar(o->ticket, {.limit = 5, .by_text = false});
    if (!similar) {
      spdlog::debug("suggestions for {}: {}", o->ticket.key, similar.error().message());
      continue;
    }
    if (auto e = suggestion_for(o->ticket, *similar)) found.push_back(std::move(*e));
  }
  for (auto& e : found) actions.emplace_back(TimelineAdded{std::move(e)});
}

}  // namespace ticketd::daemon
