// Planner: which outbox entries a batch of engine actions calls for. Pure:
// the pipeline runs it on each batch the engine decided and commits its
// entries (OutboxQueued) in the batch's transaction, so that a ticket change
// and the message telling a backend about it are durable together or not
// at all.
//
// For a backend that takes a ticket (its `when:` matches):
//   ticket opened (or changed and now matching)  -> create (once per ticket)
//   events deduplicated into the ticket          -> occurrences (one per batch,
//                                                   folded in the store, sent
//                                                   after comment_interval)
//   priority / assignment / escalation change    -> update
//   a person's note                              -> comment
//   status to resolved / closed or cancelled     -> resolve / close
//   status from resolved or closed back to open  -> reopen
// Changes made by a backend's own sync ("backend:<name>") are not sent back
// to it. For a notification target: the ticket events it subscribes to
// (opened, escalated, resolved) whose ticket its `when:` matches, and every
// escalation `notify:` that names it.
#pragma once

#include <string>
#include <vector>

#include "ticketd/connectors/connector.hpp"
#include "ticketd/core/actions.hpp"

namespace ticketd::connectors {

struct Route {
  std::string name;
  bool backend = true;  // false: a notification target
  TicketMatcher when;
  Duration comment_interval = std::chrono::minutes(5);  // backends
  // Notification targets: which of "opened", "escalated", "resolved" they
  // take (escalation `notify:` naming them is always delivered).
  std::vector<std::string> on;
};

class Planner {
 public:
  Planner() = default;
  explicit Planner(std::vector<Route> routes) : routes_(std::move(routes)) {}

  // Appends to `batch` the OutboxQueued entries its actions call for.
  void plan(Actions& batch) const;
  bool empty() const { return routes_.empty(); }
  // Whether `name` is a configured notification target.
  bool has_target(const std::string& name) const;

 private:
  std::vector<Route> routes_;
};

// The outbox entry kinds.
namespace kind {
inline constexpr const char* kCreate = "create";
inline constexpr const char* kUpdate = "update";
inline constexpr const char* kComment = "comment";
inline constexpr const char* kOccurrences = "occurrences";
inline constexpr const char* kResolve = "resolve";
inline constexpr const char* kClose = "close";
inline constexpr const char* kReopen = "reopen";
inline constexpr const char* kNotify = "notify";
}  // namespace kind

}  // namespace ticketd::connectors
