// SQLite implementation of Store: WAL mode, migrations versioned by
// PRAGMA user_version, prepared statements only, one transaction per batch.
// One connection writes (apply, prune) behind a mutex; a pool of reader
// connections serves reads, several at once, so API reads never wait for a
// long batch commit nor, up to the pool's size, for each other.
#include <spdlog/spdlog.h>
#include <sqlite3.h>

#include <algorithm>
#include <climits>
#include <condition_variable>
#include <filesystem>
#include <limits>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string_view>
#include <thread>
#include <tuple>
#include <type_traits>
#include <unordered_set>
#include <variant>

#include "search_query.hpp"
#include "ticketd/store/store.hpp"

namespace ticketd::store {
namespace {

// Each entry migrates the schema from version i to i+1. Never edit a shipped
// entry; append a new one.
const char* const kMigrations[] = {
    R"sql(
CREATE TABLE tickets (
  id INTEGER PRIMARY KEY,
  key TEXT NOT NULL UNIQUE,
  type TEXT NOT NULL,
  seq INTEGER NOT NULL,
  title TEXT NOT NULL,
  description TEXT NOT NULL,
  status TEXT NOT NULL,
  priority INTEGER NOT NULL,
  impact TEXT NOT NULL,
  urgency TEXT NOT NULL,
  category TEXT NOT NULL DEFAULT '',
  team TEXT NOT NULL DEFAULT '',
  assignee TEXT NOT NULL DEFAULT '',
  rule TEXT NOT NULL DEFAULT '',
  fingerprint TEXT NOT NULL DEFAULT '',
  event_count INTEGER NOT NULL DEFAULT 0,
  first_seen INTEGER NOT NULL,
  last_seen INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  acknowledged_at INTEGER,
  acknowledged_by TEXT NOT NULL DEFAULT '',
  resolved_at INTEGER,
  closed_at INTEGER,
  labels TEXT NOT NULL DEFAULT '{}'
);
-- No fingerprint ever has two open tickets.
CREATE UNIQUE INDEX tickets_open_fingerprint ON tickets(fingerprint)
  WHERE fingerprint <> '' AND status NOT IN ('resolved', 'closed', 'cancelled');
CREATE UNIQUE INDEX tickets_type_seq ON tickets(type, seq);
CREATE INDEX tickets_status ON tickets(status, id);
CREATE TABLE timeline (
  id INTEGER PRIMARY KEY,
  ticket_key TEXT NOT NULL,
  time INTEGER NOT NULL,
  actor TEXT NOT NULL,
  kind TEXT NOT NULL,
  message TEXT NOT NULL,
  details TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX timeline_ticket ON timeline(ticket_key, id);
CREATE TABLE events (
  id INTEGER PRIMARY KEY,
  received_at INTEGER NOT NULL,
  decision TEXT NOT NULL,
  rule TEXT NOT NULL DEFAULT '',
  ticket_key TEXT NOT NULL DEFAULT '',
  body TEXT NOT NULL
);
CREATE INDEX events_ticket ON events(ticket_key, id);
CREATE INDEX events_received ON events(received_at);
)sql",
    R"sql(
ALTER TABLE tickets ADD COLUMN respond_by INTEGER;
ALTER TABLE tickets ADD COLUMN resolve_by INTEGER;
ALTER TABLE tickets ADD COLUMN breaches TEXT NOT NULL DEFAULT '[]';
ALTER TABLE tickets ADD COLUMN problem TEXT NOT NULL DEFAULT '';
ALTER TABLE tickets ADD COLUMN alerts TEXT NOT NULL DEFAULT '[]';
ALTER TABLE tickets ADD COLUMN flapping INTEGER NOT NULL DEFAULT 0;
ALTER TABLE tickets ADD COLUMN suppressed_count INTEGER NOT NULL DEFAULT 0;
CREATE INDEX tickets_problem ON tickets(problem) WHERE problem <> '';
ALTER TABLE events ADD COLUMN detail TEXT NOT NULL DEFAULT '';
CREATE TABLE silences (
  id TEXT PRIMARY KEY,
  ends_at INTEGER NOT NULL,
  body TEXT NOT NULL
);
CREATE TABLE engine_state (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  saved_at INTEGER NOT NULL,
  body TEXT NOT NULL
);
CREATE TABLE notifications (
  id INTEGER PRIMARY KEY,
  time INTEGER NOT NULL,
  target TEXT NOT NULL,
  ticket_key TEXT NOT NULL,
  message TEXT NOT NULL
);
)sql",
    // The engine's correlation state as one record per alert, group, window
    // (written by each batch for what it changed) instead of one document;
    // the last document, if any, becomes records.
    R"sql(
CREATE TABLE engine_records (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;
INSERT OR REPLACE INTO engine_records (key, value)
  SELECT 'a/' || json_extract(x.value, '$.fingerprint'), x.value
  FROM engine_state s, json_each(s.body, '$.alerts') x WHERE json_valid(s.body);
INSERT OR REPLACE INTO engine_records (key, value)
  SELECT 'g/' || json_extract(x.value, '$.id'), x.value
  FROM engine_state s, json_each(s.body, '$.groups') x WHERE json_valid(s.body);
INSERT OR REPLACE INTO engine_records (key, value)
  SELECT 't/' || json_extract(x.value, '$.key'), x.value
  FROM engine_state s, json_each(s.body, '$.resolved_tickets') x WHERE json_valid(s.body);
INSERT OR REPLACE INTO engine_records (key, value)
  SELECT 'p/' || json_extract(x.value, '$.key'), x.value
  FROM engine_state s, json_each(s.body, '$.problems') x WHERE json_valid(s.body);
INSERT OR REPLACE INTO engine_records (key, value)
  SELECT 'e/' || x.key, x.value
  FROM engine_state s, json_each(s.body, '$.escalated') x WHERE json_valid(s.body);
INSERT OR REPLACE INTO engine_records (key, value)
  SELECT 'storm', json_object('opened', json(coalesce(json_extract(s.body, '$.opened'), '[]')),
                              'storm_group', coalesce(json_extract(s.body, '$.storm_group'), ''),
                              'storm_until', coalesce(json_extract(s.body, '$.storm_until'), 0))
  FROM engine_state s WHERE json_valid(s.body);
DROP TABLE engine_state;
)sql",
    // Events as columns instead of one JSON document each: no JSON tree per
    // event on the hot path and smaller rows. Older rows keep their body
    // (read as before); new rows leave it empty. Events without a ticket
    // (unmatched, silenced) stay out of the per-ticket index.
    R"sql(
ALTER TABLE events ADD COLUMN source TEXT;
ALTER TABLE events ADD COLUMN time INTEGER;
ALTER TABLE events ADD COLUMN host TEXT;
ALTER TABLE events ADD COLUMN severity INTEGER;
ALTER TABLE events ADD COLUMN facility TEXT;
ALTER TABLE events ADD COLUMN app TEXT;
ALTER TABLE events ADD COLUMN msgid TEXT;
ALTER TABLE events ADD COLUMN message TEXT;
ALTER TABLE events ADD COLUMN trap_oid TEXT;
ALTER TABLE events ADD COLUMN status TEXT;
ALTER TABLE events ADD COLUMN labels TEXT;
ALTER TABLE events ADD COLUMN annotations TEXT;
DROP INDEX events_ticket;
CREATE INDEX events_ticket ON events(ticket_key, id) WHERE ticket_key <> '';
)sql",
    // The backend outbox (entries in the order queued; a ticket's entries
    // for a target go in id order) and the links between tickets and their
    // remote tickets: a row exists from the moment a create is queued, and
    // has the remote id once the create succeeded.
    R"sql(
CREATE TABLE outbox (
  id INTEGER PRIMARY KEY AUTOINCREMENT,  -- never reused: ids an operator saw stay unique
  target TEXT NOT NULL,
  ticket_key TEXT NOT NULL,
  kind TEXT NOT NULL,
  payload TEXT NOT NULL,
  count INTEGER NOT NULL DEFAULT 1,
  created_at INTEGER NOT NULL,
  next_at INTEGER NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  last_error TEXT NOT NULL DEFAULT '',
  held INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX outbox_target ON outbox(target, id);
CREATE INDEX outbox_ticket ON outbox(target, ticket_key, id);
CREATE TABLE external_refs (
  ticket_key TEXT NOT NULL,
  backend TEXT NOT NULL,
  remote_id TEXT NOT NULL DEFAULT '',
  remote_key TEXT NOT NULL DEFAULT '',
  url TEXT NOT NULL DEFAULT '',
  PRIMARY KEY (ticket_key, backend)
) WITHOUT ROWID;
CREATE INDEX external_remote ON external_refs(backend, remote_id) WHERE remote_id <> '';
)sql",
    // How a person resolved the ticket (code and note; empty otherwise).
    R"sql(
ALTER TABLE tickets ADD COLUMN resolution_code TEXT NOT NULL DEFAULT '';
ALTER TABLE tickets ADD COLUMN resolution_note TEXT NOT NULL DEFAULT '';
)sql",
    // Full-text search (docs/search.md): one FTS5 row per ticket (rowid =
    // tickets.id), kept in step by triggers inside the writing transaction.
    // ticket_texts holds the first 20 distinct event messages and the first
    // 20 distinct event hosts of each ticket (apply() adds them, skipping
    // what it knows is there, so a deduplicated event costs no statement);
    // each row added rewrites the ticket's index row, and the cap bounds
    // what a ticket whose messages all differ costs. Ticket upserts that
    // change only counters leave the index alone (the WHEN of
    // tickets_search_update). The statements after the tables fill them from
    // what the database already holds; the triggers come last.
    R"sql(
CREATE VIRTUAL TABLE ticket_search USING fts5(
  title, description, notes, resolution, labels, messages, key, fingerprint, hosts,
  tokenize = 'unicode61 remove_diacritics 2'
);
CREATE TABLE ticket_texts (
  ticket_key TEXT NOT NULL,
  kind TEXT NOT NULL,  -- 'message' or 'host'
  text TEXT NOT NULL,
  PRIMARY KEY (ticket_key, kind, text)
) WITHOUT ROWID;
INSERT INTO ticket_texts (ticket_key, kind, text)
  SELECT ticket_key, 'message', m FROM
    (SELECT ticket_key, m, row_number() OVER (PARTITION BY ticket_key ORDER BY first) AS n FROM
      (SELECT ticket_key, m, min(id) AS first FROM
        (SELECT id, ticket_key, coalesce(message, CASE WHEN json_valid(body) THEN json_extract(body, '$.message') END) AS m
         FROM events WHERE ticket_key <> '')
       WHERE m IS NOT NULL AND m <> '' GROUP BY ticket_key, m))
  WHERE n <= 20;
INSERT INTO ticket_texts (ticket_key, kind, text)
  SELECT ticket_key, 'host', h FROM
    (SELECT ticket_key, h, row_number() OVER (PARTITION BY ticket_key ORDER BY first) AS n FROM
      (SELECT ticket_key, h, min(id) AS first FROM
        (SELECT id, ticket_key, coalesce(host, CASE WHEN json_valid(body) THEN json_extract(body, '$.host') END) AS h
         FROM events WHERE ticket_key <> '')
       WHERE h IS NOT NULL AND h <> '' GROUP BY ticket_key, h))
  WHERE n <= 20;
CREATE VIEW ticket_search_source AS
  SELECT t.id AS id, t.title AS title, t.description AS description,
    coalesce((SELECT group_concat(message, char(10)) FROM
      (SELECT message FROM timeline WHERE ticket_key = t.key AND kind = 'note' ORDER BY id)), '') AS notes,
    trim(t.resolution_code || ' ' || t.resolution_note) AS resolution,
    CASE WHEN json_valid(t.labels) THEN coalesce((SELECT group_concat(key || ' ' || value, char(10))
      FROM json_each(t.labels)), '') ELSE '' END AS labels,
    coalesce((SELECT group_concat(text, char(10)) FROM
      (SELECT text FROM ticket_texts WHERE ticket_key = t.key AND kind = 'message' LIMIT 20)), '') AS messages,
    t.key AS key, t.fingerprint AS fingerprint,
    coalesce((SELECT group_concat(text, char(10)) FROM
      (SELECT text FROM ticket_texts WHERE ticket_key = t.key AND kind = 'host' LIMIT 20)), '') AS hosts
  FROM tickets t;
INSERT INTO ticket_search (rowid, title, description, notes, resolution, labels, messages, key, fingerprint, hosts)
  SELECT id, title, description, notes, resolution, labels, messages, key, fingerprint, hosts
  FROM ticket_search_source;
CREATE TRIGGER tickets_search_insert AFTER INSERT ON tickets BEGIN
  INSERT INTO ticket_search (rowid, title, description, notes, resolution, labels, messages, key, fingerprint, hosts)
    SELECT id, title, description, notes, resolution, labels, messages, key, fingerprint, hosts
    FROM ticket_search_source WHERE id = new.id;
END;
CREATE TRIGGER tickets_search_update
  AFTER UPDATE OF title, description, resolution_code, resolution_note, labels, fingerprint ON tickets
  WHEN old.title IS NOT new.title OR old.description IS NOT new.description
    OR old.resolution_code IS NOT new.resolution_code OR old.resolution_note IS NOT new.resolution_note
    OR old.labels IS NOT new.labels OR old.fingerprint IS NOT new.fingerprint
BEGIN
  UPDATE ticket_search SET title = new.title, description = new.description,
    resolution = trim(new.resolution_code || ' ' || new.resolution_note),
    labels = CASE WHEN json_valid(new.labels) THEN coalesce((SELECT group_concat(key || ' ' || value, char(10))
      FROM json_each(new.labels)), '') ELSE '' END,
    fingerprint = new.fingerprint
  WHERE rowid = new.id;
END;
CREATE TRIGGER tickets_search_delete AFTER DELETE ON tickets BEGIN
  DELETE FROM ticket_search WHERE rowid = old.id;
  DELETE FROM ticket_texts WHERE ticket_key = old.key;
END;
CREATE TRIGGER timeline_search_note AFTER INSERT ON timeline WHEN new.kind = 'note' BEGIN
  UPDATE ticket_search SET notes = CASE WHEN notes = '' THEN new.message
    ELSE notes || char(10) || new.message END
  WHERE rowid = (SELECT id FROM tickets WHERE key = new.ticket_key);
END;
CREATE TRIGGER ticket_texts_search AFTER INSERT ON ticket_texts BEGIN
  UPDATE ticket_search SET
    messages = CASE WHEN new.kind <> 'message' THEN messages WHEN messages = '' THEN new.text
      ELSE messages || char(10) || new.text END,
    hosts = CASE WHEN new.kind <> 'host' THEN hosts WHEN hosts = '' THEN new.text
      ELSE hosts || char(10) || new.text END
  WHERE rowid = (SELECT id FROM tickets WHERE key = new.ticket_key);
END;
)sql",
    // Similar tickets (Store::similar) by fingerprint and by rule, newest
    // first, without reading every resolved ticket.
    R"sql(
CREATE INDEX tickets_fingerprint ON tickets(fingerprint, id);
CREATE INDEX tickets_rule ON tickets(rule, id);
)sql",
    // Schema 9: the web page's queue (sort=priority: priority, then the
    // nearest SLA due time) and trends (tickets created and resolved per day).
    R"sql(
ALTER TABLE tickets ADD COLUMN due_key INTEGER GENERATED ALWAYS AS (
  COALESCE(CASE WHEN acknowledged_at IS NULL THEN respond_by END, resolve_by)) VIRTUAL;
CREATE INDEX tickets_priority ON tickets(priority, due_key, id);
CREATE INDEX tickets_open_priority ON tickets(priority, due_key, id)
  WHERE status NOT IN ('resolved', 'closed', 'cancelled');
CREATE INDEX tickets_created ON tickets(created_at);
CREATE INDEX tickets_resolved ON tickets(resolved_at) WHERE resolved_at IS NOT NULL;
)sql",
};

constexpr const char* kOutboxColumns =
    "id, target, ticket_key, kind, payload, count, created_at, next_at, attempts, last_error, "
    "held";

constexpr const char* kTicketColumns =
    "key, type, seq, title, description, status, priority, impact, urgency, category, team, "
    "assignee, rule, fingerprint, event_count, first_seen, last_seen, created_at, updated_at, "
    "acknowledged_at, acknowledged_by, resolved_at, closed_at, labels, id, respond_by, resolve_by, "
    "breaches, "
    "problem, alerts, flapping, suppressed_count, resolution_code, resolution_note";

// kTicketColumns, each as t.<column>: for queries that join tickets (as t)
// with a table of the same column names.
const std::string& prefixed_ticket_columns() {
  static const std::string out = [] {
    std::string r = "t.";
    for (const char* c = kTicketColumns; *c; ++c) {
      r += *c;
      if (*c == ' ') r += "t.";
    }
    return r;
  }();
  return out;
}

// RAII prepared statement with typed binds and column reads.
class Stmt {
 public:
  Stmt(sqlite3* db, const std::string& sql) : db_(db) {
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt_, nullptr) != SQLITE_OK) {
      error_ = std::string("sqlite: prepare failed: ") + sqlite3_errmsg(db);
    }
  }
  ~Stmt() { sqlite3_finalize(stmt_); }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;

  bool ok() const { return error_.empty(); }
  const std::string& error() const { return error_; }

  Stmt& bind(int i, const std::string& v) {
    sqlite3_bind_text(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Stmt& bind(int i, const char* v) { return bind(i, std::string(v)); }
  // Binds without copying: `v` must outlive the next step() and reset().
  Stmt& bind_static(int i, std::string_view v) {
    sqlite3_bind_text(stmt_, i, v.empty() ? "" : v.data(), static_cast<int>(v.size()),
                      SQLITE_STATIC);
    return *this;
  }
  Stmt& bind(int i, int64_t v) {
    sqlite3_bind_int64(stmt_, i, v);
    return *this;
  }
  Stmt& bind(int i, TimePoint t) { return bind(i, to_unix_ms(t)); }
  Stmt& bind(int i, const std::optional<TimePoint>& t) {
    if (t) return bind(i, *t);
    sqlite3_bind_null(stmt_, i);
    return *this;
  }
  Stmt& bind_null(int i) {
    sqlite3_bind_null(stmt_, i);
    return *this;
  }

  void reset() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }

  // SQLITE_ROW, SQLITE_DONE or an error code.
  int step() { return sqlite3_step(stmt_); }
  Status run() {
    int rc = step();
    if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
      // A violated constraint (two open tickets for one fingerprint) is the
      // batch's fault, not the disk's: retrying the same batch cannot help.
      if ((rc & 0xff) == SQLITE_CONSTRAINT)
        return Status::conflict(std::string("sqlite: ") + sqlite3_errmsg(db_));
      return Status::io_error(std::string("sqlite: ") + sqlite3_errmsg(db_));
    }
    return Status::ok();
  }

  std::string text(int col) const {
    const unsigned char* p = sqlite3_column_text(stmt_, col);
    return p ? std::string(reinterpret_cast<const char*>(p),
                           static_cast<size_t>(sqlite3_column_bytes(stmt_, col)))
             : std::string();
  }
  int64_t integer(int col) const { return sqlite3_column_int64(stmt_, col); }
  bool is_null(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }
  TimePoint time(int col) const { return from_unix_ms(integer(col)); }
  std::optional<TimePoint> opt_time(int col) const {
    if (is_null(col)) return std::nullopt;
    return time(col);
  }

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
  std::string error_;
};

Status exec(sqlite3* db, const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : sqlite3_errmsg(db);
    sqlite3_free(err);
    return Status::io_error("sqlite: " + msg);
  }
  return Status::ok();
}

// The connection's last error, after a step that failed.
Status last_error(sqlite3* db) {
  return Status::io_error(std::string("sqlite: ") + sqlite3_errmsg(db));
}

// Ends a failed transaction. SQLite may already have rolled it back itself
// (SQLITE_FULL, SQLITE_IOERR during COMMIT), and then ROLLBACK's "no
// transaction is active" is expected; what matters is that the connection is
// out of the transaction, or every later BEGIN would fail.
Status rollback(sqlite3* db) {
  Status s = exec(db, "ROLLBACK");
  if (sqlite3_get_autocommit(db) != 0) return Status::ok();
  return s ? Status::io_error("sqlite: still inside a transaction after ROLLBACK") : s;
}

Labels labels_from_text(const std::string& text) {
  Labels out;
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_object()) {
    for (const auto& [k, v] : j.items()) {
      if (v.is_string()) out[k] = v.get<std::string>();
    }
  }
  return out;
}

// Labels as a JSON object, written by hand for the common case (the hot
// path stores one per event): "" for none, nlohmann for anything beyond
// plain ASCII so invalid UTF-8 is replaced rather than stored.
std::string labels_to_text(const Labels& labels) {
  if (labels.empty()) return {};
  std::string out = "{";
  auto put = [&](const std::string& s) {
    out += '"';
    for (char c : s) {
      const auto u = static_cast<unsigned char>(c);
      if (u >= 0x80) return false;
      if (c == '"' || c == '\\') {
        out += '\\';
        out += c;
      } else if (u < 0x20) {
        static const char* const kHex = "0123456789abcdef";
        out += "\\u00";
        out += kHex[u >> 4];
        out += kHex[u & 15];
      } else {
        out += c;
      }
    }
    out += '"';
    return true;
  };
  for (const auto& [k, v] : labels) {
    if (out.size() > 1) out += ',';
    if (!put(k))
      return nlohmann::json(labels).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    out += ':';
    if (!put(v))
      return nlohmann::json(labels).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  }
  out += '}';
  return out;
}

Ticket read_ticket(const Stmt& s) {
  Ticket t;
  t.key = s.text(0);
  t.type = parse_ticket_type(s.text(1)).value_or(TicketType::kIncident);
  t.title = s.text(3);
  t.description = s.text(4);
  t.status = parse_ticket_status(s.text(5)).value_or(TicketStatus::kNew);
  t.priority = static_cast<Priority>(std::clamp<int64_t>(s.integer(6), 1, 5));
  t.impact = parse_level(s.text(7)).value_or(Level::kMedium);
  t.urgency = parse_level(s.text(8)).value_or(Level::kMedium);
  t.category = s.text(9);
  t.team = s.text(10);
  t.assignee = s.text(11);
  t.rule = s.text(12);
  t.fingerprint = s.text(13);
  t.event_count = s.integer(14);
  t.first_seen = s.time(15);
  t.last_seen = s.time(16);
  t.created_at = s.time(17);
  t.updated_at = s.time(18);
  t.acknowledged_at = s.opt_time(19);
  t.acknowledged_by = s.text(20);
  t.resolved_at = s.opt_time(21);
  t.closed_at = s.opt_time(22);
  t.labels = labels_from_text(s.text(23));
  t.respond_by = s.opt_time(25);
  t.resolve_by = s.opt_time(26);
  auto breaches = nlohmann::json::parse(s.text(27), nullptr, false);
  if (breaches.is_array()) {
    for (const auto& b : breaches) {
      if (b.is_string()) t.breaches.push_back(b.get<std::string>());
    }
  }
  t.problem = s.text(28);
  t.alerts = alerts_from_json(nlohmann::json::parse(s.text(29), nullptr, false));
  t.flapping = s.integer(30) != 0;
  t.suppressed_count = s.integer(31);
  t.resolution.code = s.text(32);
  t.resolution.note = s.text(33);
  return t;
}

constexpr const char* kEventColumns =
    "id, received_at, decision, rule, ticket_key, body, detail, source, time, host, severity, "
    "facility, app, msgid, "
    "message, trap_oid, status, labels, annotations";

StoredEvent read_event(const Stmt& s) {
  StoredEvent out;
  out.id = s.integer(0);
  out.received_at = s.time(1);
  out.decision = s.text(2);
  out.rule = s.text(3);
  out.ticket_key = s.text(4);
  out.detail = s.text(6);
  if (std::string body = s.text(5); !body.empty()) {  // written before schema version 4
    auto parsed = event_from_json(nlohmann::json::parse(body, nullptr, false), out.received_at);
    if (parsed) out.event = std::move(parsed).value();
    return out;
  }
  Event& e = out.event;
  e.source = s.text(7);
  e.time = s.time(8);
  e.host = s.text(9);
  if (!s.is_null(10)) e.severity = static_cast<Severity>(std::clamp<int64_t>(s.integer(10), 0, 7));
  e.facility = s.text(11);
  e.app = s.text(12);
  e.msgid = s.text(13);
  e.message = s.text(14);
  e.trap_oid = s.text(15);
  e.status = s.text(16);
  if (!s.is_null(17)) e.labels = labels_from_text(s.text(17));
  if (!s.is_null(18)) e.annotations = labels_from_text(s.text(18));
  return out;
}

int64_t key_seq(const std::string& key) {
  auto dash = key.rfind('-');
  if (dash == std::string::npos) return 0;
  try {
    return std::stoll(key.substr(dash + 1));
  } catch (...) {
    return 0;
  }
}

// The writer's statements, prepared once and reused by every batch.
struct WriterStatements {
  explicit WriterStatements(sqlite3* db)
      : upsert(db,
               std::string("INSERT INTO tickets (") + kTicketColumns +
                   ") VALUES "
                   "(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,?18,?19,?20,?21,?"
                   "22,?23,?24,NULL,"
                   "?25,?26,?27,?28,?29,?30,?31,?32,?33)"
                   " ON CONFLICT(key) DO UPDATE SET title=excluded.title, "
                   "description=excluded.description,"
                   " status=excluded.status, priority=excluded.priority, impact=excluded.impact,"
                   " urgency=excluded.urgency, category=excluded.category, team=excluded.team,"
                   " assignee=excluded.assignee, fingerprint=excluded.fingerprint,"
                   " event_count=excluded.event_count, last_seen=excluded.last_seen,"
                   " updated_at=excluded.updated_at, acknowledged_at=excluded.acknowledged_at,"
                   " acknowledged_by=excluded.acknowledged_by, resolved_at=excluded.resolved_at,"
                   " closed_at=excluded.closed_at, labels=excluded.labels, "
                   "respond_by=excluded.respond_by,"
                   " resolve_by=excluded.resolve_by, breaches=excluded.breaches, "
                   "problem=excluded.problem,"
                   " alerts=excluded.alerts, flapping=excluded.flapping,"
                   " suppressed_count=excluded.suppressed_count,"
                   " resolution_code=excluded.resolution_code,"
                   " resolution_note=excluded.resolution_note"),
        timeline(db,
                 "INSERT INTO timeline (ticket_key, time, actor, kind, message, details) VALUES "
                 "(?1,?2,?3,?4,?5,?6)"),
        event(db,
              "INSERT INTO events (received_at, decision, rule, ticket_key, body, detail, source, "
              "time, host, severity,"
              " facility, app, msgid, message, trap_oid, status, labels, annotations)"
              " VALUES (?1,?2,?3,?4,'',?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17)"),
        link(db, "UPDATE tickets SET problem = ?1 WHERE key = ?2"),
        silence(db,
                "INSERT INTO silences (id, ends_at, body) VALUES (?1, ?2, ?3)"
                " ON CONFLICT(id) DO UPDATE SET ends_at = excluded.ends_at, body = excluded.body"),
        record_put(db,
                   "INSERT INTO engine_records (key, value) VALUES (?1, ?2)"
                   " ON CONFLICT(key) DO UPDATE SET value = excluded.value"),
        record_del(db, "DELETE FROM engine_records WHERE key = ?1"),
        notify(db,
               "INSERT INTO notifications (time, target, ticket_key, message) VALUES (?1, ?2, ?3, "
               "?4)"),
        counters(
            db,
            "UPDATE tickets SET event_count = ?2, last_seen = ?3, updated_at = ?4 WHERE key = ?1"),
        // A ticket's event message or host, for the search index (schema 7):
        // added unless there, or the ticket has 20 of that kind already.
        texts(db,
              "INSERT OR IGNORE INTO ticket_texts (ticket_key, kind, text) SELECT ?1, ?2, ?3"
              " WHERE (SELECT count(*) FROM (SELECT 1 FROM ticket_texts"
              " WHERE ticket_key = ?1 AND kind = ?2 LIMIT 20)) < 20") {}
  Stmt upsert, timeline, event, link, silence, record_put, record_del, notify, counters, texts;
};

// The outbox statements of apply(), prepared once.
struct OutboxStatements {
  explicit OutboxStatements(sqlite3* db)
      : link(db,
             "INSERT INTO external_refs (ticket_key, backend) VALUES (?1, ?2)"
             " ON CONFLICT DO NOTHING"),
        linked(db, "SELECT 1 FROM external_refs WHERE ticket_key = ?1 AND backend = ?2"),
        // Folds into the ticket's last entry for the target when that is an
        // unsent occurrences entry (which exists only if the ticket is linked).
        fold(db,
             "UPDATE outbox SET count = count + ?3, payload = ?4 WHERE id ="
             " (SELECT MAX(id) FROM outbox WHERE target = ?1 AND ticket_key = ?2)"
             " AND kind = 'occurrences' AND attempts = 0"),
        insert(db,
               "INSERT INTO outbox (target, ticket_key, kind, payload, count, created_at, next_at)"
               " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)") {}
  bool ok() const { return link.ok() && linked.ok() && fold.ok() && insert.ok(); }
  std::string error() const {
    for (const Stmt* s : {&link, &linked, &fold, &insert}) {
      if (!s->ok()) return s->error();
    }
    return "";
  }
  void reset() {
    for (Stmt* s : {&link, &linked, &fold, &insert}) s->reset();
  }
  Stmt link, linked, fold, insert;
};

OutboxEntry read_outbox_entry(const Stmt& s) {
  OutboxEntry e;
  e.id = s.integer(0);
  e.target = s.text(1);
  e.ticket_key = s.text(2);
  e.kind = s.text(3);
  e.payload = s.text(4);
  e.count = s.integer(5);
  e.created_at = s.time(6);
  e.next_at = s.time(7);
  e.attempts = static_cast<int>(s.integer(8));
  e.last_error = s.text(9);
  e.held = s.integer(10) != 0;
  return e;
}

// The order a listing reads in: TicketQuery::sort, with the default made
// explicit (best match when searching, else newest).
enum class ListOrder { kNewest, kRank, kPriority };

// Where a listing's next page starts, decoded from TicketQuery::cursor.
// kNewest "<id>": below that id. kRank "r<bound>.<offset>": the highest
// ticket id when the first page was read, and how many matches the earlier
// pages showed. kPriority "p<priority>.<due|n>.<id>": the last ticket shown
// (its due_key, n when none).
struct ListCursor {
  bool set = false;
  int64_t id = INT64_MAX;
  int64_t bound = INT64_MAX;
  int64_t offset = 0;
  int64_t priority = 0;
  std::optional<int64_t> due;
};

// Digits only (an optional '-' with `negative`), at most 18 of them.
bool parse_number(std::string_view text, int64_t* v, bool negative = false) {
  bool minus = false;
  if (negative && !text.empty() && text[0] == '-') {
    minus = true;
    text.remove_prefix(1);
  }
  if (text.empty() || text.size() > 18) return false;
  *v = 0;
  for (char d : text) {
    if (d < '0' || d > '9') return false;
    *v = *v * 10 + (d - '0');
  }
  if (minus) *v = -*v;
  return true;
}

Result<ListCursor> parse_list_cursor(const std::string& text, ListOrder order, bool searching) {
  ListCursor c;
  if (text.empty()) return c;
  c.set = true;
  const std::string_view t = text;
  bool ok = false;
  if (order == ListOrder::kNewest) {
    ok = parse_number(t, &c.id) && c.id > 0;
  } else if (order == ListOrder::kRank) {
    const size_t dot = t.find('.');
    ok = t.size() > 1 && t[0] == 'r' && dot != std::string_view::npos &&
         parse_number(t.substr(1, dot - 1), &c.bound) && parse_number(t.substr(dot + 1), &c.offset);
  } else {
    const size_t a = t.find('.');
    const size_t b = a == std::string_view::npos ? a : t.find('.', a + 1);
    if (t.size() > 1 && t[0] == 'p' && b != std::string_view::npos) {
      const std::string_view due = t.substr(a + 1, b - a - 1);
      int64_t d = 0;
      ok = parse_number(t.substr(1, a - 1), &c.priority) && c.priority >= 1 && c.priority <= 5 &&
           parse_number(t.substr(b + 1), &c.id) && c.id > 0 &&
           (due == "n" || parse_number(due, &d, true));
      if (ok && due != "n") c.due = d;
    }
  }
  if (ok) return c;
  return Status::invalid_argument(
      "invalid cursor \"" + text.substr(0, 40) + "\"" +
      (searching
           ? " (a search's cursor comes from the same search's next_cursor, with the same sort)"
           : " (a cursor comes from next_cursor of a listing with the same q and sort)"));
}

std::string priority_cursor(int64_t priority, std::optional<int64_t> due, int64_t id) {
  return "p" + std::to_string(priority) + "." + (due ? std::to_string(*due) : "n") + "." +
         std::to_string(id);
}

// The WHERE terms of a listing's filters, each starting " AND ", written
// only for the filters set (so the planner sees plain terms: the literal
// open-status term is what lets it use the partial index
// tickets_open_priority). Their values are parameters ?11 to ?16, which
// bind() sets; the statement's own parameters stay below 11.
struct ListFilters {
  ListFilters(const TicketQuery& query, const std::string& match_expr, bool text_as_filter)
      : q(query), match(match_expr) {
    // An open status implies the open term: written out, it lets the
    // planner read the open tickets' index instead of all tickets'.
    if (q.open_only || (q.status && is_open(*q.status)))
      sql += " AND t.status NOT IN ('resolved', 'closed', 'cancelled')";
    if (q.status) sql += " AND t.status = ?11";
    if (q.type) sql += " AND t.type = ?12";
    if (q.priority) sql += " AND t.priority = ?13";
    if (q.team) sql += q.team->empty() ? " AND t.team = ''" : " AND t.team = ?14 COLLATE NOCASE";
    if (q.assignee) sql += q.assignee->empty() ? " AND t.assignee = ''" : " AND t.assignee = ?15";
    if (text_as_filter && !match.empty())
      sql += " AND t.id IN (SELECT rowid FROM ticket_search WHERE ticket_search MATCH ?16)";
  }
  template <class S>
  void bind(S& s) const {
    if (q.status) s.bind(11, ticket_status_name(*q.status));
    if (q.type) s.bind(12, ticket_type_name(*q.type));
    if (q.priority) s.bind(13, static_cast<int64_t>(*q.priority));
    if (q.team && !q.team->empty()) s.bind(14, *q.team);
    if (q.assignee && !q.assignee->empty()) s.bind(15, *q.assignee);
    if (!match.empty()) s.bind(16, match);
  }

  const TicketQuery& q;
  const std::string& match;
  std::string sql;
};

// WAL pages after which a commit asks the checkpointer for a checkpoint
// (SQLite's own default), and after which the writer completes one itself.
constexpr int kCheckpointPages = 1000;
constexpr int kCheckpointCapPages = 4 * kCheckpointPages;

class SqliteStore final : public Store {
 public:
  ~SqliteStore() override {
    {
      std::lock_guard lock(ckpt_mu_);
      ckpt_stop_ = true;
    }
    ckpt_cv_.notify_all();
    if (checkpointer_.joinable()) checkpointer_.join();
    writes_.reset();  // finalize before closing the connection
    outbox_writes_.reset();
    sqlite3_close_v2(ckpt_db_);
    for (sqlite3* r : readers_) sqlite3_close_v2(r);
    sqlite3_close_v2(writer_);
  }

  Status open(const SqliteOptions& opts) {
    if (opts.readers < 1)
      return Status::invalid_argument("sqlite: readers must be at least 1, got " +
                                      std::to_string(opts.readers));
    std::error_code ec;
    const auto parent = std::filesystem::path(opts.path).parent_path();
    if (!parent.empty()) std::filesystem::create_directories(parent, ec);
    if (ec)
      return Status::io_error("sqlite: cannot create directory " + parent.string() + ": " +
                              ec.message());
    if (Status s = open_connection(opts, &writer_); !s) return s;
    const char* pragmas =
        opts.sync_full
            ? "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;"
            : "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;";
    if (Status s = exec(writer_, pragmas); !s) {
      return s;
    }
    // A batch of thousands of events dirties more pages than the default 2 MB
    // cache holds; spilling them mid-transaction costs writes and re-reads.
    if (Status s = exec(writer_, "PRAGMA journal_size_limit=67108864; PRAGMA cache_size=-16384;");
        !s)
      return s;
    if (Status s = migrate(); !s) return s;
    for (int i = 0; i < opts.readers; ++i) {
      sqlite3* r = nullptr;
      Status s = open_connection(opts, &r);
      if (r) readers_.push_back(r);  // closed by the destructor, even when opening failed
      if (!s) return s;
    }
    idle_readers_ = readers_;
    // Checkpoints (copying the WAL into the database, with its fsyncs) run
    // on their own connection and thread, beside the writer, instead of
    // inside whichever batch's COMMIT crossed the threshold. Registering the
    // hook turns SQLite's automatic checkpoint off for the writer.
    if (Status s = open_connection(opts, &ckpt_db_); !s) return s;
    // A connection that has run no statement has not opened the WAL, and a
    // checkpoint on it does nothing (and reports success).
    if (Status s = exec(ckpt_db_, "SELECT 1 FROM sqlite_master LIMIT 1"); !s) return s;
    sqlite3_wal_hook(writer_, &SqliteStore::on_wal_commit, this);
    checkpointer_ = std::thread([this] { checkpoint_loop(); });
    return Status::ok();
  }

  Status apply(const Actions& actions) override {
    std::lock_guard lock(write_mu_);
    if (actions.empty()) return Status::ok();
    if (Status s = exec(writer_, "BEGIN IMMEDIATE"); !s) return s;
    Status result = apply_locked(actions);
    if (result) result = exec(writer_, "COMMIT");
    if (!result) {
      known_texts_.clear();  // they may hold texts of this batch, which is not stored
      full_texts_.clear();
      if (Status r = rollback(writer_); !r) {
        return Status::io_error(result.message() + "; and the rollback failed: " + r.message());
      }
    }
    return result;
  }

  Result<StoredState> load_state() override {
    Reader reader(*this);
    sqlite3* db = reader.db();
    if (Status st = reader.snapshot(); !st) return st;
    StoredState state;
    Stmt open(db, std::string("SELECT ") + kTicketColumns +
                      " FROM tickets WHERE status NOT IN ('resolved','closed','cancelled')");
    if (!open.ok()) return Status::io_error(open.error());
    int rc;
    while ((rc = open.step()) == SQLITE_ROW) state.open_tickets.push_back(read_ticket(open));
    if (rc != SQLITE_DONE) return last_error(db);
    Stmt seq(db, "SELECT type, MAX(seq) FROM tickets GROUP BY type");
    if (!seq.ok()) return Status::io_error(seq.error());
    while ((rc = seq.step()) == SQLITE_ROW) {
      if (auto t = parse_ticket_type(seq.text(0))) state.last_seq[*t] = seq.integer(1);
    }
    if (rc != SQLITE_DONE) return last_error(db);
    Stmt sil(db, "SELECT body FROM silences ORDER BY id");
    if (!sil.ok()) return Status::io_error(sil.error());
    while ((rc = sil.step()) == SQLITE_ROW) state.silences.push_back(sil.text(0));
    if (rc != SQLITE_DONE) return last_error(db);
    Stmt records(db, "SELECT key, value FROM engine_records");
    if (!records.ok()) return Status::io_error(records.error());
    while ((rc = records.step()) == SQLITE_ROW)
      state.records.emplace_back(records.text(0), records.text(1));
    if (rc != SQLITE_DONE) return last_error(db);
    return state;
  }

  Result<StoreStats> stats() override {
    Reader reader(*this);
    sqlite3* db = reader.db();
    // One snapshot: the counts by priority add up to open_total even while
    // batches commit.
    if (Status st = reader.snapshot(); !st) return st;
    StoreStats out;
    int rc;
    auto open_by = [&](const char* column, auto&& put) -> Status {
      Stmt s(db, std::string("SELECT ") + column +
                     ", COUNT(*) FROM tickets"
                     " WHERE status NOT IN ('resolved','closed','cancelled') GROUP BY 1");
      if (!s.ok()) return Status::io_error(s.error());
      while ((rc = s.step()) == SQLITE_ROW) put(s);
      return rc == SQLITE_DONE ? Status::ok() : last_error(db);
    };
    Status st = open_by("priority", [&](const Stmt& s) {
      out.open_by_priority[static_cast<Priority>(s.integer(0))] = s.integer(1);
    });
    if (st)
      st = open_by("team", [&](const Stmt& s) { out.open_by_team[s.text(0)] = s.integer(1); });
    if (st) {
      st = open_by("type", [&](const Stmt& s) {
        if (auto t = parse_ticket_type(s.text(0))) out.open_by_type[*t] = s.integer(1);
      });
    }
    if (!st) return st;
    Stmt totals(
        db,
        "SELECT COUNT(*), SUM(status NOT IN ('resolved','closed','cancelled')),"
        " AVG(CASE WHEN acknowledged_at IS NOT NULL THEN acknowledged_at - created_at END),"
        " AVG(CASE WHEN resolved_at IS NOT NULL THEN resolved_at - created_at END) FROM tickets");
    if (!totals.ok()) return Status::io_error(totals.error());
    if ((rc = totals.step()) != SQLITE_ROW) return last_error(db);
    out.tickets_total = totals.integer(0);
    out.open_total = totals.integer(1);
    if (!totals.is_null(2)) out.mtta = Duration(totals.integer(2));
    if (!totals.is_null(3)) out.mttr = Duration(totals.integer(3));
    Stmt top(
        db,
        "SELECT fingerprint, rule, COUNT(*), SUM(event_count), MAX(created_at) FROM tickets"
        " WHERE fingerprint <> '' GROUP BY fingerprint, rule ORDER BY 3 DESC, 4 DESC LIMIT 10");
    if (!top.ok()) return Status::io_error(top.error());
    while ((rc = top.step()) == SQLITE_ROW) {
      out.top_fingerprints.push_back(
          {top.text(0), top.text(1), top.integer(2), top.integer(3), top.time(4)});
    }
    if (rc != SQLITE_DONE) return last_error(db);
    return out;
  }

  Result<Trends> trends(const TrendsQuery& q) override {
    constexpr int64_t kDayMs = 24 * 60 * 60 * 1000;
    const int64_t days = std::clamp(q.days, 1, 366);
    const int64_t since = to_unix_ms(q.since);
    const int64_t until = since + days * kDayMs;
    Reader reader(*this);
    sqlite3* db = reader.db();
    // One snapshot: the days, groups and tops count the same tickets.
    if (Status st = reader.snapshot(); !st) return st;
    Trends out;
    out.per_day.resize(static_cast<size_t>(days));
    for (int64_t d = 0; d < days; ++d) out.per_day[d].start = from_unix_ms(since + d * kDayMs);
    auto day = [&](int64_t index) -> TrendsDay* {
      return index >= 0 && index < days ? &out.per_day[static_cast<size_t>(index)] : nullptr;
    };
    // ?1 and ?2 bound the window, ?3 is the team (only with one: without,
    // the days are counted from the indexes alone).
    const std::string team = q.team ? " AND team = ?3 COLLATE NOCASE" : "";
    auto bind = [&](Stmt& s) {
      s.bind(1, since).bind(2, until);
      if (q.team) s.bind(3, *q.team);
    };
    const std::string day_ms = std::to_string(kDayMs);
    // The window's tickets (index tickets_created) are read once into `w`
    // (a team filter costs one row read per ticket, not one per
    // aggregate), which each aggregate then reads: one result row per
    // day, priority, team, top fingerprint and top rule, tagged by kind.
    Stmt s(db,
           "WITH w AS MATERIALIZED (SELECT created_at, acknowledged_at, resolved_at,"
           " priority, team, fingerprint, rule, event_count FROM tickets"
           " WHERE created_at >= ?1 AND created_at < ?2" +
               team + ") SELECT 'd', (created_at - ?1) / " + day_ms +
               ", NULL, COUNT(*), NULL, NULL, NULL FROM w GROUP BY 2"
               " UNION ALL SELECT 'p', priority, NULL, COUNT(*),"
               " AVG(acknowledged_at - created_at), AVG(resolved_at - created_at), NULL"
               " FROM w GROUP BY priority"
               " UNION ALL SELECT 't', team, NULL, COUNT(*),"
               " AVG(acknowledged_at - created_at), AVG(resolved_at - created_at), NULL"
               " FROM w GROUP BY team"
               " UNION ALL SELECT * FROM (SELECT 'f', fingerprint, rule, COUNT(*),"
               " SUM(event_count), NULL, MAX(created_at) FROM w WHERE fingerprint <> ''"
               " GROUP BY fingerprint, rule HAVING COUNT(*) >= 2"
               " ORDER BY 4 DESC, 5 DESC, 2, 3 LIMIT 10)"
               " UNION ALL SELECT * FROM (SELECT 'r', rule, NULL, COUNT(*), SUM(event_count),"
               " NULL, NULL FROM w WHERE rule <> '' GROUP BY rule ORDER BY 4 DESC, 5 DESC, 2"
               " LIMIT 10)");
    if (!s.ok()) return Status::io_error(s.error());
    bind(s);
    auto group = [&]() {
      TrendsGroup g;
      g.tickets = s.integer(3);
      if (!s.is_null(4)) g.mtta = Duration(s.integer(4));
      if (!s.is_null(5)) g.mttr = Duration(s.integer(5));
      return g;
    };
    int rc;
    while ((rc = s.step()) == SQLITE_ROW) {
      const std::string kind = s.text(0);
      if (kind == "d") {
        if (TrendsDay* d = day(s.integer(1))) d->opened = s.integer(3);
      } else if (kind == "p") {
        out.by_priority.emplace_back(static_cast<Priority>(std::clamp<int64_t>(s.integer(1), 1, 5)),
                                     group());
      } else if (kind == "t") {
        out.by_team.emplace_back(s.text(1), group());
      } else if (kind == "f") {
        out.top_fingerprints.push_back(
            {s.text(1), s.text(2), s.integer(3), s.integer(4), s.time(6)});
      } else if (kind == "r") {
        out.top_rules.push_back({s.text(1), s.integer(3), s.integer(4)});
      }
    }
    if (rc != SQLITE_DONE) return last_error(db);
    // Resolutions by day, whenever the tickets were created (index
    // tickets_resolved).
    Stmt resolved(db, "SELECT (resolved_at - ?1) / " + day_ms +
                          ", COUNT(*) FROM tickets WHERE resolved_at >= ?1 AND resolved_at < ?2" +
                          team + " GROUP BY 1");
    if (!resolved.ok()) return Status::io_error(resolved.error());
    bind(resolved);
    while ((rc = resolved.step()) == SQLITE_ROW) {
      if (TrendsDay* d = day(resolved.integer(0))) d->resolved = resolved.integer(1);
    }
    if (rc != SQLITE_DONE) return last_error(db);
    // The order each list promises (a compound SELECT promises none).
    std::sort(out.by_priority.begin(), out.by_priority.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
    std::sort(out.by_team.begin(), out.by_team.end(), [](const auto& a, const auto& b) {
      return a.second.tickets != b.second.tickets ? a.second.tickets > b.second.tickets
                                                  : a.first < b.first;
    });
    std::sort(out.top_fingerprints.begin(), out.top_fingerprints.end(),
              [](const RecurringFingerprint& a, const RecurringFingerprint& b) {
                return std::tie(b.tickets, b.events, a.fingerprint, a.rule) <
                       std::tie(a.tickets, a.events, b.fingerprint, b.rule);
              });
    std::sort(
        out.top_rules.begin(), out.top_rules.end(), [](const RuleTrend& a, const RuleTrend& b) {
          return std::tie(b.tickets, b.events, a.rule) < std::tie(a.tickets, a.events, b.rule);
        });
    return out;
  }

  Result<std::vector<StoredEvent>> recent_events(TimePoint since, int limit) override {
    Reader reader(*this);
    sqlite3* db = reader.db();
    Stmt s(db, std::string("SELECT ") + kEventColumns +
                   " FROM events WHERE received_at >= ?1 ORDER BY received_at DESC, id DESC"
                   " LIMIT ?2");
    if (!s.ok()) return Status::io_error(s.error());
    s.bind(1, since).bind(2, static_cast<int64_t>(std::clamp(limit, 1, 100000)));
    std::vector<StoredEvent> out;
    int rc;
    while ((rc = s.step()) == SQLITE_ROW) out.push_back(read_event(s));
    if (rc != SQLITE_DONE) return last_error(db);
    return out;
  }

  Result<std::map<std::string, std::vector<StoredEvent>>> latest_ticket_events(
      const std::vector<std::string>& keys, int per_ticket) override {
    Reader reader(*this);
    sqlite3* db = reader.db();
    if (Status st = reader.snapshot(); !st) return st;
    Stmt s(db,
           std::string("SELECT ") + kEventColumns +
               " FROM events WHERE ticket_key = ?1 AND ticket_key <> '' ORDER BY id DESC LIMIT ?2");
    if (!s.ok()) return Status::io_error(s.error());
    const int64_t limit = std::clamp(per_ticket, 1, 100);
    std::map<std::string, std::vector<StoredEvent>> out;
    for (const std::string& key : keys) {
      s.reset();
      s.bind(1, key).bind(2, limit);
      int rc;
      while ((rc = s.step()) == SQLITE_ROW) out[key].push_back(read_event(s));
      if (rc != SQLITE_DONE) return last_error(db);
    }
    return out;
  }

  Result<std::vector<SimilarTicket>> similar(const Ticket& t, const SimilarQuery& q) override {
    const int64_t limit = std::clamp(q.limit, 1, 100);
    Reader reader(*this);
    sqlite3* db = reader.db();
    if (Status st = reader.snapshot(); !st) return st;  // tickets and their notes from one snapshot
    std::vector<SimilarTicket> out;
    std::unordered_set<std::string> seen{t.key};
    // Each stage reads up to `limit` more than it may keep: the tickets the
    // stages before found (and t itself) are skipped, not counted.
    auto run = [&](Stmt& s, SimilarMatch match) -> Status {
      int rc = SQLITE_DONE;
      while (static_cast<int64_t>(out.size()) < limit && (rc = s.step()) == SQLITE_ROW) {
        Ticket found = read_ticket(s);
        if (!seen.insert(found.key).second) continue;
        SimilarTicket st;
        st.ticket = std::move(found);
        st.match = match;
        out.push_back(std::move(st));
      }
      if (static_cast<int64_t>(out.size()) < limit && rc != SQLITE_DONE) return last_error(db);
      return Status::ok();
    };
    if (!t.fingerprint.empty()) {  // index tickets_fingerprint
      Stmt s(db, std::string("SELECT ") + kTicketColumns +
                     " FROM tickets WHERE fingerprint = ?1 AND status IN ('resolved','closed')"
                     " ORDER BY id DESC LIMIT ?2");
      if (!s.ok()) return Status::io_error(s.error());
      s.bind(1, t.fingerprint).bind(2, limit + 1);
      if (Status st = run(s, SimilarMatch::kFingerprint); !st) return st;
    }
    if (!t.rule.empty() && static_cast<int64_t>(out.size()) < limit) {  // index tickets_rule
      Stmt s(db, std::string("SELECT ") + kTicketColumns +
                     " FROM tickets WHERE rule = ?1 AND status IN ('resolved','closed')"
                     " ORDER BY id DESC LIMIT ?2");
      if (!s.ok()) return Status::io_error(s.error());
      s.bind(1, t.rule).bind(2, limit + static_cast<int64_t>(out.size()) + 1);
      if (Status st = run(s, SimilarMatch::kRule); !st) return st;
    }
    const std::string match = q.by_text ? fts_similarity_expression(t.title, t.description) : "";
    if (!match.empty() && static_cast<int64_t>(out.size()) < limit) {
      // The rowid bound keeps the cost of words every ticket has (a title
      // shared by half the store) to the latest 50,000 tickets.
      Stmt s(db, "SELECT " + prefixed_ticket_columns() +
                     " FROM ticket_search JOIN tickets t ON t.id = ticket_search.rowid"
                     " WHERE ticket_search MATCH ?1"
                     " AND ticket_search.rowid > (SELECT coalesce(max(id), 0) FROM tickets) - 50000"
                     " AND t.status IN ('resolved','closed')"
                     " ORDER BY ticket_search.rank LIMIT ?2");
      if (!s.ok()) return Status::io_error(s.error());
      s.bind(1, match).bind(2, limit + static_cast<int64_t>(out.size()) + 1);
      if (Status st = run(s, SimilarMatch::kText); !st) return st;
    }
    Stmt notes(db,
               "SELECT time, actor, kind, message, details FROM timeline WHERE ticket_key = ?1 AND "
               "kind = 'note'"
               " ORDER BY id");
    if (!notes.ok()) return Status::io_error(notes.error());
    int rc;
    for (SimilarTicket& f : out) {
      notes.reset();
      notes.bind(1, f.ticket.key);
      while ((rc = notes.step()) == SQLITE_ROW) {
        f.notes.push_back({f.ticket.key, notes.time(0), notes.text(1), notes.text(2), notes.text(3),
                           notes.text(4)});
      }
      if (rc != SQLITE_DONE) return last_error(db);
    }
    return out;
  }

  Result<std::vector<std::string>> list_silences() override {
    Reader reader(*this);
    sqlite3* db = reader.db();
    Stmt s(db, "SELECT body FROM silences ORDER BY ends_at DESC, id");
    if (!s.ok()) return Status::io_error(s.error());
    std::vector<std::string> out;
    int rc;
    while ((rc = s.step()) == SQLITE_ROW) out.push_back(s.text(0));
    if (rc != SQLITE_DONE) return last_error(db);
    return out;
  }

  Result<std::optional<Ticket>> get_ticket(const std::string& key) override {
    Reader reader(*this);
    sqlite3* db = reader.db();
    if (Status st = reader.snapshot(); !st)
      return st;  // a problem and its incidents from one snapshot
    Stmt s(db, std::string("SELECT ") + kTicketColumns + " FROM tickets WHERE key = ?1");
    if (!s.ok()) return Status::io_error(s.error());
    s.bind(1, key);
    int rc = s.step();
    if (rc == SQLITE_DONE) return std::optional<Ticket>();
    if (rc == SQLITE_ROW) {
      Ticket t = read_ticket(s);
      if (t.type == TicketType::kProblem) {
        Stmt inc(db, "SELECT key FROM tickets WHERE problem = ?1 ORDER BY id");
        if (!inc.ok()) return Status::io_error(inc.error());
        inc.bind(1, key);
        while ((rc = inc.step()) == SQLITE_ROW) t.incidents.push_back(inc.text(0));
        if (rc != SQLITE_DONE) return last_error(db);
      }
      if (Status st = read_external(db, {&t}); !st) return st;
      return std::optional<Ticket>(std::move(t));
    }
    return last_error(db);
  }

  Result<TicketPage> list_tickets(const TicketQuery& q) override {
    auto match = fts_match_expression(q.text);
    if (!match) return match.error();
    const int limit = std::clamp(q.limit, 1, 1000);
    const ListOrder order = q.sort == TicketSort::kPriority                   ? ListOrder::kPriority
                            : q.sort == TicketSort::kNewest || match->empty() ? ListOrder::kNewest
                                                                              : ListOrder::kRank;
    auto cursor = parse_list_cursor(q.cursor, order, !match->empty());
    if (!cursor) return cursor.error();
    Reader reader(*this);
    sqlite3* db = reader.db();
    // The page, its cursor and the total from one snapshot.
    if (Status st = reader.snapshot(); !st) return st;
    const ListFilters all(q, *match, /*text_as_filter=*/true);
    // Counting the open tickets, the planner would rather scan the (covering)
    // status index of every ticket than the open ones' partial index.
    const char* from =
        q.open_only && !q.status
            ? "SELECT count(*) FROM tickets t INDEXED BY tickets_open_priority WHERE 1"
            : "SELECT count(*) FROM tickets t WHERE 1";
    Stmt count(db, from + all.sql);
    if (!count.ok()) return Status::io_error(count.error());
    all.bind(count);
    if (count.step() != SQLITE_ROW) return last_error(db);
    TicketPage page;
    page.total = count.integer(0);
    count.reset();
    Status st;
    if (order == ListOrder::kRank) {
      st = list_ranked(db, q, *match, limit, *cursor, &page);
    } else if (order == ListOrder::kNewest) {
      st = list_newest(db, all, limit, *cursor, &page);
    } else if (!match->empty()) {
      st = list_by_priority_searching(db, all, limit, *cursor, &page);
    } else {
      st = list_by_priority(db, q, all, limit, *cursor, &page);
    }
    if (!st) return st;
    std::vector<Ticket*> tickets;
    for (Ticket& t : page.tickets) tickets.push_back(&t);
    if (Status ext = read_external(db, tickets); !ext) return ext;
    return page;
  }

  Result<std::vector<TimelineEntry>> timeline(const std::string& key) override {
    Reader reader(*this);
    sqlite3* db = reader.db();
    Stmt s(db,
           "SELECT time, actor, kind, message, details FROM timeline WHERE ticket_key = ?1 ORDER "
           "BY id");
    if (!s.ok()) return Status::io_error(s.error());
    s.bind(1, key);
    std::vector<TimelineEntry> out;
    int rc;
    while ((rc = s.step()) == SQLITE_ROW) {
      out.push_back({key, s.time(0), s.text(1), s.text(2), s.text(3), s.text(4)});
    }
    if (rc != SQLITE_DONE) return last_error(db);
    return out;
  }

  Result<std::vector<StoredEvent>> ticket_events(const std::string& key, int limit) override {
    Reader reader(*this);
    sqlite3* db = reader.db();
    Stmt s(db,
           std::string("SELECT ") + kEventColumns +
               " FROM events WHERE ticket_key = ?1 AND ticket_key <> '' ORDER BY id DESC LIMIT ?2");
    if (!s.ok()) return Status::io_error(s.error());
    s.bind(1, key).bind(2, static_cast<int64_t>(std::clamp(limit, 1, 10000)));
    std::vector<StoredEvent> out;
    int rc;
    while ((rc = s.step()) == SQLITE_ROW) out.push_back(read_event(s));
    if (rc != SQLITE_DONE) return last_error(db);
    return out;
  }

  // Newest first by id (the order stored), keyset-paged on id: the scan
  // walks ids down from the cursor and stops when the page is full.
  // since= bounds that walk from below by the lowest id received at or
  // after it, read from the events_received index (a covering scan of the
  // window's index entries; SQLite would otherwise either walk every older
  // id or sort the whole window), and is checked on each row too, so a
  // received_at out of id order cannot let an event in. A ticket walks
  // events_ticket instead. decision, rule, until and host are checked on
  // the rows walked: a rare one costs a walk over the window (or, without
  // since, the table). host reads the host column, or the JSON body of rows
  // stored before schema 4 (json_extract per row).
  Result<EventPage> list_events(const EventQuery& q) override {
    if (q.decision && !parse_decision(*q.decision)) {
      return Status::invalid_argument("unknown decision \"" + q.decision->substr(0, 40) +
                                      "\", expected one of " + decision_names());
    }
    if (q.limit < 1 || q.limit > 1000) {
      return Status::invalid_argument("limit must be 1..1000, got " + std::to_string(q.limit));
    }
    int64_t before = std::numeric_limits<int64_t>::max();
    if (!q.cursor.empty()) {
      const bool digits =
          q.cursor.size() <= 18 && std::all_of(q.cursor.begin(), q.cursor.end(),
                                               [](char ch) { return ch >= '0' && ch <= '9'; });
      if (!digits || (before = std::stoll(q.cursor)) <= 0) {
        return Status::invalid_argument(
            "invalid cursor \"" + q.cursor.substr(0, 40) +
            "\" (a cursor comes from next_cursor of an events listing)");
      }
    }
    std::string sql = std::string("SELECT ") + kEventColumns + " FROM events WHERE id < ?1";
    // The unary + keeps the planner off events_received for the outer walk.
    if (q.since) {
      sql +=
          " AND id >= coalesce((SELECT min(id) FROM events INDEXED BY events_received"
          " WHERE received_at >= ?2), 9223372036854775807) AND +received_at >= ?2";
    }
    if (q.until) sql += " AND +received_at < ?3";
    if (q.decision) sql += " AND decision = ?4";
    if (q.rule) sql += " AND rule = ?5";
    if (q.ticket)
      sql +=
          q.ticket->empty() ? " AND ticket_key = ''" : " AND ticket_key = ?6 AND ticket_key <> ''";
    if (q.host) {
      sql +=
          " AND coalesce(host, CASE WHEN body <> '' AND json_valid(body)"
          " THEN json_extract(body, '$.host') END) = ?7";
    }
    sql += " ORDER BY id DESC LIMIT ?8";
    Reader reader(*this);
    sqlite3* db = reader.db();
    Stmt s(db, sql);
    if (!s.ok()) return Status::io_error(s.error());
    s.bind(1, before);
    if (q.since) s.bind(2, *q.since);
    if (q.until) s.bind(3, *q.until);
    if (q.decision) s.bind(4, *q.decision);
    if (q.rule) s.bind(5, *q.rule);
    if (q.ticket && !q.ticket->empty()) s.bind(6, *q.ticket);
    if (q.host) s.bind(7, *q.host);
    s.bind(8, static_cast<int64_t>(q.limit) + 1);
    EventPage page;
    int rc;
    while ((rc = s.step()) == SQLITE_ROW) {
      if (static_cast<int>(page.events.size()) == q.limit) {
        page.next_cursor = std::to_string(page.events.back().id);
        break;
      }
      page.events.push_back(read_event(s));
    }
    if (rc != SQLITE_DONE && rc != SQLITE_ROW) return last_error(db);
    return page;
  }

  Result<int64_t> prune_events(TimePoint cutoff) override {
    std::lock_guard lock(write_mu_);
    Stmt s(writer_, "DELETE FROM events WHERE received_at < ?1");
    if (!s.ok()) return Status::io_error(s.error());
    s.bind(1, cutoff);
    if (Status st = s.run(); !st) return st;
    return static_cast<int64_t>(sqlite3_changes(writer_));
  }

  Result<std::vector<OutboxEntry>> outbox_due(const std::string& target, TimePoint now,
                                              int limit) override {
    Reader reader(*this);
    Stmt s(reader.db(),
           std::string("SELECT ") + kOutboxColumns +
               " FROM outbox o WHERE target = ?1 AND held = 0"
               " AND NOT EXISTS (SELECT 1 FROM outbox p WHERE p.target = o.target"
               "   AND p.ticket_key = o.ticket_key AND p.id < o.id)"
               " AND (next_at <= ?2 OR (kind = 'occurrences' AND attempts = 0 AND EXISTS"
               "   (SELECT 1 FROM outbox q WHERE q.target = o.target"
               "    AND q.ticket_key = o.ticket_key AND q.id > o.id)))"
               " ORDER BY id LIMIT ?3");
    if (!s.ok()) return Status::io_error(s.error());
    s.bind(1, target).bind(2, now).bind(3, static_cast<int64_t>(std::clamp(limit, 1, 1000)));
    return read_entries(s, reader.db());
  }

  Status outbox_started(const std::vector<int64_t>& ids) override { return count_sends(ids, 1); }
  Status outbox_not_started(const std::vector<int64_t>& ids) override {
    return count_sends(ids, -1);
  }

  Status count_sends(const std::vector<int64_t>& ids, int delta) {
    if (ids.empty()) return Status::ok();
    std::lock_guard lock(write_mu_);
    if (Status s = exec(writer_, "BEGIN IMMEDIATE"); !s) return s;
    Status st = [&]() -> Status {
      Stmt s(writer_, delta > 0
                          ? "UPDATE outbox SET attempts = attempts + 1 WHERE id = ?1"
                          : "UPDATE outbox SET attempts = max(0, attempts - 1) WHERE id = ?1");
      if (!s.ok()) return Status::io_error(s.error());
      for (int64_t id : ids) {
        s.reset();
        s.bind(1, id);
        if (Status r = s.run(); !r) return r;
      }
      return Status::ok();
    }();
    if (st) st = exec(writer_, "COMMIT");
    if (!st) {
      if (Status r = rollback(writer_); !r)
        return Status::io_error(st.message() + "; and the rollback failed: " + r.message());
    }
    return st;
  }

  Result<int64_t> outbox_release(const std::string& target, TimePoint now) override {
    std::lock_guard lock(write_mu_);
    Stmt s(writer_,
           "UPDATE outbox SET next_at = ?2 WHERE target = ?1 AND held = 0 AND attempts > 0"
           " AND next_at > ?2");
    if (!s.ok()) return Status::io_error(s.error());
    s.bind(1, target).bind(2, now);
    if (Status st = s.run(); !st) return st;
    return static_cast<int64_t>(sqlite3_changes(writer_));
  }

  Status outbox_done(int64_t id, const std::optional<ExternalRef>& remote,
                     const std::optional<TimelineEntry>& entry) override {
    std::lock_guard lock(write_mu_);
    if (Status s = exec(writer_, "BEGIN IMMEDIATE"); !s) return s;
    Status st = [&]() -> Status {
      Stmt del(writer_, "DELETE FROM outbox WHERE id = ?1 RETURNING target, ticket_key");
      if (!del.ok()) return Status::io_error(del.error());
      del.bind(1, id);
      const int rc = del.step();
      if (rc != SQLITE_ROW && rc != SQLITE_DONE) return last_error(writer_);
      // Dropped while it was being sent: what it did is still recorded.
      std::string target = remote ? remote->backend : "", ticket = entry ? entry->ticket_key : "";
      if (rc == SQLITE_ROW) {
        target = del.text(0);
        ticket = del.text(1);
        if (Status d = del.run(); !d) return d;  // finish the statement
      }
      if (ticket.empty()) return Status::ok();
      if (remote && !remote->id.empty() && !target.empty()) {
        Stmt link(writer_,
                  "INSERT INTO external_refs (ticket_key, backend, remote_id, remote_key, url)"
                  " VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (ticket_key, backend) DO UPDATE SET"
                  " remote_id = excluded.remote_id, remote_key = excluded.remote_key,"
                  " url = excluded.url");
        if (!link.ok()) return Status::io_error(link.error());
        link.bind(1, ticket)
            .bind(2, target)
            .bind(3, remote->id)
            .bind(4, remote->key)
            .bind(5, remote->url);
        if (Status l = link.run(); !l) return l;
      }
      if (entry) {
        Stmt tl(writer_,
                "INSERT INTO timeline (ticket_key, time, actor, kind, message, details) VALUES "
                "(?1,?2,?3,?4,?5,?6)");
        if (!tl.ok()) return Status::io_error(tl.error());
        tl.bind(1, entry->ticket_key)
            .bind(2, entry->time)
            .bind(3, entry->actor)
            .bind(4, entry->kind)
            .bind(5, entry->message)
            .bind(6, entry->details);
        if (Status t = tl.run(); !t) return t;
      }
      return Status::ok();
    }();
    if (st) st = exec(writer_, "COMMIT");
    if (!st) {
      if (Status r = rollback(writer_); !r)
        return Status::io_error(st.message() + "; and the rollback failed: " + r.message());
    }
    return st;
  }

  Status outbox_defer(int64_t id, TimePoint next_at, const std::string& error, bool hold) override {
    auto r = write_one(
        "UPDATE outbox SET next_at = ?2, last_error = ?3, held = ?4 WHERE id = ?1",
        [&](Stmt& s) { s.bind(1, id).bind(2, next_at).bind(3, error).bind(4, int64_t{hold}); });
    return r ? Status::ok() : r.error();
  }

  Result<std::vector<OutboxEntry>> outbox_list(const OutboxQuery& q) override {
    Reader reader(*this);
    Stmt s(reader.db(), std::string("SELECT ") + kOutboxColumns +
                            " FROM outbox WHERE id > ?1 AND (?2 = '' OR target = ?2)"
                            " AND (?3 = '' OR ticket_key = ?3) AND (?4 = 0 OR held = 1)"
                            " ORDER BY id LIMIT ?5");
    if (!s.ok()) return Status::io_error(s.error());
    s.bind(1, q.after_id)
        .bind(2, q.target)
        .bind(3, q.ticket_key)
        .bind(4, int64_t{q.held_only})
        .bind(5, static_cast<int64_t>(std::clamp(q.limit, 1, 1000)));
    return read_entries(s, reader.db());
  }

  Result<bool> outbox_retry(int64_t id, TimePoint now) override {
    return write_one("UPDATE outbox SET held = 0, next_at = ?2 WHERE id = ?1",
                     [&](Stmt& s) { s.bind(1, id).bind(2, now); });
  }

  Result<bool> outbox_drop(int64_t id) override {
    return write_one("DELETE FROM outbox WHERE id = ?1", [&](Stmt& s) { s.bind(1, id); });
  }

  Result<std::map<std::string, OutboxDepth>> outbox_depth() override {
    Reader reader(*this);
    Stmt s(reader.db(),
           "SELECT target, COUNT(*), SUM(held), MIN(created_at) FROM outbox GROUP BY target");
    if (!s.ok()) return Status::io_error(s.error());
    std::map<std::string, OutboxDepth> out;
    int rc;
    while ((rc = s.step()) == SQLITE_ROW) {
      OutboxDepth& d = out[s.text(0)];
      d.queued = s.integer(1);
      d.held = s.integer(2);
      d.oldest = s.opt_time(3);
    }
    if (rc != SQLITE_DONE) return last_error(reader.db());
    return out;
  }

  Result<std::optional<ExternalRef>> external_ref(const std::string& target,
                                                  const std::string& ticket_key) override {
    Reader reader(*this);
    Stmt s(reader.db(),
           "SELECT remote_id, remote_key, url FROM external_refs WHERE ticket_key = ?1 AND "
           "backend = ?2");
    if (!s.ok()) return Status::io_error(s.error());
    s.bind(1, ticket_key).bind(2, target);
    const int rc = s.step();
    if (rc == SQLITE_DONE) return std::optional<ExternalRef>();
    if (rc != SQLITE_ROW) return last_error(reader.db());
    return std::optional<ExternalRef>(ExternalRef{target, s.text(0), s.text(1), s.text(2)});
  }

  Result<std::optional<std::string>> ticket_for_remote(const std::string& target,
                                                       const std::string& remote_id) override {
    Reader reader(*this);
    Stmt s(reader.db(),
           "SELECT ticket_key FROM external_refs WHERE backend = ?1 AND remote_id = ?2 AND "
           "remote_id <> ''");
    if (!s.ok()) return Status::io_error(s.error());
    s.bind(1, target).bind(2, remote_id);
    const int rc = s.step();
    if (rc == SQLITE_DONE) return std::optional<std::string>();
    if (rc != SQLITE_ROW) return last_error(reader.db());
    return std::optional<std::string>(s.text(0));
  }

 private:
  // Best match first (bm25), newest first among equals; tickets above the
  // cursor's bound (created after the first page was read) are left out,
  // so they do not shift the later pages.
  Status list_ranked(sqlite3* db, const TicketQuery& q, const std::string& match, int limit,
                     const ListCursor& c, TicketPage* page) {
    int64_t bound = c.bound;
    if (!c.set) {
      Stmt max(db, "SELECT coalesce(max(id), 0) FROM tickets");
      if (!max.ok()) return Status::io_error(max.error());
      if (max.step() != SQLITE_ROW) return last_error(db);
      bound = max.integer(0);
    }
    const ListFilters f(q, match, /*text_as_filter=*/false);
    // bm25 weights per column of ticket_search: title, description, notes,
    // resolution, labels, messages, key, fingerprint, hosts.
    Stmt s(db, "SELECT " + prefixed_ticket_columns() +
                   " FROM ticket_search CROSS JOIN tickets t ON t.id = ticket_search.rowid"
                   " WHERE ticket_search MATCH ?16 AND t.id <= ?1" +
                   f.sql +
                   " ORDER BY bm25(ticket_search, 10.0, 3.0, 3.0, 3.0, 2.0, 1.0, 10.0, 2.0, 2.0),"
                   " t.id DESC LIMIT ?2 OFFSET ?3");
    if (!s.ok()) return Status::io_error(s.error());
    s.bind(1, bound).bind(2, static_cast<int64_t>(limit) + 1).bind(3, c.offset);
    f.bind(s);
    int rc;
    while ((rc = s.step()) == SQLITE_ROW) {
      if (static_cast<int>(page->tickets.size()) == limit) {
        page->next_cursor =
            "r" + std::to_string(bound) + "." + std::to_string(c.offset + int64_t{limit});
        break;
      }
      page->tickets.push_back(read_ticket(s));
    }
    if (rc != SQLITE_DONE && rc != SQLITE_ROW) return last_error(db);
    return Status::ok();
  }

  // Newest first: ids below the cursor's, highest first; the cursor is the
  // last id shown.
  Status list_newest(sqlite3* db, const ListFilters& f, int limit, const ListCursor& c,
                     TicketPage* page) {
    Stmt s(db, "SELECT " + prefixed_ticket_columns() + " FROM tickets t WHERE t.id < ?1" + f.sql +
                   " ORDER BY t.id DESC LIMIT ?2");
    if (!s.ok()) return Status::io_error(s.error());
    s.bind(1, c.id).bind(2, static_cast<int64_t>(limit) + 1);
    f.bind(s);
    int64_t last_id = 0;
    int rc;
    while ((rc = s.step()) == SQLITE_ROW) {
      if (static_cast<int>(page->tickets.size()) == limit) {
        page->next_cursor = std::to_string(last_id);
        break;
      }
      page->tickets.push_back(read_ticket(s));
      last_id = s.integer(24);
    }
    if (rc != SQLITE_DONE && rc != SQLITE_ROW) return last_error(db);
    return Status::ok();
  }

  // Priority order for a search: the matches are few enough to sort, in
  // one statement (the full-text index finds them; a temporary B-tree sorts
  // them). The cursor (the last ticket shown) becomes one row-value
  // comparison in the order's own terms.
  Status list_by_priority_searching(sqlite3* db, const ListFilters& f, int limit,
                                    const ListCursor& c, TicketPage* page) {
    Stmt s(db, "SELECT " + prefixed_ticket_columns() + ", t.due_key FROM tickets t WHERE 1" +
                   f.sql +
                   (c.set ? " AND (t.priority, t.due_key IS NULL, coalesce(t.due_key, 0), -t.id)"
                            " > (?1, ?2, ?3, -?4)"
                          : "") +
                   " ORDER BY t.priority, t.due_key IS NULL, t.due_key, t.id DESC LIMIT ?5");
    if (!s.ok()) return Status::io_error(s.error());
    if (c.set)
      s.bind(1, c.priority).bind(2, int64_t{!c.due}).bind(3, c.due.value_or(0)).bind(4, c.id);
    s.bind(5, static_cast<int64_t>(limit) + 1);
    f.bind(s);
    std::string last;
    int rc;
    while ((rc = s.step()) == SQLITE_ROW) {
      if (static_cast<int>(page->tickets.size()) == limit) {
        page->next_cursor = last;
        break;
      }
      page->tickets.push_back(read_ticket(s));
      last = priority_cursor(
          s.integer(6), s.is_null(34) ? std::nullopt : std::optional(s.integer(34)), s.integer(24));
    }
    if (rc != SQLITE_DONE && rc != SQLITE_ROW) return last_error(db);
    return Status::ok();
  }

  // Priority order without a search, from the index on (priority, due_key,
  // id) alone, never a sort: a page reads each priority's tickets with a due
  // time, then those without one. The index holds the ids of equal due times
  // lowest first, while the order wants newest first; so a run of tickets
  // due at the same time (opened in one batch) is read by its own statement,
  // highest id first, and the rows of a range read are turned around within
  // each run of equal due times. For each priority (from the cursor's):
  //   group   the rest of the cursor's run: due_key = d AND id < i, id DESC
  //   after   due_key >= d, by (due_key, id): a run the read may have cut
  //           short (the last one when the read filled its room) is read
  //           again as a group
  //   nulls   due_key IS NULL AND id < i, id DESC
  Status list_by_priority(sqlite3* db, const TicketQuery& q, const ListFilters& f, int limit,
                          const ListCursor& c, TicketPage* page) {
    const std::string columns = "SELECT " + prefixed_ticket_columns() +
                                ", t.due_key FROM tickets t WHERE t.priority = ?1 AND ";
    Stmt group(db,
               columns + "t.due_key = ?2 AND t.id < ?3" + f.sql + " ORDER BY t.id DESC LIMIT ?4");
    Stmt after(db, columns + "t.due_key >= ?2" + f.sql + " ORDER BY t.due_key, t.id LIMIT ?4");
    Stmt nulls(
        db, columns + "t.due_key IS NULL AND t.id < ?3" + f.sql + " ORDER BY t.id DESC LIMIT ?4");
    for (const Stmt* s : {&group, &after, &nulls}) {
      if (!s->ok()) return Status::io_error(s->error());
    }
    struct Row {
      Ticket ticket;
      int64_t priority;
      std::optional<int64_t> due;
      int64_t id;
    };
    std::vector<Row> rows;
    const size_t want = static_cast<size_t>(limit) + 1;  // one more: is there a next page?
    // Reads up to `room` rows of `s` (bound but for its LIMIT) into `out`.
    auto read = [&](Stmt& s, int64_t priority, size_t room, std::vector<Row>* out) -> Status {
      s.bind(1, priority).bind(4, static_cast<int64_t>(room));
      f.bind(s);
      int rc;
      while ((rc = s.step()) == SQLITE_ROW) {
        out->push_back({read_ticket(s), priority,
                        s.is_null(34) ? std::nullopt : std::optional(s.integer(34)),
                        s.integer(24)});
      }
      s.reset();
      return rc == SQLITE_DONE ? Status::ok() : last_error(db);
    };
    enum class Phase { kGroup, kAfter, kNulls };
    int64_t priority = q.priority ? static_cast<int64_t>(*q.priority) : 1;
    const int64_t last_priority = q.priority ? priority : 5;
    Phase phase = Phase::kAfter;
    int64_t due = INT64_MIN, below = INT64_MAX;
    // A cursor of another priority than the filter's (from a listing
    // without it): the filter's tickets come all after it, or none does.
    if (c.set && c.priority >= priority) {
      priority = c.priority;
      phase = c.due ? Phase::kGroup : Phase::kNulls;
      due = c.due.value_or(0);
      below = c.id;
    }
    while (rows.size() < want && priority <= last_priority) {
      const size_t room = want - rows.size();
      if (phase == Phase::kGroup) {
        group.bind(2, due).bind(3, below);
        const size_t before = rows.size();
        if (Status st = read(group, priority, room, &rows); !st) return st;
        if (rows.size() - before < room) {  // the run is done: the later due times
          phase = due == INT64_MAX ? Phase::kNulls : Phase::kAfter;
          due = due == INT64_MAX ? due : due + 1;
          below = INT64_MAX;
        }
      } else if (phase == Phase::kAfter) {
        std::vector<Row> range;
        after.bind(2, due);
        if (Status st = read(after, priority, room, &range); !st) return st;
        size_t keep = range.size();
        if (range.size() == room) {  // the last run may go on: read it as a group
          while (keep > 0 && range[keep - 1].due == range.back().due) --keep;
          phase = Phase::kGroup;
          due = *range.back().due;
          below = INT64_MAX;
        } else {
          phase = Phase::kNulls;
          below = INT64_MAX;
        }
        for (size_t i = 0; i < keep;) {  // each run of equal due times, highest id first
          size_t j = i;
          while (j < keep && range[j].due == range[i].due) ++j;
          for (size_t k = j; k > i; --k) rows.push_back(std::move(range[k - 1]));
          i = j;
        }
      } else {
        nulls.bind(3, below);
        const size_t before = rows.size();
        if (Status st = read(nulls, priority, room, &rows); !st) return st;
        if (rows.size() - before < room) {
          ++priority;
          phase = Phase::kAfter;
          due = INT64_MIN;
          below = INT64_MAX;
        }
      }
    }
    if (rows.size() == want) {
      rows.pop_back();
      const Row& last = rows.back();
      page->next_cursor = priority_cursor(last.priority, last.due, last.id);
    }
    for (Row& r : rows) page->tickets.push_back(std::move(r.ticket));
    return Status::ok();
  }

  Result<std::vector<OutboxEntry>> read_entries(Stmt& s, sqlite3* db) {
    std::vector<OutboxEntry> out;
    int rc;
    while ((rc = s.step()) == SQLITE_ROW) out.push_back(read_outbox_entry(s));
    if (rc != SQLITE_DONE) return last_error(db);
    return out;
  }

  // One statement on the writer, in its own transaction: whether it
  // changed a row.
  template <class Bind>
  Result<bool> write_one(const char* sql, Bind bind) {
    std::lock_guard lock(write_mu_);
    Stmt s(writer_, sql);
    if (!s.ok()) return Status::io_error(s.error());
    bind(s);
    if (Status st = s.run(); !st) return st;
    return sqlite3_changes(writer_) > 0;
  }

  // The remote tickets of `t` that exist (created), by backend name.
  Status read_external(sqlite3* db, std::vector<Ticket*> tickets) {
    if (tickets.empty()) return Status::ok();
    Stmt s(db,
           "SELECT backend, remote_id, remote_key, url FROM external_refs WHERE ticket_key = ?1"
           " AND remote_id <> '' ORDER BY backend");
    if (!s.ok()) return Status::io_error(s.error());
    for (Ticket* t : tickets) {
      s.reset();
      s.bind(1, t->key);
      int rc;
      while ((rc = s.step()) == SQLITE_ROW)
        t->external.push_back({s.text(0), s.text(1), s.text(2), s.text(3)});
      if (rc != SQLITE_DONE) return last_error(db);
    }
    return Status::ok();
  }

  // A reader connection leased for one read: the constructor takes an idle
  // one, waiting while every one is busy; the destructor ends any read
  // transaction and gives it back. Declare it before the read's statements,
  // so they are finalized before it ends.
  class Reader {
   public:
    explicit Reader(SqliteStore& store) : store_(store) {
      std::unique_lock lock(store_.read_mu_);
      store_.read_cv_.wait(lock, [this] { return !store_.idle_readers_.empty(); });
      db_ = store_.idle_readers_.back();
      store_.idle_readers_.pop_back();
    }
    ~Reader() {
      // A read transaction left open would pin its snapshot, and with it the
      // WAL, for every later read on this connection.
      if (sqlite3_get_autocommit(db_) == 0) {
        if (Status s = rollback(db_); !s)
          spdlog::warn("store: cannot end a read transaction: {}", s.message());
      }
      {
        std::lock_guard lock(store_.read_mu_);
        store_.idle_readers_.push_back(db_);
      }
      store_.read_cv_.notify_one();
    }
    Reader(const Reader&) = delete;
    Reader& operator=(const Reader&) = delete;

    sqlite3* db() const { return db_; }
    // Starts a read transaction: every statement of this lease reads the
    // same snapshot, whatever commits meanwhile.
    Status snapshot() { return exec(db_, "BEGIN"); }

   private:
    SqliteStore& store_;
    sqlite3* db_ = nullptr;
  };

  static int on_wal_commit(void* self, sqlite3* db, const char* name, int pages) {
    if (pages >= kCheckpointCapPages) {
      // Checkpoints beside a busy writer stay a batch behind, and the WAL
      // restarts from its beginning only once it is wholly copied. So past
      // the cap the writer copies the rest itself (most of it is copied
      // already): the next transaction restarts the WAL, whose file
      // journal_size_limit keeps bounded.
      sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
    } else if (pages >= kCheckpointPages) {
      auto* store = static_cast<SqliteStore*>(self);
      {
        std::lock_guard lock(store->ckpt_mu_);
        store->ckpt_wanted_ = true;
      }
      store->ckpt_cv_.notify_one();
    }
    return SQLITE_OK;
  }

  void checkpoint_loop() {
    bool failing = false;
    std::unique_lock lock(ckpt_mu_);
    for (;;) {
      ckpt_cv_.wait(lock, [this] { return ckpt_stop_ || ckpt_wanted_; });
      if (ckpt_stop_) return;
      ckpt_wanted_ = false;
      lock.unlock();
      // PASSIVE never blocks the writer or readers; what it cannot copy now
      // (a reader still needs it) is copied by a later one.
      int log = 0;
      int rc =
          sqlite3_wal_checkpoint_v2(ckpt_db_, "main", SQLITE_CHECKPOINT_PASSIVE, &log, nullptr);
      if (rc == SQLITE_OK && log < 0) rc = SQLITE_ERROR;  // not in WAL mode: nothing was copied
      if (rc != SQLITE_OK && rc != SQLITE_BUSY) {
        if (!failing) {
          spdlog::warn(
              "store: background checkpoint failed (sqlite code {}): {}; commits checkpoint "
              "themselves meanwhile",
              rc, sqlite3_errmsg(ckpt_db_));
        }
        failing = true;
      } else if (failing && rc == SQLITE_OK) {
        spdlog::info("store: checkpoints succeed again");
        failing = false;
      }
      lock.lock();
    }
  }

  Status open_connection(const SqliteOptions& opts, sqlite3** db) {
    int rc =
        sqlite3_open_v2(opts.path.c_str(), db,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
    if (rc != SQLITE_OK) {
      std::string msg = *db ? sqlite3_errmsg(*db) : sqlite3_errstr(rc);
      return Status::io_error("sqlite: cannot open " + opts.path + ": " + msg);
    }
    sqlite3_busy_timeout(*db, opts.busy_timeout_ms);
    sqlite3_extended_result_codes(*db, 1);
    return Status::ok();
  }

  Status migrate() {
    int64_t version = 0;
    {
      Stmt s(writer_, "PRAGMA user_version");
      if (!s.ok()) return Status::io_error(s.error());
      if (s.step() == SQLITE_ROW) version = s.integer(0);
    }
    const int64_t latest = static_cast<int64_t>(std::size(kMigrations));
    if (version > latest) {
      return Status::io_error("sqlite: database schema version " + std::to_string(version) +
                              " is newer than this ticketd (" + std::to_string(latest) + ")");
    }
    for (int64_t v = version; v < latest; ++v) {
      if (Status s = exec(writer_, "BEGIN IMMEDIATE"); !s) return s;
      Status s = exec(writer_, kMigrations[v]);
      if (s) s = exec(writer_, ("PRAGMA user_version = " + std::to_string(v + 1)).c_str());
      if (s) s = exec(writer_, "COMMIT");
      if (!s) {
        if (Status r = rollback(writer_); !r)
          s = Status::io_error(s.message() + "; rollback: " + r.message());
        return Status::io_error("migration to schema version " + std::to_string(v + 1) +
                                " failed: " + s.message());
      }
    }
    return Status::ok();
  }

  Status apply_locked(const Actions& actions) {
    if (!writes_) writes_ = std::make_unique<WriterStatements>(writer_);
    auto& [upsert, timeline, event, link, silence, record_put, record_del, notify, counters,
           texts] = *writes_;
    const std::initializer_list<Stmt*> all = {&upsert,   &timeline,   &event,      &link,
                                              &silence,  &record_put, &record_del, &notify,
                                              &counters, &texts};
    for (const Stmt* s : all) {
      if (!s->ok()) {
        Status st = Status::io_error(s->error());
        writes_.reset();  // prepare again next time
        return st;
      }
    }
    struct ResetAll {  // no statement stays active across COMMIT/ROLLBACK
      std::initializer_list<Stmt*> stmts;
      ~ResetAll() {
        for (Stmt* s : stmts) s->reset();
      }
    } reset_all{all};
    // std::visit with a static_assert: an action type the store does not
    // apply is a compile error, never silently skipped.
    for (const Action& a : actions) {
      Status st = std::visit(
          [&](const auto& x) -> Status {
            using T = std::decay_t<decltype(x)>;
            if constexpr (std::is_same_v<T, TicketOpened>) {
              return write_ticket(upsert, x.ticket);
            } else if constexpr (std::is_same_v<T, TicketUpdated>) {
              if (x.counters_only) {
                const Ticket& t = x.ticket;
                counters.reset();
                counters.bind_static(1, t.key)
                    .bind(2, t.event_count)
                    .bind(3, t.last_seen)
                    .bind(4, t.updated_at);
                Status c = counters.run();
                if (!c || sqlite3_changes(writer_) == 1) return c;
              }
              return write_ticket(upsert, x.ticket);  // not stored yet: the whole ticket
            } else if constexpr (std::is_same_v<T, TimelineAdded>) {
              const TimelineEntry& e = x.entry;
              timeline.reset();
              timeline.bind(1, e.ticket_key)
                  .bind(2, e.time)
                  .bind(3, e.actor)
                  .bind(4, e.kind)
                  .bind(5, e.message)
                  .bind(6, e.details);
              return timeline.run();
            } else if constexpr (std::is_same_v<T, EventRecorded>) {
              if (x.decision == Decision::kDropped) return Status::ok();  // counted, not kept
              if (Status w = write_event(event, x); !w) return w;
              if (x.ticket_key.empty()) return Status::ok();
              if (Status w = write_text(texts, x.ticket_key, "message", x.event.message); !w)
                return w;
              return write_text(texts, x.ticket_key, "host", x.event.host);
            } else if constexpr (std::is_same_v<T, ProblemLinked>) {
              link.reset();
              link.bind(1, x.problem_key).bind(2, x.incident_key);
              return link.run();
            } else if constexpr (std::is_same_v<T, SilenceSaved>) {
              silence.reset();
              silence.bind(1, x.id).bind(2, x.ends_at).bind(3, x.body);
              return silence.run();
            } else if constexpr (std::is_same_v<T, StateChanged>) {
              for (const StateRecord& r : x.records) {
                Stmt& w = r.value ? record_put : record_del;
                w.reset();
                w.bind(1, r.key);
                if (r.value) w.bind(2, *r.value);
                if (Status ws = w.run(); !ws) return ws;
              }
              return Status::ok();
            } else if constexpr (std::is_same_v<T, Notify>) {
              notify.reset();
              notify.bind(1, x.time).bind(2, x.target).bind(3, x.ticket_key).bind(4, x.message);
              return notify.run();
            } else if constexpr (std::is_same_v<T, OutboxQueued>) {
              return queue_outbox(x);
            } else {
              static_assert(sizeof(T) == 0, "the store must apply every action type");
            }
          },
          a);
      if (!st) return st;
    }
    return Status::ok();
  }

  // One OutboxQueued, inside apply()'s transaction.
  Status queue_outbox(const OutboxQueued& q) {
    if (!outbox_writes_) outbox_writes_ = std::make_unique<OutboxStatements>(writer_);
    OutboxStatements& o = *outbox_writes_;
    if (!o.ok()) {
      Status st = Status::io_error(o.error());
      outbox_writes_.reset();
      return st;
    }
    struct Reset {
      OutboxStatements& o;
      ~Reset() { o.reset(); }
    } reset{o};
    o.reset();
    if (q.kind == "occurrences") {  // the common case first: one statement
      o.fold.bind(1, q.target).bind(2, q.ticket_key).bind(3, q.count).bind(4, q.payload);
      if (Status st = o.fold.run(); !st) return st;
      if (sqlite3_changes(writer_) > 0) return Status::ok();
    }
    if (q.only == OutboxQueued::Only::kUnlinked) {
      o.link.bind(1, q.ticket_key).bind(2, q.target);
      if (Status st = o.link.run(); !st) return st;
      if (sqlite3_changes(writer_) == 0) return Status::ok();  // linked before
    } else if (q.only == OutboxQueued::Only::kLinked) {
      o.linked.bind(1, q.ticket_key).bind(2, q.target);
      const int rc = o.linked.step();
      if (rc == SQLITE_DONE) return Status::ok();  // this target never took the ticket
      if (rc != SQLITE_ROW) return last_error(writer_);
    }
    const TimePoint not_before = q.not_before == TimePoint{} ? q.time : q.not_before;
    o.insert.bind(1, q.target)
        .bind(2, q.ticket_key)
        .bind(3, q.kind)
        .bind(4, q.payload)
        .bind(5, q.count)
        .bind(6, q.time)
        .bind(7, not_before);
    return o.insert.run();
  }

  Status write_event(Stmt& s, const EventRecorded& ev) {
    const Event& e = ev.event;
    s.reset();
    labels_text_ = labels_to_text(e.labels);
    annotations_text_ = labels_to_text(e.annotations);
    s.bind(1, ev.received_at)
        .bind_static(2, decision_name(ev.decision))
        .bind_static(3, ev.rule)
        .bind_static(4, ev.ticket_key)
        .bind_static(5, ev.detail)
        .bind_static(6, e.source)
        .bind(7, e.time)
        .bind_static(8, e.host);
    if (e.severity)
      s.bind(9, static_cast<int64_t>(*e.severity));
    else
      s.bind_null(9);
    s.bind_static(10, e.facility)
        .bind_static(11, e.app)
        .bind_static(12, e.msgid)
        .bind_static(13, e.message)
        .bind_static(14, e.trap_oid)
        .bind_static(15, e.status)
        .bind_static(16, labels_text_)
        .bind_static(17, annotations_text_);
    return s.run();
  }

  // Adds a ticket's event message or host to ticket_texts (the search
  // index), unless this writer added or met it before: the repeated message
  // of a deduplicated event costs a hash lookup, not a statement.
  Status write_text(Stmt& s, const std::string& ticket_key, std::string_view kind,
                    const std::string& text) {
    if (text.empty()) return Status::ok();
    const std::hash<std::string_view> h;
    const uint64_t ticket = h(ticket_key) * 0x9E3779B97F4A7C15ULL + kind.size();
    const uint64_t id = ticket ^ h(text);
    if (known_texts_.count(id) != 0 || full_texts_.count(ticket) != 0) return Status::ok();
    s.reset();
    s.bind_static(1, ticket_key).bind_static(2, kind).bind_static(3, text);
    if (Status st = s.run(); !st) return st;
    if (known_texts_.size() >= kKnownTextsCap) known_texts_.clear();
    if (full_texts_.size() >= kKnownTextsCap) full_texts_.clear();
    known_texts_.insert(id);
    if (sqlite3_changes(writer_) == 0) {  // there already, or the ticket has 20: which?
      Stmt full(writer_,
                "SELECT count(*) FROM (SELECT 1 FROM ticket_texts WHERE ticket_key = ?1"
                " AND kind = ?2 LIMIT 20)");
      if (!full.ok()) return Status::io_error(full.error());
      full.bind_static(1, ticket_key).bind_static(2, kind);
      if (full.step() != SQLITE_ROW) return last_error(writer_);
      if (full.integer(0) >= 20) full_texts_.insert(ticket);
    }
    return Status::ok();
  }

  Status write_ticket(Stmt& s, const Ticket& t) {
    s.reset();
    s.bind(1, t.key)
        .bind(2, ticket_type_name(t.type))
        .bind(3, key_seq(t.key))
        .bind(4, t.title)
        .bind(5, t.description)
        .bind(6, ticket_status_name(t.status))
        .bind(7, static_cast<int64_t>(t.priority))
        .bind(8, level_name(t.impact))
        .bind(9, level_name(t.urgency))
        .bind(10, t.category)
        .bind(11, t.team)
        .bind(12, t.assignee)
        .bind(13, t.rule)
        .bind(14, t.fingerprint)
        .bind(15, t.event_count)
        .bind(16, t.first_seen)
        .bind(17, t.last_seen)
        .bind(18, t.created_at)
        .bind(19, t.updated_at)
        .bind(20, t.acknowledged_at)
        .bind(21, t.acknowledged_by)
        .bind(22, t.resolved_at)
        .bind(23, t.closed_at)
        .bind(24, nlohmann::json(t.labels).dump(-1, ' ', false,
                                                nlohmann::json::error_handler_t::replace))
        .bind(25, t.respond_by)
        .bind(26, t.resolve_by)
        .bind(27, nlohmann::json(t.breaches)
                      .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace))
        .bind(28, t.problem)
        .bind(29,
              alerts_json(t.alerts).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace))
        .bind(30, static_cast<int64_t>(t.flapping))
        .bind(31, t.suppressed_count)
        .bind(32, t.resolution.code)
        .bind(33, t.resolution.note);
    return s.run();
  }

  sqlite3* writer_ = nullptr;
  std::vector<sqlite3*> readers_;                    // every reader connection
  std::vector<sqlite3*> idle_readers_;               // those no read holds; guarded by read_mu_
  std::unique_ptr<WriterStatements> writes_;         // guarded by write_mu_
  std::unique_ptr<OutboxStatements> outbox_writes_;  // guarded by write_mu_
  std::string labels_text_, annotations_text_;       // write_event's buffers, guarded by write_mu_
  // Hashes of (ticket, kind, text) that ticket_texts has or needs no more,
  // and of (ticket, kind) that have their 20 texts (write_text); emptied
  // when a batch fails or one reaches the cap.
  static constexpr size_t kKnownTextsCap = 1 << 20;
  std::unordered_set<uint64_t> known_texts_;  // guarded by write_mu_
  std::unordered_set<uint64_t> full_texts_;   // guarded by write_mu_
  std::mutex write_mu_;
  std::mutex read_mu_;
  std::condition_variable read_cv_;  // a reader became idle
  sqlite3* ckpt_db_ = nullptr;       // the checkpointer's own connection
  std::thread checkpointer_;
  std::mutex ckpt_mu_;
  std::condition_variable ckpt_cv_;
  bool ckpt_wanted_ = false;  // guarded by ckpt_mu_
  bool ckpt_stop_ = false;    // guarded by ckpt_mu_
};

}  // namespace

Result<std::unique_ptr<Store>> open_sqlite_store(const SqliteOptions& options) {
  auto store = std::make_unique<SqliteStore>();
  if (Status s = store->open(options); !s) return s;
  return std::unique_ptr<Store>(std::move(store));
}

}  // namespace ticketd::store
