#include "ticketd/connectors/outbox.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <random>
#include <set>

#include "ticketd/connectors/planner.hpp"

namespace ticketd::connectors {

struct Outbox::Target {
  BackendConfig config;
  std::unique_ptr<HttpClient> http;
  std::unique_ptr<Connector> connector;  // a backend
  std::unique_ptr<Notifier> notifier;    // or a notification target
  // Worker-thread state (drain/poll run on one thread per target).
  int failures_in_row = 0;
  Duration open_for{};
  // Nothing is sent before this (breaker open, or Retry-After); Unix ms,
  // atomic so that an operator's retry can lift it from another thread.
  std::atomic<int64_t> paused_until_ms{0};
  TimePoint paused_until() const { return from_unix_ms(paused_until_ms.load()); }
  void pause_until(TimePoint t) { paused_until_ms.store(to_unix_ms(t)); }
  // A create counted as started before this life of the daemon (killed
  // mid-send) may still be in flight at the backend until its timeout
  // passes; the ids this life tried are known to be answered (kept only
  // until then).
  TimePoint life_started{};
  std::set<int64_t> tried;
  TimePoint next_poll{};
  TimePoint polled_to{};  // sync back covered changes up to here
  bool troubled = false;  // logged as failing; the next success says it recovered
  // Read by snapshot() from other threads.
  std::atomic<uint64_t> sent{0}, failed{0}, held{0}, synced{0};
  std::atomic<bool> breaker_open{false};
  std::atomic<bool> throttled{false};  // paused by the target's Retry-After
  mutable std::mutex error_mu;
  std::string last_error;  // guarded by error_mu
};

namespace {

constexpr Duration kMaxRetryAfter = std::chrono::hours(1);

std::string describe(const std::string& kind, const ExternalRef& remote) {
  const std::string what = remote.key.empty() ? remote.id : remote.key;
  if (kind == kind::kCreate)
    return "created " + what + (remote.url.empty() ? "" : " " + remote.url);
  if (kind == kind::kUpdate) return "updated " + what;
  if (kind == kind::kComment) return "commented on " + what;
  if (kind == kind::kOccurrences) return "added occurrences to " + what;
  if (kind == kind::kResolve) return "resolved " + what;
  if (kind == kind::kClose) return "closed " + what;
  if (kind == kind::kReopen) return "reopened " + what;
  return kind + " " + what;
}

}  // namespace

Outbox::Outbox(store::Store& store, const Clock& clock, OutboxOptions options)
    : store_(store), clock_(clock), options_(options) {}

Outbox::~Outbox() { stop(); }

void Outbox::add_backend(BackendConfig config, std::unique_ptr<HttpClient> http,
                         std::unique_ptr<Connector> connector) {
  auto t = std::make_unique<Target>();
  t->config = std::move(config);
  t->http = std::move(http);
  t->connector = std::move(connector);
  t->life_started = clock_.now();
  targets_.push_back(std::move(t));
}

void Outbox::add_notifier(BackendConfig config, std::unique_ptr<HttpClient> http,
                          std::unique_ptr<Notifier> notifier) {
  auto t = std::make_unique<Target>();
  t->config = std::move(config);
  t->http = std::move(http);
  t->notifier = std::move(notifier);
  targets_.push_back(std::move(t));
}

void Outbox::start() {
  for (auto& t : targets_) threads_.emplace_back([this, &t] { run(*t); });
}

void Outbox::stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  for (auto& th : threads_) th.join();
  threads_.clear();
}

void Outbox::wake() {
  {
    std::lock_guard lock(mu_);
    ++wakeups_;
  }
  cv_.notify_all();
}

Outbox::Target* Outbox::find(const std::string& name) const {
  for (const auto& t : targets_) {
    if (t->config.name == name) return t.get();
  }
  return nullptr;
}

bool Outbox::has_target(const std::string& name) const { return find(name) != nullptr; }

Connector* Outbox::connector(const std::string& name) const {
  Target* t = find(name);
  return t ? t->connector.get() : nullptr;
}

void Outbox::run(Target& t) {
  uint64_t seen = 0;
  for (;;) {
    {
      std::lock_guard lock(mu_);
      if (stop_) return;
      seen = wakeups_;
    }
    try {
      // Again at once while a round delivers: a round takes one entry per
      // ticket, so a ticket's backlog (after an outage or a crash) would
      // otherwise go out one entry per idle_poll.
      while (drain(t.config.name) > 0) {
        std::lock_guard lock(mu_);
        if (stop_) return;
      }
      poll(t.config.name);
    } catch (const std::exception& e) {  // a connector bug must not end the worker
      spdlog::error("outbox: {}: {}", t.config.name, e.what());
    }
    Duration wait = options_.idle_poll;
    const TimePoint now = clock_.now();
    if (t.paused_until() > now) wait = std::min<Duration>(wait, t.paused_until() - now);
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, std::chrono::milliseconds(std::max<int64_t>(wait.count(), 10)),
                 [&] { return stop_ || wakeups_ != seen; });
    if (stop_) return;
  }
}

Duration Outbox::backoff(int attempts) {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  Duration d = options_.retry_first;
  for (int i = 1; i < attempts && d < options_.retry_max; ++i) d *= 2;
  d = std::min(d, options_.retry_max);
  // Full jitter over the upper half: retries of many entries spread out.
  std::uniform_int_distribution<int64_t> pick(d.count() / 2, d.count());
  return Duration(pick(rng));
}

int Outbox::drain(const std::string& name) {
  Target* tp = find(name);
  if (!tp) return 0;
  Target& t = *tp;
  TimePoint now = clock_.now();
  if (t.paused_until() > now) return 0;
  t.throttled = false;
  auto due = store_.outbox_due(name, now, options_.batch);
  if (!due) {
    spdlog::warn("outbox: {}: cannot read the outbox: {}", name, due.error().message());
    return 0;
  }
  // A create an earlier life of the daemon started and never recorded (it
  // was killed mid-send) may still be in flight at the backend: looked up
  // now, the remote ticket would not be there yet and the create would make
  // a second one. It waits until that send would have timed out.
  // Past that moment nothing is held back and the set is not needed again.
  const bool settling = now < t.life_started + t.config.timeout;
  if (!settling) t.tried.clear();
  if (settling) {
    std::erase_if(*due, [&](const store::OutboxEntry& e) {
      return e.kind == kind::kCreate && e.attempts > 0 && !t.tried.count(e.id);
    });
  }
  int delivered = 0;
  // A round's sends are counted as started in one transaction (one fsync);
  // a send not made after all (the round stopped early) only makes its
  // create look itself up first next time.
  std::vector<int64_t> ids;
  for (const store::OutboxEntry& e : *due) ids.push_back(e.id);
  if (Status st = store_.outbox_started(ids); !st) {
    spdlog::warn("outbox: {}: cannot count the sends: {}", name, st.message());
    return 0;
  }
  size_t tried = 0;
  for (const store::OutboxEntry& e : *due) {
    {
      std::lock_guard lock(mu_);
      if (stop_) break;
    }
    ++tried;
    if (settling) t.tried.insert(e.id);
    store::OutboxEntry entry = e;
    ++entry.attempts;
    std::optional<Failure> failure;
    std::optional<ExternalRef> remote;
    TimelineEntry line;
    line.ticket_key = e.ticket_key;
    // A connector that throws (an answer shaped unlike its API) must not
    // end the worker or retry in a loop: the entry is held with the reason.
    auto guarded = [&](auto send) -> decltype(send()) {
      try {
        return send();
      } catch (const std::exception& ex) {
        return rejected(name + ": unexpected answer: " + ex.what());
      }
    };
    if (t.connector) {
      auto r = guarded([&] { return send_backend(t, entry); });
      if (!r.ok()) {
        failure = r.failure();
      } else {
        remote = r.value();
        std::optional<ExternalRef> shown = remote;
        if (!shown) {
          auto link = store_.external_ref(name, e.ticket_key);
          if (link && *link) shown = **link;
        }
        line.actor = "backend:" + name;
        line.kind = "sync";
        line.message = name + ": " + describe(e.kind, shown.value_or(ExternalRef{}));
        if (e.kind == kind::kOccurrences)
          line.message += " (" + std::to_string(e.count) + " occurrences)";
      }
    } else {
      auto r = guarded([&] { return send_notification(t, entry); });
      if (!r.ok()) {
        failure = r.failure();
      } else {
        line.actor = "notify:" + name;
        line.kind = "notification";
        const auto payload = nlohmann::json::parse(e.payload, nullptr, false);
        line.message = "notified " + name + ": " +
                       (payload.is_object() ? payload.value("message", "") : std::string());
      }
    }
    now = clock_.now();
    if (failure) {
      failed(t, entry, *failure, now);
      if (failure->kind == Failure::Kind::kRejected) continue;  // others may go
      break;  // the target is in trouble: stop this round
    }
    line.time = now;
    line.details =
        nlohmann::json{{"target", name}, {"kind", e.kind}, {"attempts", entry.attempts}}.dump();
    if (Status st = store_.outbox_done(e.id, remote, line); !st) {
      // Delivered but not recorded: sent again later (a create is found by
      // its key, not duplicated; a comment may repeat).
      spdlog::warn("outbox: {}: {} for {} delivered, but the store failed: {}", name, e.kind,
                   e.ticket_key, st.message());
      break;
    }
    t.tried.erase(e.id);
    ++t.sent;
    ++delivered;
    t.throttled = false;
    t.failures_in_row = 0;
    t.open_for = {};
    t.breaker_open = false;
    if (t.troubled) {
      // Recovered: what backed off during the trouble goes now, not at the
      // end of each entry's own backoff (up to retry_max).
      auto released = store_.outbox_release(name, now);
      spdlog::info("outbox: {}: sending again ({} waiting entries released)", name,
                   released ? *released : 0);
      t.troubled = false;
    }
  }
  if (tried < ids.size()) {
    // The round stopped early: the sends not made are not counted.
    std::vector<int64_t> untried(ids.begin() + static_cast<std::ptrdiff_t>(tried), ids.end());
    if (Status st = store_.outbox_not_started(untried); !st)
      spdlog::warn("outbox: {}: cannot uncount {} sends: {}", name, untried.size(), st.message());
  }
  return delivered;
}

void Outbox::failed(Target& t, const store::OutboxEntry& e, const Failure& f, TimePoint now) {
  ++t.failed;
  {
    std::lock_guard lock(t.error_mu);
    t.last_error = f.message;
  }
  const std::string& name = t.config.name;
  if (f.kind == Failure::Kind::kRejected) {
    ++t.held;
    spdlog::error(
        "outbox: {}: {} for {} refused, held until an operator retries or drops entry {}: {}", name,
        e.kind, e.ticket_key, e.id, f.message);
    if (Status st = store_.outbox_defer(e.id, now, f.message, true); !st)
      spdlog::warn("outbox: {}: cannot hold entry {}: {}", name, e.id, st.message());
    return;
  }
  // A backend's Retry-After is honoured up to an hour: a typo or a hostile
  // answer ("999999999") must not park a target for decades.
  Duration delay =
      f.retry_after ? std::min<Duration>(*f.retry_after, kMaxRetryAfter) : backoff(e.attempts);
  if (f.kind == Failure::Kind::kThrottled) {
    t.pause_until(now + delay);  // the whole target waits, not just this entry
    t.throttled = true;
    spdlog::warn("outbox: {}: throttled by the backend; nothing is sent for {} s: {}", name,
                 std::chrono::duration_cast<std::chrono::seconds>(delay).count(), f.message);
  } else if (++t.failures_in_row >= options_.breaker_failures) {
    t.open_for = t.open_for == Duration{} ? options_.breaker_open
                                          : std::min(t.open_for * 2, options_.breaker_open_max);
    t.pause_until(now + t.open_for);
    if (!t.breaker_open.exchange(true)) {
      spdlog::error("outbox: {}: {} failures in a row; circuit open, next try in {} s: {}", name,
                    t.failures_in_row, t.open_for.count() / 1000, f.message);
    }
    delay = std::max(delay, t.open_for);
  }
  if (!t.troubled) {
    spdlog::warn("outbox: {}: {} for {} failed ({}), retrying in {} ms: {}", name, e.kind,
                 e.ticket_key, failure_kind_name(f.kind), delay.count(), f.message);
    t.troubled = true;
  }
  if (Status st = store_.outbox_defer(e.id, now + delay, f.message, false); !st)
    spdlog::warn("outbox: {}: cannot defer entry {}: {}", name, e.id, st.message());
}

Outcome<std::optional<ExternalRef>> Outbox::send_backend(Target& t, const store::OutboxEntry& e) {
  const std::string& name = t.config.name;
  const auto payload = nlohmann::json::parse(e.payload, nullptr, false);
  if (!payload.is_object())
    return rejected("outbox entry " + std::to_string(e.id) + " is not a JSON object");
  Ticket ticket;
  if (payload.contains("ticket")) {
    ticket = ticket_from_json(payload["ticket"]);
  } else {  // occurrences: the ticket as it is now
    auto stored = store_.get_ticket(e.ticket_key);
    if (!stored)
      return Failure{Failure::Kind::kTransient, "store: " + stored.error().message(), {}, 0};
    if (!*stored) return rejected("no ticket " + e.ticket_key);
    ticket = std::move(**stored);
  }
  auto link = store_.external_ref(name, e.ticket_key);
  if (!link) return Failure{Failure::Kind::kTransient, "store: " + link.error().message(), {}, 0};
  std::optional<ExternalRef> created;
  ExternalRef remote;
  if (*link && !(*link)->id.empty()) {
    remote = **link;
  } else {
    // No remote ticket recorded. A create that was tried before (a crash, a
    // lost answer) may have reached the backend: look its key up first.
    const std::string corr = correlation_key(t.config, e.ticket_key);
    if (e.attempts > 1 || e.kind != kind::kCreate) {
      auto found = t.connector->find(corr);
      if (!found.ok()) return found.failure();
      if (found.value()) {
        remote = *found.value();
        spdlog::info("outbox: {}: {} already has remote ticket {}; adopting it", name, e.ticket_key,
                     remote.key.empty() ? remote.id : remote.key);
      }
    }
    if (remote.id.empty()) {
      auto c = t.connector->create(ticket, corr);
      if (!c.ok()) return c.failure();
      remote = c.value();
      if (remote.id.empty()) return rejected(name + ": create answered without an id");
    }
    remote.backend = name;
    created = remote;
  }
  const std::string text = payload.value("text", "");
  const std::string actor = payload.value("actor", "");
  Sent r = sent();
  if (e.kind == kind::kCreate) {
    // created (or linked before: nothing to do)
  } else if (e.kind == kind::kUpdate) {
    r = t.connector->update(remote, ticket);
  } else if (e.kind == kind::kComment) {
    const std::string who = actor.rfind("user:", 0) == 0 ? actor.substr(5) : actor;
    r = t.connector->comment(remote, ticket, (who.empty() ? "" : who + ": ") + text);
  } else if (e.kind == kind::kOccurrences) {
    const std::string msg =
        std::to_string(e.count) + (e.count == 1 ? " more occurrence" : " more occurrences") +
        " (total " + std::to_string(ticket.event_count) + "), last at " +
        payload.value("last_seen", "") +
        (payload.value("last_host", "").empty() ? "" : " from " + payload.value("last_host", "")) +
        ": " + payload.value("last_message", "");
    r = t.connector->comment(remote, ticket, msg);
  } else if (e.kind == kind::kResolve) {
    r = t.connector->transition(remote, ticket, RemoteState::kResolved, text);
  } else if (e.kind == kind::kClose) {
    r = t.connector->transition(remote, ticket, RemoteState::kClosed, text);
  } else if (e.kind == kind::kReopen) {
    r = t.connector->transition(remote, ticket, RemoteState::kReopened, text);
  } else {
    return rejected("unknown outbox entry kind \"" + e.kind + "\"");
  }
  // When the create went through but this step did not, the retry finds
  // the remote ticket by its key (attempts > 1) instead of creating another.
  if (!r.ok()) return r.failure();
  return created;
}

Sent Outbox::send_notification(Target& t, const store::OutboxEntry& e) {
  const auto payload = nlohmann::json::parse(e.payload, nullptr, false);
  if (!payload.is_object() || !payload.contains("ticket"))
    return rejected("outbox entry " + std::to_string(e.id) + " has no ticket");
  return t.notifier->notify(ticket_from_json(payload["ticket"]), payload.value("event", "notify"),
                            payload.value("message", ""));
}

int Outbox::poll(const std::string& name) {
  Target* tp = find(name);
  if (!tp || !tp->connector || !tp->connector->polls() || !sink_) return 0;
  Target& t = *tp;
  if (t.config.poll_interval <= Duration{}) return 0;
  const TimePoint now = clock_.now();
  if (now < t.next_poll || t.paused_until() > now) return 0;
  t.next_poll = now + t.config.poll_interval;
  // Overlap the previous window a little: backends' updated times are
  // coarse (Jira: minutes) and their clocks are not ours.
  const TimePoint since =
      (t.polled_to == TimePoint{} ? now - t.config.poll_interval : t.polled_to) -
      std::chrono::minutes(2);
  auto changes = t.connector->poll(since);
  if (!changes.ok()) {
    spdlog::warn("outbox: {}: sync back failed: {}", name, changes.failure().message);
    return 0;
  }
  t.polled_to = now;
  int n = 0;
  for (const RemoteChange& c : changes.value()) {
    auto key = store_.ticket_for_remote(name, c.remote_id);
    if (!key || !*key) continue;  // not one of ours
    sink_(name, **key, c);
    ++t.synced;
    ++n;
  }
  return n;
}

void Outbox::resume() {
  for (auto& t : targets_) {
    t->paused_until_ms = 0;
    t->throttled = false;
  }
  wake();
}

Result<bool> Outbox::retry(int64_t id) {
  auto r = store_.outbox_retry(id, clock_.now());
  if (r && *r) resume();
  return r;
}

std::vector<TargetSnapshot> Outbox::snapshot() const {
  std::vector<TargetSnapshot> out;
  for (const auto& t : targets_) {
    TargetSnapshot s;
    s.name = t->config.name;
    s.kind = t->config.kind;
    s.backend = t->connector != nullptr;
    s.sent = t->sent;
    s.failed = t->failed;
    s.held = t->held;
    s.synced = t->synced;
    s.breaker_open = t->breaker_open;
    s.throttled = t->throttled;
    std::lock_guard lock(t->error_mu);
    s.last_error = t->last_error;
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace ticketd::connectors
