// Engine: the pure core that turns events into actions.
//
// The engine owns the correlation state (open tickets by fingerprint, the next
// ticket number of each type). It performs no I/O and reads no clock: every
// call gets `now`. Not thread-safe: one owner thread calls it (the daemon's
// pipeline worker, or a test).
#pragma once

#include <map>
#include <memory>
#include <string>
#include <unordered_map>

#include "ticketd/engine/action.hpp"
#include "ticketd/rules/rule_set.hpp"

namespace ticketd::engine {

// The state a restart rebuilds the engine from (read back from the store).
struct EngineState {
  std::vector<Ticket> open_tickets;          // tickets still collecting events
  std::map<TicketType, int64_t> last_seq;    // highest key number used per type
};

class Engine {
 public:
  explicit Engine(std::shared_ptr<const rules::RuleSet> rules);

  // Replaces the rule set. Open tickets stay attached to their fingerprints.
  void set_rules(std::shared_ptr<const rules::RuleSet> rules);
  const rules::RuleSet& rules() const { return *rules_; }

  // Forgets all state and adopts `state` (start-up, or after a store failure).
  void restore(const EngineState& state);

  // Runs one event through the rules. `now` is the receive time.
  Actions process(const Event& event, TimePoint now);

  size_t open_ticket_count() const { return open_.size(); }
  // Hits per rule name since start (or last restore).
  const std::unordered_map<std::string, uint64_t>& rule_hits() const { return hits_; }

 private:
  void apply_rule(const rules::Rule& rule, const Event& event, const rules::Captures& captures,
                  TimePoint now, Actions& out, EventRecorded& record);
  std::string next_key(TicketType type);

  std::shared_ptr<const rules::RuleSet> rules_;
  std::unordered_map<std::string, Ticket> open_;  // by fingerprint
  std::map<TicketType, int64_t> last_seq_;
  std::unordered_map<std::string, uint64_t> hits_;
};

}  // namespace ticketd::engine
