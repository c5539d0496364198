// Every endpoint × every role, through the real daemon: the operations and
// the role each needs come from the shipped API description
// (docs/api/openapi.json, x-ticketd-role; tests/unit/openapi_test.cpp holds
// it equal to the router's table), so an endpoint added later is covered
// without touching this test. A role is allowed when it is the one needed,
// admin, or write where read is needed (docs/api.md, "Tokens and roles").
#include "harness.hpp"

namespace ticketd_test {
namespace {

struct Token {
  const char* role;
  const char* secret;
};
constexpr Token kTokens[] = {{"ingest", "ingest-token-0123456789abcdef"},
                             {"read", "read-token-0123456789abcdef"},
                             {"write", "write-token-0123456789abcdef"},
                             {"admin", "admin-token-0123456789abcdef"}};

bool allows(const std::string& have, const std::string& need) {
  return have == "admin" || have == need || (have == "write" && need == "read");
}

// A concrete path for a templated one: /api/v1/tickets/{key} -> .../INC-999999.
std::string concrete(std::string path) {
  for (size_t open; (open = path.find('{')) != std::string::npos;) {
    const size_t close = path.find('}', open);
    path.replace(open, close - open + 1, "no-such-id-999");
  }
  return path;
}

TEST(Roles, EveryEndpointAllowsExactlyTheRolesThatMayCallIt) {
  std::string tokens = "api:\n  tokens:\n";
  for (const Token& t : kTokens) {
    tokens += "    - {name: " + std::string(t.role) + "-user, role: " + t.role +
              ", token: " + t.secret + "}\n";
  }
  Daemon d(tokens);
  ASSERT_TRUE(d.start()) << d.log();

  std::ifstream in(std::string(TICKETD_SOURCE_DIR) + "/docs/api/openapi.json");
  const json spec = json::parse(in, nullptr, false);
  ASSERT_TRUE(spec.is_object());
  int checked = 0, protected_ops = 0;
  for (const auto& [path, ops] : spec["paths"].items()) {
    for (const auto& [method, op] : ops.items()) {
      if (method != "get" && method != "post" && method != "patch" && method != "delete") continue;
      ASSERT_TRUE(op.contains("x-ticketd-role")) << method << " " << path;
      const std::string need = op["x-ticketd-role"];
      std::string m = method;
      std::transform(m.begin(), m.end(), m.begin(), ::toupper);
      const std::string url = d.url(concrete(path));
      const std::string body = m == "GET" || m == "DELETE" ? "" : "{}";
      const std::string what = m + " " + path;
      if (need == "none") {  // probes, the page, the API description
        EXPECT_EQ(http(m, url, body).status, 200) << what;
        ++checked;
        continue;
      }
      ++protected_ops;
      Reply anonymous = http(m, url, body);
      EXPECT_EQ(anonymous.status, 401) << what << ": " << anonymous.body;
      EXPECT_EQ(anonymous.header("www-authenticate"), "Bearer") << what;
      EXPECT_EQ(http(m, url, body, "application/json", "unknown-token-0123456789abcdef").status,
                401)
          << what;
      for (const Token& t : kTokens) {
        Reply r = http(m, url, body, "application/json", t.secret);
        if (allows(t.role, need)) {
          EXPECT_NE(r.status, 401) << what << " as " << t.role << ": " << r.body;
          EXPECT_NE(r.status, 403) << what << " as " << t.role << ": " << r.body;
          EXPECT_NE(r.status, 0) << what << " as " << t.role << ": no answer";
        } else {
          EXPECT_EQ(r.status, 403) << what << " as " << t.role << ": " << r.body;
          EXPECT_EQ(r.j()["error"]["code"], "forbidden") << what << " as " << t.role;
          EXPECT_NE(r.body.find(std::string("has role ") + t.role + ", this request needs " + need),
                    std::string::npos)
              << what << ": " << r.body;
        }
        ++checked;
      }
    }
  }
  EXPECT_GE(protected_ops, 30) << "the API description lists fewer endpoints than expected";
  EXPECT_GT(checked, 120);
  // No secret reaches the log, whatever was refused.
  for (const Token& t : kTokens) EXPECT_EQ(d.log().find(t.secret), std::string::npos) << t.role;
  EXPECT_EQ(d.log().find("unknown-token-0123456789abcdef"), std::string::npos);
  EXPECT_EQ(http("GET", d.url("/healthz")).status, 200) << d.log();
}

}  // namespace
}  // namespace ticketd_test
