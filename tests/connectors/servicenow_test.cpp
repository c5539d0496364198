// kind: servicenow against the fake Table API (tests/fakes/servicenow.py).
#include <gtest/gtest.h>

#include "../fakes/fake_server.hpp"
#include "ticketd/connectors/connector.hpp"

namespace ticketd::connectors {
namespace {

using ticketd_test::FakeServer;

constexpr const char* kUser = "ticketd";
constexpr const char* kPassword = "sn-password-0123456789";
constexpr const char* kToken = "sn-oauth-token-0123456789";

Ticket sample_ticket() {
  Ticket t;
  t.key = "INC-000042";
  t.title = "Disk full on db01";
  t.description = "Disk is 97% full";
  t.impact = Level::kHigh;
  t.urgency = Level::kMedium;
  t.priority = Priority::kP2;
  t.team = "dba";
  t.rule = "disk_full";
  return t;
}

BackendConfig sn_config(const FakeServer& fake) {
  BackendConfig c;
  c.name = "snow";
  c.kind = "servicenow";
  c.url = fake.url();
  c.settings = {{"user", kUser}, {"assignment_group", "Service Desk"}};
  c.secrets["password"] = kPassword;
  c.map["team"] = {{"dba", "Database"}};
  return c;
}

std::unique_ptr<Connector> connect(const BackendConfig& c, HttpClient& http) {
  auto conn = make_connector(c, http);
  EXPECT_TRUE(conn) << conn.error().message();
  return conn ? std::move(*conn) : nullptr;
}

TimePoint now() { return std::chrono::time_point_cast<Duration>(std::chrono::system_clock::now()); }

std::vector<nlohmann::json> requests_of(const FakeServer& fake, const std::string& method) {
  std::vector<nlohmann::json> out;
  for (const auto& r : fake.requests()) {
    if (r["method"] == method) out.push_back(r);
  }
  return out;
}

TEST(ServiceNowConnector, CreateSendsStringValuesAndTheCorrelationId) {
  FakeServer fake("servicenow");
  const BackendConfig c = sn_config(fake);
  auto http = make_curl_client({});
  auto conn = connect(c, *http);
  ASSERT_TRUE(conn);
  const Ticket t = sample_ticket();
  const std::string corr = correlation_key(c, t.key);

  auto created = conn->create(t, corr);
  ASSERT_TRUE(created.ok()) << created.failure().message;
  const ExternalRef& ref = created.value();
  EXPECT_EQ(ref.id.size(), 32u);
  EXPECT_EQ(ref.key, "INC0010001");
  EXPECT_EQ(ref.url, fake.url() + "/nav_to.do?uri=incident.do?sys_id=" + ref.id);

  const auto reqs = fake.requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0]["method"], "POST");
  EXPECT_EQ(reqs[0]["path"], "/api/now/table/incident");
  EXPECT_EQ(reqs[0]["query"]["sysparm_fields"][0], "sys_id,number");
  EXPECT_EQ(reqs[0]["headers"]["authorization"], basic_auth(kUser, kPassword));
  EXPECT_EQ(reqs[0]["json"], nlohmann::json::parse(R"j({
    "short_description": "Disk full on db01",
    "description": "Disk is 97% full\n\nticketd ticket INC-000042 (P2, team dba, rule disk_full)",
    "correlation_id": "ticketd-inc-000042", "correlation_display": "ticketd",
    "impact": "1", "urgency": "2", "assignment_group": "Database"})j"));
  const nlohmann::json rec = fake.state()["records"][ref.id];
  EXPECT_EQ(rec["priority"], "2");  // the instance derives it from impact x urgency
}

TEST(ServiceNowConnector, PriorityMapDefaultGroupCallerAndCategory) {
  FakeServer fake("servicenow");
  BackendConfig c = sn_config(fake);
  c.map["priority"] = {{"P2", "1,1"}};
  c.map["category"] = {{"storage", "hardware"}};
  c.settings["caller_id"] = "5137153cc611227c000bbd1bd8cd2005";
  auto http = make_curl_client({});
  auto conn = connect(c, *http);
  ASSERT_TRUE(conn);
  Ticket t = sample_ticket();
  t.team = "web";  // unmapped: the default group
  t.category = "storage";
  t.title = "line one\nline two";
  ASSERT_TRUE(conn->create(t, "ticketd-inc-000042").ok());
  const nlohmann::json body = fake.requests()[0]["json"];
  EXPECT_EQ(body["impact"], "1");
  EXPECT_EQ(body["urgency"], "1");
  EXPECT_EQ(body["assignment_group"], "Service Desk");
  EXPECT_EQ(body["caller_id"], "5137153cc611227c000bbd1bd8cd2005");
  EXPECT_EQ(body["category"], "hardware");
  EXPECT_EQ(body["short_description"], "line one line two");
}

TEST(ServiceNowConnector, FindComparesCorrelationIdExactlyAndReadsNoRecordAsNone) {
  FakeServer fake("servicenow");
  const BackendConfig c = sn_config(fake);
  auto http = make_curl_client({});
  auto conn = connect(c, *http);
  ASSERT_TRUE(conn);
  const Ticket t = sample_ticket();
  auto mine = conn->create(t, "ticketd-inc-000042");
  ASSERT_TRUE(mine.ok());
  // Another system's record whose key differs only in case: the instance's
  // `=` matches it too, and lists it first (newer).
  ASSERT_TRUE(conn->create(t, "TICKETD-INC-000042").ok());
  fake.reset();

  auto hit = conn->find("ticketd-inc-000042");
  ASSERT_TRUE(hit.ok()) << hit.failure().message;
  ASSERT_TRUE(hit.value().has_value());
  EXPECT_EQ(*hit.value(), mine.value());
  const auto reqs = fake.requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0]["query"]["sysparm_query"][0],
            "correlation_id=ticketd-inc-000042^ORDERBYDESCsys_created_on");
  EXPECT_EQ(reqs[0]["query"]["sysparm_exclude_reference_link"][0], "true");

  // No match: 404 "No Record found" (v1) and 200 [] (v2) both mean none.
  auto none = conn->find("ticketd-inc-000099");
  ASSERT_TRUE(none.ok()) << none.failure().message;
  EXPECT_FALSE(none.value().has_value());
  fake.set_state({{"empty_404", false}});
  auto none2 = conn->find("ticketd-inc-000099");
  ASSERT_TRUE(none2.ok()) << none2.failure().message;
  EXPECT_FALSE(none2.value().has_value());
}

TEST(ServiceNowConnector, CommentIsAWorkNoteAndUpdateLeavesAnUnmappedGroupAlone) {
  FakeServer fake("servicenow");
  const BackendConfig c = sn_config(fake);
  auto http = make_curl_client({});
  auto conn = connect(c, *http);
  ASSERT_TRUE(conn);
  Ticket t = sample_ticket();
  auto ref = conn->create(t, "ticketd-inc-000042");
  ASSERT_TRUE(ref.ok());
  const std::string path = "/api/now/table/incident/" + ref.value().id;
  fake.reset();

  ASSERT_TRUE(conn->comment(ref.value(), t, "3 more occurrences").ok());
  t.title = "Disk full on db01 and db02";
  t.impact = Level::kLow;
  t.urgency = Level::kLow;
  t.team = "web";
  ASSERT_TRUE(conn->update(ref.value(), t).ok());
  t.team = "dba";
  ASSERT_TRUE(conn->update(ref.value(), t).ok());

  const auto patches = requests_of(fake, "PATCH");
  ASSERT_EQ(patches.size(), 3u);
  EXPECT_EQ(patches[0]["path"], path);
  EXPECT_EQ(patches[0]["json"], nlohmann::json({{"work_notes", "3 more occurrences"}}));
  EXPECT_EQ(patches[1]["json"], nlohmann::json::parse(R"j({
    "short_description": "Disk full on db01 and db02", "impact": "3", "urgency": "3"})j"));
  EXPECT_EQ(patches[2]["json"]["assignment_group"], "Database");
  const nlohmann::json state = fake.state();
  EXPECT_EQ(state["journal"][ref.value().id][0]["work_notes"], "3 more occurrences");
  EXPECT_EQ(state["records"][ref.value().id]["priority"], "5");
}

TEST(ServiceNowConnector, ResolveCloseAndReopenSetStatesWithCloseInformation) {
  FakeServer fake("servicenow");
  const BackendConfig c = sn_config(fake);
  auto http = make_curl_client({});
  auto conn = connect(c, *http);
  ASSERT_TRUE(conn);
  const Ticket t = sample_ticket();
  auto created = conn->create(t, "ticketd-inc-000042");
  ASSERT_TRUE(created.ok());
  const ExternalRef ref = created.value();
  auto record = [&] { return fake.state()["records"][ref.id]; };

  fake.reset();
  auto resolved = conn->transition(ref, t, RemoteState::kResolved, "alert cleared");
  ASSERT_TRUE(resolved.ok()) << resolved.failure().message;
  auto patches = requests_of(fake, "PATCH");
  ASSERT_EQ(patches.size(), 1u);
  EXPECT_EQ(patches[0]["json"], nlohmann::json::parse(R"j({
    "state": "6", "close_code": "Solution provided", "close_notes": "alert cleared"})j"));
  EXPECT_EQ(record()["state"], "6");

  // Resolved already: nothing sent.
  fake.reset();
  ASSERT_TRUE(conn->transition(ref, t, RemoteState::kResolved, "").ok());
  EXPECT_TRUE(requests_of(fake, "PATCH").empty());

  fake.reset();
  ASSERT_TRUE(conn->transition(ref, t, RemoteState::kReopened, "").ok());
  patches = requests_of(fake, "PATCH");
  ASSERT_EQ(patches.size(), 1u);
  EXPECT_EQ(patches[0]["json"], nlohmann::json::parse(R"j({
    "state": "2", "work_notes": "Reopened in ticketd (INC-000042)"})j"));
  ASSERT_TRUE(conn->transition(ref, t, RemoteState::kReopened, "").ok());  // open already
  EXPECT_EQ(requests_of(fake, "PATCH").size(), 1u);

  fake.reset();
  ASSERT_TRUE(conn->transition(ref, t, RemoteState::kClosed, "").ok());
  patches = requests_of(fake, "PATCH");
  ASSERT_EQ(patches.size(), 1u);
  EXPECT_EQ(patches[0]["json"], nlohmann::json::parse(R"j({
    "state": "7", "close_code": "Solution provided",
    "close_notes": "Closed in ticketd (INC-000042)"})j"));
  EXPECT_EQ(record()["state"], "7");
  ASSERT_TRUE(conn->transition(ref, t, RemoteState::kClosed, "").ok());
  ASSERT_TRUE(conn->transition(ref, t, RemoteState::kResolved, "").ok());  // past resolved

  auto reopen = conn->transition(ref, t, RemoteState::kReopened, "");
  ASSERT_FALSE(reopen.ok());
  EXPECT_EQ(reopen.failure().kind, Failure::Kind::kRejected);
  EXPECT_EQ(reopen.failure().message,
            "servicenow snow reopen INC0010001: the incident is closed, and ServiceNow keeps "
            "closed records read-only; it cannot be reopened");
  // A work note on a closed record: an ACL refuses (403), which says so.
  auto note = conn->comment(ref, t, "one more");
  ASSERT_FALSE(note.ok());
  EXPECT_EQ(note.failure().kind, Failure::Kind::kAuth);
  EXPECT_EQ(note.failure().message,
            "servicenow snow comment on INC0010001: HTTP 403: Operation Failed (ACL Exception "
            "Update Failed due to security constraints) (a role or an ACL refuses: writing "
            "incident records takes the itil role, and closed records are read-only)");
}

TEST(ServiceNowConnector, DataPolicyRefusalIsRejectedNotAnAuthFailure) {
  FakeServer fake("servicenow");
  BackendConfig c = sn_config(fake);
  c.settings["close_code"] = "";  // not sent: the instance's data policy wants one
  auto http = make_curl_client({});
  auto conn = connect(c, *http);
  ASSERT_TRUE(conn);
  const Ticket t = sample_ticket();
  auto ref = conn->create(t, "ticketd-inc-000042");
  ASSERT_TRUE(ref.ok());
  auto r = conn->transition(ref.value(), t, RemoteState::kResolved, "");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.failure().kind, Failure::Kind::kRejected);
  EXPECT_EQ(r.failure().http_status, 403);
  EXPECT_EQ(r.failure().message,
            "servicenow snow resolve INC0010001: HTTP 403: Operation Failed (Data Policy "
            "Exception:   The following fields are mandatory: Resolution code)");
}

TEST(ServiceNowConnector, BearerTokenWhenNoUserIsConfigured) {
  FakeServer fake("servicenow");
  BackendConfig c = sn_config(fake);
  c.settings.erase("user");
  c.secrets = {{"token", kToken}};
  auto http = make_curl_client({});
  auto conn = connect(c, *http);
  ASSERT_TRUE(conn);
  auto r = conn->find("ticketd-inc-000042");
  ASSERT_TRUE(r.ok()) << r.failure().message;
  EXPECT_EQ(fake.requests()[0]["headers"]["authorization"], std::string("Bearer ") + kToken);
}

TEST(ServiceNowConnector, BadCredentialsAreAuthFailuresThatNeverShowTheSecret) {
  FakeServer fake("servicenow");
  BackendConfig c = sn_config(fake);
  const std::string wrong = "wrong-secret-value-0123";
  c.secrets["password"] = wrong;
  auto http = make_curl_client({});
  auto conn = connect(c, *http);
  ASSERT_TRUE(conn);
  auto r = conn->create(sample_ticket(), "ticketd-inc-000042");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.failure().kind, Failure::Kind::kAuth);
  EXPECT_EQ(r.failure().message,
            "servicenow snow create incident: HTTP 401: User Not Authenticated (Required to "
            "provide Auth information) (check user and password (password_file / "
            "password_env))");
  auto f = conn->find("ticketd-inc-000042");
  ASSERT_FALSE(f.ok());
  EXPECT_EQ(f.failure().kind, Failure::Kind::kAuth);
  for (const std::string& m : {r.failure().message, f.failure().message}) {
    EXPECT_EQ(m.find(wrong), std::string::npos);
    EXPECT_EQ(m.find(basic_auth(kUser, wrong).substr(6)), std::string::npos);
  }
}

TEST(ServiceNowConnector, ThrottledAnswersCarryRetryAfter) {
  FakeServer fake("servicenow");
  const BackendConfig c = sn_config(fake);
  auto http = make_curl_client({});
  auto conn = connect(c, *http);
  ASSERT_TRUE(conn);
  fake.fail(429, 1, "7",
            R"({"error":{"message":"Rate limit exceeded","detail":"rule: REST default"},)"
            R"("status":"failure"})");
  auto r = conn->create(sample_ticket(), "ticketd-inc-000042");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.failure().kind, Failure::Kind::kThrottled);
  EXPECT_EQ(r.failure().retry_after, std::chrono::seconds(7));
  EXPECT_EQ(r.failure().message,
            "servicenow snow create incident: HTTP 429: Rate limit exceeded (rule: REST "
            "default)");
  fake.fail(500, 1);
  EXPECT_EQ(conn->find("x").failure().kind, Failure::Kind::kTransient);
}

TEST(ServiceNowConnector, PollReportsOurRecordsResolvedOrClosedSince) {
  FakeServer fake("servicenow");
  const BackendConfig c = sn_config(fake);
  auto http = make_curl_client({});
  auto conn = connect(c, *http);
  ASSERT_TRUE(conn);
  EXPECT_TRUE(conn->polls());
  const Ticket t = sample_ticket();
  auto resolved = conn->create(t, "ticketd-inc-000042");
  auto closed = conn->create(t, "ticketd-inc-000043");
  auto open = conn->create(t, "ticketd-inc-000044");
  auto stranger = conn->create(t, "TICKETD-INC-000045");  // not ours: case differs
  ASSERT_TRUE(resolved.ok() && closed.ok() && open.ok() && stranger.ok());
  // People resolve and close them in ServiceNow.
  auto set = [&](const ExternalRef& r, const std::string& state) {
    fake.set_state({{"set",
                     {{"sys_id", r.id},
                      {"state", state},
                      {"close_code", "Solution provided"},
                      {"close_notes", "fixed by DBA"}}}});
  };
  set(resolved.value(), "6");
  set(closed.value(), "7");
  set(stranger.value(), "6");
  fake.reset();

  const TimePoint before = now() - std::chrono::minutes(1);
  auto changes = conn->poll(before);
  ASSERT_TRUE(changes.ok()) << changes.failure().message;
  ASSERT_EQ(changes.value().size(), 2u);
  for (const RemoteChange& ch : changes.value()) {
    EXPECT_EQ(ch.by, "beth.anglin");
    EXPECT_EQ(ch.note, "fixed by DBA");
    EXPECT_GE(ch.updated, before);
  }
  std::map<std::string, RemoteState> got;
  for (const RemoteChange& ch : changes.value()) got[ch.remote_id] = ch.state;
  EXPECT_EQ(got, (std::map<std::string, RemoteState>{{resolved.value().id, RemoteState::kResolved},
                                                     {closed.value().id, RemoteState::kClosed}}));

  auto later = conn->poll(now() + std::chrono::hours(1));
  ASSERT_TRUE(later.ok()) << later.failure().message;
  EXPECT_TRUE(later.value().empty());

  const std::string q = fake.requests()[0]["query"]["sysparm_query"][0];
  EXPECT_EQ(q.rfind("correlation_idSTARTSWITHticketd-^sys_updated_on>=", 0), 0u) << q;
  const std::string tail = "^stateIN6,7^ORDERBYsys_updated_on";
  ASSERT_GT(q.size(), tail.size());
  EXPECT_EQ(q.substr(q.size() - tail.size()), tail) << q;
}

TEST(ServiceNowConnector, WebhookBodyFromABusinessRule) {
  BackendConfig c;
  c.name = "snow";
  c.kind = "servicenow";
  c.url = "http://127.0.0.1:1";
  c.settings = {{"user", kUser}};
  c.secrets["password"] = kPassword;
  auto http = make_curl_client({});
  auto conn = connect(c, *http);
  ASSERT_TRUE(conn);

  auto one = conn->parse_webhook(R"({"sys_id":"a9e30c7dc61122760116894de7bcc7bd","state":"6",
    "correlation_id":"ticketd-inc-000042","close_notes":"fixed","sys_updated_by":"beth.anglin",
    "sys_updated_on":"2026-01-01 00:00:00"})");
  ASSERT_TRUE(one) << one.error().message();
  ASSERT_EQ(one->size(), 1u);
  EXPECT_EQ((*one)[0].remote_id, "a9e30c7dc61122760116894de7bcc7bd");
  EXPECT_EQ((*one)[0].state, RemoteState::kResolved);
  EXPECT_EQ((*one)[0].note, "fixed");
  EXPECT_EQ((*one)[0].by, "beth.anglin");
  EXPECT_EQ((*one)[0].updated, from_unix_ms(1767225600000));

  // A list; numbers as a script may send them; a reopen needs previous_state;
  // an in-progress update and another system's record report nothing.
  auto many = conn->parse_webhook(R"([
    {"sys_id":"a","state":7},
    {"sys_id":"b","state":"2","previous_state":"6"},
    {"sys_id":"c","state":"2","previous_state":"1"},
    {"sys_id":"d","state":"6","correlation_id":"other-7"}])");
  ASSERT_TRUE(many) << many.error().message();
  ASSERT_EQ(many->size(), 2u);
  EXPECT_EQ((*many)[0].remote_id, "a");
  EXPECT_EQ((*many)[0].state, RemoteState::kClosed);
  EXPECT_EQ((*many)[1].remote_id, "b");
  EXPECT_EQ((*many)[1].state, RemoteState::kReopened);

  EXPECT_FALSE(conn->parse_webhook("\"6\""));
  auto bad = conn->parse_webhook(R"({"state":"6"})");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message(), "servicenow webhook: each record needs sys_id and state");
}

TEST(ServiceNowConnector, ConfigRulesNameTheKey) {
  auto http = make_curl_client({});
  auto message = [&](const nlohmann::json& settings,
                     std::map<std::string, std::string> secrets = {{"password", kPassword}},
                     std::map<std::string, std::map<std::string, std::string>> map = {}) {
    BackendConfig c;
    c.name = "snow";
    c.kind = "servicenow";
    c.url = "http://127.0.0.1:1";
    c.settings = settings;
    c.secrets = std::move(secrets);
    c.map = std::move(map);
    auto conn = make_connector(c, *http);
    return conn ? std::string("ok") : conn.error().message();
  };
  EXPECT_EQ(message({{"user", kUser}}), "ok");
  EXPECT_EQ(message({{"user", kUser}, {"assignment_goup", "x"}}),
            "backend snow: unknown key \"assignment_goup\" for kind servicenow; did you mean "
            "\"assignment_group\"?");
  EXPECT_EQ(message({{"user", kUser}, {"table", "sc_task"}}),
            "backend snow: table: expected incident, problem or change_request, not \"sc_task\"");
  EXPECT_EQ(message({{"user", kUser}, {"table", "problem"}}),
            "backend snow: resolved_state: required for table problem (its state values differ "
            "from incident's)");
  EXPECT_EQ(message({{"user", kUser},
                     {"table", "problem"},
                     {"resolved_state", "106"},
                     {"closed_state", "107"},
                     {"reopen_state", "102"}}),
            "ok");
  EXPECT_EQ(message({{"user", kUser}}, {}),
            "backend snow: password: set password_file or password_env");
  EXPECT_EQ(message(nlohmann::json::object(), {}),
            "backend snow: user: set user with password_file or password_env (Basic), or "
            "token_file or token_env (an OAuth access token)");
  EXPECT_EQ(message(nlohmann::json::object(), {{"token", kToken}}), "ok");
  EXPECT_EQ(message({{"user", kUser}, {"comment_field", "notes"}}),
            "backend snow: comment_field: expected work_notes (internal) or comments (seen by "
            "the caller)");
  EXPECT_EQ(message({{"user", kUser}}, {{"password", kPassword}}, {{"priority", {{"P1", "high"}}}}),
            "backend snow: map.priority: P1: expected \"impact,urgency\" with values 1-3, not "
            "\"high\" (e.g. P1: \"1,1\")");
}

}  // namespace
}  // namespace ticketd::connectors
