#include <gtest/gtest.h>
#include <sqlite3.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <thread>
#include <vector>

#include "ticketd/engine/action.hpp"  // silences are built by the engine
#include "ticketd/store/store.hpp"

namespace ticketd::store {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

class SqliteStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("ticketd-store-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    reopen();
  }
  void TearDown() override {
    store_.reset();
    fs::remove_all(dir_);
  }
  void reopen() {
    store_.reset();
    auto s = open_sqlite_store({(dir_ / "sub" / "t.db").string()});
    ASSERT_TRUE(s) << s.error().message();
    store_ = std::move(s).value();
  }

  Ticket ticket(int64_t seq, std::string fp, TicketStatus status = TicketStatus::kNew) {
    Ticket t;
    t.key = format_ticket_key(TicketType::kIncident, seq);
    t.title = "t" + std::to_string(seq);
    t.fingerprint = std::move(fp);
    t.status = status;
    t.team = seq % 2 ? "odd" : "even";
    t.priority = seq % 2 ? Priority::kP1 : Priority::kP3;
    t.event_count = 1;
    t.first_seen = t.last_seen = t.created_at = t.updated_at = now_;
    t.labels = {{"k", "v"}};
    return t;
  }

  fs::path dir_;
  std::unique_ptr<Store> store_;
  TimePoint now_ = from_unix_ms(1'800'000'000'000);
};

TEST_F(SqliteStoreTest, ApplyThenReadBack) {
  Ticket t = ticket(1, "fp1");
  t.acknowledged_at = now_ + 1s;
  Event e;
  e.host = "h";
  e.message = "m";
  engine::Actions actions = {
      engine::TicketOpened{t},
      engine::TimelineAdded{{t.key, now_, "engine", "created", "opened", R"({"rule":"r"})"}},
      engine::EventRecorded{e, now_, engine::Decision::kTicketed, "r", t.key, ""},
  };
  ASSERT_TRUE(store_->apply(actions));
  auto got = store_->get_ticket(t.key);
  ASSERT_TRUE(got);
  ASSERT_TRUE(*got);
  EXPECT_EQ(ticket_to_json(**got), ticket_to_json(t));
  auto tl = store_->timeline(t.key);
  ASSERT_TRUE(tl);
  ASSERT_EQ(tl->size(), 1u);
  EXPECT_EQ((*tl)[0].kind, "created");
  EXPECT_EQ((*tl)[0].details_json()["rule"], "r");
  auto events = store_->ticket_events(t.key, 10);
  ASSERT_TRUE(events);
  ASSERT_EQ(events->size(), 1u);
  EXPECT_EQ((*events)[0].event.message, "m");
  EXPECT_EQ((*events)[0].decision, "ticketed");
  EXPECT_FALSE(*store_->get_ticket("INC-999999"));
}

// Events are stored as columns; every field comes back as it went in,
// including labels that need escaping and text beyond ASCII.
TEST_F(SqliteStoreTest, EveryEventFieldRoundTrips) {
  Ticket t = ticket(1, "fp1");
  Event e;
  e.source = "snmp";
  e.time = now_ - 5s;
  e.host = "sw1";
  e.severity = Severity::kWarning;
  e.facility = "local7";
  e.app = "ifmgr";
  e.msgid = "ID47";
  e.message = "line \"quoted\"\n\ttab \\ back";
  e.trap_oid = "IF-MIB::linkDown";
  e.status = "resolved";
  e.labels = {
      {"ifDescr", "Gi0/1 \"uplink\""}, {"ctl", std::string("a\x01b")}, {"city", "K\xc3\xb6ln"}};
  e.annotations = {{"summary", "down\\up"}};
  Event bare;  // no severity, labels or annotations
  bare.message = "x";
  ASSERT_TRUE(store_->apply(
      {engine::TicketOpened{t},
       engine::EventRecorded{e, now_, engine::Decision::kReopened, "r", t.key, "why"},
       engine::EventRecorded{bare, now_, engine::Decision::kDeduplicated, "r", t.key, ""}}));
  auto events = store_->ticket_events(t.key, 10);
  ASSERT_TRUE(events);
  ASSERT_EQ(events->size(), 2u);
  EXPECT_EQ(event_to_json((*events)[1].event), event_to_json(e));
  EXPECT_EQ((*events)[1].detail, "why");
  EXPECT_EQ((*events)[1].decision, "reopened");
  EXPECT_EQ((*events)[1].received_at, now_);
  EXPECT_EQ(event_to_json((*events)[0].event), event_to_json(bare));
  EXPECT_FALSE((*events)[0].event.severity);
}

// Checkpoints keep the WAL bounded under continuous commits: the background
// checkpointer copies pages, and past the cap the writer finishes the copy so
// the WAL restarts (a connection that never ran a statement checkpoints
// nothing, which once let the WAL grow without end).
TEST_F(SqliteStoreTest, TheWalStaysBoundedUnderContinuousCommits) {
  const fs::path wal = dir_ / "sub" / "t.db-wal";
  Ticket t = ticket(1, "fp1");
  ASSERT_TRUE(store_->apply({engine::TicketOpened{t}}));
  Event e;
  e.host = "h";
  e.message = std::string(2000, 'x');
  uintmax_t largest = 0;
  for (int batch = 0; batch < 150; ++batch) {  // about 60 MB of events
    engine::Actions actions;
    for (int i = 0; i < 200; ++i)
      actions.push_back(
          engine::EventRecorded{e, now_, engine::Decision::kDeduplicated, "r", t.key, ""});
    ASSERT_TRUE(store_->apply(actions));
    largest = std::max(largest, fs::file_size(wal));
  }
  EXPECT_LT(largest, 40u << 20) << "WAL peaked at " << largest << " bytes";
}

TEST_F(SqliteStoreTest, UpdateUpsertsTheSameRow) {
  Ticket t = ticket(1, "fp1");
  ASSERT_TRUE(store_->apply({engine::TicketOpened{t}}));
  t.event_count = 5;
  t.status = TicketStatus::kResolved;
  t.resolved_at = now_ + 1min;
  ASSERT_TRUE(store_->apply({engine::TicketUpdated{t}}));
  auto page = store_->list_tickets({});
  ASSERT_TRUE(page);
  ASSERT_EQ(page->tickets.size(), 1u);
  EXPECT_EQ(page->tickets[0].event_count, 5);
  EXPECT_EQ(page->tickets[0].resolved_at, now_ + 1min);
}

TEST_F(SqliteStoreTest, BatchIsAllOrNothing) {
  ASSERT_TRUE(store_->apply({engine::TicketOpened{ticket(1, "same")}}));
  // A second open ticket with the same fingerprint violates the constraint:
  // the whole batch, including the valid ticket 3, must roll back.
  Status s = store_->apply(
      {engine::TicketOpened{ticket(3, "other")}, engine::TicketOpened{ticket(2, "same")}});
  EXPECT_FALSE(s);
  EXPECT_EQ(s.code(), StatusCode::kConflict);  // the batch is wrong, not the disk: the pipeline
                                               // does not retry it as an outage
  EXPECT_FALSE(*store_->get_ticket("INC-000003"));
  // Once resolved, the fingerprint may open again.
  ASSERT_TRUE(store_->apply({engine::TicketUpdated{ticket(1, "same", TicketStatus::kResolved)}}));
  EXPECT_TRUE(store_->apply({engine::TicketOpened{ticket(2, "same")}}));
}

TEST_F(SqliteStoreTest, FiltersAndPagination) {
  engine::Actions actions;
  for (int i = 1; i <= 7; ++i)
    actions.push_back(engine::TicketOpened{ticket(i, "fp" + std::to_string(i))});
  ASSERT_TRUE(store_->apply(actions));
  TicketQuery q;
  q.team = "odd";
  auto odd = store_->list_tickets(q);
  ASSERT_TRUE(odd);
  EXPECT_EQ(odd->tickets.size(), 4u);
  q = {};
  q.priority = Priority::kP3;
  EXPECT_EQ(store_->list_tickets(q)->tickets.size(), 3u);
  q = {};
  q.status = TicketStatus::kResolved;
  EXPECT_EQ(store_->list_tickets(q)->tickets.size(), 0u);
  ASSERT_TRUE(store_->apply({engine::TicketUpdated{ticket(2, "fp2", TicketStatus::kResolved)}}));
  q = {};
  q.open_only = true;
  EXPECT_EQ(store_->list_tickets(q)->tickets.size(), 6u);

  q = {};
  q.limit = 3;
  std::vector<std::string> keys;
  for (;;) {
    auto page = store_->list_tickets(q);
    ASSERT_TRUE(page);
    for (auto& t : page->tickets) keys.push_back(t.key);
    if (page->next_cursor.empty()) break;
    q.cursor = page->next_cursor;
  }
  ASSERT_EQ(keys.size(), 7u);
  EXPECT_EQ(keys.front(), "INC-000007");  // newest first
  EXPECT_EQ(keys.back(), "INC-000001");
  q = {};
  q.text = "T3";
  ASSERT_EQ(store_->list_tickets(q)->tickets.size(), 1u);  // case-insensitive, title "t3"
  q.text = "inc-000005 t5";
  ASSERT_EQ(store_->list_tickets(q)->tickets.size(), 1u);
  q.text = "t5 nope";
  EXPECT_EQ(store_->list_tickets(q)->tickets.size(), 0u);
  q = {};
  q.cursor = "banana";
  EXPECT_EQ(store_->list_tickets(q).error().code(), StatusCode::kInvalidArgument);
}

// A message of a batch that failed is searchable once a later batch
// stores it: the store does not remember texts the failed batch wrote.
TEST_F(SqliteStoreTest, AFailedBatchLeavesNoTextBehindForTheSearch) {
  ASSERT_TRUE(store_->apply({engine::TicketOpened{ticket(1, "same")}}));
  Event e;
  e.host = "h";
  e.message = "capybara overflow";
  const engine::EventRecorded ev{e, now_, engine::Decision::kDeduplicated, "r", "INC-000001", ""};
  EXPECT_FALSE(store_->apply({ev, engine::TicketOpened{ticket(2, "same")}}));  // conflict
  TicketQuery q;
  q.text = "capybara";
  EXPECT_TRUE(store_->list_tickets(q)->tickets.empty());
  ASSERT_TRUE(store_->apply({ev}));
  auto found = store_->list_tickets(q);
  ASSERT_TRUE(found);
  ASSERT_EQ(found->tickets.size(), 1u);
  EXPECT_EQ(found->tickets[0].key, "INC-000001");
}

TEST_F(SqliteStoreTest, StateSurvivesReopen) {
  ASSERT_TRUE(store_->apply({engine::TicketOpened{ticket(1, "a")},
                             engine::TicketOpened{ticket(2, "b", TicketStatus::kResolved)},
                             engine::TicketOpened{ticket(5, "c", TicketStatus::kInProgress)}}));
  reopen();
  auto state = store_->load_state();
  ASSERT_TRUE(state);
  EXPECT_EQ(state->open_tickets.size(), 2u);
  EXPECT_EQ(state->last_seq.at(TicketType::kIncident), 5);
}

TEST_F(SqliteStoreTest, PruneDropsOnlyOldEvents) {
  Event e;
  e.message = "x";
  ASSERT_TRUE(store_->apply(
      {engine::EventRecorded{e, now_ - 8 * 24h, engine::Decision::kUnmatched, "", "", ""},
       engine::EventRecorded{e, now_, engine::Decision::kUnmatched, "", "", ""},
       engine::EventRecorded{e, now_, engine::Decision::kDropped, "d", "", ""}}));
  auto pruned = store_->prune_events(now_ - 7 * 24h);
  ASSERT_TRUE(pruned);
  EXPECT_EQ(*pruned, 1);  // the dropped event was never stored
}

TEST_F(SqliteStoreTest, CorrelationStateSilencesAndProblemLinksPersist) {
  auto silence = engine::silence_from_json(
      nlohmann::json::parse(R"({"matchers":{"host":"db1"},"duration":"1h","comment":"c"})"), now_);
  ASSERT_TRUE(silence);
  silence->id = "s-7";
  silence->silenced_count = 4;
  Ticket problem = ticket(9, "problem/x");
  problem.type = TicketType::kProblem;
  problem.key = "PRB-000001";
  Ticket incident = ticket(1, "fp1");
  incident.respond_by = now_ + 15min;
  incident.breaches = {"respond"};
  incident.alerts = {{"a", "firing"}, {"b", "resolved"}};
  incident.flapping = true;
  incident.suppressed_count = 3;
  ASSERT_TRUE(store_->apply({engine::silence_saved(*silence),
                             engine::StateChanged{{{"a/x", "{\"n\":2}"}, {"g/gone", "{}"}}},
                             engine::StateChanged{{{"g/gone", std::nullopt}}},
                             engine::TicketOpened{incident}, engine::TicketOpened{problem},
                             engine::ProblemLinked{"PRB-000001", incident.key},
                             engine::Notify{"oncall", incident.key, "escalated", now_}}));
  reopen();
  auto state = store_->load_state();
  ASSERT_TRUE(state);
  ASSERT_EQ(state->silences.size(), 1u);
  auto restored = engine::saved_silence(SilenceSaved{{}, {}, state->silences[0]});
  ASSERT_TRUE(restored);
  EXPECT_EQ(restored->id, "s-7");
  EXPECT_EQ(restored->silenced_count, 4);
  ASSERT_EQ(state->records.size(), 1u);  // the second batch of records deleted one
  EXPECT_EQ(state->records[0], (std::pair<std::string, std::string>{"a/x", "{\"n\":2}"}));
  auto inc = **store_->get_ticket(incident.key);
  EXPECT_EQ(inc.problem, "PRB-000001");
  EXPECT_EQ(inc.respond_by, now_ + 15min);
  EXPECT_EQ(inc.breaches, std::vector<std::string>{"respond"});
  EXPECT_EQ(inc.alerts.size(), 2u);
  EXPECT_TRUE(inc.flapping);
  EXPECT_EQ(inc.suppressed_count, 3);
  auto prb = **store_->get_ticket("PRB-000001");
  EXPECT_EQ(prb.incidents, std::vector<std::string>{incident.key});
  EXPECT_EQ(store_->list_silences()->size(), 1u);
}

TEST_F(SqliteStoreTest, ThePoolNeedsAReader) {
  SqliteOptions options;
  options.path = (dir_ / "none.db").string();
  options.readers = 0;
  auto s = open_sqlite_store(options);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.error().message(), "sqlite: readers must be at least 1, got 0");
}

// With one reader connection, reads from several threads take turns: none
// fails, none waits forever, and every read transaction ends (a stale
// snapshot would hide the writer's later batches).
TEST_F(SqliteStoreTest, OneReaderServesManyThreadsInTurn) {
  store_.reset();
  SqliteOptions options;
  options.path = (dir_ / "one.db").string();
  options.readers = 1;
  auto opened = open_sqlite_store(options);
  ASSERT_TRUE(opened) << opened.error().message();
  store_ = std::move(opened).value();
  Ticket t = ticket(1, "fp1");
  ASSERT_TRUE(store_->apply({engine::TicketOpened{t}}));
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&] {
      for (int n = 0; n < 50; ++n) {
        if (!store_->get_ticket(t.key) || !store_->list_tickets({}) || !store_->stats() ||
            !store_->load_state())
          ++failures;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures, 0);
  t.event_count = 2;
  ASSERT_TRUE(store_->apply({engine::TicketUpdated{t}}));
  EXPECT_EQ((**store_->get_ticket(t.key)).event_count, 2);
  EXPECT_EQ(store_->stats()->tickets_total, 1);
}

TEST_F(SqliteStoreTest, OpenFailsClearlyOnAnUnwritablePath) {
  auto s = open_sqlite_store({"/proc/ticketd/nope.db"});
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().message().find("/proc/ticketd"), std::string::npos);
}

}  // namespace
}  // namespace ticketd::store

namespace ticketd::store {
namespace {

// Schema 3 turns the whole-state document of schema 2 into state records.
TEST(SqliteStoreMigration, TheStateDocumentOfSchema2BecomesRecords) {
  const fs::path dir =
      fs::temp_directory_path() / ("ticketd-migrate-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  const std::string path = (dir / "t.db").string();
  ASSERT_TRUE(
      open_sqlite_store({path}));  // the current schema, then back to schema 2's state table
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  const char* downgrade = R"sql(
DROP INDEX tickets_priority;
DROP INDEX tickets_open_priority;
DROP INDEX tickets_created;
DROP INDEX tickets_resolved;
ALTER TABLE tickets DROP COLUMN due_key;
DROP INDEX tickets_fingerprint;
DROP INDEX tickets_rule;
DROP TRIGGER tickets_search_insert;
DROP TRIGGER tickets_search_update;
DROP TRIGGER tickets_search_delete;
DROP TRIGGER timeline_search_note;
DROP VIEW ticket_search_source;
DROP TABLE ticket_search;
DROP TABLE ticket_texts;
DROP TABLE engine_records;
CREATE TABLE engine_state (id INTEGER PRIMARY KEY CHECK (id = 1), saved_at INTEGER NOT NULL, body TEXT NOT NULL);
INSERT INTO engine_state VALUES (1, 0, '{"version":1,
  "alerts":[{"fingerprint":"h/1","rule":"r","hits":[5]}],
  "groups":[{"id":"g1","rule":"r","alerts":["h/1"]}],
  "resolved_tickets":[{"key":"INC-000002","status":"resolved"}],
  "problems":[{"key":"p|h","incidents":[[5,"INC-000002"]],"open":""}],
  "escalated":{"INC-000003":["page"]},
  "opened":[7],"storm_group":"","storm_until":0}');
DROP TABLE events;
CREATE TABLE events (id INTEGER PRIMARY KEY, received_at INTEGER NOT NULL, decision TEXT NOT NULL,
  rule TEXT NOT NULL DEFAULT '', ticket_key TEXT NOT NULL DEFAULT '', body TEXT NOT NULL, detail TEXT NOT NULL DEFAULT '');
CREATE INDEX events_ticket ON events(ticket_key, id);
CREATE INDEX events_received ON events(received_at);
DROP TABLE outbox;
DROP TABLE external_refs;
ALTER TABLE tickets DROP COLUMN resolution_code;
ALTER TABLE tickets DROP COLUMN resolution_note;
INSERT INTO events (received_at, decision, rule, ticket_key, body) VALUES (1000, 'deduplicated', 'r', 'INC-000002',
  '{"source":"syslog","time":"2026-11-28T14:03:00Z","status":"firing","host":"h","severity":"error","message":"old row","labels":{"pid":"7"}}');
PRAGMA user_version = 2;
)sql";
  ASSERT_EQ(sqlite3_exec(db, downgrade, nullptr, nullptr, nullptr), SQLITE_OK)
      << sqlite3_errmsg(db);
  sqlite3_close(db);

  auto store = open_sqlite_store({path});
  ASSERT_TRUE(store) << store.error().message();
  auto state = (*store)->load_state();
  ASSERT_TRUE(state);
  std::map<std::string, nlohmann::json> records;
  for (const auto& [key, value] : state->records) records[key] = nlohmann::json::parse(value);
  ASSERT_EQ(records.size(), 6u);
  EXPECT_EQ(records["a/h/1"]["hits"], nlohmann::json::array({5}));
  EXPECT_EQ(records["g/g1"]["alerts"], nlohmann::json::array({"h/1"}));
  EXPECT_EQ(records["t/INC-000002"]["status"], "resolved");
  EXPECT_EQ(records["p/p|h"]["incidents"][0][1], "INC-000002");
  EXPECT_EQ(records["e/INC-000003"], nlohmann::json::array({"page"}));
  EXPECT_EQ(records["storm"]["opened"], nlohmann::json::array({7}));
  // Schema 4 stores events as columns; rows written before keep their body.
  auto events = (*store)->ticket_events("INC-000002", 10);
  ASSERT_TRUE(events);
  ASSERT_EQ(events->size(), 1u);
  EXPECT_EQ((*events)[0].event.message, "old row");
  EXPECT_EQ((*events)[0].event.host, "h");
  EXPECT_EQ((*events)[0].event.severity, Severity::kError);
  EXPECT_EQ((*events)[0].event.labels.at("pid"), "7");
  EXPECT_EQ((*events)[0].decision, "deduplicated");
  store->reset();
  fs::remove_all(dir);
}

// Schema 7 indexes what a schema-6 database holds: titles, descriptions,
// notes, resolutions, labels, keys, fingerprints, and the distinct messages
// and hosts of events, including those stored as a body before schema 4.
TEST(SqliteStoreMigration, Schema7IndexesTheTicketsOfASchema6Database) {
  const fs::path dir =
      fs::temp_directory_path() / ("ticketd-migrate-fts-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  const std::string path = (dir / "t.db").string();
  const TimePoint now = from_unix_ms(1'800'000'000'000);
  {
    auto store = open_sqlite_store({path});
    ASSERT_TRUE(store) << store.error().message();
    Ticket a;
    a.key = "INC-000001";
    a.title = "Disk full on db01";
    a.fingerprint = "db01/disk";
    a.labels = {{"site", "lisbon"}};
    a.first_seen = a.last_seen = a.created_at = a.updated_at = now;
    Ticket b = a;
    b.key = "INC-000002";
    b.title = "Fan failure";
    b.fingerprint = "sw1/fan";
    b.labels = {};
    b.status = TicketStatus::kResolved;
    b.resolution = {"fixed", "replaced tray"};
    Event e;
    e.host = "db01";
    e.message = "ENOSPC writing wal segment";
    engine::Actions actions = {
        engine::TicketOpened{a}, engine::TicketOpened{b},
        engine::TimelineAdded{{b.key, now, "user:al", "note", "ordered a spare", "{}"}}};
    for (int i = 0; i < 3; ++i)
      actions.emplace_back(
          engine::EventRecorded{e, now, engine::Decision::kDeduplicated, "r", a.key, ""});
    ASSERT_TRUE((*store)->apply(actions));
  }
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  const char* downgrade = R"sql(
DROP INDEX tickets_priority;
DROP INDEX tickets_open_priority;
DROP INDEX tickets_created;
DROP INDEX tickets_resolved;
ALTER TABLE tickets DROP COLUMN due_key;
DROP INDEX tickets_fingerprint;
DROP INDEX tickets_rule;
DROP TRIGGER tickets_search_insert;
DROP TRIGGER tickets_search_update;
DROP TRIGGER tickets_search_delete;
DROP TRIGGER timeline_search_note;
DROP VIEW ticket_search_source;
DROP TABLE ticket_search;
DROP TABLE ticket_texts;
INSERT INTO events (received_at, decision, rule, ticket_key, body) VALUES (1000, 'deduplicated', 'r', 'INC-000002',
  '{"source":"syslog","time":"2026-11-28T14:03:00Z","host":"sw1","severity":"error","message":"tray 2 overheating"}');
PRAGMA user_version = 6;
)sql";
  ASSERT_EQ(sqlite3_exec(db, downgrade, nullptr, nullptr, nullptr), SQLITE_OK)
      << sqlite3_errmsg(db);
  sqlite3_close(db);

  auto store = open_sqlite_store({path});
  ASSERT_TRUE(store) << store.error().message();
  auto search = [&](const std::string& text) {
    TicketQuery q;
    q.text = text;
    auto page = (*store)->list_tickets(q);
    EXPECT_TRUE(page) << page.error().message();
    std::vector<std::string> out;
    if (page) {
      for (const Ticket& t : page->tickets) out.push_back(t.key);
    }
    return out;
  };
  using V = std::vector<std::string>;
  EXPECT_EQ(search("disk"), V{"INC-000001"});
  EXPECT_EQ(search("lisbon"), V{"INC-000001"});
  EXPECT_EQ(search("enospc"), V{"INC-000001"});
  EXPECT_EQ(search("host:db01"), V{"INC-000001"});
  EXPECT_EQ(search("spare"), V{"INC-000002"});
  EXPECT_EQ(search("resolution:tray"), V{"INC-000002"});
  EXPECT_EQ(search("overheating"), V{"INC-000002"});  // a body of before schema 4
  EXPECT_EQ(search("host:sw1"), V{"INC-000002"});
  EXPECT_EQ(search("sw1/fan"), V{"INC-000002"});
  EXPECT_EQ(search("inc-000002"), V{"INC-000002"});
  // And the index follows new writes.
  Event e;
  e.message = "new pangolin message";
  ASSERT_TRUE((*store)->apply(
      {engine::EventRecorded{e, now, engine::Decision::kDeduplicated, "r", "INC-000001", ""}}));
  EXPECT_EQ(search("pangolin"), V{"INC-000001"});
  store->reset();
  fs::remove_all(dir);
}

// Schema 9 derives each ticket's due time (due_key) from what a schema-8
// database holds, so its tickets list in priority order at once.
TEST(SqliteStoreMigration, Schema9OrdersTheTicketsOfASchema8DatabaseByPriority) {
  const fs::path dir =
      fs::temp_directory_path() / ("ticketd-migrate-queue-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  const std::string path = (dir / "t.db").string();
  const TimePoint now = from_unix_ms(1'800'000'000'000);
  {
    auto store = open_sqlite_store({path});
    ASSERT_TRUE(store) << store.error().message();
    engine::Actions actions;
    for (int i = 1; i <= 4; ++i) {
      Ticket t;
      t.key = format_ticket_key(TicketType::kIncident, i);
      t.title = "t" + std::to_string(i);
      t.fingerprint = "fp" + std::to_string(i);
      t.priority = i == 4 ? Priority::kP2 : Priority::kP1;
      t.first_seen = t.last_seen = t.created_at = t.updated_at = now;
      if (i == 1) t.respond_by = now + std::chrono::minutes(30);
      if (i == 2) {  // acknowledged: its resolve target counts
        t.respond_by = now + std::chrono::minutes(5);
        t.resolve_by = now + std::chrono::minutes(60);
        t.acknowledged_at = now;
      }
      if (i == 3) t.respond_by = now + std::chrono::minutes(10);
      actions.emplace_back(engine::TicketOpened{t});
    }
    ASSERT_TRUE((*store)->apply(actions));
  }
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  const char* downgrade = R"sql(
DROP INDEX tickets_priority;
DROP INDEX tickets_open_priority;
DROP INDEX tickets_created;
DROP INDEX tickets_resolved;
ALTER TABLE tickets DROP COLUMN due_key;
PRAGMA user_version = 8;
)sql";
  ASSERT_EQ(sqlite3_exec(db, downgrade, nullptr, nullptr, nullptr), SQLITE_OK)
      << sqlite3_errmsg(db);
  sqlite3_close(db);

  auto store = open_sqlite_store({path});
  ASSERT_TRUE(store) << store.error().message();
  TicketQuery q;
  q.sort = TicketSort::kPriority;
  auto page = (*store)->list_tickets(q);
  ASSERT_TRUE(page) << page.error().message();
  std::vector<std::string> order;
  for (const Ticket& t : page->tickets) order.push_back(t.key);
  EXPECT_EQ(order,
            (std::vector<std::string>{"INC-000003", "INC-000001", "INC-000002", "INC-000004"}));
  EXPECT_EQ(page->total, 4);
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  sqlite3_stmt* version = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &version, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_step(version), SQLITE_ROW);
  EXPECT_EQ(sqlite3_column_int(version, 0), 9);
  sqlite3_finalize(version);
  sqlite3_close(db);
  store->reset();
  fs::remove_all(dir);
}

// A message repeated by every deduplicated event is stored once for the
// search, and counter updates leave the index alone; the first 20 distinct
// messages of a ticket go into the index.
TEST_F(SqliteStoreTest, RepeatedMessagesAreIndexedOnce) {
  Ticket t = ticket(1, "fp1");
  ASSERT_TRUE(store_->apply({engine::TicketOpened{t}}));
  engine::Actions actions;
  for (int i = 0; i < 500; ++i) {
    Event e;
    e.host = "h";
    e.message = i < 150 ? "distinct " + std::to_string(i) : "the same again";
    actions.emplace_back(
        engine::EventRecorded{e, now_, engine::Decision::kDeduplicated, "r", t.key, ""});
    t.event_count = i + 2;
    actions.emplace_back(engine::TicketUpdated{t, true});
  }
  ASSERT_TRUE(store_->apply(actions));
  store_.reset();  // every write is in the file
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((dir_ / "sub" / "t.db").string().c_str(), &db), SQLITE_OK);
  auto one = [&](const char* sql) -> std::string {
    sqlite3_stmt* s = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db, sql, -1, &s, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
    std::string out;
    if (sqlite3_step(s) == SQLITE_ROW) {
      const unsigned char* p = sqlite3_column_text(s, 0);
      out = p ? reinterpret_cast<const char*>(p) : "";
    }
    sqlite3_finalize(s);
    return out;
  };
  EXPECT_EQ(one("SELECT count(*) FROM events"), "500");
  EXPECT_EQ(one("SELECT count(*) FROM ticket_texts WHERE kind = 'message'"), "20");
  EXPECT_EQ(one("SELECT count(*) FROM ticket_texts WHERE kind = 'host'"), "1");
  EXPECT_EQ(one("SELECT count(*) FROM ticket_search"), "1");
  const std::string messages = one("SELECT messages FROM ticket_search");
  EXPECT_EQ(std::count(messages.begin(), messages.end(), '\n'), 19);  // 20 messages
  EXPECT_NE(messages.find("distinct 19"), std::string::npos);
  EXPECT_EQ(messages.find("distinct 20"), std::string::npos);
  EXPECT_EQ(messages.find("the same again"), std::string::npos);
  EXPECT_EQ(one("SELECT hosts FROM ticket_search"), "h");
  sqlite3_close(db);
}

}  // namespace
}  // namespace ticketd::store
