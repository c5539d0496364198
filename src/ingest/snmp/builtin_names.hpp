// The table of SNMP names compiled into ticketd (SnmpNames::builtin()).
//
// Internal to ticketd_ingest. Every row was checked against the MIB modules
// with net-snmp's parser (scripts/verify-snmp-names.py), over the MIBs of the
// net-snmp sources (IANAifType-MIB of 2022) and of LibreNMS; exceptions:
// egpNeighborLoss (no MIB module defines it; its OID is RFC 3584's table),
// and ospfConfigErrorType/ospfPacketType values 11-13 and 6, which are RFC
// 4750's and were only checked against text quoting it (the MIB file at hand
// was RFC 1850's).
#pragma once

#include <span>

#include "ticketd/ingest/snmp_names.hpp"

namespace ticketd::ingest::snmp {

struct BuiltinName {
  const char* module;
  const char* name;
  const char* oid;  // dotted decimal
  SnmpNames::Kind kind;
  const char* enums;  // "up(1) down(2) testing(3)", or ""
};

std::span<const BuiltinName> builtin_names();

}  // namespace ticketd::ingest::snmp
