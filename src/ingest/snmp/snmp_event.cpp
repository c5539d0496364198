#include "ticketd/ingest/snmp_event.hpp"

#include <cstdio>
#include <utility>

#include "ticketd/ingest/snmp_trap_decoder.hpp"

namespace ticketd::ingest {
namespace {

constexpr size_t kMaxValueBytes = 1024;
constexpr size_t kMaxLabelledVarbinds = 128;
constexpr size_t kMaxMessageBytes = 1024;

const SnmpOid kSysUpTime0 = {1, 3, 6, 1, 2, 1, 1, 3, 0};
const SnmpOid kSysName0 = {1, 3, 6, 1, 2, 1, 1, 5, 0};
const SnmpOid kSnmpTrapOid0 = {1, 3, 6, 1, 6, 3, 1, 1, 4, 1, 0};
const SnmpOid kSnmpTrapEnterprise0 = {1, 3, 6, 1, 6, 3, 1, 1, 4, 3, 0};
const SnmpOid kSnmpTrapAddress0 = {1, 3, 6, 1, 6, 3, 18, 1, 3, 0};
const SnmpOid kSnmpTrapCommunity0 = {1, 3, 6, 1, 6, 3, 18, 1, 4, 0};

// Valid UTF-8 without control characters other than tab, CR and LF.
bool printable_utf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      if ((c < 0x20 && c != '\t' && c != '\r' && c != '\n') || c == 0x7F) return false;
      ++i;
      continue;
    }
    size_t n = (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (n == 0 || i + n > s.size()) return false;
    uint32_t cp = c & (n == 2 ? 0x1F : n == 3 ? 0x0F : 0x07);
    for (size_t k = 1; k < n; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    // Overlong forms, surrogates and beyond U+10FFFF are not text.
    if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) ||
        (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)) || (cp >= 0xD800 && cp <= 0xDFFF)) {
      return false;
    }
    i += n;
  }
  return true;
}

std::string hex_colon(std::string_view s) {
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(s.size() * 3);
  for (char c : s) {
    if (!out.empty()) out += ':';
    out += kHex[static_cast<uint8_t>(c) >> 4];
    out += kHex[static_cast<uint8_t>(c) & 15];
  }
  return out;
}

std::string ip_text(std::string_view b) {
  if (b.size() != 4) return hex_colon(b);
  char buf[16];
  snprintf(buf, sizeof buf, "%u.%u.%u.%u", static_cast<uint8_t>(b[0]), static_cast<uint8_t>(b[1]),
           static_cast<uint8_t>(b[2]), static_cast<uint8_t>(b[3]));
  return buf;
}

// Cuts at most `max` bytes without splitting a UTF-8 sequence.
void cap(std::string& s, size_t max) {
  if (s.size() <= max) return;
  size_t n = max;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  s.resize(n);
}

// sysUpTime as net-snmp prints it: "3 days, 4:05:06.07".
std::string uptime_text(uint32_t ticks) {
  const uint32_t days = ticks / 8640000;
  const uint32_t rest = ticks % 8640000;
  char buf[64];
  snprintf(buf, sizeof buf, "%u:%02u:%02u.%02u", rest / 360000, rest / 6000 % 60, rest / 100 % 60,
           rest % 100);
  if (days == 0) return buf;
  return std::to_string(days) + (days == 1 ? " day, " : " days, ") + buf;
}

std::string message_value(const std::string& v) {
  bool quote = v.empty();
  for (char c : v)
    quote = quote || c == ' ' || c == '=' || c == '"' || c == '\t' || c == '\n' || c == '\r';
  if (!quote) return v;
  std::string out = "\"";
  for (char c : v) {
    if (c == '"' || c == '\\') out += '\\';
    out += (c == '\n' || c == '\r' || c == '\t') ? ' ' : c;
  }
  return out + "\"";
}

struct SeverityRule {
  const char* oid;
  Severity severity;
};
constexpr SeverityRule kSeverities[] = {
    {"1.3.6.1.6.3.1.1.5.1", Severity::kNotice},      // coldStart
    {"1.3.6.1.6.3.1.1.5.2", Severity::kNotice},      // warmStart
    {"1.3.6.1.6.3.1.1.5.3", Severity::kWarning},     // linkDown
    {"1.3.6.1.6.3.1.1.5.4", Severity::kInfo},        // linkUp
    {"1.3.6.1.6.3.1.1.5.5", Severity::kNotice},      // authenticationFailure
    {"1.3.6.1.6.3.1.1.5.6", Severity::kWarning},     // egpNeighborLoss
    {"1.3.6.1.2.1.33.2.1", Severity::kCritical},     // upsTrapOnBattery
    {"1.3.6.1.2.1.33.2.2", Severity::kInfo},         // upsTrapTestCompleted
    {"1.3.6.1.2.1.33.2.3", Severity::kWarning},      // upsTrapAlarmEntryAdded
    {"1.3.6.1.2.1.33.2.4", Severity::kInfo},         // upsTrapAlarmEntryRemoved
    {"1.3.6.1.2.1.15.0.1", Severity::kInfo},         // bgpEstablishedNotification
    {"1.3.6.1.2.1.15.0.2", Severity::kError},        // bgpBackwardTransNotification
    {"1.3.6.1.2.1.15.7.1", Severity::kInfo},         // bgpEstablished
    {"1.3.6.1.2.1.15.7.2", Severity::kError},        // bgpBackwardTransition
    {"1.3.6.1.2.1.47.2.0.1", Severity::kInfo},       // entConfigChange
    {"1.3.6.1.2.1.88.2.0.1", Severity::kWarning},    // mteTriggerFired
    {"1.3.6.1.2.1.88.2.0.2", Severity::kWarning},    // mteTriggerRising
    {"1.3.6.1.2.1.88.2.0.3", Severity::kInfo},       // mteTriggerFalling
    {"1.3.6.1.2.1.88.2.0.4", Severity::kWarning},    // mteTriggerFailure
    {"1.3.6.1.2.1.88.2.0.5", Severity::kWarning},    // mteEventSetFailure
    {"1.3.6.1.2.1.14.16.2.1", Severity::kNotice},    // ospfVirtIfStateChange
    {"1.3.6.1.2.1.14.16.2.2", Severity::kNotice},    // ospfNbrStateChange
    {"1.3.6.1.2.1.14.16.2.3", Severity::kNotice},    // ospfVirtNbrStateChange
    {"1.3.6.1.2.1.14.16.2.4", Severity::kWarning},   // ospfIfConfigError
    {"1.3.6.1.2.1.14.16.2.5", Severity::kWarning},   // ospfVirtIfConfigError
    {"1.3.6.1.2.1.14.16.2.6", Severity::kWarning},   // ospfIfAuthFailure
    {"1.3.6.1.2.1.14.16.2.7", Severity::kWarning},   // ospfVirtIfAuthFailure
    {"1.3.6.1.2.1.14.16.2.14", Severity::kWarning},  // ospfLsdbOverflow
    {"1.3.6.1.2.1.14.16.2.15", Severity::kWarning},  // ospfLsdbApproachingOverflow
    {"1.3.6.1.2.1.14.16.2.16", Severity::kNotice},   // ospfIfStateChange
    {"1.3.6.1.2.1.17.0.1", Severity::kNotice},       // newRoot
    {"1.3.6.1.2.1.17.0.2", Severity::kNotice},       // topologyChange
    {"1.3.6.1.2.1.16.0.1", Severity::kWarning},      // risingAlarm
    {"1.3.6.1.2.1.16.0.2", Severity::kInfo},         // fallingAlarm
    {"1.3.6.1.4.1.8072.4.0.1", Severity::kNotice},   // nsNotifyStart
    {"1.3.6.1.4.1.8072.4.0.2", Severity::kWarning},  // nsNotifyShutdown
    {"1.3.6.1.4.1.8072.4.0.3", Severity::kNotice},   // nsNotifyRestart
};

}  // namespace

Severity snmp_default_severity(const SnmpOid& trap_oid) {
  const std::string text = format_oid(trap_oid);
  for (const SeverityRule& r : kSeverities) {
    if (text == r.oid) return r.severity;
  }
  return Severity::kInfo;
}

std::string snmp_value_text(const SnmpValue& v, const SnmpNames::Entry* entry,
                            const SnmpNames* names) {
  using T = SnmpValue::Type;
  std::string out;
  switch (v.type) {
    case T::kInteger:
      if (entry != nullptr) {
        if (const std::string* label = entry->enum_name(v.integer)) return *label;
      }
      return std::to_string(v.integer);
    case T::kCounter32:
    case T::kGauge32:
    case T::kTimeTicks:
    case T::kCounter64:
      return std::to_string(v.number);
    case T::kOid:
      return names != nullptr ? names->render_oid(v.oid) : format_oid(v.oid);
    case T::kIpAddress:
      return ip_text(v.bytes);
    case T::kOctetString: {
      std::string_view s = v.bytes;
      while (!s.empty() && s.back() == '\0') s.remove_suffix(1);
      out = printable_utf8(s) ? std::string(s) : hex_colon(v.bytes);
      break;
    }
    case T::kOpaque:
    case T::kOther:
      out = hex_colon(v.bytes);
      break;
    case T::kNull:
    case T::kNoSuchObject:
    case T::kNoSuchInstance:
    case T::kEndOfMibView:
      return "";
  }
  cap(out, kMaxValueBytes);
  return out;
}

Event snmp_to_event(const SnmpNotification& n, const SnmpNames& names, std::string_view peer,
                    TimePoint received) {
  Event e;
  e.source = "snmp";
  e.time = received;
  const SnmpNames::Entry* trap = names.find(n.trap_oid);
  e.trap_oid = trap != nullptr ? trap->module + "::" + trap->name : format_oid(n.trap_oid);
  e.severity = snmp_default_severity(n.trap_oid);

  Labels& l = e.labels;
  l["trap_oid_numeric"] = format_oid(n.trap_oid);
  l["snmp_version"] = snmp_version_name(n.version);
  l["snmp_pdu"] = n.pdu_type == SnmpPduType::kInformRequest ? "inform" : "trap";
  l["peer"] = std::string(peer);
  l["uptime"] = uptime_text(n.uptime);
  if (n.version == SnmpVersion::kV1) {
    l["snmp_generic_trap"] = std::to_string(n.generic_trap);
    l["snmp_specific_trap"] = std::to_string(n.specific_trap);
  }
  if (n.version == SnmpVersion::kV3) {
    l["user"] = snmp_value_text(SnmpValue{SnmpValue::Type::kOctetString, 0x04, 0, 0, n.user, {}},
                                nullptr, nullptr);
    l["snmp_security_level"] = snmp_security_level_name(n.security_level);
    l["snmp_engine_id"] = format_snmp_engine_id(n.engine_id);
    if (!n.context_name.empty()) {
      l["snmp_context"] =
          snmp_value_text(SnmpValue{SnmpValue::Type::kOctetString, 0x04, 0, 0, n.context_name, {}},
                          nullptr, nullptr);
    }
  }

  std::string message = e.trap_oid;
  std::string sys_name;
  std::string trap_address;
  size_t labelled = 0;
  for (const SnmpVarbind& vb : n.varbinds) {
    if (vb.oid == kSnmpTrapOid0 || vb.oid == kSnmpTrapCommunity0) continue;
    if (vb.oid == kSysName0 && vb.value.type == SnmpValue::Type::kOctetString && sys_name.empty()) {
      std::string_view s = vb.value.bytes;
      while (!s.empty() && s.back() == '\0') s.remove_suffix(1);
      if (!s.empty() && s.size() <= 255 && printable_utf8(s)) sys_name = s;
    }
    if (vb.oid == kSnmpTrapAddress0 && vb.value.type == SnmpValue::Type::kIpAddress &&
        vb.value.bytes != std::string(4, '\0') && trap_address.empty()) {
      trap_address = ip_text(vb.value.bytes);
    }
    if (labelled >= kMaxLabelledVarbinds) continue;
    ++labelled;
    std::optional<SnmpNames::Match> m = names.lookup(vb.oid);
    const SnmpNames::Entry* object =
        m && m->entry->kind == SnmpNames::Kind::kObject ? m->entry : nullptr;
    const std::string numeric_key = format_oid(vb.oid);
    l.emplace(numeric_key, snmp_value_text(vb.value, nullptr, nullptr));
    std::string text = snmp_value_text(vb.value, object, &names);
    const std::string& key = object != nullptr ? object->name : numeric_key;
    if (vb.oid != kSysUpTime0 && vb.oid != kSnmpTrapAddress0 && vb.oid != kSnmpTrapEnterprise0 &&
        message.size() < kMaxMessageBytes) {
      message += " " + key + "=" + message_value(text);
    }
    if (object != nullptr) l.emplace(object->name, std::move(text));
  }
  if (message.size() > kMaxMessageBytes) {
    cap(message, kMaxMessageBytes - 3);
    message += "...";
  }
  e.message = std::move(message);

  if (!sys_name.empty()) {
    e.host = std::move(sys_name);
  } else if (!trap_address.empty()) {
    e.host = std::move(trap_address);
  } else {
    e.host = std::string(peer);
  }
  return e;
}

}  // namespace ticketd::ingest
