// Engine: the pure core that turns events, commands and clock ticks into actions.
//
// The engine owns the correlation state: alerts (by fingerprint) with their
// threshold and flapping windows, groups of alerts sharing a ticket, open
// tickets, silences, problem windows, the storm window, SLA and escalation
// progress. It performs no I/O and reads no clock: every call gets `now`.
// Not thread-safe: one owner thread calls it (the daemon's pipeline worker,
// ticketctl test-rules, or a test). Copyable, which is how explain() asks
// "what if" without changing anything.
#pragma once

#include <deque>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include "ticketd/engine/action.hpp"
#include "ticketd/engine/commands.hpp"
#include "ticketd/engine/timer_queue.hpp"
#include "ticketd/rules/rule_set.hpp"

namespace ticketd::engine {

// The state a restart rebuilds the engine from (read back from the store).
// What the engine starts from after a restart: what the store kept.
using EngineState = StoredState;

// One rule as explain() saw it.
struct RuleTrace {
  std::string rule;
  bool matched = false;
  std::string reason;  // why it did not match (every failed condition, "; "), or what it did
  rules::Captures captures;
  std::string fingerprint;
  std::string group;
  std::vector<std::string> failed;  // each failed condition, in full; empty when it matched
};

struct Explanation {
  std::vector<RuleTrace> rules;  // every rule, in order
  Actions actions;               // what processing the event would do
  nlohmann::json to_json() const;
};

class Engine {
 public:
  explicit Engine(std::shared_ptr<const rules::RuleSet> rules);

  // Replaces the rule set. Alerts, windows and groups of rules whose
  // definition is unchanged are kept; pending state (threshold windows,
  // group_wait) of changed or removed rules is dropped. Open tickets stay.
  void set_rules(std::shared_ptr<const rules::RuleSet> rules);
  const rules::RuleSet& rules() const { return *rules_; }
  // The rule that handles events no rule matched (config `default_rule`);
  // empty: they stay unmatched. The caller checks the rule exists.
  void set_default_rule(std::string name) { default_rule_ = std::move(name); }

  // Forgets all state and adopts `state` (start-up, or after a store failure).
  // Never leaves the engine half rebuilt: on unreadable state records it keeps
  // the open tickets (and their dedup), drops the pending correlation state
  // and says so in the returned status.
  [[nodiscard]] Status restore(const EngineState& state);

  // Runs one event through the rules. `now` is the receive time.
  Actions process(const Event& event, TimePoint now);
  // Fires every timer due at or before `now` (group_wait, auto_resolve_after,
  // flapping, reopen windows, SLA, escalations, storm end).
  Actions tick(TimePoint now);
  // What process() would do with `event`, without changing this engine.
  Explanation explain(const Event& event, TimePoint now) const;

  // Commands from humans (API, ticketctl). `actor` goes on the timeline.
  // A ticket the engine no longer holds (resolved long ago) is passed in as
  // `stored`, read from the store by the caller.
  // Opens a manual ticket; an empty title is invalid.
  Result<Actions> create_ticket(const NewTicket& ticket, const std::string& actor, TimePoint now);
  // Changes status / assignee / team / impact / urgency. An empty patch is
  // invalid; an invalid status transition is a conflict (nothing changes).
  Result<Actions> patch_ticket(const std::string& key, const TicketPatch& patch,
                               const std::string& actor, TimePoint now,
                               const std::optional<Ticket>& stored);
  Result<Actions> acknowledge(const std::string& key, const std::string& actor, TimePoint now,
                              const std::optional<Ticket>& stored);
  Result<Actions> add_note(const std::string& key, const std::string& text,
                           NoteVisibility visibility, const std::string& actor, TimePoint now,
                           const std::optional<Ticket>& stored);

  // Acknowledges or resolves the ticket holding the alert `fingerprint`
  // (PagerDuty acknowledge / resolve by dedup_key). Not found is not an error:
  // the answer says whether a ticket was touched.
  Result<Actions> alert_command(const std::string& fingerprint, AlertCommand command,
                                const std::string& actor, TimePoint now, std::string* ticket_key);

  Result<Actions> add_silence(Silence silence, TimePoint now);
  Result<Actions> expire_silence(const std::string& id, TimePoint now);
  std::vector<Silence> silences() const;

  // Batch mode (the daemon's pipeline): ticket changes are not reported per
  // call but collected, and flush_updates() reports each changed ticket once.
  // Off by default: every call then reports its own TicketUpdated actions.
  void set_batch_mode(bool on) { batch_mode_ = on; }
  Actions flush_updates();

  // The correlation state records changed since the last call (and forgets
  // them): an alert, a group, a problem window, … each one record, so a batch
  // writes what it changed, not the whole state. Empty when nothing changed.
  StateChanged take_state_changes();
  bool state_changed() const { return !changed_state_.empty(); }
  // Every state record, by key: what take_state_changes() has handed out in
  // total, for tests and diagnostics (walks the whole state).
  std::map<std::string, std::string> state_records() const;

  // Internal consistency (the firing-alert index matches the alerts, every
  // deadline has a timer); for tests.
  bool check_invariants() const;

  size_t open_ticket_count() const;
  // Open tickets per rule name.
  std::map<std::string, int64_t> open_tickets_by_rule() const;
  // Hits per rule name since start (or last restore).
  const std::unordered_map<std::string, uint64_t>& rule_hits() const { return hits_; }

 private:
  struct Alert {
    std::string fingerprint;
    std::string rule;
    std::string group;
    enum class Phase { kPending, kFiring, kResolved } phase = Phase::kPending;
    TimePoint first_seen{}, last_seen{}, resolved_at{};
    int64_t event_count = 0;  // events since it last started firing (or pending)
    // Vectors, not deques: libstdc++'s deque allocates about 600 bytes even
    // when empty, and most alerts never use either window.
    std::vector<TimePoint> hits;     // threshold window
    std::vector<TimePoint> changes;  // firing <-> resolved transitions, for flapping
    // The latest event, kept only if the rule may inhibit (may_inhibit()):
    // shared and immutable, so a copy of the engine (explain) stays cheap.
    std::shared_ptr<const Event> event;
    rules::Captures captures;  // of the first event, until the alert fires and seeds its group
  };
  struct Group {
    std::string id;
    std::string rule;
    std::string ticket_key;  // empty while waiting for group_wait
    TimePoint wait_until{};
    std::vector<std::string> alerts;           // fingerprints, in arrival order
    std::shared_ptr<const Event> first_event;  // to render the ticket; dropped once it is open
    rules::Captures captures;                  // likewise
    int64_t waiting_events = 0;
    bool resolved = false;  // ticket resolved, kept for reopen_window
    TimePoint resolved_at{};
    bool flapping = false;
    bool storm = false;  // the storm incident's group
  };
  struct ProblemWindow {
    std::vector<std::pair<TimePoint, std::string>> incidents;
    std::string open_key;
  };
  struct Context;  // one call's output and trace

  // restore() in three steps: tickets and silences, the state records
  // (may throw on a malformed record), then groups for open tickets the
  // records do not know.
  void adopt_tickets(const EngineState& state);
  void adopt_records(const std::vector<std::pair<std::string, std::string>>& records);
  // One record each (adopt_records() calls them in dependency order).
  void adopt_resolved_ticket(const std::string& key, const nlohmann::json& j);
  void adopt_group(const std::string& key, const nlohmann::json& j);
  void adopt_alert(const std::string& key, const nlohmann::json& j);
  void adopt_problem(const std::string& key, const nlohmann::json& j);
  void adopt_escalated(const std::string& key, const nlohmann::json& names);
  void adopt_storm(const std::string& key, const nlohmann::json& j);
  void adopt_orphan_tickets();
  // Rebuilds the group of an open ticket the engine holds no group for, so
  // dedup continues into it (restore; a ticket reopened by hand).
  void adopt_ticket_group(const Ticket& t);
  // The record of `key` as it is now; empty when it no longer exists.
  std::optional<std::string> state_record(const std::string& key) const;
  // Whether state_record(key) has a value, without building it.
  bool holds_record(const std::string& key) const;
  // Marks a state record changed (written with the next batch).
  void touch(std::string key) { changed_state_.insert(std::move(key)); }
  void touch_alert(const std::string& fp) { touch("a/" + fp); }
  void touch_group(const std::string& id);           // and the alerts of a group of one or two
  void touch_ticket_state(const std::string& key) {  // kept resolved ticket, escalations done
    touch("t/" + key);
    touch("e/" + key);
  }
  void touch_problem(const std::string& key) { touch("p/" + key); }
  void touch_storm() { touch("storm"); }
  // Timers (see TimerQueue): rebuilt from the state after restore and reload;
  // otherwise each place that sets a deadline schedules it.
  void rebuild_timers();
  // How long a resolved group is kept (reopen window, flapping window).
  Duration reopen_keep(const Group& g) const;
  // The next SLA target or applicable escalation of an open ticket.
  std::optional<TimePoint> ticket_deadline(const Ticket& t) const;
  // When escalation `e` of ticket `t` is due, or nullopt: done already, or
  // not applicable (priority, team, acknowledged) at present.
  std::optional<TimePoint> escalation_due(const Ticket& t, const rules::EscalationRule& e) const;
  // Schedules the ticket's next deadline unless an earlier entry exists.
  void schedule_ticket(const Ticket& t);
  // After any change of a ticket the engine holds: open-ticket count, timers.
  void ticket_changed(const Ticket& t);
  bool check_timers() const;

  void process_into(const Event& event, TimePoint now, Context& cx);
  bool handle_match(const rules::Rule& rule, const Event& event, const rules::Captures& captures,
                    TimePoint now, Context& cx, RuleTrace* tr);
  // True when the alert fires alone in a group whose ticket the engine holds,
  // keeps no event, and so its record need not change with a deduplicated
  // event: last_seen is the ticket's, event_count is unused while firing.
  bool record_follows_ticket(const Alert& a) const;
  void alert_event(const rules::Rule& rule, const std::string& fp, const Event& event,
                   const rules::Captures& captures, TimePoint now, Context& cx, EventRecorded& rec);
  void on_alert_event(const rules::Rule& rule, const std::string& fp, const Event& event,
                      const rules::Captures& captures, TimePoint now, Context& cx,
                      EventRecorded& rec);
  void fire(const rules::Rule& rule, Alert& alert, const Event& event, TimePoint now, Context& cx,
            EventRecorded& rec);
  // True when an inhibit rule may take alerts of `rule_name` as its source.
  bool may_inhibit(const std::string& rule_name) const;
  // Opens the group's ticket, or hands its alerts to the storm incident
  // (returns true; `g` is then gone). `key` receives the ticket's key.
  bool open_group_ticket(Group& g, TimePoint now, Context& cx, std::string* key);
  void resolve_alert(const std::string& fp, TimePoint now, const std::string& why, Context& cx,
                     EventRecorded* rec);
  void resolve_ticket_if_done(Group& g, TimePoint now, const std::string& why, Context& cx);
  void note_change(const rules::Rule* rule, Alert& a, Group* g, TimePoint now, Context& cx);
  bool storm_redirect(Group& g, TimePoint now, Context& cx);
  void link_problems(const Ticket& incident, const Event& event, TimePoint now, Context& cx);
  const Silence* silenced_by(const Event& event, TimePoint now) const;
  // An in-progress change ticket whose labels.hosts names the event's host.
  const Ticket* change_covering(const Event& event) const;
  const Ticket* inhibited_by(const rules::Rule& rule, const Event& event,
                             std::string* inhibit_name) const;
  void apply_sla(Ticket& t) const;
  // After a priority change: the targets of the new priority (measured from
  // created_at; none when it has none), with a timeline entry when they move.
  void follow_sla(Ticket& t, TimePoint now, Context& cx);
  void update(Ticket& t, TimePoint now, Context& cx);
  // Sets (adding if new) the status of alert `fp` on ticket `t`; indexed for
  // tickets with many alerts, so a storm costs the same per alert at any size.
  void set_alert_status(Ticket& t, const std::string& fp, const char* status);
  // After a deduplicated event: only the counters changed (TicketUpdated::counters_only).
  void update_counters(Ticket& t, TimePoint now, Context& cx);
  void note(Context& cx, const std::string& key, TimePoint now, std::string kind,
            std::string message, nlohmann::json details = nlohmann::json::object());
  std::string fingerprint_of(const rules::Rule& rule, const Event& event,
                             const rules::Captures& captures) const;
  std::string group_of(const rules::Rule& rule, const std::string& fp, const Event& event) const;
  std::string next_key(TicketType type);
  Ticket* ticket(const std::string& key);
  void forget_group(const std::string& id);
  void erase_ticket(const std::string& key);
  // The firing-alert index by rule, kept in step with every phase change.
  void index_firing(const Alert& a);
  void unindex(const Alert& a);
  void erase_alert(const std::string& fp);
  // The engine's copy of a ticket, adopting `stored` when it has none.
  Result<Ticket*> held(const std::string& key, const std::optional<Ticket>& stored);
  // A human resolved, closed or cancelled the ticket: its alerts end too.
  void end_alerts_of(const Ticket& t, TimePoint now);

  std::shared_ptr<const rules::RuleSet> rules_;
  std::unordered_map<std::string, Alert> alerts_;
  std::unordered_map<std::string, std::unordered_set<std::string>> firing_by_rule_;
  std::unordered_map<std::string, Group> groups_;
  std::unordered_map<std::string, Ticket> tickets_;  // open, or resolved and reopenable, by key
  std::vector<std::string> changes_;                 // keys of open change tickets
  std::map<std::string, Silence> silences_;
  std::map<std::string, ProblemWindow> problems_;           // by problem rule + group values
  std::map<std::string, std::set<std::string>> escalated_;  // ticket key -> escalations applied
  std::deque<TimePoint> opened_;                            // ticket openings in the storm window
  std::string storm_group_;
  TimePoint storm_until_{};
  std::map<TicketType, int64_t> last_seq_;
  int64_t last_silence_ = 0;
  std::unordered_map<std::string, uint64_t> hits_;
  std::unordered_set<std::string> changed_state_;  // record keys, see touch()
  TimerQueue timers_;
  std::unordered_map<std::string, TimePoint> ticket_due_;  // the live kTicket entry per ticket
  std::unordered_set<std::string> open_keys_;              // keys of open tickets held
  bool batch_mode_ = false;
  std::string default_rule_;
  std::set<std::string> changed_tickets_;  // batch mode: to report in flush_updates()
  std::set<std::string> changed_fully_;    // of which more than the counters changed
  // Positions in a long ticket's `alerts` by fingerprint (set_alert_status).
  struct AlertIndex {
    size_t count = 0;
    std::unordered_map<std::string, size_t> pos;
  };
  std::unordered_map<std::string, AlertIndex> alert_index_;
  std::map<std::string, Ticket> forgotten_;  // changed, then erased before the flush
};

}  // namespace ticketd::engine
