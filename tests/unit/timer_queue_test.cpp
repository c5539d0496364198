// TimerQueue: deadline order, per-kind buckets within one tick, duplicates.
#include "ticketd/engine/timer_queue.hpp"

#include <gtest/gtest.h>

namespace ticketd::engine {
namespace {

using namespace std::chrono_literals;

TEST(TimerQueue, TakesOnlyWhatIsDueInDeadlineOrderEachKeyOnce) {
  const TimePoint t0 = from_unix_ms(1'800'000'000'000);
  TimerQueue q;
  q.schedule(t0 + 3s, TimerKind::kGroupWait, "c");
  q.schedule(t0 + 1s, TimerKind::kGroupWait, "a");
  q.schedule(t0 + 2s, TimerKind::kGroupWait, "b");
  q.schedule(t0 + 2s, TimerKind::kGroupWait, "a");  // a duplicate hint
  q.schedule(t0 + 9s, TimerKind::kGroupWait, "late");
  EXPECT_TRUE(q.take_due(TimerKind::kGroupWait, t0).empty());
  EXPECT_EQ(q.take_due(TimerKind::kGroupWait, t0 + 3s), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(q.size(), 1u);
  EXPECT_TRUE(q.covers(TimerKind::kGroupWait, "late", t0 + 9s));
  EXPECT_FALSE(q.covers(TimerKind::kGroupWait, "late", t0 + 8s));
}

TEST(TimerQueue, DueEntriesOfOtherKindsWaitForTheirOwnSection) {
  const TimePoint t0 = from_unix_ms(1'800'000'000'000);
  TimerQueue q;
  q.schedule(t0, TimerKind::kTicket, "INC-1");
  q.schedule(t0, TimerKind::kWindow, "fp");
  EXPECT_TRUE(q.take_due(TimerKind::kGroupWait, t0).empty());
  EXPECT_TRUE(q.covers(TimerKind::kTicket, "INC-1", t0));  // moved to its bucket, still covered
  EXPECT_EQ(q.take_due(TimerKind::kWindow, t0), std::vector<std::string>{"fp"});
  EXPECT_EQ(q.take_due(TimerKind::kTicket, t0), std::vector<std::string>{"INC-1"});
  EXPECT_EQ(q.size(), 0u);
}

}  // namespace
}  // namespace ticketd::engine
