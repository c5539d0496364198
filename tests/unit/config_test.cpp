#include <gtest/gtest.h>

#include <cstdlib>

#include "ticketd/daemon/config.hpp"

namespace ticketd::daemon {
namespace {

std::string error_of(const std::string& yaml) {
  auto c = load_config_from_string(yaml, "/etc/ticketd/ticketd.yaml");
  return c ? "ok" : c.error().message();
}

TEST(Config, DefaultsAndRelativePaths) {
  auto c = load_config_from_string("", "/etc/ticketd/ticketd.yaml");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->http_listen, "127.0.0.1:8080");
  EXPECT_EQ(c->rules_dir, "/etc/ticketd/rules");
  EXPECT_EQ(c->store_path, "/etc/ticketd/var/ticketd.db");
  EXPECT_EQ(c->max_body_bytes, 1024u * 1024u);
  EXPECT_EQ(c->event_retention, std::chrono::hours(24 * 7));
}

TEST(Config, ReadsEveryKey) {
  auto c = load_config_from_string(R"(
listen: { http: "127.0.0.1:9090" }
rules_dir: /srv/rules
store: { kind: sqlite, path: db/t.db, event_retention: 2d }
queue: { capacity: 50, batch_max: 10 }
http: { max_body_bytes: 64KiB, read_timeout: 5s, max_connections: 7 }
log: { level: debug }
)",
                                   "/etc/ticketd/ticketd.yaml");
  ASSERT_TRUE(c) << c.error().message();
  EXPECT_EQ(c->http_listen, "127.0.0.1:9090");
  EXPECT_EQ(c->rules_dir, "/srv/rules");
  EXPECT_EQ(c->store_path, "/etc/ticketd/db/t.db");
  EXPECT_EQ(c->event_retention, std::chrono::hours(48));
  EXPECT_EQ(c->queue_capacity, 50u);
  EXPECT_EQ(c->batch_max, 10u);
  EXPECT_EQ(c->max_body_bytes, 64u * 1024u);
  EXPECT_EQ(c->http_read_timeout, std::chrono::seconds(5));
  EXPECT_EQ(c->http_max_connections, 7u);
  EXPECT_EQ(c->log_level, "debug");
}

TEST(Config, UnknownKeyGetsDidYouMean) {
  EXPECT_EQ(error_of("lsten: {http: 127.0.0.1:1}"),
            "/etc/ticketd/ticketd.yaml: line 1: unknown config key \"lsten\" (did you mean \"listen\"?)");
  EXPECT_EQ(error_of("store:\n  pth: x\n"),
            "/etc/ticketd/ticketd.yaml: line 2: unknown config key \"store.pth\" (did you mean \"store.path\"?)");
}

TEST(Config, BadValuesNameTheKey) {
  EXPECT_EQ(error_of("store: {event_retention: forever}"),
            "/etc/ticketd/ticketd.yaml: line 1: \"store.event_retention\": duration: invalid \"forever\", "
            "expected <number><unit> with unit ms, s, m, h, d or w");
  EXPECT_EQ(error_of("queue: {capacity: 0}"),
            "/etc/ticketd/ticketd.yaml: line 1: \"queue.capacity\" is \"0\", expected an integer >= 1");
  EXPECT_EQ(error_of("log: {level: loud}"),
            "/etc/ticketd/ticketd.yaml: line 1: \"log.level\" is \"loud\", expected trace, debug, info, warn or error");
  EXPECT_EQ(error_of("store: {kind: mysql}"),
            "/etc/ticketd/ticketd.yaml: line 1: \"store.kind\" is \"mysql\", this version supports: sqlite");
  EXPECT_EQ(error_of("listen: {http: nowhere}"),
            "/etc/ticketd/ticketd.yaml: invalid listen address \"nowhere\", expected host:port");
}

TEST(Config, NonLoopbackWithoutTokensIsRefused) {
  EXPECT_EQ(error_of("listen: {http: \"0.0.0.0:8080\"}"),
            "/etc/ticketd/ticketd.yaml: listen.http is 0.0.0.0:8080, which is not loopback, and no api.tokens are "
            "configured: refusing to serve the API unauthenticated; add api.tokens or listen on 127.0.0.1");
  setenv("TICKETD_TEST_TOKEN", "0123456789abcdef0123", 1);
  auto c = load_config_from_string(
      "listen: {http: \"0.0.0.0:8080\"}\napi:\n  tokens:\n    - {name: am, role: ingest, token_env: TICKETD_TEST_TOKEN}\n",
      "/x/t.yaml");
  ASSERT_TRUE(c) << c.error().message();
  ASSERT_EQ(c->tokens.size(), 1u);
  EXPECT_EQ(c->tokens[0].token, "0123456789abcdef0123");
  EXPECT_EQ(c->tokens[0].role, Role::kIngest);
}

TEST(Config, TokenProblems) {
  EXPECT_EQ(error_of("api: {tokens: [{name: a, role: root, token: 0123456789abcdef}]}"),
            "/etc/ticketd/ticketd.yaml: line 1: api token \"a\": role is \"root\", expected ingest, read, write or admin");
  EXPECT_EQ(error_of("api: {tokens: [{name: a, role: read, token: short}]}"),
            "/etc/ticketd/ticketd.yaml: line 1: api token \"a\": the secret must be at least 16 characters (set "
            "token_file, token_env or token)");
  EXPECT_EQ(error_of("api: {tokens: [{name: a, role: read, token_env: TICKETD_SURELY_UNSET}]}"),
            "/etc/ticketd/ticketd.yaml: api token \"a\": environment variable TICKETD_SURELY_UNSET is not set");
}

TEST(Config, WebhookSignatures) {
  auto c = load_config_from_string("webhooks:\n  grafana: { hmac_secret: 0123456789abcdefXYZ, hmac_header: X-Grafana-Alerting-Signature }\n",
                                   "/x/t.yaml");
  ASSERT_TRUE(c) << c.error().message();
  ASSERT_EQ(c->signatures.size(), 1u);
  EXPECT_EQ(c->signatures[0].endpoint, "grafana");
  EXPECT_EQ(c->signatures[0].header, "X-Grafana-Alerting-Signature");
  EXPECT_EQ(error_of("webhooks: { grafna: { hmac_secret: 0123456789abcdefXYZ } }"),
            "/etc/ticketd/ticketd.yaml: line 1: unknown config key \"webhooks.grafna\" (did you mean \"webhooks.grafana\"?)");
  EXPECT_EQ(error_of("webhooks: { events: { hmac_secret: short } }"),
            "/etc/ticketd/ticketd.yaml: line 1: webhooks.events: the HMAC secret must be at least 16 characters");
}

TEST(Config, Sizes) {
  EXPECT_EQ(*parse_size("1048576"), 1048576u);
  EXPECT_EQ(*parse_size("1MiB"), 1048576u);
  EXPECT_EQ(*parse_size("512KiB"), 524288u);
  EXPECT_FALSE(parse_size("lots"));
  EXPECT_FALSE(parse_size("0"));
  EXPECT_FALSE(parse_size("5 parsecs"));
}

}  // namespace
}  // namespace ticketd::daemon
