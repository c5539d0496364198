// kind: redmine against the fake Redmine API (tests/fakes/redmine.py).
#include <gtest/gtest.h>

#include "../fakes/fake_server.hpp"
#include "ticketd/connectors/connector.hpp"

namespace ticketd::connectors {
namespace {

using ticketd_test::FakeServer;

const char* kApiKey = "redmine-test-key";

Ticket sample_ticket() {
  Ticket t;
  t.key = "INC-000042";
  t.title = "Disk full on db01";
  t.description = "/var is at 99%";
  t.priority = Priority::kP2;
  t.team = "ops";
  return t;
}

BackendConfig redmine_config(const FakeServer& fake) {
  BackendConfig c;
  c.name = "redmine";
  c.kind = "redmine";
  c.url = fake.url();
  c.secrets["api_key"] = kApiKey;
  c.settings = {{"project", "ops"}, {"tracker_id", 1}, {"key_field_id", 4}};
  c.map["priority"] = {{"P1", "5"}, {"P2", "4"}, {"P3", "2"}};
  c.map["team"] = {{"dba", "dba"}};
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

TEST(RedmineConnector, CreateFindCommentUpdateAndTransitions) {
  FakeServer fake("redmine");
  const BackendConfig c = redmine_config(fake);
  auto http = make_curl_client({});
  auto conn = make_connector(c, *http);
  ASSERT_TRUE(conn) << conn.error().message();
  Ticket t = sample_ticket();
  const std::string corr = correlation_key(c, t.key);

  auto created = (*conn)->create(t, corr);
  ASSERT_TRUE(created.ok()) << created.failure().message;
  const ExternalRef ref = created.value();
  EXPECT_EQ(ref.id, "1");
  EXPECT_EQ(ref.key, "#1");
  EXPECT_EQ(ref.url, fake.url() + "/issues/1");
  auto posts = calls(fake, "POST", "/issues.json");
  ASSERT_EQ(posts.size(), 1u);
  EXPECT_EQ(posts[0]["headers"]["x-redmine-api-key"], kApiKey);
  const nlohmann::json& issue = posts[0]["json"]["issue"];
  EXPECT_EQ(issue["project_id"], "ops");
  EXPECT_EQ(issue["tracker_id"], 1);
  EXPECT_EQ(issue["priority_id"], 4);
  EXPECT_EQ(issue["subject"], "Disk full on db01");
  EXPECT_EQ(issue["custom_fields"],
            nlohmann::json::parse(R"([{"id": 4, "value": ")" + corr + R"("}])"));

  auto found = (*conn)->find(corr);
  ASSERT_TRUE(found.ok()) << found.failure().message;
  ASSERT_TRUE(found.value());
  EXPECT_EQ(*found.value(), ref);
  const auto searches = calls(fake, "GET", "/issues.json");
  ASSERT_FALSE(searches.empty());
  EXPECT_EQ(searches[0]["query"]["project_id"][0], "ops");
  EXPECT_EQ(searches[0]["query"]["status_id"][0], "*");
  EXPECT_EQ(searches[0]["query"]["cf_4"][0], corr);

  ASSERT_TRUE((*conn)->comment(ref, t, "3 more occurrences").ok());
  nlohmann::json stored = fake.state()["issues"]["1"];
  ASSERT_EQ(stored["journals"].size(), 1u);
  EXPECT_EQ(stored["journals"][0]["notes"], "3 more occurrences");
  EXPECT_EQ(stored["journals"][0]["private_notes"], true);

  t.priority = Priority::kP1;
  t.title = "Disk full on db01 and db02";
  ASSERT_TRUE((*conn)->update(ref, t).ok());
  stored = fake.state()["issues"]["1"];
  EXPECT_EQ(stored["priority_id"], 5);
  EXPECT_EQ(stored["subject"], "Disk full on db01 and db02");
  EXPECT_EQ(stored["project_id"], 1);  // team ops is not mapped: the project stays

  auto resolved = (*conn)->transition(ref, t, RemoteState::kResolved, "freed 20 GB");
  ASSERT_TRUE(resolved.ok()) << resolved.failure().message;
  stored = fake.state()["issues"]["1"];
  EXPECT_EQ(stored["status_id"], 3);
  EXPECT_EQ(stored["journals"].back()["notes"], "freed 20 GB");
  EXPECT_EQ(calls(fake, "GET", "/issue_statuses.json").size(), 1u);

  const size_t puts = calls(fake, "PUT", "/issues/1.json").size();
  ASSERT_TRUE((*conn)->transition(ref, t, RemoteState::kResolved, "again").ok());
  EXPECT_EQ(calls(fake, "PUT", "/issues/1.json").size(), puts);

  ASSERT_TRUE((*conn)->transition(ref, t, RemoteState::kClosed, "").ok());
  stored = fake.state()["issues"]["1"];
  EXPECT_EQ(stored["status_id"], 5);
  EXPECT_EQ(stored["journals"].back()["notes"], "Closed in ticketd (INC-000042)");
  // Closed counts as resolved too.
  ASSERT_TRUE((*conn)->transition(ref, t, RemoteState::kResolved, "").ok());
  EXPECT_EQ(calls(fake, "PUT", "/issues/1.json").size(), puts + 1);

  ASSERT_TRUE((*conn)->transition(ref, t, RemoteState::kReopened, "it is back").ok());
  EXPECT_EQ(fake.state()["issues"]["1"]["status_id"], 2);
  // The statuses were read once.
  EXPECT_EQ(calls(fake, "GET", "/issue_statuses.json").size(), 1u);
}

TEST(RedmineConnector, FindIgnoresNearMissesAndSearchesTeamProjects) {
  FakeServer fake("redmine");
  // MySQL compares without case: a key in other case is a hit, not a match.
  fake.set_state({{"issues",
                   {{"1", {{"key", "TICKETD-INC-000042"}}},
                    {"2", {{"key", "ticketd-inc-000042"}, {"project_id", 2}}}}}});
  const BackendConfig c = redmine_config(fake);
  auto http = make_curl_client({});
  auto conn = make_connector(c, *http);
  ASSERT_TRUE(conn) << conn.error().message();

  auto found = (*conn)->find("ticketd-inc-000042");
  ASSERT_TRUE(found.ok()) << found.failure().message;
  ASSERT_TRUE(found.value());
  EXPECT_EQ(found.value()->id, "2");
  const auto searches = calls(fake, "GET", "/issues.json");
  ASSERT_EQ(searches.size(), 2u);
  EXPECT_EQ(searches[1]["query"]["project_id"][0], "dba");

  auto missing = (*conn)->find("ticketd-inc-000043");
  ASSERT_TRUE(missing.ok()) << missing.failure().message;
  EXPECT_FALSE(missing.value());
}

TEST(RedmineConnector, AnIgnoredCustomFieldFilterIsDetected) {
  FakeServer fake("redmine");
  nlohmann::json issues = nlohmann::json::object();
  for (int i = 1; i <= 3; ++i)
    issues[std::to_string(i)] = {{"key", "ticketd-inc-00000" + std::to_string(i)}};
  fake.set_state({{"issues", issues}, {"cf_filter", false}});
  const BackendConfig c = redmine_config(fake);
  auto http = make_curl_client({});
  auto conn = make_connector(c, *http);
  ASSERT_TRUE(conn);

  // Every issue fits on the page: the key is still found, or known absent.
  auto found = (*conn)->find("ticketd-inc-000002");
  ASSERT_TRUE(found.ok()) << found.failure().message;
  ASSERT_TRUE(found.value());
  EXPECT_EQ(found.value()->id, "2");
  auto absent = (*conn)->find("ticketd-inc-000009");
  ASSERT_TRUE(absent.ok()) << absent.failure().message;
  EXPECT_FALSE(absent.value());

  // More issues than a page: the key may be on another one, so no answer.
  for (int i = 4; i <= 105; ++i) issues[std::to_string(i)] = {{"key", "other"}};
  fake.set_state({{"issues", issues}});
  auto unsure = (*conn)->find("ticketd-inc-000009");
  ASSERT_FALSE(unsure.ok());
  EXPECT_EQ(unsure.failure().kind, Failure::Kind::kRejected);
  EXPECT_NE(unsure.failure().message.find("Used as a filter"), std::string::npos)
      << unsure.failure().message;
}

TEST(RedmineConnector, AStatusTheWorkflowRefusesIsDetected) {
  FakeServer fake("redmine");
  fake.set_state({{"issues", {{"1", {{"key", "ticketd-inc-000042"}}}}}, {"deny", {{1, 3}}}});
  const BackendConfig c = redmine_config(fake);
  auto http = make_curl_client({});
  auto conn = make_connector(c, *http);
  ASSERT_TRUE(conn);
  const ExternalRef ref{"redmine", "1", "#1", ""};
  auto r = (*conn)->transition(ref, sample_ticket(), RemoteState::kResolved, "done");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.failure().kind, Failure::Kind::kRejected);
  EXPECT_NE(r.failure().message.find("did not apply status \"Resolved\""), std::string::npos)
      << r.failure().message;
  EXPECT_NE(r.failure().message.find("stays \"New\""), std::string::npos);
  EXPECT_EQ(fake.state()["issues"]["1"]["status_id"], 1);

  // A status name the instance does not have is named with what it has.
  BackendConfig odd = redmine_config(fake);
  odd.settings["resolved_status"] = "Done";
  auto conn2 = make_connector(odd, *http);
  ASSERT_TRUE(conn2);
  auto unknown = (*conn2)->transition(ref, sample_ticket(), RemoteState::kResolved, "");
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.failure().message.find("resolved_status \"Done\" is not an issue status"),
            std::string::npos)
      << unknown.failure().message;
  EXPECT_NE(unknown.failure().message.find("Resolved (3)"), std::string::npos);
}

TEST(RedmineConnector, FailuresAreClassifiedWithoutTheSecret) {
  FakeServer fake("redmine");
  BackendConfig c = redmine_config(fake);
  c.secrets["api_key"] = "wrong-redmine-key-456";
  auto http = make_curl_client({});
  auto bad = make_connector(c, *http);
  ASSERT_TRUE(bad);
  const Ticket t = sample_ticket();
  auto denied = (*bad)->create(t, "ticketd-inc-000042");
  ASSERT_FALSE(denied.ok());
  EXPECT_EQ(denied.failure().kind, Failure::Kind::kAuth);
  EXPECT_NE(denied.failure().message.find("api_key_file"), std::string::npos)
      << denied.failure().message;
  EXPECT_EQ(denied.failure().message.find("wrong-redmine-key-456"), std::string::npos);

  c = redmine_config(fake);
  auto conn = make_connector(c, *http);
  ASSERT_TRUE(conn);
  fake.fail(429, 1, "3");
  auto throttled = (*conn)->create(t, "ticketd-inc-000042");
  ASSERT_FALSE(throttled.ok());
  EXPECT_EQ(throttled.failure().kind, Failure::Kind::kThrottled);
  EXPECT_EQ(throttled.failure().retry_after, std::chrono::seconds(3));

  c.settings["project"] = "nosuch";
  auto elsewhere = make_connector(c, *http);
  ASSERT_TRUE(elsewhere);
  auto invalid = (*elsewhere)->create(t, "ticketd-inc-000042");
  ASSERT_FALSE(invalid.ok());
  EXPECT_EQ(invalid.failure().kind, Failure::Kind::kRejected);
  EXPECT_NE(invalid.failure().message.find("HTTP 422: Project cannot be blank"), std::string::npos)
      << invalid.failure().message;
}

TEST(RedmineConnector, ParsesTheSimpleAndThePluginWebhookBodies) {
  BackendConfig c;
  c.name = "redmine";
  c.kind = "redmine";
  c.url = "http://127.0.0.1:1";
  c.secrets["api_key"] = kApiKey;
  c.settings = {{"project", "ops"}, {"key_field_id", 4}, {"closed_status", "5"}};
  auto http = make_curl_client({});
  auto conn = make_connector(c, *http);
  ASSERT_TRUE(conn) << conn.error().message();

  auto simple = (*conn)->parse_webhook(R"([
      {"id": 12, "status": "resolved", "by": "alice", "note": "fixed",
       "updated": "2026-01-02T03:04:05Z"},
      {"id": "13", "status": 5},
      {"id": 14, "status": "In Progress"},
      {"id": 15, "status": "Feedback"}])");
  ASSERT_TRUE(simple) << simple.error().message();
  ASSERT_EQ(simple->size(), 3u);
  EXPECT_EQ((*simple)[0].remote_id, "12");
  EXPECT_EQ((*simple)[0].state, RemoteState::kResolved);
  EXPECT_EQ((*simple)[0].by, "alice");
  EXPECT_EQ((*simple)[0].note, "fixed");
  EXPECT_EQ((*simple)[0].updated, *parse_rfc3339("2026-01-02T03:04:05Z"));
  EXPECT_EQ((*simple)[1].state, RemoteState::kClosed);
  EXPECT_EQ((*simple)[2].state, RemoteState::kReopened);

  auto plugin = (*conn)->parse_webhook(R"({"payload": {"action": "updated",
      "issue": {"id": 21, "status": {"id": 3, "name": "Resolved"}, "updated_on": "2026-01-02T03:04:05Z"},
      "journal": {"notes": "replaced the disk", "author": {"login": "bob"}}}})");
  ASSERT_TRUE(plugin) << plugin.error().message();
  ASSERT_EQ(plugin->size(), 1u);
  EXPECT_EQ((*plugin)[0].remote_id, "21");
  EXPECT_EQ((*plugin)[0].state, RemoteState::kResolved);
  EXPECT_EQ((*plugin)[0].by, "bob");
  EXPECT_EQ((*plugin)[0].note, "replaced the disk");

  EXPECT_FALSE((*conn)->parse_webhook(R"({"status": "resolved"})"));
  EXPECT_FALSE((*conn)->parse_webhook("[1, 2"));
}

TEST(RedmineConnector, ConfigurationIsChecked) {
  auto http = make_curl_client({});
  BackendConfig c;
  c.name = "redmine";
  c.kind = "redmine";
  c.url = "http://127.0.0.1:1";
  c.secrets["api_key"] = kApiKey;
  c.settings = {{"project", "ops"}, {"key_field_id", 4}, {"traker_id", 1}};
  auto typo = make_connector(c, *http);
  ASSERT_FALSE(typo);
  EXPECT_NE(typo.error().message().find("unknown key \"traker_id\""), std::string::npos)
      << typo.error().message();
  EXPECT_NE(typo.error().message().find("tracker_id"), std::string::npos);

  c.settings = {{"project", "ops"}};
  auto no_field = make_connector(c, *http);
  ASSERT_FALSE(no_field);
  EXPECT_NE(no_field.error().message().find("key_field_id"), std::string::npos);

  c.settings = {{"project", "ops"}, {"key_field_id", 4}};
  c.map["priority"] = {{"P1", "Urgent"}};
  auto names = make_connector(c, *http);
  ASSERT_FALSE(names);
  EXPECT_NE(names.error().message().find("map.priority"), std::string::npos)
      << names.error().message();
}

}  // namespace
}  // namespace ticketd::connectors
