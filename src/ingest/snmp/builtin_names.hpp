// The table of SNMP names compiled into ticketd (SnmpNames::builtin()).
//
// Internal to ticketd_ingest. Every OID and enumeration was checked against
// the MIB modules with net-snmp's parser (scripts/verify-snmp-names.py).
#pragma once

#include <span>

#include "ticketd/ingest/snmp_names.hpp"

namespace ticketd::ingest::snmp {

struct BuiltinName {
  const char* module;
  const char* name;
  const char* oid;    // dotted decimal
  SnmpNames::Kind kind;
  const char* enums;  // "up(1) down(2) testing(3)", or ""
};

std::span<const BuiltinName> builtin_names();

}  // namespace ticketd::ingest::snmp
