// TaskPool: a few threads that run the API's blocking work (store reads,
// rule reloads) so the I/O thread never waits on the database. Bounded: when
// `max_queued` tasks wait, try_post() refuses and the caller answers 503.
// Its threads run at a lower CPU priority (`nice` above the process's), so on
// a busy machine intake keeps its share and reads wait. Thread-safe. The
// destructor runs what is queued, then joins.
#pragma once

#include <sys/resource.h>
#include <unistd.h>

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace ticketd::api {

class TaskPool {
 public:
  TaskPool(size_t threads, size_t max_queued, int nice = 0) : max_queued_(max_queued) {
    if (threads == 0) threads = 1;
    for (size_t i = 0; i < threads; ++i) {
      threads_.emplace_back([this, nice] {
        // Linux: the nice value is per thread. Failure (a sandbox) only
        // leaves the default priority.
        if (nice > 0)
          (void)::setpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()),
                              ::getpriority(PRIO_PROCESS, 0) + nice);
        run();
      });
    }
  }
  ~TaskPool() {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
    }
    cv_.notify_all();
    for (auto& t : threads_) t.join();
  }
  TaskPool(const TaskPool&) = delete;
  TaskPool& operator=(const TaskPool&) = delete;

  // False (and `task` dropped) when the queue is full or the pool stopping.
  bool try_post(std::function<void()> task) {
    {
      std::lock_guard lock(mu_);
      if (stopping_ || queue_.size() >= max_queued_) return false;
      queue_.push_back(std::move(task));
    }
    cv_.notify_one();
    return true;
  }

 private:
  void run() {
    for (;;) {
      std::function<void()> task;
      {
        std::unique_lock lock(mu_);
        cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
        if (queue_.empty()) return;  // stopping, nothing left
        task = std::move(queue_.front());
        queue_.pop_front();
      }
      task();
    }
  }

  const size_t max_queued_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> queue_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace ticketd::api
