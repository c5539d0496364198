// Outbox: drains the durable outbox, one worker thread per target (backend
// or notification target), so a dead or slow target holds up only its own
// entries: never ingestion (the pipeline only writes entries) and never
// another target.
//
// Per target, entries go out oldest first, and a ticket's entries in order
// (the store hands out only the first unsent entry of each ticket). A send
// that fails for a reason that may pass (no answer, 5xx, 429, 401/403) is
// retried with exponential backoff and full jitter, or after the target's
// Retry-After; after `breaker_failures` such failures in a row the target's
// circuit breaker opens and nothing is sent to it for a while (doubling up
// to `breaker_open_max`), then one entry probes it. A send the target
// refuses for good (another 4xx) holds that entry, and with it the later
// entries of its ticket, until an operator retries or drops it
// (`ticketctl outbox`). Every send is counted as started in the store before
// it is made: a create retried after a crash or a lost answer first looks
// the ticket's correlation key up in the backend, so it is never duplicated.
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "ticketd/connectors/connector.hpp"
#include "ticketd/core/clock.hpp"
#include "ticketd/store/store.hpp"

namespace ticketd::connectors {

struct OutboxOptions {
  Duration retry_first = std::chrono::seconds(1);
  Duration retry_max = std::chrono::minutes(5);
  int breaker_failures = 5;  // failures in a row that open the breaker
  Duration breaker_open = std::chrono::seconds(30);
  Duration breaker_open_max = std::chrono::minutes(5);
  Duration idle_poll = std::chrono::seconds(1);  // look for due entries at least this often
  int batch = 50;                                // entries taken per round
};

// A remote ticket changed by people in the backend, for the daemon to
// apply to ticketd's ticket (as the actor "backend:<name>").
using SyncSink = std::function<void(const std::string& backend, const std::string& ticket_key,
                                    const RemoteChange& change)>;

struct TargetSnapshot {
  std::string name;
  std::string kind;
  bool backend = true;
  uint64_t sent = 0;
  uint64_t failed = 0;  // failed sends (each retry counts)
  uint64_t held = 0;    // entries held after a refusal
  bool breaker_open = false;
  bool throttled = false;  // waiting out the backend's Retry-After (at most an hour)
  uint64_t synced = 0;     // changes taken from the backend (sync back)
  std::string last_error;
};

class Outbox {
 public:
  Outbox(store::Store& store, const Clock& clock, OutboxOptions options = {});
  ~Outbox();
  Outbox(const Outbox&) = delete;
  Outbox& operator=(const Outbox&) = delete;

  // Before start(). The target owns its HTTP client and connector.
  void add_backend(BackendConfig config, std::unique_ptr<HttpClient> http,
                   std::unique_ptr<Connector> connector);
  void add_notifier(BackendConfig config, std::unique_ptr<HttpClient> http,
                    std::unique_ptr<Notifier> notifier);
  void set_sync_sink(SyncSink sink) { sink_ = std::move(sink); }

  void start();
  // Finishes the sends in flight (each bounded by its timeout) and joins.
  void stop();
  // New entries were committed: look now instead of at the next idle poll.
  void wake();
  // An operator released entries: lift every pause (an open breaker, a
  // Retry-After) and look now.
  void resume();

  // One round for `target` on the calling thread (tests; the workers call
  // it too): sends what is due, returns how many were delivered.
  int drain(const std::string& target);
  // Sync back for `target` if its poll is due: how many changes it handed
  // to the sink.
  int poll(const std::string& target);
  // Releases a held entry now (also by `ticketctl outbox retry`).
  Result<bool> retry(int64_t id);

  std::vector<TargetSnapshot> snapshot() const;
  bool has_target(const std::string& name) const;
  // The backend `name`'s connector (inbound webhooks), or null.
  Connector* connector(const std::string& name) const;

 private:
  struct Target;
  Target* find(const std::string& name) const;
  void run(Target& t);
  Outcome<std::optional<ExternalRef>> send_backend(Target& t, const store::OutboxEntry& e);
  Sent send_notification(Target& t, const store::OutboxEntry& e);
  void failed(Target& t, const store::OutboxEntry& e, const Failure& f, TimePoint now);
  Duration backoff(int attempts);

  store::Store& store_;
  const Clock& clock_;
  OutboxOptions options_;
  SyncSink sink_;
  std::vector<std::unique_ptr<Target>> targets_;
  std::mutex mu_;
  std::condition_variable cv_;
  uint64_t wakeups_ = 0;  // guarded by mu_
  bool stop_ = false;     // guarded by mu_
  std::vector<std::thread> threads_;
};

}  // namespace ticketd::connectors
