// TimerQueue: the engine's timers ordered by deadline, so a tick touches only
// what is due, whatever the size of the state.
//
// Entries are hints, not commitments: the engine checks a due entry against
// its current state, drops it when it no longer applies and schedules it
// again when the deadline moved later (an alert seen again, a window that
// slid). So code that sets a deadline only has to schedule it; nothing has
// to be cancelled. A value type; not thread-safe (the engine's owner thread).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "ticketd/core/time.hpp"

namespace ticketd::engine {

enum class TimerKind : uint8_t {
  kGroupWait,    // key: group id; the group's ticket opens
  kAutoResolve,  // key: fingerprint; a firing alert seen too long ago resolves
  kFlapping,     // key: group id; a flapping group that stayed stable
  kForgetGroup,  // key: group id; a resolved group past its reopen window
  kWindow,       // key: fingerprint; a threshold window runs out, or an orphaned alert
  kTicket,       // key: ticket key; an SLA target or an escalation is due
  kProblem,      // key: problem window; its incidents age out, or its problem ended
};
inline constexpr size_t kTimerKinds = 7;

class TimerQueue {
 public:
  void schedule(TimePoint at, TimerKind kind, std::string key);

  // The keys of `kind` due at or before `now`, each once, in deadline order.
  // Entries of other kinds that are due wait for their own call in the same
  // tick.
  std::vector<std::string> take_due(TimerKind kind, TimePoint now);

  // Whether an entry of `kind` for `key` is due at or before `at` (for
  // invariant checks; linear).
  bool covers(TimerKind kind, const std::string& key, TimePoint at) const;

  size_t size() const;
  void clear();

 private:
  struct Entry {
    TimePoint at;
    TimerKind kind;
    std::string key;
  };
  // Min-heap on `at` (std::push_heap with a greater-than comparison).
  std::vector<Entry> heap_;
  // Due entries taken off the heap by take_due() for another kind.
  std::array<std::vector<Entry>, kTimerKinds> due_;
};

}  // namespace ticketd::engine
