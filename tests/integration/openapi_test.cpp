// GET /api/v1/openapi.json on the real daemon: the document, as JSON, with
// no token even when tokens are configured (it holds no data).
#include <curl/curl.h>

#include "harness.hpp"

namespace ticketd_test {
namespace {

TEST(OpenApi, TheDaemonServesItsDocumentWithoutAToken) {
  Daemon d("api:\n  tokens:\n    - {name: viewer, role: read, token: read-secret-0123456789}\n");
  ASSERT_TRUE(d.start()) << d.log();

  std::string body;
  long status = 0;
  char* content_type = nullptr;
  CURL* c = curl_easy_init();
  curl_easy_setopt(c, CURLOPT_URL, d.url("/api/v1/openapi.json").c_str());
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);
  curl_easy_setopt(c, CURLOPT_TIMEOUT, 20L);
  ASSERT_EQ(curl_easy_perform(c), CURLE_OK);
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
  curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &content_type);
  const std::string type = content_type ? content_type : "";
  curl_easy_cleanup(c);

  EXPECT_EQ(status, 200);
  EXPECT_EQ(type.rfind("application/json", 0), 0u) << type;
  std::ifstream in(std::string(TICKETD_SOURCE_DIR) + "/docs/api/openapi.json", std::ios::binary);
  std::stringstream source;
  source << in.rdbuf();
  EXPECT_TRUE(body == source.str())
      << "the daemon serves another document than docs/api/openapi.json";
  const json doc = json::parse(body, nullptr, false);
  ASSERT_TRUE(doc.is_object());
  EXPECT_EQ(doc["openapi"].get<std::string>().rfind("3.0.", 0), 0u);
  EXPECT_TRUE(doc["paths"].contains("/api/v1/openapi.json"));

  // Tokens are on: the data still needs one.
  EXPECT_EQ(http("GET", d.url("/api/v1/tickets")).status, 401);
  EXPECT_EQ(http("GET", d.url("/api/v1/tickets"), "", "", "read-secret-0123456789").status, 200);
}

}  // namespace
}  // namespace ticketd_test
