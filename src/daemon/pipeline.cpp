#include "daemon/pipeline.hpp"

#include <spdlog/spdlog.h>

namespace ticketd::daemon {

namespace {
constexpr size_t kMaxQueuedCommands = 1000;
constexpr auto kSnapshotEvery = std::chrono::seconds(1);
}  // namespace

Pipeline::Pipeline(engine::Engine engine, store::Store& store, const Clock& clock, Options options)
    : engine_(std::move(engine)), store_(store), clock_(clock), options_(options) {}

Pipeline::~Pipeline() { stop(); }

void Pipeline::start() {
  engine_.set_batch_mode(true);
  open_tickets_ = engine_.open_ticket_count();
  worker_ = std::thread([this] { run(); });
}

void Pipeline::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (worker_.joinable()) worker_.join();
}

Status Pipeline::try_submit(std::vector<Event>&& events, Done done) {
  const size_t n = events.size();
  {
    std::lock_guard lock(mu_);
    if (stopping_) return Status::unavailable("ticketd is shutting down");
    // A batch larger than the whole queue is still admitted into an empty
    // queue, so one big valid request can never be refused forever.
    if (queued_events_ > 0 && queued_events_ + n > options_.capacity) {
      stats_.events_rejected_full += n;
      return Status::unavailable("event queue is full (" + std::to_string(options_.capacity) + " events)");
    }
    queued_events_ += n;
    stats_.queue_depth = queued_events_;
    queue_.push_back({std::move(events), std::move(done), nullptr, nullptr});
  }
  stats_.events_accepted += n;
  cv_.notify_one();
  return Status::ok();
}

Status Pipeline::try_command(Command command, Reply reply) {
  {
    std::lock_guard lock(mu_);
    if (stopping_) return Status::unavailable("ticketd is shutting down");
    if (queue_.size() > options_.capacity + kMaxQueuedCommands) return Status::unavailable("command queue is full");
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
  for (;;) {
    std::deque<Submission> batch;
    std::shared_ptr<const rules::RuleSet> new_rules;
    bool exit_after = false;
    {
      std::unique_lock lock(mu_);
      cv_.wait_for(lock, std::chrono::seconds(1),
                   [this] { return stopping_ || !queue_.empty() || pending_rules_; });
      new_rules = std::move(pending_rules_);
      pending_rules_.reset();
      size_t taken = 0;
      while (!queue_.empty() && (taken == 0 || taken + queue_.front().events.size() <= options_.batch_max)) {
        taken += queue_.front().events.size();
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
      queued_events_ -= taken;
      stats_.queue_depth = queued_events_;
      exit_after = stopping_ && queue_.empty();
    }
    if (new_rules) {
      engine_.set_rules(std::move(new_rules));
      spdlog::info("rules: switched to the new rule set ({} rules)", engine_.rules().rules().size());
    }
    try {
      process(batch, exit_after);
    } catch (const std::exception& e) {
      // Last resort: a bug must not kill the only engine thread.
      spdlog::error("pipeline: unexpected error: {}", e.what());
      for (auto& s : batch) {
        if (s.done) s.done(Status::internal("internal error while processing events"));
        if (s.reply) s.reply(Status::internal("internal error"));
      }
    }
    const TimePoint now = clock_.now();
    if (now - last_prune > std::chrono::minutes(10)) {
      last_prune = now;
      auto pruned = store_.prune_events(now - options_.event_retention);
      if (!pruned) {
        spdlog::warn("store: pruning old events failed: {}", pruned.error().message());
      } else if (*pruned > 0) {
        spdlog::info("store: pruned {} events older than {}", *pruned, format_duration(options_.event_retention));
      }
    }
    if (exit_after) return;
  }
}

void Pipeline::process(std::deque<Submission>& batch, bool force_snapshot) {
  engine::Actions actions;
  uint64_t events = 0;
  std::vector<Result<nlohmann::json>> replies;
  auto take = [&](engine::Actions&& a) {
    for (auto& x : a) actions.push_back(std::move(x));
  };
  // Timers fire once per batch (a batch spans milliseconds), not per event:
  // a tick walks the whole correlation state.
  take(engine_.tick(clock_.now()));
  for (Submission& s : batch) {
    if (s.command) {
      replies.push_back(s.command(engine_, clock_.now(), actions));
      continue;
    }
    for (const Event& e : s.events) {
      take(engine_.process(e, clock_.now()));
      ++events;
    }
  }
  take(engine_.flush_updates());
  const TimePoint now = clock_.now();
  if (engine_.dirty() && (force_snapshot || now - last_snapshot_ >= kSnapshotEvery)) {
    actions.push_back(engine::StateSnapshot{engine_.snapshot()});
  }
  if (actions.empty() && batch.empty()) return;

  Status st = store_.apply(actions);
  if (!st) {
    ++stats_.store_failures;
    spdlog::error("store: commit of {} events failed: {}", events, st.message());
    // The engine ran ahead of the store: rebuild it from what is durable.
    auto state = store_.load_state();
    if (state) {
      engine_.restore(*state);
    } else {
      spdlog::error("store: cannot reload engine state: {}", state.error().message());
    }
    st = Status::unavailable("store unavailable: not accepted, retry later");
  } else {
    for (const auto& a : actions) {
      if (const auto* rec = std::get_if<engine::EventRecorded>(&a)) {
        ++stats_.decisions[static_cast<size_t>(rec->decision)];
      } else if (std::holds_alternative<engine::TicketOpened>(a)) {
        ++stats_.tickets_opened;
      } else if (std::holds_alternative<engine::StateSnapshot>(a)) {
        engine_.clear_dirty();
        last_snapshot_ = now;
      } else if (const auto* n = std::get_if<engine::Notify>(&a)) {
        ++stats_.notifications;
        spdlog::info("notify {}: {}", n->target, n->message);
      }
    }
    stats_.events_processed += events;
  }
  open_tickets_ = engine_.open_ticket_count();
  {
    std::lock_guard lock(hits_mu_);
    hits_ = engine_.rule_hits();
  }
  size_t r = 0;
  for (auto& s : batch) {
    if (s.done) s.done(st);
    if (s.reply) {
      if (st) {
        s.reply(std::move(replies[r]));
      } else {
        s.reply(st);
      }
    }
    if (s.command) ++r;
  }
}

}  // namespace ticketd::daemon
