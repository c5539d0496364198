// Who may call the API: bearer tokens with roles, and HMAC signatures on
// ingest endpoints. Plain values filled from the daemon's configuration;
// not synchronized.
#pragma once

#include <string>

namespace ticketd::api {

// Each role includes the ones before it in this order, except ingest: write
// includes read, admin includes everything, ingest only sends events.
enum class Role { kIngest, kRead, kWrite, kAdmin };
const char* role_name(Role r);
// Whether a token with role `have` may call a route that needs `need`.
bool role_allows(Role have, Role need);

struct ApiToken {
  std::string name;   // shown in logs and timeline actors, never the secret
  std::string token;  // the secret, from token_file / token_env / token
  Role role = Role::kRead;
};

// HMAC-SHA256 signature required on one ingest endpoint.
struct WebhookSignature {
  std::string endpoint;                    // events | alertmanager | grafana | pagerduty
  std::string secret;                      // never logged
  std::string header = "X-Signature-256";  // value: hex digest, optionally "sha256=" prefixed
};

}  // namespace ticketd::api
