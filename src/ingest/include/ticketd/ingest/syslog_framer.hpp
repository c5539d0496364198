// SyslogFramer: splits a syslog TCP/TLS byte stream into messages (RFC 6587).
//
// Each frame is detected on its own: a frame starting with a digit is
// octet-counted ("MSG-LEN SP MSG"), anything else is non-transparent
// (terminated by LF, or NUL as some senders use). Memory is bounded by
// `max_message`: a longer message is cut to that size (and counted), the
// rest of it skipped. One instance per connection; not thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace ticketd::ingest {

class SyslogFramer {
 public:
  using OnFrame = std::function<void(std::string_view frame, bool truncated)>;

  explicit SyslogFramer(size_t max_message) : max_(max_message) {}

  // Consumes `data`, calling `on_frame` for every complete message.
  void feed(std::string_view data, const OnFrame& on_frame);
  // The connection ended: an unterminated last message is delivered too.
  void finish(const OnFrame& on_frame);

  uint64_t truncated() const { return truncated_; }
  uint64_t octet_counted() const { return octet_counted_; }
  uint64_t lf_framed() const { return lf_framed_; }
  size_t buffered() const { return buf_.size(); }

 private:
  enum class State { kStart, kLength, kCounted, kLine, kSkipLine };
  size_t max_;
  State state_ = State::kStart;
  std::string buf_;
  std::string length_text_;
  uint64_t remaining_ = 0;  // octets still to read (kCounted) or skip
  uint64_t skip_ = 0;       // octets to skip after a cut counted frame
  uint64_t truncated_ = 0, octet_counted_ = 0, lf_framed_ = 0;
};

}  // namespace ticketd::ingest
