#include "ticketd/ingest/snmp_trap_decoder.hpp"

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <set>

#include "ingest/snmp/snmp_message.hpp"
#include "ingest/snmp/usm_crypto.hpp"

namespace ticketd::ingest {

using snmp::kFlagAuth;
using snmp::kFlagPriv;
using snmp::kFlagReportable;
using snmp::kMaxInt32;

namespace {

const SnmpOid kSysUpTime0 = {1, 3, 6, 1, 2, 1, 1, 3, 0};
const SnmpOid kSnmpTrapOid0 = {1, 3, 6, 1, 6, 3, 1, 1, 4, 1, 0};
const SnmpOid kSnmpTrapEnterprise0 = {1, 3, 6, 1, 6, 3, 1, 1, 4, 3, 0};
const SnmpOid kSnmpTrapAddress0 = {1, 3, 6, 1, 6, 3, 18, 1, 3, 0};
const SnmpOid kSnmpTraps = {1, 3, 6, 1, 6, 3, 1, 1, 5};
const SnmpOid kUsmStats = {1, 3, 6, 1, 6, 3, 15, 1, 1};  // .N.0 per counter
constexpr int kUsmStatsNotInTimeWindows = 2;
constexpr int kUsmStatsUnknownEngineIds = 4;
constexpr uint32_t kTimeWindowSeconds = 150;  // RFC 3414 3.2 step 7a
constexpr size_t kMaxCachedKeys = 4096;
constexpr size_t kMaxPassphrase = 1024;

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

SnmpReceived outcome(SnmpOutcome o, std::string error) {
  SnmpReceived r;
  r.outcome = o;
  r.error = std::move(error);
  return r;
}

SnmpSecurityLevel level_of_flags(uint8_t flags) {
  if (flags & kFlagPriv) return SnmpSecurityLevel::kAuthPriv;
  if (flags & kFlagAuth) return SnmpSecurityLevel::kAuthNoPriv;
  return SnmpSecurityLevel::kNoAuthNoPriv;
}

std::string quoted(std::string_view s) {
  // User names are not secret but are untrusted: printable ASCII only.
  std::string out = "\"";
  for (char c : s) out += (c >= 0x20 && c < 0x7F && c != '"') ? c : '?';
  return out + "\"";
}

SnmpValue counter32(uint64_t v) {
  SnmpValue x;
  x.type = SnmpValue::Type::kCounter32;
  x.tag = snmp::tag::kCounter32;
  x.number = v & 0xFFFFFFFFu;
  return x;
}

// The varbinds of a v2 notification must begin with sysUpTime.0 and
// snmpTrapOID.0 (RFC 3416 4.2.6, 4.2.7).
Status check_v2_varbinds(const std::vector<SnmpVarbind>& vbs, SnmpNotification* n) {
  if (vbs.size() < 2) {
    return Status::invalid_argument("snmp: notification with " + std::to_string(vbs.size()) +
                                    " varbinds, expected sysUpTime.0 and snmpTrapOID.0 first");
  }
  if (vbs[0].oid != kSysUpTime0 || vbs[0].value.type != SnmpValue::Type::kTimeTicks) {
    return Status::invalid_argument("snmp: first varbind is " + format_oid(vbs[0].oid) + " (" +
                                    snmp_type_name(vbs[0].value.type) +
                                    "), expected sysUpTime.0 (TimeTicks)");
  }
  if (vbs[1].oid != kSnmpTrapOid0 || vbs[1].value.type != SnmpValue::Type::kOid) {
    return Status::invalid_argument("snmp: second varbind is " + format_oid(vbs[1].oid) + " (" +
                                    snmp_type_name(vbs[1].value.type) +
                                    "), expected snmpTrapOID.0 (OBJECT IDENTIFIER)");
  }
  n->uptime = static_cast<uint32_t>(vbs[0].value.number);
  n->trap_oid = vbs[1].value.oid;
  return Status::ok();
}

// RFC 3584 3.1: a v1 Trap-PDU in SNMPv2 form.
Status translate_v1(const snmp::Pdu& pdu, SnmpNotification* n) {
  n->enterprise = pdu.enterprise;
  n->agent_address = pdu.agent_address;
  n->generic_trap = pdu.generic_trap;
  n->specific_trap = pdu.specific_trap;
  n->uptime = pdu.time_stamp;
  if (pdu.generic_trap == 6) {
    if (pdu.specific_trap < 0) {
      return Status::invalid_argument("snmp: negative specific-trap " +
                                      std::to_string(pdu.specific_trap) +
                                      " of an enterpriseSpecific trap");
    }
    n->trap_oid = pdu.enterprise;
    n->trap_oid.push_back(0);
    n->trap_oid.push_back(static_cast<uint32_t>(pdu.specific_trap));
  } else {
    n->trap_oid = kSnmpTraps;
    n->trap_oid.push_back(static_cast<uint32_t>(pdu.generic_trap + 1));
  }
  n->varbinds.reserve(pdu.varbinds.size() + 4);
  SnmpVarbind up{kSysUpTime0, {}};
  up.value.type = SnmpValue::Type::kTimeTicks;
  up.value.tag = snmp::tag::kTimeTicks;
  up.value.number = pdu.time_stamp;
  n->varbinds.push_back(std::move(up));
  SnmpVarbind trap{kSnmpTrapOid0, {}};
  trap.value.type = SnmpValue::Type::kOid;
  trap.value.tag = snmp::tag::kOid;
  trap.value.oid = n->trap_oid;
  n->varbinds.push_back(std::move(trap));
  bool have_address = false;
  bool have_enterprise = false;
  for (const SnmpVarbind& v : pdu.varbinds) {
    have_address = have_address || v.oid == kSnmpTrapAddress0;
    have_enterprise = have_enterprise || v.oid == kSnmpTrapEnterprise0;
    n->varbinds.push_back(v);
  }
  if (!have_address) {
    SnmpVarbind a{kSnmpTrapAddress0, {}};
    a.value.type = SnmpValue::Type::kIpAddress;
    a.value.tag = snmp::tag::kIpAddress;
    a.value.bytes = pdu.agent_address;
    n->varbinds.push_back(std::move(a));
  }
  if (!have_enterprise) {
    SnmpVarbind e{kSnmpTrapEnterprise0, {}};
    e.value.type = SnmpValue::Type::kOid;
    e.value.tag = snmp::tag::kOid;
    e.value.oid = pdu.enterprise;
    n->varbinds.push_back(std::move(e));
  }
  return Status::ok();
}

uint32_t engine_time(const SnmpLocalEngine& e, TimePoint now) {
  const int64_t s = std::chrono::duration_cast<std::chrono::seconds>(now - e.boot_time).count();
  return static_cast<uint32_t>(std::clamp<int64_t>(s, 0, kMaxInt32));
}

}  // namespace

// ---------------------------------------------------------------------------

Result<SnmpAuthProtocol> parse_snmp_auth_protocol(std::string_view name) {
  const std::string n = lower(name);
  if (n == "none" || n.empty()) return SnmpAuthProtocol::kNone;
  if (n == "md5") return SnmpAuthProtocol::kMd5;
  if (n == "sha" || n == "sha1" || n == "sha-1") return SnmpAuthProtocol::kSha1;
  if (n == "sha-224" || n == "sha224") return SnmpAuthProtocol::kSha224;
  if (n == "sha-256" || n == "sha256") return SnmpAuthProtocol::kSha256;
  if (n == "sha-384" || n == "sha384") return SnmpAuthProtocol::kSha384;
  if (n == "sha-512" || n == "sha512") return SnmpAuthProtocol::kSha512;
  return Status::invalid_argument("snmp: unknown auth protocol \"" + std::string(name) +
                                  "\" (none, MD5, SHA, SHA-224, SHA-256, SHA-384, SHA-512)");
}

Result<SnmpPrivProtocol> parse_snmp_priv_protocol(std::string_view name) {
  const std::string n = lower(name);
  if (n == "none" || n.empty()) return SnmpPrivProtocol::kNone;
  if (n == "aes" || n == "aes128" || n == "aes-128") return SnmpPrivProtocol::kAes128;
  if (n == "aes192" || n == "aes-192") return SnmpPrivProtocol::kAes192;
  if (n == "aes256" || n == "aes-256") return SnmpPrivProtocol::kAes256;
  if (n == "des" || n == "3des") {
    return Status::invalid_argument("snmp: priv protocol \"" + std::string(name) +
                                    "\" is not supported (use AES)");
  }
  return Status::invalid_argument("snmp: unknown priv protocol \"" + std::string(name) +
                                  "\" (none, AES, AES192, AES256)");
}

const char* snmp_auth_protocol_name(SnmpAuthProtocol p) {
  switch (p) {
    case SnmpAuthProtocol::kNone:
      return "none";
    case SnmpAuthProtocol::kMd5:
      return "MD5";
    case SnmpAuthProtocol::kSha1:
      return "SHA";
    case SnmpAuthProtocol::kSha224:
      return "SHA-224";
    case SnmpAuthProtocol::kSha256:
      return "SHA-256";
    case SnmpAuthProtocol::kSha384:
      return "SHA-384";
    case SnmpAuthProtocol::kSha512:
      return "SHA-512";
  }
  return "?";
}

const char* snmp_priv_protocol_name(SnmpPrivProtocol p) {
  switch (p) {
    case SnmpPrivProtocol::kNone:
      return "none";
    case SnmpPrivProtocol::kAes128:
      return "AES";
    case SnmpPrivProtocol::kAes192:
      return "AES192";
    case SnmpPrivProtocol::kAes256:
      return "AES256";
  }
  return "?";
}

Result<std::string> parse_snmp_engine_id(std::string_view hex) {
  std::string_view s = hex;
  if (s.size() >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) s.remove_prefix(2);
  std::string out;
  int nibbles = 0;
  unsigned value = 0;
  auto bad = [&](const char* why) {
    return Status::invalid_argument("snmp: invalid engine ID \"" + std::string(hex) + "\": " + why);
  };
  for (char c : s) {
    if (c == ':' || c == ' ') {
      if (nibbles % 2 != 0) return bad("odd number of hex digits");
      continue;
    }
    int d = c >= '0' && c <= '9'   ? c - '0'
            : c >= 'a' && c <= 'f' ? c - 'a' + 10
            : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                   : -1;
    if (d < 0) return bad("not hex");
    value = value * 16 + static_cast<unsigned>(d);
    if (++nibbles % 2 == 0) {
      out += static_cast<char>(value);
      value = 0;
    }
  }
  if (nibbles % 2 != 0) return bad("odd number of hex digits");
  if (out.size() < 5 || out.size() > 32) return bad("must be 5 to 32 bytes");
  return out;
}

std::string format_snmp_engine_id(std::string_view engine_id) {
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  for (char c : engine_id) {
    out += kHex[static_cast<uint8_t>(c) >> 4];
    out += kHex[static_cast<uint8_t>(c) & 15];
  }
  return out;
}

const char* snmp_outcome_name(SnmpOutcome o) {
  switch (o) {
    case SnmpOutcome::kNotification:
      return "notification";
    case SnmpOutcome::kReport:
      return "report";
    case SnmpOutcome::kMalformed:
      return "malformed";
    case SnmpOutcome::kAuthFailure:
      return "auth_failure";
    case SnmpOutcome::kUnsupported:
      return "unsupported";
  }
  return "?";
}

// ---------------------------------------------------------------------------

struct UsmKeys {
  std::string auth_key;  // localized
  std::string priv_key;  // localized, cut or extended to the cipher's key length
};

class SnmpTrapDecoder::Impl {
 public:
  struct User {
    SnmpUser config;
    SnmpSecurityLevel level = SnmpSecurityLevel::kNoAuthNoPriv;
    std::string auth_ku;  // master keys (RFC 3414 A.2), before localization
    std::string priv_ku;
    std::shared_ptr<const UsmKeys> fixed;  // for config.engine_id, when set
    std::shared_ptr<const UsmKeys> local;  // for our engine, when the user has no engine ID
  };

  explicit Impl(SnmpTrapDecoderConfig c) : config(std::move(c)) {}

  SnmpReceived decode(std::string_view datagram, TimePoint now) const;
  SnmpUsmStats stats() const;

  std::shared_ptr<const UsmKeys> localize(const User& u, std::string_view engine_id) const {
    auto k = std::make_shared<UsmKeys>();
    if (u.config.auth != SnmpAuthProtocol::kNone) {
      k->auth_key = snmp::localize_key(u.config.auth, u.auth_ku, engine_id);
    }
    if (u.config.priv != SnmpPrivProtocol::kNone) {
      k->priv_key = snmp::priv_key_for(u.config.auth, u.config.priv,
                                       snmp::localize_key(u.config.auth, u.priv_ku, engine_id));
    }
    return k;
  }

  std::shared_ptr<const UsmKeys> keys_for(size_t index, std::string_view engine_id) const {
    const User& u = users[index];
    if (!u.config.engine_id.empty()) return u.fixed;
    if (u.local && engine_id == config.local_engine.engine_id) return u.local;
    if (u.config.auth == SnmpAuthProtocol::kNone) return std::make_shared<UsmKeys>();
    std::lock_guard lock(cache_mu);
    auto key = std::make_pair(index, std::string(engine_id));
    if (auto it = cache.find(key); it != cache.end()) return it->second;
    if (cache.size() >= kMaxCachedKeys) cache.clear();
    auto k = localize(u, engine_id);
    cache.emplace(std::move(key), k);
    return k;
  }

  // The user for (name, engine): one configured with that engine ID first,
  // then one without. -1 when none.
  int find_user(std::string_view name, std::string_view engine_id) const {
    int wildcard = -1;
    for (size_t i = 0; i < users.size(); ++i) {
      if (users[i].config.name != name) continue;
      if (users[i].config.engine_id == engine_id) return static_cast<int>(i);
      if (users[i].config.engine_id.empty()) wildcard = static_cast<int>(i);
    }
    return wildcard;
  }

  bool community_allowed(std::string_view c) const {
    bool ok = false;
    for (const std::string& allowed : config.communities) {
      if (allowed.size() == c.size() && CRYPTO_memcmp(allowed.data(), c.data(), c.size()) == 0)
        ok = true;
    }
    return ok;
  }

  std::string next_salt() const {
    const uint64_t v = salt.fetch_add(1, std::memory_order_relaxed);
    std::string s(8, '\0');
    for (int i = 0; i < 8; ++i) s[i] = static_cast<char>(v >> (56 - 8 * i));
    return s;
  }

  SnmpReceived decode_community(std::string_view datagram, snmp::Message& m) const;
  SnmpReceived decode_v3(std::string_view datagram, snmp::Message& m, TimePoint now) const;
  SnmpReceived report(const snmp::Message& m, int32_t request_id, int counter, uint64_t value,
                      SnmpSecurityLevel level, SnmpAuthProtocol auth, const UsmKeys* keys,
                      TimePoint now, std::string why) const;

  SnmpTrapDecoderConfig config;
  std::vector<User> users;
  mutable std::mutex cache_mu;
  mutable std::map<std::pair<size_t, std::string>, std::shared_ptr<const UsmKeys>> cache;
  mutable std::atomic<uint64_t> salt{0};
  mutable std::atomic<uint64_t> unsupported_sec_levels{0};
  mutable std::atomic<uint64_t> not_in_time_windows{0};
  mutable std::atomic<uint64_t> unknown_user_names{0};
  mutable std::atomic<uint64_t> unknown_engine_ids{0};
  mutable std::atomic<uint64_t> wrong_digests{0};
  mutable std::atomic<uint64_t> decryption_errors{0};

  // RFC 3414 3.2 step 7b: for messages from another authoritative engine
  // (v3 traps), the latest boots/time seen per engine ID and when, so a
  // replayed trap more than 150 s older than the engine's clock is refused.
  struct RemoteEngine {
    uint32_t boots = 0;
    uint32_t time = 0;
    TimePoint seen_at{};
  };
  static constexpr size_t kMaxRemoteEngines = 4096;
  bool timely_remote(const std::string& engine_id, uint32_t boots, uint32_t time,
                     TimePoint now) const;
  mutable std::mutex remote_mu;
  mutable std::map<std::string, RemoteEngine> remote;
};

bool SnmpTrapDecoder::Impl::timely_remote(const std::string& engine_id, uint32_t boots,
                                          uint32_t time, TimePoint now) const {
  if (boots >= static_cast<uint32_t>(kMaxInt32))
    return false;  // latched: the engine must be reconfigured
  std::lock_guard lock(remote_mu);
  auto it = remote.find(engine_id);
  if (it == remote.end()) {
    if (remote.size() >= kMaxRemoteEngines)
      remote.erase(remote.begin());  // bounded; forgetting only loosens
    remote.emplace(engine_id, RemoteEngine{boots, time, now});
    return true;
  }
  RemoteEngine& r = it->second;
  if (boots > r.boots) {  // the sender restarted
    r = RemoteEngine{boots, time, now};
    return true;
  }
  if (boots < r.boots) return false;
  const int64_t elapsed = std::max<int64_t>(
      0, std::chrono::duration_cast<std::chrono::seconds>(now - r.seen_at).count());
  const int64_t estimated =
      static_cast<int64_t>(r.time) + elapsed;  // the sender's clock now, as we know it
  if (static_cast<int64_t>(time) < estimated - static_cast<int64_t>(kTimeWindowSeconds))
    return false;
  if (time > r.time) {
    r.time = time;
    r.seen_at = now;
  }
  return true;
}

SnmpUsmStats SnmpTrapDecoder::Impl::stats() const {
  SnmpUsmStats s;
  s.unsupported_sec_levels = unsupported_sec_levels.load();
  s.not_in_time_windows = not_in_time_windows.load();
  s.unknown_user_names = unknown_user_names.load();
  s.unknown_engine_ids = unknown_engine_ids.load();
  s.wrong_digests = wrong_digests.load();
  s.decryption_errors = decryption_errors.load();
  return s;
}

SnmpReceived SnmpTrapDecoder::Impl::decode(std::string_view datagram, TimePoint now) const {
  if (datagram.size() > snmp::kMaxDatagram) {
    return outcome(SnmpOutcome::kMalformed, "snmp: datagram of " + std::to_string(datagram.size()) +
                                                " bytes (at most 65535)");
  }
  snmp::Message m;
  if (Status s = snmp::decode_message(datagram, &m); !s)
    return outcome(SnmpOutcome::kMalformed, s.message());
  if (m.version == 0 || m.version == 1) return decode_community(datagram, m);
  if (m.version == 3) return decode_v3(datagram, m, now);
  if (m.version == 2)
    return outcome(SnmpOutcome::kUnsupported, "snmp: SNMPv2u/v2* (version 2) is not supported");
  return outcome(SnmpOutcome::kMalformed, "snmp: unknown SNMP version " +
                                              std::to_string(m.version) + " at byte " +
                                              std::to_string(m.version_offset));
}

SnmpReceived SnmpTrapDecoder::Impl::decode_community(std::string_view datagram,
                                                     snmp::Message& m) const {
  (void)datagram;
  const bool v1 = m.version == 0;
  const char* vname = v1 ? "SNMPv1" : "SNMPv2c";
  const SnmpPduType t = m.pdu.type;
  const bool wanted = v1 ? t == SnmpPduType::kTrapV1
                         : (t == SnmpPduType::kTrapV2 || t == SnmpPduType::kInformRequest);
  if (!wanted) {
    const bool foreign = v1 ? (t == SnmpPduType::kTrapV2 || t == SnmpPduType::kInformRequest ||
                               t == SnmpPduType::kGetBulkRequest || t == SnmpPduType::kReport)
                            : t == SnmpPduType::kTrapV1;
    if (foreign) {
      return outcome(SnmpOutcome::kMalformed,
                     std::string("snmp: ") + vname + " message carries a " + snmp_pdu_type_name(t));
    }
    return outcome(SnmpOutcome::kUnsupported, std::string("snmp: ") + vname + " " +
                                                  snmp_pdu_type_name(t) +
                                                  " ignored (not a notification)");
  }
  if (!community_allowed(m.community)) {
    return outcome(SnmpOutcome::kAuthFailure, std::string("snmp: unknown community in a ") + vname +
                                                  " " + snmp_pdu_type_name(t));
  }
  SnmpNotification n;
  n.version = v1 ? SnmpVersion::kV1 : SnmpVersion::kV2c;
  n.pdu_type = t;
  n.community.assign(m.community);
  n.request_id = m.pdu.request_id;
  if (v1) {
    if (Status s = translate_v1(m.pdu, &n); !s)
      return outcome(SnmpOutcome::kMalformed, s.message());
  } else {
    if (Status s = check_v2_varbinds(m.pdu.varbinds, &n); !s)
      return outcome(SnmpOutcome::kMalformed, s.message());
    n.varbinds = std::move(m.pdu.varbinds);
  }
  SnmpReceived r;
  r.outcome = SnmpOutcome::kNotification;
  if (t == SnmpPduType::kInformRequest) {
    snmp::Pdu resp;
    resp.type = SnmpPduType::kResponse;
    resp.request_id = n.request_id;
    resp.varbinds = n.varbinds;
    r.reply = snmp::encode_community_message(SnmpVersion::kV2c, m.community, resp);
  }
  r.notification = std::move(n);
  return r;
}

SnmpReceived SnmpTrapDecoder::Impl::report(const snmp::Message& m, int32_t request_id, int counter,
                                           uint64_t value, SnmpSecurityLevel level,
                                           SnmpAuthProtocol auth, const UsmKeys* keys,
                                           TimePoint now, std::string why) const {
  snmp::V3Out out;
  out.msg_id = m.msg_id;
  out.level = level;
  out.engine_id = config.local_engine.engine_id;
  out.boots = config.local_engine.boots;
  out.time = engine_time(config.local_engine, now);
  out.user.assign(m.user);
  out.context_engine_id = config.local_engine.engine_id;
  out.pdu.type = SnmpPduType::kReport;
  out.pdu.request_id = request_id;
  SnmpOid oid = kUsmStats;
  oid.push_back(static_cast<uint32_t>(counter));
  oid.push_back(0);
  out.pdu.varbinds.push_back({std::move(oid), counter32(value)});
  if (keys != nullptr) {
    out.auth = auth;
    out.auth_key = keys->auth_key;
  }
  SnmpReceived r = outcome(SnmpOutcome::kReport, std::move(why));
  r.reply = snmp::encode_v3_message(out);
  return r;
}

SnmpReceived SnmpTrapDecoder::Impl::decode_v3(std::string_view datagram, snmp::Message& m,
                                              TimePoint now) const {
  if (m.security_model != 3) {
    return outcome(SnmpOutcome::kUnsupported, "snmp: security model " +
                                                  std::to_string(m.security_model) +
                                                  " is not supported (only USM, 3)");
  }
  if ((m.flags & kFlagPriv) && !(m.flags & kFlagAuth)) {
    return outcome(SnmpOutcome::kMalformed,
                   "snmp: msgFlags ask for privacy without authentication");
  }
  if (m.encrypted != ((m.flags & kFlagPriv) != 0)) {
    return outcome(SnmpOutcome::kMalformed,
                   m.encrypted ? "snmp: encrypted scopedPDU without the privacy flag"
                               : "snmp: plaintext scopedPDU with the privacy flag");
  }
  const SnmpLocalEngine& local = config.local_engine;
  const bool ours = !local.engine_id.empty() && m.engine_id == local.engine_id;
  const bool reportable = (m.flags & kFlagReportable) != 0;

  if (!ours && reportable) {
    // A request for an authoritative engine that is not us (or not known
    // yet): engine-ID discovery (RFC 3414 4).
    if (local.engine_id.empty()) {
      return outcome(
          SnmpOutcome::kUnsupported,
          "snmp: v3 request (reportable) but no local engine ID is configured for informs");
    }
    int32_t request_id = 0;
    if (!m.encrypted) {
      snmp::ScopedPdu sp;
      if (Status s = snmp::decode_scoped_pdu(m.scoped_pdu, datagram, "", false, &sp); !s) {
        return outcome(SnmpOutcome::kMalformed, s.message());
      }
      request_id = sp.pdu.request_id;
    }
    const uint64_t n = ++unknown_engine_ids;
    return report(m, request_id, kUsmStatsUnknownEngineIds, n, SnmpSecurityLevel::kNoAuthNoPriv,
                  SnmpAuthProtocol::kNone, nullptr, now,
                  "snmp: usmStatsUnknownEngineIDs report (engine ID discovery) for engine \"" +
                      format_snmp_engine_id(m.engine_id) + "\"");
  }
  if (m.engine_id.empty()) {
    return outcome(SnmpOutcome::kMalformed,
                   "snmp: empty msgAuthoritativeEngineID in a non-reportable message");
  }

  const int index = find_user(m.user, m.engine_id);
  if (index < 0) {
    ++unknown_user_names;
    return outcome(SnmpOutcome::kAuthFailure, "snmp: unknown user " + quoted(m.user) +
                                                  " for engine " +
                                                  format_snmp_engine_id(m.engine_id));
  }
  const User& user = users[static_cast<size_t>(index)];
  const SnmpSecurityLevel level = level_of_flags(m.flags);
  if (level != user.level) {
    ++unsupported_sec_levels;
    return outcome(SnmpOutcome::kAuthFailure,
                   "snmp: user " + quoted(m.user) + " sent " + snmp_security_level_name(level) +
                       ", configured for " + snmp_security_level_name(user.level));
  }
  const std::shared_ptr<const UsmKeys> keys = keys_for(static_cast<size_t>(index), m.engine_id);

  // Authentication first (RFC 3414 3.2 step 6), then timeliness (step 7)
  // where we are authoritative, then privacy (step 8).
  snmp::ScopedPdu sp;
  std::string plaintext;
  Status why;
  const uint32_t our_time = engine_time(local, now);
  if (level != SnmpSecurityLevel::kNoAuthNoPriv) {
    if (!snmp::verify_digest(datagram, m, user.config.auth, keys->auth_key)) {
      ++wrong_digests;
      return outcome(SnmpOutcome::kAuthFailure, "snmp: wrong digest from user " + quoted(m.user) +
                                                    " (" +
                                                    snmp_auth_protocol_name(user.config.auth) +
                                                    ", " + std::to_string(m.auth_params.size()) +
                                                    "-byte msgAuthenticationParameters)");
    }
    if (ours) {
      const bool latched = m.boots >= static_cast<uint32_t>(kMaxInt32);
      const uint32_t diff = m.time > our_time ? m.time - our_time : our_time - m.time;
      if (latched || m.boots != local.boots || diff > kTimeWindowSeconds) {
        const uint64_t c = ++not_in_time_windows;
        if (!reportable) {
          return outcome(SnmpOutcome::kAuthFailure,
                         "snmp: message from user " + quoted(m.user) + " outside the time window");
        }
        return report(m, 0, kUsmStatsNotInTimeWindows, c, SnmpSecurityLevel::kAuthNoPriv,
                      user.config.auth, keys.get(), now,
                      "snmp: usmStatsNotInTimeWindows report to user " + quoted(m.user) +
                          " (boots " + std::to_string(m.boots) + ", time " +
                          std::to_string(m.time) + "; ours " + std::to_string(local.boots) + ", " +
                          std::to_string(our_time) + ")");
      }
    } else if (!timely_remote(std::string(m.engine_id), m.boots, m.time, now)) {
      ++not_in_time_windows;
      return outcome(SnmpOutcome::kAuthFailure,
                     "snmp: message from user " + quoted(m.user) + " of engine " +
                         format_snmp_engine_id(m.engine_id) +
                         " is older than that engine's clock allows (boots " +
                         std::to_string(m.boots) + ", time " + std::to_string(m.time) +
                         "): a replay?");
    }
  }
  switch (snmp::open_scoped_pdu(datagram, m, keys->priv_key, &plaintext, &sp, &why)) {
    case snmp::OpenError::kNone:
      break;
    case snmp::OpenError::kMalformed:
      return outcome(SnmpOutcome::kMalformed, why.message());
    case snmp::OpenError::kDecryption:
      ++decryption_errors;
      return outcome(SnmpOutcome::kAuthFailure,
                     "snmp: cannot decrypt the scopedPDU from user " + quoted(m.user) + " (" +
                         snmp_priv_protocol_name(user.config.priv) +
                         "; wrong privacy passphrase?): " + why.message().substr(6));
  }

  const SnmpPduType t = sp.pdu.type;
  if (t == SnmpPduType::kTrapV1)
    return outcome(SnmpOutcome::kMalformed, "snmp: SNMPv3 message carries a Trap-PDU");
  if (t != SnmpPduType::kTrapV2 && t != SnmpPduType::kInformRequest) {
    return outcome(SnmpOutcome::kUnsupported, std::string("snmp: SNMPv3 ") + snmp_pdu_type_name(t) +
                                                  " ignored (not a notification)");
  }
  if (t == SnmpPduType::kInformRequest && !ours) {
    return outcome(
        SnmpOutcome::kUnsupported,
        "snmp: SNMPv3 inform for engine " + format_snmp_engine_id(m.engine_id) + ", not ours");
  }
  SnmpNotification n;
  n.version = SnmpVersion::kV3;
  n.pdu_type = t;
  n.user.assign(m.user);
  n.engine_id.assign(m.engine_id);
  n.security_level = level;
  n.context_engine_id.assign(sp.context_engine_id);
  n.context_name.assign(sp.context_name);
  n.request_id = sp.pdu.request_id;
  if (Status s = check_v2_varbinds(sp.pdu.varbinds, &n); !s)
    return outcome(SnmpOutcome::kMalformed, s.message());
  n.varbinds = std::move(sp.pdu.varbinds);

  SnmpReceived r;
  r.outcome = SnmpOutcome::kNotification;
  if (t == SnmpPduType::kInformRequest) {
    snmp::V3Out out;
    out.msg_id = m.msg_id;
    out.level = level;
    out.engine_id = local.engine_id;
    out.boots = local.boots;
    out.time = our_time;
    out.user = n.user;
    out.context_engine_id = n.context_engine_id;
    out.context_name = n.context_name;
    out.pdu.type = SnmpPduType::kResponse;
    out.pdu.request_id = n.request_id;
    out.pdu.varbinds = n.varbinds;
    out.auth = user.config.auth;
    out.auth_key = keys->auth_key;
    out.priv_key = keys->priv_key;
    if (level == SnmpSecurityLevel::kAuthPriv) out.salt = next_salt();
    r.reply = snmp::encode_v3_message(out);
  }
  r.notification = std::move(n);
  return r;
}

// ---------------------------------------------------------------------------

SnmpTrapDecoder::SnmpTrapDecoder(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
SnmpTrapDecoder::~SnmpTrapDecoder() = default;

Result<std::unique_ptr<SnmpTrapDecoder>> SnmpTrapDecoder::create(SnmpTrapDecoderConfig config) {
  for (size_t i = 0; i < config.communities.size(); ++i) {
    if (config.communities[i].empty()) {
      return Status::invalid_argument("snmp: communities[" + std::to_string(i) + "] is empty");
    }
  }
  const SnmpLocalEngine& local = config.local_engine;
  if (!local.engine_id.empty() && (local.engine_id.size() < 5 || local.engine_id.size() > 32)) {
    return Status::invalid_argument("snmp: the local engine ID must be 5 to 32 bytes, not " +
                                    std::to_string(local.engine_id.size()));
  }
  if (local.boots >= static_cast<uint32_t>(kMaxInt32)) {
    return Status::invalid_argument("snmp: the local engine boots must be below 2147483647");
  }
  auto impl = std::make_unique<Impl>(config);
  std::set<std::pair<std::string, std::string>> seen;
  for (size_t i = 0; i < config.users.size(); ++i) {
    const SnmpUser& u = config.users[i];
    const std::string at = "snmp: users[" + std::to_string(i) + "] " + quoted(u.name) + ": ";
    if (u.name.empty() || u.name.size() > 32)
      return Status::invalid_argument(at + "the name must be 1 to 32 bytes");
    if (!u.engine_id.empty() && (u.engine_id.size() < 5 || u.engine_id.size() > 32)) {
      return Status::invalid_argument(at + "the engine ID must be 5 to 32 bytes");
    }
    if (!seen.emplace(u.name, u.engine_id).second) {
      return Status::invalid_argument(at + "defined twice for the same engine ID");
    }
    if (u.auth == SnmpAuthProtocol::kNone && !u.auth_passphrase.empty()) {
      return Status::invalid_argument(at + "an auth passphrase without an auth protocol");
    }
    if (u.priv == SnmpPrivProtocol::kNone && !u.priv_passphrase.empty()) {
      return Status::invalid_argument(at + "a priv passphrase without a priv protocol");
    }
    if (u.priv != SnmpPrivProtocol::kNone && u.auth == SnmpAuthProtocol::kNone) {
      return Status::invalid_argument(at + "privacy needs an auth protocol");
    }
    if (u.auth != SnmpAuthProtocol::kNone &&
        (u.auth_passphrase.size() < 8 || u.auth_passphrase.size() > kMaxPassphrase)) {
      return Status::invalid_argument(at + "the auth passphrase must be 8 to 1024 characters");
    }
    if (u.priv != SnmpPrivProtocol::kNone &&
        (u.priv_passphrase.size() < 8 || u.priv_passphrase.size() > kMaxPassphrase)) {
      return Status::invalid_argument(at + "the priv passphrase must be 8 to 1024 characters");
    }
    Impl::User e;
    e.config = u;
    e.level = u.priv != SnmpPrivProtocol::kNone   ? SnmpSecurityLevel::kAuthPriv
              : u.auth != SnmpAuthProtocol::kNone ? SnmpSecurityLevel::kAuthNoPriv
                                                  : SnmpSecurityLevel::kNoAuthNoPriv;
    if (u.auth != SnmpAuthProtocol::kNone)
      e.auth_ku = snmp::password_to_key(u.auth, u.auth_passphrase);
    if (u.priv != SnmpPrivProtocol::kNone)
      e.priv_ku = snmp::password_to_key(u.auth, u.priv_passphrase);
    // Only the derived keys are kept, not the passphrases.
    e.config.auth_passphrase.clear();
    e.config.priv_passphrase.clear();
    impl->users.push_back(std::move(e));
    Impl::User& added = impl->users.back();
    if (!u.engine_id.empty()) {
      added.fixed = impl->localize(added, u.engine_id);
    } else if (!local.engine_id.empty()) {
      added.local = impl->localize(added, local.engine_id);
    }
  }
  impl->config.users.clear();
  uint64_t seed = 0;
  if (RAND_bytes(reinterpret_cast<unsigned char*>(&seed), sizeof seed) != 1) {
    seed = static_cast<uint64_t>(reinterpret_cast<uintptr_t>(impl.get())) ^ local.boots;
  }
  impl->salt.store(seed);
  return std::unique_ptr<SnmpTrapDecoder>(new SnmpTrapDecoder(std::move(impl)));
}

SnmpReceived SnmpTrapDecoder::decode(std::string_view datagram, TimePoint now) const {
  return impl_->decode(datagram, now);
}

SnmpUsmStats SnmpTrapDecoder::stats() const { return impl_->stats(); }

}  // namespace ticketd::ingest
