#include "ticketd/ingest/relp_framer.hpp"

namespace ticketd::ingest {

namespace {

constexpr size_t kMaxDigits = 9;

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_command_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) || c == '_';
}

// Longest possible header: TXNR SP COMMAND SP DATALEN SP.
constexpr size_t kMaxHeader = kMaxDigits + 1 + RelpFramer::kMaxCommand + 1 + kMaxDigits + 1;

}  // namespace

Status RelpFramer::fail(std::string why) {
  buf_.clear();
  error_ = "RELP framing error: " + why;
  return Status::invalid_argument(error_);
}

bool RelpFramer::parse_header() {
  // A malformed header sets error_ and returns false (see feed()).
  size_t i = 0;
  const size_t n = buf_.size();
  auto digits = [&](const char* what, uint64_t& value) -> int {  // 1 done, 0 more, -1 error
    const size_t start = i;
    value = 0;
    while (i < n && is_digit(buf_[i])) {
      if (i - start == kMaxDigits) {
        error_ = std::string(what) + " has more than 9 digits";
        return -1;
      }
      value = value * 10 + static_cast<uint64_t>(buf_[i] - '0');
      ++i;
    }
    if (i == n) return 0;
    if (i == start) {
      error_ = std::string("expected ") + what + ", got byte " +
               std::to_string(static_cast<unsigned char>(buf_[i]));
      return -1;
    }
    return 1;
  };
  uint64_t txnr = 0;
  if (int r = digits("TXNR", txnr); r <= 0) return false;
  if (buf_[i] != ' ') {
    error_ = "expected a space after TXNR";
    return false;
  }
  ++i;
  const size_t cmd_start = i;
  while (i < n && is_command_char(buf_[i])) {
    if (i - cmd_start == kMaxCommand) {
      error_ = "command longer than 32 characters";
      return false;
    }
    ++i;
  }
  if (i == n) return false;
  if (i == cmd_start || buf_[i] != ' ') {
    error_ = "expected a command followed by a space";
    return false;
  }
  std::string command = buf_.substr(cmd_start, i - cmd_start);
  ++i;
  uint64_t len = 0;
  if (int r = digits("DATALEN", len); r <= 0) return false;
  if (len > max_) {
    error_ = "frame of " + std::to_string(len) + " data bytes exceeds the limit of " +
             std::to_string(max_);
    return false;
  }
  if (len > 0) {
    if (buf_[i] != ' ') {
      error_ = "expected a space before DATA";
      return false;
    }
    ++i;
  } else if (buf_[i] == ' ') {
    ++i;  // "0 " before LF: tolerated
  }
  have_header_ = true;
  txnr_ = txnr;
  command_ = std::move(command);
  data_at_ = i;
  data_len_ = static_cast<size_t>(len);
  return true;
}

Status RelpFramer::feed(std::string_view data, const OnFrame& on_frame) {
  if (failed()) return Status::invalid_argument(error_);
  buf_.append(data);
  size_t consumed = 0;
  while (true) {
    if (!have_header_) {
      // Parse from the unconsumed part: move it to the front first.
      if (consumed > 0) {
        buf_.erase(0, consumed);
        consumed = 0;
      }
      if (buf_.empty()) break;
      if (!parse_header()) {
        if (!error_.empty()) {
          std::string why = std::move(error_);
          error_.clear();
          return fail(why);
        }
        if (buf_.size() > kMaxHeader)
          return fail("header longer than " + std::to_string(kMaxHeader) + " bytes");
        break;  // incomplete header
      }
    }
    const size_t end = data_at_ + data_len_;  // the trailer's offset
    if (buf_.size() <= end) break;            // data or trailer still to come
    if (buf_[end] != '\n') {
      return fail("frame " + std::to_string(txnr_) + " has " + std::to_string(data_len_) +
                  " data bytes but no LF after them (DATALEN does not match)");
    }
    on_frame(RelpFrame{txnr_, command_, std::string_view(buf_).substr(data_at_, data_len_)});
    have_header_ = false;
    consumed = end + 1;
  }
  if (consumed > 0) buf_.erase(0, consumed);
  return Status::ok();
}

}  // namespace ticketd::ingest
