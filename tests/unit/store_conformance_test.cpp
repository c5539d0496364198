// The contract of store::Store (ticketd/store/store.hpp), stated once for
// every backend: each test speaks to the Store interface only, against a
// fresh store in a fresh directory. A new backend (PostgreSQL, ...) adds a
// StoreFactory to the instantiation at the bottom and must pass all of it.
// What is specific to one backend (SQLite's migrations, WAL, checkpoints)
// is tested beside it (sqlite_store_test.cpp).
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <ostream>
#include <set>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "ticketd/store/store.hpp"

namespace ticketd::store {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

// A backend under test: opens a new, empty store keeping its files in `dir`
// (which exists and is empty); nullptr if it cannot.
struct StoreFactory {
  std::string name;
  std::function<std::unique_ptr<Store>(const std::string& dir)> open;
};

void PrintTo(const StoreFactory& f, std::ostream* os) { *os << f.name; }

std::unique_ptr<Store> open_sqlite(const std::string& dir, int readers) {
  SqliteOptions options;
  options.path = dir + "/store.db";
  options.readers = readers;
  options.sync_full = false;  // durability is not this suite's subject; fsyncs would make it slow
  auto s = open_sqlite_store(options);
  if (!s) {
    ADD_FAILURE() << s.error().message();
    return nullptr;
  }
  return std::move(s).value();
}

class StoreConformanceTest : public ::testing::TestWithParam<StoreFactory> {
 protected:
  void SetUp() override {
    std::string name = std::string(::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::replace(name.begin(), name.end(), '/', '_');
    dir_ = fs::temp_directory_path() /
           ("ticketd-conformance-" + std::to_string(::getpid()) + "-" + name);
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    store_ = GetParam().open(dir_.string());
    ASSERT_NE(store_, nullptr);
  }
  void TearDown() override {
    store_.reset();
    fs::remove_all(dir_);
  }

  Ticket ticket(TicketType type, int64_t seq, std::string fp = "",
                TicketStatus status = TicketStatus::kNew) {
    Ticket t;
    t.type = type;
    t.key = format_ticket_key(type, seq);
    t.title = "title " + std::to_string(seq);
    t.fingerprint = std::move(fp);
    t.rule = "rule";
    t.status = status;
    t.event_count = 1;
    t.first_seen = t.last_seen = t.created_at = t.updated_at = now_ + std::chrono::seconds(seq);
    return t;
  }
  Ticket incident(int64_t seq, std::string fp = "", TicketStatus status = TicketStatus::kNew) {
    return ticket(TicketType::kIncident, seq, std::move(fp), status);
  }
  EventRecorded event(const std::string& key, const std::string& message, TimePoint received,
                      Decision decision = Decision::kDeduplicated) {
    Event e;
    e.host = "h1";
    e.message = message;
    e.time = received;
    return EventRecorded{e, received, decision, "rule", key, ""};
  }
  void apply(const Actions& actions) {
    Status s = store_->apply(actions);
    ASSERT_TRUE(s) << s.to_string();
  }
  Ticket get(const std::string& key) {
    auto t = store_->get_ticket(key);
    EXPECT_TRUE(t) << t.error().to_string();
    if (!t || !*t) {
      ADD_FAILURE() << "no ticket " << key;
      return {};
    }
    return **t;
  }
  std::vector<std::string> keys(const TicketQuery& q) {
    auto page = store_->list_tickets(q);
    EXPECT_TRUE(page) << page.error().to_string();
    std::vector<std::string> out;
    if (page) {
      for (const Ticket& t : page->tickets) out.push_back(t.key);
    }
    return out;
  }
  // The keys a search for `text` lists, best match first.
  std::vector<std::string> search(const std::string& text) {
    TicketQuery q;
    q.text = text;
    q.limit = 1000;
    return keys(q);
  }
  std::map<std::string, std::string> records() {
    auto state = store_->load_state();
    EXPECT_TRUE(state) << state.error().to_string();
    std::map<std::string, std::string> out;
    if (state) {
      for (const auto& [k, v] : state->records)
        EXPECT_TRUE(out.emplace(k, v).second) << "record " << k << " twice";
    }
    return out;
  }

  fs::path dir_;
  std::unique_ptr<Store> store_;
  TimePoint now_ = from_unix_ms(1'800'000'000'000);
};

// --- apply: all or nothing ---------------------------------------------------

// A batch that violates a constraint (a second open ticket for a fingerprint)
// fails with conflict, and none of its actions, of any kind, stays behind;
// the store then takes the next batch.
TEST_P(StoreConformanceTest, AFailedBatchLeavesNothingBehind) {
  apply({TicketOpened{incident(1, "disk")}, StateChanged{{{"a/keep", "1"}}}});
  Ticket other = incident(2, "cpu");
  Status s = store_->apply({
      TicketOpened{other}, TimelineAdded{{other.key, now_, "engine", "created", "opened", "{}"}},
      event(other.key, "cpu high", now_), ProblemLinked{"PRB-000001", "INC-000001"},
      SilenceSaved{"s-1", now_ + 1h, R"({"id":"s-1"})"},
      StateChanged{{{"a/new", "2"}, {"a/keep", std::nullopt}}},
      Notify{"oncall", other.key, "paged", now_},
      TicketOpened{incident(3, "disk")},  // the fingerprint of INC-000001, still open
  });
  ASSERT_FALSE(s);
  EXPECT_EQ(s.code(), StatusCode::kConflict) << s.to_string();

  EXPECT_FALSE(*store_->get_ticket(other.key));
  EXPECT_FALSE(*store_->get_ticket("INC-000003"));
  EXPECT_TRUE(store_->timeline(other.key)->empty());
  EXPECT_TRUE(store_->ticket_events(other.key, 10)->empty());
  EXPECT_TRUE(store_->list_silences()->empty());
  EXPECT_EQ(get("INC-000001").problem, "");
  EXPECT_EQ(records(), (std::map<std::string, std::string>{{"a/keep", "1"}}));
  auto state = store_->load_state();
  ASSERT_TRUE(state);
  EXPECT_EQ(state->last_seq, (std::map<TicketType, int64_t>{{TicketType::kIncident, 1}}));

  apply(
      {TicketOpened{other}, TimelineAdded{{other.key, now_, "engine", "created", "opened", "{}"}}});
  EXPECT_EQ(get(other.key).fingerprint, "cpu");
  EXPECT_EQ(store_->timeline(other.key)->size(), 1u);
}

TEST_P(StoreConformanceTest, AnEmptyBatchCommitsNothing) {
  EXPECT_TRUE(store_->apply({}));
  EXPECT_TRUE(store_->list_tickets({})->tickets.empty());
}

// Only open tickets hold their fingerprint: any number of resolved, closed
// or cancelled ones may share it, and tickets without one never conflict.
TEST_P(StoreConformanceTest, OnlyAnOpenTicketHoldsItsFingerprint) {
  apply({TicketOpened{incident(1, "fp", TicketStatus::kResolved)},
         TicketOpened{incident(2, "fp", TicketStatus::kClosed)},
         TicketOpened{incident(3, "fp", TicketStatus::kCancelled)}, TicketOpened{incident(4, "fp")},
         TicketOpened{incident(5, "")}, TicketOpened{incident(6, "")}});
  // Reopening a resolved ticket while another holds the fingerprint conflicts.
  Status s = store_->apply({TicketUpdated{incident(1, "fp", TicketStatus::kInProgress)}});
  EXPECT_EQ(s.code(), StatusCode::kConflict) << s.to_string();
  EXPECT_EQ(get("INC-000001").status, TicketStatus::kResolved);
  // Once the holder resolves, it may, in the same batch.
  apply({TicketUpdated{incident(4, "fp", TicketStatus::kResolved)},
         TicketUpdated{incident(1, "fp", TicketStatus::kInProgress)}});
  EXPECT_EQ(get("INC-000001").status, TicketStatus::kInProgress);
}

// --- tickets ------------------------------------------------------------------

TEST_P(StoreConformanceTest, EveryTicketFieldRoundTrips) {
  Ticket t = ticket(TicketType::kServiceRequest, 42, "svc/fp", TicketStatus::kPending);
  t.title = "Ünïcode \"title\"\nwith newline";
  t.description = "a\\b\tc";
  t.impact = Level::kHigh;
  t.urgency = Level::kLow;
  t.priority = Priority::kP4;
  t.category = "storage";
  t.team = "dba";
  t.assignee = "alice";
  t.rule = "disk-full";
  t.event_count = 17;
  t.first_seen = now_ - 1h + 1ms;
  t.last_seen = now_ + 2min + 3ms;
  t.created_at = now_;
  t.updated_at = now_ + 5min;
  t.acknowledged_at = now_ + 1min;
  t.acknowledged_by = "user:alice";
  t.resolved_at = now_ + 7min;
  t.closed_at = now_ + 8min;
  t.labels = {{"city", "K\xc3\xb6ln"}, {"quote", "say \"hi\""}, {"ctl", std::string("a\x01z")}};
  t.respond_by = now_ + 15min;
  t.resolve_by = now_ + 4h;
  t.breaches = {"respond", "resolve"};
  t.problem = "PRB-000009";
  t.alerts = {{"h1/disk", "firing"}, {"h2/disk", "resolved"}};
  t.flapping = true;
  t.suppressed_count = 3;
  t.resolution = {"workaround", "grew /var by 20G; \"temporary\""};
  apply({TicketOpened{t}});
  EXPECT_EQ(ticket_to_json(get(t.key)), ticket_to_json(t));
  auto page = store_->list_tickets({});
  ASSERT_TRUE(page);
  ASSERT_EQ(page->tickets.size(), 1u);
  EXPECT_EQ(ticket_to_json(page->tickets[0]), ticket_to_json(t));
  EXPECT_FALSE(*store_->get_ticket("REQ-000043"));
}

// TicketUpdated replaces the ticket's state: fields change, optional ones
// clear (a reopened ticket has no resolved_at), labels and lists are
// replaced, not merged.
TEST_P(StoreConformanceTest, TicketUpdatedReplacesTheStoredState) {
  Ticket t = incident(1, "fp", TicketStatus::kResolved);
  t.resolved_at = now_ + 1min;
  t.labels = {{"a", "1"}, {"b", "2"}};
  t.breaches = {"respond"};
  t.alerts = {{"x", "firing"}, {"y", "firing"}};
  t.flapping = true;
  apply({TicketOpened{t}});
  t.status = TicketStatus::kInProgress;
  t.resolved_at.reset();
  t.title = "reopened";
  t.assignee = "bob";
  t.priority = Priority::kP1;
  t.labels = {{"c", "3"}};
  t.breaches.clear();
  t.alerts = {{"y", "resolved"}};
  t.flapping = false;
  t.event_count = 9;
  t.last_seen = t.updated_at = now_ + 10min;
  apply({TicketUpdated{t}});
  EXPECT_EQ(ticket_to_json(get(t.key)), ticket_to_json(t));
  EXPECT_EQ(store_->list_tickets({})->tickets.size(), 1u);
}

// counters_only: event_count, last_seen and updated_at reach the store; a
// ticket the store has not seen yet is stored whole.
TEST_P(StoreConformanceTest, ACountersOnlyUpdateStoresTheCounters) {
  Ticket t = incident(1, "fp");
  apply({TicketOpened{t}});
  t.event_count = 40;
  t.last_seen = now_ + 30s;
  t.updated_at = now_ + 31s;
  apply({TicketUpdated{t, true}});
  Ticket got = get(t.key);
  EXPECT_EQ(got.event_count, 40);
  EXPECT_EQ(got.last_seen, now_ + 30s);
  EXPECT_EQ(got.updated_at, now_ + 31s);

  Ticket unseen = incident(2, "other");
  unseen.title = "never opened here";
  unseen.event_count = 3;
  apply({TicketUpdated{unseen, true}});
  EXPECT_EQ(ticket_to_json(get(unseen.key)), ticket_to_json(unseen));
}

// A problem lists its linked incidents, oldest ticket first; each incident
// names its problem.
TEST_P(StoreConformanceTest, AProblemListsItsLinkedIncidents) {
  Ticket problem = ticket(TicketType::kProblem, 1, "problem/db");
  apply({TicketOpened{incident(1, "a")}, TicketOpened{incident(2, "b")},
         TicketOpened{incident(3, "c")}, TicketOpened{problem},
         ProblemLinked{problem.key, "INC-000002"}});
  apply({ProblemLinked{problem.key, "INC-000001"}});
  EXPECT_EQ(get(problem.key).incidents, (std::vector<std::string>{"INC-000001", "INC-000002"}));
  EXPECT_EQ(get("INC-000001").problem, problem.key);
  EXPECT_EQ(get("INC-000002").problem, problem.key);
  EXPECT_EQ(get("INC-000003").problem, "");
  EXPECT_TRUE(get("INC-000001").incidents.empty());
}

// --- timeline and events --------------------------------------------------------

// Entries come back in the order written (not by time), with every field,
// and only the ticket's own.
TEST_P(StoreConformanceTest, TheTimelineKeepsTheOrderWritten) {
  apply({TicketOpened{incident(1)}, TicketOpened{incident(2)},
         TimelineAdded{{"INC-000001", now_ + 5s, "engine", "created", "opened", R"({"rule":"r"})"}},
         TimelineAdded{{"INC-000002", now_, "engine", "created", "other ticket", "{}"}},
         TimelineAdded{{"INC-000001", now_ + 1s, "user:alice", "note",
                        "earlier time, written later", "{}"}}});
  apply({TimelineAdded{
      {"INC-000001", now_ + 5s, "api:bot", "status", "resolved", R"({"to":"resolved"})"}}});
  auto tl = store_->timeline("INC-000001");
  ASSERT_TRUE(tl);
  ASSERT_EQ(tl->size(), 3u);
  std::vector<std::string> messages;
  for (const TimelineEntry& e : *tl) messages.push_back(e.message);
  EXPECT_EQ(messages,
            (std::vector<std::string>{"opened", "earlier time, written later", "resolved"}));
  const TimelineEntry& last = (*tl)[2];
  EXPECT_EQ(last.ticket_key, "INC-000001");
  EXPECT_EQ(last.time, now_ + 5s);
  EXPECT_EQ(last.actor, "api:bot");
  EXPECT_EQ(last.kind, "status");
  EXPECT_EQ(last.details_json(), nlohmann::json({{"to", "resolved"}}));
  EXPECT_TRUE(store_->timeline("INC-000404")->empty());
}

// A ticket's events: newest first, at most `limit` (clamped to at least 1);
// dropped events are never stored, and events attached to no ticket are no
// ticket's events.
TEST_P(StoreConformanceTest, TicketEventsAreTheNewestFirst) {
  Actions a = {TicketOpened{incident(1)}, TicketOpened{incident(2)}};
  for (int i = 1; i <= 5; ++i)
    a.emplace_back(event("INC-000001", "m" + std::to_string(i), now_ + std::chrono::seconds(i)));
  a.emplace_back(event("INC-000002", "other ticket", now_));
  a.emplace_back(event("INC-000001", "dropped", now_ + 9s, Decision::kDropped));
  a.emplace_back(event("", "unmatched", now_, Decision::kUnmatched));
  apply(a);
  auto messages = [&](const std::string& key, int limit) {
    std::vector<std::string> out;
    auto events = store_->ticket_events(key, limit);
    EXPECT_TRUE(events);
    if (events) {
      for (const StoredEvent& e : *events) out.push_back(e.event.message);
    }
    return out;
  };
  EXPECT_EQ(messages("INC-000001", 3), (std::vector<std::string>{"m5", "m4", "m3"}));
  EXPECT_EQ(messages("INC-000001", 100).size(), 5u);
  EXPECT_EQ(messages("INC-000001", 0), (std::vector<std::string>{"m5"}));
  EXPECT_EQ(messages("INC-000002", 10), (std::vector<std::string>{"other ticket"}));
  EXPECT_TRUE(messages("", 10).empty());
  auto first = store_->ticket_events("INC-000001", 1);
  ASSERT_TRUE(first);
  EXPECT_EQ((*first)[0].ticket_key, "INC-000001");
  EXPECT_EQ((*first)[0].rule, "rule");
  EXPECT_EQ((*first)[0].decision, "deduplicated");
  EXPECT_EQ((*first)[0].received_at, now_ + 5s);
}

// prune_events deletes what was received strictly before the cutoff, says
// how many, and leaves tickets and timelines alone.
TEST_P(StoreConformanceTest, PruneDeletesEventsReceivedBeforeTheCutoff) {
  const TimePoint cutoff = now_;
  apply({TicketOpened{incident(1)},
         TimelineAdded{{"INC-000001", now_ - 1h, "engine", "created", "opened", "{}"}},
         event("INC-000001", "old", cutoff - 1h), event("INC-000001", "just before", cutoff - 1ms),
         event("INC-000001", "at", cutoff), event("INC-000001", "after", cutoff + 1ms),
         event("", "old unmatched", cutoff - 2h, Decision::kUnmatched)});
  auto pruned = store_->prune_events(cutoff);
  ASSERT_TRUE(pruned) << pruned.error().to_string();
  EXPECT_EQ(*pruned, 3);
  auto events = store_->ticket_events("INC-000001", 10);
  ASSERT_TRUE(events);
  ASSERT_EQ(events->size(), 2u);
  EXPECT_EQ((*events)[0].event.message, "after");
  EXPECT_EQ((*events)[1].event.message, "at");
  EXPECT_EQ(*store_->prune_events(cutoff), 0);
  EXPECT_TRUE(*store_->get_ticket("INC-000001"));
  EXPECT_EQ(store_->timeline("INC-000001")->size(), 1u);
}

// --- list_events -------------------------------------------------------------------

// Six events: three hosts, three decisions, two rules, one ticket, one
// second apart (m1 oldest .. m6 newest); a dropped one is never stored.
class ListEventsTest : public StoreConformanceTest {
 protected:
  void SetUp() override {
    StoreConformanceTest::SetUp();
    auto ev = [&](int i, const std::string& host, Decision d, const std::string& rule,
                  const std::string& key) {
      Event e;
      e.host = host;
      e.message = "m" + std::to_string(i);
      e.time = now_ + std::chrono::seconds(i);
      e.labels = {{"i", std::to_string(i)}};
      return EventRecorded{e,   now_ + std::chrono::seconds(i), d, rule,
                           key, "d" + std::to_string(i)};
    };
    apply(
        {TicketOpened{incident(1)}, ev(1, "web1", Decision::kTicketed, "disk", "INC-000001"),
         ev(2, "web1", Decision::kDeduplicated, "disk", "INC-000001"),
         ev(3, "db1", Decision::kUnmatched, "", ""), ev(4, "web2", Decision::kSilenced, "disk", ""),
         ev(5, "db1", Decision::kUnmatched, "", ""), ev(6, "web1", Decision::kDropped, "noise", ""),
         ev(7, "web2", Decision::kUnmatched, "", "")});
  }
  std::vector<std::string> messages(const EventQuery& q) {
    std::vector<std::string> out;
    auto page = store_->list_events(q);
    EXPECT_TRUE(page) << page.error().to_string();
    if (page) {
      for (const StoredEvent& e : page->events) out.push_back(e.event.message);
    }
    return out;
  }
  // A query with the fields `set` sets (designated initializers would
  // warn about every field left out).
  static EventQuery with(const std::function<void(EventQuery&)>& set) {
    EventQuery q;
    set(q);
    return q;
  }
  using V = std::vector<std::string>;
};

TEST_P(ListEventsTest, NewestFirstWithEveryField) {
  EXPECT_EQ(messages({}), (V{"m7", "m5", "m4", "m3", "m2", "m1"}));
  auto page = store_->list_events(with([&](EventQuery& q) { q.limit = 6; }));
  ASSERT_TRUE(page);
  EXPECT_TRUE(page->next_cursor.empty());
  const StoredEvent& m4 = page->events[2];
  EXPECT_EQ(m4.decision, "silenced");
  EXPECT_EQ(m4.rule, "disk");
  EXPECT_EQ(m4.detail, "d4");
  EXPECT_EQ(m4.received_at, now_ + 4s);
  EXPECT_EQ(m4.event.host, "web2");
  EXPECT_EQ(m4.event.labels.at("i"), "4");
  EXPECT_EQ(page->events[4].ticket_key, "INC-000001");
  EXPECT_GT(page->events[0].id, page->events[1].id);
}

TEST_P(ListEventsTest, FiltersByDecision) {
  EXPECT_EQ(messages(with([&](EventQuery& q) { q.decision = "unmatched"; })),
            (V{"m7", "m5", "m3"}));
  EXPECT_EQ(messages(with([&](EventQuery& q) { q.decision = "ticketed"; })), (V{"m1"}));
  EXPECT_TRUE(messages(with([&](EventQuery& q) { q.decision = "dropped"; })).empty());
  auto bad = store_->list_events(with([&](EventQuery& q) { q.decision = "Unmatched"; }));
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(bad.error().message(),
            "unknown decision \"Unmatched\", expected one of ticketed, deduplicated, grouped, "
            "reopened, pending, resolved, inhibited, silenced, dropped, unmatched");
}

TEST_P(ListEventsTest, FiltersByReceivedTime) {
  EXPECT_EQ(messages(with([&](EventQuery& q) { q.since = now_ + 4s; })), (V{"m7", "m5", "m4"}));
  EXPECT_EQ(messages(with([&](EventQuery& q) { q.until = now_ + 3s; })), (V{"m2", "m1"}));
  EXPECT_EQ(messages(with([&](EventQuery& q) {
              q.since = now_ + 2s;
              q.until = now_ + 4s;
            })),
            (V{"m3", "m2"}));
  EXPECT_TRUE(messages(with([&](EventQuery& q) { q.since = now_ + 8s; })).empty());
}

TEST_P(ListEventsTest, FiltersByRuleHostAndTicket) {
  EXPECT_EQ(messages(with([&](EventQuery& q) { q.rule = "disk"; })), (V{"m4", "m2", "m1"}));
  EXPECT_EQ(messages(with([&](EventQuery& q) { q.rule = ""; })), (V{"m7", "m5", "m3"}));
  EXPECT_EQ(messages(with([&](EventQuery& q) { q.host = "db1"; })), (V{"m5", "m3"}));
  EXPECT_EQ(messages(with([&](EventQuery& q) { q.host = "web"; })), V{});
  EXPECT_EQ(messages(with([&](EventQuery& q) { q.ticket = "INC-000001"; })), (V{"m2", "m1"}));
  EXPECT_EQ(messages(with([&](EventQuery& q) { q.ticket = ""; })), (V{"m7", "m5", "m4", "m3"}));
  EXPECT_EQ(messages(with([&](EventQuery& q) {
              q.decision = "unmatched";
              q.since = now_ + 4s;
              q.host = "db1";
            })),
            (V{"m5"}));
}

// Pages of two follow the cursor to the end, each event once; a filter
// holds across pages; bad cursors and limits are refused.
TEST_P(ListEventsTest, PagesFollowTheCursor) {
  V seen;
  EventQuery paged = with([&](EventQuery& q) { q.limit = 2; });
  int pages = 0;
  while (true) {
    auto page = store_->list_events(paged);
    ASSERT_TRUE(page) << page.error().to_string();
    ++pages;
    for (const StoredEvent& e : page->events) seen.push_back(e.event.message);
    if (page->next_cursor.empty()) break;
    paged.cursor = page->next_cursor;
  }
  EXPECT_EQ(pages, 3);
  EXPECT_EQ(seen, (V{"m7", "m5", "m4", "m3", "m2", "m1"}));

  auto first = store_->list_events(with([&](EventQuery& q) {
    q.decision = "unmatched";
    q.limit = 2;
  }));
  ASSERT_TRUE(first);
  EXPECT_EQ(first->events.size(), 2u);
  ASSERT_FALSE(first->next_cursor.empty());
  EXPECT_EQ(messages(with([&](EventQuery& q) {
              q.decision = "unmatched";
              q.limit = 2;
              q.cursor = first->next_cursor;
            })),
            (V{"m3"}));
  // Events stored after the first page are not on later pages.
  apply({event("", "m8", now_ + 8s, Decision::kUnmatched)});
  EXPECT_EQ(messages(with([&](EventQuery& q) {
              q.decision = "unmatched";
              q.limit = 2;
              q.cursor = first->next_cursor;
            })),
            (V{"m3"}));

  for (const std::string cursor : {"abc", "-1", "0", "12x", "99999999999999999999"}) {
    auto page = store_->list_events(with([&](EventQuery& q) { q.cursor = cursor; }));
    ASSERT_FALSE(page) << cursor;
    EXPECT_EQ(page.error().code(), StatusCode::kInvalidArgument) << cursor;
  }
  for (int limit : {0, 1001}) {
    auto page = store_->list_events(with([&](EventQuery& q) { q.limit = limit; }));
    ASSERT_FALSE(page) << limit;
    EXPECT_EQ(page.error().code(), StatusCode::kInvalidArgument) << limit;
  }
  EXPECT_EQ(messages(with([&](EventQuery& q) { q.limit = 1; })), (V{"m8"}));
}

// Events received at or after `since`, newest first (received_at, then as
// stored), whatever their ticket or decision; at most `limit`, clamped.
TEST_P(StoreConformanceTest, RecentEventsAreTheNewestSinceTheCutoff) {
  apply({TicketOpened{incident(1)}, event("INC-000001", "old", now_ - 2h),
         event("INC-000001", "an hour ago", now_ - 1h),
         event("", "unmatched", now_ - 30min, Decision::kUnmatched),
         event("INC-000001", "now a", now_), event("INC-000001", "now b", now_),
         event("INC-000001", "dropped", now_, Decision::kDropped)});
  auto messages = [&](TimePoint since, int limit) {
    std::vector<std::string> out;
    auto events = store_->recent_events(since, limit);
    EXPECT_TRUE(events) << events.error().to_string();
    if (events) {
      for (const StoredEvent& e : *events) out.push_back(e.event.message);
    }
    return out;
  };
  EXPECT_EQ(messages(now_ - 1h, 100),
            (std::vector<std::string>{"now b", "now a", "unmatched", "an hour ago"}));
  EXPECT_EQ(messages(now_ - 1h, 2), (std::vector<std::string>{"now b", "now a"}));
  EXPECT_EQ(messages(now_ - 1h, 0), (std::vector<std::string>{"now b"}));
  EXPECT_TRUE(messages(now_ + 1ms, 100).empty());
}

// Per ticket asked for: its newest events, newest first, at most
// `per_ticket`; tickets without events (or unknown) are absent.
TEST_P(StoreConformanceTest, LatestTicketEventsComePerTicketNewestFirst) {
  Actions a = {TicketOpened{incident(1)}, TicketOpened{incident(2)}, TicketOpened{incident(3)}};
  for (int i = 1; i <= 4; ++i)
    a.emplace_back(event("INC-000001", "m" + std::to_string(i), now_ + std::chrono::seconds(i)));
  a.emplace_back(event("INC-000002", "only", now_));
  apply(a);
  auto got =
      store_->latest_ticket_events({"INC-000001", "INC-000002", "INC-000003", "INC-000404"}, 2);
  ASSERT_TRUE(got) << got.error().to_string();
  std::map<std::string, std::vector<std::string>> messages;
  for (const auto& [key, events] : *got) {
    for (const StoredEvent& e : events) {
      EXPECT_EQ(e.ticket_key, key);
      messages[key].push_back(e.event.message);
    }
  }
  EXPECT_EQ(messages, (std::map<std::string, std::vector<std::string>>{{"INC-000001", {"m4", "m3"}},
                                                                       {"INC-000002", {"only"}}}));
  auto none = store_->latest_ticket_events({}, 10);
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->empty());
}

// --- list_tickets -----------------------------------------------------------------

// Newest first by when the store first saw the ticket; updating an old
// ticket does not move it.
TEST_P(StoreConformanceTest, TicketsAreListedNewestFirst) {
  apply({TicketOpened{incident(1)}, TicketOpened{ticket(TicketType::kChange, 1)}});
  apply({TicketOpened{incident(2)}});
  Ticket first = incident(1);
  first.updated_at = now_ + 1h;
  first.title = "touched";
  apply({TicketUpdated{first}});
  EXPECT_EQ(keys({}), (std::vector<std::string>{"INC-000002", "CHG-000001", "INC-000001"}));
}

TEST_P(StoreConformanceTest, FiltersSelectExactlyTheMatchingTickets) {
  auto make = [&](int64_t seq, TicketStatus status, Priority p, std::string team,
                  TicketType type = TicketType::kIncident) {
    Ticket t = ticket(type, seq, "", status);
    t.fingerprint = "fp/" + t.key;
    t.priority = p;
    t.team = std::move(team);
    return TicketOpened{t};
  };
  apply({make(1, TicketStatus::kNew, Priority::kP1, "dba"),
         make(2, TicketStatus::kAssigned, Priority::kP2, "dba"),
         make(3, TicketStatus::kInProgress, Priority::kP1, "net"),
         make(4, TicketStatus::kPending, Priority::kP1, ""),
         make(5, TicketStatus::kResolved, Priority::kP1, "dba"),
         make(6, TicketStatus::kClosed, Priority::kP2, "net"),
         make(7, TicketStatus::kCancelled, Priority::kP1, "dba"),
         make(1, TicketStatus::kNew, Priority::kP1, "dba", TicketType::kProblem),
         make(1, TicketStatus::kResolved, Priority::kP3, "net", TicketType::kChange)});
  using V = std::vector<std::string>;
  TicketQuery q;
  q.status = TicketStatus::kResolved;
  EXPECT_EQ(keys(q), (V{"CHG-000001", "INC-000005"}));
  q = {};
  q.open_only = true;
  EXPECT_EQ(keys(q), (V{"PRB-000001", "INC-000004", "INC-000003", "INC-000002", "INC-000001"}));
  q.status = TicketStatus::kResolved;  // both must hold
  EXPECT_EQ(keys(q), V{});
  q = {};
  q.type = TicketType::kIncident;
  q.priority = Priority::kP1;
  EXPECT_EQ(keys(q), (V{"INC-000007", "INC-000005", "INC-000004", "INC-000003", "INC-000001"}));
  q.team = "dba";
  EXPECT_EQ(keys(q), (V{"INC-000007", "INC-000005", "INC-000001"}));
  q.open_only = true;
  EXPECT_EQ(keys(q), (V{"INC-000001"}));
  q = {};
  q.type = TicketType::kChange;
  EXPECT_EQ(keys(q), (V{"CHG-000001"}));
  q = {};
  q.team = "nobody";
  EXPECT_EQ(keys(q), V{});
}

// Every word must appear, ignoring case, in the title, description, key,
// fingerprint or labels; the words may sit in different fields.
TEST_P(StoreConformanceTest, TextSearchNeedsEveryWordInSomeField) {
  Ticket a = incident(1, "db01/sda1");
  a.title = "Disk full";
  a.description = "Filesystem /var at 99%";
  a.labels = {{"site", "Berlin"}};
  Ticket b = incident(2, "web01/nginx");
  b.title = "HTTP 5xx";
  b.description = "upstream timeout";
  apply({TicketOpened{a}, TicketOpened{b}});
  using V = std::vector<std::string>;
  EXPECT_EQ(search("DISK"), V{"INC-000001"});                 // title
  EXPECT_EQ(search("filesystem"), V{"INC-000001"});           // description
  EXPECT_EQ(search("inc-000002"), V{"INC-000002"});           // key
  EXPECT_EQ(search("INC-000002"), V{"INC-000002"});           // key, as pasted
  EXPECT_EQ(search("sda1"), V{"INC-000001"});                 // fingerprint
  EXPECT_EQ(search("db01/sda1"), V{"INC-000001"});            // fingerprint, whole
  EXPECT_EQ(search("berlin"), V{"INC-000001"});               // label value
  EXPECT_EQ(search("site"), V{"INC-000001"});                 // label key
  EXPECT_EQ(search("disk  berlin   db01"), V{"INC-000001"});  // three fields, extra spaces
  EXPECT_EQ(search("disk timeout"), V{});                     // each word in another ticket
  EXPECT_EQ(search("disk full filesystem var 99 berlin"), V{"INC-000001"});  // no word limit
  EXPECT_EQ(search("inc-00000"), V{});                               // a word is a whole word ...
  EXPECT_EQ(search("inc-00000*"), (V{"INC-000002", "INC-000001"}));  // ... unless a prefix
}

// Notes, the resolution, labels and the messages and hosts of a ticket's
// events are searched too; an event message repeated a thousand times is
// found like one seen once, and the ticket is listed once.
TEST_P(StoreConformanceTest, TextSearchFindsNotesResolutionsLabelsAndEventMessages) {
  Ticket noted = incident(1);
  Ticket resolved = incident(2, "", TicketStatus::kResolved);
  resolved.resolution = {"fixed", "replaced the broken fan tray"};
  Ticket labelled = incident(3);
  labelled.labels = {{"rack", "r42"}, {"datacenter", "fra3"}};
  Ticket evented = incident(4);
  Actions a = {TicketOpened{noted}, TicketOpened{resolved}, TicketOpened{labelled},
               TicketOpened{evented}};
  a.emplace_back(TimelineAdded{
      {noted.key, now_, "user:alice", "note", "Rebooted the zebracorn controller", "{}"}});
  a.emplace_back(TimelineAdded{{noted.key, now_, "engine", "status", "quokka status", "{}"}});
  apply(a);
  Actions events;
  for (int i = 0; i < 1000; ++i)
    events.emplace_back(event(evented.key, "kernel: xyzzy panic on cpu 3", now_ + 1s));
  events.emplace_back(event(evented.key, "kernel: plugh recovered", now_ + 2s));
  apply(events);
  using V = std::vector<std::string>;
  EXPECT_EQ(search("zebracorn"), V{"INC-000001"});    // a note
  EXPECT_EQ(search("quokka"), V{});                   // a timeline entry that is no note
  EXPECT_EQ(search("fan tray"), V{"INC-000002"});     // the resolution note
  EXPECT_EQ(search("fixed"), V{"INC-000002"});        // the resolution code
  EXPECT_EQ(search("r42"), V{"INC-000003"});          // a label value
  EXPECT_EQ(search("datacenter"), V{"INC-000003"});   // a label key
  EXPECT_EQ(search("xyzzy"), V{"INC-000004"});        // an event message
  EXPECT_EQ(search("plugh"), V{"INC-000004"});        // another one of the same ticket
  EXPECT_EQ(search("xyzzy plugh"), V{"INC-000004"});  // words from two messages
  EXPECT_EQ(search("h1"), V{"INC-000004"});           // an event host
  EXPECT_EQ(store_->ticket_events(evented.key, 10000)->size(), 1001u);  // every event is kept
  // A later note and a later resolution are found too.
  apply({TimelineAdded{{labelled.key, now_, "user:bob", "note", "moved to wombat row", "{}"}}});
  labelled.status = TicketStatus::kResolved;
  labelled.resolution = {"workaround", "swapped the numbat cable"};
  apply({TicketUpdated{labelled}});
  EXPECT_EQ(search("wombat"), V{"INC-000003"});
  EXPECT_EQ(search("numbat"), V{"INC-000003"});
  EXPECT_EQ(search("r42"), V{"INC-000003"});
  labelled.title = "renamed";
  labelled.labels = {};
  apply({TicketUpdated{labelled}});
  EXPECT_EQ(search("r42"), V{});  // what the ticket no longer says is no longer found
  EXPECT_EQ(search("renamed wombat"), V{"INC-000003"});
}

// "a phrase" needs its words together and in order; words may be anywhere.
TEST_P(StoreConformanceTest, APhraseNeedsItsWordsInOrder) {
  Ticket a = incident(1);
  a.title = "Disk full on db01";
  Ticket b = incident(2);
  b.title = "Full backup of the disk";
  apply({TicketOpened{a}, TicketOpened{b}});
  using V = std::vector<std::string>;
  EXPECT_EQ(search("disk full").size(), 2u);
  EXPECT_EQ(search("\"disk full\""), V{"INC-000001"});
  EXPECT_EQ(search("\"full disk\""), V{});
  EXPECT_EQ(search("\"DISK FULL\" db01"), V{"INC-000001"});
  EXPECT_EQ(search("\"full backup\" disk"), V{"INC-000002"});
  EXPECT_EQ(search("\"disk fu\"*"), V{"INC-000001"});  // a phrase ending in a prefix
}

// word* matches every word that starts with it.
TEST_P(StoreConformanceTest, APrefixMatchesTheStartOfWords) {
  Ticket a = incident(1);
  a.title = "Replication lag on pg02";
  Ticket b = incident(2);
  b.description = "replica rebuilt";
  Ticket c = incident(3);
  c.title = "Representative";
  apply({TicketOpened{a}, TicketOpened{b}, TicketOpened{c}});
  using V = std::vector<std::string>;
  EXPECT_EQ(search("replica"), V{"INC-000002"});
  EXPECT_EQ(search("replica*"), (V{"INC-000001", "INC-000002"}));  // title before description
  EXPECT_EQ(search("rep*"), (V{"INC-000003", "INC-000001", "INC-000002"}));
  EXPECT_EQ(search("REPLIC* pg0*"), V{"INC-000001"});
}

// field:word searches one field only.
TEST_P(StoreConformanceTest, AFieldFilterSearchesThatFieldOnly) {
  Ticket a = incident(1, "web01/disk");
  a.title = "Disk full on web01";
  a.labels = {{"role", "storage"}};
  Ticket b = incident(2, "web02/cpu");
  b.title = "CPU hot on web02";
  b.description = "disk is fine, storage too";
  b.resolution = {"fixed", "fan replaced"};
  apply({TicketOpened{a}, TicketOpened{b},
         TimelineAdded{{b.key, now_, "user:alice", "note", "checked disk", "{}"}},
         event(a.key, "fan speed low", now_)});
  using V = std::vector<std::string>;
  EXPECT_EQ(search("disk"), (V{"INC-000001", "INC-000002"}));
  EXPECT_EQ(search("title:disk"), V{"INC-000001"});
  EXPECT_EQ(search("Title:DISK"), V{"INC-000001"});
  EXPECT_EQ(search("description:disk"), V{"INC-000002"});
  EXPECT_EQ(search("note:disk"), V{"INC-000002"});
  EXPECT_EQ(search("notes:checked"), V{"INC-000002"});
  EXPECT_EQ(search("fan"), (V{"INC-000002", "INC-000001"}));
  EXPECT_EQ(search("resolution:fan"), V{"INC-000002"});
  EXPECT_EQ(search("message:fan"), V{"INC-000001"});
  EXPECT_EQ(search("labels:storage"), V{"INC-000001"});
  EXPECT_EQ(search("label:role"), V{"INC-000001"});
  EXPECT_EQ(search("host:h1"), V{"INC-000001"});
  EXPECT_EQ(search("key:inc-000002"), V{"INC-000002"});
  EXPECT_EQ(search("key:INC-000001"), V{"INC-000001"});
  EXPECT_EQ(search("fingerprint:web02/cpu"), V{"INC-000002"});
  EXPECT_EQ(search("title:\"on web01\""), V{"INC-000001"});
  EXPECT_EQ(search("title:web0*").size(), 2u);
  EXPECT_EQ(search("title:disk description:disk"), V{});
  EXPECT_EQ(search("nosuchfield:disk"), V{});  // not a field: the words "nosuchfield" and "disk"
}

// Matches come best first: a word in the title weighs more than the same
// word in the description; among equal matches, the newest first.
TEST_P(StoreConformanceTest, TitleMatchesRankAboveDescriptionMatches) {
  Ticket in_title = incident(1);
  in_title.title = "Zephyr queue stalled";
  in_title.description = "consumers stopped";
  Ticket in_description = incident(2);
  in_description.title = "Queue stalled";
  in_description.description = "zephyr consumers stopped";
  Ticket in_note = incident(3);
  in_note.title = "Queue stalled";
  in_note.description = "consumers stopped";
  Ticket twin = incident(4);
  twin.title = "Zephyr queue stalled";
  twin.description = "consumers stopped";
  apply({TicketOpened{in_title}, TicketOpened{in_description}, TicketOpened{in_note},
         TicketOpened{twin},
         TimelineAdded{{in_note.key, now_, "user:alice", "note", "zephyr restarted", "{}"}}});
  using V = std::vector<std::string>;
  auto found = search("zephyr");
  ASSERT_EQ(found.size(), 4u);
  EXPECT_EQ((V{found[0], found[1]}), (V{"INC-000004", "INC-000001"}));  // title, newest first
  EXPECT_EQ((std::set<std::string>{found[2], found[3]}),
            (std::set<std::string>{"INC-000002", "INC-000003"}));
}

// A search combines with status, type, priority and team like a listing.
TEST_P(StoreConformanceTest, SearchCombinesWithTheFilters) {
  Actions a;
  for (int i = 1; i <= 8; ++i) {
    Ticket t = incident(i, "", i % 2 ? TicketStatus::kNew : TicketStatus::kResolved);
    t.title = i <= 6 ? "Printer jammed" : "Coffee machine empty";
    t.priority = i % 3 == 0 ? Priority::kP1 : Priority::kP3;
    t.team = i <= 4 ? "office" : "facilities";
    a.emplace_back(TicketOpened{t});
  }
  apply(a);
  using V = std::vector<std::string>;
  TicketQuery q;
  q.text = "printer";
  q.status = TicketStatus::kResolved;
  EXPECT_EQ(keys(q), (V{"INC-000006", "INC-000004", "INC-000002"}));
  q.priority = Priority::kP1;
  EXPECT_EQ(keys(q), (V{"INC-000006"}));
  q = {};
  q.text = "printer";
  q.open_only = true;
  q.team = "office";
  EXPECT_EQ(keys(q), (V{"INC-000003", "INC-000001"}));
  q.type = TicketType::kProblem;
  EXPECT_EQ(keys(q), V{});
}

// Following next_cursor through a search visits each ticket that matched
// when the first page was read exactly once, in rank order; tickets created
// meanwhile and updates of counters do not shift the pages.
TEST_P(StoreConformanceTest, RankedPagesVisitEveryMatchOnce) {
  Actions a;
  for (int i = 1; i <= 30; ++i) {
    Ticket t = incident(i, "fp" + std::to_string(i));
    // Varied scores: the word in the title or the description, with texts
    // of different lengths; some score the same.
    if (i % 3 == 0) {
      t.title = "Gateway " + std::string(static_cast<size_t>(i % 4), 'x') + " timeout";
    } else {
      t.description = "upstream gateway" + std::string(static_cast<size_t>(i % 5), ' ') +
                      " answered " + std::to_string(i);
    }
    if (i % 7 == 0) t.title = "unrelated";  // and no match at all
    if (i % 7 == 0) t.description = "unrelated";
    a.emplace_back(TicketOpened{t});
  }
  apply(a);
  TicketQuery all;
  all.text = "gateway";
  all.limit = 1000;
  const std::vector<std::string> expected = keys(all);
  ASSERT_EQ(expected.size(), 26u);
  TicketQuery q;
  q.text = "gateway";
  q.limit = 4;
  std::vector<std::string> seen;
  int pages = 0;
  for (;;) {
    auto page = store_->list_tickets(q);
    ASSERT_TRUE(page) << page.error().to_string();
    ++pages;
    ASSERT_LE(pages, 10) << "the cursor does not advance";
    for (const Ticket& t : page->tickets) seen.push_back(t.key);
    if (page->next_cursor.empty()) break;
    EXPECT_EQ(page->tickets.size(), 4u);
    if (pages == 1) {  // a new match, better than any, and a counters update
      Ticket late = incident(31);
      late.title = "Gateway gateway gateway";
      Ticket counted = get("INC-000003");
      counted.event_count = 99;
      apply({TicketOpened{late}, TicketUpdated{counted, true}});
    }
    q.cursor = page->next_cursor;
  }
  EXPECT_EQ(seen, expected);
  EXPECT_EQ(pages, 7);
  EXPECT_EQ(search("gateway").front(), "INC-000031");  // a new search sees it first
  // A cursor belongs to its kind of listing.
  TicketQuery plain;
  plain.limit = 2;
  auto first = store_->list_tickets(plain);
  ASSERT_TRUE(first);
  q.cursor = first->next_cursor;
  EXPECT_EQ(store_->list_tickets(q).error().code(), StatusCode::kInvalidArgument);
  q = {};
  q.text = "gateway";
  q.limit = 2;
  auto ranked = store_->list_tickets(q);
  ASSERT_TRUE(ranked);
  plain.cursor = ranked->next_cursor;
  EXPECT_EQ(store_->list_tickets(plain).error().code(), StatusCode::kInvalidArgument);
  for (const char* cursor : {"r", "r1", "r.1", "r1.", "r1.x", "rr1.1", "r-1.1"}) {
    q.cursor = cursor;
    EXPECT_EQ(store_->list_tickets(q).error().code(), StatusCode::kInvalidArgument) << cursor;
  }
}

// No q is ever an error of the store: stray quotes, parentheses, FTS5
// operators, stars, unicode and very long strings are searched as text.
// Only a q without a single letter or digit (or a field without a value)
// is invalid_argument.
TEST_P(StoreConformanceTest, HostileSearchesAreTextOrInvalidArgumentNeverAnError) {
  Ticket a = incident(1);
  a.title = "Disk full (sda1) AND more: near NEAR it";
  a.description = "Café crème — 東京 \"quoted\" OR NOT";
  apply({TicketOpened{a}, TicketOpened{incident(2)}});
  using V = std::vector<std::string>;
  EXPECT_EQ(search("disk ("), V{"INC-000001"});
  EXPECT_EQ(search("(sda1)"), V{"INC-000001"});
  EXPECT_EQ(search("disk)"), V{"INC-000001"});
  EXPECT_EQ(search("NEAR ( disk full )"), V{"INC-000001"});
  EXPECT_EQ(search("NEAR(disk full)"), V{});  // the phrase "near disk" and the word "full"
  EXPECT_EQ(search("NEAR(disk sda1, 0)"), V{});
  EXPECT_EQ(search("AND OR NOT"), V{"INC-000001"});     // words like any other
  EXPECT_EQ(search("disk OR nothing"), V{});            // OR is no operator
  EXPECT_EQ(search("disk NOT full"), V{"INC-000001"});  // nor NOT (a word of the description)
  EXPECT_EQ(search("-disk"), V{"INC-000001"});          // nor -
  EXPECT_EQ(search("disk \""), V{"INC-000001"});        // a stray quote
  EXPECT_EQ(search("\"quoted"), V{"INC-000001"});       // an unclosed phrase
  EXPECT_EQ(search("disk * ^ : {} [] ; ' \\"), V{"INC-000001"});
  EXPECT_EQ(search("cafe"), V{"INC-000001"});  // diacritics do not matter
  EXPECT_EQ(search("CRÈME"), V{"INC-000001"});
  EXPECT_EQ(search("東京"), V{"INC-000001"});
  EXPECT_EQ(search("title:\"(sda1) and\""), V{"INC-000001"});
  EXPECT_EQ(search("\xff\xfe disk"), V{"INC-000001"});  // not UTF-8
  EXPECT_EQ(search("💥"), V{});
  EXPECT_EQ(search(std::string(10 * 1024, 'a')), V{});
  std::string many;
  for (int i = 0; i < 2000; ++i) many += "disk ";  // 10 KB of words
  EXPECT_EQ(search(many), V{"INC-000001"});
  std::string noise;
  for (int i = 0; i < 1500; ++i) noise += "(\"* ";
  for (const std::string& bad :
       {std::string("*"), std::string("\""), std::string("\"\""), std::string("( ) - * :"),
        std::string("title:*"), std::string("note:\"\""), noise}) {
    TicketQuery q;
    q.text = bad;
    auto page = store_->list_tickets(q);
    ASSERT_FALSE(page) << bad;
    EXPECT_EQ(page.error().code(), StatusCode::kInvalidArgument) << bad;
  }
  TicketQuery blank;
  blank.text = "   ";
  EXPECT_EQ(keys(blank), (V{"INC-000002", "INC-000001"}));  // blank: no text filter
}

// Following next_cursor visits every match exactly once, newest first, in
// full pages; tickets created between two pages do not shift the pages.
TEST_P(StoreConformanceTest, CursorPagingVisitsEveryMatchOnce) {
  Actions a;
  for (int i = 1; i <= 25; ++i) {
    Ticket t = incident(i, "fp" + std::to_string(i));
    t.team = i % 2 ? "odd" : "even";
    a.emplace_back(TicketOpened{t});
  }
  apply(a);
  TicketQuery q;
  q.team = "odd";
  q.limit = 4;
  std::vector<std::string> seen;
  int pages = 0;
  for (;;) {
    auto page = store_->list_tickets(q);
    ASSERT_TRUE(page) << page.error().to_string();
    ++pages;
    ASSERT_LE(pages, 10) << "the cursor does not advance";
    for (const Ticket& t : page->tickets) seen.push_back(t.key);
    if (page->next_cursor.empty()) break;
    EXPECT_EQ(page->tickets.size(), 4u);
    if (pages == 1) {  // a newer matching ticket arrives while paging
      Ticket late = incident(26, "fp26");
      late.team = "odd";
      apply({TicketOpened{late}});
    }
    q.cursor = page->next_cursor;
  }
  std::vector<std::string> expected;
  for (int i = 25; i >= 1; i -= 2) expected.push_back(format_ticket_key(TicketType::kIncident, i));
  EXPECT_EQ(seen, expected);
  EXPECT_EQ(pages, 4);
}

// A last page that is exactly full says so: no cursor to an empty page.
TEST_P(StoreConformanceTest, AFullLastPageHasNoCursor) {
  apply({TicketOpened{incident(1)}, TicketOpened{incident(2)}, TicketOpened{incident(3)},
         TicketOpened{incident(4)}});
  TicketQuery q;
  q.limit = 2;
  auto first = store_->list_tickets(q);
  ASSERT_TRUE(first);
  ASSERT_FALSE(first->next_cursor.empty());
  q.cursor = first->next_cursor;
  auto second = store_->list_tickets(q);
  ASSERT_TRUE(second);
  EXPECT_EQ(second->tickets.size(), 2u);
  EXPECT_EQ(second->next_cursor, "");
  q = {};
  q.limit = 4;
  EXPECT_EQ(store_->list_tickets(q)->next_cursor, "");
}

// limit is clamped to 1..1000.
TEST_P(StoreConformanceTest, TheLimitIsClamped) {
  Actions a;
  for (int i = 1; i <= 1002; ++i) a.emplace_back(TicketOpened{incident(i)});
  apply(a);
  TicketQuery q;
  q.limit = 0;
  EXPECT_EQ(keys(q), std::vector<std::string>{"INC-001002"});
  q.limit = -5;
  EXPECT_EQ(keys(q).size(), 1u);
  q.limit = 5000;
  auto page = store_->list_tickets(q);
  ASSERT_TRUE(page);
  EXPECT_EQ(page->tickets.size(), 1000u);
  EXPECT_FALSE(page->next_cursor.empty());
  q.cursor = page->next_cursor;
  EXPECT_EQ(keys(q), (std::vector<std::string>{"INC-000002", "INC-000001"}));
}

TEST_P(StoreConformanceTest, AMalformedCursorIsInvalidArgument) {
  apply({TicketOpened{incident(1)}});
  for (const char* cursor : {"banana", "12abc", "-3"}) {
    TicketQuery q;
    q.cursor = cursor;
    auto page = store_->list_tickets(q);
    ASSERT_FALSE(page) << cursor;
    EXPECT_EQ(page.error().code(), StatusCode::kInvalidArgument) << cursor;
    EXPECT_NE(page.error().message().find(cursor), std::string::npos) << page.error().message();
  }
}

// team= ignores ASCII case and "" selects the tickets without a team;
// assignee= is exact and "" selects the unassigned ones.
TEST_P(StoreConformanceTest, TeamAndAssigneeFiltersSelectAlsoThoseWithoutOne) {
  auto make = [&](int64_t seq, std::string team, std::string assignee) {
    Ticket t = incident(seq, "fp" + std::to_string(seq));
    t.team = std::move(team);
    t.assignee = std::move(assignee);
    return TicketOpened{t};
  };
  apply({make(1, "DBA", "alice"), make(2, "dba", ""), make(3, "", "Alice"), make(4, "net", "alice"),
         make(5, "", "")});
  using V = std::vector<std::string>;
  TicketQuery q;
  q.team = "dba";
  EXPECT_EQ(keys(q), (V{"INC-000002", "INC-000001"}));
  q.team = "dBa";
  EXPECT_EQ(keys(q), (V{"INC-000002", "INC-000001"}));
  q.team = "";
  EXPECT_EQ(keys(q), (V{"INC-000005", "INC-000003"}));
  q = {};
  q.assignee = "alice";
  EXPECT_EQ(keys(q), (V{"INC-000004", "INC-000001"}));
  q.assignee = "ALICE";  // exact
  EXPECT_EQ(keys(q), V{});
  q.assignee = "";
  EXPECT_EQ(keys(q), (V{"INC-000005", "INC-000002"}));
  q.team = "";
  EXPECT_EQ(keys(q), V{"INC-000005"});
  q.team = "DBA";
  q.sort = TicketSort::kPriority;
  EXPECT_EQ(keys(q), V{"INC-000002"});
}

// total counts every match of the filters and text, on every page.
TEST_P(StoreConformanceTest, TheTotalCountsEveryMatchWhateverThePage) {
  Actions a;
  for (int i = 1; i <= 25; ++i) {
    Ticket t = incident(i, "fp" + std::to_string(i),
                        i % 5 == 0 ? TicketStatus::kResolved : TicketStatus::kNew);
    t.team = i % 2 ? "odd" : "even";
    t.title = i % 3 == 0 ? "disk full" : "fan failure";
    a.emplace_back(TicketOpened{t});
  }
  apply(a);
  auto total = [&](TicketQuery q) {
    auto page = store_->list_tickets(q);
    EXPECT_TRUE(page) << page.error().to_string();
    return page ? page->total : -1;
  };
  EXPECT_EQ(total({}), 25);
  for (TicketSort sort : {TicketSort::kDefault, TicketSort::kNewest, TicketSort::kPriority}) {
    TicketQuery q;
    q.sort = sort;
    q.team = "odd";
    q.limit = 4;
    int pages = 0;
    size_t seen = 0;
    for (;;) {
      auto page = store_->list_tickets(q);
      ASSERT_TRUE(page) << page.error().to_string();
      ASSERT_LE(++pages, 5);
      EXPECT_EQ(page->total, 13);
      seen += page->tickets.size();
      if (page->next_cursor.empty()) break;
      q.cursor = page->next_cursor;
    }
    EXPECT_EQ(seen, 13u);
    q = {};
    q.sort = sort;
    q.open_only = true;
    q.limit = 1;
    EXPECT_EQ(total(q), 20);
    q.text = "disk";  // 3, 6, ..., 24 of which 15 is resolved
    EXPECT_EQ(total(q), 7);
    q.team = "nobody";
    EXPECT_EQ(total(q), 0);
  }
}

// sort=priority: P1 first; within a priority the nearest due time first
// (respond_by until acknowledged, then resolve_by), those without one last;
// newest first among equals. Every page size gives the same order, and so
// does a search.
TEST_P(StoreConformanceTest, PriorityOrderIsPriorityThenNearestDueThenNewest) {
  const auto at = [&](int minutes) { return now_ + std::chrono::minutes(minutes); };
  auto make = [&](int64_t seq, Priority p, std::optional<int> respond, std::optional<int> resolve,
                  bool acknowledged = false) {
    Ticket t = incident(seq, "fp" + std::to_string(seq));
    t.title = "queue item " + std::to_string(seq);
    t.priority = p;
    if (respond) t.respond_by = at(*respond);
    if (resolve) t.resolve_by = at(*resolve);
    if (acknowledged) {
      t.acknowledged_at = at(1);
      t.status = TicketStatus::kInProgress;
    }
    return TicketOpened{t};
  };
  using P = Priority;
  apply({make(1, P::kP2, 10, 100), make(2, P::kP1, std::nullopt, std::nullopt),
         make(3, P::kP1, 30, 300), make(4, P::kP1, 5, 60, /*acknowledged=*/true),
         make(5, P::kP1, 20, 200), make(6, P::kP1, 20, 200), make(7, P::kP3, std::nullopt, 40),
         make(8, P::kP2, std::nullopt, std::nullopt), make(9, P::kP1, std::nullopt, std::nullopt)});
  const std::vector<std::string> expected = {"INC-000006", "INC-000005", "INC-000003",
                                             "INC-000004", "INC-000009", "INC-000002",
                                             "INC-000001", "INC-000008", "INC-000007"};
  for (const std::string text : {"", "queue"}) {
    for (int limit : {1000, 1, 2, 3, 4}) {
      TicketQuery q;
      q.sort = TicketSort::kPriority;
      q.text = text;
      q.limit = limit;
      std::vector<std::string> seen;
      for (int pages = 0; pages < 20; ++pages) {
        auto page = store_->list_tickets(q);
        ASSERT_TRUE(page) << page.error().to_string();
        for (const Ticket& t : page->tickets) seen.push_back(t.key);
        if (page->next_cursor.empty()) break;
        q.cursor = page->next_cursor;
      }
      EXPECT_EQ(seen, expected) << "limit " << limit << ", q=" << text;
    }
  }
  TicketQuery q;
  q.sort = TicketSort::kPriority;
  q.priority = Priority::kP2;
  EXPECT_EQ(keys(q), (std::vector<std::string>{"INC-000001", "INC-000008"}));
}

// Paging in priority order through many tickets (runs of equal due times
// longer than a page, tickets without one, resolved ones filtered out)
// visits each match once, in order; a ticket opened meanwhile that sorts
// after the cursor shows up, one that sorts before it does not.
TEST_P(StoreConformanceTest, PriorityPagesVisitEveryMatchOnce) {
  struct Want {
    int priority;
    bool no_due;
    int64_t due;
    int64_t seq;
    std::string key;
  };
  std::vector<Want> all, open;
  Actions a;
  uint32_t r = 12345;
  auto next = [&] {
    r = r * 1103515245 + 12345;
    return (r >> 16) & 0x7fff;
  };
  for (int64_t i = 1; i <= 150; ++i) {
    Ticket t = incident(i, "fp" + std::to_string(i));
    t.title = "sorted ticket";
    t.priority = static_cast<Priority>(1 + next() % 5);
    const int kind = static_cast<int>(next() % 4);
    if (i > 100 && i <= 120) {  // a run of 20 due at the same time: longer than a page
      t.priority = Priority::kP2;
      t.respond_by = now_ + std::chrono::minutes(7);
    } else if (kind == 1) {
      t.respond_by = now_ + std::chrono::minutes(next() % 6);  // few values: many ties
    } else if (kind == 2) {
      t.resolve_by = now_ + std::chrono::minutes(next() % 6);
    } else if (kind == 3) {
      t.respond_by = now_ + std::chrono::minutes(1);
      t.resolve_by = now_ + std::chrono::minutes(next() % 6);
      t.acknowledged_at = now_;
    }
    if (next() % 4 == 0) t.status = TicketStatus::kResolved;
    std::optional<TimePoint> due = t.acknowledged_at ? t.resolve_by : t.respond_by;
    if (!due) due = t.resolve_by;
    Want w{static_cast<int>(t.priority), !due, due ? to_unix_ms(*due) : 0, i, t.key};
    all.push_back(w);
    if (is_open(t.status)) open.push_back(w);
    a.emplace_back(TicketOpened{t});
  }
  apply(a);
  auto in_order = [](std::vector<Want> v) {
    std::sort(v.begin(), v.end(), [](const Want& x, const Want& y) {
      return std::tuple(x.priority, x.no_due, x.due, -x.seq) <
             std::tuple(y.priority, y.no_due, y.due, -y.seq);
    });
    std::vector<std::string> out;
    for (const Want& w : v) out.push_back(w.key);
    return out;
  };
  for (const bool open_only : {false, true}) {
    for (const std::string text : {"", "sorted"}) {
      TicketQuery q;
      q.sort = TicketSort::kPriority;
      q.open_only = open_only;
      q.text = text;
      q.limit = 7;
      std::vector<std::string> seen;
      int pages = 0;
      for (;;) {
        auto page = store_->list_tickets(q);
        ASSERT_TRUE(page) << page.error().to_string();
        ASSERT_LE(++pages, 30) << "the cursor does not advance";
        EXPECT_LE(page->tickets.size(), 7u);
        for (const Ticket& t : page->tickets) seen.push_back(t.key);
        if (page->next_cursor.empty()) break;
        q.cursor = page->next_cursor;
      }
      EXPECT_EQ(seen, in_order(open_only ? open : all))
          << "open_only " << open_only << ", q=" << text;
      EXPECT_EQ(std::set<std::string>(seen.begin(), seen.end()).size(), seen.size());
    }
  }
  // Tickets opened while a client pages: a P5 one without a due time sorts
  // after any cursor and is met; a P1 one due first sorts before it.
  TicketQuery q;
  q.sort = TicketSort::kPriority;
  q.limit = 10;
  auto first = store_->list_tickets(q);
  ASSERT_TRUE(first);
  Ticket late = incident(151, "fp151");
  late.priority = Priority::kP5;
  Ticket early = incident(152, "fp152");
  early.priority = Priority::kP1;
  early.respond_by = now_ - std::chrono::hours(1);
  apply({TicketOpened{late}, TicketOpened{early}});
  std::vector<std::string> seen;
  for (const Ticket& t : first->tickets) seen.push_back(t.key);
  q.cursor = first->next_cursor;
  for (int pages = 0; pages < 30 && !q.cursor.empty(); ++pages) {
    auto page = store_->list_tickets(q);
    ASSERT_TRUE(page) << page.error().to_string();
    for (const Ticket& t : page->tickets) seen.push_back(t.key);
    q.cursor = page->next_cursor;
  }
  std::vector<Want> with_late = all;
  with_late.push_back({5, true, 0, 151, "INC-000151"});
  EXPECT_EQ(seen, in_order(with_late));
  TicketQuery fresh;
  fresh.sort = TicketSort::kPriority;
  EXPECT_EQ(store_->list_tickets(fresh)->tickets.front().key, "INC-000152");
}

// sort=newest with a search: the matches, newest first, paged by id.
TEST_P(StoreConformanceTest, ASearchCanListTheNewestFirst) {
  Actions a;
  for (int i = 1; i <= 9; ++i) {
    Ticket t = incident(i, "fp" + std::to_string(i));
    t.title = i % 3 == 0 ? "gateway gateway gateway timeout" : i % 2 ? "gateway down" : "other";
    a.emplace_back(TicketOpened{t});
  }
  apply(a);
  TicketQuery q;
  q.text = "gateway";
  q.sort = TicketSort::kNewest;
  q.limit = 2;
  std::vector<std::string> seen;
  for (int pages = 0; pages < 10; ++pages) {
    auto page = store_->list_tickets(q);
    ASSERT_TRUE(page) << page.error().to_string();
    EXPECT_EQ(page->total, 6);
    for (const Ticket& t : page->tickets) seen.push_back(t.key);
    if (page->next_cursor.empty()) break;
    q.cursor = page->next_cursor;
  }
  EXPECT_EQ(seen, (std::vector<std::string>{"INC-000009", "INC-000007", "INC-000006", "INC-000005",
                                            "INC-000003", "INC-000001"}));
}

// A cursor belongs to its order: a priority cursor elsewhere, another
// order's cursor with sort=priority, or a malformed one is invalid_argument.
TEST_P(StoreConformanceTest, APriorityCursorIsCheckedLikeAnyOther) {
  for (int i = 1; i <= 3; ++i) apply({TicketOpened{incident(i, "fp" + std::to_string(i))}});
  TicketQuery q;
  q.sort = TicketSort::kPriority;
  q.limit = 1;
  auto first = store_->list_tickets(q);
  ASSERT_TRUE(first);
  ASSERT_EQ(first->next_cursor.rfind("p", 0), 0u) << first->next_cursor;
  TicketQuery newest;
  newest.cursor = first->next_cursor;
  EXPECT_EQ(store_->list_tickets(newest).error().code(), StatusCode::kInvalidArgument);
  for (const char* cursor : {"3", "r3.1", "p", "p1", "p1.n", "p1.n.", "p0.n.1", "p6.n.1", "p1.x.1",
                             "p1.n.0", "p1.n.-1", "p1.12.x", "p1..1", "pp1.n.1"}) {
    q.cursor = cursor;
    auto page = store_->list_tickets(q);
    ASSERT_FALSE(page) << cursor;
    EXPECT_EQ(page.error().code(), StatusCode::kInvalidArgument) << cursor;
    EXPECT_NE(page.error().message().find(cursor), std::string::npos) << page.error().message();
  }
}

// --- silences, state records, key counters ------------------------------------------

// One document per silence id, the latest saved; listed latest end first.
TEST_P(StoreConformanceTest, SilencesAreListedLatestEndFirst) {
  apply({SilenceSaved{"s-1", now_ + 1h, "one"}, SilenceSaved{"s-2", now_ + 3h, "two"},
         SilenceSaved{"s-3", now_ + 2h, "three"}});
  EXPECT_EQ(*store_->list_silences(), (std::vector<std::string>{"two", "three", "one"}));
  apply({SilenceSaved{"s-1", now_ + 4h, "one, extended"},
         SilenceSaved{"s-2", now_ - 1min, "two, expired"}});
  EXPECT_EQ(*store_->list_silences(),
            (std::vector<std::string>{"one, extended", "three", "two, expired"}));
  auto state = store_->load_state();
  ASSERT_TRUE(state);
  std::multiset<std::string> bodies(state->silences.begin(), state->silences.end());
  EXPECT_EQ(bodies, (std::multiset<std::string>{"one, extended", "two, expired", "three"}));
}

// A record is put, replaced and deleted by key, in batch order; an empty
// value is a value, not a deletion; deleting a missing key is no error.
TEST_P(StoreConformanceTest, StateRecordsArePutReplacedAndDeleted) {
  apply({StateChanged{{{"a/1", "one"}, {"a/2", "two"}, {"g/x", R"({"alerts":["a/1"]})"}}}});
  apply({StateChanged{
             {{"a/1", "ONE"}, {"a/2", std::nullopt}, {"missing", std::nullopt}, {"empty", ""}}},
         StateChanged{{{"t/put-then-delete", "v"},
                       {"t/put-then-delete", std::nullopt},
                       {"t/delete-then-put", std::nullopt},
                       {"t/delete-then-put", "back"}}}});
  EXPECT_EQ(records(), (std::map<std::string, std::string>{{"a/1", "ONE"},
                                                           {"g/x", R"({"alerts":["a/1"]})"},
                                                           {"empty", ""},
                                                           {"t/delete-then-put", "back"}}));
}

// load_state: the open tickets whole (new, assigned, in_progress, pending)
// and, per type, the highest key number ever used, whatever its status.
TEST_P(StoreConformanceTest, LoadStateHasOpenTicketsAndKeyCounters) {
  const TicketStatus statuses[] = {TicketStatus::kNew,        TicketStatus::kAssigned,
                                   TicketStatus::kInProgress, TicketStatus::kPending,
                                   TicketStatus::kResolved,   TicketStatus::kClosed,
                                   TicketStatus::kCancelled};
  Actions a;
  std::map<std::string, Ticket> open;
  int64_t seq = 0;
  for (TicketStatus s : statuses) {
    ++seq;
    Ticket t = incident(seq, "fp" + std::to_string(seq), s);
    t.labels = {{"n", std::to_string(seq)}};
    t.alerts = {{t.fingerprint, "firing"}};
    if (is_open(s)) open[t.key] = t;
    a.emplace_back(TicketOpened{t});
  }
  a.emplace_back(TicketOpened{ticket(TicketType::kProblem, 3, "p", TicketStatus::kClosed)});
  Ticket change = ticket(TicketType::kChange, 12, "", TicketStatus::kInProgress);
  open[change.key] = change;
  a.emplace_back(TicketOpened{change});
  apply(a);
  auto state = store_->load_state();
  ASSERT_TRUE(state);
  std::map<std::string, nlohmann::json> got, want;
  for (const Ticket& t : state->open_tickets) got[t.key] = ticket_to_json(t);
  for (const auto& [k, t] : open) want[k] = ticket_to_json(t);
  EXPECT_EQ(got, want);
  EXPECT_EQ(state->last_seq,
            (std::map<TicketType, int64_t>{
                {TicketType::kIncident, 7}, {TicketType::kProblem, 3}, {TicketType::kChange, 12}}));
}

// --- stats and similar ------------------------------------------------------------------

TEST_P(StoreConformanceTest, StatsOfAnEmptyStore) {
  auto stats = store_->stats();
  ASSERT_TRUE(stats) << stats.error().to_string();
  EXPECT_EQ(stats->tickets_total, 0);
  EXPECT_EQ(stats->open_total, 0);
  EXPECT_TRUE(stats->open_by_priority.empty());
  EXPECT_TRUE(stats->open_by_team.empty());
  EXPECT_TRUE(stats->open_by_type.empty());
  EXPECT_FALSE(stats->mtta);
  EXPECT_FALSE(stats->mttr);
  EXPECT_TRUE(stats->top_fingerprints.empty());
}

TEST_P(StoreConformanceTest, StatsCountOpenTicketsByPriorityTeamAndType) {
  auto make = [&](TicketType type, int64_t seq, TicketStatus status, Priority p, std::string team) {
    Ticket t = ticket(type, seq, "", status);
    t.priority = p;
    t.team = std::move(team);
    return TicketOpened{t};
  };
  apply({make(TicketType::kIncident, 1, TicketStatus::kNew, Priority::kP1, "dba"),
         make(TicketType::kIncident, 2, TicketStatus::kPending, Priority::kP1, "net"),
         make(TicketType::kIncident, 3, TicketStatus::kAssigned, Priority::kP3, ""),
         make(TicketType::kProblem, 1, TicketStatus::kInProgress, Priority::kP3, "dba"),
         make(TicketType::kIncident, 4, TicketStatus::kResolved, Priority::kP2, "dba"),
         make(TicketType::kChange, 1, TicketStatus::kClosed, Priority::kP5, "web"),
         make(TicketType::kServiceRequest, 1, TicketStatus::kCancelled, Priority::kP4, "desk")});
  auto stats = store_->stats();
  ASSERT_TRUE(stats) << stats.error().to_string();
  EXPECT_EQ(stats->tickets_total, 7);
  EXPECT_EQ(stats->open_total, 4);
  EXPECT_EQ(stats->open_by_priority,
            (std::map<Priority, int64_t>{{Priority::kP1, 2}, {Priority::kP3, 2}}));
  EXPECT_EQ(stats->open_by_team, (std::map<std::string, int64_t>{{"", 1}, {"dba", 2}, {"net", 1}}));
  EXPECT_EQ(stats->open_by_type,
            (std::map<TicketType, int64_t>{{TicketType::kIncident, 3}, {TicketType::kProblem, 1}}));
}

// MTTA and MTTR average over the tickets that were acknowledged, resolved,
// whatever their status now.
TEST_P(StoreConformanceTest, StatsMeanTimesToAcknowledgeAndResolve) {
  Ticket a = incident(1);
  a.acknowledged_at = a.created_at + 60s;
  Ticket b = incident(2, "", TicketStatus::kResolved);
  b.acknowledged_at = b.created_at + 120s + 500ms;
  b.resolved_at = b.created_at + 10min;
  Ticket c = incident(3, "", TicketStatus::kClosed);
  c.resolved_at = c.created_at + 20min;
  Ticket d = incident(4);  // neither
  apply({TicketOpened{a}, TicketOpened{b}, TicketOpened{c}, TicketOpened{d}});
  auto stats = store_->stats();
  ASSERT_TRUE(stats);
  EXPECT_EQ(stats->mtta, Duration(90'250));
  EXPECT_EQ(stats->mttr, Duration(15min));
}

// Recurrence per (fingerprint, rule): most tickets first, then most events;
// tickets without a fingerprint do not count; at most 10.
TEST_P(StoreConformanceTest, StatsRankRecurringFingerprints) {
  Actions a;
  int64_t seq = 0;
  auto add = [&](const std::string& fp, const std::string& rule, int64_t events,
                 TicketStatus status) {
    Ticket t = incident(++seq, fp, status);
    t.rule = rule;
    t.event_count = events;
    a.emplace_back(TicketOpened{t});
    return t;
  };
  add("db/disk", "disk", 5, TicketStatus::kClosed);
  add("db/disk", "disk", 1, TicketStatus::kResolved);
  const Ticket newest_disk = add("db/disk", "disk", 2, TicketStatus::kNew);
  add("web/5xx", "http", 1, TicketStatus::kResolved);
  add("web/5xx", "http", 1, TicketStatus::kNew);
  add("web/5xx", "other-rule", 50, TicketStatus::kResolved);
  add("lb/health", "http", 30, TicketStatus::kResolved);
  add("lb/health", "http", 1, TicketStatus::kNew);
  add("", "no-fingerprint", 99, TicketStatus::kNew);
  for (int i = 0; i < 10; ++i) add("single/" + std::to_string(i), "s", 1, TicketStatus::kResolved);
  apply(a);
  auto stats = store_->stats();
  ASSERT_TRUE(stats);
  const auto& top = stats->top_fingerprints;
  ASSERT_EQ(top.size(), 10u);
  EXPECT_EQ(top[0].fingerprint, "db/disk");
  EXPECT_EQ(top[0].rule, "disk");
  EXPECT_EQ(top[0].tickets, 3);
  EXPECT_EQ(top[0].events, 8);
  EXPECT_EQ(top[0].last_opened, newest_disk.created_at);
  EXPECT_EQ(top[1].fingerprint, "lb/health");  // two tickets, 31 events
  EXPECT_EQ(top[1].events, 31);
  EXPECT_EQ(top[2].fingerprint, "web/5xx");  // two tickets, 2 events
  EXPECT_EQ(top[2].rule, "http");
  EXPECT_EQ(top[3].fingerprint, "web/5xx");  // one ticket, 50 events
  EXPECT_EQ(top[3].rule, "other-rule");
  for (const RecurringFingerprint& f : top) EXPECT_NE(f.fingerprint, "");
}

// --- trends -----------------------------------------------------------------

// Every day of the window is there, oldest first, zeros included: opened
// counts the tickets created that day, resolved those resolved that day,
// whenever created. Tickets created before or after the window count
// nowhere else.
TEST_P(StoreConformanceTest, TrendsCountEveryDayOfTheWindow) {
  const TimePoint since = from_unix_ms(20'827LL * 86'400'000);  // a UTC midnight
  const auto day = [&](int d, Duration into = 1h) { return since + d * 24h + into; };
  int64_t seq = 0;
  auto at = [&](TimePoint created, std::optional<TimePoint> resolved = std::nullopt) {
    Ticket t = incident(++seq, "", resolved ? TicketStatus::kResolved : TicketStatus::kNew);
    t.first_seen = t.last_seen = t.created_at = t.updated_at = created;
    t.resolved_at = resolved;
    return TicketOpened{t};
  };
  apply({at(since - 1ms, day(1)),  // before the window, resolved on its day 1
         at(since), at(day(0, 23h + 59min)), at(day(2), day(2, 2h)), at(day(6, 23h)),
         at(since + 7 * 24h),   // the day after the window
         at(day(3), day(9))});  // resolved after the window
  auto trends = store_->trends({.since = since, .days = 7, .team = std::nullopt});
  ASSERT_TRUE(trends) << trends.error().to_string();
  ASSERT_EQ(trends->per_day.size(), 7u);
  std::vector<int64_t> opened, resolved;
  for (size_t d = 0; d < 7; ++d) {
    EXPECT_EQ(trends->per_day[d].start, since + static_cast<int>(d) * 24h);
    opened.push_back(trends->per_day[d].opened);
    resolved.push_back(trends->per_day[d].resolved);
  }
  EXPECT_EQ(opened, (std::vector<int64_t>{2, 0, 1, 1, 0, 0, 1}));
  EXPECT_EQ(resolved, (std::vector<int64_t>{0, 1, 1, 0, 0, 0, 0}));
  ASSERT_EQ(trends->by_priority.size(), 1u);
  EXPECT_EQ(trends->by_priority[0].second.tickets, 5);  // created in the window

  // An empty store: every day, all zeros, nothing else.
  auto none = store_->trends({.since = since + 30 * 24h, .days = 3, .team = std::nullopt});
  ASSERT_TRUE(none);
  ASSERT_EQ(none->per_day.size(), 3u);
  for (const TrendsDay& d : none->per_day) {
    EXPECT_EQ(d.opened, 0);
    EXPECT_EQ(d.resolved, 0);
  }
  EXPECT_TRUE(none->by_priority.empty());
  EXPECT_TRUE(none->by_team.empty());
  EXPECT_TRUE(none->top_fingerprints.empty());
  EXPECT_TRUE(none->top_rules.empty());
  // days is clamped to 1..366.
  EXPECT_EQ(store_->trends({.since = since, .days = 0, .team = std::nullopt})->per_day.size(), 1u);
  EXPECT_EQ(store_->trends({.since = since, .days = 999, .team = std::nullopt})->per_day.size(),
            366u);
}

// Per priority and per team: the window's tickets, MTTA over those
// acknowledged, MTTR over those resolved (none: empty); teams most tickets
// first, then by name. The team filter ignores case, "" is no team.
TEST_P(StoreConformanceTest, TrendsGroupByPriorityAndTeamWithMeanTimes) {
  const TimePoint since = from_unix_ms(20'827LL * 86'400'000);
  int64_t seq = 0;
  auto make = [&](Priority p, std::string team, std::optional<Duration> ack,
                  std::optional<Duration> resolve) {
    Ticket t = incident(++seq, "", resolve ? TicketStatus::kResolved : TicketStatus::kNew);
    t.first_seen = t.last_seen = t.created_at = t.updated_at = since + seq * 1h;
    t.priority = p;
    t.team = std::move(team);
    if (ack) t.acknowledged_at = t.created_at + *ack;
    if (resolve) t.resolved_at = t.created_at + *resolve;
    return TicketOpened{t};
  };
  apply({make(Priority::kP1, "net", 60s, 10min), make(Priority::kP1, "net", 120s, std::nullopt),
         make(Priority::kP1, "Net", std::nullopt, 30min),
         make(Priority::kP3, "", std::nullopt, std::nullopt),
         make(Priority::kP3, "dba", 500ms, std::nullopt)});
  auto all = store_->trends({.since = since, .days = 2, .team = std::nullopt});
  ASSERT_TRUE(all) << all.error().to_string();
  ASSERT_EQ(all->by_priority.size(), 2u);
  EXPECT_EQ(all->by_priority[0].first, Priority::kP1);
  EXPECT_EQ(all->by_priority[0].second.tickets, 3);
  EXPECT_EQ(all->by_priority[0].second.mtta, Duration(90s));
  EXPECT_EQ(all->by_priority[0].second.mttr, Duration(20min));
  EXPECT_EQ(all->by_priority[1].first, Priority::kP3);
  EXPECT_EQ(all->by_priority[1].second.tickets, 2);
  EXPECT_EQ(all->by_priority[1].second.mtta, Duration(500));
  EXPECT_FALSE(all->by_priority[1].second.mttr);
  std::vector<std::pair<std::string, int64_t>> teams;
  for (const auto& [team, g] : all->by_team) teams.emplace_back(team, g.tickets);
  EXPECT_EQ(teams, (std::vector<std::pair<std::string, int64_t>>{
                       {"net", 2}, {"", 1}, {"Net", 1}, {"dba", 1}}));
  EXPECT_EQ(all->by_team[0].second.mtta, Duration(90s));
  EXPECT_EQ(all->by_team[0].second.mttr, Duration(10min));
  EXPECT_FALSE(all->by_team[1].second.mtta);

  auto net = store_->trends({.since = since, .days = 2, .team = "NET"});
  ASSERT_TRUE(net);
  ASSERT_EQ(net->by_priority.size(), 1u);
  EXPECT_EQ(net->by_priority[0].second.tickets, 3);
  EXPECT_EQ(net->per_day[0].opened, 3);
  EXPECT_EQ(net->per_day[0].resolved, 2);
  auto no_team = store_->trends({.since = since, .days = 2, .team = ""});
  ASSERT_TRUE(no_team);
  ASSERT_EQ(no_team->by_team.size(), 1u);
  EXPECT_EQ(no_team->by_team[0].first, "");
  EXPECT_EQ(no_team->per_day[0].opened, 1);
  EXPECT_EQ(no_team->per_day[0].resolved, 0);
  auto nobody = store_->trends({.since = since, .days = 2, .team = "storage"});
  ASSERT_TRUE(nobody);
  EXPECT_TRUE(nobody->by_team.empty());
  EXPECT_EQ(nobody->per_day.size(), 2u);
}

// Recurring fingerprints of the window (two tickets or more), and rules by
// tickets opened, each most tickets first, then most events, at most 10.
TEST_P(StoreConformanceTest, TrendsRankFingerprintsAndRulesOfTheWindow) {
  const TimePoint since = from_unix_ms(20'827LL * 86'400'000);
  Actions a;
  int64_t seq = 0;
  auto add = [&](const std::string& fp, const std::string& rule, int64_t events,
                 TimePoint created) {
    Ticket t = incident(++seq, fp, TicketStatus::kResolved);
    t.first_seen = t.last_seen = t.created_at = t.updated_at = created;
    t.resolved_at = created + 1min;
    t.rule = rule;
    t.event_count = events;
    a.emplace_back(TicketOpened{t});
  };
  const TimePoint in = since + 1h;
  add("db/disk", "disk", 5, in);
  add("db/disk", "disk", 1, in + 1s);
  add("db/disk", "disk", 9, since - 1s);  // before the window
  add("web/5xx", "http", 10, in);
  add("web/5xx", "http", 10, in);
  add("lb/health", "http", 1, in);  // once: not recurring
  add("", "manual-ish", 1, in);
  add("", "", 1, in);  // no rule: not counted
  for (int i = 0; i < 12; ++i) {
    add("r" + std::to_string(i), "rule-" + std::to_string(i), 1, in);
    add("r" + std::to_string(i), "rule-" + std::to_string(i), 1, in);
  }
  apply(a);
  auto trends = store_->trends({.since = since, .days = 1, .team = std::nullopt});
  ASSERT_TRUE(trends) << trends.error().to_string();
  const auto& fps = trends->top_fingerprints;
  ASSERT_EQ(fps.size(), 10u);
  EXPECT_EQ(fps[0].fingerprint, "web/5xx");  // two tickets, 20 events
  EXPECT_EQ(fps[0].events, 20);
  EXPECT_EQ(fps[1].fingerprint, "db/disk");  // two in the window, 6 events
  EXPECT_EQ(fps[1].tickets, 2);
  EXPECT_EQ(fps[1].events, 6);
  EXPECT_EQ(fps[1].last_opened, in + 1s);
  for (const RecurringFingerprint& f : fps) {
    EXPECT_GE(f.tickets, 2);
    EXPECT_NE(f.fingerprint, "lb/health");
  }
  const auto& rules = trends->top_rules;
  ASSERT_EQ(rules.size(), 10u);
  EXPECT_EQ(rules[0].rule, "http");
  EXPECT_EQ(rules[0].tickets, 3);
  EXPECT_EQ(rules[0].events, 21);
  EXPECT_EQ(rules[1].rule, "disk");
  EXPECT_EQ(rules[1].tickets, 2);
  for (const RuleTrend& r : rules) EXPECT_NE(r.rule, "");
}

// Resolved or closed tickets like `t`: same fingerprint first, then same
// rule, each newest first, never `t` itself, open or cancelled ones; each
// with its notes, oldest first.
TEST_P(StoreConformanceTest, SimilarTicketsComeWithTheirNotes) {
  Ticket t = incident(10, "db/disk", TicketStatus::kResolved);  // never similar to itself
  t.rule = "disk";
  auto past = [&](int64_t seq, const std::string& fp, const std::string& rule,
                  TicketStatus status) {
    Ticket p = incident(seq, fp, status);
    p.rule = rule;
    if (status == TicketStatus::kResolved || status == TicketStatus::kClosed)
      p.resolved_at = p.created_at + 1h;
    return TicketOpened{p};
  };
  apply({past(1, "db/disk", "disk", TicketStatus::kResolved),
         past(2, "other", "disk", TicketStatus::kClosed),
         past(3, "db/disk", "old-rule", TicketStatus::kClosed),
         past(4, "db/disk", "disk", TicketStatus::kCancelled),
         past(5, "other2", "disk", TicketStatus::kResolved),
         past(6, "unrelated", "x", TicketStatus::kResolved),
         past(7, "db/disk", "disk", TicketStatus::kResolved), TicketOpened{t},
         TimelineAdded{{"INC-000001", now_ + 1min, "user:alice", "note", "cleaned /var/log", "{}"}},
         TimelineAdded{{"INC-000001", now_ + 2min, "engine", "status", "resolved", "{}"}},
         TimelineAdded{{"INC-000001", now_ + 3min, "user:bob", "note", "added a disk", "{}"}}});
  // An open ticket with the rule is not similar.
  apply({past(8, "still-open", "disk", TicketStatus::kInProgress)});
  auto similar = store_->similar(t, {.limit = 10, .by_text = false});
  ASSERT_TRUE(similar) << similar.error().to_string();
  std::vector<std::string> got;
  for (const SimilarTicket& s : *similar)
    got.push_back(s.ticket.key + (s.match == SimilarMatch::kFingerprint ? " fp" : " rule"));
  EXPECT_EQ(got, (std::vector<std::string>{"INC-000007 fp", "INC-000003 fp", "INC-000001 fp",
                                           "INC-000005 rule", "INC-000002 rule"}));
  const SimilarTicket& first = (*similar)[2];
  EXPECT_EQ(first.ticket.resolved_at, now_ + 1s + 1h);
  ASSERT_EQ(first.notes.size(), 2u);
  EXPECT_EQ(first.notes[0].message, "cleaned /var/log");
  EXPECT_EQ(first.notes[0].actor, "user:alice");
  EXPECT_EQ(first.notes[0].time, now_ + 1min);
  EXPECT_EQ(first.notes[1].message, "added a disk");
  EXPECT_TRUE((*similar)[0].notes.empty());

  auto limited = store_->similar(t, {.limit = 2, .by_text = false});
  ASSERT_TRUE(limited);
  ASSERT_EQ(limited->size(), 2u);
  EXPECT_EQ((*limited)[1].ticket.key, "INC-000003");
}

// An empty fingerprint or rule is no likeness: tickets that share only an
// empty one are not similar.
TEST_P(StoreConformanceTest, NothingIsSimilarByAnEmptyFingerprintOrRule) {
  Ticket manual = incident(1, "", TicketStatus::kResolved);
  manual.rule = "";
  Ticket other = incident(2, "", TicketStatus::kClosed);
  other.rule = "";
  Ticket t = incident(3);
  t.rule = "";
  apply({TicketOpened{manual}, TicketOpened{other}, TicketOpened{t}});
  auto similar = store_->similar(t, {.limit = 10, .by_text = false});
  ASSERT_TRUE(similar);
  EXPECT_TRUE(similar->empty());
}

// After the fingerprint and rule matches come tickets sharing words of the
// title and description, the most and rarest words first; common words
// alone ("the", "on") and open tickets are never a match, and a ticket
// already found by fingerprint or rule is not listed twice.
TEST_P(StoreConformanceTest, SimilarTicketsByTheWordsOfTheirTitle) {
  auto past = [&](int64_t seq, const std::string& fp, const std::string& rule,
                  const std::string& title, TicketStatus status = TicketStatus::kResolved) {
    Ticket p = incident(seq, fp, status);
    p.rule = rule;
    p.title = title;
    p.description = "";
    if (status == TicketStatus::kResolved) p.resolved_at = p.created_at + 1h;
    return TicketOpened{p};
  };
  apply({past(1, "a", "r1", "Replication lag on pg-replica-2 above 30s"),
         past(2, "b", "r2", "Disk full on the db01"),
         past(3, "c", "r3", "Replication broken on pg-replica-9"),
         past(4, "d", "r4", "Replication lag on pg-replica-2 above 30s", TicketStatus::kInProgress),
         past(5, "e", "r5", "on the"), past(6, "f", "lag", "Lag on something else"),
         past(7, "g", "r7", "Unrelated")});
  Ticket t = incident(10, "x", TicketStatus::kNew);
  t.rule = "lag";
  t.title = "Replication lag on pg-replica-2 above 45s";
  t.description = "";
  apply({TicketOpened{t}});
  auto similar = store_->similar(t, {.limit = 10, .by_text = true});
  ASSERT_TRUE(similar) << similar.error().to_string();
  std::vector<std::string> got;
  for (const SimilarTicket& s : *similar) {
    got.push_back(s.ticket.key + (s.match == SimilarMatch::kRule   ? " rule"
                                  : s.match == SimilarMatch::kText ? " text"
                                                                   : " fp"));
  }
  EXPECT_EQ(got,
            (std::vector<std::string>{"INC-000006 rule", "INC-000001 text", "INC-000003 text"}));
  auto without = store_->similar(t, {.limit = 10, .by_text = false});
  ASSERT_TRUE(without);
  EXPECT_EQ(without->size(), 1u);
  auto one = store_->similar(t, {.limit = 2, .by_text = true});
  ASSERT_TRUE(one);
  EXPECT_EQ(one->size(), 2u);
}

// --- concurrency ------------------------------------------------------------------------

// Reads from more threads than a store may have connections, while the
// writer commits: every read succeeds and sees whole batches. Each batch
// sets event_count n on two tickets, their titles to match, the state
// record "n" to n, and opens a P1 ticket; every second batch resolves the
// two last opened.
TEST_P(StoreConformanceTest, ConcurrentReadsSeeWholeBatches) {
  Ticket x = incident(1, "x");
  Ticket y = incident(2, "y");
  const std::string key = x.key;
  x.title = y.title = "n=0";
  x.event_count = y.event_count = 0;
  x.priority = y.priority = Priority::kP2;
  apply({TicketOpened{x}, TicketOpened{y}, StateChanged{{{"n", "0"}}}});
  constexpr int kBatches = 150;
  constexpr int kReaders = 6;  // more than the 4 connections of the SQLite store
  std::atomic<bool> done{false};
  std::atomic<int> started{0};
  std::thread writer([&] {
    while (started < kReaders) std::this_thread::yield();
    for (int n = 1; n <= kBatches; ++n) {
      x.event_count = y.event_count = n;
      x.title = y.title = "n=" + std::to_string(n);
      Ticket opened = incident(100 + n, "load/" + std::to_string(n));
      opened.priority = Priority::kP1;
      Actions a = {TicketUpdated{x}, TimelineAdded{{x.key, now_, "engine", "event", x.title, "{}"}},
                   TicketOpened{opened}, StateChanged{{{"n", std::to_string(n)}}},
                   TicketUpdated{y}};
      if (n % 2 == 0) {  // the open count goes up by one, then down by one
        for (int k : {n - 1, n}) {
          Ticket done_one = incident(100 + k, "load/" + std::to_string(k), TicketStatus::kResolved);
          done_one.priority = Priority::kP1;
          a.emplace_back(TicketUpdated{done_one});
        }
      }
      Status s = store_->apply(a);
      EXPECT_TRUE(s) << s.to_string();
      if (!s) break;
    }
    done = true;
  });
  auto consistent = [](const Ticket& t) { return t.title == "n=" + std::to_string(t.event_count); };
  std::vector<std::thread> readers;
  for (int r = 0; r < kReaders; ++r) {
    readers.emplace_back([&, r] {
      int64_t last = 0;  // what this thread saw last: never goes back
      ++started;
      while (!done) {
        switch (r % 3) {
          case 0: {
            auto got = store_->get_ticket(key);
            ASSERT_TRUE(got) << got.error().to_string();
            ASSERT_TRUE(*got);
            EXPECT_TRUE(consistent(**got))
                << (*got)->title << " with event_count " << (*got)->event_count;
            EXPECT_GE((*got)->event_count, last);
            last = (*got)->event_count;
            auto tl = store_->timeline(key);
            ASSERT_TRUE(tl) << tl.error().to_string();
            EXPECT_GE(static_cast<int64_t>(tl->size()), last);
            break;
          }
          case 1: {
            TicketQuery q;
            q.priority = Priority::kP2;
            auto page = store_->list_tickets(q);
            ASSERT_TRUE(page) << page.error().to_string();
            ASSERT_EQ(page->tickets.size(), 2u);
            EXPECT_EQ(page->tickets[0].event_count, page->tickets[1].event_count) << "half a batch";
            EXPECT_TRUE(consistent(page->tickets[0]) && consistent(page->tickets[1]));
            auto stats = store_->stats();
            ASSERT_TRUE(stats) << stats.error().to_string();
            auto sum = [](const auto& counts) {
              int64_t n = 0;
              for (const auto& [value, count] : counts) n += count;
              return n;
            };
            EXPECT_EQ(sum(stats->open_by_priority), stats->open_total);
            EXPECT_EQ(sum(stats->open_by_team), stats->open_total);
            EXPECT_EQ(sum(stats->open_by_type), stats->open_total);
            EXPECT_EQ(stats->open_by_priority[Priority::kP2], 2);
            EXPECT_LE(stats->open_by_priority[Priority::kP1], 1);
            break;
          }
          default: {
            auto state = store_->load_state();
            ASSERT_TRUE(state) << state.error().to_string();
            std::string n;
            for (const auto& [k, v] : state->records) {
              if (k == "n") n = v;
            }
            for (const Ticket& t : state->open_tickets) {
              if (t.key == key) {
                EXPECT_EQ(std::to_string(t.event_count), n)
                    << "tickets and records from different batches";
              }
            }
            EXPECT_LE(state->open_tickets.size(), 3u);
            break;
          }
        }
      }
    });
  }
  writer.join();
  for (std::thread& t : readers) t.join();
  EXPECT_EQ(get(key).event_count, kBatches);
}

// --- the outbox --------------------------------------------------------------

OutboxQueued queued(const std::string& target, const std::string& key, const std::string& kind,
                    TimePoint at, OutboxQueued::Only only = OutboxQueued::Only::kAlways) {
  OutboxQueued q;
  q.target = target;
  q.ticket_key = key;
  q.kind = kind;
  q.payload = "{\"kind\":\"" + kind + "\"}";
  q.time = at;
  q.only = only;
  return q;
}

std::vector<std::string> kinds_of(const std::vector<OutboxEntry>& entries) {
  std::vector<std::string> out;
  for (const auto& e : entries) out.push_back(e.ticket_key + ":" + e.kind);
  return out;
}

// Entries commit with the batch (or not at all), a create links the ticket
// once, and updates reach only targets the ticket is linked to.
TEST_P(StoreConformanceTest, OutboxEntriesCommitWithTheirBatchAndFollowTheLink) {
  const Ticket t = incident(1, "fp1");
  apply({TicketOpened{t}, queued("jira", t.key, "create", now_, OutboxQueued::Only::kUnlinked),
         queued("rt", t.key, "resolve", now_, OutboxQueued::Only::kLinked),  // never linked to rt
         queued("chat", t.key, "notify", now_)});
  // A second create for a linked ticket is not queued; an update is.
  apply({queued("jira", t.key, "create", now_, OutboxQueued::Only::kUnlinked),
         queued("jira", t.key, "update", now_, OutboxQueued::Only::kLinked)});
  auto all = store_->outbox_list({});
  ASSERT_TRUE(all);
  EXPECT_EQ(kinds_of(*all), (std::vector<std::string>{"INC-000001:create", "INC-000001:notify",
                                                      "INC-000001:update"}));
  // A failing batch leaves no entry behind.
  const Ticket dup = incident(2, "fp1");  // a second open ticket for fp1: conflict
  EXPECT_FALSE(store_->apply(
      {queued("jira", t.key, "comment", now_, OutboxQueued::Only::kLinked), TicketOpened{dup}}));
  EXPECT_EQ(store_->outbox_list({})->size(), 3u);
  // Linked, with no remote id until the create succeeds.
  auto ref = store_->external_ref("jira", t.key);
  ASSERT_TRUE(ref && *ref);
  EXPECT_TRUE((*ref)->id.empty());
  EXPECT_FALSE(*store_->external_ref("rt", t.key));
}

// A ticket's entries for a target go in order: only the first is due, and a
// deferred or held one stops the rest of its ticket but no other ticket.
TEST_P(StoreConformanceTest, OnlyTheFirstEntryOfATicketIsDue) {
  apply({queued("jira", "INC-000001", "create", now_),
         queued("jira", "INC-000001", "comment", now_),
         queued("jira", "INC-000002", "create", now_), queued("rt", "INC-000001", "create", now_)});
  auto due = store_->outbox_due("jira", now_, 10);
  ASSERT_TRUE(due);
  EXPECT_EQ(kinds_of(*due), (std::vector<std::string>{"INC-000001:create", "INC-000002:create"}));
  const int64_t first = (*due)[0].id;
  ASSERT_TRUE(store_->outbox_defer(first, now_ + 1min, "HTTP 503", false));
  EXPECT_EQ(kinds_of(*store_->outbox_due("jira", now_, 10)),
            (std::vector<std::string>{"INC-000002:create"}));
  EXPECT_EQ(kinds_of(*store_->outbox_due("jira", now_ + 1min, 10)),
            (std::vector<std::string>{"INC-000001:create", "INC-000002:create"}));
  // Held: never due until released.
  ASSERT_TRUE(store_->outbox_defer(first, now_, "HTTP 400", true));
  EXPECT_EQ(kinds_of(*store_->outbox_due("jira", now_ + 1h, 10)),
            (std::vector<std::string>{"INC-000002:create"}));
  auto held = store_->outbox_list({"jira", "", true, 100, 0});
  ASSERT_EQ(held->size(), 1u);
  EXPECT_EQ((*held)[0].last_error, "HTTP 400");
  ASSERT_TRUE(*store_->outbox_retry(first, now_));
  EXPECT_EQ(store_->outbox_due("jira", now_, 10)->size(), 2u);
  EXPECT_FALSE(*store_->outbox_retry(999, now_));
  // Done: gone, the next entry of the ticket is due, the remote recorded,
  // the timeline entry written, all at once.
  ASSERT_TRUE(store_->outbox_started({first}));
  TimelineEntry line{"INC-000001", now_, "backend:jira", "sync", "jira: created OPS-1", "{}"};
  ASSERT_TRUE(
      store_->outbox_done(first, ExternalRef{"jira", "10001", "OPS-1", "http://j/OPS-1"}, line));
  EXPECT_EQ(kinds_of(*store_->outbox_due("jira", now_, 10)),
            (std::vector<std::string>{"INC-000001:comment", "INC-000002:create"}));
  auto ref = store_->external_ref("jira", "INC-000001");
  ASSERT_TRUE(ref && *ref);
  EXPECT_EQ((*ref)->key, "OPS-1");
  EXPECT_EQ(*store_->ticket_for_remote("jira", "10001"), std::optional<std::string>("INC-000001"));
  EXPECT_FALSE(*store_->ticket_for_remote("rt", "10001"));
  auto tl = store_->timeline("INC-000001");
  ASSERT_EQ(tl->size(), 1u);
  EXPECT_EQ((*tl)[0].message, "jira: created OPS-1");
  // Dropped: gone.
  ASSERT_TRUE(*store_->outbox_drop((*store_->outbox_due("jira", now_, 10))[0].id));
  auto depth = store_->outbox_depth();
  ASSERT_TRUE(depth);
  EXPECT_EQ((*depth)["jira"].queued, 1);
  EXPECT_EQ((*depth)["rt"].queued, 1);
}

// Occurrences fold into the ticket's last entry while it is an unsent
// occurrences entry; such an entry goes early when a later one of its ticket
// waits behind it.
TEST_P(StoreConformanceTest, OccurrencesFoldUntilSentAndGoEarlyForALaterEntry) {
  auto occ = [&](int64_t n, const std::string& last) {
    OutboxQueued q = queued("jira", "INC-000001", "occurrences", now_);
    q.not_before = now_ + 5min;
    q.count = n;
    q.payload = last;
    return q;
  };
  apply({occ(2, "a")});
  apply({occ(3, "b")});
  auto list = store_->outbox_list({});
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].count, 5);
  EXPECT_EQ((*list)[0].payload, "b");
  EXPECT_TRUE(store_->outbox_due("jira", now_, 10)->empty());  // not before 5 min
  // Once a send started, new occurrences start a new entry.
  ASSERT_TRUE(store_->outbox_started({(*list)[0].id}));
  apply({occ(1, "c")});
  EXPECT_EQ(store_->outbox_list({})->size(), 2u);
  ASSERT_TRUE(store_->outbox_drop((*list)[0].id));
  // A resolve behind the waiting occurrences makes them due now.
  apply({queued("jira", "INC-000001", "resolve", now_)});
  EXPECT_EQ(kinds_of(*store_->outbox_due("jira", now_, 10)),
            (std::vector<std::string>{"INC-000001:occurrences"}));
}

// After a target recovers, entries backing off from failures are due at
// once; never-tried ones (occurrences waiting for their window) and held
// ones keep their state.
TEST_P(StoreConformanceTest, ReleasingATargetMakesItsBackingOffEntriesDue) {
  OutboxQueued occ = queued("jira", "INC-000003", "occurrences", now_);
  occ.not_before = now_ + 5min;
  apply({queued("jira", "INC-000001", "create", now_), queued("jira", "INC-000002", "create", now_),
         occ, queued("rt", "INC-000001", "create", now_)});
  auto all = *store_->outbox_list({});
  ASSERT_TRUE(store_->outbox_started({all[0].id, all[1].id, all[3].id}));
  ASSERT_TRUE(store_->outbox_defer(all[0].id, now_ + 4min, "HTTP 503", false));
  ASSERT_TRUE(store_->outbox_defer(all[1].id, now_, "HTTP 400", true));
  ASSERT_TRUE(store_->outbox_defer(all[3].id, now_ + 4min, "HTTP 503", false));
  auto released = store_->outbox_release("jira", now_);
  ASSERT_TRUE(released);
  EXPECT_EQ(*released, 1);
  EXPECT_EQ(kinds_of(*store_->outbox_due("jira", now_, 10)),
            (std::vector<std::string>{"INC-000001:create"}));
  EXPECT_TRUE(store_->outbox_due("rt", now_, 10)->empty());  // another target: untouched
}

// An entry dropped by an operator while it was being sent: the remote
// ticket its send created is still recorded, and ids are never reused.
TEST_P(StoreConformanceTest, ADeliveryRecordsItsRemoteTicketEvenIfItsEntryWasDropped) {
  const Ticket t = incident(1);
  apply({TicketOpened{t}, queued("jira", t.key, "create", now_, OutboxQueued::Only::kUnlinked)});
  const int64_t id = (*store_->outbox_list({}))[0].id;
  ASSERT_TRUE(*store_->outbox_drop(id));
  TimelineEntry line{t.key, now_, "backend:jira", "sync", "jira: created OPS-1", "{}"};
  ASSERT_TRUE(store_->outbox_done(id, ExternalRef{"jira", "10001", "OPS-1", ""}, line));
  EXPECT_EQ((*store_->external_ref("jira", t.key))->id, "10001");
  EXPECT_EQ(store_->timeline(t.key)->size(), 1u);
  apply({queued("jira", t.key, "comment", now_, OutboxQueued::Only::kLinked)});
  EXPECT_GT((*store_->outbox_list({}))[0].id, id);  // not the dropped entry's id again
}

// The ticket shows the remote tickets that exist (not links still waiting
// for their create), in get_ticket and list_tickets.
TEST_P(StoreConformanceTest, TicketsCarryTheirRemoteTickets) {
  const Ticket t = incident(1);
  apply({TicketOpened{t}, queued("jira", t.key, "create", now_, OutboxQueued::Only::kUnlinked),
         queued("rt", t.key, "create", now_, OutboxQueued::Only::kUnlinked)});
  EXPECT_TRUE(get(t.key).external.empty());
  const int64_t id = (*store_->outbox_due("jira", now_, 1))[0].id;
  ASSERT_TRUE(store_->outbox_done(id, ExternalRef{"jira", "10001", "OPS-1", "http://j/OPS-1"},
                                  std::nullopt));
  const std::vector<ExternalRef> want = {{"jira", "10001", "OPS-1", "http://j/OPS-1"}};
  EXPECT_EQ(get(t.key).external, want);
  auto page = store_->list_tickets({});
  ASSERT_TRUE(page);
  ASSERT_EQ(page->tickets.size(), 1u);
  EXPECT_EQ(page->tickets[0].external, want);
  // A later TicketUpdated (the engine knows nothing of remotes) keeps them.
  Ticket changed = t;
  changed.title = "new title";
  apply({TicketUpdated{changed}});
  EXPECT_EQ(get(t.key).external, want);
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreConformanceTest,
                         ::testing::Values(StoreFactory{
                             "sqlite", [](const std::string& dir) { return open_sqlite(dir, 4); }}),
                         [](const ::testing::TestParamInfo<StoreFactory>& p) {
                           return p.param.name;
                         });
INSTANTIATE_TEST_SUITE_P(Backends, ListEventsTest,
                         ::testing::Values(StoreFactory{
                             "sqlite", [](const std::string& dir) { return open_sqlite(dir, 4); }}),
                         [](const ::testing::TestParamInfo<StoreFactory>& p) {
                           return p.param.name;
                         });

}  // namespace
}  // namespace ticketd::store
