#include "ticketd/ingest/snmp_types.hpp"

#include <algorithm>
#include <limits>

namespace ticketd::ingest {

std::string format_oid(const SnmpOid& oid) {
  std::string out;
  out.reserve(oid.size() * 4);
  for (size_t i = 0; i < oid.size(); ++i) {
    if (i > 0) out += '.';
    out += std::to_string(oid[i]);
  }
  return out;
}

Result<SnmpOid> parse_oid(std::string_view text) {
  std::string_view s = text;
  if (!s.empty() && s.front() == '.') s.remove_prefix(1);
  SnmpOid oid;
  auto bad = [&] {
    return Status::invalid_argument("snmp: invalid OID \"" + std::string(text) + "\"");
  };
  if (s.empty()) return bad();
  uint64_t arc = 0;
  bool digits = false;
  for (char c : s) {
    if (c == '.') {
      if (!digits) return bad();
      oid.push_back(static_cast<uint32_t>(arc));
      arc = 0;
      digits = false;
    } else if (c >= '0' && c <= '9') {
      arc = arc * 10 + static_cast<uint64_t>(c - '0');
      if (arc > std::numeric_limits<uint32_t>::max()) return bad();
      digits = true;
    } else {
      return bad();
    }
  }
  if (!digits) return bad();
  oid.push_back(static_cast<uint32_t>(arc));
  if (oid.size() > 128) return bad();
  return oid;
}

bool oid_starts_with(const SnmpOid& oid, const SnmpOid& prefix) {
  return prefix.size() <= oid.size() && std::equal(prefix.begin(), prefix.end(), oid.begin());
}

const char* snmp_type_name(SnmpValue::Type type) {
  using T = SnmpValue::Type;
  switch (type) {
    case T::kInteger:
      return "INTEGER";
    case T::kOctetString:
      return "OCTET STRING";
    case T::kNull:
      return "NULL";
    case T::kOid:
      return "OBJECT IDENTIFIER";
    case T::kIpAddress:
      return "IpAddress";
    case T::kCounter32:
      return "Counter32";
    case T::kGauge32:
      return "Gauge32";
    case T::kTimeTicks:
      return "TimeTicks";
    case T::kOpaque:
      return "Opaque";
    case T::kCounter64:
      return "Counter64";
    case T::kNoSuchObject:
      return "noSuchObject";
    case T::kNoSuchInstance:
      return "noSuchInstance";
    case T::kEndOfMibView:
      return "endOfMibView";
    case T::kOther:
      return "other";
  }
  return "other";
}

const char* snmp_version_name(SnmpVersion v) {
  switch (v) {
    case SnmpVersion::kV1:
      return "1";
    case SnmpVersion::kV2c:
      return "2c";
    case SnmpVersion::kV3:
      return "3";
  }
  return "?";
}

const char* snmp_security_level_name(SnmpSecurityLevel level) {
  switch (level) {
    case SnmpSecurityLevel::kNoAuthNoPriv:
      return "noAuthNoPriv";
    case SnmpSecurityLevel::kAuthNoPriv:
      return "authNoPriv";
    case SnmpSecurityLevel::kAuthPriv:
      return "authPriv";
  }
  return "?";
}

const char* snmp_pdu_type_name(SnmpPduType t) {
  switch (t) {
    case SnmpPduType::kGetRequest:
      return "GetRequest-PDU";
    case SnmpPduType::kGetNextRequest:
      return "GetNextRequest-PDU";
    case SnmpPduType::kResponse:
      return "Response-PDU";
    case SnmpPduType::kSetRequest:
      return "SetRequest-PDU";
    case SnmpPduType::kTrapV1:
      return "Trap-PDU";
    case SnmpPduType::kGetBulkRequest:
      return "GetBulkRequest-PDU";
    case SnmpPduType::kInformRequest:
      return "InformRequest-PDU";
    case SnmpPduType::kTrapV2:
      return "SNMPv2-Trap-PDU";
    case SnmpPduType::kReport:
      return "Report-PDU";
  }
  return "unknown PDU";
}

}  // namespace ticketd::ingest
