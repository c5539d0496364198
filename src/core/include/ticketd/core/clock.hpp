// Clock: the one source of time for everything outside main(): "now" for the
// engine and everything time-driven, and a monotonic reading for measuring
// durations (metrics) and rate-limiting logs.
//
// Components take a Clock (or a `now` argument) instead of reading the system
// time, so correlation windows are tested by advancing a ManualClock.
// Both implementations are thread-safe.
#pragma once

#include <atomic>

#include "ticketd/core/time.hpp"

namespace ticketd {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual TimePoint now() const = 0;
  // Nanoseconds from an arbitrary origin, never going back (wall-clock steps
  // do not move it): for durations, not for dates.
  virtual int64_t monotonic_ns() const = 0;
};

// The real wall clock.
class SystemClock final : public Clock {
 public:
  TimePoint now() const override;
  int64_t monotonic_ns() const override;
};

// A clock that only moves when told to. Starts at `start`.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(TimePoint start = TimePoint{}) : now_ms_(to_unix_ms(start)) {}
  TimePoint now() const override { return from_unix_ms(now_ms_.load()); }
  // Moves with now() (set() backwards is the test's business).
  int64_t monotonic_ns() const override { return now_ms_.load() * 1'000'000; }
  void set(TimePoint t) { now_ms_.store(to_unix_ms(t)); }
  void advance(Duration d) { now_ms_.fetch_add(d.count()); }

 private:
  std::atomic<int64_t> now_ms_;
};

}  // namespace ticketd
