// kind: glpi against the fake GLPI API (tests/fakes/glpi.py).
#include <gtest/gtest.h>

#include "../fakes/fake_server.hpp"
#include "ticketd/connectors/connector.hpp"

namespace ticketd::connectors {
namespace {

using ticketd_test::FakeServer;

const char* kUserToken = "glpi-user-token";

Ticket sample_ticket() {
  Ticket t;
  t.key = "INC-000042";
  t.title = "Disk full on db01";
  t.description = "/var is at 99% <disk1> & more";
  t.priority = Priority::kP2;
  t.urgency = Level::kHigh;
  t.impact = Level::kMedium;
  t.team = "ops";
  t.category = "storage";
  return t;
}

BackendConfig glpi_config(const FakeServer& fake) {
  BackendConfig c;
  c.name = "glpi";
  c.kind = "glpi";
  c.url = fake.url();
  c.secrets["user_token"] = kUserToken;
  c.settings = {{"entity_id", 0}};
  c.map["team"] = {{"ops", "11"}, {"dba", "12"}};
  c.map["category"] = {{"storage", "4"}};
  return c;
}

std::vector<nlohmann::json> calls(const FakeServer& fake, const std::string& method,
                                  const std::string& path) {
  std::vector<nlohmann::json> out;
  for (const auto& r : fake.requests()) {
    if (r["method"] == method && r["path"] == path) out.push_back(r);
  }
  return out;
}

TEST(GlpiConnector, CreateFindCommentUpdateAndTransitions) {
  FakeServer fake("glpi");
  fake.set_state({{"app_token", "glpi-app-token"}});
  BackendConfig c = glpi_config(fake);
  c.url += "/apirest.php/";  // tolerated: the API's own URL
  c.secrets["app_token"] = "glpi-app-token";
  auto http = make_curl_client({});
  auto conn = make_connector(c, *http);
  ASSERT_TRUE(conn) << conn.error().message();
  Ticket t = sample_ticket();
  const std::string corr = correlation_key(c, t.key);

  auto created = (*conn)->create(t, corr);
  ASSERT_TRUE(created.ok()) << created.failure().message;
  const ExternalRef ref = created.value();
  EXPECT_EQ(ref.id, "1");
  EXPECT_EQ(ref.url, fake.url() + "/front/ticket.form.php?id=1");

  const auto inits = calls(fake, "GET", "/apirest.php/initSession");
  ASSERT_EQ(inits.size(), 1u);
  EXPECT_EQ(inits[0]["headers"]["authorization"], std::string("user_token ") + kUserToken);
  EXPECT_EQ(inits[0]["headers"]["app-token"], "glpi-app-token");
  const auto posts = calls(fake, "POST", "/apirest.php/Ticket");
  ASSERT_EQ(posts.size(), 1u);
  EXPECT_FALSE(posts[0]["headers"].contains("authorization"));
  EXPECT_FALSE(posts[0]["headers"]["session-token"].get<std::string>().empty());
  EXPECT_EQ(posts[0]["headers"]["app-token"], "glpi-app-token");
  const nlohmann::json& input = posts[0]["json"]["input"];
  EXPECT_EQ(input["name"], "[ticketd-inc-000042] Disk full on db01");
  EXPECT_EQ(input["type"], 1);
  EXPECT_EQ(input["urgency"], 4);
  EXPECT_EQ(input["impact"], 3);
  EXPECT_EQ(input["priority"], 4);
  EXPECT_EQ(input["entities_id"], 0);
  EXPECT_EQ(input["itilcategories_id"], 4);
  EXPECT_EQ(input["_groups_id_assign"], 11);
  EXPECT_NE(input["content"].get<std::string>().find("&lt;disk1&gt; &amp; more<br><br>ticketd"),
            std::string::npos)
      << input["content"];

  auto found = (*conn)->find(corr);
  ASSERT_TRUE(found.ok()) << found.failure().message;
  ASSERT_TRUE(found.value());
  EXPECT_EQ(*found.value(), ref);
  const auto searches = calls(fake, "GET", "/apirest.php/search/Ticket");
  ASSERT_EQ(searches.size(), 1u);
  EXPECT_EQ(searches[0]["query"]["criteria[0][field]"][0], "1");
  EXPECT_EQ(searches[0]["query"]["criteria[0][searchtype]"][0], "contains");
  EXPECT_EQ(searches[0]["query"]["criteria[0][value]"][0], corr);
  EXPECT_EQ(searches[0]["query"]["forcedisplay[0]"][0], "2");

  ASSERT_TRUE((*conn)->comment(ref, t, "3 more occurrences").ok());
  nlohmann::json state = fake.state();
  ASSERT_EQ(state["followups"].size(), 1u);
  EXPECT_EQ(state["followups"][0]["itemtype"], "Ticket");
  EXPECT_EQ(state["followups"][0]["items_id"], 1);
  EXPECT_EQ(state["followups"][0]["is_private"], 1);
  EXPECT_EQ(state["followups"][0]["content"], "<p>3 more occurrences</p>");

  // The team moves to dba: its group is assigned, ops' group taken off.
  t.team = "dba";
  t.priority = Priority::kP1;
  t.title = "Disk full on db01 and db02";
  ASSERT_TRUE((*conn)->update(ref, t).ok());
  state = fake.state();
  EXPECT_EQ(state["tickets"]["1"]["name"], "[ticketd-inc-000042] Disk full on db01 and db02");
  EXPECT_EQ(state["tickets"]["1"]["priority"], 5);
  ASSERT_EQ(state["group_tickets"].size(), 1u);
  EXPECT_EQ(state["group_tickets"][0]["groups_id"], 12);
  EXPECT_EQ(state["group_tickets"][0]["type"], 2);
  ASSERT_TRUE((*conn)->update(ref, t).ok());
  EXPECT_EQ(calls(fake, "POST", "/apirest.php/Group_Ticket").size(), 1u);

  auto resolved = (*conn)->transition(ref, t, RemoteState::kResolved, "freed 20 GB");
  ASSERT_TRUE(resolved.ok()) << resolved.failure().message;
  state = fake.state();
  EXPECT_EQ(state["tickets"]["1"]["status"], 5);
  ASSERT_EQ(state["solutions"].size(), 1u);
  EXPECT_EQ(state["solutions"][0]["content"], "<p>freed 20 GB</p>");

  ASSERT_TRUE((*conn)->transition(ref, t, RemoteState::kResolved, "again").ok());
  EXPECT_EQ(fake.state()["solutions"].size(), 1u);

  // Solved → closed: the status alone. A followup here would reopen it.
  ASSERT_TRUE((*conn)->transition(ref, t, RemoteState::kClosed, "closing").ok());
  state = fake.state();
  EXPECT_EQ(state["tickets"]["1"]["status"], 6);
  EXPECT_EQ(state["followups"].size(), 1u);

  ASSERT_TRUE((*conn)->transition(ref, t, RemoteState::kReopened, "it is back").ok());
  state = fake.state();
  EXPECT_EQ(state["tickets"]["1"]["status"], 2);
  ASSERT_EQ(state["followups"].size(), 2u);
  EXPECT_EQ(state["followups"][1]["content"], "<p>it is back</p>");
  ASSERT_TRUE((*conn)->transition(ref, t, RemoteState::kReopened, "").ok());
  EXPECT_EQ(fake.state()["followups"].size(), 2u);

  // One session served every call.
  EXPECT_EQ(calls(fake, "GET", "/apirest.php/initSession").size(), 1u);
}

TEST(GlpiConnector, FindWantsTheBracketedKey) {
  FakeServer fake("glpi");
  // A "contains" search for ticketd-inc-000042 returns these too.
  fake.set_state({{"tickets",
                   {{"1", {{"name", "[ticketd-inc-0000421] Printer jam"}}},
                    {"2", {{"name", "[xticketd-inc-000042] Other instance"}}},
                    {"3", {{"name", "about ticketd-inc-000042 without brackets"}}},
                    {"4", {{"name", "[ticketd-inc-000042] Disk full on db01"}}}}}});
  const BackendConfig c = glpi_config(fake);
  auto http = make_curl_client({});
  auto conn = make_connector(c, *http);
  ASSERT_TRUE(conn) << conn.error().message();

  auto found = (*conn)->find("ticketd-inc-000042");
  ASSERT_TRUE(found.ok()) << found.failure().message;
  ASSERT_TRUE(found.value());
  EXPECT_EQ(found.value()->id, "4");

  auto none = (*conn)->find("ticketd-inc-00004");
  ASSERT_TRUE(none.ok()) << none.failure().message;
  EXPECT_FALSE(none.value());
}

TEST(GlpiConnector, AnExpiredSessionIsRenewedOnce) {
  FakeServer fake("glpi");
  const BackendConfig c = glpi_config(fake);
  auto http = make_curl_client({});
  auto conn = make_connector(c, *http);
  ASSERT_TRUE(conn);
  const Ticket t = sample_ticket();
  auto created = (*conn)->create(t, "ticketd-inc-000042");
  ASSERT_TRUE(created.ok()) << created.failure().message;

  fake.set_state({{"expire_sessions", true}});
  auto commented = (*conn)->comment(created.value(), t, "still full");
  ASSERT_TRUE(commented.ok()) << commented.failure().message;
  EXPECT_EQ(calls(fake, "GET", "/apirest.php/initSession").size(), 2u);
  // The refused call, then the same call with the new session.
  const auto followups = calls(fake, "POST", "/apirest.php/ITILFollowup");
  ASSERT_EQ(followups.size(), 2u);
  EXPECT_NE(followups[0]["headers"]["session-token"], followups[1]["headers"]["session-token"]);
  EXPECT_EQ(fake.state()["followups"].size(), 1u);

  // A session refused again right after a new one is not retried for ever.
  fake.set_state({{"reject_sessions", true}});
  auto refused = (*conn)->comment(created.value(), t, "again");
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.failure().kind, Failure::Kind::kAuth);
  EXPECT_NE(refused.failure().message.find("ERROR_SESSION_TOKEN_INVALID"), std::string::npos);
  EXPECT_EQ(calls(fake, "GET", "/apirest.php/initSession").size(), 3u);
  EXPECT_EQ(calls(fake, "POST", "/apirest.php/ITILFollowup").size(), 4u);
}

TEST(GlpiConnector, CredentialErrorsAreAuthFailuresWithoutTheSecret) {
  FakeServer fake("glpi");
  BackendConfig c = glpi_config(fake);
  c.secrets["user_token"] = "wrong-user-token-789";
  auto http = make_curl_client({});
  auto bad = make_connector(c, *http);
  ASSERT_TRUE(bad);
  const Ticket t = sample_ticket();
  auto denied = (*bad)->create(t, "ticketd-inc-000042");
  ASSERT_FALSE(denied.ok());
  EXPECT_EQ(denied.failure().kind, Failure::Kind::kAuth);
  EXPECT_EQ(denied.failure().http_status, 401);
  EXPECT_NE(denied.failure().message.find("ERROR_GLPI_LOGIN_USER_TOKEN"), std::string::npos)
      << denied.failure().message;
  EXPECT_EQ(denied.failure().message.find("wrong-user-token-789"), std::string::npos);

  // GLPI answers a wrong App-Token with 400; it is a credential all the same.
  fake.set_state({{"app_token", "the-right-app-token"}});
  c = glpi_config(fake);
  c.secrets["app_token"] = "a-wrong-app-token";
  auto wrong_app = make_connector(c, *http);
  ASSERT_TRUE(wrong_app);
  auto r = (*wrong_app)->find("ticketd-inc-000042");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.failure().kind, Failure::Kind::kAuth);
  EXPECT_EQ(r.failure().http_status, 400);
  EXPECT_NE(r.failure().message.find("ERROR_WRONG_APP_TOKEN_PARAMETER"), std::string::npos);
  EXPECT_EQ(r.failure().message.find("a-wrong-app-token"), std::string::npos);

  fake.set_state({{"app_token", ""}});
  c = glpi_config(fake);
  auto conn = make_connector(c, *http);
  ASSERT_TRUE(conn);
  fake.fail(429, 1, "5");
  auto throttled = (*conn)->find("ticketd-inc-000042");
  ASSERT_FALSE(throttled.ok());
  EXPECT_EQ(throttled.failure().kind, Failure::Kind::kThrottled);
  EXPECT_EQ(throttled.failure().retry_after, std::chrono::seconds(5));
}

TEST(GlpiConnector, ClosingAnOpenTicketGoesThroughASolution) {
  FakeServer fake("glpi");
  fake.set_state({{"tickets",
                   {{"1", {{"name", "[ticketd-inc-000042] x"}, {"status", 2}}},
                    {"2", {{"name", "[ticketd-inc-000043] y"}, {"status", 2}}}}}});
  const BackendConfig c = glpi_config(fake);
  auto http = make_curl_client({});
  auto conn = make_connector(c, *http);
  ASSERT_TRUE(conn);
  const Ticket t = sample_ticket();
  ASSERT_TRUE((*conn)->transition({"glpi", "1", "1", ""}, t, RemoteState::kClosed, "dup").ok());
  nlohmann::json state = fake.state();
  EXPECT_EQ(state["tickets"]["1"]["status"], 6);
  ASSERT_EQ(state["solutions"].size(), 1u);
  EXPECT_EQ(state["solutions"][0]["content"], "<p>dup</p>");

  // Where solutions close at once, no status change follows.
  fake.set_state({{"auto_close", true}});
  ASSERT_TRUE((*conn)->transition({"glpi", "2", "2", ""}, t, RemoteState::kClosed, "").ok());
  EXPECT_EQ(fake.state()["tickets"]["2"]["status"], 6);
  EXPECT_EQ(calls(fake, "PUT", "/apirest.php/Ticket/2").size(), 0u);
}

TEST(GlpiConnector, AStatusTheLifeCycleDropsIsDetected) {
  FakeServer fake("glpi");
  fake.set_state({{"tickets", {{"1", {{"name", "[ticketd-inc-000042] x"}, {"status", 5}}}}},
                  {"refuse_status", {6}}});
  const BackendConfig c = glpi_config(fake);
  auto http = make_curl_client({});
  auto conn = make_connector(c, *http);
  ASSERT_TRUE(conn);
  auto r = (*conn)->transition({"glpi", "1", "1", ""}, sample_ticket(), RemoteState::kClosed, "");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.failure().kind, Failure::Kind::kRejected);
  EXPECT_NE(r.failure().message.find("kept the ticket Solved instead of Closed"), std::string::npos)
      << r.failure().message;

  // A missing ticket is an error array too.
  auto gone =
      (*conn)->transition({"glpi", "99", "99", ""}, sample_ticket(), RemoteState::kResolved, "");
  ASSERT_FALSE(gone.ok());
  EXPECT_EQ(gone.failure().kind, Failure::Kind::kRejected);
  EXPECT_NE(gone.failure().message.find("ERROR_ITEM_NOT_FOUND"), std::string::npos);
}

TEST(GlpiConnector, ParsesTheWebhookBody) {
  BackendConfig c;
  c.name = "glpi";
  c.kind = "glpi";
  c.url = "http://127.0.0.1:1";
  c.secrets["user_token"] = kUserToken;
  auto http = make_curl_client({});
  auto conn = make_connector(c, *http);
  ASSERT_TRUE(conn) << conn.error().message();
  auto changes = (*conn)->parse_webhook(R"([
      {"id": 15, "status": 5, "by": "tech", "note": "replaced", "updated": "2026-01-02T03:04:05Z"},
      {"id": "16", "status": "6"},
      {"id": 17, "status": 2},
      {"id": 18, "status": "closed"},
      {"id": 19, "status": "whatever"}])");
  ASSERT_TRUE(changes) << changes.error().message();
  ASSERT_EQ(changes->size(), 4u);
  EXPECT_EQ((*changes)[0].remote_id, "15");
  EXPECT_EQ((*changes)[0].state, RemoteState::kResolved);
  EXPECT_EQ((*changes)[0].by, "tech");
  EXPECT_EQ((*changes)[0].note, "replaced");
  EXPECT_EQ((*changes)[1].state, RemoteState::kClosed);
  EXPECT_EQ((*changes)[2].state, RemoteState::kReopened);
  EXPECT_EQ((*changes)[3].state, RemoteState::kClosed);
  EXPECT_FALSE((*conn)->parse_webhook(R"({"status": 5})"));
  EXPECT_FALSE((*conn)->parse_webhook("\"5\""));
}

TEST(GlpiConnector, ConfigurationIsChecked) {
  auto http = make_curl_client({});
  BackendConfig c;
  c.name = "glpi";
  c.kind = "glpi";
  c.url = "http://127.0.0.1:1";
  c.secrets["user_token"] = kUserToken;
  c.settings = {{"entty_id", 0}};
  auto typo = make_connector(c, *http);
  ASSERT_FALSE(typo);
  EXPECT_NE(typo.error().message().find("unknown key \"entty_id\""), std::string::npos)
      << typo.error().message();
  EXPECT_NE(typo.error().message().find("entity_id"), std::string::npos);

  c.settings = nlohmann::json::object();
  c.map["priority"] = {{"P1", "9"}};
  auto high = make_connector(c, *http);
  ASSERT_FALSE(high);
  EXPECT_NE(high.error().message().find("map.priority"), std::string::npos);

  c.map.clear();
  c.secrets.clear();
  auto no_token = make_connector(c, *http);
  ASSERT_FALSE(no_token);
  EXPECT_NE(no_token.error().message().find("user_token_file or user_token_env"), std::string::npos)
      << no_token.error().message();
}

}  // namespace
}  // namespace ticketd::connectors
