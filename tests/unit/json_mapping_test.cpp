// The JSON-source mapper (ingest/json_mapping.hpp) over real payload shapes
// (tests/testdata/json_alerts/, copied from each tool's documentation),
// with the mappings of docs/json-alerts.md loaded through the real config
// loader, and the config's validation messages.
#include "ticketd/ingest/json_mapping.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "ticketd/daemon/config.hpp"

namespace ticketd::ingest {
namespace {

using nlohmann::json;
const TimePoint kNow = *parse_rfc3339("2026-11-28T14:05:00Z");
const std::string kDir = std::string(TICKETD_SOURCE_DIR) + "/tests/testdata/json_alerts/";

json sample(const std::string& name) {
  std::ifstream in(kDir + name);
  std::stringstream ss;
  ss << in.rdbuf();
  return json::parse(ss.str());
}

const JsonMapping& mapping(const std::string& source) {
  static const daemon::Config config = [] {
    auto c = daemon::load_config(kDir + "json_sources.yaml");
    if (!c) throw std::runtime_error(c.error().message());
    return std::move(c).value();
  }();
  return config.json_sources.at(source);
}

Event one(const std::string& source, const json& body) {
  auto events = map_json_alerts(mapping(source), body, kNow);
  if (!events) throw std::runtime_error(events.error().message());
  EXPECT_EQ(events->size(), 1u);
  return events->front();
}

TEST(JsonMapping, ZabbixWebhookMediaType) {
  const Event e = one("zabbix", sample("zabbix.json"));
  EXPECT_EQ(e.source, "zabbix");
  EXPECT_EQ(e.host, "web01");
  EXPECT_EQ(e.message, "High CPU utilization (over 90% for 5m)");
  EXPECT_EQ(e.severity, Severity::kCritical);  // High, through the map
  EXPECT_EQ(e.status, "firing");
  EXPECT_EQ(e.labels.at("fingerprint"), "8812");
  EXPECT_EQ(e.labels.at("trigger"), "23301");
  EXPECT_EQ(e.labels.at("component"), "cpu");  // EVENT.TAGSJSON: a JSON string, spread
  EXPECT_EQ(e.labels.at("class"), "os");
  EXPECT_EQ(e.time, kNow);  // no time mapped
  json recovery = sample("zabbix.json");
  recovery["EVENT.VALUE"] = "0";
  EXPECT_EQ(one("zabbix", recovery).status, "resolved");
}

TEST(JsonMapping, DatadogWebhook) {
  const Event e = one("datadog", sample("datadog.json"));
  EXPECT_EQ(e.host, "web02");
  EXPECT_EQ(e.message, "[Triggered] CPU load is high on web02");
  EXPECT_EQ(e.severity, Severity::kError);
  EXPECT_EQ(e.status, "firing");
  EXPECT_EQ(e.labels.at("env"), "prod");  // "$TAGS": "env:prod,role:web,team:platform"
  EXPECT_EQ(e.labels.at("team"), "platform");
  EXPECT_EQ(e.labels.at("fingerprint"), "143243211");
  EXPECT_EQ(format_rfc3339(e.time), "2024-05-14T10:21:04.000Z");  // Unix milliseconds
  EXPECT_EQ(e.annotations.at("url"),
            "https://app.datadoghq.com/event/event?id=7083468474398463262");
  json recovered = sample("datadog.json");
  recovered["alert_transition"] = "Recovered";
  EXPECT_EQ(one("datadog", recovered).status, "resolved");
}

TEST(JsonMapping, AzureMonitorCommonAlertSchema) {
  const Event e = one("azure", sample("azure.json"));
  EXPECT_EQ(e.host, "wcus-r2-gen2");
  EXPECT_EQ(e.message, "WCUS-R2-Gen2");    // description is empty: the next path
  EXPECT_EQ(e.severity, Severity::kInfo);  // Sev3
  EXPECT_EQ(e.status, "resolved");
  EXPECT_EQ(e.app, "Platform");
  EXPECT_EQ(e.labels.at("signal"), "Metric");
  EXPECT_EQ(e.labels.at("Key1"), "Value1");  // customProperties spread
  EXPECT_EQ(format_rfc3339(e.time).substr(0, 19), "2019-03-22T13:58:24");
}

TEST(JsonMapping, CloudWatchAlarmThroughSnsReadsInsideTheMessageString) {
  const Event e = one("cloudwatch", sample("cloudwatch_sns.json"));
  EXPECT_EQ(e.host, "prod-db-1");
  EXPECT_EQ(e.message, "CPU above 80% on the primary database");
  EXPECT_EQ(e.status, "firing");  // NewStateValue ALARM
  EXPECT_EQ(e.labels.at("alarm"), "db-cpu-high");
  EXPECT_EQ(e.labels.at("metric"), "CPUUtilization");
  EXPECT_EQ(e.labels.at("fingerprint"),
            "arn:aws:cloudwatch:eu-west-1:123456789012:alarm:db-cpu-high");
  EXPECT_NE(e.time, kNow);  // StateChangeTime, or SNS's Timestamp
  json ok = sample("cloudwatch_sns.json");
  json alarm = json::parse(ok["Message"].get<std::string>());
  alarm["NewStateValue"] = "OK";
  ok["Message"] = alarm.dump();
  EXPECT_EQ(one("cloudwatch", ok).status, "resolved");
  // SNS's subscription confirmation: no alarm inside, the text of Message
  // is the message and the URL to visit is kept.
  const Event confirm = one("cloudwatch", json::parse(R"({"Type":"SubscriptionConfirmation",
      "Message":"You have chosen to subscribe to the topic arn:aws:sns:eu-west-1:123456789012:ops-alarms.",
      "SubscribeURL":"https://sns.eu-west-1.amazonaws.com/?Action=ConfirmSubscription&Token=x"})"));
  EXPECT_EQ(confirm.message.rfind("You have chosen to subscribe", 0), 0u);
  EXPECT_EQ(confirm.annotations.at("subscribe_url"),
            "https://sns.eu-west-1.amazonaws.com/?Action=ConfirmSubscription&Token=x");
}

TEST(JsonMapping, GoogleCloudMonitoringWebhook) {
  const Event e = one("gcp", sample("gcp.json"));
  EXPECT_EQ(e.host, "gke-cluster-1-default-pool-e2df4cbd-dgp3");
  EXPECT_EQ(e.message.rfind("CPU utilization for internal-project", 0), 0u);
  EXPECT_FALSE(e.severity);         // "no severity" is none of ours
  EXPECT_EQ(e.status, "resolved");  // state closed
  EXPECT_EQ(e.labels.at("policy"), "Monitor-Project-Cluster");
  EXPECT_EQ(e.labels.at("user-label-1"), "important label");
  EXPECT_EQ(format_rfc3339(e.time), "2020-01-01T01:01:01.000Z");  // started_at, Unix seconds
  EXPECT_EQ(e.annotations.at("observed"), "0.835");
}

TEST(JsonMapping, InHouseScriptWithSeveralAlerts) {
  auto events = map_json_alerts(mapping("backup-script"), sample("inhouse.json"), kNow);
  ASSERT_TRUE(events) << events.error().message();
  ASSERT_EQ(events->size(), 2u);
  EXPECT_EQ((*events)[0].host, "nas01");
  EXPECT_EQ((*events)[0].severity, Severity::kCritical);  // level 2: a number, stringified
  EXPECT_EQ((*events)[0].status, "firing");
  EXPECT_EQ((*events)[0].labels.at("fingerprint"), "9001");
  EXPECT_EQ((*events)[0].labels.at("retries"), "3");
  EXPECT_EQ((*events)[1].status, "resolved");  // "ok": true
  EXPECT_EQ((*events)[1].severity, Severity::kInfo);
}

TEST(JsonMapping, MissingValuesAreEmptyAndAMissingMessageIsRefused) {
  const Event e = one("datadog", json::parse(R"({"title":"only a title"})"));
  EXPECT_EQ(e.host, "");
  EXPECT_FALSE(e.severity);
  EXPECT_EQ(e.status, "firing");
  EXPECT_EQ(e.labels.count("fingerprint"), 0u);
  auto none = map_json_alerts(mapping("datadog"), json::parse(R"({"hostname":"h"})"), kNow);
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().message(), "datadog: no message: path \"/title\" gave nothing");
  auto zabbix = map_json_alerts(mapping("zabbix"), json::parse("[]"), kNow);
  ASSERT_FALSE(zabbix);
  EXPECT_EQ(zabbix.error().message(),
            "zabbix: no message: paths \"/EVENT.NAME\", \"/ALERT.SUBJECT\" gave nothing");
  auto second = map_json_alerts(mapping("backup-script"),
                                json::parse(R"({"alerts":[{"text":"a"},{"node":"b"}]})"), kNow);
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().message(),
            "backup-script: alert [1]: no message: path \"/text\" gave nothing");
  auto empty = map_json_alerts(mapping("backup-script"), json::parse(R"({"alerts":[]})"), kNow);
  ASSERT_FALSE(empty);
  EXPECT_EQ(empty.error().message(), "backup-script: the array of alerts at \"/alerts\" is empty");
  auto absent = map_json_alerts(mapping("backup-script"), json::parse(R"({"alerts":{}})"), kNow);
  ASSERT_FALSE(absent);
  EXPECT_EQ(absent.error().message(), "backup-script: no array of alerts at \"/alerts\"");
}

TEST(JsonMapping, ValuesThatAreNotStringsAreWrittenAsJson) {
  JsonMapping m;
  m.source = "t";
  m.message = {"/msg"};
  m.labels = {{"n", {"/n"}}, {"b", {"/b"}}, {"o", {"/o"}}, {"z", {"/z"}}, {"esc", {"/a~1b/~0c"}}};
  auto e = map_json_alerts(
      m, json::parse(R"({"msg":42,"n":1.5,"b":false,"o":{"x":[1]},"z":null,"a/b":{"~c":"yes"}})"),
      kNow);
  ASSERT_TRUE(e) << e.error().message();
  const Event& ev = e->front();
  EXPECT_EQ(ev.message, "42");
  EXPECT_EQ(ev.labels.at("n"), "1.5");
  EXPECT_EQ(ev.labels.at("b"), "false");
  EXPECT_EQ(ev.labels.at("o"), R"({"x":[1]})");
  EXPECT_EQ(ev.labels.count("z"), 0u);    // null is empty
  EXPECT_EQ(ev.labels.at("esc"), "yes");  // RFC 6901 escapes
}

TEST(JsonMapping, CheckPath) {
  EXPECT_TRUE(check_json_path(""));
  EXPECT_TRUE(check_json_path("/a/0/b~1c"));
  EXPECT_TRUE(check_json_path("/Message#/Trigger/Dimensions/0"));
  EXPECT_TRUE(check_json_path("/Message#"));
  EXPECT_EQ(check_json_path("alert/title").message(),
            "\"alert/title\" is not a JSON pointer: \"alert/title\" must start with \"/\"");
  EXPECT_EQ(check_json_path("/a~2").message(),
            "\"/a~2\" is not a JSON pointer: \"~\" must be followed by 0 or 1 (~0 is \"~\", ~1 "
            "is \"/\")");
  EXPECT_EQ(check_json_path("/Message#Trigger").message(),
            "\"/Message#Trigger\" is not a JSON pointer: \"Trigger\" must start with \"/\"");
}

// One test per validation rule of json_sources / pagerduty, each asserting the message.
std::string config_error(const std::string& yaml) {
  auto c = daemon::load_config_from_string(yaml, "/etc/ticketd/ticketd.yaml");
  return c ? "ok" : c.error().message();
}

TEST(JsonSourcesConfig, EveryRuleNamesTheLine) {
  EXPECT_EQ(config_error("json_sources:\n  zabbix:\n    host: /h\n"),
            "/etc/ticketd/ticketd.yaml:3: \"json_sources.zabbix\" needs a \"message\" path (every "
            "event needs a message)");
  EXPECT_EQ(config_error("json_sources:\n  zabbix:\n    message: alert/title\n"),
            "/etc/ticketd/ticketd.yaml:3: \"json_sources.zabbix.message\": \"alert/title\" is not "
            "a JSON pointer: \"alert/title\" must start with \"/\"");
  EXPECT_EQ(config_error("json_sources:\n  zabbix:\n    message: /m\n    hots: /h\n"),
            "/etc/ticketd/ticketd.yaml:4: unknown config key \"json_sources.zabbix.hots\" (did you "
            "mean \"json_sources.zabbix.host\"?)");
  EXPECT_EQ(config_error("json_sources:\n  Zabbix:\n    message: /m\n"),
            "/etc/ticketd/ticketd.yaml:2: json source name \"Zabbix\" must be 1 to 64 lower-case "
            "letters, digits, - or _ (it is a URL path segment)");
  EXPECT_EQ(config_error("json_sources:\n  pagerduty:\n    message: /m\n"),
            "/etc/ticketd/ticketd.yaml:2: json source name \"pagerduty\" is the source of a "
            "built-in input; choose another name");
  EXPECT_EQ(
      config_error("json_sources:\n  z:\n    message: /m\n    severity: { pointer: /s, map: { "
                   "High: huge } }\n"),
      "/etc/ticketd/ticketd.yaml:4: \"json_sources.z.severity.map.High\" is \"huge\", expected "
      "emergency, alert, critical, error, warning, notice, info or debug");
  EXPECT_EQ(config_error("json_sources:\n  z:\n    message: /m\n    severity: { map: {} }\n"),
            "/etc/ticketd/ticketd.yaml:4: \"json_sources.z.severity\" needs a \"pointer\"");
  EXPECT_EQ(config_error("json_sources:\n  z:\n    message: /m\n    status: { pointer: /s, "
                         "resolved: [] }\n"),
            "/etc/ticketd/ticketd.yaml:4: \"json_sources.z.status.resolved\" must list at least "
            "one value");
  EXPECT_EQ(config_error("json_sources:\n  z:\n    message: /m\n    labels: [/a]\n"),
            "/etc/ticketd/ticketd.yaml:4: \"json_sources.z.labels\" must be a mapping of name: "
            "JSON pointer");
  EXPECT_EQ(config_error("json_sources:\n  z:\n    message: /m\n    hmac_secret: short\n"),
            "/etc/ticketd/ticketd.yaml:3: json_sources.z: the HMAC secret must be at least 16 "
            "characters");
  EXPECT_EQ(config_error("json_sources:\n  z:\n    message: /m\n    hmac_header: X-Sig\n"),
            "/etc/ticketd/ticketd.yaml:4: json_sources.z: hmac_header needs hmac_secret, "
            "hmac_secret_file or hmac_secret_env");
  auto ok = daemon::load_config_from_string(
      "json_sources:\n  z:\n    message: /m\n    hmac_secret: 0123456789abcdef\n", "/x.yaml");
  ASSERT_TRUE(ok) << ok.error().message();
  ASSERT_EQ(ok->signatures.size(), 1u);
  EXPECT_EQ(ok->signatures[0].endpoint, "json_sources.z");
}

TEST(PagerDutyConfig, IntegrationsAreValidatedWithoutShowingTheKey) {
  auto c = daemon::load_config_from_string(R"(pagerduty:
  integrations:
    R0UTINGKEY0123456789abcdef012345: { team: dba, labels: { env: prod } }
    another-routing-key-0123456789ab:
)",
                                           "/x.yaml");
  ASSERT_TRUE(c) << c.error().message();
  ASSERT_EQ(c->pagerduty_integrations.size(), 2u);
  EXPECT_EQ(c->pagerduty_integrations.at("R0UTINGKEY0123456789abcdef012345").team, "dba");
  EXPECT_EQ(c->pagerduty_integrations.at("R0UTINGKEY0123456789abcdef012345").labels.at("env"),
            "prod");
  EXPECT_EQ(config_error("pagerduty:\n  integrations:\n    R0UTINGKEY0123456789abcdef012345: { "
                         "teams: dba }\n"),
            "/etc/ticketd/ticketd.yaml:3: unknown config key "
            "\"pagerduty.integrations.R0UT….teams\" (did you mean "
            "\"pagerduty.integrations.R0UT….team\"?)");
  EXPECT_EQ(config_error("pagerduty:\n  integrations:\n    R0UTINGKEY0123456789abcdef012345: { "
                         "labels: [a] }\n"),
            "/etc/ticketd/ticketd.yaml:3: \"pagerduty.integrations.R0UT….labels\" must be a "
            "mapping of name: value");
  EXPECT_EQ(config_error("pagerduty:\n  integrations: [a]\n"),
            "/etc/ticketd/ticketd.yaml:2: \"pagerduty.integrations\" must be a mapping of routing "
            "key: {team, labels}");
  EXPECT_EQ(config_error("pagerduty:\n  routing_keys: {}\n"),
            "/etc/ticketd/ticketd.yaml:2: unknown config key \"pagerduty.routing_keys\"");
}

}  // namespace
}  // namespace ticketd::ingest
