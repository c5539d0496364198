// GET /api/v1/trends and POST /api/v1/silences/preview on the real daemon:
// the web page's trends view and its silence form ("what would this mute?").
#include <chrono>

#include "harness.hpp"
#include "ticketd/core/time.hpp"

namespace {

using namespace ticketd_test;

const std::string kDisk =
    R"({"host":"db01","severity":"error","message":"write failed: No space left on sda1"})";
const std::string kNginx =
    R"({"host":"web1","app":"nginx","severity":"critical","message":"upstream gone","labels":{"env":"prod"}})";

// Today's date, UTC ("2026-11-28").
std::string today() {
  const auto now =
      std::chrono::time_point_cast<ticketd::Duration>(std::chrono::system_clock::now());
  return ticketd::format_rfc3339(now).substr(0, 10);
}

TEST(Trends, PerDayByPriorityTeamFingerprintAndRule) {
  Daemon d;
  ASSERT_TRUE(d.start()) << d.log();
  ASSERT_EQ(d.post(kDisk).status, 202);   // INC-000001: storage, P1
  ASSERT_EQ(d.post(kNginx).status, 202);  // INC-000002: oncall
  ASSERT_EQ(http("POST", d.url("/api/v1/tickets/INC-000001/ack")).status, 200);
  ASSERT_EQ(http("PATCH", d.url("/api/v1/tickets/INC-000001"), R"({"status":"resolved"})").status,
            200);
  ASSERT_EQ(d.post(kDisk).status, 202);  // the disk again: INC-000003

  const std::string before = today();
  Reply r = http("GET", d.url("/api/v1/trends"));
  const std::string after = today();
  ASSERT_EQ(r.status, 200) << r.body;
  json j = r.j();
  EXPECT_EQ(j["days"], 30);
  EXPECT_TRUE(j["team"].is_null());
  ASSERT_EQ(j["per_day"].size(), 30u) << j.dump();
  const json& last = j["per_day"][29];
  EXPECT_TRUE(last["date"] == before || last["date"] == after) << last.dump();
  EXPECT_EQ(j["since"], j["per_day"][0]["date"].get<std::string>() + "T00:00:00.000Z");
  int64_t opened = 0, resolved = 0;
  for (const json& day : j["per_day"]) {
    opened += day["opened"].get<int64_t>();
    resolved += day["resolved"].get<int64_t>();
  }
  EXPECT_EQ(opened, 3);
  EXPECT_EQ(resolved, 1);
  EXPECT_EQ(last["opened"], 3);  // unless the test ran across midnight
  ASSERT_EQ(j["by_priority"].size(), 2u) << j.dump();
  EXPECT_EQ(j["by_priority"][0]["priority"], "P1");  // the disk's
  EXPECT_EQ(j["by_priority"][0]["tickets"], 2);
  EXPECT_EQ(j["by_priority"][1]["priority"], "P2");  // nginx: medium impact, critical
  EXPECT_EQ(j["by_priority"][1]["tickets"], 1);
  EXPECT_TRUE(j["by_priority"][1]["mtta_seconds"].is_null());
  EXPECT_TRUE(j["by_priority"][0]["mtta_seconds"].is_number());
  EXPECT_TRUE(j["by_priority"][0]["mttr_seconds"].is_number());
  ASSERT_EQ(j["by_team"].size(), 2u);
  EXPECT_EQ(j["by_team"][0], json({{"team", "storage"},
                                   {"tickets", 2},
                                   {"mtta_seconds", j["by_priority"][0]["mtta_seconds"]},
                                   {"mttr_seconds", j["by_priority"][0]["mttr_seconds"]}}));
  EXPECT_EQ(j["by_team"][1]["team"], "oncall");
  EXPECT_TRUE(j["by_team"][1]["mtta_seconds"].is_null());
  ASSERT_EQ(j["top_fingerprints"].size(), 1u);  // only db01/sda1 recurred
  EXPECT_EQ(j["top_fingerprints"][0]["fingerprint"], "db01/sda1");
  EXPECT_EQ(j["top_fingerprints"][0]["rule"], "disk-full");
  EXPECT_EQ(j["top_fingerprints"][0]["tickets"], 2);
  EXPECT_EQ(j["top_fingerprints"][0]["events"], 2);
  ASSERT_EQ(j["top_rules"].size(), 2u);
  EXPECT_EQ(j["top_rules"][0], json({{"rule", "disk-full"}, {"tickets", 2}, {"events", 2}}));
  EXPECT_EQ(j["top_rules"][1]["rule"], "any-error");

  // A team, in any case; "none" is the tickets without one.
  j = http("GET", d.url("/api/v1/trends?days=7&team=STORAGE")).j();
  EXPECT_EQ(j["days"], 7);
  EXPECT_EQ(j["team"], "STORAGE");
  EXPECT_EQ(j["per_day"].size(), 7u);
  ASSERT_EQ(j["by_team"].size(), 1u);
  EXPECT_EQ(j["by_team"][0]["tickets"], 2);
  j = http("GET", d.url("/api/v1/trends?days=1&team=none")).j();
  EXPECT_EQ(j["team"], "none");
  ASSERT_EQ(j["per_day"].size(), 1u);
  EXPECT_EQ(j["per_day"][0]["opened"], 0);
  EXPECT_EQ(j["by_team"], json::array());
  EXPECT_EQ(j["by_priority"], json::array());

  for (const char* bad : {"0", "366", "abc", "-3"}) {
    r = http("GET", d.url(std::string("/api/v1/trends?days=") + bad));
    EXPECT_EQ(r.status, 400) << bad;
    EXPECT_EQ(r.j()["error"]["code"], "invalid_argument");
    EXPECT_EQ(r.j()["error"]["message"],
              std::string("days must be an integer from 1 to 365, got \"") + bad + "\"");
  }
  EXPECT_EQ(http("GET", d.url("/api/v1/trends?days=365")).j()["per_day"].size(), 365u);
}

TEST(Silences, APreviewShowsTheOpenTicketsAndRecentEventsItWouldMuteAndAddsNothing) {
  Daemon d;
  ASSERT_TRUE(d.start()) << d.log();
  ASSERT_EQ(d.post(kDisk).status, 202);   // INC-000001
  ASSERT_EQ(d.post(kNginx).status, 202);  // INC-000002
  ASSERT_EQ(d.post(kDisk).status, 202);   // deduplicated into INC-000001
  ASSERT_EQ(d.post(R"({"host":"db01","severity":"info","message":"backup done"})").status,
            202);  // matches no rule: stored, unmatched
  auto preview = [&](const std::string& matchers) {
    return http("POST", d.url("/api/v1/silences/preview"),
                R"({"duration":"2h","comment":"try","matchers":)" + matchers + "}");
  };
  auto keys = [](const json& j) {
    std::vector<std::string> out;
    for (const json& t : j["tickets"]) out.push_back(t["key"]);
    return out;
  };
  using V = std::vector<std::string>;

  Reply r = preview(R"({"host":"db01"})");
  ASSERT_EQ(r.status, 200) << r.body;
  json j = r.j();
  EXPECT_EQ(keys(j), V{"INC-000001"});
  EXPECT_EQ(j["tickets_total"], 1);
  EXPECT_EQ(j["tickets_examined"], 2);
  EXPECT_EQ(j["tickets_capped"], false);
  const json& t = j["tickets"][0];
  EXPECT_EQ(t["title"], "Disk sda1 full on db01");
  EXPECT_EQ(t["priority"], "P1");
  EXPECT_EQ(t["status"], "new");
  EXPECT_EQ(t["host"], "db01");
  EXPECT_EQ(t["team"], "storage");
  EXPECT_EQ(t["event_count"], 2);
  EXPECT_EQ(j["recent_events"], 3);  // two disk events and the unmatched one
  EXPECT_EQ(j["recent_events_examined"], 4);
  EXPECT_EQ(j["recent_events_capped"], false);

  EXPECT_EQ(keys(preview(R"({"host":"!db01"})").j()), V{"INC-000002"});
  // Most urgent first: the P1 disk ticket, then the web one.
  EXPECT_EQ(keys(preview(R"j({"host":"~^(db|web)"})j").j()), (V{"INC-000001", "INC-000002"}));
  j = preview(R"({"message":"write failed: No space left on sda1"})").j();
  EXPECT_EQ(keys(j), V{"INC-000001"});
  EXPECT_EQ(j["recent_events"], 2);
  EXPECT_EQ(keys(preview(R"({"labels.env":"prod"})").j()), V{"INC-000002"});
  EXPECT_EQ(keys(preview(R"({"labels.env":"~^prod$","app":"!nginx"})").j()), V{});
  j = preview(R"([{"name":"severity","value":"critical|error","isRegex":true}])").j();
  EXPECT_EQ(keys(j), (V{"INC-000001", "INC-000002"}));
  EXPECT_EQ(j["recent_events"], 3);

  // The refusals of POST /api/v1/silences.
  r = http("POST", d.url("/api/v1/silences/preview"),
           R"({"matchers":{"host":"x"},"duration":"1h"})", "text/plain");
  EXPECT_EQ(r.status, 415);
  EXPECT_EQ(r.j()["error"]["code"], "unsupported_media_type");
  r = http("POST", d.url("/api/v1/silences/preview"), "{not json");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.j()["error"]["code"], "invalid_json");
  r = preview(R"({"hots":"db01"})");
  EXPECT_EQ(r.status, 422);
  EXPECT_EQ(r.j()["error"]["code"], "invalid_silence");
  r = http("POST", d.url("/api/v1/silences/preview"), R"({"matchers":{"host":"db01"}})");
  EXPECT_EQ(r.status, 422);
  EXPECT_EQ(r.j()["error"]["message"], "silence: set \"ends_at\" or \"duration\"");

  // Nothing was added: no silence, and the next disk event still reaches its ticket.
  EXPECT_EQ(http("GET", d.url("/api/v1/silences")).j()["silences"], json::array());
  ASSERT_EQ(d.post(kDisk).status, 202);
  EXPECT_EQ(http("GET", d.url("/api/v1/tickets/INC-000001")).j()["event_count"], 3);
}

TEST(Silences, ThePreviewNeedsTheAdminRole) {
  Daemon d(
      "api:\n  tokens:\n"
      "    - {name: viewer, role: read, token: read-secret-0123456789}\n"
      "    - {name: worker, role: write, token: write-secret-0123456789}\n"
      "    - {name: boss, role: admin, token: admin-secret-0123456789}\n");
  ASSERT_TRUE(d.start()) << d.log();
  const std::string body = R"({"matchers":{"host":"db01"},"duration":"1h"})";
  const std::string url = d.url("/api/v1/silences/preview");
  EXPECT_EQ(http("POST", url, body).status, 401);
  EXPECT_EQ(http("POST", url, body, "application/json", "read-secret-0123456789").status, 403);
  EXPECT_EQ(http("POST", url, body, "application/json", "write-secret-0123456789").status, 403);
  EXPECT_EQ(http("POST", url, body, "application/json", "admin-secret-0123456789").status, 200);
  EXPECT_EQ(http("GET", d.url("/api/v1/trends"), "", "", "read-secret-0123456789").status, 200);
}

}  // namespace
