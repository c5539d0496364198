// The pipeline's promises with a real SQLite store whose commits fail on
// demand (a wrapper that refuses chosen apply() calls, as a full disk or an
// engine bug would): while the engine decides one batch and the committer
// writes the one before, a failed commit must lose nothing acknowledged,
// store nothing twice, and leave the engine in step with the store.
#include "daemon/pipeline.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <mutex>
#include <set>
#include <thread>

#include "ticketd/rules/rule_set.hpp"
#include "ticketd/store/store.hpp"

namespace ticketd::daemon {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

// Forwards to a real store; apply() calls listed in `fail_calls` fail
// (io_error, or conflict for those in `conflict_calls`) without writing.
class FailingStore final : public store::Store {
 public:
  explicit FailingStore(std::unique_ptr<store::Store> real) : real_(std::move(real)) {}
  std::set<int> fail_calls, conflict_calls;
  std::atomic<int> calls{0};

  Status apply(const Actions& actions) override {
    const int n = ++calls;
    if (conflict_calls.count(n)) return Status::conflict("injected conflict");
    if (fail_calls.count(n)) return Status::io_error("injected: disk full");
    std::this_thread::sleep_for(1ms);  // a commit takes a while, so batches overlap
    return real_->apply(actions);
  }
  Result<StoredState> load_state() override { return real_->load_state(); }
  Result<std::optional<Ticket>> get_ticket(const std::string& key) override {
    return real_->get_ticket(key);
  }
  Result<store::TicketPage> list_tickets(const store::TicketQuery& q) override {
    return real_->list_tickets(q);
  }
  Result<std::vector<TimelineEntry>> timeline(const std::string& key) override {
    return real_->timeline(key);
  }
  Result<std::vector<store::StoredEvent>> ticket_events(const std::string& key,
                                                        int limit) override {
    return real_->ticket_events(key, limit);
  }
  Result<std::vector<std::string>> list_silences() override { return real_->list_silences(); }
  Result<store::StoreStats> stats() override { return real_->stats(); }
  Result<std::vector<store::SimilarTicket>> similar(const Ticket& t,
                                                    const store::SimilarQuery& q) override {
    return real_->similar(t, q);
  }
  Result<store::Trends> trends(const store::TrendsQuery& q) override { return real_->trends(q); }
  Result<std::vector<store::StoredEvent>> recent_events(TimePoint since, int limit) override {
    return real_->recent_events(since, limit);
  }
  Result<std::map<std::string, std::vector<store::StoredEvent>>> latest_ticket_events(
      const std::vector<std::string>& keys, int per_ticket) override {
    return real_->latest_ticket_events(keys, per_ticket);
  }
  Result<store::EventPage> list_events(const store::EventQuery& q) override {
    return real_->list_events(q);
  }
  Result<int64_t> prune_events(TimePoint cutoff) override { return real_->prune_events(cutoff); }
  Result<std::vector<store::OutboxEntry>> outbox_due(const std::string& target, TimePoint now,
                                                     int limit) override {
    return real_->outbox_due(target, now, limit);
  }
  Status outbox_started(const std::vector<int64_t>& ids) override {
    return real_->outbox_started(ids);
  }
  Status outbox_not_started(const std::vector<int64_t>& ids) override {
    return real_->outbox_not_started(ids);
  }
  Result<int64_t> outbox_release(const std::string& target, TimePoint now) override {
    return real_->outbox_release(target, now);
  }
  Status outbox_done(int64_t id, const std::optional<ExternalRef>& remote,
                     const std::optional<TimelineEntry>& entry) override {
    return real_->outbox_done(id, remote, entry);
  }
  Status outbox_defer(int64_t id, TimePoint next_at, const std::string& error, bool hold) override {
    return real_->outbox_defer(id, next_at, error, hold);
  }
  Result<std::vector<store::OutboxEntry>> outbox_list(const store::OutboxQuery& q) override {
    return real_->outbox_list(q);
  }
  Result<bool> outbox_retry(int64_t id, TimePoint now) override {
    return real_->outbox_retry(id, now);
  }
  Result<bool> outbox_drop(int64_t id) override { return real_->outbox_drop(id); }
  Result<std::map<std::string, store::OutboxDepth>> outbox_depth() override {
    return real_->outbox_depth();
  }
  Result<std::optional<ExternalRef>> external_ref(const std::string& target,
                                                  const std::string& key) override {
    return real_->external_ref(target, key);
  }
  Result<std::optional<std::string>> ticket_for_remote(const std::string& target,
                                                       const std::string& remote_id) override {
    return real_->ticket_for_remote(target, remote_id);
  }

 private:
  std::unique_ptr<store::Store> real_;
};

class PipelineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("ticketd-pipeline-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    auto real = store::open_sqlite_store({(dir_ / "t.db").string()});
    ASSERT_TRUE(real) << real.error().message();
    store_ = std::make_unique<FailingStore>(std::move(real).value());
    auto loaded = rules::load_rules_from_string(R"(
rules:
  - name: disk
    match: { message: "~disk full" }
    fingerprint: "{{ host }}"
)",
                                                "test.yaml");
    ASSERT_TRUE(loaded.ok());
    rules_ = loaded.rules;
  }
  void TearDown() override {
    store_.reset();
    fs::remove_all(dir_);
  }

  static Event event(int host) {  // one alert per host
    Event e;
    e.source = "syslog";
    e.host = "h" + std::to_string(host);
    e.message = "disk full";
    return e;
  }

  // What the store holds: one ticket per host, each counting exactly the
  // events stored for it (nothing counted that is not stored, nothing stored
  // twice); returns the number of events stored.
  int64_t stored_events() {
    store::TicketQuery all;
    all.limit = 1000;
    auto page = store_->list_tickets(all);
    EXPECT_TRUE(page);
    if (!page) return -1;
    int64_t total = 0;
    std::set<std::string> fingerprints;
    for (const Ticket& t : page->tickets) {
      EXPECT_TRUE(fingerprints.insert(t.fingerprint).second) << "two tickets for " << t.fingerprint;
      auto events = store_->ticket_events(t.key, 10000);
      EXPECT_TRUE(events);
      if (!events) return -1;
      EXPECT_EQ(t.event_count, static_cast<int64_t>(events->size())) << t.key;
      total += static_cast<int64_t>(events->size());
    }
    return total;
  }

  // Submits `n` submissions of 5 events over 7 hosts: even ones like syslog
  // (no completion: kept and offered again until taken), odd ones like HTTP
  // requests (answered; a refusal is final, the client would retry).
  void load(Pipeline& p, int n) {
    for (int i = 0; i < n; ++i) {
      std::vector<Event> events;
      for (int k = 0; k < 5; ++k) events.push_back(event((i * 5 + k) % 7));
      if (i % 2 == 0) {
        while (!p.try_submit(std::move(events), nullptr)) std::this_thread::sleep_for(2ms);
        syslog_ += 5;
      } else if (!p.try_submit(std::move(events),
                               [this](const Status& s) { (s ? acked_ : refused_) += 5; })) {
        refused_ += 5;
      }
    }
  }

  static Pipeline::Options small_batches() {
    Pipeline::Options o;
    o.capacity = 100000;
    o.batch_max = 20;
    return o;
  }

  fs::path dir_;
  std::unique_ptr<FailingStore> store_;
  std::shared_ptr<const rules::RuleSet> rules_;
  ManualClock clock_{from_unix_ms(1'800'000'000'000)};
  int syslog_ = 0;
  std::atomic<int> acked_{0}, refused_{0};
};

TEST_F(PipelineTest, EverythingIsStoredOnceWithoutFailures) {
  {
    Pipeline p(engine::Engine(rules_), *store_, clock_, small_batches());
    p.start();
    load(p, 200);
    p.stop();
  }
  EXPECT_EQ(refused_, 0);
  EXPECT_EQ(acked_ + syslog_, 1000);
  EXPECT_EQ(stored_events(), 1000);
  EXPECT_GT(store_->calls, 10);  // many batches, so commits overlapped the engine
}

// Commits fail while the engine has already decided the next batch: that
// batch is run again by the rebuilt engine (or answered 503), so the store
// and the engine never disagree and nothing acknowledged is missing.
TEST_F(PipelineTest, FailedCommitsLoseNothingAcknowledgedAndStoreNothingTwice) {
  store_->fail_calls = {3, 4, 12};  // a disk-full streak, then one more
  store_->conflict_calls = {8};     // an engine bug's batch
  {
    Pipeline p(engine::Engine(rules_), *store_, clock_, small_batches());
    p.start();
    load(p, 300);
    p.stop();
    EXPECT_EQ(p.stats().store_failures, 4u);
  }
  EXPECT_GT(refused_, 0);  // requests in the failed batches were answered 503
  EXPECT_EQ(acked_ + refused_ + syslog_, 1500);
  EXPECT_EQ(stored_events(), acked_ + syslog_);

  // The engine restarted from this store carries on where it stopped.
  auto state = store_->load_state();
  ASSERT_TRUE(state);
  engine::Engine restored(rules_);
  ASSERT_TRUE(restored.restore(*state));
  const int before = acked_ + syslog_;
  {
    Pipeline p(std::move(restored), *store_, clock_, {});
    p.start();
    std::vector<Event> events;
    for (int h = 0; h < 7; ++h) events.push_back(event(h));
    ASSERT_TRUE(p.try_submit(std::move(events), nullptr));
    p.stop();
  }
  EXPECT_EQ(stored_events(), before + 7);
  auto page = store_->list_tickets({});
  ASSERT_TRUE(page);
  EXPECT_EQ(page->tickets.size(), 7u);  // deduplicated into the same tickets
}

}  // namespace
}  // namespace ticketd::daemon
