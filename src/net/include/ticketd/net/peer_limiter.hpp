// PeerLimiter: counts open connections per peer (source IP address) and
// refuses a peer's connection beyond `limit`, so one client cannot take every
// connection slot of a listener.
//
// Thread-safe (one mutex): sessions on different strands may acquire and
// release concurrently. Memory is proportional to the peers connected now.
// Precondition: release(peer) only after a successful try_acquire(peer).
#pragma once

#include <cstddef>
#include <mutex>
#include <string>
#include <unordered_map>

namespace ticketd::net {

class PeerLimiter {
 public:
  // limit 0 = unlimited.
  explicit PeerLimiter(size_t limit) : limit_(limit) {}

  // Takes a slot for `peer`; false (nothing taken) when it already holds `limit`.
  bool try_acquire(const std::string& peer) {
    std::lock_guard lock(mu_);
    size_t& n = open_[peer];
    if (limit_ != 0 && n >= limit_) {
      if (n == 0) open_.erase(peer);
      return false;
    }
    ++n;
    return true;
  }

  void release(const std::string& peer) {
    std::lock_guard lock(mu_);
    auto it = open_.find(peer);
    if (it == open_.end()) return;
    if (--it->second == 0) open_.erase(it);
  }

  size_t open(const std::string& peer) const {
    std::lock_guard lock(mu_);
    auto it = open_.find(peer);
    return it == open_.end() ? 0 : it->second;
  }
  size_t peers() const {
    std::lock_guard lock(mu_);
    return open_.size();
  }
  size_t limit() const { return limit_; }

 private:
  const size_t limit_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, size_t> open_;
};

// ByteBudget: a shared budget of bytes (e.g. request bodies being read),
// reserved before the bytes arrive. One reservation larger than the whole
// budget is still granted when nothing else is reserved, so a single valid
// request is never refused forever. Thread-safe.
class ByteBudget {
 public:
  explicit ByteBudget(size_t capacity) : capacity_(capacity) {}

  bool try_reserve(size_t n) {
    std::lock_guard lock(mu_);
    if (used_ > 0 && used_ + n > capacity_) return false;
    used_ += n;
    return true;
  }
  void release(size_t n) {
    std::lock_guard lock(mu_);
    used_ -= n < used_ ? n : used_;
  }
  size_t used() const {
    std::lock_guard lock(mu_);
    return used_;
  }
  size_t capacity() const { return capacity_; }

 private:
  const size_t capacity_;
  mutable std::mutex mu_;
  size_t used_ = 0;
};

}  // namespace ticketd::net
