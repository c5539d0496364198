// Store: the system of record for tickets, their timelines and events.
//
// apply() is called by one writer (the pipeline worker) and commits a batch of
// engine actions atomically. Reads may come from any thread, concurrently
// with each other and with apply(); each read sees committed batches only,
// never part of one. All methods report failure as a Status and never throw.
// Reads return domain values; shaping them for the HTTP API is the API's job.
// tests/unit/store_conformance_test.cpp states this contract for every
// implementation.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "ticketd/core/actions.hpp"
#include "ticketd/core/status.hpp"
#include "ticketd/core/ticket.hpp"

namespace ticketd::store {

// The order of a ticket listing (TicketQuery::sort).
enum class TicketSort {
  kDefault,  // with `text`: best match first, newest first among equals; else kNewest
  kNewest,   // newest first (by when the store first saw each; updates do not move it)
  // P1 first; within a priority the nearest SLA due time first: respond_by
  // while the ticket is unacknowledged, else resolve_by (tickets with
  // neither come last); then newest first.
  kPriority,
};

struct TicketQuery {
  std::optional<TicketStatus> status;
  bool open_only = false;  // status=open: new, assigned, in_progress or pending
  std::optional<TicketType> type;
  std::optional<Priority> priority;
  // Unset: any team. "": tickets without a team. Otherwise that team,
  // ignoring ASCII case.
  std::optional<std::string> team;
  // Unset: any. "": unassigned tickets. Otherwise exactly that assignee.
  std::optional<std::string> assignee;
  // q=: full-text search (docs/search.md): words, "phrases" and word*
  // prefixes, each of which must appear (ignoring case and diacritics) in
  // the title, description, notes, resolution, labels, event messages or
  // hosts, key or fingerprint, or in one of them with field: (title:disk).
  // Text with no word to search for (only punctuation): invalid_argument.
  // Empty: no text filter.
  std::string text;
  TicketSort sort = TicketSort::kDefault;
  int limit = 100;     // clamped to 1..1000
  std::string cursor;  // opaque, from the previous page's next_cursor
};

struct TicketPage {
  std::vector<Ticket> tickets;
  std::string next_cursor;  // empty on the last page
  // How many tickets match the filters and text (whatever the cursor and
  // limit), counted in the snapshot the page was read from.
  int64_t total = 0;
};

struct StoredEvent {
  int64_t id = 0;
  Event event;
  TimePoint received_at{};
  std::string decision;
  std::string rule;
  std::string ticket_key;
  std::string detail;
};

// A listing of stored events (list_events). Every set filter must hold.
struct EventQuery {
  // Exactly a decision_name() (core/actions.hpp); another name:
  // invalid_argument listing the valid ones. Dropped events are never
  // stored, so "dropped" is valid and matches nothing.
  std::optional<std::string> decision;
  std::optional<TimePoint> since;     // received at or after
  std::optional<TimePoint> until;     // received before
  std::optional<std::string> rule;    // exactly the deciding rule ("" = none)
  std::optional<std::string> host;    // exactly the event's host
  std::optional<std::string> ticket;  // exactly the ticket key ("" = attached to none)
  int limit = 100;                    // 1..1000; outside: invalid_argument
  std::string cursor;                 // opaque, from the previous page's next_cursor
};

struct EventPage {
  std::vector<StoredEvent> events;  // newest first (by id: the order stored)
  std::string next_cursor;          // empty on the last page
};

// A fingerprint (with the rule that opened it) that tickets keep coming back for.
struct RecurringFingerprint {
  std::string fingerprint;
  std::string rule;
  int64_t tickets = 0;      // tickets ever opened for it, in any status
  int64_t events = 0;       // the sum of their event counts
  TimePoint last_opened{};  // created_at of the newest of them
};

// Counts over all stored tickets. "Open" means not resolved, closed or
// cancelled (is_open()).
struct StoreStats {
  std::map<Priority, int64_t> open_by_priority;  // only priorities with open tickets
  std::map<std::string, int64_t> open_by_team;   // "" counts open tickets without a team
  std::map<TicketType, int64_t> open_by_type;
  int64_t tickets_total = 0;
  int64_t open_total = 0;
  // Mean time to acknowledge: acknowledged_at - created_at averaged over the
  // tickets that have acknowledged_at (truncated to whole milliseconds);
  // empty when none has.
  std::optional<Duration> mtta;
  // Mean time to resolve: resolved_at - created_at over the tickets that
  // have resolved_at; empty when none has.
  std::optional<Duration> mttr;
  // At most 10 (fingerprint, rule) pairs of tickets with a fingerprint, most
  // tickets first, then most events.
  std::vector<RecurringFingerprint> top_fingerprints;
};

// Why a ticket is like another one, strongest first.
enum class SimilarMatch {
  kFingerprint,  // the same fingerprint: the same alert
  kRule,         // the same rule (another host, device, …)
  kText,         // words of the title and description in common
};

// A resolved or closed ticket like another one, with what people noted on it.
struct SimilarTicket {
  Ticket ticket;
  SimilarMatch match = SimilarMatch::kText;
  std::vector<TimelineEntry> notes;  // its timeline entries of kind "note", oldest first
};

// What Store::similar looks for.
struct SimilarQuery {
  int limit = 10;       // clamped to 1..100
  bool by_text = true;  // also rank by words in common (full-text index)
};

// What Store::trends reads: the tickets created in the window of `days`
// days of 24 hours from `since` ([since, since + days)).
struct TrendsQuery {
  TimePoint since{};  // the start of the first day (the API passes a UTC midnight)
  int days = 30;      // clamped to 1..366
  // Only the tickets of this team, compared ignoring ASCII case; "" = only
  // the tickets without a team. None: every ticket.
  std::optional<std::string> team;
};

// One day of the window.
struct TrendsDay {
  TimePoint start{};
  int64_t opened = 0;    // tickets created that day
  int64_t resolved = 0;  // tickets resolved that day, whenever they were created
};

// The tickets created in the window with one priority, or one team. Means
// are truncated to whole milliseconds, as in StoreStats.
struct TrendsGroup {
  int64_t tickets = 0;
  std::optional<Duration> mtta;  // acknowledged_at - created_at over those acknowledged
  std::optional<Duration> mttr;  // resolved_at - created_at over those resolved
};

// A rule and the tickets it opened in the window.
struct RuleTrend {
  std::string rule;
  int64_t tickets = 0;
  int64_t events = 0;  // the sum of their event counts
};

// Tickets created (and resolved) per day over a window, and the tickets
// created in it by priority, by team, by fingerprint and by rule.
struct Trends {
  std::vector<TrendsDay> per_day;                             // every day, oldest first
  std::vector<std::pair<Priority, TrendsGroup>> by_priority;  // P1 first; only those with tickets
  // Most tickets first, then by name; "" = without a team.
  std::vector<std::pair<std::string, TrendsGroup>> by_team;
  // At most 10 (fingerprint, rule) pairs with two tickets or more in the
  // window, most tickets first, then most events (RecurringFingerprint
  // counts only the window's tickets).
  std::vector<RecurringFingerprint> top_fingerprints;
  // At most 10 rules (tickets without a rule do not count), most tickets
  // first, then most events.
  std::vector<RuleTrend> top_rules;
};

// One queued message for a backend or notification target (OutboxQueued).
struct OutboxEntry {
  int64_t id = 0;  // increasing: the order entries were queued in
  std::string target;
  std::string ticket_key;
  std::string kind;
  std::string payload;
  int64_t count = 1;  // occurrences folded into it
  TimePoint created_at{};
  TimePoint next_at{};  // not sent before
  int attempts = 0;     // sends started (counted before each send)
  std::string last_error;
  bool held = false;  // stopped until an operator retries or drops it
};

struct OutboxQuery {
  std::string target;  // empty: every target
  std::string ticket_key;
  bool held_only = false;
  int limit = 100;  // clamped to 1..1000
  int64_t after_id = 0;
};

// Per target: what waits in its outbox.
struct OutboxDepth {
  int64_t queued = 0;  // every entry, held ones included
  int64_t held = 0;
  std::optional<TimePoint> oldest;  // created_at of the oldest entry
};

class Store {
 public:
  virtual ~Store() = default;

  // Commits every action of the batch in one transaction, or none of them.
  // Fails with conflict when the batch violates a constraint (the batch is
  // wrong; retrying it cannot help), io_error when the store is. The
  // constraint: no two open tickets share a non-empty fingerprint.
  // TicketUpdated replaces the stored state of a ticket, except what is fixed
  // when it opens (type, rule, first_seen, created_at).
  virtual Status apply(const Actions& actions) = 0;
  // Open tickets, key counters, silences and state records, from one
  // snapshot: what the engine restarts from.
  virtual Result<StoredState> load_state() = 0;

  // The ticket as last written, or none; a problem comes with the keys of
  // its linked incidents, oldest first (Ticket::incidents; only here:
  // list_tickets and load_state leave it empty).
  virtual Result<std::optional<Ticket>> get_ticket(const std::string& key) = 0;
  // Tickets matching every filter of `query`, in its order (TicketSort),
  // with the total that match. Following next_cursor visits each match
  // once: in kNewest and kPriority order (keyset cursors) tickets created
  // meanwhile appear on later pages when they sort after the cursor; a
  // ticket whose priority or due time changes while a client pages may be
  // met twice or not at all. In best-match order (text, kDefault) each
  // ticket that matched when the first page was read is visited once, as
  // long as no match's indexed text changes meanwhile (tickets created
  // later are left out). A malformed cursor, or one from a listing with
  // another `text` or order: invalid_argument.
  virtual Result<TicketPage> list_tickets(const TicketQuery& query) = 0;
  // A ticket's timeline, oldest first (in the order written); empty for an
  // unknown key.
  virtual Result<std::vector<TimelineEntry>> timeline(const std::string& key) = 0;
  // The newest `limit` (clamped to 1..10000) events attached to the ticket,
  // newest first. Dropped events are never stored.
  virtual Result<std::vector<StoredEvent>> ticket_events(const std::string& key, int limit) = 0;
  // Every silence's latest document (SilenceSaved::body), latest end first.
  virtual Result<std::vector<std::string>> list_silences() = 0;
  // Open tickets by priority, team and type, MTTA/MTTR, top recurring
  // fingerprints, all from one snapshot.
  virtual Result<StoreStats> stats() = 0;
  // Up to `q.limit` resolved or closed tickets other than `t`: those with
  // its fingerprint, newest first; then those with its rule, newest first
  // (empty fingerprints and rules match nothing); then, with `q.by_text`,
  // those sharing words of its title and description, best match (bm25)
  // first, among the latest 200,000 tickets.
  virtual Result<std::vector<SimilarTicket>> similar(const Ticket& t, const SimilarQuery& q) = 0;
  // Tickets created and resolved per day over the window of `q`, and the
  // window's tickets by priority, team, fingerprint and rule, all from one
  // snapshot. Its cost follows the tickets of the window (indexes by
  // created_at and resolved_at), not the whole store.
  virtual Result<Trends> trends(const TrendsQuery& q) = 0;
  // The newest `limit` (clamped to 1..100000) events received at or after
  // `since`, newest first (by received_at, then as stored).
  virtual Result<std::vector<StoredEvent>> recent_events(TimePoint since, int limit) = 0;
  // For each of `keys`: the newest `per_ticket` (clamped to 1..100) events
  // attached to that ticket, newest first, all from one snapshot. Keys
  // without stored events are absent.
  virtual Result<std::map<std::string, std::vector<StoredEvent>>> latest_ticket_events(
      const std::vector<std::string>& keys, int per_ticket) = 0;
  // Stored events matching every filter of `query`, newest first (highest
  // id first). Following next_cursor (a keyset cursor: the last id shown)
  // visits each match once; events stored meanwhile are not on later pages.
  // A malformed cursor, an unknown decision or a limit outside 1..1000:
  // invalid_argument.
  virtual Result<EventPage> list_events(const EventQuery& query) = 0;
  // Deletes events received before `cutoff`; returns how many.
  virtual Result<int64_t> prune_events(TimePoint cutoff) = 0;

  // The outbox. Entries come in through apply() (OutboxQueued); a target's
  // worker takes them with outbox_due() and ends each with outbox_done() or
  // outbox_defer(). These may run on any thread beside apply().
  //
  // Up to `limit` entries of `target` that may be sent now, oldest first:
  // each is the first of its ticket's entries for the target (entries of a
  // ticket go in order; a held or deferred one stops those after it), not
  // held, and due (next_at <= now; an occurrences entry is due early when a
  // later entry of its ticket waits behind it).
  virtual Result<std::vector<OutboxEntry>> outbox_due(const std::string& target, TimePoint now,
                                                      int limit) = 0;
  // Counts the sends of a round as started (attempts + 1), in one
  // transaction, before they are made: after a crash the worker knows a
  // create may have reached the backend.
  virtual Status outbox_started(const std::vector<int64_t>& ids) = 0;
  // Takes that count back for sends of the round that were not made after
  // all (the round stopped at a failure).
  virtual Status outbox_not_started(const std::vector<int64_t>& ids) = 0;
  // After `target` recovered: its entries backing off from failures are due
  // at `now` (coalescing occurrences keep their time); how many.
  virtual Result<int64_t> outbox_release(const std::string& target, TimePoint now) = 0;
  // The entry was delivered: removes it, and in one transaction records the
  // remote ticket (when `remote` has an id: the ticket's ExternalRef for the
  // target) and appends `entry` to the ticket's timeline (when given). An
  // entry an operator dropped while it was being sent still has its remote
  // ticket recorded (remote->backend and entry->ticket_key name it), so a
  // later entry of the ticket does not create a second one.
  virtual Status outbox_done(int64_t id, const std::optional<ExternalRef>& remote,
                             const std::optional<TimelineEntry>& entry) = 0;
  // The send failed: retried at `next_at`, or held (with `hold`) until an
  // operator acts; `error` says why.
  virtual Status outbox_defer(int64_t id, TimePoint next_at, const std::string& error,
                              bool hold) = 0;
  virtual Result<std::vector<OutboxEntry>> outbox_list(const OutboxQuery& query) = 0;
  // Releases a held entry (or a deferred one) to be sent at `now`; false when
  // no entry has that id.
  virtual Result<bool> outbox_retry(int64_t id, TimePoint now) = 0;
  // Deletes an entry unsent; false when no entry has that id.
  virtual Result<bool> outbox_drop(int64_t id) = 0;
  // Depth per target that has entries.
  virtual Result<std::map<std::string, OutboxDepth>> outbox_depth() = 0;
  // The remote ticket of `ticket_key` in `target`: linked (a create was
  // queued) with an empty id until the create succeeds; none when unlinked.
  virtual Result<std::optional<ExternalRef>> external_ref(const std::string& target,
                                                          const std::string& ticket_key) = 0;
  // The ticket linked to the remote ticket `remote_id` of `target`, if any.
  virtual Result<std::optional<std::string>> ticket_for_remote(const std::string& target,
                                                               const std::string& remote_id) = 0;
};

struct SqliteOptions {
  std::string path;            // database file; parent directory is created
  int busy_timeout_ms = 5000;  // wait for a lock this long before failing
  // true: fsync every commit (synchronous=FULL): a commit survives power
  // loss. false (synchronous=NORMAL in WAL mode): commits survive a crash of
  // the process, and only checkpoints fsync.
  bool sync_full = true;
  // Reader connections: up to this many reads run at once (WAL lets readers
  // proceed beside the writer and each other); a read waits while all are
  // busy. Less than 1: invalid_argument.
  int readers = 4;
};

// Opens (creating and migrating as needed) a SQLite store in WAL mode.
Result<std::unique_ptr<Store>> open_sqlite_store(const SqliteOptions& options);

}  // namespace ticketd::store
