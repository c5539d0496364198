// SnmpNames: symbolic names of OIDs ("IF-MIB::linkDown", "ifIndex") and of
// enumerated INTEGER values ("down"), for trap OIDs and varbind labels.
//
// builtin() holds a table compiled into the binary of the common standard
// notifications and their objects (SNMPv2-MIB, IF-MIB, SNMP-COMMUNITY-MIB,
// UPS-MIB, ENTITY-MIB, BGP4-MIB, OSPF-MIB/OSPF-TRAP-MIB, DISMAN-EVENT-MIB,
// HOST-RESOURCES-MIB, BRIDGE-MIB, RMON-MIB, SNMP framework and USM
// counters, net-snmp's agent notifications): Debian's free packages ship
// almost no MIBs. load() adds the names of every MIB module found in
// configured directories (vendor MIBs), parsed by net-snmp's library; where
// both name the same OID the built-in name wins, so the names rules are
// written against do not change when a directory holds an older or
// duplicate definition (RFC1213-MIB also defines ifIndex).
//
// Lookups are longest-prefix: 1.3.6.1.2.1.2.2.1.1.3 is ifIndex with
// instance ".3".
//
// Immutable once built: safe to share between threads (hold it by
// shared_ptr and swap in a new one on reload). load() serializes on a
// global mutex (net-snmp's parser is global state) and is slow (all files
// of the directories): call it at start-up or reload, off the I/O thread.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ticketd/core/status.hpp"
#include "ticketd/ingest/snmp_types.hpp"

namespace ticketd::ingest {

class SnmpNames {
 public:
  enum class Kind {
    kNode,          // a registration point or identity (upsAlarmOnBattery, enterprises)
    kObject,        // an OBJECT-TYPE: a scalar or a table column
    kNotification,  // a NOTIFICATION-TYPE or TRAP-TYPE
  };
  struct Entry {
    std::string module;
    std::string name;
    Kind kind = Kind::kNode;
    std::vector<std::pair<int64_t, std::string>> enums;  // named values of an INTEGER object
    // The label of `value`, when the object names it.
    const std::string* enum_name(int64_t value) const;
  };
  struct Match {
    const Entry* entry = nullptr;
    size_t length = 0;  // the entry names oid[0, length); the rest is the instance
  };

  // The built-in table (built once, on first use).
  static std::shared_ptr<const SnmpNames> builtin();
  // The built-in names plus those of every MIB module in `dirs` (only
  // those: not net-snmp's default path). A vendor MIB imports the IETF base
  // modules (SNMPv2-SMI, SNMPv2-TC, SNMPv2-CONF...): they must be in one of
  // the directories too (Debian: snmp-mibs-downloader's
  // /usr/share/snmp/mibs/ietf), or the vendor's nodes stay unlinked and
  // unnamed. Parse problems ("Cannot find module (SNMPv2-SMI): At line 5 in
  // /x/ACME-MIB.txt") go to `warnings` (at most 100; when not null) and do
  // not fail the load; a directory that is not one does: `snmp: MIB
  // directory "/x": not a directory`.
  static Result<std::shared_ptr<const SnmpNames>> load(const std::vector<std::string>& dirs,
                                                       std::vector<std::string>* warnings);

  // The entry with the longest prefix of `oid`, if any.
  std::optional<Match> lookup(const SnmpOid& oid) const;
  // The entry for exactly `oid`.
  const Entry* find(const SnmpOid& oid) const;

  // "MODULE::name" for an exact match of any kind, "MODULE::name.suffix"
  // under an object (a table column's instance), else dotted decimal.
  std::string render_oid(const SnmpOid& oid) const;

  size_t size() const { return entries_.size(); }

 private:
  struct OidLess {
    using is_transparent = void;
    bool operator()(std::span<const uint32_t> a, std::span<const uint32_t> b) const;
  };
  // Adds unless the OID is named already (first name wins).
  void add(SnmpOid oid, Entry entry);

  std::map<SnmpOid, Entry, OidLess> entries_;
};

}  // namespace ticketd::ingest
