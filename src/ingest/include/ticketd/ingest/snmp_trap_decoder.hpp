// SnmpTrapDecoder: one received UDP datagram in, an authenticated
// notification (and perhaps a datagram to send back) out. No sockets, no
// clock: the listener passes the bytes and `now`, and sends `reply` to the
// peer when it is not empty.
//
// Handles SNMPv1 Trap-PDUs and SNMPv2c SNMPv2-Trap/InformRequest PDUs (the
// community must be in the allow-list), and SNMPv3 with USM (RFC 3412, RFC
// 3414): noAuthNoPriv, authNoPriv and authPriv with HMAC-MD5/SHA-1 (RFC 3414),
// HMAC-SHA-2 (RFC 7860) and AES-128 (RFC 3826) or AES-192/256 (net-snmp's
// "AES192"/"AES256", key extension of draft-blumenthal-aes-usm-04); DES is
// not supported.
//
// Roles (RFC 3414 section 4): for a v3 trap the sender is the authoritative
// engine: its engine ID is in the message and keys are localized with it. For
// a v3 inform ticketd is authoritative: keys are localized with
// `local_engine.engine_id`, and a sender that does not know that engine ID yet
// (net-snmp's `snmpinform -v3` probes with an empty one) gets a Report of
// usmStatsUnknownEngineIDs with our engine ID, boots and time; an
// authenticated inform whose boots or time is off (more than 150 s) gets a
// usmStatsNotInTimeWindows Report. No other Reports are sent (an unknown user
// or a wrong digest is dropped silently, so a prober learns nothing).
//
// Not checked: the timeliness of v3 traps (it would need per-sender engine
// time state; replays of an authentic trap are accepted).
//
// Thread-safety: decode() and stats() may be called from any number of
// threads at once (a mutex guards the cache of localized keys; the counters
// are atomic). The object keeps the keys derived from the passphrases, not
// the passphrases; create() derives every user's master keys once (1 MB of
// hashing per passphrase, a few ms), so build it at start-up or reload, off
// the I/O thread, and swap it in.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ticketd/core/status.hpp"
#include "ticketd/core/time.hpp"
#include "ticketd/ingest/snmp_types.hpp"

namespace ticketd::ingest {

enum class SnmpAuthProtocol { kNone, kMd5, kSha1, kSha224, kSha256, kSha384, kSha512 };
enum class SnmpPrivProtocol { kNone, kAes128, kAes192, kAes256 };

// Config names: "none", "MD5", "SHA" (SHA-1; "SHA1" too), "SHA-224",
// "SHA-256", "SHA-384", "SHA-512" (net-snmp's -a names); "none", "AES"
// ("AES128" too), "AES192", "AES256" (also "AES-192", "AES-256").
// Case-insensitive. Errors name the text.
Result<SnmpAuthProtocol> parse_snmp_auth_protocol(std::string_view name);
Result<SnmpPrivProtocol> parse_snmp_priv_protocol(std::string_view name);
const char* snmp_auth_protocol_name(SnmpAuthProtocol p);
const char* snmp_priv_protocol_name(SnmpPrivProtocol p);

// An engine ID as written in configs and by net-snmp ("0x80001f8880...",
// "80:00:1f:88:80...", or plain hex), 5 to 32 octets (RFC 3411). Errors name
// the text.
Result<std::string> parse_snmp_engine_id(std::string_view hex);
// Lower-case hex without separators: "80001f888001020304".
std::string format_snmp_engine_id(std::string_view engine_id);

// A USM user. The security level it accepts is the one its protocols give:
// no auth -> noAuthNoPriv only, auth -> authNoPriv only, auth+priv ->
// authPriv only (a message at a lower level than configured is refused).
struct SnmpUser {
  std::string name;  // 1..32 octets
  SnmpAuthProtocol auth = SnmpAuthProtocol::kNone;
  std::string auth_passphrase;                      // >= 8 characters when auth is set
  SnmpPrivProtocol priv = SnmpPrivProtocol::kNone;  // needs auth
  std::string priv_passphrase;                      // >= 8 characters when priv is set
  // The authoritative engine the user's keys are localized with, as raw
  // bytes: for traps the sender's engine ID (net-snmp: `snmptrap -e`).
  // Empty (default): the user applies to traps from any engine ID (keys are
  // localized and cached per engine ID) and to informs (keyed by our
  // engine). A user with an engine ID applies only to messages whose
  // authoritative engine ID is that one; when it names our local engine, to
  // informs.
  std::string engine_id;
};

// Our own SNMP engine, authoritative for informs (RFC 3414 2.2).
struct SnmpLocalEngine {
  // 5..32 octets (raw bytes). Empty (default): v3 informs are not accepted
  // (and no engine-ID discovery is answered); v3 traps are unaffected.
  std::string engine_id;
  // snmpEngineBoots: must grow at every start of the daemon for the same
  // engine ID (persist it); below 2147483647.
  uint32_t boots = 1;
  // When this boot began: snmpEngineTime = whole seconds from it to `now`.
  TimePoint boot_time{};
};

struct SnmpTrapDecoderConfig {
  // v1/v2c communities accepted, compared exactly. Default ["public"] (what
  // net-snmp's tools send unless told otherwise); an empty list refuses
  // every v1/v2c message (v3 only).
  std::vector<std::string> communities = {"public"};
  std::vector<SnmpUser> users;  // v3; (name, engine_id) pairs must be unique
  SnmpLocalEngine local_engine;
};

// What became of a datagram.
enum class SnmpOutcome {
  kNotification,  // `notification` holds a trap or inform (for an inform, `reply` holds the
                  // Response)
  kReport,        // v3 engine discovery or time synchronization: send `reply`; no event
  kMalformed,     // not a well-formed SNMP message: drop, count
  kAuthFailure,   // unknown community, unknown user or engine, wrong security level, wrong
                  // digest, undecryptable scopedPDU: drop, count
  kUnsupported,   // well-formed but not handled (a Get or Set, a Response, SNMPv2u,
                  // another security model, an inform without a local engine): ignore
};
const char* snmp_outcome_name(SnmpOutcome o);

struct SnmpReceived {
  SnmpOutcome outcome = SnmpOutcome::kMalformed;
  // Why, unless kNotification (kReport: which report). Names the byte offset
  // for malformed input; never contains a community, passphrase or key.
  std::string error;
  std::optional<SnmpNotification> notification;
  std::string reply;  // bytes to send back to the peer; empty = nothing
};

// usmStats counters (RFC 3414 5), also the values of the Reports.
struct SnmpUsmStats {
  uint64_t unsupported_sec_levels = 0;
  uint64_t not_in_time_windows = 0;
  uint64_t unknown_user_names = 0;
  uint64_t unknown_engine_ids = 0;
  uint64_t wrong_digests = 0;
  uint64_t decryption_errors = 0;
};

class SnmpTrapDecoder {
 public:
  // Validates `config` (errors name the field: `snmp: users[1] "bob": the
  // auth passphrase must be 8 to 1024 characters`) and derives the keys.
  static Result<std::unique_ptr<SnmpTrapDecoder>> create(SnmpTrapDecoderConfig config);
  ~SnmpTrapDecoder();
  SnmpTrapDecoder(const SnmpTrapDecoder&) = delete;
  SnmpTrapDecoder& operator=(const SnmpTrapDecoder&) = delete;

  // Decodes and authenticates one datagram (at most 65,535 bytes); `now`
  // gives our engine time for informs and Reports.
  SnmpReceived decode(std::string_view datagram, TimePoint now) const;

  SnmpUsmStats stats() const;

 private:
  class Impl;
  explicit SnmpTrapDecoder(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace ticketd::ingest
