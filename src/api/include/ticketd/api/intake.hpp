// Intake: what the API needs from the daemon's pipeline, the one way into the
// engine. The daemon's Pipeline implements it; unit tests of the routes use
// a fake. Implementations are thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <nlohmann/json_fwd.hpp>
#include <vector>

#include "ticketd/core/event.hpp"
#include "ticketd/core/status.hpp"
#include "ticketd/engine/action.hpp"

namespace ticketd::engine {
class Engine;
}

namespace ticketd::api {

class Intake {
 public:
  // Called once the submitted events are durable (ok) or failed.
  using Done = std::function<void(const Status&)>;
  // Runs on the engine's thread; may append actions to commit.
  using Command =
      std::function<Result<nlohmann::json>(engine::Engine&, TimePoint now, engine::Actions& out)>;
  // Called with the command's result once its actions are durable.
  using Reply = std::function<void(Result<nlohmann::json>)>;

  struct Health {
    bool accepting = true;      // false once the daemon is stopping
    bool store_healthy = true;  // false from a failed commit until the next good one
    uint64_t queue_depth = 0;
    uint64_t store_failures = 0;
    uint64_t open_tickets = 0;
  };

  virtual ~Intake() = default;
  // Queues the events. On refusal (full, store down, stopping) returns
  // unavailable, leaves `events` untouched and never calls `done`.
  virtual Status try_submit(std::vector<Event>&& events, Done done) = 0;
  // Queues a command; on refusal returns unavailable and never calls `reply`.
  virtual Status try_command(Command command, Reply reply) = 0;
  virtual Health health() const = 0;
};

}  // namespace ticketd::api
