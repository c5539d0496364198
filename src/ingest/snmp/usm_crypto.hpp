// USM cryptography (OpenSSL): password to key and key localization
// (RFC 3414 A.2, RFC 7860 for SHA-2), HMAC digests truncated per protocol
// (RFC 3414, RFC 7860), AES-CFB privacy (RFC 3826; 192/256-bit keys
// extended as net-snmp does for draft-blumenthal-aes-usm-04), and the salt.
//
// Internal to ticketd_ingest. Pure functions, thread-safe. Keys are byte
// strings held in std::string.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "ticketd/ingest/snmp_trap_decoder.hpp"

namespace ticketd::ingest::snmp {

// Octets of the hash output (the key length): MD5 16, SHA-1 20, SHA-224 28,
// SHA-256 32, SHA-384 48, SHA-512 64; 0 for kNone.
size_t auth_key_length(SnmpAuthProtocol p);
// Octets of msgAuthenticationParameters: 12 for MD5 and SHA-1 (RFC 3414);
// 16, 24, 32, 48 for SHA-224..SHA-512 (RFC 7860); 0 for kNone.
size_t auth_digest_length(SnmpAuthProtocol p);
// Key octets of the cipher: 16, 24, 32; 0 for kNone.
size_t priv_key_length(SnmpPrivProtocol p);

// Ku: the hash of the passphrase repeated to 1,048,576 octets (RFC 3414 A.2).
// Precondition: p != kNone and a non-empty passphrase.
std::string password_to_key(SnmpAuthProtocol p, std::string_view passphrase);
// Kul = H(Ku || engineID || Ku).
std::string localize_key(SnmpAuthProtocol p, std::string_view ku, std::string_view engine_id);
// A localized privacy key cut or extended to the cipher's key length:
// AES-128 takes the first 16 octets (RFC 3826 3.1.2.1); AES-192/256 with a
// shorter Kul extend it by Kul = Kul || H(Kul) (net-snmp's "Blumenthal"
// method, its AES192/AES256 protocols).
std::string priv_key_for(SnmpAuthProtocol auth, SnmpPrivProtocol priv, std::string kul);

// HMAC of `message` with `key`, truncated to auth_digest_length(p).
std::string auth_digest(SnmpAuthProtocol p, std::string_view key, std::string_view message);

// AES-CFB128 with IV = boots (4 octets) || time (4 octets) || salt (8
// octets), big-endian (RFC 3826 3.1.2.1). Returns false when OpenSSL fails.
bool aes_cfb(bool encrypt, std::string_view key, uint32_t boots, uint32_t time,
             std::string_view salt, std::string_view in, std::string* out);

}  // namespace ticketd::ingest::snmp
