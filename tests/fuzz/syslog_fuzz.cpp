// libFuzzer target: bytes as a syslog TCP stream (framer, split at a
// data-chosen point) and each frame, plus the whole input as one datagram,
// through the parser. Must never crash, hang, leak or hold more than the
// frame limit.
#include <cstddef>
#include <cstdint>
#include <string>

#include "ticketd/ingest/syslog_framer.hpp"
#include "ticketd/ingest/syslog_parser.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const ticketd::TimePoint now = ticketd::from_unix_ms(1'800'000'000'000);
  auto parse = [&](std::string_view msg) {
    auto p = ticketd::ingest::parse_syslog(msg, "192.0.2.1", now);
    if (p.event.host.empty() || p.event.source != "syslog") __builtin_trap();
    if (p.event.message.size() > 2 * msg.size() + 8) __builtin_trap();  // bounded growth
  };
  parse(input);
  ticketd::ingest::SyslogFramer framer(256);
  const size_t cut = size > 0 ? data[0] % (size + 1) : 0;
  auto on_frame = [&](std::string_view frame, bool) {
    if (frame.size() > 256) __builtin_trap();
    parse(frame);
  };
  framer.feed(input.substr(0, cut), on_frame);
  framer.feed(input.substr(cut), on_frame);
  if (framer.buffered() > 256) __builtin_trap();
  framer.finish(on_frame);
  return 0;
}
