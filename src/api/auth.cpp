#include "ticketd/api/auth.hpp"

namespace ticketd::api {

const char* role_name(Role r) {
  switch (r) {
    case Role::kIngest:
      return "ingest";
    case Role::kRead:
      return "read";
    case Role::kWrite:
      return "write";
    case Role::kAdmin:
      return "admin";
  }
  return "unknown";
}

bool role_allows(Role have, Role need) {
  if (have == Role::kAdmin) return true;
  if (have == need) return true;
  return have == Role::kWrite && need == Role::kRead;
}

}  // namespace ticketd::api
