#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "ticketd/ingest/webhook_parsers.hpp"

namespace ticketd::ingest {
namespace {

using nlohmann::json;
const TimePoint kNow = *parse_rfc3339("2026-11-28T14:05:00Z");

// As sent by Alertmanager 0.25 (version 4 payload).
const char* kAlertmanager = R"({
  "receiver": "ticketd", "status": "firing", "version": "4",
  "groupKey": "{}:{alertname=\"NodeDown\"}", "truncatedAlerts": 0,
  "groupLabels": {"alertname": "NodeDown"}, "commonLabels": {"alertname": "NodeDown", "job": "node"},
  "commonAnnotations": {}, "externalURL": "http://am:9093",
  "alerts": [
    {"status": "firing", "labels": {"alertname": "NodeDown", "instance": "db01:9100", "job": "node", "severity": "critical"},
     "annotations": {"summary": "db01 is down", "runbook_url": "https://wiki/nodedown"},
     "startsAt": "2026-11-28T14:00:00.123Z", "endsAt": "0001-01-01T00:00:00Z",
     "generatorURL": "http://prom:9090/graph", "fingerprint": "a1b2c3d4e5f60718"},
    {"status": "resolved", "labels": {"alertname": "NodeDown", "instance": "[2001:db8::1]:9100", "job": "node"},
     "annotations": {}, "startsAt": "2026-11-28T13:00:00Z", "endsAt": "2026-11-28T13:30:00Z",
     "generatorURL": "", "fingerprint": "0718a1b2c3d4e5f6"}
  ]})";

TEST(Webhooks, Alertmanager) {
  auto events = parse_alertmanager(json::parse(kAlertmanager), kNow);
  ASSERT_TRUE(events) << events.error().message();
  ASSERT_EQ(events->size(), 2u);
  const Event& a = (*events)[0];
  EXPECT_EQ(a.source, "alertmanager");
  EXPECT_EQ(a.status, "firing");
  EXPECT_EQ(a.host, "db01");
  EXPECT_EQ(a.severity, Severity::kCritical);
  EXPECT_EQ(a.app, "node");
  EXPECT_EQ(a.message, "db01 is down");
  EXPECT_EQ(a.labels.at("alertname"), "NodeDown");
  EXPECT_EQ(a.labels.at("fingerprint"), "a1b2c3d4e5f60718");
  EXPECT_EQ(a.annotations.at("runbook_url"), "https://wiki/nodedown");
  EXPECT_EQ(format_rfc3339(a.time), "2026-11-28T14:00:00.123Z");
  const Event& b = (*events)[1];
  EXPECT_EQ(b.status, "resolved");
  EXPECT_EQ(b.host, "2001:db8::1");
  EXPECT_EQ(b.message, "NodeDown");
  EXPECT_EQ(format_rfc3339(b.time), "2026-11-28T13:30:00.000Z");
}

TEST(Webhooks, AlertmanagerErrorsNameTheField) {
  auto msg = [](const char* text) {
    auto r = parse_alertmanager(json::parse(text), kNow);
    return r ? std::string("ok") : r.error().message();
  };
  EXPECT_EQ(msg(R"({"version":"3","alerts":[]})"),
            "alertmanager: webhook version \"3\" is not supported, expected 4");
  EXPECT_EQ(msg(R"({"alerts":{}})"), "alertmanager: \"alerts\" must be an array");
  EXPECT_EQ(msg(R"({"alerts":[{"status":"firing","labels":[]}]})"),
            "alertmanager: \"alerts[0]\".labels must be an object");
  EXPECT_EQ(msg(R"({"alerts":[{"status":"pending"}]})"),
            "alertmanager: \"alerts[0]\".status is \"pending\", expected firing or resolved");
}

TEST(Webhooks, GrafanaUnifiedAndLegacy) {
  auto unified =
      parse_grafana(json::parse(R"({"receiver":"t","status":"firing","orgId":1,"version":"1",
      "alerts":[{"status":"firing","labels":{"alertname":"HighCPU","grafana_folder":"ops","host":"web1"},
                 "annotations":{"description":"CPU above 90%"},"startsAt":"2026-11-28T14:00:00Z",
                 "fingerprint":"ff01","dashboardURL":"http://grafana/d/x","valueString":"[ var='A' value=93 ]"}],
      "title":"[FIRING:1] HighCPU"})"),
                    kNow);
  ASSERT_TRUE(unified) << unified.error().message();
  EXPECT_EQ((*unified)[0].source, "grafana");
  EXPECT_EQ((*unified)[0].host, "web1");
  EXPECT_EQ((*unified)[0].message, "CPU above 90%");
  EXPECT_EQ((*unified)[0].annotations.at("dashboardURL"), "http://grafana/d/x");
  auto legacy = parse_grafana(
      json::parse(
          R"({"ruleName":"Disk","state":"ok","message":"disk fine","tags":{"host":"db1"}})"),
      kNow);
  ASSERT_TRUE(legacy);
  EXPECT_EQ((*legacy)[0].status, "resolved");
  EXPECT_EQ((*legacy)[0].labels.at("alertname"), "Disk");
  EXPECT_EQ((*legacy)[0].host, "db1");
  EXPECT_FALSE(parse_grafana(json::parse(R"({"state":"paused"})"), kNow));
}

TEST(Webhooks, PagerDuty) {
  auto pd = parse_pagerduty(
      json::parse(R"({"routing_key":"x","event_action":"trigger","dedup_key":"disk/db01",
      "payload":{"summary":"Disk full on db01","source":"db01","severity":"critical","component":"postgres",
                 "group":"prod","class":"disk","custom_details":{"free":"0%","mount":"/var"}}})"),
      kNow);
  ASSERT_TRUE(pd.ok()) << pd.errors.front();
  EXPECT_EQ(pd.event.action, "trigger");
  EXPECT_EQ(pd.event.dedup_key, "disk/db01");
  EXPECT_EQ(pd.event.event.host, "db01");
  EXPECT_EQ(pd.event.event.app, "postgres");
  EXPECT_EQ(pd.event.event.severity, Severity::kCritical);
  EXPECT_EQ(pd.event.event.labels.at("dedup_key"), "disk/db01");
  EXPECT_EQ(pd.event.event.annotations.at("mount"), "/var");
  auto generated = parse_pagerduty(
      json::parse(
          R"({"routing_key":"x","event_action":"trigger","payload":{"summary":"s","source":"h","severity":"info"}})"),
      kNow);
  ASSERT_TRUE(generated.ok());
  EXPECT_EQ(generated.event.dedup_key.rfind("td-", 0), 0u);
}

// PagerDuty's reasons for one body, or {"ok"}.
std::vector<std::string> pd_errors(const std::string& text,
                                   const PagerDutyIntegrations& integrations = {}) {
  auto r = parse_pagerduty(json::parse(text), kNow, integrations);
  return r.ok() ? std::vector<std::string>{"ok"} : r.errors;
}

using Errors = std::vector<std::string>;

TEST(PagerDutyValidation, RoutingKeyMissingOrBlank) {
  const std::string payload = R"("payload":{"summary":"s","source":"h","severity":"info"})";
  EXPECT_EQ(pd_errors(R"({"event_action":"trigger",)" + payload + "}"),
            Errors{"'routing_key' is missing or blank"});
  EXPECT_EQ(pd_errors(R"({"routing_key":"  ","event_action":"trigger",)" + payload + "}"),
            Errors{"'routing_key' is missing or blank"});
  EXPECT_EQ(pd_errors(R"({"routing_key":null,"event_action":"trigger",)" + payload + "}"),
            Errors{"'routing_key' is missing or blank"});
}

TEST(PagerDutyValidation, EventActionMissingOrInvalid) {
  EXPECT_EQ(pd_errors(R"({"routing_key":"r","dedup_key":"k"})"),
            Errors{"'event_action' is missing or blank"});
  EXPECT_EQ(pd_errors(R"({"routing_key":"r","event_action":"page","dedup_key":"k"})"),
            Errors{"'event_action' is invalid"});
  EXPECT_EQ(pd_errors(R"({"routing_key":"r","event_action":"Trigger","dedup_key":"k"})"),
            Errors{"'event_action' is invalid"});  // PagerDuty's actions are lower-case
}

TEST(PagerDutyValidation, TriggerNeedsSummarySourceAndSeverity) {
  const auto trigger = [](const std::string& payload) {
    return pd_errors(R"({"routing_key":"r","event_action":"trigger","payload":)" + payload + "}");
  };
  EXPECT_EQ(trigger(R"({"source":"h","severity":"info"})"),
            Errors{"'payload.summary' is missing or blank"});
  EXPECT_EQ(trigger(R"({"summary":" ","source":"h","severity":"info"})"),
            Errors{"'payload.summary' is missing or blank"});
  EXPECT_EQ(trigger(R"({"summary":"s","severity":"info"})"),
            Errors{"'payload.source' is missing or blank"});
  EXPECT_EQ(trigger(R"({"summary":"s","source":"h"})"),
            Errors{"'payload.severity' is missing or blank"});
  EXPECT_EQ(trigger(R"({"summary":"s","source":"h","severity":"fatal"})"),
            Errors{"'payload.severity' is invalid"});
  EXPECT_EQ(trigger(R"({"summary":"s","source":"h","severity":"Critical"})"),
            Errors{"'payload.severity' is invalid"});
  // All reasons at once, as PagerDuty lists them.
  EXPECT_EQ(
      pd_errors(R"({"event_action":"trigger","payload":{}})"),
      (Errors{"'routing_key' is missing or blank", "'payload.summary' is missing or blank",
              "'payload.source' is missing or blank", "'payload.severity' is missing or blank"}));
  EXPECT_EQ(
      pd_errors(R"({"routing_key":"r","event_action":"trigger"})"),
      (Errors{"'payload' is missing or blank", "'payload.summary' is missing or blank",
              "'payload.source' is missing or blank", "'payload.severity' is missing or blank"}));
}

TEST(PagerDutyValidation, DedupKeyAtMost255Characters) {
  const std::string ok(255, 'k');
  const std::string long_key(256, 'k');
  EXPECT_EQ(pd_errors(R"({"routing_key":"r","event_action":"resolve","dedup_key":")" + ok + "\"}"),
            Errors{"ok"});
  EXPECT_EQ(
      pd_errors(R"({"routing_key":"r","event_action":"resolve","dedup_key":")" + long_key + "\"}"),
      Errors{"'dedup_key' is too long (maximum is 255 characters)"});
  // Characters, not bytes: 255 two-byte characters are fine.
  std::string umlauts;
  for (int i = 0; i < 255; ++i) umlauts += "\xC3\xA4";
  EXPECT_EQ(
      pd_errors(R"({"routing_key":"r","event_action":"resolve","dedup_key":")" + umlauts + "\"}"),
      Errors{"ok"});
}

TEST(PagerDutyValidation, AcknowledgeAndResolveNeedDedupKey) {
  EXPECT_EQ(pd_errors(R"({"routing_key":"r","event_action":"resolve"})"),
            Errors{"'dedup_key' is missing or blank"});
  EXPECT_EQ(pd_errors(R"({"routing_key":"r","event_action":"acknowledge","dedup_key":""})"),
            Errors{"'dedup_key' is missing or blank"});
  auto ack = parse_pagerduty(
      json::parse(R"({"routing_key":"r","event_action":"acknowledge","dedup_key":"k1"})"), kNow);
  ASSERT_TRUE(ack.ok());
  EXPECT_EQ(ack.event.action, "acknowledge");
  EXPECT_EQ(ack.event.dedup_key, "k1");
}

TEST(PagerDutyValidation, SummaryIsCutAt1024Characters) {
  std::string summary;
  for (int i = 0; i < 1100; ++i) summary += "\xC3\xA9";  // é, two bytes each
  auto r = parse_pagerduty(
      json::parse(R"({"routing_key":"r","event_action":"trigger","payload":{"summary":")" +
                  summary + R"(","source":"h","severity":"warning"}})"),
      kNow);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.event.event.message, summary.substr(0, 2048));  // 1,024 characters, whole ones
}

TEST(PagerDutyValidation, IntegrationsRefuseUnknownRoutingKeysAndLabelKnownOnes) {
  PagerDutyIntegrations integrations;
  integrations["R0UTINGKEY0123456789abcdef012345"] = {"dba", {{"env", "prod"}, {"team", "x"}}};
  integrations["other-key-with-defaults-only"] = {};
  const std::string payload =
      R"("payload":{"summary":"s","source":"h","severity":"info","group":"g"})";
  EXPECT_EQ(
      pd_errors(R"({"routing_key":"nope","event_action":"trigger",)" + payload + "}", integrations),
      Errors{"Invalid routing key"});
  auto r = parse_pagerduty(
      json::parse(R"({"routing_key":"R0UTINGKEY0123456789abcdef012345","event_action":"trigger",)" +
                  payload + "}"),
      kNow, integrations);
  ASSERT_TRUE(r.ok());
  // The integration's labels, and its team as labels.team; labels listed
  // under the integration come first (its "team" label wins over team).
  EXPECT_EQ(r.event.event.labels.at("env"), "prod");
  EXPECT_EQ(r.event.event.labels.at("team"), "x");
  EXPECT_EQ(r.event.event.labels.at("group"), "g");  // the event's own labels stay
  auto plain = parse_pagerduty(
      json::parse(R"({"routing_key":"other-key-with-defaults-only","event_action":"trigger",)" +
                  payload + "}"),
      kNow, integrations);
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain.event.event.labels.count("team"), 0u);
  // Without integrations any routing key is taken.
  EXPECT_EQ(pd_errors(R"({"routing_key":"nope","event_action":"trigger",)" + payload + "}"),
            Errors{"ok"});
  EXPECT_EQ(masked_routing_key("R0UTINGKEY0123456789abcdef012345"), "R0UT…");
  EXPECT_EQ(masked_routing_key("short"), "…");
}

}  // namespace
}  // namespace ticketd::ingest
