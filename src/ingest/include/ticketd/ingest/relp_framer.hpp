// RelpFramer: splits a RELP byte stream (librelp's protocol, as spoken by
// rsyslog's omrelp) into frames: "TXNR SP COMMAND SP DATALEN [SP DATA] LF".
//
// TXNR is 1 to 9 digits, COMMAND 1 to 32 letters, digits or '_', DATALEN 1
// to 9 digits. Memory is bounded by `max_data`: a frame announcing more data
// is refused before any of it is read. Framing errors are not recoverable (a
// RELP stream has no resynchronisation point): after the first one feed()
// returns it again and delivers nothing more; the connection must close.
// The framer only frames: which commands exist is the session's business.
// One instance per connection; not thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "ticketd/core/status.hpp"

namespace ticketd::ingest {

struct RelpFrame {
  uint64_t txnr = 0;
  std::string_view command;
  std::string_view data;  // valid only during the callback
};

class RelpFramer {
 public:
  using OnFrame = std::function<void(const RelpFrame& frame)>;

  static constexpr uint64_t kMaxTxnr = 999999999;
  static constexpr size_t kMaxCommand = 32;

  explicit RelpFramer(size_t max_data) : max_(max_data) {}

  // Consumes `data`, calling `on_frame` for every complete frame, in order.
  // Returns invalid_argument (naming the offset problem) on a framing error.
  Status feed(std::string_view data, const OnFrame& on_frame);

  bool failed() const { return !error_.empty(); }
  // Bytes of an incomplete frame held.
  size_t buffered() const { return buf_.size(); }

 private:
  // Parses the header at the start of buf_; false when it is incomplete.
  bool parse_header();
  Status fail(std::string why);

  size_t max_;
  std::string buf_;
  bool have_header_ = false;
  uint64_t txnr_ = 0;
  std::string command_;
  size_t data_at_ = 0;   // offset of DATA in buf_ (header parsed)
  size_t data_len_ = 0;  // DATALEN
  std::string error_;
};

}  // namespace ticketd::ingest
