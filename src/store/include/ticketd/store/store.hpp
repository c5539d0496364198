// Store: the system of record for tickets, their timelines and events.
//
// apply() is called by one writer (the pipeline worker) and commits a batch of
// engine actions atomically. Reads may come from any thread; implementations
// serialize them internally. All methods report failure as a Status and never
// throw.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "ticketd/core/actions.hpp"
#include "ticketd/core/status.hpp"
#include "ticketd/core/ticket.hpp"

namespace ticketd::store {

struct TicketQuery {
  std::optional<TicketStatus> status;
  bool open_only = false;  // status=open: new, assigned, in_progress or pending
  std::optional<TicketType> type;
  std::optional<Priority> priority;
  std::string team;    // empty = any
  std::string text;    // q=: words that must all appear in title, description, key or fingerprint
  int limit = 100;     // 1..1000
  std::string cursor;  // opaque, from the previous page's next_cursor
};

struct TicketPage {
  std::vector<Ticket> tickets;
  std::string next_cursor;  // empty on the last page
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

class Store {
 public:
  virtual ~Store() = default;

  // Commits every action of the batch in one transaction, or none of them.
  // Fails with conflict when the batch violates a constraint (the batch is
  // wrong; retrying it cannot help), io_error when the store is.
  virtual Status apply(const Actions& actions) = 0;
  // Open tickets, key counters, silences and state records: what the engine
  // restarts from.
  virtual Result<StoredState> load_state() = 0;

  virtual Result<std::optional<Ticket>> get_ticket(const std::string& key) = 0;
  virtual Result<TicketPage> list_tickets(const TicketQuery& query) = 0;
  virtual Result<std::vector<TimelineEntry>> timeline(const std::string& key) = 0;
  virtual Result<std::vector<StoredEvent>> ticket_events(const std::string& key, int limit) = 0;
  // Every silence's latest document (SilenceSaved::body), latest end first.
  virtual Result<std::vector<std::string>> list_silences() = 0;
  // Open tickets by priority and team, MTTA/MTTR, top recurring fingerprints.
  virtual Result<nlohmann::json> stats() = 0;
  // Resolved or closed tickets like `t` (same fingerprint first, then same
  // rule), newest first, each with its notes.
  virtual Result<nlohmann::json> similar(const Ticket& t, int limit) = 0;
  // Deletes events received before `cutoff`; returns how many.
  virtual Result<int64_t> prune_events(TimePoint cutoff) = 0;
};

struct SqliteOptions {
  std::string path;            // database file; parent directory is created
  int busy_timeout_ms = 5000;  // wait for a lock this long before failing
  // true: fsync every commit (synchronous=FULL): a commit survives power
  // loss. false (synchronous=NORMAL in WAL mode): commits survive a crash of
  // the process, and only checkpoints fsync.
  bool sync_full = true;
};

// Opens (creating and migrating as needed) a SQLite store in WAL mode.
Result<std::unique_ptr<Store>> open_sqlite_store(const SqliteOptions& options);

}  // namespace ticketd::store
