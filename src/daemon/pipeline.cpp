#include "daemon/pipeline.hpp"

#include <spdlog/spdlog.h>

namespace ticketd::daemon {

Pipeline::Pipeline(engine::Engine engine, store::Store& store, const Clock& clock, Options options)
    : engine_(std::move(engine)), store_(store), clock_(clock), options_(options) {}

Pipeline::~Pipeline() { stop(); }

void Pipeline::start() {
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

Status Pipeline::try_submit(std::vector<Event> events, Done done) {
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
    queue_.push_back({std::move(events), std::move(done)});
  }
  stats_.events_accepted += n;
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
    if (!batch.empty()) {
      try {
        process(batch);
      } catch (const std::exception& e) {
        // Last resort: a bug must not kill the only engine thread.
        spdlog::error("pipeline: unexpected error: {}", e.what());
        for (auto& s : batch) {
          if (s.done) s.done(Status::internal("internal error while processing events"));
        }
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

void Pipeline::process(std::deque<Submission>& batch) {
  engine::Actions actions;
  uint64_t opened = 0, dedup = 0, dropped = 0, unmatched = 0, events = 0;
  for (const Submission& s : batch) {
    for (const Event& e : s.events) {
      engine::Actions a = engine_.process(e, clock_.now());
      ++events;
      for (auto& action : a) {
        if (const auto* rec = std::get_if<engine::EventRecorded>(&action)) {
          switch (rec->decision) {
            case engine::Decision::kTicketed: ++opened; break;
            case engine::Decision::kDeduplicated: ++dedup; break;
            case engine::Decision::kDropped: ++dropped; break;
            case engine::Decision::kUnmatched: ++unmatched; break;
            case engine::Decision::kResolved: break;
          }
        }
        actions.push_back(std::move(action));
      }
    }
  }
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
    st = Status::unavailable("store unavailable: events not accepted, retry later");
  } else {
    stats_.events_processed += events;
    stats_.tickets_opened += opened;
    stats_.events_deduplicated += dedup;
    stats_.events_dropped += dropped;
    stats_.events_unmatched += unmatched;
  }
  open_tickets_ = engine_.open_ticket_count();
  {
    std::lock_guard lock(hits_mu_);
    hits_ = engine_.rule_hits();
  }
  for (auto& s : batch) {
    if (s.done) s.done(st);
  }
}

}  // namespace ticketd::daemon
