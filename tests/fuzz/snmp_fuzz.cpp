// libFuzzer target: bytes as one SNMP trap datagram through SnmpTrapDecoder
// (a community and v3 users of every security level, our engine for
// informs), every reply decoded back, and every notification through the
// normalizer. Must never crash, hang or leak; a reply must always be a
// well-formed message.
//
// Seeds: tests/fuzz/corpus/snmp/, the datagrams net-snmp's snmptrap and
// snmpinform sent in tests/unit/snmp_test.cpp (same users, same engine), so
// the v3 seeds authenticate and decrypt.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "ingest/snmp/snmp_message.hpp"
#include "ticketd/ingest/snmp_event.hpp"
#include "ticketd/ingest/snmp_names.hpp"
#include "ticketd/ingest/snmp_trap_decoder.hpp"

namespace {

using namespace ticketd;
using namespace ticketd::ingest;

SnmpUser make_user(const char* name, SnmpAuthProtocol auth, SnmpPrivProtocol priv) {
  SnmpUser u;
  u.name = name;
  u.auth = auth;
  u.priv = priv;
  if (auth != SnmpAuthProtocol::kNone) u.auth_passphrase = std::string(name) + "-auth-pass";
  if (priv != SnmpPrivProtocol::kNone) u.priv_passphrase = std::string(name) + "-priv-pass";
  return u;
}

const SnmpTrapDecoder& decoder() {
  static const std::unique_ptr<SnmpTrapDecoder> d = [] {
    SnmpTrapDecoderConfig c;
    c.communities = {"public"};
    c.users = {make_user("alice", SnmpAuthProtocol::kSha1, SnmpPrivProtocol::kAes128),
               make_user("carol", SnmpAuthProtocol::kSha512, SnmpPrivProtocol::kAes256),
               make_user("heidi", SnmpAuthProtocol::kMd5, SnmpPrivProtocol::kNone),
               make_user("ivan", SnmpAuthProtocol::kNone, SnmpPrivProtocol::kNone)};
    c.local_engine.engine_id = std::string("\x80\x00\x1f\x88\x04ticketd", 12);
    c.local_engine.boots = 7;
    c.local_engine.boot_time = from_unix_ms(int64_t{1796098207} * 1000);
    auto made = SnmpTrapDecoder::create(std::move(c));
    if (!made) __builtin_trap();
    return std::move(*made);
  }();
  return *d;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  // When the v3 inform seeds were sent: inside the time window.
  const TimePoint now = from_unix_ms(1796103207986);
  SnmpReceived got = decoder().decode(input, now);
  if (got.outcome != SnmpOutcome::kNotification && got.outcome != SnmpOutcome::kReport &&
      got.error.empty()) {
    __builtin_trap();  // every failure says why
  }
  if (got.outcome == SnmpOutcome::kNotification && !got.notification) __builtin_trap();
  if (!got.reply.empty()) {
    snmp::Message m;
    if (!snmp::decode_message(got.reply, &m).is_ok()) __builtin_trap();
  }
  if (got.notification) {
    Event e = snmp_to_event(*got.notification, *SnmpNames::builtin(), "192.0.2.1", now);
    if (e.source != "snmp" || e.host.empty() || e.trap_oid.empty()) __builtin_trap();
    if (e.message.size() > 1100) __builtin_trap();  // bounded
  }
  return 0;
}
