// The JSON of GET /api/v1/stats and GET /api/v1/tickets/{key}/similar, from
// the store's domain values. The expected texts are what the store itself
// answered before the shaping moved to the API: they must not change.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "api/shapes.hpp"

namespace ticketd::api {
namespace {

using namespace std::chrono_literals;

const TimePoint kNow = from_unix_ms(1'800'000'000'123);  // 2027-01-15T08:00:00.123Z

std::string dump(const nlohmann::json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

TEST(ApiShapes, Stats) {
  store::StoreStats s;
  s.open_by_priority = {{Priority::kP1, 2}, {Priority::kP2, 1}, {Priority::kP5, 1}};
  s.open_by_team = {{"", 1}, {"dba", 1}, {"desk", 1}, {"net ops", 1}};
  s.open_by_type = {
      {TicketType::kIncident, 2}, {TicketType::kProblem, 1}, {TicketType::kServiceRequest, 1}};
  s.tickets_total = 9;
  s.open_total = 4;
  s.mtta = 33'567ms;  // whole seconds, truncated
  s.mttr = 1'204'999ms;
  s.top_fingerprints = {{"db/disk", "disk", 3, 7, kNow + 4004ms},
                        {"chg/\xc3\xa9", "chg", 1, 9, kNow + 9009ms},
                        {"web/5xx", "web", 1, 8, kNow + 8008ms},
                        {"web/5xx", "disk", 1, 3, kNow + 3003ms},
                        {"problem/x", "prob", 1, 1, kNow + 1001ms}};
  EXPECT_EQ(
      dump(stats_to_json(s)),
      R"j({"mtta_seconds":33,"mttr_seconds":1204,"open_by_priority":{"P1":2,"P2":1,"P5":1},)j"
      R"j("open_by_team":{"(none)":1,"dba":1,"desk":1,"net ops":1},)j"
      R"j("open_by_type":{"incident":2,"problem":1,"service_request":1},"open_total":4,"tickets_total":9,)j"
      R"j("top_fingerprints":[{"events":7,"fingerprint":"db/disk","last_opened":"2027-01-15T08:00:04.127Z","rule":"disk","tickets":3},)j"
      R"j({"events":9,"fingerprint":"chg/é","last_opened":"2027-01-15T08:00:09.132Z","rule":"chg","tickets":1},)j"
      R"j({"events":8,"fingerprint":"web/5xx","last_opened":"2027-01-15T08:00:08.131Z","rule":"web","tickets":1},)j"
      R"j({"events":3,"fingerprint":"web/5xx","last_opened":"2027-01-15T08:00:03.126Z","rule":"disk","tickets":1},)j"
      R"j({"events":1,"fingerprint":"problem/x","last_opened":"2027-01-15T08:00:01.124Z","rule":"prob","tickets":1}]})j");
  EXPECT_EQ(
      dump(stats_to_json({})),
      R"j({"mtta_seconds":null,"mttr_seconds":null,"open_by_priority":{},"open_by_team":{},"open_by_type":{},)j"
      R"j("open_total":0,"tickets_total":0,"top_fingerprints":[]})j");
}

TEST(ApiShapes, Similar) {
  auto past = [](const char* key, const char* fp, TicketStatus status,
                 std::optional<TimePoint> resolved_at) {
    Ticket t;
    t.key = key;
    t.title = std::string("title ") + key[9];
    t.status = status;
    t.rule = "disk";
    t.fingerprint = fp;
    t.resolved_at = resolved_at;
    t.assignee = "not shown";
    return t;
  };
  Ticket fixed = past("INC-000001", "db/disk", TicketStatus::kResolved, kNow + 3'603'000ms);
  fixed.resolution = {"workaround", "deleted old WAL files"};
  std::vector<store::SimilarTicket> similar = {
      {past("INC-000002", "db/disk", TicketStatus::kClosed, kNow + 12'002ms),
       store::SimilarMatch::kFingerprint,
       {}},
      {fixed,
       store::SimilarMatch::kFingerprint,
       {{"INC-000001", kNow + 5s, "user:alice", "note", "deleted old WAL \"files\"", "{}"},
        {"INC-000001", kNow + 7s, "api:bot", "note", "second note\nline", R"({"x":1})"}}},
      {past("INC-000003", "web/5xx", TicketStatus::kClosed, std::nullopt),
       store::SimilarMatch::kRule,
       {{"INC-000003", kNow + 8s, "user:bob", "note", "web note", "{}"}}},
  };
  EXPECT_EQ(
      dump(similar_to_json(similar)),
      R"j([{"fingerprint":"db/disk","key":"INC-000002","match":"fingerprint","notes":[],"resolution":null,"resolved_at":"2027-01-15T08:00:12.125Z",)j"
      R"j("rule":"disk","same_fingerprint":true,"status":"closed","title":"title 2"},)j"
      R"j({"fingerprint":"db/disk","key":"INC-000001","match":"fingerprint","notes":[{"actor":"user:alice","text":"deleted old WAL \"files\"",)j"
      R"j("time":"2027-01-15T08:00:05.123Z"},{"actor":"api:bot","text":"second note\nline","time":"2027-01-15T08:00:07.123Z"}],)j"
      R"j("resolution":{"code":"workaround","note":"deleted old WAL files"},)j"
      R"j("resolved_at":"2027-01-15T09:00:03.123Z","rule":"disk","same_fingerprint":true,"status":"resolved","title":"title 1"},)j"
      R"j({"fingerprint":"web/5xx","key":"INC-000003","match":"rule","notes":[{"actor":"user:bob","text":"web note","time":"2027-01-15T08:00:08.123Z"}],"resolution":null,)j"
      R"j("resolved_at":null,"rule":"disk","same_fingerprint":false,"status":"closed","title":"title 3"}])j");
  EXPECT_EQ(dump(similar_to_json({})), "[]");
}

}  // namespace
}  // namespace ticketd::api
