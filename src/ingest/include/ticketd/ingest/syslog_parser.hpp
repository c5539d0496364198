// Syslog parsing: one message (already framed) into a normalized Event.
//
// Understands RFC 5424 and RFC 3164/BSD, plus the deviations real senders
// produce (missing hostname or PRI, Cisco sequence numbers and "*"/"." time
// prefixes, ISO timestamps in 3164 lines, year-less dates around New Year,
// FortiGate key=value bodies, trailing NUL/CR/LF). Never fails: a message
// that cannot be parsed becomes an event with the raw text as message and
// the peer as host, flagged `malformed`. Pure and thread-safe; never
// allocates more than a small multiple of the input.
#pragma once

#include <string>
#include <string_view>

#include "ticketd/core/event.hpp"

namespace ticketd::ingest {

struct SyslogParse {
  Event event;
  bool malformed = false;
  std::string error;  // why, when malformed: `syslog: invalid PRI "<999>"`
};

// `peer` is the sender's address (the host when the message names none);
// `received` is the receive time (the time when the message has none, and
// the reference for year-less dates).
SyslogParse parse_syslog(std::string_view message, const std::string& peer, TimePoint received);

// "kern", "user", ... "local7" for facility numbers 0..23.
const char* syslog_facility_name(int facility);

}  // namespace ticketd::ingest
