// The planner and the outbox worker against a real SQLite store, a manual
// clock, and either the recording webhook fake or an in-memory connector.
#include "ticketd/connectors/outbox.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <stdexcept>
#include <utility>

#include "../fakes/fake_server.hpp"
#include "ticketd/connectors/planner.hpp"
#include "ticketd/store/store.hpp"

namespace ticketd::connectors {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using ticketd_test::FakeServer;

Ticket incident(int n, Priority p = Priority::kP2, TimePoint at = {}) {
  Ticket t;
  t.key = format_ticket_key(TicketType::kIncident, n);
  t.title = "Disk full " + std::to_string(n);
  t.priority = p;
  t.fingerprint = "fp" + std::to_string(n);
  t.event_count = 1;
  t.created_at = t.updated_at = t.first_seen = t.last_seen = at;
  return t;
}

TimelineAdded status_change(const Ticket& t, const std::string& from, const std::string& to,
                            TimePoint at, const std::string& actor = "engine") {
  return TimelineAdded{{t.key, at, actor, "status", from + " -> " + to,
                        nlohmann::json{{"from", from}, {"to", to}}.dump()}};
}

std::vector<std::string> planned(const Actions& batch) {
  std::vector<std::string> out;
  for (const Action& a : batch) {
    if (const auto* q = std::get_if<OutboxQueued>(&a))
      out.push_back(q->target + ":" + q->ticket_key + ":" + q->kind);
  }
  return out;
}

Route backend(const std::string& name, TicketMatcher when = {}) {
  return Route{name, true, std::move(when), 5min, {}};
}

TEST(Planner, ABackendGetsTheChangesOfTheTicketsItTakes) {
  Planner p({backend("jira", TicketMatcher{{}, {Priority::kP1, Priority::kP2}, {}}),
             Route{"chat", false, {}, {}, {"opened", "resolved"}}});
  const TimePoint now = from_unix_ms(1'800'000'000'000);
  const Ticket p2 = incident(1, Priority::kP2, now);
  const Ticket p4 = incident(2, Priority::kP4, now);
  Actions batch = {TicketOpened{p2}, TicketOpened{p4}};
  p.plan(batch);
  EXPECT_EQ(planned(batch),
            (std::vector<std::string>{"jira:INC-000001:create", "chat:INC-000001:notify",
                                      "chat:INC-000002:notify"}));
  // Later: two events deduplicated, a note, a resolve; the backend's own
  // change is not sent back to it.
  Ticket later = p2;
  later.event_count = 3;
  later.status = TicketStatus::kResolved;
  Event e;
  e.message = "disk 99%";
  e.host = "db01";
  batch = {EventRecorded{e, now + 1s, Decision::kDeduplicated, "r", p2.key, ""},
           EventRecorded{e, now + 2s, Decision::kDeduplicated, "r", p2.key, ""},
           TimelineAdded{{p2.key, now + 3s, "user:alice", "note", "restarted it", "{}"}},
           status_change(later, "in_progress", "resolved", now + 4s), TicketUpdated{later}};
  p.plan(batch);
  EXPECT_EQ(planned(batch),
            (std::vector<std::string>{"jira:INC-000001:comment", "jira:INC-000001:resolve",
                                      "chat:INC-000001:notify", "jira:INC-000001:occurrences"}));
  const auto& occ = std::get<OutboxQueued>(batch.back());
  EXPECT_EQ(occ.count, 2);
  EXPECT_EQ(occ.not_before, now + 2s + 5min);
  EXPECT_EQ(occ.only, OutboxQueued::Only::kLinked);
  // Resolved by jira itself: nothing goes back to jira.
  batch = {status_change(later, "in_progress", "resolved", now, "backend:jira"),
           TicketUpdated{later}};
  p.plan(batch);
  EXPECT_EQ(planned(batch), (std::vector<std::string>{"chat:INC-000001:notify"}));
}

// A connector in memory: remote tickets by correlation key, and every call.
class MemoryConnector final : public Connector {
 public:
  std::map<std::string, ExternalRef> remote;  // by corr
  std::vector<std::string> calls;
  std::optional<Failure> fail_next;
  int fail_count = 0;

  std::optional<Failure> failing() {
    if (fail_count > 0 && fail_next) {
      --fail_count;
      return fail_next;
    }
    return std::nullopt;
  }
  Outcome<std::optional<ExternalRef>> find(const std::string& corr) override {
    calls.push_back("find " + corr);
    if (auto f = failing()) return *f;
    auto it = remote.find(corr);
    if (it == remote.end()) return std::optional<ExternalRef>();
    return std::optional<ExternalRef>(it->second);
  }
  bool throw_next = false;
  Outcome<ExternalRef> create(const Ticket& t, const std::string& corr) override {
    calls.push_back("create " + t.key);
    if (std::exchange(throw_next, false)) throw std::runtime_error("[json.exception.type_error]");
    if (auto f = failing()) return *f;
    ExternalRef r{"", std::to_string(100 + remote.size()),
                  "OPS-" + std::to_string(remote.size() + 1), ""};
    remote[corr] = r;
    return r;
  }
  Sent comment(const ExternalRef& r, const Ticket&, const std::string& text) override {
    calls.push_back("comment " + r.key + " " + text);
    if (auto f = failing()) return *f;
    return sent();
  }
  Sent update(const ExternalRef& r, const Ticket& t) override {
    calls.push_back("update " + r.key + " " + priority_name(t.priority));
    if (auto f = failing()) return *f;
    return sent();
  }
  Sent transition(const ExternalRef& r, const Ticket&, RemoteState s, const std::string&) override {
    calls.push_back(std::string(remote_state_name(s)) + " " + r.key);
    if (auto f = failing()) return *f;
    return sent();
  }
};

class OutboxTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("ticketd-outbox-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    store::SqliteOptions o;
    o.path = (dir_ / "t.db").string();
    o.sync_full = false;
    auto s = store::open_sqlite_store(o);
    ASSERT_TRUE(s) << s.error().message();
    store_ = std::move(s).value();
    OutboxOptions opts;
    opts.breaker_failures = 3;
    outbox_ = std::make_unique<Outbox>(*store_, clock_, opts);
    auto conn = std::make_unique<MemoryConnector>();
    mem_ = conn.get();
    BackendConfig c;
    c.name = "jira";
    c.kind = "memory";
    outbox_->add_backend(c, make_curl_client({}), std::move(conn));
    planner_ = Planner({backend("jira")});
  }
  void TearDown() override {
    outbox_.reset();
    store_.reset();
    fs::remove_all(dir_);
  }
  // Commits a batch with the entries the planner adds, as the pipeline does.
  void commit(Actions batch) {
    planner_.plan(batch);
    Status s = store_->apply(batch);
    ASSERT_TRUE(s) << s.message();
  }
  size_t queued() { return store_->outbox_list({})->size(); }

  fs::path dir_;
  ManualClock clock_{from_unix_ms(1'800'000'000'000)};
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<Outbox> outbox_;
  MemoryConnector* mem_ = nullptr;
  Planner planner_;
};

TEST_F(OutboxTest, ChangesReachTheBackendOnceAndInOrder) {
  const Ticket t = incident(1, Priority::kP2, clock_.now());
  commit({TicketOpened{t}});
  Ticket resolved = t;
  resolved.status = TicketStatus::kResolved;
  commit({TimelineAdded{{t.key, clock_.now(), "user:bob", "note", "fixed the mount", "{}"}},
          status_change(resolved, "new", "resolved", clock_.now()), TicketUpdated{resolved}});
  EXPECT_EQ(outbox_->drain("jira"), 1);  // one per ticket per round: the create first
  EXPECT_EQ(outbox_->drain("jira"), 1);
  EXPECT_EQ(outbox_->drain("jira"), 1);
  EXPECT_EQ(outbox_->drain("jira"), 0);
  EXPECT_EQ(mem_->calls,
            (std::vector<std::string>{"create INC-000001", "comment OPS-1 bob: fixed the mount",
                                      "resolved OPS-1"}));
  auto got = store_->get_ticket(t.key);
  ASSERT_TRUE(got && *got);
  ASSERT_EQ((*got)->external.size(), 1u);
  EXPECT_EQ((*got)->external[0].key, "OPS-1");
  auto tl = store_->timeline(t.key);
  ASSERT_EQ(tl->size(), 5u);  // note, status, and three sync entries
  EXPECT_EQ((*tl)[2].message, "jira: created OPS-1");
  EXPECT_EQ((*tl)[4].message, "jira: resolved OPS-1");
  EXPECT_EQ(queued(), 0u);
}

TEST_F(OutboxTest, ADeadBackendIsRetriedWithBackoffThenEverythingArrivesOnce) {
  commit({TicketOpened{incident(1, Priority::kP2, clock_.now())}});
  commit({TicketOpened{incident(2, Priority::kP2, clock_.now())}});
  mem_->fail_next = Failure{Failure::Kind::kTransient, "HTTP 503", std::nullopt, 503};
  mem_->fail_count = 3;
  EXPECT_EQ(outbox_->drain("jira"), 0);  // first failure ends the round
  EXPECT_EQ(queued(), 2u);
  auto e = store_->outbox_list({});
  EXPECT_EQ((*e)[0].last_error, "HTTP 503");
  EXPECT_GT((*e)[0].next_at, clock_.now());  // backed off
  EXPECT_EQ(outbox_->drain("jira"), 0);      // ticket 1 waits; ticket 2 tried, fails
  clock_.advance(10s);
  EXPECT_EQ(outbox_->drain("jira"), 0);  // third failure: the breaker opens
  EXPECT_TRUE(outbox_->snapshot()[0].breaker_open);
  clock_.advance(1s);
  EXPECT_EQ(outbox_->drain("jira"), 0);  // open: nothing is tried
  const size_t calls = mem_->calls.size();
  EXPECT_EQ(mem_->calls.size(), calls);
  clock_.advance(10min);
  EXPECT_EQ(outbox_->drain("jira"), 2);
  EXPECT_FALSE(outbox_->snapshot()[0].breaker_open);
  EXPECT_EQ(queued(), 0u);
  EXPECT_EQ(mem_->remote.size(), 2u);  // one remote ticket each, however many tries
}

TEST_F(OutboxTest, ARetriedCreateFindsTheRemoteTicketInsteadOfDuplicatingIt) {
  const Ticket t = incident(1, Priority::kP2, clock_.now());
  commit({TicketOpened{t}});
  // A crash between the remote create and the local commit: the send was
  // counted as started, the backend created the ticket, nothing recorded.
  const int64_t id = (*store_->outbox_list({}))[0].id;
  ASSERT_TRUE(store_->outbox_started({id}));
  mem_->remote["ticketd-inc-000001"] = ExternalRef{"", "100", "OPS-1", ""};
  // Started before this outbox existed: that send may still be in flight at
  // the backend, so nothing is looked up until it would have timed out.
  EXPECT_EQ(outbox_->drain("jira"), 0);
  EXPECT_TRUE(mem_->calls.empty());
  clock_.advance(BackendConfig{}.timeout);
  EXPECT_EQ(outbox_->drain("jira"), 1);
  EXPECT_EQ(mem_->calls, (std::vector<std::string>{"find ticketd-inc-000001"}));
  EXPECT_EQ(mem_->remote.size(), 1u);
  EXPECT_EQ((*store_->external_ref("jira", t.key))->id, "100");
}

TEST_F(OutboxTest, ARefusedEntryIsHeldAndStopsOnlyItsTicket) {
  const Ticket a = incident(1, Priority::kP2, clock_.now());
  const Ticket b = incident(2, Priority::kP2, clock_.now());
  commit({TicketOpened{a}});
  mem_->fail_next = rejected("HTTP 400: project OPS does not exist");
  mem_->fail_count = 1;
  commit({TicketOpened{b}});
  EXPECT_EQ(outbox_->drain("jira"), 1);  // a refused and held; b created
  auto held = store_->outbox_list({"", "", true, 100, 0});
  ASSERT_EQ(held->size(), 1u);
  EXPECT_EQ((*held)[0].ticket_key, "INC-000001");
  EXPECT_NE((*held)[0].last_error.find("does not exist"), std::string::npos);
  EXPECT_EQ(outbox_->snapshot()[0].held, 1u);
  clock_.advance(1h);
  EXPECT_EQ(outbox_->drain("jira"), 0);  // held stays held
  ASSERT_TRUE(*outbox_->retry((*held)[0].id));
  EXPECT_EQ(outbox_->drain("jira"), 1);
  EXPECT_EQ(queued(), 0u);
}

TEST_F(OutboxTest, AConnectorThatThrowsHoldsTheEntryAndTheWorkerGoesOn) {
  commit({TicketOpened{incident(1, Priority::kP2, clock_.now())}});
  commit({TicketOpened{incident(2, Priority::kP2, clock_.now())}});
  mem_->throw_next = true;
  EXPECT_EQ(outbox_->drain("jira"), 1);  // ticket 1 held, ticket 2 created
  auto held = store_->outbox_list({"", "", true, 100, 0});
  ASSERT_EQ(held->size(), 1u);
  EXPECT_NE((*held)[0].last_error.find("unexpected answer"), std::string::npos);
}

TEST_F(OutboxTest, RetryAfterPausesTheTarget) {
  commit({TicketOpened{incident(1, Priority::kP2, clock_.now())}});
  commit({TicketOpened{incident(2, Priority::kP2, clock_.now())}});
  mem_->fail_next = Failure{Failure::Kind::kThrottled, "HTTP 429", std::chrono::seconds(30), 429};
  mem_->fail_count = 1;
  EXPECT_EQ(outbox_->drain("jira"), 0);
  const size_t calls = mem_->calls.size();
  clock_.advance(29s);
  EXPECT_EQ(outbox_->drain("jira"), 0);
  EXPECT_EQ(mem_->calls.size(), calls);  // nothing sent while told to wait
  clock_.advance(1s);
  EXPECT_EQ(outbox_->drain("jira"), 2);
}

TEST_F(OutboxTest, AHugeRetryAfterIsCappedAndAnOperatorRetryLiftsIt) {
  commit({TicketOpened{incident(1, Priority::kP2, clock_.now())}});
  mem_->fail_next =
      Failure{Failure::Kind::kThrottled, "HTTP 429", std::chrono::seconds(999999999), 429};
  mem_->fail_count = 1;
  EXPECT_EQ(outbox_->drain("jira"), 0);
  EXPECT_TRUE(outbox_->snapshot()[0].throttled);
  const auto e = (*store_->outbox_list({}))[0];
  EXPECT_LE(e.next_at, clock_.now() + 1h);  // honoured up to an hour, not 32 years
  clock_.advance(59min);
  EXPECT_EQ(outbox_->drain("jira"), 0);
  ASSERT_TRUE(*outbox_->retry(e.id));  // the operator: send it now
  EXPECT_EQ(outbox_->drain("jira"), 1);
  EXPECT_FALSE(outbox_->snapshot()[0].throttled);
}

TEST_F(OutboxTest, SendsARoundDidNotMakeAreNotCounted) {
  commit({TicketOpened{incident(1, Priority::kP2, clock_.now())}});
  commit({TicketOpened{incident(2, Priority::kP2, clock_.now())}});
  mem_->fail_next = Failure{Failure::Kind::kTransient, "HTTP 503", std::nullopt, 503};
  mem_->fail_count = 1;
  EXPECT_EQ(outbox_->drain("jira"), 0);
  const auto all = *store_->outbox_list({});
  EXPECT_EQ(all[0].attempts, 1);
  EXPECT_EQ(all[1].attempts, 0);  // never tried: not counted
}

TEST_F(OutboxTest, OccurrencesAreCoalescedIntoOneCommentPerInterval) {
  const Ticket t = incident(1, Priority::kP2, clock_.now());
  commit({TicketOpened{t}});
  EXPECT_EQ(outbox_->drain("jira"), 1);
  Event e;
  e.message = "disk 99%";
  e.host = "db01";
  for (int i = 0; i < 10; ++i) {
    Ticket u = t;
    u.event_count = 2 + i;
    commit({EventRecorded{e, clock_.now(), Decision::kDeduplicated, "r", t.key, ""},
            TicketUpdated{u, true}});
    clock_.advance(1s);
  }
  EXPECT_EQ(queued(), 1u);
  EXPECT_EQ(outbox_->drain("jira"), 0);  // within the interval
  clock_.advance(5min);
  EXPECT_EQ(outbox_->drain("jira"), 1);
  ASSERT_EQ(mem_->calls.size(), 2u);
  EXPECT_EQ(mem_->calls[1].rfind("comment OPS-1 10 more occurrences (total 11)", 0), 0u)
      << mem_->calls[1];
}

TEST(OutboxNotifications, AWebhookTargetGetsTheTemplatedMessageOnTheTimeline) {
  FakeServer fake("webhook");
  const fs::path dir = fs::temp_directory_path() / ("ticketd-notify-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  store::SqliteOptions o;
  o.path = (dir / "t.db").string();
  o.sync_full = false;
  auto st = store::open_sqlite_store(o);
  ASSERT_TRUE(st);
  ManualClock clock(from_unix_ms(1'800'000'000'000));
  {
    Outbox outbox(**st, clock);
    BackendConfig c;
    c.name = "chat";
    c.kind = "webhook";
    c.url = fake.url() + "/hooks/T000";
    c.settings = {{"body", {{"text", "{{ message }}"}, {"priority", "{{ priority }}"}}}};
    auto http = make_curl_client({});
    auto n = make_notifier(c, *http);
    ASSERT_TRUE(n) << n.error().message();
    outbox.add_notifier(c, std::move(http), std::move(n).value());
    Planner planner({Route{"chat", false, {}, {}, {"opened"}}});
    Actions batch = {TicketOpened{incident(1, Priority::kP1, clock.now())}};
    planner.plan(batch);
    ASSERT_TRUE((*st)->apply(batch));
    EXPECT_EQ(outbox.drain("chat"), 1);
  }
  const auto reqs = fake.requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0]["path"], "/hooks/T000");
  EXPECT_EQ(reqs[0]["json"]["text"], "Opened INC-000001 (P1): Disk full 1");
  EXPECT_EQ(reqs[0]["json"]["priority"], "P1");
  auto tl = (*st)->timeline("INC-000001");
  ASSERT_EQ(tl->size(), 1u);
  EXPECT_EQ((*tl)[0].kind, "notification");
  st->reset();
  fs::remove_all(dir);
}

}  // namespace
}  // namespace ticketd::connectors
