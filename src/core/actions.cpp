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

}  // namespace ticketd
