// kind: rt against a real Request Tracker 5 on loopback, started by
// tests/backends/rt5.sh (Debian packages request-tracker5, rt5-db-sqlite,
// rt5-standalone; skipped when they are absent). The instance is shared by
// the test processes of one ctest run: each registers as a user of it and
// RT stops a few seconds after the last one exits. Tickets carry keys unique
// to this process, so tests never see each other's tickets.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>

#include "../fakes/fake_server.hpp"
#include "ticketd/connectors/connector.hpp"

namespace ticketd::connectors {
namespace {

const std::string kScript = std::string(TICKETD_SOURCE_DIR) + "/tests/backends/rt5.sh";
const std::string kDir = std::string(TICKETD_BINARY_DIR) + "/tests/rt5";

// The KEY=VALUE lines rt5.sh printed, and why the suite cannot run when it
// cannot.
std::map<std::string, std::string> g_rt;
std::string g_skip, g_error;

std::string run(const std::string& cmd, int* exit_code) {
  std::string out;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) {
    *exit_code = -1;
    return out;
  }
  char buf[512];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  const int st = ::pclose(p);
  *exit_code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return out;
}

class RtConnector : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!g_rt.empty() || !g_skip.empty() || !g_error.empty()) return;
    const auto t0 = std::chrono::steady_clock::now();
    int code = 0;
    const std::string out =
        run(kScript + " start " + kDir + " --owner " + std::to_string(::getpid()) + " --linger 15",
            &code);
    if (code == 77) {
      g_skip =
          "Request Tracker 5 is not installed (Debian packages request-tracker5, rt5-db-sqlite, "
          "rt5-standalone; scripts/install-deps.sh installs them)";
      return;
    }
    if (code != 0) {
      g_error = "rt5.sh start failed (exit " + std::to_string(code) + "): " + out;
      return;
    }
    std::istringstream in(out);
    for (std::string line; std::getline(in, line);) {
      const size_t eq = line.find('=');
      if (eq != std::string::npos) g_rt[line.substr(0, eq)] = line.substr(eq + 1);
    }
    if (g_rt["RT_URL"].empty() || g_rt["RT_TOKEN"].empty()) g_error = "rt5.sh printed: " + out;
    const auto ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0)
            .count();
    std::fprintf(stderr, "RT at %s (ready in %lld ms)\n", g_rt["RT_URL"].c_str(),
                 static_cast<long long>(ms));
  }
  static void TearDownTestSuite() {
    if (g_rt.empty()) return;
    int code = 0;
    run(kScript + " release " + kDir + " " + std::to_string(::getpid()), &code);
  }

  void SetUp() override {
    if (!g_skip.empty()) GTEST_SKIP() << g_skip;
    ASSERT_TRUE(g_error.empty()) << g_error;
    http_ = make_curl_client({});
  }

  BackendConfig config() const {
    BackendConfig c;
    c.name = "rt";
    c.kind = "rt";
    c.url = g_rt.at("RT_URL");
    c.secrets["token"] = g_rt.at("RT_TOKEN");
    // Unique to this process: the RT database outlives it.
    c.key_prefix = "t" + std::to_string(::getpid()) + "-" +
                   std::to_string(std::chrono::system_clock::now().time_since_epoch().count()) +
                   "-";
    return c;
  }

  std::unique_ptr<Connector> connector(const BackendConfig& c) {
    auto conn = make_connector(c, *http_);
    EXPECT_TRUE(conn) << conn.error().message();
    return conn ? std::move(*conn) : nullptr;
  }

  // GET on REST2 as root, for checking what RT holds.
  nlohmann::json rest(const std::string& path) {
    HttpRequest req;
    req.url = g_rt.at("RT_URL") + "/REST/2.0" + path;
    req.header("Authorization", "token " + g_rt.at("RT_TOKEN"));
    auto r = http_->send(req);
    EXPECT_TRUE(r && r->status == 200) << path << ": " << (r ? r->body : r.error().message());
    return r ? nlohmann::json::parse(r->body, nullptr, false) : nlohmann::json();
  }
  nlohmann::json ticket(const std::string& id) {
    return rest("/ticket/" + id + "?fields%5BQueue%5D=Name");
  }
  static std::string key_value(const nlohmann::json& tk) {
    for (const auto& cf : tk.value("CustomFields", nlohmann::json::array())) {
      if (cf.value("name", "") == "TicketdKey" && !cf["values"].empty()) return cf["values"][0];
    }
    return "";
  }
  // The types of the ticket's transactions, oldest first.
  std::vector<std::string> history(const std::string& id) {
    std::vector<std::string> out;
    auto h = rest("/ticket/" + id + "/history?fields=Type&per_page=100");
    for (const auto& t : h["items"]) out.push_back(t.value("Type", ""));
    return out;
  }

  static Ticket sample() {
    Ticket t;
    t.key = "INC-000042";
    t.title = "Disk full on db01";
    t.description = "/var is at 97% on db01";
    t.priority = Priority::kP2;
    t.team = "dba";
    return t;
  }

  std::unique_ptr<HttpClient> http_;
};

TEST_F(RtConnector, CreateFindCommentUpdateResolveReopen) {
  BackendConfig c = config();
  c.map["team"] = {{"ops", "Ops"}};
  c.map["assignee"] = {{"alice.smith", "alice"}};
  auto rt = connector(c);
  ASSERT_TRUE(rt);
  Ticket t = sample();
  const std::string corr = correlation_key(c, t.key);

  auto created = rt->create(t, corr);
  ASSERT_TRUE(created.ok()) << created.failure().message;
  const ExternalRef ref = created.value();
  EXPECT_FALSE(ref.id.empty());
  EXPECT_EQ(ref.key, ref.id);
  EXPECT_EQ(ref.url, c.url + "/Ticket/Display.html?id=" + ref.id);
  nlohmann::json tk = ticket(ref.id);
  EXPECT_EQ(key_value(tk), corr);
  EXPECT_EQ(tk["Queue"]["Name"], "General");  // team dba is not mapped: the default queue
  EXPECT_EQ(tk["Subject"], "Disk full on db01");
  EXPECT_EQ(tk["Priority"], "70");  // P2
  EXPECT_EQ(tk["Status"], "new");

  auto found = rt->find(corr);
  ASSERT_TRUE(found.ok()) << found.failure().message;
  ASSERT_TRUE(found.value().has_value());
  EXPECT_EQ(*found.value(), ref);
  for (const std::string& other :
       {corr + "0", corr.substr(0, corr.size() - 1), corr + "' OR 'x'='x"}) {
    auto none = rt->find(other);
    ASSERT_TRUE(none.ok()) << none.failure().message;
    EXPECT_FALSE(none.value().has_value()) << other;
  }

  ASSERT_TRUE(rt->comment(ref, t, "3 more occurrences").ok());
  auto h = history(ref.id);
  EXPECT_EQ(std::count(h.begin(), h.end(), "Comment"), 1);

  t.priority = Priority::kP1;
  t.title = "Disk full on db01 and db02";
  t.team = "ops";
  t.assignee = "alice.smith";
  auto up = rt->update(ref, t);
  ASSERT_TRUE(up.ok()) << up.failure().message;
  tk = ticket(ref.id);
  EXPECT_EQ(tk["Priority"], "90");
  EXPECT_EQ(tk["Subject"], "Disk full on db01 and db02");
  EXPECT_EQ(tk["Queue"]["Name"], "Ops");
  EXPECT_EQ(tk["Owner"]["id"], "alice");
  EXPECT_EQ(key_value(tk), corr);  // Ops has the field too

  ASSERT_TRUE(rt->transition(ref, t, RemoteState::kResolved, "disk cleaned").ok());
  EXPECT_EQ(ticket(ref.id)["Status"], "resolved");
  h = history(ref.id);
  EXPECT_EQ(std::count(h.begin(), h.end(), "Comment"), 2);
  // Already there: success, and no second note.
  ASSERT_TRUE(rt->transition(ref, t, RemoteState::kResolved, "disk cleaned").ok());
  // closed: RT's default lifecycle has no "closed"; resolved stands for it.
  ASSERT_TRUE(rt->transition(ref, t, RemoteState::kClosed, "").ok());
  h = history(ref.id);
  EXPECT_EQ(std::count(h.begin(), h.end(), "Comment"), 2);
  EXPECT_EQ(ticket(ref.id)["Status"], "resolved");

  ASSERT_TRUE(rt->transition(ref, t, RemoteState::kReopened, "").ok());
  EXPECT_EQ(ticket(ref.id)["Status"], "open");
  // Still findable by key after all that.
  found = rt->find(corr);
  ASSERT_TRUE(found.ok() && found.value());
  EXPECT_EQ(found.value()->id, ref.id);
}

// The outbox worker creates, then records the ExternalRef locally. When it
// dies in between, the retry looks the key up before creating again.
TEST_F(RtConnector, NoDuplicateAfterCrashBetweenCreateAndCommit) {
  const BackendConfig c = config();
  auto rt = connector(c);
  ASSERT_TRUE(rt);
  const Ticket t = sample();
  const std::string corr = correlation_key(c, t.key);
  auto first = rt->find(corr);
  ASSERT_TRUE(first.ok()) << first.failure().message;
  ASSERT_FALSE(first.value().has_value());
  auto created = rt->create(t, corr);
  ASSERT_TRUE(created.ok()) << created.failure().message;
  // … crash: the ref is lost. The retry, with a fresh connector:
  auto again = connector(c);
  auto found = again->find(corr);
  ASSERT_TRUE(found.ok()) << found.failure().message;
  ASSERT_TRUE(found.value().has_value()) << "a retry would file a second ticket";
  EXPECT_EQ(found.value()->id, created.value().id);
  auto all = rest("/tickets?query=" + url_encode("CF.{TicketdKey} = '" + corr + "'"));
  EXPECT_EQ(all["total"], 1);
}

TEST_F(RtConnector, BadCredentialsAreAuthFailures) {
  BackendConfig c = config();
  c.secrets["token"] = "1-1-00000000000000000000000000000000";
  auto bad = connector(c);
  ASSERT_TRUE(bad);
  auto f = bad->find("whatever");
  ASSERT_FALSE(f.ok());
  EXPECT_EQ(f.failure().kind, Failure::Kind::kAuth) << f.failure().message;
  EXPECT_EQ(f.failure().http_status, 401);
  auto cr = bad->create(sample(), "whatever");
  ASSERT_FALSE(cr.ok());
  EXPECT_EQ(cr.failure().kind, Failure::Kind::kAuth);

  c.secrets.clear();
  c.settings = {{"user", g_rt.at("RT_USER")}};
  c.secrets["password"] = "not-" + g_rt.at("RT_PASSWORD");
  auto wrong = connector(c);
  ASSERT_TRUE(wrong);
  EXPECT_EQ(wrong->find("whatever").failure().kind, Failure::Kind::kAuth);

  c.secrets["password"] = g_rt.at("RT_PASSWORD");  // Basic auth, right password
  auto basic = connector(c);
  ASSERT_TRUE(basic);
  auto ok = basic->find("whatever");
  ASSERT_TRUE(ok.ok()) << ok.failure().message;
  EXPECT_FALSE(ok.value().has_value());
}

// Queue Bare does not have the TicketdKey field: RT takes the ticket and
// drops the key without a word.
TEST_F(RtConnector, KeyFieldNotAppliedToTheQueueIsRejected) {
  BackendConfig c = config();
  c.map["team"] = {{"dba", "Bare"}};
  auto rt = connector(c);
  ASSERT_TRUE(rt);
  const std::string corr = correlation_key(c, "INC-000042");
  auto created = rt->create(sample(), corr);
  ASSERT_FALSE(created.ok());
  const Failure& f = created.failure();
  EXPECT_EQ(f.kind, Failure::Kind::kRejected);
  EXPECT_NE(f.message.find("apply the custom field TicketdKey"), std::string::npos) << f.message;
  EXPECT_NE(f.message.find("queue Bare"), std::string::npos) << f.message;
  // The copy RT made is set aside, not left open.
  auto hits =
      rest("/tickets?query=" + url_encode("Queue = 'Bare' AND Subject = 'Disk full on db01'") +
           "&fields=Status&orderby=id&order=DESC");
  ASSERT_GE(hits["items"].size(), 1u);
  EXPECT_EQ(hits["items"][0]["Status"], "rejected");
}

// A PUT answers 200 even when RT refuses part of it.
TEST_F(RtConnector, RefusalsInsideA200AreReported) {
  BackendConfig c = config();
  c.map["assignee"] = {{"bob", "no-such-user"}};
  auto rt = connector(c);
  ASSERT_TRUE(rt);
  Ticket t = sample();
  auto created = rt->create(t, correlation_key(c, t.key));
  ASSERT_TRUE(created.ok()) << created.failure().message;
  t.assignee = "bob";
  t.priority = Priority::kP4;
  auto up = rt->update(created.value(), t);
  ASSERT_FALSE(up.ok());
  EXPECT_EQ(up.failure().kind, Failure::Kind::kRejected);
  EXPECT_NE(up.failure().message.find("Owner"), std::string::npos) << up.failure().message;
  EXPECT_NE(up.failure().message.find("That user does not exist"), std::string::npos)
      << up.failure().message;
  EXPECT_EQ(ticket(created.value().id)["Priority"], "30");  // the rest went through

  c.settings = {{"closed_status", "closed"}};  // not in RT's default lifecycle
  auto closing = connector(c);
  auto tr = closing->transition(created.value(), t, RemoteState::kClosed, "");
  ASSERT_FALSE(tr.ok());
  EXPECT_EQ(tr.failure().kind, Failure::Kind::kRejected);
  EXPECT_NE(tr.failure().message.find("isn't a valid status"), std::string::npos)
      << tr.failure().message;

  // A ticket that is not there: 404, rejected.
  auto gone = rt->update({"rt", "99999999", "99999999", ""}, t);
  ASSERT_FALSE(gone.ok());
  EXPECT_EQ(gone.failure().kind, Failure::Kind::kRejected);
  EXPECT_EQ(gone.failure().http_status, 404);
}

// Sync back: the Scrip of docs/backends/rt.md (installed by rt5.sh, posting
// to the URL in var/ticketd-webhook-url) reports a person's status change
// in a body parse_webhook() reads.
TEST_F(RtConnector, StatusScripPostsWhatParseWebhookReads) {
  ticketd_test::FakeServer ticketd("webhook");  // stands in for /api/v1/backends/rt/webhook
  const std::string url_file = kDir + "/run/var/ticketd-webhook-url";
  { std::ofstream(url_file) << ticketd.url() << "/api/v1/backends/rt/webhook\n"; }
  const BackendConfig c = config();
  auto rt = connector(c);
  ASSERT_TRUE(rt);
  const Ticket t = sample();
  auto created = rt->create(t, correlation_key(c, t.key));
  ASSERT_TRUE(created.ok()) << created.failure().message;
  const std::string id = created.value().id;

  // A person resolves it in RT, then reopens it.
  auto put = [&](const std::string& status) {
    HttpRequest req;
    req.method = "PUT";
    req.url = g_rt.at("RT_URL") + "/REST/2.0/ticket/" + id;
    req.header("Authorization", basic_auth(g_rt.at("RT_USER"), g_rt.at("RT_PASSWORD")));
    req.header("Content-Type", "application/json");
    req.body = nlohmann::json{{"Status", status}}.dump();
    auto r = http_->send(req);
    ASSERT_TRUE(r && r->status == 200) << (r ? r->body : r.error().message());
  };
  put("resolved");
  put("open");
  std::remove(url_file.c_str());

  std::vector<RemoteChange> changes;
  for (const auto& req : ticketd.requests()) {  // other processes' tickets may be there too
    EXPECT_EQ(req["path"], "/api/v1/backends/rt/webhook");
    auto parsed = rt->parse_webhook(req["body"].get<std::string>());
    ASSERT_TRUE(parsed) << parsed.error().message() << ": " << req["body"];
    for (auto& ch : *parsed) {
      if (ch.remote_id == id) changes.push_back(ch);
    }
  }
  ASSERT_EQ(changes.size(), 2u);
  EXPECT_EQ(changes[0].state, RemoteState::kResolved);
  EXPECT_EQ(changes[0].by, "root");
  EXPECT_EQ(changes[1].state, RemoteState::kReopened);
  const auto age = std::chrono::system_clock::now() - changes[0].updated;
  EXPECT_LT(std::chrono::abs(age), std::chrono::minutes(1));
}

// --- Without RT ---

BackendConfig offline_config() {
  BackendConfig c;
  c.name = "rt";
  c.kind = "rt";
  c.url = "http://127.0.0.1:1";
  c.secrets["token"] = "1-2-abc";
  return c;
}

TEST(RtWebhook, StatusChangesBecomeRemoteChanges) {
  auto http = make_curl_client({});
  BackendConfig c = offline_config();
  c.map["status"] = {{"stalled", "ignore"}};
  auto rt = make_connector(c, *http);
  ASSERT_TRUE(rt) << rt.error().message();
  auto one = (*rt)->parse_webhook(
      R"({"id": "20", "status": "resolved", "by": "alice", "note": "fixed",
          "updated": "2026-12-01T10:00:00Z"})");
  ASSERT_TRUE(one) << one.error().message();
  ASSERT_EQ(one->size(), 1u);
  EXPECT_EQ((*one)[0].remote_id, "20");
  EXPECT_EQ((*one)[0].state, RemoteState::kResolved);
  EXPECT_EQ((*one)[0].by, "alice");
  EXPECT_EQ((*one)[0].note, "fixed");
  EXPECT_EQ(format_rfc3339((*one)[0].updated), "2026-12-01T10:00:00.000Z");

  auto many = (*rt)->parse_webhook(
      R"([{"id": 21, "status": "open"}, {"id": "22", "status": "rejected"},
          {"id": "23", "status": "stalled"}, {"id": "24", "status": "someday"}])");
  ASSERT_TRUE(many) << many.error().message();
  ASSERT_EQ(many->size(), 2u);  // stalled: ignored by the map; someday: unknown
  EXPECT_EQ((*many)[0].remote_id, "21");
  EXPECT_EQ((*many)[0].updated, TimePoint{});  // not said: the receiver's time of arrival
  EXPECT_EQ((*many)[0].state, RemoteState::kReopened);
  EXPECT_EQ((*many)[1].state, RemoteState::kClosed);

  EXPECT_FALSE((*rt)->parse_webhook("not json"));
  EXPECT_FALSE((*rt)->parse_webhook(R"({"status": "resolved"})"));
  EXPECT_FALSE((*rt)->parse_webhook(R"({"id": "20"})"));
  EXPECT_FALSE((*rt)->parse_webhook(R"({"id": "x20", "status": "resolved"})"));
  EXPECT_FALSE((*rt)->parse_webhook(R"({"id": "20", "status": "resolved", "updated": "soon"})"));
  EXPECT_FALSE((*rt)->polls());
}

TEST(RtConfig, CredentialsAndMapsAreChecked) {
  auto http = make_curl_client({});
  BackendConfig c = offline_config();
  c.secrets.clear();
  auto none = make_connector(c, *http);
  ASSERT_FALSE(none);
  EXPECT_NE(none.error().message().find("token_file"), std::string::npos);
  c.settings = {{"user", "root"}};
  auto no_password = make_connector(c, *http);
  ASSERT_FALSE(no_password);
  EXPECT_NE(no_password.error().message().find("password_file"), std::string::npos);
  c.secrets["password"] = "pw";
  EXPECT_TRUE(make_connector(c, *http));

  c = offline_config();
  c.map["priority"] = {{"P1", "High"}};
  auto words = make_connector(c, *http);
  ASSERT_FALSE(words);
  EXPECT_NE(words.error().message().find("map.priority.P1"), std::string::npos);

  c = offline_config();
  c.settings = {{"key_field", "Key}"}};
  EXPECT_FALSE(make_connector(c, *http));
  c.settings = {{"queu", "General"}};
  auto typo = make_connector(c, *http);
  ASSERT_FALSE(typo);
  EXPECT_NE(typo.error().message().find("did you mean \"queue\""), std::string::npos)
      << typo.error().message();
}

}  // namespace
}  // namespace ticketd::connectors
