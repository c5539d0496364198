// What the web page's ticket queue and ticket detail read, through the real
// daemon over loopback: sort, assignee and team filters with the total,
// whoami, the transitions a ticket offers, and unassigning.
#include <algorithm>
#include <string>
#include <tuple>
#include <vector>

#include "harness.hpp"

namespace {

using namespace ticketd_test;

const std::string kSla =
    "sla:\n  P1: { respond: 15m, resolve: 4h }\n  P3: { respond: 4h, resolve: 3d }\n";

// POSTs a manual ticket; its key ("" on failure).
std::string create(const Daemon& d, const json& body) {
  Reply r = http("POST", d.url("/api/v1/tickets"), body.dump());
  EXPECT_EQ(r.status, 201) << r.body;
  return r.j().value("key", "");
}

std::vector<std::string> keys_of(const json& page) {
  std::vector<std::string> out;
  for (const auto& t : page["tickets"]) out.push_back(t["key"]);
  return out;
}

TEST(Queue, SortAssigneeAndTeamFiltersWithTheTotal) {
  Daemon d;
  d.write_rules(std::string(kRules) + kSla);
  ASSERT_TRUE(d.start()) << d.log();
  const std::string a = create(d, {{"title", "db down"},
                                   {"impact", "high"},
                                   {"urgency", "high"},
                                   {"team", "Storage"},
                                   {"assignee", "alice"}});
  const std::string b = create(d, {{"title", "slow page"}});
  const std::string c = create(
      d,
      {{"title", "array degraded"}, {"impact", "high"}, {"urgency", "high"}, {"team", "storage"}});
  const std::string e = create(
      d, {{"title", "new laptop"}, {"impact", "low"}, {"urgency", "low"}, {"team", "oncall"}});
  // Acknowledged, A is due by its resolve target (4h): after C's respond target (15m).
  ASSERT_EQ(http("POST", d.url("/api/v1/tickets/" + a + "/ack"), "").status, 200);
  using V = std::vector<std::string>;

  json all = d.tickets("?sort=priority");
  EXPECT_EQ(keys_of(all), (V{c, a, b, e})) << all.dump();
  EXPECT_EQ(all["total"], 4);
  EXPECT_EQ(keys_of(d.tickets()), (V{e, c, b, a}));  // the default: newest first
  EXPECT_EQ(keys_of(d.tickets("?sort=newest")), (V{e, c, b, a}));
  // Paging in priority order, one per page; the total on every page.
  V seen;
  std::string cursor;
  for (int i = 0; i < 6; ++i) {
    json page = d.tickets("?sort=priority&limit=1" + (cursor.empty() ? "" : "&cursor=" + cursor));
    EXPECT_EQ(page["total"], 4) << page.dump();
    for (const auto& k : keys_of(page)) seen.push_back(k);
    if (page["next_cursor"].is_null()) break;
    cursor = page["next_cursor"];
  }
  EXPECT_EQ(seen, (V{c, a, b, e}));

  json storage = d.tickets("?team=STORAGE&sort=priority");
  EXPECT_EQ(keys_of(storage), (V{c, a}));
  EXPECT_EQ(storage["total"], 2);
  EXPECT_EQ(keys_of(d.tickets("?team=none")), V{b});
  EXPECT_EQ(keys_of(d.tickets("?assignee=alice")), V{a});
  EXPECT_EQ(keys_of(d.tickets("?assignee=Alice")), V{});
  json unassigned = d.tickets("?assignee=none&limit=1");
  EXPECT_EQ(keys_of(unassigned), V{e});
  EXPECT_EQ(unassigned["total"], 3);
  EXPECT_EQ(keys_of(d.tickets("?assignee=none&team=none")), V{b});
  EXPECT_EQ(keys_of(d.tickets("?status=open&sort=priority&q=degraded")), V{c});

  Reply bad = http("GET", d.url("/api/v1/tickets?sort=oldest"));
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(bad.j()["error"]["code"], "invalid_argument");
  EXPECT_EQ(bad.j()["error"]["message"], "unknown sort \"oldest\", expected newest or priority");
  Reply foreign = http("GET", d.url("/api/v1/tickets?sort=newest&cursor=p1.n.5"));
  EXPECT_EQ(foreign.status, 400) << foreign.body;

  // ticketctl: the same filters and order, and the total.
  const std::string ctl = std::string(TICKETCTL_BIN) + " --server " + d.url("");
  auto [rc, table] = run(ctl + " tickets list --sort priority --assignee none --limit 2");
  EXPECT_EQ(rc, 0) << table;
  EXPECT_LT(table.find(c), table.find(b)) << table;
  EXPECT_EQ(table.find(a), std::string::npos) << table;
  EXPECT_NE(table.find("2 shown of 3 matching"), std::string::npos) << table;
  EXPECT_NE(table.find("more: --cursor p"), std::string::npos) << table;
  auto [jrc, js] = run(ctl + " tickets list --team none --json");
  EXPECT_EQ(jrc, 0) << js;
  EXPECT_EQ(json::parse(js)["total"], 1);
  EXPECT_EQ(run(ctl + " tickets list --sort oldest").first, 1);
}

TEST(Queue, WhoamiWithoutTokens) {
  Daemon d;
  ASSERT_TRUE(d.start()) << d.log();
  Reply r = http("GET", d.url("/api/v1/whoami"));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.j(), json({{"name", "anonymous"}, {"role", "admin"}, {"auth", false}}));
}

TEST(Queue, WhoamiNamesTheCallingTokenAndItsRole) {
  Daemon d(
      "api:\n  tokens:\n"
      "    - {name: sender, role: ingest, token: ingest-secret-0123456789}\n"
      "    - {name: viewer, role: read, token: read-secret-0123456789}\n"
      "    - {name: ops-bot, role: write, token: write-secret-0123456789}\n"
      "    - {name: boss, role: admin, token: admin-secret-0123456789}\n");
  ASSERT_TRUE(d.start()) << d.log();
  const std::string path = d.url("/api/v1/whoami");
  for (const auto& [token, name, role] : {std::tuple{"read-secret-0123456789", "viewer", "read"},
                                          std::tuple{"write-secret-0123456789", "ops-bot", "write"},
                                          std::tuple{"admin-secret-0123456789", "boss", "admin"}}) {
    Reply r = http("GET", path, "", "", token);
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.j(), json({{"name", name}, {"role", role}, {"auth", true}}));
  }
  EXPECT_EQ(http("GET", path).status, 401);
  EXPECT_EQ(http("GET", path, "", "", "wrong-secret-0123456789").status, 401);
  EXPECT_EQ(http("GET", path, "", "", "ingest-secret-0123456789").status, 403);
}

// The transitions a ticket's JSON lists are exactly the statuses its PATCH
// takes: from every status, each listed one answers 200 and every other
// one 409.
TEST(Queue, TransitionsAreExactlyWhatPatchAccepts) {
  Daemon d;
  ASSERT_TRUE(d.start()) << d.log();
  const std::vector<std::string> statuses = {"new",      "assigned", "in_progress", "pending",
                                             "resolved", "closed",   "cancelled"};
  auto patch = [&](const std::string& key, const json& body) {
    return http("PATCH", d.url("/api/v1/tickets/" + key), body.dump());
  };
  // A new ticket brought to `from` by the API's own ways.
  auto ticket_in = [&](const std::string& from) {
    json body = {{"title", "ticket in " + from}};
    if (from == "assigned") body["assignee"] = "alice";
    const std::string key = create(d, body);
    if (from == "in_progress") {
      EXPECT_EQ(http("POST", d.url("/api/v1/tickets/" + key + "/ack"), "").status, 200);
    }
    if (from == "pending" || from == "resolved" || from == "cancelled") {
      EXPECT_EQ(patch(key, {{"status", from}}).status, 200);
    }
    if (from == "closed") {
      EXPECT_EQ(patch(key, {{"status", "resolved"}}).status, 200);
      EXPECT_EQ(patch(key, {{"status", "closed"}}).status, 200);
    }
    return key;
  };
  int accepted = 0, refused = 0;
  for (const std::string& from : statuses) {
    json shown = http("GET", d.url("/api/v1/tickets/" + ticket_in(from))).j();
    ASSERT_EQ(shown["status"], from);
    ASSERT_TRUE(shown["transitions"].is_array()) << shown.dump();
    const std::vector<std::string> listed = shown["transitions"];
    for (const std::string& to : statuses) {
      if (to == from) continue;
      const std::string key = ticket_in(from);
      const bool offered = std::find(listed.begin(), listed.end(), to) != listed.end();
      Reply r = patch(key, {{"status", to}});
      EXPECT_EQ(r.status, offered ? 200 : 409) << from << " -> " << to << ": " << r.body;
      if (r.status == 200) {
        EXPECT_EQ(r.j()["status"], to);
        EXPECT_TRUE(r.j()["transitions"].is_array()) << r.body;  // the answer has them too
      }
      (offered ? accepted : refused)++;
    }
  }
  EXPECT_GT(accepted, 0);
  EXPECT_GT(refused, 0);
  // Lists leave them out.
  EXPECT_FALSE(d.tickets()["tickets"][0].contains("transitions"));
}

// Clearing the assignee of an assigned ticket (PATCH "" or null, ticketctl
// unassign) puts it back to new, on the timeline.
TEST(Queue, UnassigningPutsAnAssignedTicketBackToNew) {
  Daemon d;
  ASSERT_TRUE(d.start()) << d.log();
  const std::string ctl = std::string(TICKETCTL_BIN) + " --server " + d.url("");
  const std::string key = create(d, {{"title", "printer jam"}, {"assignee", "alice"}});
  const std::string path = "/api/v1/tickets/" + key;
  ASSERT_EQ(http("GET", d.url(path)).j()["status"], "assigned");
  Reply r = http("PATCH", d.url(path), R"({"assignee": null})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.j()["status"], "new");
  EXPECT_TRUE(r.j()["assignee"].is_null() || r.j()["assignee"] == "") << r.body;
  json tl = http("GET", d.url(path + "/timeline")).j()["timeline"];
  ASSERT_GE(tl.size(), 3u);
  EXPECT_EQ(tl[tl.size() - 1]["kind"], "status");
  EXPECT_EQ(tl[tl.size() - 1]["message"], "assigned -> new");
  EXPECT_EQ(tl[tl.size() - 2]["kind"], "assignment");

  ASSERT_EQ(run(ctl + " tickets assign " + key + " bob").first, 0);
  EXPECT_EQ(http("GET", d.url(path)).j()["status"], "assigned");
  auto [rc, out] = run(ctl + " tickets unassign " + key);
  EXPECT_EQ(rc, 0) << out;
  EXPECT_NE(out.find(key + "  new"), std::string::npos) << out;
  json t = http("GET", d.url(path)).j();
  EXPECT_EQ(t["status"], "new");
  EXPECT_EQ(d.tickets("?assignee=none")["total"], 1);
  auto [src, shown] = run(ctl + " tickets show " + key);
  EXPECT_NE(shown.find("transitions"), std::string::npos) << shown;
  // An acknowledged ticket keeps its status when unassigned.
  ASSERT_EQ(run(ctl + " tickets assign " + key + " carol").first, 0);
  ASSERT_EQ(run(ctl + " tickets ack " + key).first, 0);
  EXPECT_EQ(http("PATCH", d.url(path), R"({"assignee": ""})").j()["status"], "in_progress");
  EXPECT_EQ(http("PATCH", d.url(path), R"({"assignee": 7})").status, 400);
}

}  // namespace
