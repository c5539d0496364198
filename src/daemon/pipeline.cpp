#include "pipeline.hpp"

#include <spdlog/spdlog.h>

namespace ticketd::daemon {

namespace {
constexpr size_t kMaxQueuedCommands = 1000;
// Retries after a failed commit: the first soon, then doubling up to the max.
constexpr Duration kRetryFirst = std::chrono::milliseconds(250);
constexpr Duration kRetryMax = std::chrono::seconds(5);
// Attempts at shutdown while the store is still failing, before giving up.
constexpr int kStopAttempts = 3;
constexpr Duration kStopRetryEvery = std::chrono::milliseconds(500);
}  // namespace

Pipeline::Pipeline(engine::Engine engine, store::Store& store, const Clock& clock, Options options)
    : engine_(std::move(engine)), store_(store), clock_(clock), options_(options) {}

Pipeline::~Pipeline() { stop(); }

void Pipeline::start() {
  engine_.set_batch_mode(true);
  open_tickets_ = engine_.open_ticket_count();
  committer_ = std::thread([this] { commit_loop(); });
  worker_ = std::thread([this] { run(); });
}

void Pipeline::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (worker_.joinable()) worker_.join();
  {
    std::lock_guard lock(commit_mu_);
    commit_stop_ = true;
  }
  commit_cv_.notify_all();
  if (committer_.joinable()) committer_.join();
}

Status Pipeline::try_submit(std::vector<Event>&& events, Done done) {
  const size_t n = events.size();
  {
    std::lock_guard lock(mu_);
    // Refusals are counted once per refused request. A submission without
    // a completion (syslog) is counted by its listener instead: UDP drops
    // it (ticketd_syslog_dropped_total), TCP keeps it and offers it again.
    auto refuse = [&](Status st, bool store) {
      if (done) {
        stats_.events_rejected_full += n;
        if (store) stats_.events_rejected_store += n;
      }
      return st;
    };
    if (stopping_) return refuse(Status::unavailable("ticketd is shutting down"), false);
    if (!store_healthy_)
      return refuse(Status::unavailable("store unavailable: not accepted, retry later"), true);
    // A batch larger than the whole queue is still admitted into an empty
    // queue, so one big valid request can never be refused forever.
    if (queued_events_ > 0 && queued_events_ + n > options_.capacity) {
      return refuse(Status::unavailable("event queue is full (" +
                                        std::to_string(options_.capacity) + " events)"),
                    false);
    }
    queued_events_ += n;
    stats_.queue_depth = queued_events_;
    queue_.push_back({std::move(events), std::move(done), nullptr, nullptr});
  }
  stats_.events_accepted += n;
  cv_.notify_one();
  return Status::ok();
}

api::Intake::Health Pipeline::health() const {
  Health h;
  h.accepting = accepting();
  h.store_healthy = store_healthy();
  h.queue_depth = stats_.queue_depth.load();
  h.store_failures = stats_.store_failures.load();
  h.open_tickets = open_tickets();
  return h;
}

Status Pipeline::try_command(Command command, Reply reply) {
  {
    std::lock_guard lock(mu_);
    if (stopping_) return Status::unavailable("ticketd is shutting down");
    if (!store_healthy_) return Status::unavailable("store unavailable: not accepted, retry later");
    if (queue_.size() > options_.capacity + kMaxQueuedCommands)
      return Status::unavailable("command queue is full");
    queue_.push_back({{}, nullptr, std::move(command), std::move(reply)});
  }
  cv_.notify_one();
  return Status::ok();
}

void Pipeline::reload(std::shared_ptr<const rules::RuleSet> rules) {
  {
    std::lock_guard lock(mu_);
    pending_rules_ = std::move(rules);
  }
  cv_.notify_one();
}

std::unordered_map<std::string, uint64_t> Pipeline::rule_hits() const {
  std::lock_guard lock(hits_mu_);
  return hits_;
}

void Pipeline::run() {
  TimePoint last_prune{};
  int stop_attempts = 0;
  for (;;) {
    if (commit_failed_flag_) settle_guarded();  // rebuilds the engine, answers or keeps that batch
    std::deque<Submission> batch;
    std::shared_ptr<const rules::RuleSet> new_rules;
    bool stopping = false;
    const bool healthy = store_healthy_;
    {
      std::unique_lock lock(mu_);
      if (healthy) {
        cv_.wait_for(lock, std::chrono::seconds(1), [this] {
          return stopping_ || !queue_.empty() || !retry_.empty() || pending_rules_ ||
                 commit_failed_flag_;
        });
      } else {
        // Retry after the backoff (shorter once stopping); new submissions
        // are refused meanwhile, so the queue is empty.
        if (stopping_) {
          cv_.wait_for(lock, std::min<Duration>(retry_backoff_, kStopRetryEvery));
        } else {
          cv_.wait_for(lock, retry_backoff_, [this] { return stopping_; });
        }
      }
      // Kept events first (they are older), then the queue; in batches, so
      // a retry fits wherever a batch fits.
      size_t taken = 0;
      auto take_from = [&](std::deque<Submission>& from) {
        while (!from.empty() &&
               (taken == 0 || taken + from.front().events.size() <= options_.batch_max)) {
          taken += from.front().events.size();
          batch.push_back(std::move(from.front()));
          from.pop_front();
        }
      };
      take_from(retry_);
      if (healthy) {
        const size_t before = taken;
        take_from(queue_);
        queued_events_ -= taken - before;
        stats_.queue_depth = queued_events_;
      }
      new_rules = std::move(pending_rules_);
      pending_rules_.reset();
      stopping = stopping_;
    }
    if (new_rules) {
      engine_.set_rules(std::move(new_rules));
      spdlog::info("rules: switched to the new rule set ({} rules)",
                   engine_.rules().rules().size());
    }
    try {
      process(batch, !healthy);
    } catch (const std::exception& e) {
      // Last resort: a bug must not kill the only engine thread.
      spdlog::error("pipeline: unexpected error: {}", e.what());
      for (auto& s : batch) {
        if (s.done) s.done(Status::internal("internal error while processing events"));
        if (s.reply) s.reply(Status::internal("internal error"));
      }
      // The engine may hold part of a batch that was never stored.
      settle_guarded();
      rebuild_engine();
    }
    const TimePoint now = clock_.now();
    if (store_healthy_ && now - last_prune > std::chrono::minutes(10)) {
      last_prune = now;
      // The batch in flight first (its events are older); not on a store that just failed.
      auto pruned = settle_guarded()
                        ? store_.prune_events(now - options_.event_retention)
                        : Result<int64_t>(Status::unavailable("the last commit failed"));
      if (!pruned) {
        spdlog::warn("store: pruning old events failed: {}", pruned.error().message());
      } else if (*pruned > 0) {
        spdlog::info("store: pruned {} events older than {}", *pruned,
                     format_duration(options_.event_retention));
      }
    }
    if (!stopping) continue;
    bool drained;
    {
      std::lock_guard lock(mu_);
      drained = queue_.empty() && retry_.empty();
    }
    if (drained) settle_guarded();  // the last commit, whose failure would refill the retries
    std::lock_guard lock(mu_);
    if (store_healthy_ && queue_.empty() && retry_.empty()) return;
    if (store_healthy_)
      stop_attempts = 0;  // attempts count while the store keeps failing, not over the whole stop
    if (!store_healthy_ && ++stop_attempts >= kStopAttempts) {
      size_t lost = 0;
      for (const auto& s : retry_) lost += s.events.size();
      stats_.events_rejected_full += lost;
      stats_.events_rejected_store += lost;
      spdlog::error(
          "store: still failing at shutdown after {} attempts; {} syslog events read were not "
          "stored",
          stop_attempts, lost);
      return;
    }
  }
}

void Pipeline::process(std::deque<Submission>& batch, bool probe) {
  Pending p;
  std::vector<Result<nlohmann::json>>& replies = p.replies;
  engine::Actions& actions = p.actions;
  auto take = [&](engine::Actions&& a) {
    for (auto& x : a) actions.push_back(std::move(x));
  };
  const int64_t engine_started = clock_.monotonic_ns();
  // Timers fire once per batch (a batch spans milliseconds), not per event.
  take(engine_.tick(clock_.now()));
  for (Submission& s : batch) {
    if (s.command) {
      replies.push_back(s.command(engine_, clock_.now(), actions));
      continue;
    }
    for (const Event& e : s.events) {
      take(engine_.process(e, clock_.now()));
      ++p.events;
    }
  }
  take(engine_.flush_updates());
  if (options_.plan) options_.plan(actions);
  const TimePoint now = clock_.now();
  // The correlation state records this batch changed, in its transaction:
  // after any crash the stored state matches the stored tickets and events.
  // A probe (retrying a failed store with nothing else to write) writes one
  // record, so that success means the store takes writes again.
  engine::StateChanged changed = engine_.take_state_changes();
  if (probe) {
    changed.records.push_back({"probe", std::to_string(to_unix_ms(now))});
  } else if (probe_written_) {
    changed.records.push_back(
        {"probe", std::nullopt});  // the probe's record leaves with the next batch
    probe_written_ = false;
  }
  if (!changed.records.empty()) actions.push_back(std::move(changed));
  if (actions.empty() && batch.empty()) return;
  stats_.engine_micros += static_cast<uint64_t>((clock_.monotonic_ns() - engine_started) / 1000);
  p.probe = probe;
  p.open_tickets = engine_.open_ticket_count();
  p.hits = engine_.rule_hits();
  p.batch = std::move(batch);
  batch.clear();

  // The previous batch is still committing: wait for it. If it failed, this
  // batch was decided by an engine that ran ahead of the store, so its
  // actions are dropped and its submissions go back to the queue's front,
  // to be run again by the rebuilt engine (or answered 503).
  if (!settle(&p.batch)) return;
  {
    std::lock_guard lock(commit_mu_);
    commit_slot_ = std::move(p);
    commit_busy_ = true;
  }
  commit_cv_.notify_all();
  if (probe) {
    // Recovering: one commit at a time, and its outcome is known before the next.
    if (settle(nullptr)) probe_written_ = true;
  }
}

bool Pipeline::settle_guarded() {
  try {
    return settle(nullptr);
  } catch (const std::exception& e) {
    spdlog::error("pipeline: unexpected error while handling a failed commit: {}", e.what());
    rebuild_engine();
    return false;
  }
}

bool Pipeline::settle(std::deque<Submission>* unsent) {
  Pending failed;
  Status st;
  {
    std::unique_lock lock(commit_mu_);
    commit_cv_.wait(lock, [this] { return !commit_busy_; });
    if (!commit_failed_) return true;
    failed = std::move(*commit_failed_);
    st = commit_status_;
    commit_failed_.reset();
    commit_failed_flag_ = false;
  }
  if (unsent && !unsent->empty()) {
    std::lock_guard lock(mu_);
    for (auto it = unsent->rbegin(); it != unsent->rend(); ++it) {
      queued_events_ += it->events.size();
      queue_.push_front(std::move(*it));
    }
    stats_.queue_depth = queued_events_;
    unsent->clear();
  }
  on_commit_failed(failed, st);
  return false;
}

void Pipeline::commit_loop() {
  for (;;) {
    Pending p;
    {
      std::unique_lock lock(commit_mu_);
      commit_cv_.wait(lock, [this] { return commit_slot_.has_value() || commit_stop_; });
      if (!commit_slot_) return;
      p = std::move(*commit_slot_);
      commit_slot_.reset();
    }
    // Durations on the steady clock, not the injected one: metrics of this
    // process, not correlation time.
    const int64_t started = clock_.monotonic_ns();
    Status st;
    try {
      st = store_.apply(p.actions);
    } catch (const std::exception& e) {  // e.g. bad_alloc: a failed commit, handled as one
      st = Status::io_error(std::string("store: unexpected error: ") + e.what());
    }
    if (st) {
      ++stats_.commits;
      stats_.commit_micros += static_cast<uint64_t>((clock_.monotonic_ns() - started) / 1000);
      try {
        on_committed(p);
      } catch (const std::exception& e) {  // the batch is durable; only an answer failed
        spdlog::error("pipeline: answering a committed batch failed: {}", e.what());
      }
    }
    {
      std::lock_guard lock(commit_mu_);
      if (!st) {
        commit_failed_ = std::move(p);
        commit_status_ = st;
        commit_failed_flag_ = true;
      }
      commit_busy_ = false;
    }
    commit_cv_.notify_all();
    if (!st) {
      // The worker handles the failure now. Taking mu_ first means it is
      // either waiting (and woken) or has not yet read the flag.
      { std::lock_guard lock(mu_); }
      cv_.notify_all();
    }
  }
}

void Pipeline::on_committed(Pending& p) {
  if (!store_healthy_.exchange(true))
    spdlog::info("store: commits succeed again; accepting events");
  bool outbox = false;
  for (const auto& a : p.actions) {
    outbox = outbox || std::holds_alternative<engine::OutboxQueued>(a);
    if (const auto* rec = std::get_if<engine::EventRecorded>(&a)) {
      ++stats_.decisions[static_cast<size_t>(rec->decision)];
    } else if (std::holds_alternative<engine::TicketOpened>(a)) {
      ++stats_.tickets_opened;
    } else if (const auto* n = std::get_if<engine::Notify>(&a)) {
      ++stats_.notifications;
      spdlog::info("notify {}: {}", n->target, n->message);
    }
  }
  if (outbox && options_.outbox_queued) options_.outbox_queued();
  stats_.events_processed += p.events;
  open_tickets_ = p.open_tickets;
  {
    std::lock_guard lock(hits_mu_);
    hits_ = std::move(p.hits);
  }
  size_t r = 0;
  for (auto& s : p.batch) {
    if (s.done) s.done(Status::ok());
    if (s.reply) s.reply(std::move(p.replies[r]));
    if (s.command) ++r;
  }
}

void Pipeline::on_commit_failed(Pending& p, Status st) {
  std::deque<Submission>& batch = p.batch;
  const uint64_t events = p.events;
  const bool probe = p.probe;
  if (st.code() == StatusCode::kConflict) {
    // The batch broke a store constraint: an engine bug, not an outage. The
    // engine is rebuilt from what is durable, requests are answered 503 (a
    // retry meets the rebuilt engine), syslog events are run once more, and
    // dropped (counted, logged) if they conflict again. Ingestion goes on.
    ++stats_.store_failures;
    spdlog::error("store: commit of {} events refused: {}; rebuilding the engine from the store",
                  events, st.message());
    rebuild_engine();
    st = Status::unavailable("the batch conflicted with stored tickets; retry");
    std::deque<Submission> again;
    for (auto& s : batch) {
      if (s.done || s.command || s.events.empty()) continue;
      if (s.attempts++ == 0) {
        again.push_back(std::move(s));
        s.events.clear();
      } else {
        stats_.events_rejected_full += s.events.size();
        spdlog::error("store: dropping {} syslog events that conflicted twice", s.events.size());
      }
    }
    for (auto it = again.rbegin(); it != again.rend(); ++it) retry_.push_front(std::move(*it));
  } else {
    ++stats_.store_failures;
    spdlog::error("store: commit of {} events failed: {}", events, st.message());
    rebuild_engine();
    retry_backoff_ = probe ? std::min<Duration>(retry_backoff_ * 2, kRetryMax) : kRetryFirst;
    if (store_healthy_.exchange(false)) {
      spdlog::error(
          "store: unavailable; refusing new events (HTTP 503, TCP backpressure) and retrying every "
          "{} up to {}",
          format_duration(kRetryFirst), format_duration(kRetryMax));
    }
    st = Status::unavailable("store unavailable: not accepted, retry later");
    // Keep what only we hold (syslog: no completion to answer), queued or
    // in this batch, for the retry; everything else is answered 503 below.
    std::deque<Submission> queued;
    {
      std::lock_guard lock(mu_);
      queued = std::move(queue_);
      queue_.clear();
      queued_events_ = 0;
      stats_.queue_depth = 0;
    }
    size_t kept = 0;
    std::deque<Submission> keep;
    auto keep_or_answer = [&](Submission& s, bool answer_here) {
      if (!s.done && !s.command && !s.events.empty()) {
        kept += s.events.size();
        keep.push_back(std::move(s));
        s.events.clear();
        return;
      }
      if (!s.events.empty()) {
        stats_.events_rejected_full += s.events.size();
        stats_.events_rejected_store += s.events.size();
      }
      if (answer_here) {
        if (s.done) s.done(st);
        if (s.reply) s.reply(st);
      }
    };
    // Oldest first: this batch, what was kept before, then the queue.
    for (auto& s : batch) keep_or_answer(s, false);
    for (auto& s : retry_) keep.push_back(std::move(s));
    retry_.clear();
    for (auto& s : queued) keep_or_answer(s, true);
    retry_ = std::move(keep);
    stats_.events_retried += kept;
  }
  open_tickets_ = engine_.open_ticket_count();
  for (auto& s : batch) {
    if (s.done) s.done(st);
    if (s.reply) s.reply(st);
  }
}

void Pipeline::rebuild_engine() {
  // The engine ran ahead of the store: rebuild it from what is durable.
  auto state = store_.load_state();
  if (!state) {
    spdlog::error("store: cannot reload engine state: {}", state.error().message());
    return;
  }
  if (Status st = engine_.restore(*state); !st) spdlog::warn("store: {}", st.message());
}

}  // namespace ticketd::daemon
