// SNMP values: OIDs, typed varbind values, and a decoded notification (a
// trap or an inform of any SNMP version, in SNMPv2 form).
//
// Plain value types: copyable, not synchronized, safe to share read-only.
// Byte strings (octet strings, engine IDs, community) are held in
// std::string as raw bytes, not text.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "ticketd/core/status.hpp"

namespace ticketd::ingest {

// An object identifier: its sub-identifiers (each at most 32 bits).
using SnmpOid = std::vector<uint32_t>;

// "1.3.6.1.6.3.1.1.5.3"; "" for an empty OID.
std::string format_oid(const SnmpOid& oid);
// Parses dotted decimal ("1.3.6.1", a leading "." allowed). Errors name the
// text: `snmp: invalid OID "1..3"`.
Result<SnmpOid> parse_oid(std::string_view text);
// True when `oid` starts with `prefix`.
bool oid_starts_with(const SnmpOid& oid, const SnmpOid& prefix);

// A varbind value with its SMI type (RFC 2578, RFC 3416).
struct SnmpValue {
  enum class Type {
    kInteger,      // INTEGER / Integer32: `integer`
    kOctetString,  // OCTET STRING: `bytes`
    kNull,
    kOid,           // OBJECT IDENTIFIER: `oid`
    kIpAddress,     // `bytes`, 4 octets
    kCounter32,     // `number`
    kGauge32,       // Gauge32 / Unsigned32: `number`
    kTimeTicks,     // hundredths of a second: `number`
    kOpaque,        // `bytes`
    kCounter64,     // `number`
    kNoSuchObject,  // exceptions (RFC 3416); no value
    kNoSuchInstance,
    kEndOfMibView,
    kOther,  // any other primitive tag (e.g. obsolete UInteger32): `bytes`
  };
  Type type = Type::kNull;
  uint8_t tag = 0x05;  // the BER tag as received; what an encoder writes back
  int64_t integer = 0;
  uint64_t number = 0;
  std::string bytes;
  SnmpOid oid;
};

// The SMI name of a type: "INTEGER", "OCTET STRING", "Counter32", ...
const char* snmp_type_name(SnmpValue::Type type);

struct SnmpVarbind {
  SnmpOid oid;
  SnmpValue value;
};

enum class SnmpVersion { kV1, kV2c, kV3 };
// "1", "2c", "3".
const char* snmp_version_name(SnmpVersion v);

enum class SnmpSecurityLevel { kNoAuthNoPriv, kAuthNoPriv, kAuthPriv };
// "noAuthNoPriv", "authNoPriv", "authPriv".
const char* snmp_security_level_name(SnmpSecurityLevel level);

// PDU tags (RFC 3416, RFC 1157).
enum class SnmpPduType : uint8_t {
  kGetRequest = 0xA0,
  kGetNextRequest = 0xA1,
  kResponse = 0xA2,
  kSetRequest = 0xA3,
  kTrapV1 = 0xA4,
  kGetBulkRequest = 0xA5,
  kInformRequest = 0xA6,
  kTrapV2 = 0xA7,
  kReport = 0xA8,
};
// "Trap-PDU", "SNMPv2-Trap-PDU", "InformRequest-PDU", ...
const char* snmp_pdu_type_name(SnmpPduType t);

// A notification as received, authenticated and in SNMPv2 form: SNMPv1
// traps are translated per RFC 3584 section 3.1.
struct SnmpNotification {
  SnmpVersion version = SnmpVersion::kV2c;
  SnmpPduType pdu_type = SnmpPduType::kTrapV2;  // kTrapV1, kTrapV2 or kInformRequest
  // v1/v2c: the community the message carried (a secret: never log it).
  std::string community;
  // v3: the USM user, the authoritative engine ID (bytes; the sender's for a
  // trap, ours for an inform), the security level, the context.
  std::string user;
  std::string engine_id;
  SnmpSecurityLevel security_level = SnmpSecurityLevel::kNoAuthNoPriv;
  std::string context_engine_id;
  std::string context_name;
  int32_t request_id = 0;  // 0 for v1
  // snmpTrapOID.0: for v1, generic 0..5 -> 1.3.6.1.6.3.1.1.5.{1..6}, and
  // enterpriseSpecific -> enterprise.0.specific.
  SnmpOid trap_oid;
  uint32_t uptime = 0;  // sysUpTime.0 (v1: time-stamp), hundredths of a second
  // v1 only: the Trap-PDU's enterprise and agent-addr (4 bytes), generic
  // and specific trap numbers.
  SnmpOid enterprise;
  std::string agent_address;
  int generic_trap = -1;
  int specific_trap = 0;
  // All varbinds in SNMPv2 order: sysUpTime.0, snmpTrapOID.0, then the
  // sender's. A v1 trap gets sysUpTime.0 and snmpTrapOID.0 prepended and
  // snmpTrapAddress.0 (agent-addr) and snmpTrapEnterprise.0 (enterprise)
  // appended unless present (RFC 3584 3.1 (4); snmpTrapCommunity.0 is
  // left out: the community is a secret).
  std::vector<SnmpVarbind> varbinds;
};

}  // namespace ticketd::ingest
