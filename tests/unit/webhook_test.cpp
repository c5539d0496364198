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
  ASSERT_TRUE(pd) << pd.error().message();
  EXPECT_EQ(pd->action, "trigger");
  EXPECT_EQ(pd->dedup_key, "disk/db01");
  EXPECT_EQ(pd->event.host, "db01");
  EXPECT_EQ(pd->event.app, "postgres");
  EXPECT_EQ(pd->event.severity, Severity::kCritical);
  EXPECT_EQ(pd->event.labels.at("dedup_key"), "disk/db01");
  EXPECT_EQ(pd->event.annotations.at("mount"), "/var");
  auto generated = parse_pagerduty(
      json::parse(
          R"({"event_action":"trigger","payload":{"summary":"s","source":"h","severity":"info"}})"),
      kNow);
  ASSERT_TRUE(generated);
  EXPECT_EQ(generated->dedup_key.rfind("td-", 0), 0u);
  auto msg = [](const char* text) {
    auto r = parse_pagerduty(json::parse(text), kNow);
    return r ? std::string("ok") : r.error().message();
  };
  EXPECT_EQ(msg(R"({"event_action":"resolve"})"),
            "pagerduty: \"dedup_key\" is required to resolve");
  EXPECT_EQ(
      msg(R"({"event_action":"trigger","payload":{"summary":"s","source":"h","severity":"fatal"}})"),
      "pagerduty: \"payload.severity\" is \"fatal\", expected critical, error, warning or info");
  EXPECT_EQ(msg(R"({"event_action":"page"})"),
            "pagerduty: \"event_action\" is \"page\", expected trigger, acknowledge or resolve");
}

}  // namespace
}  // namespace ticketd::ingest
