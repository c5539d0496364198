#include "ticketd/engine/timer_queue.hpp"

#include <algorithm>
#include <unordered_set>

namespace ticketd::engine {
namespace {

size_t index(TimerKind kind) { return static_cast<size_t>(kind); }

}  // namespace

void TimerQueue::schedule(TimePoint at, TimerKind kind, std::string key) {
  heap_.push_back({at, kind, std::move(key)});
  std::push_heap(heap_.begin(), heap_.end(),
                 [](const Entry& a, const Entry& b) { return a.at > b.at; });
}

std::vector<std::string> TimerQueue::take_due(TimerKind kind, TimePoint now) {
  const auto later = [](const Entry& a, const Entry& b) { return a.at > b.at; };
  while (!heap_.empty() && heap_.front().at <= now) {
    std::pop_heap(heap_.begin(), heap_.end(), later);
    due_[index(heap_.back().kind)].push_back(std::move(heap_.back()));
    heap_.pop_back();
  }
  std::vector<Entry>& bucket = due_[index(kind)];
  std::stable_sort(bucket.begin(), bucket.end(),
                   [](const Entry& a, const Entry& b) { return a.at < b.at; });
  std::vector<std::string> keys;
  std::unordered_set<std::string> seen;
  for (Entry& e : bucket) {
    if (seen.insert(e.key).second) keys.push_back(std::move(e.key));
  }
  bucket.clear();
  return keys;
}

bool TimerQueue::covers(TimerKind kind, const std::string& key, TimePoint at) const {
  auto match = [&](const Entry& e) { return e.kind == kind && e.key == key && e.at <= at; };
  return std::any_of(heap_.begin(), heap_.end(), match) ||
         std::any_of(due_[index(kind)].begin(), due_[index(kind)].end(), match);
}

size_t TimerQueue::size() const {
  size_t n = heap_.size();
  for (const auto& b : due_) n += b.size();
  return n;
}

void TimerQueue::clear() {
  heap_.clear();
  for (auto& b : due_) b.clear();
}

}  // namespace ticketd::engine
