// Who may call the API: bearer tokens with roles, and HMAC signatures on
// ingest endpoints. Plain values filled from the daemon's configuration;
// not synchronized.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace ticketd::api {

// Each role includes the ones before it in this order, except ingest: write
// includes read, admin includes everything, ingest only sends events.
enum class Role { kIngest, kRead, kWrite, kAdmin };
const char* role_name(Role r);
// Whether a token with role `have` may call a route that needs `need`.
bool role_allows(Role have, Role need);

std::string token_digest(std::string_view secret);

// A bearer token as the daemon keeps it: the SHA-256 digest of the secret,
// never the secret itself (a core dump or a debugger shows no usable token).
struct ApiToken {
  std::string name;    // shown in logs and timeline actors, never the secret
  std::string digest;  // SHA-256 of the secret, 32 bytes (token_digest)
  Role role = Role::kRead;
  static ApiToken from_secret(std::string name, std::string_view secret, Role role) {
    return {std::move(name), token_digest(secret), role};
  }
};

// SHA-256 of a token secret: 32 raw bytes.
std::string token_digest(std::string_view secret);
// The digest written as 64 hex digits (token_sha256 in the configuration):
// the raw 32 bytes, or nullopt when `hex` is not 64 hex digits.
std::optional<std::string> digest_from_hex(std::string_view hex);
// Whether two digests are equal, in time independent of where they differ.
bool same_digest(std::string_view a, std::string_view b);

// HMAC-SHA256 signature required on one ingest endpoint.
struct WebhookSignature {
  std::string endpoint;                    // events | alertmanager | grafana | pagerduty
  std::string secret;                      // never logged
  std::string header = "X-Signature-256";  // value: hex digest, optionally "sha256=" prefixed
};

}  // namespace ticketd::api
