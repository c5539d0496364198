// Pipeline: the single owner of the engine and the store writer.
//
// Sources submit batches of events with try_submit(); the API submits
// commands (silences, explain) with try_command(). The worker thread takes
// them from a bounded queue, runs the engine and ticks its timers; the
// committer thread commits the resulting actions in one store transaction
// per batch and only then calls each submission's completion (so an HTTP 202
// means "durable"). The two form a two-stage pipeline: the engine decides
// batch N+1 while batch N commits, never further ahead. The correlation state
// records a batch changed are written in its transaction.
//
// When a commit fails (disk full, I/O error) the engine is rebuilt from the
// store; the batch decided meanwhile is dropped and its submissions go back
// to the queue's front. Submissions that have a completion are answered
// `unavailable` (the HTTP client retries on 503), and those without one
// (syslog) are kept and retried: nothing read is lost. Until a commit
// succeeds again the store is unhealthy: try_submit() refuses (TCP listeners
// stop reading, UDP drops and counts, HTTP answers 503) and the worker
// retries with a growing backoff, one commit at a time.
// try_submit(), try_command(), reload() and the counters are thread-safe;
// the engine is touched only by the worker.
#pragma once

#include <array>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>

#include "ticketd/api/intake.hpp"
#include "ticketd/core/clock.hpp"
#include "ticketd/engine/engine.hpp"
#include "ticketd/store/store.hpp"

namespace ticketd::daemon {

struct PipelineStats {
  std::atomic<uint64_t> events_accepted{0};
  std::atomic<uint64_t> events_rejected_full{
      0};  // refused to requests (503): queue full, store down, stopping
  std::atomic<uint64_t> events_rejected_store{0};  // of which: the store could not commit
  std::atomic<uint64_t> events_retried{0};  // queued syslog events re-run after a failed commit
  std::atomic<uint64_t> events_processed{0};
  std::array<std::atomic<uint64_t>, 10> decisions{};  // by engine::Decision
  std::atomic<uint64_t> tickets_opened{0};
  std::atomic<uint64_t> notifications{0};
  std::atomic<uint64_t> store_failures{0};
  std::atomic<uint64_t> queue_depth{0};
  std::atomic<uint64_t> commits{0};        // successful store transactions (batches)
  std::atomic<uint64_t> commit_micros{0};  // time spent in them
  std::atomic<uint64_t> engine_micros{0};  // time the engine spent deciding batches
};

class Pipeline final : public api::Intake {
 public:
  struct Options {
    size_t capacity = 10000;  // queued events
    size_t batch_max = 4096;  // at most, per transaction
    Duration event_retention = std::chrono::hours(24 * 7);
    // Appends to each decided batch what its actions call for beyond the
    // store (the outbox planner's entries), committed in the same
    // transaction. Runs on the worker.
    std::function<void(engine::Actions&)> plan;
    // After a commit that queued outbox entries (wakes the outbox workers).
    std::function<void()> outbox_queued;
  };

  Pipeline(engine::Engine engine, store::Store& store, const Clock& clock, Options options);
  ~Pipeline() override;

  void start();
  // Stops taking submissions, processes everything queued, saves the
  // engine state, then joins.
  void stop();

  // Queues the events; `done` (may be empty) runs on the committer thread once
  // they are durable (ok) or failed. Returns unavailable when full or
  // stopping, and then leaves `events` untouched and never calls `done`.
  Status try_submit(std::vector<Event>&& events, Done done) override;
  // Queues a command; `reply` runs on the committer after its actions commit
  // (on the worker when they fail).
  Status try_command(Command command, Reply reply) override;
  // Swaps the rule set between two batches.
  void reload(std::shared_ptr<const rules::RuleSet> rules);

  Health health() const override;
  const PipelineStats& stats() const { return stats_; }
  // Snapshot of rule hit counts, refreshed after every batch.
  std::unordered_map<std::string, uint64_t> rule_hits() const;
  size_t open_tickets() const { return open_tickets_.load(); }
  // False from a failed commit until the next successful one.
  bool store_healthy() const { return store_healthy_.load(); }
  // False once stop() began.
  bool accepting() const {
    std::lock_guard lock(mu_);
    return !stopping_;
  }

 private:
  struct Submission {
    std::vector<Event> events;
    Done done;
    Command command;
    Reply reply;
    int attempts = 0;  // re-runs after a conflicting commit
  };
  // A batch the engine has decided, on its way to the store.
  struct Pending {
    std::deque<Submission> batch;
    engine::Actions actions;
    std::vector<Result<nlohmann::json>> replies;  // one per command, in order
    uint64_t events = 0;
    bool probe = false;
    size_t open_tickets = 0;
    std::unordered_map<std::string, uint64_t> hits;
  };
  void run();
  // Runs the engine over `batch` and hands the actions to the committer.
  // `probe`: the store failed before; write even with nothing else to write.
  void process(std::deque<Submission>& batch, bool probe);
  // Waits until no commit is in flight. After a failed one: puts `unsent`
  // (decided by the engine that ran ahead) back at the queue's front,
  // handles the failure and returns false.
  bool settle(std::deque<Submission>* unsent);
  // settle(nullptr) for the loop outside process(): an exception is logged.
  bool settle_guarded();
  void commit_loop();                            // the committer thread
  void on_committed(Pending& p);                 // committer: stats, answers
  void on_commit_failed(Pending& p, Status st);  // worker: rebuild, retry, answer
  // After a failed commit: rebuild the engine from the store.
  void rebuild_engine();

  engine::Engine engine_;
  store::Store& store_;
  const Clock& clock_;
  Options options_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Submission> queue_;
  size_t queued_events_ = 0;
  std::shared_ptr<const rules::RuleSet> pending_rules_;
  bool stopping_ = false;
  std::thread worker_;
  // Events without a completion whose commit failed, retried first.
  std::deque<Submission> retry_;
  std::atomic<bool> store_healthy_{true};
  Duration retry_backoff_{};
  bool probe_written_ = false;  // the last commit wrote the probe record

  // The committer: the engine decides batch N+1 while batch N commits (two
  // cores, two stages). At most one batch waits or commits at a time.
  std::thread committer_;
  std::mutex commit_mu_;
  std::condition_variable commit_cv_;
  std::optional<Pending> commit_slot_;    // handed over, not yet taken
  bool commit_busy_ = false;              // handed over and not finished
  std::optional<Pending> commit_failed_;  // finished with commit_status_ != ok
  Status commit_status_;
  std::atomic<bool> commit_failed_flag_{false};
  bool commit_stop_ = false;

  PipelineStats stats_;
  std::atomic<size_t> open_tickets_{0};
  mutable std::mutex hits_mu_;
  std::unordered_map<std::string, uint64_t> hits_;
};

}  // namespace ticketd::daemon
