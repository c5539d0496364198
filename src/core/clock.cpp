#include "ticketd/core/clock.hpp"

namespace ticketd {

TimePoint SystemClock::now() const {
  return std::chrono::time_point_cast<Duration>(std::chrono::system_clock::now());
}

}  // namespace ticketd
