// kind: jira against the fake (tests/fakes/jira.py), Cloud (REST v3, ADF)
// and Server / Data Center (REST v2, plain text) flavours.
#include <gtest/gtest.h>

#include "../fakes/fake_server.hpp"
#include "ticketd/connectors/connector.hpp"

namespace ticketd::connectors {
namespace {

using ticketd_test::FakeServer;

constexpr const char* kCloudUser = "ops@example.com";
constexpr const char* kCloudToken = "cloud-token-0123456789";
constexpr const char* kServerPat = "server-pat-0123456789";

Ticket sample_ticket() {
  Ticket t;
  t.key = "INC-000042";
  t.title = "Disk full on db01";
  t.description = "Disk is 97% full\nmount /var";
  t.priority = Priority::kP2;
  t.team = "dba";
  t.rule = "disk_full";
  return t;
}

BackendConfig cloud_config(const FakeServer& fake) {
  BackendConfig c;
  c.name = "jira";
  c.kind = "jira";
  c.url = fake.url();
  c.settings = {{"api", "cloud"}, {"user", kCloudUser}, {"project", "OPS"}};
  c.secrets["token"] = kCloudToken;
  c.map["team"] = {{"dba", "Database"}};
  return c;
}

BackendConfig server_config(const FakeServer& fake) {
  BackendConfig c;
  c.name = "jira-dc";
  c.kind = "jira";
  c.url = fake.url();
  c.settings = {{"api", "server"}, {"project", "OPS"}};
  c.secrets["token"] = kServerPat;
  return c;
}

std::unique_ptr<Connector> connect(const BackendConfig& c, HttpClient& http) {
  auto conn = make_connector(c, http);
  EXPECT_TRUE(conn) << conn.error().message();
  return conn ? std::move(*conn) : nullptr;
}

TimePoint now() { return std::chrono::time_point_cast<Duration>(std::chrono::system_clock::now()); }

// The requests of one method and path, oldest first.
std::vector<nlohmann::json> requests_to(const FakeServer& fake, const std::string& method,
                                        const std::string& path) {
  std::vector<nlohmann::json> out;
  for (const auto& r : fake.requests()) {
    if (r["method"] == method && r["path"] == path) out.push_back(r);
  }
  return out;
}

TEST(JiraConnector, CloudCreateSendsV3FieldsWithAdfDescriptionAndLabel) {
  FakeServer fake("jira");
  const BackendConfig c = cloud_config(fake);
  auto http = make_curl_client({});
  auto conn = connect(c, *http);
  ASSERT_TRUE(conn);
  const Ticket t = sample_ticket();
  const std::string corr = correlation_key(c, t.key);

  auto created = conn->create(t, corr);
  ASSERT_TRUE(created.ok()) << created.failure().message;
  EXPECT_EQ(created.value().id, "10000");
  EXPECT_EQ(created.value().key, "OPS-1");
  EXPECT_EQ(created.value().url, fake.url() + "/browse/OPS-1");

  const auto reqs = fake.requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0]["method"], "POST");
  EXPECT_EQ(reqs[0]["path"], "/rest/api/3/issue");
  EXPECT_EQ(reqs[0]["headers"]["authorization"], basic_auth(kCloudUser, kCloudToken));
  const nlohmann::json& f = reqs[0]["json"]["fields"];
  EXPECT_EQ(f["project"], nlohmann::json({{"key", "OPS"}}));
  EXPECT_EQ(f["issuetype"], nlohmann::json({{"name", "Incident"}}));
  EXPECT_EQ(f["summary"], "Disk full on db01");
  EXPECT_EQ(f["labels"], nlohmann::json::array({"ticketd-inc-000042"}));
  EXPECT_EQ(f["priority"], nlohmann::json({{"name", "High"}}));
  EXPECT_EQ(f["components"], nlohmann::json::parse(R"([{"name":"Database"}])"));
  const nlohmann::json expected_description = nlohmann::json::parse(R"j({
    "type": "doc", "version": 1, "content": [
      {"type": "paragraph", "content": [
        {"type": "text", "text": "Disk is 97% full"}, {"type": "hardBreak"},
        {"type": "text", "text": "mount /var"}]},
      {"type": "paragraph", "content": [
        {"type": "text", "text": "ticketd ticket INC-000042 (P2, team dba, rule disk_full)"}]}]})j");
  EXPECT_EQ(f["description"], expected_description);
}

TEST(JiraConnector, FindChecksEveryHitForTheExactLabel) {
  FakeServer fake("jira");
  const BackendConfig c = cloud_config(fake);
  auto http = make_curl_client({});
  auto conn = connect(c, *http);
  ASSERT_TRUE(conn);
  Ticket t = sample_ticket();
  ASSERT_TRUE(conn->create(t, "ticketd-inc-000042").ok());
  // A near miss, newer, so the (sloppy) fake lists it first.
  t.key = "INC-0000420";
  ASSERT_TRUE(conn->create(t, "ticketd-inc-0000420").ok());
  fake.reset();

  auto hit = conn->find("ticketd-inc-000042");
  ASSERT_TRUE(hit.ok()) << hit.failure().message;
  ASSERT_TRUE(hit.value().has_value());
  EXPECT_EQ(hit.value()->id, "10000");
  EXPECT_EQ(hit.value()->key, "OPS-1");
  EXPECT_EQ(hit.value()->url, fake.url() + "/browse/OPS-1");

  auto miss = conn->find("ticketd-inc-00004");  // a prefix of both labels
  ASSERT_TRUE(miss.ok()) << miss.failure().message;
  EXPECT_FALSE(miss.value().has_value());

  const auto reqs = fake.requests();
  ASSERT_EQ(reqs.size(), 2u);
  EXPECT_EQ(reqs[0]["path"], "/rest/api/3/search/jql");
  EXPECT_EQ(reqs[0]["query"]["jql"][0], "labels = \"ticketd-inc-000042\"");
}

TEST(JiraConnector, CloudCommentIsAdfAndInternalUpdateSetsSummaryPriorityComponent) {
  FakeServer fake("jira");
  const BackendConfig c = cloud_config(fake);
  auto http = make_curl_client({});
  auto conn = connect(c, *http);
  ASSERT_TRUE(conn);
  Ticket t = sample_ticket();
  auto ref = conn->create(t, "ticketd-inc-000042");
  ASSERT_TRUE(ref.ok()) << ref.failure().message;

  auto commented = conn->comment(ref.value(), t, "3 more occurrences\n\nlast at 10:04");
  ASSERT_TRUE(commented.ok()) << commented.failure().message;
  const auto comments = requests_to(fake, "POST", "/rest/api/3/issue/10000/comment");
  ASSERT_EQ(comments.size(), 1u);
  EXPECT_EQ(comments[0]["json"]["body"], nlohmann::json::parse(R"j({
    "type": "doc", "version": 1, "content": [
      {"type": "paragraph", "content": [{"type": "text", "text": "3 more occurrences"}]},
      {"type": "paragraph", "content": [{"type": "text", "text": "last at 10:04"}]}]})j"));
  EXPECT_EQ(comments[0]["json"]["properties"],
            nlohmann::json::parse(R"([{"key":"sd.public.comment","value":{"internal":true}}])"));

  t.title = "Disk full on db01 and db02";
  t.priority = Priority::kP1;
  t.team = "network";  // unmapped: components stay as they are
  auto updated = conn->update(ref.value(), t);
  ASSERT_TRUE(updated.ok()) << updated.failure().message;
  const auto puts = requests_to(fake, "PUT", "/rest/api/3/issue/10000");
  ASSERT_EQ(puts.size(), 1u);
  EXPECT_EQ(puts[0]["json"], nlohmann::json::parse(R"({"fields":{
    "summary": "Disk full on db01 and db02", "priority": {"name": "Highest"}}})"));
  const nlohmann::json issue = fake.state()["issues"]["10000"];
  EXPECT_EQ(issue["fields"]["summary"], "Disk full on db01 and db02");
  EXPECT_EQ(issue["fields"]["components"], nlohmann::json::parse(R"([{"name":"Database"}])"));
}

TEST(JiraConnector, ServerUsesV2PlainTextAndABearerToken) {
  FakeServer fake("jira");
  BackendConfig c = server_config(fake);
  c.map["priority"] = {{"P2", "Low"}};
  c.settings["issue_type"] = "Task";
  c.settings["labels"] = {"ticketd"};
  auto http = make_curl_client({});
  auto conn = connect(c, *http);
  ASSERT_TRUE(conn);
  const Ticket t = sample_ticket();
  auto ref = conn->create(t, "ticketd-inc-000042");
  ASSERT_TRUE(ref.ok()) << ref.failure().message;
  ASSERT_TRUE(conn->comment(ref.value(), t, "3 more occurrences").ok());
  auto found = conn->find("ticketd-inc-000042");
  ASSERT_TRUE(found.ok()) << found.failure().message;
  ASSERT_TRUE(found.value().has_value());
  EXPECT_EQ(found.value()->key, "OPS-1");

  const auto reqs = fake.requests();
  ASSERT_EQ(reqs.size(), 3u);
  EXPECT_EQ(reqs[0]["path"], "/rest/api/2/issue");
  EXPECT_EQ(reqs[0]["headers"]["authorization"], std::string("Bearer ") + kServerPat);
  const nlohmann::json& f = reqs[0]["json"]["fields"];
  EXPECT_EQ(f["description"],
            "Disk is 97% full\nmount /var\n\nticketd ticket INC-000042 (P2, team dba, rule "
            "disk_full)");
  EXPECT_EQ(f["issuetype"]["name"], "Task");
  EXPECT_EQ(f["priority"]["name"], "Low");
  EXPECT_EQ(f["labels"], nlohmann::json::parse(R"(["ticketd-inc-000042","ticketd"])"));
  EXPECT_EQ(reqs[1]["path"], "/rest/api/2/issue/10000/comment");
  EXPECT_EQ(reqs[1]["json"]["body"], "3 more occurrences");
  EXPECT_EQ(reqs[2]["path"], "/rest/api/2/search");

  // Basic auth when a user is configured (with a password, never the PAT).
  BackendConfig basic = server_config(fake);
  basic.settings["user"] = "svc-ticketd";
  basic.secrets = {{"password", "server-password-0123456789"}};
  auto conn2 = connect(basic, *http);
  ASSERT_TRUE(conn2);
  auto again = conn2->find("ticketd-inc-000042");
  ASSERT_TRUE(again.ok()) << again.failure().message;
  EXPECT_TRUE(again.value().has_value());
}

TEST(JiraConnector, TransitionsAreChosenByStatusCategoryAndSendResolutionOnlyWhenOnScreen) {
  FakeServer fake("jira");
  const BackendConfig c = cloud_config(fake);
  auto http = make_curl_client({});
  auto conn = connect(c, *http);
  ASSERT_TRUE(conn);
  const Ticket t = sample_ticket();
  auto created = conn->create(t, "ticketd-inc-000042");
  ASSERT_TRUE(created.ok()) << created.failure().message;
  const ExternalRef ref = created.value();
  auto issue = [&] { return fake.state()["issues"]["10000"]["fields"]; };
  const std::string transitions = "/rest/api/3/issue/10000/transitions";

  // Resolve: "Resolve Issue" (to Done) over "Won't Do" (also done), with the
  // resolution its screen requires; the note follows as a comment.
  fake.reset();
  auto resolved = conn->transition(ref, t, RemoteState::kResolved, "alert cleared");
  ASSERT_TRUE(resolved.ok()) << resolved.failure().message;
  EXPECT_EQ(issue()["status"]["name"], "Done");
  EXPECT_EQ(issue()["resolution"]["name"], "Done");
  auto posts = requests_to(fake, "POST", transitions);
  ASSERT_EQ(posts.size(), 1u);
  EXPECT_EQ(posts[0]["json"],
            nlohmann::json::parse(
                R"({"transition":{"id":"31"},"fields":{"resolution":{"name":"Done"}}})"));
  EXPECT_EQ(requests_to(fake, "GET", transitions)[0]["query"]["expand"][0], "transitions.fields");
  EXPECT_EQ(requests_to(fake, "POST", "/rest/api/3/issue/10000/comment").size(), 1u);

  // Resolve again, and close without a close_transition: done already.
  fake.reset();
  ASSERT_TRUE(conn->transition(ref, t, RemoteState::kResolved, "").ok());
  ASSERT_TRUE(conn->transition(ref, t, RemoteState::kClosed, "").ok());
  EXPECT_TRUE(requests_to(fake, "POST", transitions).empty());
  EXPECT_EQ(issue()["status"]["name"], "Done");

  // Reopen: out of done, no fields (none on that screen).
  fake.reset();
  ASSERT_TRUE(conn->transition(ref, t, RemoteState::kReopened, "").ok());
  posts = requests_to(fake, "POST", transitions);
  ASSERT_EQ(posts.size(), 1u);
  EXPECT_EQ(posts[0]["json"], nlohmann::json::parse(R"({"transition":{"id":"51"}})"));
  EXPECT_EQ(issue()["status"]["name"], "To Do");
  EXPECT_TRUE(issue()["resolution"].is_null());
  ASSERT_TRUE(conn->transition(ref, t, RemoteState::kReopened, "").ok());  // open already
  EXPECT_EQ(requests_to(fake, "POST", transitions).size(), 1u);

  // Close from To Do: "Close Issue", which has no screen.
  fake.reset();
  ASSERT_TRUE(conn->transition(ref, t, RemoteState::kClosed, "").ok());
  posts = requests_to(fake, "POST", transitions);
  ASSERT_EQ(posts.size(), 1u);
  EXPECT_EQ(posts[0]["json"], nlohmann::json::parse(R"({"transition":{"id":"41"}})"));
  EXPECT_EQ(issue()["status"]["name"], "Closed");
}

TEST(JiraConnector, ConfiguredTransitionNamesAreUsed) {
  FakeServer fake("jira");
  BackendConfig c = cloud_config(fake);
  c.settings["close_transition"] = "close issue";  // names compare without case
  c.settings["resolution"] = "Duplicate";
  auto http = make_curl_client({});
  auto conn = connect(c, *http);
  ASSERT_TRUE(conn);
  const Ticket t = sample_ticket();
  auto ref = conn->create(t, "ticketd-inc-000042");
  ASSERT_TRUE(ref.ok());
  ASSERT_TRUE(conn->transition(ref.value(), t, RemoteState::kResolved, "").ok());
  EXPECT_EQ(fake.state()["issues"]["10000"]["fields"]["resolution"]["name"], "Duplicate");
  // Done already, but a configured close transition moves it on to Closed.
  ASSERT_TRUE(conn->transition(ref.value(), t, RemoteState::kClosed, "").ok());
  EXPECT_EQ(fake.state()["issues"]["10000"]["fields"]["status"]["name"], "Closed");
  // Closed offers no "Close Issue": closed already is success.
  ASSERT_TRUE(conn->transition(ref.value(), t, RemoteState::kClosed, "").ok());
}

TEST(JiraConnector, MissingTransitionOrResolutionIsRejectedNamingTheChoices) {
  FakeServer fake("jira");
  BackendConfig c = cloud_config(fake);
  c.settings["resolve_transition"] = "Fix It";
  auto http = make_curl_client({});
  auto conn = connect(c, *http);
  ASSERT_TRUE(conn);
  const Ticket t = sample_ticket();
  auto ref = conn->create(t, "ticketd-inc-000042");
  ASSERT_TRUE(ref.ok());
  auto r = conn->transition(ref.value(), t, RemoteState::kResolved, "");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.failure().kind, Failure::Kind::kRejected);
  EXPECT_EQ(r.failure().message,
            "jira jira resolve OPS-1: no transition \"Fix It\" from status \"To Do\" (available: "
            "Start Progress, Won't Do, Resolve Issue, Close Issue)");

  c.settings.erase("resolve_transition");
  c.settings["resolution"] = "Fixed";
  auto conn2 = connect(c, *http);
  ASSERT_TRUE(conn2);
  auto r2 = conn2->transition(ref.value(), t, RemoteState::kResolved, "");
  ASSERT_FALSE(r2.ok());
  EXPECT_EQ(r2.failure().kind, Failure::Kind::kRejected);
  EXPECT_EQ(r2.failure().message,
            "jira jira resolve OPS-1: transition \"Resolve Issue\" does not offer resolution "
            "\"Fixed\" (offered: Done, Won't Do, Duplicate)");
}

TEST(JiraConnector, BadCredentialsAreAuthFailuresThatNeverShowTheSecret) {
  FakeServer fake("jira");
  BackendConfig c = cloud_config(fake);
  const std::string wrong = "wrong-secret-value-0123";
  c.secrets["token"] = wrong;
  auto http = make_curl_client({});
  auto conn = connect(c, *http);
  ASSERT_TRUE(conn);
  auto r = conn->create(sample_ticket(), "ticketd-inc-000042");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.failure().kind, Failure::Kind::kAuth);
  EXPECT_EQ(r.failure().http_status, 401);
  EXPECT_EQ(r.failure().message,
            "jira jira create issue in OPS: HTTP 401: You are not authenticated. Authentication "
            "required to perform this operation. (check user (the account's email) and the API "
            "token (token_file / token_env))");
  auto f = conn->find("ticketd-inc-000042");
  ASSERT_FALSE(f.ok());
  EXPECT_EQ(f.failure().kind, Failure::Kind::kAuth);
  for (const std::string& m : {r.failure().message, f.failure().message}) {
    EXPECT_EQ(m.find(wrong), std::string::npos);
    EXPECT_EQ(m.find(basic_auth(kCloudUser, wrong).substr(6)), std::string::npos);
  }
}

TEST(JiraConnector, ThrottledAndRefusedAnswersAreClassified) {
  FakeServer fake("jira");
  BackendConfig c = cloud_config(fake);
  auto http = make_curl_client({});
  auto conn = connect(c, *http);
  ASSERT_TRUE(conn);
  const Ticket t = sample_ticket();
  fake.fail(429, 1, "7", R"({"errorMessages":["Rate limit exceeded."],"errors":{}})");
  auto r = conn->create(t, "ticketd-inc-000042");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.failure().kind, Failure::Kind::kThrottled);
  EXPECT_EQ(r.failure().retry_after, std::chrono::seconds(7));
  EXPECT_EQ(r.failure().message, "jira jira create issue in OPS: HTTP 429: Rate limit exceeded.");
  fake.fail(503, 1);
  EXPECT_EQ(conn->find("x").failure().kind, Failure::Kind::kTransient);

  c.settings["project"] = "NOPE";
  auto bad = connect(c, *http);
  ASSERT_TRUE(bad);
  auto rejected = bad->create(t, "ticketd-inc-000042");
  ASSERT_FALSE(rejected.ok());
  EXPECT_EQ(rejected.failure().kind, Failure::Kind::kRejected);
  EXPECT_EQ(rejected.failure().message,
            "jira jira create issue in NOPE: HTTP 400: project: Specify a valid project ID or key");
}

TEST(JiraConnector, PollReportsIssuesDoneSinceInEveryConfiguredProject) {
  for (const bool cloud : {true, false}) {
    SCOPED_TRACE(cloud ? "cloud" : "server");
    FakeServer fake("jira");
    BackendConfig c = cloud ? cloud_config(fake) : server_config(fake);
    c.settings["team_projects"] = {{"dba", "DBA"}};
    c.map["team"] = {{"dba", "Oracle"}};  // components belong to a project
    auto http = make_curl_client({});
    auto conn = connect(c, *http);
    ASSERT_TRUE(conn);
    EXPECT_TRUE(conn->polls());
    Ticket t = sample_ticket();  // team dba: project DBA
    auto a = conn->create(t, "ticketd-inc-000042");
    ASSERT_TRUE(a.ok()) << a.failure().message;
    EXPECT_EQ(a.value().key, "DBA-1");
    t.key = "INC-000043";
    t.team = "web";
    auto b = conn->create(t, "ticketd-inc-000043");
    ASSERT_TRUE(b.ok());
    EXPECT_EQ(b.value().key, "OPS-1");
    // Someone resolves DBA-1 in Jira.
    fake.set_state(
        {{"set_status", {{"issue", "DBA-1"}, {"status", "Done"}, {"resolution", "Done"}}}});
    fake.reset();

    const TimePoint before = now() - std::chrono::minutes(1);
    auto changes = conn->poll(before);
    ASSERT_TRUE(changes.ok()) << changes.failure().message;
    ASSERT_EQ(changes.value().size(), 1u);
    EXPECT_EQ(changes.value()[0].remote_id, a.value().id);
    EXPECT_EQ(changes.value()[0].state, RemoteState::kResolved);
    EXPECT_EQ(changes.value()[0].note, "Done");
    EXPECT_GT(changes.value()[0].updated, before);

    auto later = conn->poll(now() + std::chrono::hours(1));
    ASSERT_TRUE(later.ok());
    EXPECT_TRUE(later.value().empty());

    const auto reqs = fake.requests();
    ASSERT_EQ(reqs.size(), 2u);
    EXPECT_EQ(reqs[0]["path"], cloud ? "/rest/api/3/search/jql" : "/rest/api/2/search");
    EXPECT_EQ(reqs[0]["query"]["jql"][0],
              "project in (\"DBA\", \"OPS\") AND statusCategory = Done AND updated >= " +
                  std::to_string(to_unix_ms(before)) + " ORDER BY updated ASC");
  }
}

TEST(JiraConnector, WebhookReportsResolveAndReopenButNotOtherEdits) {
  BackendConfig c;
  c.name = "jira";
  c.kind = "jira";
  c.url = "https://example.atlassian.net";  // api: cloud, inferred
  c.settings = {{"user", kCloudUser}, {"project", "OPS"}};
  c.secrets["token"] = kCloudToken;
  auto http = make_curl_client({});
  auto conn = connect(c, *http);
  ASSERT_TRUE(conn);

  auto resolved = conn->parse_webhook(R"j({
    "timestamp": 1767225600000, "webhookEvent": "jira:issue_updated",
    "user": {"displayName": "Beth Anglin"},
    "issue": {"id": "10000", "key": "OPS-1", "fields": {
      "status": {"name": "Done", "statusCategory": {"key": "done"}},
      "resolution": {"name": "Fixed"}}},
    "changelog": {"items": [
      {"field": "resolution", "fromString": null, "toString": "Fixed"},
      {"field": "status", "fromString": "In Progress", "toString": "Done"}]}})j");
  ASSERT_TRUE(resolved) << resolved.error().message();
  ASSERT_EQ(resolved->size(), 1u);
  EXPECT_EQ((*resolved)[0].remote_id, "10000");
  EXPECT_EQ((*resolved)[0].state, RemoteState::kResolved);
  EXPECT_EQ((*resolved)[0].by, "Beth Anglin");
  EXPECT_EQ((*resolved)[0].note, "Fixed");
  EXPECT_EQ((*resolved)[0].updated, from_unix_ms(1767225600000));

  auto reopened = conn->parse_webhook(R"j({
    "webhookEvent": "jira:issue_updated",
    "issue": {"id": "10000", "fields": {
      "status": {"name": "To Do", "statusCategory": {"key": "new"}}, "resolution": null}},
    "changelog": {"items": [
      {"field": "resolution", "fromString": "Fixed", "toString": null},
      {"field": "status", "fromString": "Done", "toString": "To Do"}]}})j");
  ASSERT_TRUE(reopened);
  ASSERT_EQ(reopened->size(), 1u);
  EXPECT_EQ((*reopened)[0].state, RemoteState::kReopened);

  // A comment on an open issue, a status change between open statuses, a
  // comment on a done issue: nothing to report.
  for (const char* body : {
           R"({"webhookEvent":"comment_created","issue":{"id":"10000","fields":{}}})",
           R"({"webhookEvent":"jira:issue_updated","issue":{"id":"10000","fields":{
               "status":{"statusCategory":{"key":"indeterminate"}}}},
               "changelog":{"items":[{"field":"status","fromString":"To Do",
               "toString":"In Progress"}]}})",
           R"({"webhookEvent":"jira:issue_updated","issue":{"id":"10000","fields":{
               "status":{"statusCategory":{"key":"done"}}}},
               "changelog":{"items":[{"field":"labels"}]}})",
       }) {
    auto none = conn->parse_webhook(body);
    ASSERT_TRUE(none) << none.error().message();
    EXPECT_TRUE(none->empty()) << body;
  }

  EXPECT_FALSE(conn->parse_webhook("not json"));
  auto no_id = conn->parse_webhook(R"({"webhookEvent":"jira:issue_updated","issue":{}})");
  ASSERT_FALSE(no_id);
  EXPECT_EQ(no_id.error().message(), "jira webhook: no issue.id");
}

TEST(JiraConnector, ConfigRulesNameTheKey) {
  auto http = make_curl_client({});
  auto message = [&](const nlohmann::json& settings,
                     std::map<std::string, std::string> secrets = {{"token", kCloudToken}},
                     const std::string& url = "http://127.0.0.1:1") {
    BackendConfig c;
    c.name = "jira";
    c.kind = "jira";
    c.url = url;
    c.settings = settings;
    c.secrets = std::move(secrets);
    auto conn = make_connector(c, *http);
    return conn ? std::string("ok") : conn.error().message();
  };
  const nlohmann::json good = {{"api", "cloud"}, {"user", kCloudUser}, {"project", "OPS"}};
  EXPECT_EQ(message(good), "ok");

  nlohmann::json typo = good;
  typo["resolve_transtion"] = "Done";
  EXPECT_EQ(message(typo),
            "backend jira: unknown key \"resolve_transtion\" for kind jira; did you mean "
            "\"resolve_transition\"?");
  EXPECT_EQ(message({{"api", "cloud"}, {"user", kCloudUser}}),
            "backend jira: project: required for kind jira");
  EXPECT_EQ(message({{"user", kCloudUser}, {"project", "OPS"}}),
            "backend jira: api: set cloud (Jira Cloud, REST v3) or server (Server / Data "
            "Center, REST v2)");
  EXPECT_EQ(message({{"user", kCloudUser}, {"project", "OPS"}}, {{"token", kCloudToken}},
                    "https://example.atlassian.net"),
            "ok");
  EXPECT_EQ(message({{"api", "v3"}, {"user", kCloudUser}, {"project", "OPS"}}),
            "backend jira: api: expected cloud or server, not \"v3\"");
  EXPECT_EQ(message({{"api", "cloud"}, {"project", "OPS"}}),
            "backend jira: user: required for api: cloud (the account's email address)");
  EXPECT_EQ(message(good, {}), "backend jira: token: set token_file or token_env");
  EXPECT_EQ(message({{"api", "server"}, {"project", "OPS"}}, {}),
            "backend jira: token: set token_file or token_env (a personal access token), or "
            "user with password_file or password_env");
  EXPECT_EQ(message({{"api", "server"}, {"user", "svc"}, {"project", "OPS"}}),
            "backend jira: password: set password_file or password_env");
  nlohmann::json spaced = good;
  spaced["labels"] = {"from ticketd"};
  EXPECT_EQ(message(spaced),
            "backend jira: labels: a Jira label cannot be empty or contain spaces: \"from "
            "ticketd\"");
}

}  // namespace
}  // namespace ticketd::connectors
