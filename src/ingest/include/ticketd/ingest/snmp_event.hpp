// SNMP normalization: a decoded notification into an Event (DESIGN.md,
// Inputs: SNMP traps).
//
//   source     "snmp"; time: `received` (traps carry no wall-clock time)
//   host       sysName.0 when a varbind carries it as text, else the agent
//              address (v1 agent-addr, or snmpTrapAddress.0 from a proxy)
//              when not 0.0.0.0, else `peer` (the UDP source address)
//   trap_oid   "MODULE::name" when `names` knows the OID exactly
//              ("IF-MIB::linkDown"), else dotted decimal
//   severity   a default per well-known notification (snmp_default_severity)
//   message    one line: the trap name, then name=value per varbind
//              ("IF-MIB::linkDown ifIndex=3 ifDescr=Gi0/3 ifOperStatus=down")
//   labels     every varbind twice: under its object name without instance
//              ("ifDescr", the first varbind of a name wins), value rendered
//              symbolically (enumerations by name: "down"; OIDs by name), and
//              under its full numeric OID ("1.3.6.1.2.1.2.2.1.2.3"), value
//              rendered numerically ("2"; OIDs dotted). snmpTrapOID.0 becomes
//              trap_oid instead. Values: INTEGER and counters in decimal,
//              OCTET STRING as text when it is printable UTF-8 (trailing NULs
//              dropped) else hex "0a:1b:ff", IpAddress dotted, TimeTicks as
//              the integer (hundredths), NULL and exceptions empty; at most
//              1,024 bytes each, and the first 128 varbinds.
//              Also: trap_oid_numeric, snmp_version ("1", "2c", "3"),
//              snmp_pdu ("trap" or "inform"), peer, uptime (sysUpTime as
//              "3 days, 4:05:06.07"); v1: snmp_generic_trap,
//              snmp_specific_trap; v3: user, snmp_security_level,
//              snmp_engine_id (hex), snmp_context (when not empty). The
//              community is never a label.
//
// Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "ticketd/core/event.hpp"
#include "ticketd/ingest/snmp_names.hpp"
#include "ticketd/ingest/snmp_types.hpp"

namespace ticketd::ingest {

Event snmp_to_event(const SnmpNotification& n, const SnmpNames& names, std::string_view peer,
                    TimePoint received);

// The default severity of a notification: linkDown, egpNeighborLoss,
// upsTrapAlarmEntryAdded, mteTrigger{Fired,Rising,Failure},
// mteEventSetFailure, OSPF config errors, auth failures and LSDB overflow,
// risingAlarm, net-snmp's nsNotifyShutdown -> warning; upsTrapOnBattery ->
// critical; bgpBackwardTransition (and bgpBackwardTransNotification) ->
// error; coldStart, warmStart, authenticationFailure, OSPF state changes,
// BRIDGE-MIB newRoot/topologyChange, nsNotifyStart/Restart -> notice;
// everything else (linkUp, bgpEstablished, entConfigChange, UPS test and
// alarm-removed, fallingAlarm, unknown traps) -> info.
Severity snmp_default_severity(const SnmpOid& trap_oid);

// A value as text: symbolic (enumerations and OIDs by name through
// `entry` and `names`) or numeric. Octet strings as text or hex.
std::string snmp_value_text(const SnmpValue& v, const SnmpNames::Entry* entry,
                            const SnmpNames* names);

}  // namespace ticketd::ingest
