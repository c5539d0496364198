// The syslog listeners on a real io_context and loopback sockets, with a
// sink in place of the pipeline: framing over TCP, backpressure when the
// sink refuses (TCP waits and loses nothing, UDP drops and counts), and the
// drain at stop that hands on an unterminated last line.
#include "ticketd/ingest/syslog_listener.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <chrono>
#include <future>
#include <mutex>
#include <thread>

namespace ticketd::ingest {
namespace {

using namespace std::chrono_literals;

// Collects what the listener hands on; refuses while `refusing` is set.
struct Sink {
  std::mutex mu;
  std::vector<Event> events;
  std::atomic<bool> refusing{false};
  std::atomic<int> refusals{0};

  EventSink fn() {
    return [this](std::vector<Event>& batch) -> Status {
      if (refusing) {
        ++refusals;
        return Status::unavailable("queue full");
      }
      std::lock_guard lock(mu);
      for (auto& e : batch) events.push_back(std::move(e));
      batch.clear();
      return Status::ok();
    };
  }
  size_t size() {
    std::lock_guard lock(mu);
    return events.size();
  }
  bool wait_for(size_t n, std::chrono::milliseconds limit = 10s) {
    const auto end = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < end) {
      if (size() >= n) return true;
      std::this_thread::sleep_for(5ms);
    }
    return size() >= n;
  }
};

class ListenerTest : public ::testing::Test {
 protected:
  void start(SyslogListenerOptions::Kind kind) {
    SyslogListenerOptions o;
    o.kind = kind;
    o.port = 0;
    listener_ = std::make_unique<SyslogListener>(io_, o, sink_.fn(), clock_);
    ASSERT_TRUE(listener_->start());
    thread_ = std::thread([this] {
      auto guard = boost::asio::make_work_guard(io_);
      io_.run();
    });
  }
  void TearDown() override {
    if (fd_ >= 0) ::close(fd_);
    io_.stop();
    if (thread_.joinable()) thread_.join();
    listener_.reset();
  }
  void connect(int type) {
    fd_ = ::socket(AF_INET, type, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(listener_->bound_port());
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  }
  void send(const std::string& bytes) {
    ASSERT_EQ(::send(fd_, bytes.data(), bytes.size(), 0), static_cast<ssize_t>(bytes.size()));
  }
  void stop_and_wait() {
    std::promise<void> drained;
    boost::asio::post(io_, [&] { listener_->stop([&] { drained.set_value(); }); });
    ASSERT_EQ(drained.get_future().wait_for(10s), std::future_status::ready);
  }

  boost::asio::io_context io_;
  ManualClock clock_{from_unix_ms(1'700'000'000'000)};
  Sink sink_;
  std::unique_ptr<SyslogListener> listener_;
  std::thread thread_;
  int fd_ = -1;
};

TEST_F(ListenerTest, TcpFramesOfBothKindsBecomeEvents) {
  start(SyslogListenerOptions::Kind::kTcp);
  connect(SOCK_STREAM);
  const std::string counted = "<11>Nov 30 10:00:00 db-1 kernel: EXT4-fs error on sda1";
  send("<13>Nov 30 10:00:00 web-1 app: disk full\n<12>Nov 30 10:00:01 web-2 app: second\n" +
       std::to_string(counted.size()) + " " + counted);
  ASSERT_TRUE(sink_.wait_for(3));
  std::lock_guard lock(sink_.mu);
  EXPECT_EQ(sink_.events[0].host, "web-1");
  EXPECT_EQ(sink_.events[0].message, "disk full");
  EXPECT_EQ(sink_.events[1].host, "web-2");
  EXPECT_EQ(sink_.events[2].host, "db-1");
  EXPECT_EQ(listener_->stats().received, 3u);
}

TEST_F(ListenerTest, TcpWaitsWhileTheSinkRefusesAndLosesNothing) {
  start(SyslogListenerOptions::Kind::kTcp);
  sink_.refusing = true;
  connect(SOCK_STREAM);
  std::string lines;
  for (int i = 0; i < 200; ++i)
    lines += "<13>Nov 30 10:00:00 web-" + std::to_string(i) + " app: line\n";
  send(lines);
  for (int i = 0; i < 400 && sink_.refusals == 0; ++i) std::this_thread::sleep_for(5ms);
  ASSERT_GT(sink_.refusals, 0);
  std::this_thread::sleep_for(100ms);  // refused again at least once while full
  EXPECT_EQ(sink_.size(), 0u);
  sink_.refusing = false;
  ASSERT_TRUE(sink_.wait_for(200));
  EXPECT_EQ(sink_.size(), 200u);
  EXPECT_EQ(listener_->stats().dropped, 0u);
}

TEST_F(ListenerTest, UdpDropsAndCountsWhileTheSinkRefuses) {
  start(SyslogListenerOptions::Kind::kUdp);
  connect(SOCK_DGRAM);
  sink_.refusing = true;
  send("<13>Nov 30 10:00:00 web-1 app: dropped");
  for (int i = 0; i < 400 && listener_->stats().dropped == 0; ++i) std::this_thread::sleep_for(5ms);
  EXPECT_EQ(listener_->stats().dropped, 1u);
  sink_.refusing = false;
  send("<13>Nov 30 10:00:00 web-1 app: kept");
  ASSERT_TRUE(sink_.wait_for(1));
  std::lock_guard lock(sink_.mu);
  EXPECT_EQ(sink_.events[0].message, "kept");
}

TEST_F(ListenerTest, StopHandsOnTheUnterminatedLastLine) {
  start(SyslogListenerOptions::Kind::kTcp);
  connect(SOCK_STREAM);
  send("<13>Nov 30 10:00:00 web-1 app: complete\n<13>Nov 30 10:00:00 web-1 app: no newline yet");
  ASSERT_TRUE(sink_.wait_for(1));
  std::this_thread::sleep_for(50ms);  // the tail is read, waiting for its LF
  stop_and_wait();
  ASSERT_EQ(sink_.size(), 2u);
  std::lock_guard lock(sink_.mu);
  EXPECT_EQ(sink_.events[1].message, "no newline yet");
  EXPECT_EQ(listener_->stats().lost_at_stop, 0u);
}

}  // namespace
}  // namespace ticketd::ingest
