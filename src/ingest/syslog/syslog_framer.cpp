#include "ticketd/ingest/syslog_framer.hpp"

namespace ticketd::ingest {

namespace {
constexpr size_t kMaxLengthDigits = 10;
}

void SyslogFramer::feed(std::string_view data, const OnFrame& on_frame) {
  size_t i = 0;
  while (i < data.size()) {
    if (skip_ > 0) {  // the cut-off rest of an oversized counted frame
      size_t n = static_cast<size_t>(std::min<uint64_t>(skip_, data.size() - i));
      skip_ -= n;
      i += n;
      continue;
    }
    const char c = data[i];
    switch (state_) {
      case State::kStart:
        if (c == '\n' || c == '\r' || c == '\0' || c == ' ') {
          ++i;  // stray delimiters between frames
        } else if (c >= '1' && c <= '9') {
          state_ = State::kLength;
          length_text_.clear();
        } else {
          state_ = State::kLine;
          buf_.clear();
        }
        break;
      case State::kLength:
        if (c >= '0' && c <= '9' && length_text_.size() < kMaxLengthDigits) {
          length_text_ += c;
          ++i;
        } else if (c == ' ' && !length_text_.empty()) {
          ++i;
          remaining_ = std::stoull(length_text_);
          buf_.clear();
          state_ = State::kCounted;
          if (remaining_ == 0) state_ = State::kStart;
        } else {
          // Not a length after all (e.g. a line starting with digits).
          buf_ = length_text_;
          state_ = State::kLine;
        }
        break;
      case State::kCounted: {
        size_t want = static_cast<size_t>(std::min<uint64_t>(remaining_, data.size() - i));
        size_t room = buf_.size() < max_ ? max_ - buf_.size() : 0;
        buf_.append(data.substr(i, std::min(want, room)));
        remaining_ -= want;
        i += want;
        if (remaining_ == 0) {
          const bool cut = buf_.size() >= max_ && want > room;
          truncated_ += cut;
          ++octet_counted_;
          on_frame(buf_, cut);
          buf_.clear();
          state_ = State::kStart;
        } else if (buf_.size() >= max_) {
          // Deliver what fits now and skip the rest.
          ++truncated_;
          ++octet_counted_;
          on_frame(buf_, true);
          buf_.clear();
          skip_ = remaining_;
          remaining_ = 0;
          state_ = State::kStart;
        }
        break;
      }
      case State::kLine: {
        size_t end = data.find_first_of(std::string_view("\n\0", 2), i);
        size_t stop = end == std::string_view::npos ? data.size() : end;
        size_t room = buf_.size() < max_ ? max_ - buf_.size() : 0;
        buf_.append(data.substr(i, std::min(stop - i, room)));
        if (stop - i > room) {
          ++truncated_;
          ++lf_framed_;
          on_frame(buf_, true);
          buf_.clear();
          state_ = end == std::string_view::npos ? State::kSkipLine : State::kStart;
          i = end == std::string_view::npos ? data.size() : end + 1;
          break;
        }
        i = stop;
        if (end != std::string_view::npos) {
          ++i;
          ++lf_framed_;
          on_frame(buf_, false);
          buf_.clear();
          state_ = State::kStart;
        }
        break;
      }
      case State::kSkipLine: {
        size_t end = data.find_first_of(std::string_view("\n\0", 2), i);
        if (end == std::string_view::npos) {
          i = data.size();
        } else {
          i = end + 1;
          state_ = State::kStart;
        }
        break;
      }
    }
  }
}

void SyslogFramer::finish(const OnFrame& on_frame) {
  if ((state_ == State::kLine || state_ == State::kCounted) && !buf_.empty()) {
    ++lf_framed_;
    on_frame(buf_, state_ == State::kCounted);
  } else if (state_ == State::kLength && !length_text_.empty()) {
    on_frame(length_text_, false);
  }
  buf_.clear();
  state_ = State::kStart;
}

}  // namespace ticketd::ingest
