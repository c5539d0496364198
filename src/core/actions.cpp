#include "ticketd/core/actions.hpp"

namespace ticketd {

const char* decision_name(Decision d) {
  switch (d) {
    case Decision::kTicketed:
      return "ticketed";
    case Decision::kDeduplicated:
      return "deduplicated";
    case Decision::kGrouped:
      return "grouped";
    case Decision::kReopened:
      return "reopened";
    case Decision::kPending:
      return "pending";
    case Decision::kResolved:
      return "resolved";
    case Decision::kInhibited:
      return "inhibited";
    case Decision::kSilenced:
      return "silenced";
    case Decision::kDropped:
      return "dropped";
    case Decision::kUnmatched:
      return "unmatched";
  }
  return "unknown";
}

namespace {
constexpr Decision kAllDecisions[] = {
    Decision::kTicketed, Decision::kDeduplicated, Decision::kGrouped,   Decision::kReopened,
    Decision::kPending,  Decision::kResolved,     Decision::kInhibited, Decision::kSilenced,
    Decision::kDropped,  Decision::kUnmatched,
};
}  // namespace

std::optional<Decision> parse_decision(std::string_view name) {
  for (Decision d : kAllDecisions) {
    if (name == decision_name(d)) return d;
  }
  return std::nullopt;
}

std::string decision_names() {
  std::string out;
  for (Decision d : kAllDecisions) {
    if (!out.empty()) out += ", ";
    out += decision_name(d);
  }
  return out;
}

}  // namespace ticketd
