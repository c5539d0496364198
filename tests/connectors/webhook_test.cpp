// kind: webhook against the recording fake (tests/fakes/webhook.py).
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "../fakes/fake_server.hpp"
#include "ticketd/connectors/connector.hpp"

namespace ticketd::connectors {
namespace {

using ticketd_test::FakeServer;

Ticket sample_ticket() {
  Ticket t;
  t.key = "INC-000042";
  t.title = "Disk full on db01";
  t.priority = Priority::kP2;
  t.team = "dba";
  return t;
}

TEST(WebhookConnector, CreateCommentResolveCarryTheCorrelationKeyAndSignature) {
  FakeServer fake("webhook");
  BackendConfig c;
  c.name = "hook";
  c.kind = "webhook";
  c.url = fake.url() + "/in";
  c.secrets["secret"] = "0123456789abcdef0123";
  auto http = make_curl_client({});
  auto conn = make_connector(c, *http);
  ASSERT_TRUE(conn) << conn.error().message();
  const Ticket t = sample_ticket();
  const std::string corr = correlation_key(c, t.key);
  EXPECT_EQ(corr, "ticketd-inc-000042");

  auto created = (*conn)->create(t, corr);
  ASSERT_TRUE(created.ok()) << created.failure().message;
  EXPECT_EQ(created.value().id, "WH-1");
  EXPECT_EQ(created.value().url, "http://webhook.example/tickets/WH-1");
  ASSERT_TRUE((*conn)->comment(created.value(), t, "3 more occurrences").ok());
  ASSERT_TRUE((*conn)->transition(created.value(), t, RemoteState::kResolved, "fixed").ok());

  const auto reqs = fake.requests();
  ASSERT_EQ(reqs.size(), 3u);
  EXPECT_EQ(reqs[0]["path"], "/in");
  EXPECT_EQ(reqs[0]["json"]["action"], "create");
  EXPECT_EQ(reqs[0]["json"]["correlation_key"], corr);
  EXPECT_EQ(reqs[0]["json"]["ticket"]["key"], "INC-000042");
  EXPECT_EQ(reqs[1]["json"]["action"], "comment");
  EXPECT_EQ(reqs[1]["json"]["text"], "3 more occurrences");
  EXPECT_EQ(reqs[1]["json"]["remote_id"], "WH-1");
  EXPECT_EQ(reqs[1]["json"]["correlation_key"], corr);  // every request carries ticketd's key
  EXPECT_EQ(reqs[2]["json"]["action"], "resolved");
  const std::string sig = reqs[0]["headers"]["x-ticketd-signature"];
  EXPECT_EQ(sig.rfind("sha256=", 0), 0u);
  EXPECT_EQ(sig.size(), 7u + 64u);
}

TEST(WebhookConnector, BodyTemplateRendersTicketFields) {
  FakeServer fake("webhook");
  BackendConfig c;
  c.name = "chat";
  c.kind = "webhook";
  c.url = fake.url();
  c.settings = {{"body", {{"text", "{{ key }} {{ priority }}: {{ title }} ({{ action }})"}}}};
  auto http = make_curl_client({});
  auto conn = make_connector(c, *http);
  ASSERT_TRUE(conn) << conn.error().message();
  ASSERT_TRUE((*conn)->update({"chat", "x", "x", ""}, sample_ticket()).ok());
  const auto reqs = fake.requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0]["json"]["text"], "INC-000042 P2: Disk full on db01 (update)");
}

TEST(WebhookConnector, FailuresAreClassified) {
  FakeServer fake("webhook");
  BackendConfig c;
  c.name = "hook";
  c.kind = "webhook";
  c.url = fake.url();
  auto http = make_curl_client({});
  auto conn = make_connector(c, *http);
  ASSERT_TRUE(conn);
  const Ticket t = sample_ticket();
  fake.fail(429, 1, "7");
  auto r = (*conn)->create(t, "k");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.failure().kind, Failure::Kind::kThrottled);
  EXPECT_EQ(r.failure().retry_after, std::chrono::seconds(7));
  fake.fail(503, 1);
  EXPECT_EQ((*conn)->create(t, "k").failure().kind, Failure::Kind::kTransient);
  fake.fail(401, 1, "", "{\"error\":\"bad token\"}");
  auto a = (*conn)->create(t, "k");
  EXPECT_EQ(a.failure().kind, Failure::Kind::kAuth);
  EXPECT_NE(a.failure().message.find("bad token"), std::string::npos);
  fake.fail(400, 1);
  EXPECT_EQ((*conn)->create(t, "k").failure().kind, Failure::Kind::kRejected);
  // Nobody listening: transient, not a crash.
  c.url = "http://127.0.0.1:1";
  auto dead = make_connector(c, *http);
  ASSERT_TRUE(dead);
  EXPECT_EQ((*dead)->create(t, "k").failure().kind, Failure::Kind::kTransient);
}

// With credentials, mail goes only over TLS: a relay offering no STARTTLS
// (the fake) never gets the password.
TEST(EmailNotifier, CredentialsAreNeverSentWithoutTls) {
  const std::string mails =
      (std::filesystem::temp_directory_path() / ("ticketd-tls-" + std::to_string(::getpid())))
          .string();
  FakeServer smtp("smtp", mails);
  Mail m;
  m.url = "smtp://127.0.0.1:" + std::to_string(smtp.port());
  m.from = "ticketd@example.com";
  m.to = {"oncall@example.com"};
  m.subject = "s";
  m.body = "b";
  m.user = "bob";
  m.password = "SMTPPASSWORD";
  Status st = send_mail(m);
  EXPECT_FALSE(st);
  EXPECT_FALSE(std::filesystem::exists(mails));
  m.user.clear();
  m.password.clear();
  EXPECT_TRUE(send_mail(m)) << send_mail(m).message();
  std::filesystem::remove(mails);
}

TEST(WebhookConnector, UnknownSettingIsRefusedWithSuggestion) {
  BackendConfig c;
  c.name = "hook";
  c.kind = "webhook";
  c.url = "http://127.0.0.1:1";
  c.settings = {{"signature_heder", "X"}};
  auto http = make_curl_client({});
  auto conn = make_connector(c, *http);
  ASSERT_FALSE(conn);
  EXPECT_NE(conn.error().message().find("signature_header"), std::string::npos)
      << conn.error().message();
  c.settings = nlohmann::json::object();
  c.kind = "jria";
  auto bad = make_connector(c, *http);
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message().find("unknown kind"), std::string::npos);
}

}  // namespace
}  // namespace ticketd::connectors
