// POST /v2/enqueue (PagerDuty Events API v2: exact answers, integrations)
// and POST /api/v1/events/{source} (json_sources mappings) against the real
// daemon over loopback, with real payload shapes (tests/testdata/json_alerts).
#include "harness.hpp"

namespace {

using namespace ticketd_test;

const std::string kSamples = std::string(TICKETD_SOURCE_DIR) + "/tests/testdata/json_alerts/";

std::string file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

const char* kRoutingKey = "R0UTINGKEY0123456789abcdef012345";

const char* kPdRules = R"(
rules:
  - name: pagerduty
    match: { source: pagerduty }
    ticket: { team: "{{ labels.team }}", title: "{{ message }}" }
  - name: datadog
    match: { source: datadog }
    ticket: { team: "{{ labels.team }}", title: "{{ message }}" }
    fingerprint: "{{ labels.fingerprint }}"
  - name: cloudwatch
    match: { source: cloudwatch, labels.alarm: "~." }
    ticket: { title: "{{ labels.alarm }} on {{ host }}" }
    fingerprint: "{{ labels.fingerprint }}"
)";

std::string pd_config() {
  return std::string("pagerduty:\n  integrations:\n    ") + kRoutingKey +
         ": { team: dba, labels: { env: prod } }\n";
}

TEST(PagerDutyApi, RefusalsAreExactlyPagerDutysAnswer) {
  Daemon d(pd_config());
  d.write_rules(kPdRules);
  ASSERT_TRUE(d.start()) << d.log();
  const auto post = [&](const std::string& body) {
    return http("POST", d.url("/v2/enqueue"), body);
  };
  Reply missing = post(
      R"({"event_action":"trigger","payload":{"summary":"s","source":"h","severity":"info"}})");
  EXPECT_EQ(missing.status, 400);
  EXPECT_EQ(
      missing.body,
      R"({"errors":["'routing_key' is missing or blank"],"message":"Event object is invalid","status":"invalid event"})");
  Reply unknown = post(
      R"({"routing_key":"NOTCONFIGURED0123456789abcdef012","event_action":"trigger","payload":{"summary":"s","source":"h","severity":"info"}})");
  EXPECT_EQ(unknown.status, 400);
  EXPECT_EQ(
      unknown.body,
      R"({"errors":["Invalid routing key"],"message":"Event object is invalid","status":"invalid event"})");
  Reply bad = post(std::string(R"({"routing_key":")") + kRoutingKey +
                   R"(","event_action":"trigger","payload":{"summary":"s","severity":"fatal"}})");
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(bad.j()["errors"],
            json({"'payload.source' is missing or blank", "'payload.severity' is invalid"}));
  EXPECT_EQ(post(std::string(R"({"routing_key":")") + kRoutingKey +
                 R"(","event_action":"snooze","dedup_key":"k"})")
                .j()["errors"],
            json({"'event_action' is invalid"}));
  EXPECT_EQ(
      post(std::string(R"({"routing_key":")") + kRoutingKey + R"(","event_action":"resolve"})")
          .j()["errors"],
      json({"'dedup_key' is missing or blank"}));
  EXPECT_EQ(post(std::string(R"({"routing_key":")") + kRoutingKey +
                 R"(","event_action":"resolve","dedup_key":")" + std::string(256, 'k') + "\"}")
                .j()["errors"],
            json({"'dedup_key' is too long (maximum is 255 characters)"}));
  Reply not_json = post("{");
  EXPECT_EQ(not_json.status, 400);
  EXPECT_EQ(not_json.j()["status"], "invalid event");
  EXPECT_EQ(d.tickets()["tickets"].size(), 0u);  // nothing refused became a ticket
  // The routing key is never logged whole.
  EXPECT_EQ(d.log().find("NOTCONFIGURED0123456789abcdef012"), std::string::npos);
  EXPECT_NE(d.log().find("NOTC…"), std::string::npos);
}

TEST(PagerDutyApi, AnIntegrationsTeamAndLabelsReachTheRules) {
  Daemon d(pd_config());
  d.write_rules(kPdRules);
  ASSERT_TRUE(d.start()) << d.log();
  const std::string summary(1500, 's');
  Reply ok = http("POST", d.url("/v2/enqueue"),
                  std::string(R"({"routing_key":")") + kRoutingKey +
                      R"(","event_action":"trigger","dedup_key":"pg-1","payload":{"summary":")" +
                      summary + R"(","source":"db01","severity":"critical"}})");
  ASSERT_EQ(ok.status, 202) << ok.body;
  EXPECT_EQ(ok.body, R"({"dedup_key":"pg-1","message":"Event processed","status":"success"})");
  json tickets = d.tickets()["tickets"];
  ASSERT_EQ(tickets.size(), 1u);
  EXPECT_EQ(tickets[0]["team"], "dba");
  const std::string key = tickets[0]["key"];
  json events = http("GET", d.url("/api/v1/tickets/" + key + "/events")).j()["events"];
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0]["event"]["labels"]["env"], "prod");
  EXPECT_EQ(events[0]["event"]["message"], std::string(1024, 's'));  // cut at 1,024
}

TEST(JsonSources, RealPayloadsBecomeTickets) {
  Daemon d("json_sources:\n" + [] {
    // The documented mappings, indented under json_sources.
    std::string yaml = file(kSamples + "json_sources.yaml");
    return yaml.substr(yaml.find("json_sources:\n") + 14);
  }());
  d.write_rules(kPdRules);
  ASSERT_TRUE(d.start()) << d.log();
  Reply dd = http("POST", d.url("/api/v1/events/datadog"), file(kSamples + "datadog.json"));
  ASSERT_EQ(dd.status, 202) << dd.body;
  EXPECT_EQ(dd.body, R"({"accepted":1,"status":"accepted"})");
  json tickets = d.tickets()["tickets"];
  ASSERT_EQ(tickets.size(), 1u);
  EXPECT_EQ(tickets[0]["title"], "[Triggered] CPU load is high on web02");
  EXPECT_EQ(tickets[0]["team"], "platform");  // from Datadog's $TAGS
  // The recovery of the same monitor resolves it.
  json recovered = json::parse(file(kSamples + "datadog.json"));
  recovered["alert_transition"] = "Recovered";
  ASSERT_EQ(http("POST", d.url("/api/v1/events/datadog"), recovered.dump()).status, 202);
  EXPECT_EQ(d.tickets()["tickets"][0]["status"], "resolved");

  // SNS posts as text/plain; the alarm lives in the Message string.
  Reply sns = http("POST", d.url("/api/v1/events/cloudwatch"),
                   file(kSamples + "cloudwatch_sns.json"), "text/plain; charset=UTF-8");
  ASSERT_EQ(sns.status, 202) << sns.body;
  json all = d.tickets("?q=db-cpu-high")["tickets"];
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0]["title"], "db-cpu-high on prod-db-1");

  // Every documented shape is accepted.
  for (const char* s : {"zabbix", "azure", "gcp"}) {
    Reply r = http("POST", d.url(std::string("/api/v1/events/") + s),
                   file(kSamples + s + std::string(".json")));
    EXPECT_EQ(r.status, 202) << s << ": " << r.body;
  }
  Reply many = http("POST", d.url("/api/v1/events/backup-script"), file(kSamples + "inhouse.json"));
  EXPECT_EQ(many.body, R"({"accepted":2,"status":"accepted"})");

  // Refusals: clear, and nothing of the body is kept.
  Reply unknown = http("POST", d.url("/api/v1/events/nagios"), "{}");
  EXPECT_EQ(unknown.status, 404);
  EXPECT_EQ(unknown.j()["error"]["code"], "not_found");
  Reply no_message = http("POST", d.url("/api/v1/events/datadog"), R"({"hostname":"web09"})");
  EXPECT_EQ(no_message.status, 422);
  EXPECT_EQ(
      no_message.body,
      R"({"error":{"code":"invalid_event","message":"datadog: no message: path \"/title\" gave nothing"}})");
  EXPECT_EQ(http("POST", d.url("/api/v1/events/datadog"), "{nope").status, 400);
  EXPECT_EQ(http("POST", d.url("/api/v1/events/datadog"), "{}", "application/x-www-form-urlencoded")
                .status,
            415);
  EXPECT_EQ(d.tickets("?q=web09")["tickets"].size(), 0u);
}

TEST(JsonSources, ASourceWithASecretNeedsItsSignatureAndAnIngestToken) {
  Daemon d(R"(api:
  tokens:
    - { name: zbx, token: ingest-token-0123456789, role: ingest }
    - { name: reader, token: read-token-0123456789, role: read }
json_sources:
  signed:
    message: /m
    hmac_secret: sign-secret-0123456789
    hmac_header: X-Zbx-Signature
  open:
    message: /m
)");
  ASSERT_TRUE(d.start()) << d.log();
  const std::string body = R"({"m":"signed alert"})";
  auto post = [&](const std::string& source, const std::string& token,
                  const std::string& signature) {
    Reply r;
    CURL* c = curl_easy_init();
    curl_slist* h = curl_slist_append(nullptr, "Content-Type: application/json");
    h = curl_slist_append(h, ("Authorization: Bearer " + token).c_str());
    if (!signature.empty()) h = curl_slist_append(h, ("X-Zbx-Signature: " + signature).c_str());
    const std::string url = d.url("/api/v1/events/" + source);
    curl_easy_setopt(c, CURLOPT_URL, url.c_str());
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.c_str());
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &r.body);
    if (curl_easy_perform(c) == CURLE_OK) curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r.status);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    return r;
  };
  std::ofstream(d.dir() / "body.json") << body;
  auto [rc, good] = run("openssl dgst -sha256 -hmac 'sign-secret-0123456789' -r " +
                        (d.dir() / "body.json").string());
  ASSERT_EQ(rc, 0) << good;
  good = good.substr(0, 64);
  EXPECT_EQ(post("signed", "read-token-0123456789", good).status, 403);
  EXPECT_EQ(post("signed", "ingest-token-0123456789", "").status, 401);
  EXPECT_EQ(post("signed", "ingest-token-0123456789", "sha256=" + std::string(64, '0')).status,
            401);
  EXPECT_EQ(post("signed", "ingest-token-0123456789", "sha256=" + good).status, 202);
  EXPECT_EQ(post("open", "ingest-token-0123456789", "").status, 202);
  EXPECT_EQ(d.log().find("sign-secret-0123456789"), std::string::npos) << "a secret was logged";
}

}  // namespace
