// SNMP message and PDU layouts: decoding (on top of the strict BerReader)
// and encoding of v1/v2c community messages (RFC 1157, RFC 1901), v3
// messages with USM security parameters (RFC 3412 6, RFC 3414 2.4), scoped
// PDUs and PDUs (RFC 3416 3, RFC 1157 4.1.6), plus USM authentication and
// privacy of one message with given keys.
//
// Internal to ticketd_ingest; tests use it to build hostile datagrams and to
// read back the replies. Pure functions; not synchronized. Decoded
// string_views point into the datagram (or the decrypted buffer) given.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "ingest/snmp/ber.hpp"
#include "ticketd/core/status.hpp"
#include "ticketd/ingest/snmp_trap_decoder.hpp"
#include "ticketd/ingest/snmp_types.hpp"

namespace ticketd::ingest::snmp {

constexpr size_t kMaxVarbinds = 1000;
constexpr size_t kMaxDatagram = 65535;
constexpr int64_t kMaxInt32 = 2147483647;

// msgFlags bits (RFC 3412 6.4).
constexpr uint8_t kFlagAuth = 0x01;
constexpr uint8_t kFlagPriv = 0x02;
constexpr uint8_t kFlagReportable = 0x04;

// Any PDU: the v2 layout (request-id, error-status, error-index, varbinds)
// or, for kTrapV1, the v1 Trap-PDU fields and varbinds.
struct Pdu {
  SnmpPduType type = SnmpPduType::kTrapV2;
  int32_t request_id = 0;
  int32_t error_status = 0;   // GetBulk: non-repeaters
  int32_t error_index = 0;    // GetBulk: max-repetitions
  SnmpOid enterprise;         // kTrapV1 fields
  std::string agent_address;  // 4 bytes
  int32_t generic_trap = 0;
  int32_t specific_trap = 0;
  uint32_t time_stamp = 0;
  std::vector<SnmpVarbind> varbinds;
};

// Reads one PDU (any of the nine tags) from `r`.
Status decode_pdu(BerReader& r, Pdu* out);
std::string encode_pdu(const Pdu& pdu);

// The outer layer of any message: its version, then the rest.
struct Message {
  int64_t version = 0;  // 0 = v1, 1 = v2c, 3 = v3
  size_t version_offset = 0;
  // v1/v2c
  std::string_view community;
  Pdu pdu;
  // v3 msgGlobalData
  int32_t msg_id = 0;
  int32_t max_size = 0;
  uint8_t flags = 0;
  int32_t security_model = 0;
  // v3 USM security parameters (when security_model is 3)
  std::string_view engine_id;
  uint32_t boots = 0;
  uint32_t time = 0;
  std::string_view user;
  std::string_view auth_params;
  size_t auth_params_offset = 0;  // of the digest in the datagram
  std::string_view priv_params;
  // v3 msgData: the plaintext scopedPDU (whole TLV) or the encryptedPDU
  // (OCTET STRING content).
  bool encrypted = false;
  std::string_view scoped_pdu;
};

// Decodes the message around the PDU: for v1/v2c including the PDU, for v3
// up to the (possibly encrypted) scopedPDU. A version other than 0, 1 or 3
// returns ok with only `version` set; a security model other than USM
// returns ok without the USM fields.
Status decode_message(std::string_view datagram, Message* out);

struct ScopedPdu {
  std::string_view context_engine_id;
  std::string_view context_name;
  Pdu pdu;
};
// Decodes a plaintext scopedPDU. `base` is the buffer holding it (for
// positions in errors); `where` follows positions (" of the decrypted
// scopedPDU"). Bytes after the scopedPDU SEQUENCE are refused unless
// `allow_trailing` (padding after decryption).
Status decode_scoped_pdu(std::string_view data, std::string_view base, const char* where,
                         bool allow_trailing, ScopedPdu* out);

std::string encode_community_message(SnmpVersion version, std::string_view community,
                                     const Pdu& pdu);

// What a v3 message needs to be encoded: header, USM fields, scoped PDU,
// and the keys of its security level.
struct V3Out {
  int32_t msg_id = 0;
  int32_t max_size = 65507;
  SnmpSecurityLevel level = SnmpSecurityLevel::kNoAuthNoPriv;
  bool reportable = false;
  std::string engine_id;
  uint32_t boots = 0;
  uint32_t time = 0;
  std::string user;
  std::string context_engine_id;
  std::string context_name;
  Pdu pdu;
  SnmpAuthProtocol auth = SnmpAuthProtocol::kNone;
  std::string auth_key;  // localized
  std::string priv_key;  // localized and cut/extended to the cipher's length
  std::string salt;      // 8 octets, when authPriv
};
std::string encode_v3_message(const V3Out& m);

// USM incoming steps for one v3 message with given keys. The digest
// (RFC 3414 3.2 step 6): the HMAC of `datagram` with the authentication
// parameters zeroed, compared in constant time.
bool verify_digest(std::string_view datagram, const Message& m, SnmpAuthProtocol auth,
                   std::string_view auth_key);

// Decrypts the scopedPDU when it is encrypted (step 8) and decodes it.
// `plaintext` keeps the decrypted bytes `out` points into.
enum class OpenError { kNone, kDecryption, kMalformed };
OpenError open_scoped_pdu(std::string_view datagram, const Message& m, std::string_view priv_key,
                          std::string* plaintext, ScopedPdu* out, Status* why);

}  // namespace ticketd::ingest::snmp
