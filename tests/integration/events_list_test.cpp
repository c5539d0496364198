// GET /api/v1/events through the real daemon with the shipped rules:
// events the rules ticket, leave unmatched and drop, listed by decision,
// host and time, and paged.
#include "harness.hpp"

namespace ticketd_test {
namespace {

// The shipped rules instead of the harness's.
void use_shipped_rules(Daemon& d) {
  fs::remove(d.dir() / "rules" / "rules.yaml");
  for (const auto& f : fs::directory_iterator(fs::path(TICKETD_SOURCE_DIR) / "rules")) {
    if (f.path().extension() == ".yaml")
      fs::copy_file(f.path(), d.dir() / "rules" / f.path().filename());
  }
}

std::vector<std::string> messages(const json& answer) {
  std::vector<std::string> out;
  for (const json& e : answer["events"]) out.push_back(e["event"]["message"].get<std::string>());
  return out;
}

using V = std::vector<std::string>;

class EventsListTest : public ::testing::Test {
 protected:
  void SetUp() override {
    use_shipped_rules(d_);
    ASSERT_TRUE(d_.start()) << d_.log();
    // One at a time, so they are stored (and listed) in this order.
    for (const char* body : {
             R"({"host":"web1","app":"shop","severity":"error","message":"checkout failed"})",
             R"({"host":"web1","app":"shop","severity":"info","message":"cache warmed"})",
             R"({"host":"web1","app":"shop","severity":"debug","message":"tick"})",
             R"({"host":"db1","app":"pg","severity":"info","message":"vacuum done"})",
             R"({"host":"db1","app":"pg","severity":"notice","message":"checkpoint"})",
         }) {
      ASSERT_EQ(d_.post(body).status, 202) << body;
    }
  }
  json get(const std::string& query) {
    Reply r = http("GET", d_.url("/api/v1/events" + query));
    EXPECT_EQ(r.status, 200) << query << ": " << r.body;
    return r.j();
  }
  Daemon d_;
};

TEST_F(EventsListTest, ListsStoredEventsWithTheirDecisionNewestFirst) {
  json all = get("");
  EXPECT_EQ(messages(all), (V{"checkpoint", "vacuum done", "cache warmed", "checkout failed"}))
      << "the dropped debug event is not stored";
  EXPECT_TRUE(all["next_cursor"].is_null());
  const json& ticketed = all["events"][3];
  EXPECT_EQ(ticketed["decision"], "ticketed");
  EXPECT_EQ(ticketed["rule"], "unclassified-error");
  EXPECT_FALSE(ticketed["ticket"].get<std::string>().empty());
  EXPECT_EQ(ticketed["event"]["host"], "web1");
  EXPECT_EQ(ticketed["event"]["severity"], "error");
  EXPECT_TRUE(ticketed["id"].is_number_integer());
  EXPECT_TRUE(ticketed["received_at"].is_string());
  EXPECT_TRUE(ticketed.contains("detail"));

  EXPECT_EQ(messages(get("?decision=unmatched")), (V{"checkpoint", "vacuum done", "cache warmed"}));
  EXPECT_EQ(messages(get("?decision=ticketed")), (V{"checkout failed"}));
  EXPECT_TRUE(messages(get("?decision=dropped")).empty());
  EXPECT_EQ(messages(get("?host=db1")), (V{"checkpoint", "vacuum done"}));
  EXPECT_EQ(messages(get("?decision=unmatched&host=web1")), (V{"cache warmed"}));
  EXPECT_EQ(messages(get("?rule=unclassified-error")), (V{"checkout failed"}));
  EXPECT_EQ(messages(get("?ticket=" + ticketed["ticket"].get<std::string>())),
            (V{"checkout failed"}));
  EXPECT_EQ(messages(get("?since=1h")).size(), 4u);
  EXPECT_TRUE(messages(get("?until=1h")).empty());
  EXPECT_TRUE(messages(get("?since=2999-01-01T00:00:00Z")).empty());
  EXPECT_EQ(messages(get("?until=2999-01-01T00:00:00Z")).size(), 4u);
}

TEST_F(EventsListTest, PagesFollowNextCursor) {
  V seen;
  std::string query = "?since=24h&limit=3";
  int pages = 0;
  while (true) {
    json page = get(query);
    ++pages;
    for (const std::string& m : messages(page)) seen.push_back(m);
    if (page["next_cursor"].is_null()) break;
    query = "?since=24h&limit=3&cursor=" + page["next_cursor"].get<std::string>();
  }
  EXPECT_EQ(pages, 2);
  EXPECT_EQ(seen, (V{"checkpoint", "vacuum done", "cache warmed", "checkout failed"}));
}

TEST_F(EventsListTest, BadParametersAre400) {
  for (const char* query :
       {"?decision=nope", "?since=yesterday", "?limit=0", "?limit=5000", "?cursor=abc"}) {
    Reply r = http("GET", d_.url(std::string("/api/v1/events") + query));
    EXPECT_EQ(r.status, 400) << query;
    EXPECT_EQ(r.j()["error"]["code"], "invalid_argument") << query;
  }
  Reply r = http("GET", d_.url("/api/v1/events?decision=Ticketed"));
  EXPECT_NE(r.j()["error"]["message"].get<std::string>().find("ticketed, deduplicated"),
            std::string::npos);
}

// ticketctl events list: a table, the API's JSON, or one event per line in
// the form `ticketctl explain` reads, so the newest unmatched event can be
// explained offline against the rules.
TEST_F(EventsListTest, TicketctlListsEventsAndItsJsonlFeedsExplain) {
  const std::string ctl = std::string(TICKETCTL_BIN) + " --server " + d_.url("");
  auto [rc, table] = run(ctl + " events list --host db1");
  ASSERT_EQ(rc, 0) << table;
  EXPECT_NE(table.find("DECISION"), std::string::npos) << table;
  EXPECT_NE(table.find("MESSAGE"), std::string::npos) << table;
  EXPECT_NE(table.find("checkpoint"), std::string::npos) << table;
  EXPECT_NE(table.find("unmatched"), std::string::npos) << table;
  EXPECT_EQ(table.find("checkout failed"), std::string::npos) << table;

  auto [jrc, j] = run(ctl + " events list --json --decision ticketed --since 1h");
  ASSERT_EQ(jrc, 0) << j;
  EXPECT_EQ(messages(json::parse(j)), (V{"checkout failed"}));

  const fs::path e = d_.dir() / "e.json";
  auto [prc, pout] =
      run(ctl + " events list --decision unmatched --jsonl | head -1 > " + e.string() + " && " +
          TICKETCTL_BIN + " explain --rules " + (d_.dir() / "rules").string() + " " + e.string());
  ASSERT_EQ(prc, 0) << pout;
  EXPECT_NE(pout.find("decision: unmatched"), std::string::npos) << pout;
  std::ifstream in(e);
  std::string line;
  std::getline(in, line);
  const json event = json::parse(line, nullptr, false);
  ASSERT_TRUE(event.is_object()) << line;
  EXPECT_EQ(event["message"], "checkpoint");
  EXPECT_EQ(event["host"], "db1");

  // Every line of --jsonl is one event; replay reads them all.
  auto [lrc, lines] = run(ctl + " events list --jsonl > " + (d_.dir() / "all.jsonl").string() +
                          " && " + TICKETCTL_BIN + " replay --rules " +
                          (d_.dir() / "rules").string() + " " + (d_.dir() / "all.jsonl").string());
  EXPECT_EQ(lrc, 0) << lines;

  auto [brc, both] = run(ctl + " events list --json --jsonl");
  EXPECT_EQ(brc, 2) << both;
  auto [drc, bad] = run(ctl + " events list --decision nope");
  EXPECT_EQ(drc, 1) << bad;
  EXPECT_NE(bad.find("unknown decision \"nope\""), std::string::npos) << bad;
  auto [orc, typo] = run(ctl + " events list --sinec 1h");
  EXPECT_EQ(orc, 2) << typo;
  EXPECT_NE(typo.find("did you mean \"--since\""), std::string::npos) << typo;
}

// --jsonl is an export: it follows the pages (at most 1000 events each) to
// the end, or stops after --limit events in all.
TEST_F(EventsListTest, JsonlExportFollowsEveryPage) {
  for (int b = 0; b < 4; ++b) {  // in batches under the body size limit
    std::string batch = "[";
    for (int i = b * 300; i < (b + 1) * 300; ++i) {
      if (i % 300) batch += ",";
      batch += R"({"host":"bulk","app":"batch","severity":"info","message":"row )" +
               std::to_string(i) + R"("})";
    }
    batch += "]";
    Reply r = d_.post(batch);
    ASSERT_EQ(r.status, 202) << r.body;
  }
  const std::string ctl = std::string(TICKETCTL_BIN) + " --server " + d_.url("");
  auto [rc, all] = run(ctl + " events list --jsonl --host bulk");
  EXPECT_EQ(rc, 0);
  EXPECT_EQ(std::count(all.begin(), all.end(), '\n'), 1200);
  EXPECT_NE(all.substr(0, all.find('\n')).find("\"message\":\"row 1199\""), std::string::npos)
      << "newest first";
  EXPECT_NE(all.find("\"message\":\"row 0\""), std::string::npos);
  auto [lrc, some] = run(ctl + " events list --jsonl --host bulk --limit 1100");
  EXPECT_EQ(lrc, 0);
  EXPECT_EQ(std::count(some.begin(), some.end(), '\n'), 1100);
  auto [brc, bad] = run(ctl + " events list --jsonl --limit 0");
  EXPECT_EQ(brc, 2) << bad;
}

// replay --since --rules CANDIDATE: the stored events through a candidate
// rule set, compared with what the running rules decided.
TEST_F(EventsListTest, ReplaySinceComparesACandidateRuleSetWithTheRunningOne) {
  const std::string ctl = std::string(TICKETCTL_BIN) + " --server " + d_.url("");
  const fs::path running = d_.dir() / "rules";
  auto [src, same] = run(ctl + " replay --rules " + running.string() + " --since 1h");
  EXPECT_EQ(src, 0) << same;
  EXPECT_NE(same.find("replayed 4 stored events"), std::string::npos) << same;
  EXPECT_NE(same.find("changed:   0"), std::string::npos) << same;
  EXPECT_NE(same.find("no change"), std::string::npos) << same;

  // The candidate drops the pg chatter and no longer tickets unclassified errors.
  const fs::path cand = d_.dir() / "candidate";
  fs::copy(running, cand, fs::copy_options::recursive);
  std::ofstream(cand / "05-pg.yaml") << R"(rules:
  - name: drop-pg-chatter
    match: { app: pg }
    action: drop
  - name: shop-errors
    match: { app: shop, severity: ">=error" }
    ticket: { title: "Shop error on {{ host }}", team: web }
)";
  auto [crc, diff] = run(ctl + " replay --rules " + cand.string() + " --since 1h");
  EXPECT_EQ(crc, 2) << diff;
  EXPECT_NE(diff.find("changed:   3"), std::string::npos) << diff;
  EXPECT_NE(diff.find("unmatched"), std::string::npos) << diff;
  EXPECT_NE(diff.find("dropped by drop-pg-chatter"), std::string::npos) << diff;
  EXPECT_NE(diff.find("ticket by unclassified-error"), std::string::npos) << diff;
  EXPECT_NE(diff.find("ticket by shop-errors"), std::string::npos) << diff;

  auto [jrc, jout] = run(ctl + " replay --rules " + cand.string() + " --since 1h --json");
  EXPECT_EQ(jrc, 2) << jout;
  const json j = json::parse(jout, nullptr, false);
  ASSERT_TRUE(j.is_object()) << jout;
  EXPECT_EQ(j["events"], 4);
  EXPECT_EQ(j["unchanged"], 1);  // "cache warmed" stays unmatched
  EXPECT_EQ(j["changed"], 3);
  bool pg = false;
  for (const json& c : j["changes"]) {
    if (c["from"] == "unmatched" && c["to"] == "dropped by drop-pg-chatter") {
      pg = true;
      EXPECT_EQ(c["events"], 2);
      EXPECT_EQ(c["example"]["host"], "db1");
    }
  }
  EXPECT_TRUE(pg) << jout;
  EXPECT_EQ(j["tickets"]["running"], 1);
  EXPECT_EQ(j["tickets"]["candidate"], 1);

  // An invalid candidate is reported and compared with nothing.
  std::ofstream(cand / "06-bad.yaml") << "rules:\n  - name: x\n    match: { hots: a }\n";
  auto [brc, bad] = run(ctl + " replay --rules " + cand.string() + " --since 1h");
  EXPECT_EQ(brc, 1) << bad;
  EXPECT_NE(bad.find("06-bad.yaml:3:14"), std::string::npos) << bad;
  auto [urc, usage] = run(ctl + " replay --rules " + cand.string() + " --since 1h --until 2h");
  EXPECT_EQ(urc, 2) << usage;

  // replay of a file says why an event matched no rule.
  auto [rrc, lines] = run(ctl + " events list --jsonl --host db1 | " + TICKETCTL_BIN +
                          " replay --rules " + running.string() + " -");
  EXPECT_EQ(rrc, 0) << lines;
  EXPECT_NE(lines.find("\"decision\":\"unmatched\""), std::string::npos) << lines;
  EXPECT_NE(lines.find("\"reason\":\"closest rule "), std::string::npos) << lines;
}

}  // namespace
}  // namespace ticketd_test
