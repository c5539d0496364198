// kind: zammad against the fake Zammad API (tests/fakes/zammad.py).
#include <gtest/gtest.h>

#include "../fakes/fake_server.hpp"
#include "ticketd/connectors/connector.hpp"

namespace ticketd::connectors {
namespace {

using ticketd_test::FakeServer;

const char* kToken = "zammad-test-token";

Ticket sample_ticket() {
  Ticket t;
  t.key = "INC-000042";
  t.title = "Disk full on db01";
  t.description = "/var is at 99%";
  t.priority = Priority::kP2;
  t.team = "ops";
  t.rule = "disk_full";
  return t;
}

BackendConfig zammad_config(const FakeServer& fake) {
  BackendConfig c;
  c.name = "zammad";
  c.kind = "zammad";
  c.url = fake.url();
  c.secrets["token"] = kToken;
  c.settings = {{"group", "Ops"}, {"customer", "alerts@example.com"}};
  c.map["team"] = {{"dba", "DBA"}};
  return c;
}

// The requests whose method and path match, oldest first.
std::vector<nlohmann::json> calls(const FakeServer& fake, const std::string& method,
                                  const std::string& path) {
  std::vector<nlohmann::json> out;
  for (const auto& r : fake.requests()) {
    if (r["method"] == method && r["path"] == path) out.push_back(r);
  }
  return out;
}

TEST(ZammadConnector, CreateFindCommentUpdateAndTransitions) {
  FakeServer fake("zammad");
  const BackendConfig c = zammad_config(fake);
  auto http = make_curl_client({});
  auto conn = make_connector(c, *http);
  ASSERT_TRUE(conn) << conn.error().message();
  Ticket t = sample_ticket();
  const std::string corr = correlation_key(c, t.key);

  auto none = (*conn)->find(corr);
  ASSERT_TRUE(none.ok()) << none.failure().message;
  EXPECT_FALSE(none.value());

  auto created = (*conn)->create(t, corr);
  ASSERT_TRUE(created.ok()) << created.failure().message;
  const ExternalRef ref = created.value();
  EXPECT_EQ(ref.id, "1");
  EXPECT_EQ(ref.key, "31001");
  EXPECT_EQ(ref.url, fake.url() + "/#ticket/zoom/1");

  auto posts = calls(fake, "POST", "/api/v1/tickets");
  ASSERT_EQ(posts.size(), 1u);
  EXPECT_EQ(posts[0]["headers"]["authorization"], std::string("Token token=") + kToken);
  const nlohmann::json& body = posts[0]["json"];
  EXPECT_EQ(body["title"], "Disk full on db01");
  EXPECT_EQ(body["group"], "Ops");
  EXPECT_EQ(body["customer_id"], "guess:alerts@example.com");
  EXPECT_EQ(body["priority"], "3 high");
  // The key is tagged inside the create call, not by a second request.
  EXPECT_EQ(body["tags"], corr);
  EXPECT_EQ(body["article"]["type"], "note");
  EXPECT_EQ(body["article"]["internal"], true);
  EXPECT_NE(body["article"]["body"].get<std::string>().find("ticketd ticket INC-000042"),
            std::string::npos);
  EXPECT_TRUE(calls(fake, "POST", "/api/v1/tags/add").empty());

  auto found = (*conn)->find(corr);
  ASSERT_TRUE(found.ok()) << found.failure().message;
  ASSERT_TRUE(found.value());
  EXPECT_EQ(*found.value(), ref);

  ASSERT_TRUE((*conn)->comment(ref, t, "3 more occurrences").ok());
  auto articles = calls(fake, "POST", "/api/v1/ticket_articles");
  ASSERT_EQ(articles.size(), 1u);
  EXPECT_EQ(articles[0]["json"]["ticket_id"], 1);
  EXPECT_EQ(articles[0]["json"]["body"], "3 more occurrences");
  EXPECT_EQ(articles[0]["json"]["internal"], true);

  t.priority = Priority::kP4;
  t.team = "dba";
  t.title = "Disk full on db01 and db02";
  ASSERT_TRUE((*conn)->update(ref, t).ok());
  nlohmann::json ticket = fake.state()["tickets"]["1"];
  EXPECT_EQ(ticket["priority"], "1 low");
  EXPECT_EQ(ticket["group"], "DBA");
  EXPECT_EQ(ticket["title"], "Disk full on db01 and db02");

  auto resolved = (*conn)->transition(ref, t, RemoteState::kResolved, "freed 20 GB");
  ASSERT_TRUE(resolved.ok()) << resolved.failure().message;
  ticket = fake.state()["tickets"]["1"];
  EXPECT_EQ(ticket["state"], "closed");
  EXPECT_EQ(ticket["articles"].back()["body"], "freed 20 GB");
  EXPECT_EQ(ticket["articles"].back()["internal"], true);

  // Already there: resolve and close (the same Zammad state) change nothing.
  const size_t puts = calls(fake, "PUT", "/api/v1/tickets/1").size();
  ASSERT_TRUE((*conn)->transition(ref, t, RemoteState::kResolved, "again").ok());
  ASSERT_TRUE((*conn)->transition(ref, t, RemoteState::kClosed, "").ok());
  EXPECT_EQ(calls(fake, "PUT", "/api/v1/tickets/1").size(), puts);

  ASSERT_TRUE((*conn)->transition(ref, t, RemoteState::kReopened, "it is back").ok());
  ticket = fake.state()["tickets"]["1"];
  EXPECT_EQ(ticket["state"], "open");
  EXPECT_EQ(ticket["articles"].back()["body"], "it is back");
  ASSERT_TRUE((*conn)->transition(ref, t, RemoteState::kReopened, "").ok());
  EXPECT_EQ(calls(fake, "PUT", "/api/v1/tickets/1").size(), puts + 1);
}

TEST(ZammadConnector, FindChecksEveryFuzzyHitAgainstTheTicketsTags) {
  FakeServer fake("zammad");
  // Near misses the full-text search returns for ticketd-inc-000042.
  fake.set_state({{"tickets",
                   {{"1", {{"tags", {"ticketd-inc-000043"}}}},
                    {"2", {{"tags", {"ticketd-inc-0000420", "db"}}}},
                    {"3", {{"tags", {"ticketd-inc-000042"}}, {"number", "31003"}}}}}});
  const BackendConfig c = zammad_config(fake);
  auto http = make_curl_client({});
  auto conn = make_connector(c, *http);
  ASSERT_TRUE(conn) << conn.error().message();

  auto found = (*conn)->find("ticketd-inc-000042");
  ASSERT_TRUE(found.ok()) << found.failure().message;
  ASSERT_TRUE(found.value());
  EXPECT_EQ(found.value()->id, "3");
  EXPECT_EQ(found.value()->key, "31003");
  const auto searches = calls(fake, "GET", "/api/v1/tickets/search");
  ASSERT_EQ(searches.size(), 1u);
  EXPECT_EQ(searches[0]["query"]["query"][0], "tags:\"ticketd-inc-000042\"");
  EXPECT_EQ(calls(fake, "GET", "/api/v1/tags").size(), 3u);

  auto missing = (*conn)->find("ticketd-inc-000044");
  ASSERT_TRUE(missing.ok()) << missing.failure().message;
  EXPECT_FALSE(missing.value());
}

TEST(ZammadConnector, KeyFieldCarriesTheKeyWithoutTags) {
  FakeServer fake("zammad");
  fake.set_state({{"tickets", {{"7", {{"ticketd_key", "ticketd-inc-000043"}}}}}});
  BackendConfig c = zammad_config(fake);
  c.settings["key_field"] = "ticketd_key";
  c.settings["tag"] = false;
  auto http = make_curl_client({});
  auto conn = make_connector(c, *http);
  ASSERT_TRUE(conn) << conn.error().message();
  const Ticket t = sample_ticket();
  const std::string corr = correlation_key(c, t.key);

  auto created = (*conn)->create(t, corr);
  ASSERT_TRUE(created.ok()) << created.failure().message;
  const auto posts = calls(fake, "POST", "/api/v1/tickets");
  ASSERT_EQ(posts.size(), 1u);
  EXPECT_EQ(posts[0]["json"]["ticketd_key"], corr);
  EXPECT_FALSE(posts[0]["json"].contains("tags"));

  auto found = (*conn)->find(corr);
  ASSERT_TRUE(found.ok()) << found.failure().message;
  ASSERT_TRUE(found.value());
  EXPECT_EQ(found.value()->id, created.value().id);
  // The attribute comes with the search's assets: no tag lookups.
  EXPECT_TRUE(calls(fake, "GET", "/api/v1/tags").empty());
  const auto searches = calls(fake, "GET", "/api/v1/tickets/search");
  EXPECT_EQ(searches.back()["query"]["query"][0], "ticketd_key:\"" + corr + "\"");
}

TEST(ZammadConnector, FailuresAreClassifiedWithoutTheSecret) {
  FakeServer fake("zammad");
  BackendConfig c = zammad_config(fake);
  c.secrets["token"] = "wrong-secret-token-123";
  auto http = make_curl_client({});
  auto bad = make_connector(c, *http);
  ASSERT_TRUE(bad);
  const Ticket t = sample_ticket();
  auto denied = (*bad)->create(t, "ticketd-inc-000042");
  ASSERT_FALSE(denied.ok());
  EXPECT_EQ(denied.failure().kind, Failure::Kind::kAuth);
  EXPECT_EQ(denied.failure().http_status, 401);
  EXPECT_NE(denied.failure().message.find("Can't find User for Token"), std::string::npos)
      << denied.failure().message;
  EXPECT_EQ(denied.failure().message.find("wrong-secret-token-123"), std::string::npos);

  c = zammad_config(fake);
  auto conn = make_connector(c, *http);
  ASSERT_TRUE(conn);
  fake.fail(429, 1, "7");
  auto throttled = (*conn)->find("ticketd-inc-000042");
  ASSERT_FALSE(throttled.ok());
  EXPECT_EQ(throttled.failure().kind, Failure::Kind::kThrottled);
  EXPECT_EQ(throttled.failure().retry_after, std::chrono::seconds(7));

  c.settings["group"] = "Nope";
  auto misconfigured = make_connector(c, *http);
  ASSERT_TRUE(misconfigured);
  auto refused = (*misconfigured)->create(t, "ticketd-inc-000042");
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.failure().kind, Failure::Kind::kRejected);
  EXPECT_NE(refused.failure().message.find("No lookup value found for 'group'"), std::string::npos)
      << refused.failure().message;

  ExternalRef gone{"zammad", "99", "99", ""};
  auto missing = (*conn)->transition(gone, t, RemoteState::kResolved, "");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.failure().kind, Failure::Kind::kRejected);
}

TEST(ZammadConnector, ParsesTheDefaultAndACustomWebhookPayload) {
  BackendConfig c;
  c.name = "zammad";
  c.kind = "zammad";
  c.url = "http://127.0.0.1:1";
  c.secrets["token"] = kToken;
  c.settings = {{"group", "Ops"}, {"customer", "guess:alerts@example.com"}};
  auto http = make_curl_client({});
  auto conn = make_connector(c, *http);
  ASSERT_TRUE(conn) << conn.error().message();

  // Zammad's default payload, trimmed (manage/webhook/payload.rst).
  const std::string closed = R"({
    "ticket": {"id": 81, "number": "10081", "state": "closed", "state_id": 4,
               "updated_at": "2026-01-02T03:04:05.333Z",
               "updated_by": {"login": "chris@example.com", "firstname": "Christopher",
                              "lastname": "Miller"}},
    "article": {"body": "Replaced the disk.<div><br></div><div>db01 is fine &amp; fast</div>",
                "content_type": "text/html", "internal": true}})";
  auto changes = (*conn)->parse_webhook(closed);
  ASSERT_TRUE(changes) << changes.error().message();
  ASSERT_EQ(changes->size(), 1u);
  const RemoteChange& ch = (*changes)[0];
  EXPECT_EQ(ch.remote_id, "81");
  EXPECT_EQ(ch.state, RemoteState::kResolved);
  EXPECT_EQ(ch.by, "Christopher Miller");
  EXPECT_EQ(ch.note, "Replaced the disk.\n\ndb01 is fine & fast");
  EXPECT_EQ(ch.updated, *parse_rfc3339("2026-01-02T03:04:05.333Z"));

  auto reopened = (*conn)->parse_webhook(
      R"({"ticket": {"id": "81", "state": "open", "updated_by": "agent@example.com"}})");
  ASSERT_TRUE(reopened);
  ASSERT_EQ(reopened->size(), 1u);
  EXPECT_EQ((*reopened)[0].state, RemoteState::kReopened);
  EXPECT_EQ((*reopened)[0].by, "agent@example.com");

  auto pending = (*conn)->parse_webhook(R"({"ticket": {"id": 81, "state": "pending reminder"}})");
  ASSERT_TRUE(pending);
  EXPECT_TRUE(pending->empty());

  EXPECT_FALSE((*conn)->parse_webhook(R"({"id": 81})"));
  EXPECT_FALSE((*conn)->parse_webhook("not json"));

  // A separate resolved state (say, a custom "solved") tells the two apart.
  c.settings["resolved_state"] = "solved";
  auto split = make_connector(c, *http);
  ASSERT_TRUE(split);
  auto solved = (*split)->parse_webhook(R"({"ticket": {"id": 5, "state": "solved"}})");
  auto shut = (*split)->parse_webhook(R"({"ticket": {"id": 5, "state": "closed"}})");
  ASSERT_TRUE(solved && shut);
  EXPECT_EQ((*solved)[0].state, RemoteState::kResolved);
  EXPECT_EQ((*shut)[0].state, RemoteState::kClosed);
}

TEST(ZammadConnector, ConfigurationIsChecked) {
  auto http = make_curl_client({});
  BackendConfig c;
  c.name = "zammad";
  c.kind = "zammad";
  c.url = "http://127.0.0.1:1";
  c.secrets["token"] = kToken;
  c.settings = {{"group", "Ops"}, {"customer", "alerts@example.com"}, {"key_feild", "x"}};
  auto typo = make_connector(c, *http);
  ASSERT_FALSE(typo);
  EXPECT_NE(typo.error().message().find("unknown key \"key_feild\""), std::string::npos)
      << typo.error().message();
  EXPECT_NE(typo.error().message().find("key_field"), std::string::npos);

  c.settings = {{"customer", "alerts@example.com"}};
  auto no_group = make_connector(c, *http);
  ASSERT_FALSE(no_group);
  EXPECT_NE(no_group.error().message().find("group"), std::string::npos);

  c.settings = {{"group", "Ops"}, {"customer", "alerts@example.com"}};
  c.secrets.clear();
  auto no_token = make_connector(c, *http);
  ASSERT_FALSE(no_token);
  EXPECT_NE(no_token.error().message().find("token_file or token_env"), std::string::npos);

  c.secrets["token"] = kToken;
  c.settings = {{"group", "Ops"}, {"customer", "alerts@example.com"}, {"tag", false}};
  auto nowhere = make_connector(c, *http);
  ASSERT_FALSE(nowhere);
  EXPECT_NE(nowhere.error().message().find("key_field"), std::string::npos);
}

}  // namespace
}  // namespace ticketd::connectors
