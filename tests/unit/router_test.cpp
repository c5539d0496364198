// The API's router without sockets: the route table, roles, signatures,
// typed commands, and the paths where the pipeline or the store fail. The
// pipeline is a fake Intake that runs commands on a real engine; the store
// is an in-memory fake whose reads can fail or block on demand.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <chrono>
#include <condition_variable>
#include <future>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "ticketd/api/http_server.hpp"
#include "ticketd/api/routes.hpp"
#include "ticketd/engine/engine.hpp"
#include "ticketd/store/store.hpp"

namespace ticketd::api {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

// The pipeline: accepts or refuses, completes submissions with a chosen
// status (a failed commit), runs commands on a real engine.
class FakeIntake final : public Intake {
 public:
  FakeIntake() : engine_(nullptr) {}
  Status refuse = Status::ok();  // what try_submit/try_command answer
  Status commit = Status::ok();  // what `done` receives
  std::atomic<int> submissions{0}, commands{0};
  std::vector<Event> events;
  engine::Actions committed;

  Status try_submit(std::vector<Event>&& batch, Done done) override {
    if (!refuse) return refuse;
    ++submissions;
    {
      std::lock_guard lock(mu_);
      for (auto& e : batch) events.push_back(std::move(e));
    }
    if (done && done_delay.count() > 0) {
      late_.emplace_back([done, st = commit, d = done_delay] {
        std::this_thread::sleep_for(d);
        done(st);
      });
    } else if (done) {
      done(commit);
    }
    return Status::ok();
  }
  std::chrono::milliseconds done_delay{0};  // > 0: `done` runs this much later, on another thread
  ~FakeIntake() override {
    for (auto& t : late_) t.join();
  }
  Status try_command(Command command, Reply reply) override {
    if (!refuse) return refuse;
    ++commands;
    std::lock_guard lock(mu_);
    engine::Actions out;
    Result<json> r = command(engine_, TimePoint{} + std::chrono::hours(24 * 365 * 50), out);
    if (r && !commit) {
      reply(commit);
      return Status::ok();
    }
    for (auto& a : out) committed.push_back(std::move(a));
    reply(std::move(r));
    return Status::ok();
  }
  Health health() const override { return health_; }
  Health health_;

 private:
  std::vector<std::thread> late_;
  std::mutex mu_;
  engine::Engine engine_;
};

// Tickets in a map. `fail` makes every read fail; `block` holds list_tickets
// until released.
class FakeStore final : public store::Store {
 public:
  std::map<std::string, Ticket> tickets;
  Status fail = Status::ok();
  bool block = false;
  std::mutex mu;
  std::condition_variable cv;
  bool blocked_now = false;

  void release() {
    std::lock_guard lock(mu);
    block = false;
    cv.notify_all();
  }

  Status apply(const Actions&) override { return Status::ok(); }
  Result<StoredState> load_state() override { return StoredState{}; }
  Result<std::optional<Ticket>> get_ticket(const std::string& key) override {
    if (!fail) return fail;
    auto it = tickets.find(key);
    if (it == tickets.end()) return std::optional<Ticket>();
    return std::optional<Ticket>(it->second);
  }
  Result<store::TicketPage> list_tickets(const store::TicketQuery&) override {
    std::unique_lock lock(mu);
    blocked_now = block;
    cv.notify_all();
    cv.wait(lock, [this] { return !block; });
    blocked_now = false;
    if (!fail) return fail;
    store::TicketPage page;
    for (const auto& [k, t] : tickets) page.tickets.push_back(t);
    return page;
  }
  Result<std::vector<TimelineEntry>> timeline(const std::string&) override {
    if (!fail) return fail;
    return std::vector<TimelineEntry>{};
  }
  Result<std::vector<store::StoredEvent>> ticket_events(const std::string&, int) override {
    if (!fail) return fail;
    return std::vector<store::StoredEvent>{};
  }
  Result<std::vector<std::string>> list_silences() override {
    if (!fail) return fail;
    return std::vector<std::string>{};
  }
  Result<store::StoreStats> stats() override {
    if (!fail) return fail;
    return store::StoreStats{};
  }
  Result<std::vector<store::SimilarTicket>> similar(const Ticket&,
                                                    const store::SimilarQuery&) override {
    if (!fail) return fail;
    return std::vector<store::SimilarTicket>{};
  }
  // trends: its days, empty; the query is kept.
  std::optional<store::TrendsQuery> last_trends;
  Result<store::Trends> trends(const store::TrendsQuery& q) override {
    if (!fail) return fail;
    last_trends = q;
    store::Trends out;
    for (int d = 0; d < q.days; ++d) out.per_day.push_back({q.since + d * 24h, 0, 0});
    return out;
  }
  // Events: `recent` (newest first) and per ticket (newest first).
  std::vector<store::StoredEvent> recent;
  std::map<std::string, std::vector<store::StoredEvent>> events_of;
  std::optional<TimePoint> recent_since;
  Result<std::vector<store::StoredEvent>> recent_events(TimePoint since, int limit) override {
    if (!fail) return fail;
    recent_since = since;
    std::vector<store::StoredEvent> out;
    for (const auto& e : recent) {
      if (e.received_at >= since && static_cast<int>(out.size()) < limit) out.push_back(e);
    }
    return out;
  }
  Result<std::map<std::string, std::vector<store::StoredEvent>>> latest_ticket_events(
      const std::vector<std::string>& keys, int per_ticket) override {
    if (!fail) return fail;
    std::map<std::string, std::vector<store::StoredEvent>> out;
    for (const auto& key : keys) {
      auto it = events_of.find(key);
      if (it == events_of.end()) continue;
      for (const auto& e : it->second) {
        if (static_cast<int>(out[key].size()) < per_ticket) out[key].push_back(e);
      }
    }
    return out;
  }
  // list_events: `recent` filtered (no paging); the query it was asked.
  std::optional<store::EventQuery> last_event_query;
  Result<store::EventPage> list_events(const store::EventQuery& q) override {
    if (!fail) return fail;
    last_event_query = q;
    store::EventPage page;
    for (const auto& e : recent) {
      if (q.decision && e.decision != *q.decision) continue;
      if (q.since && e.received_at < *q.since) continue;
      if (q.until && e.received_at >= *q.until) continue;
      if (q.rule && e.rule != *q.rule) continue;
      if (q.host && e.event.host != *q.host) continue;
      if (q.ticket && e.ticket_key != *q.ticket) continue;
      if (static_cast<int>(page.events.size()) < q.limit) page.events.push_back(e);
    }
    return page;
  }
  Result<int64_t> prune_events(TimePoint) override { return 0; }
  // The outbox: one entry (id 7) to list, retry and drop.
  bool entry_present = true;
  Result<std::vector<store::OutboxEntry>> outbox_due(const std::string&, TimePoint, int) override {
    return std::vector<store::OutboxEntry>{};
  }
  Status outbox_started(const std::vector<int64_t>&) override { return Status::ok(); }
  Status outbox_not_started(const std::vector<int64_t>&) override { return Status::ok(); }
  Result<int64_t> outbox_release(const std::string&, TimePoint) override { return int64_t{0}; }
  Status outbox_done(int64_t, const std::optional<ExternalRef>&,
                     const std::optional<TimelineEntry>&) override {
    return Status::ok();
  }
  Status outbox_defer(int64_t, TimePoint, const std::string&, bool) override {
    return Status::ok();
  }
  Result<std::vector<store::OutboxEntry>> outbox_list(const store::OutboxQuery&) override {
    if (!fail) return fail;
    std::vector<store::OutboxEntry> out;
    if (entry_present) {
      store::OutboxEntry e;
      e.id = 7;
      e.target = "jira";
      e.ticket_key = "INC-000001";
      e.kind = "create";
      e.held = true;
      e.last_error = "HTTP 400";
      out.push_back(e);
    }
    return out;
  }
  Result<bool> outbox_retry(int64_t id, TimePoint) override {
    if (!fail) return fail;
    return entry_present && id == 7;
  }
  Result<bool> outbox_drop(int64_t id) override {
    if (!fail) return fail;
    const bool had = entry_present && id == 7;
    entry_present = entry_present && !had;
    return had;
  }
  Result<std::map<std::string, store::OutboxDepth>> outbox_depth() override {
    return std::map<std::string, store::OutboxDepth>{};
  }
  Result<std::optional<ExternalRef>> external_ref(const std::string&, const std::string&) override {
    return std::optional<ExternalRef>();
  }
  Result<std::optional<std::string>> ticket_for_remote(const std::string&,
                                                       const std::string&) override {
    return std::optional<std::string>();
  }
};

HttpRequest request(std::string method, std::string path, std::string body = "",
                    std::string token = "") {
  HttpRequest r;
  r.method = std::move(method);
  r.path = std::move(path);
  r.body = std::move(body);
  if (!r.body.empty()) r.headers["content-type"] = "application/json";
  if (!token.empty()) r.headers["authorization"] = "Bearer " + token;
  r.peer = "127.0.0.1:1";
  return r;
}

std::string hmac_hex(const std::string& secret, const std::string& body) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(body.data()), body.size(), digest, &len);
  std::string hex;
  for (unsigned int i = 0; i < len; ++i) {
    static const char* d = "0123456789abcdef";
    hex += d[digest[i] >> 4];
    hex += d[digest[i] & 15];
  }
  return hex;
}

class RouterTest : public ::testing::Test {
 protected:
  void make(std::vector<ApiToken> tokens = {}, std::vector<WebhookSignature> sigs = {},
            size_t readers = 2, size_t queue = 64) {
    RouterDeps deps{intake_, store_,  clock_,          std::move(tokens),
                    "test",  nullptr, std::move(sigs), nullptr};
    deps.reload_rules = [](std::vector<std::string>*) -> Result<size_t> { return size_t{3}; };
    deps.metrics = [] { return std::string("ticketd_up 1\n"); };
    deps.reader_threads = readers;
    deps.reader_queue = queue;
    router_ = std::make_unique<Router>(std::move(deps));
  }
  // handle() and wait for its one answer.
  HttpResponse call(HttpRequest req) {
    auto answer = std::make_shared<std::promise<HttpResponse>>();
    auto calls = std::make_shared<std::atomic<int>>(0);
    auto f = answer->get_future();
    router_->handle(std::move(req), [answer, calls](HttpResponse r) {
      if (++*calls == 1)
        answer->set_value(std::move(r));
      else
        ADD_FAILURE() << "respond called twice";
    });
    EXPECT_EQ(f.wait_for(10s), std::future_status::ready);
    return f.get();
  }
  void add_ticket(const std::string& key, const std::string& title) {
    Ticket t;
    t.key = key;
    t.title = title;
    store_.tickets[key] = t;
  }
  static json body(const HttpResponse& r) { return json::parse(r.body); }
  static std::string header(const HttpResponse& r, const std::string& name) {
    for (const auto& [k, v] : r.headers) {
      if (k == name) return v;
    }
    return "";
  }

  FakeIntake intake_;
  FakeStore store_;
  ManualClock clock_{from_unix_ms(1'700'000'000'000)};
  std::unique_ptr<Router> router_;
};

// The secret of each of all_roles()' tokens (the router keeps only digests).
std::string secret_of(const ApiToken& t) {
  const std::map<std::string, std::string> secrets = {
      {"ing", "t-ingest"}, {"reader", "t-read"}, {"writer", "t-write"}, {"boss", "t-admin"}};
  return secrets.at(t.name);
}

std::vector<ApiToken> all_roles() {
  return {ApiToken::from_secret("ing", "t-ingest", Role::kIngest),
          ApiToken::from_secret("reader", "t-read", Role::kRead),
          ApiToken::from_secret("writer", "t-write", Role::kWrite),
          ApiToken::from_secret("boss", "t-admin", Role::kAdmin)};
}

// A concrete path for a pattern: {key} -> INC-000001, {id} -> s-1.
std::string concrete(std::string pattern) {
  for (auto [from, to] :
       {std::pair<std::string, std::string>{"{key}", "INC-000001"}, {"{id}", "s-1"}}) {
    if (auto i = pattern.find(from); i != std::string::npos) pattern.replace(i, from.size(), to);
  }
  return pattern;
}

TEST_F(RouterTest, EveryRouteOfTheTableIsReachedAndUnknownOnesAreNot) {
  make();
  add_ticket("INC-000001", "disk full");
  for (const Router::Route& r : Router::routes()) {
    HttpResponse resp = call(request(r.method, concrete(r.pattern)));
    EXPECT_EQ(resp.body.find("no route for"), std::string::npos) << r.method << " " << r.pattern;
    EXPECT_NE(resp.status, 405) << r.method << " " << r.pattern << ": " << resp.body;
  }
  EXPECT_EQ(call(request("GET", "/api/v1/nothing")).status, 404);
  EXPECT_EQ(call(request("GET", "/api/v1/tickets/")).status, 404);
  EXPECT_EQ(call(request("GET", "/api/v1/tickets/INC-000001/nothing")).status, 404);
}

TEST_F(RouterTest, AWrongMethodIs405NamingTheAllowedOnes) {
  make();
  HttpResponse r = call(request("PUT", "/api/v1/tickets/INC-000001"));
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(header(r, "Allow"), "GET, PATCH");
  EXPECT_EQ(body(r)["error"]["code"], "method_not_allowed");
  r = call(request("PUT", "/api/v1/events"));
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(header(r, "Allow"), "POST, GET");
  EXPECT_EQ(intake_.submissions, 0);
}

TEST_F(RouterTest, EveryRouteChecksItsRoleAndAdmitAgreesWithHandle) {
  make(all_roles());
  add_ticket("INC-000001", "disk full");
  for (const Router::Route& r : Router::routes()) {
    for (const ApiToken& t : all_roles()) {
      HttpRequest head = request(r.method, concrete(r.pattern), "", secret_of(t));
      const std::optional<HttpResponse> admitted = router_->admit(head);
      const HttpResponse handled = call(head);
      const bool allowed = !r.role || role_allows(t.role, *r.role);
      SCOPED_TRACE(std::string(r.method) + " " + r.pattern + " as " + t.name);
      EXPECT_EQ(!admitted.has_value(), allowed);
      if (allowed) {
        EXPECT_NE(handled.status, 401);
        EXPECT_NE(handled.status, 403);
      } else {
        EXPECT_EQ(handled.status, 403);
        EXPECT_EQ(admitted->status, 403);
      }
    }
    if (r.role) {
      EXPECT_EQ(call(request(r.method, concrete(r.pattern))).status, 401) << r.pattern;
      EXPECT_EQ(call(request(r.method, concrete(r.pattern), "", "wrong")).status, 401) << r.pattern;
    }
  }
  // An unknown path needs a valid token of any role to learn it is a 404.
  EXPECT_FALSE(router_->admit(request("GET", "/nothing", "", "t-ingest")));
  EXPECT_EQ(router_->admit(request("GET", "/nothing"))->status, 401);
}

TEST_F(RouterTest, EventsAreAnswered202OnlyOnceTheCommitSucceeds) {
  make();
  const std::string one = R"({"source":"api","host":"web-1","message":"disk full"})";
  HttpResponse r = call(request("POST", "/api/v1/events", one));
  EXPECT_EQ(r.status, 202) << r.body;
  EXPECT_EQ(body(r)["accepted"], 1);
  ASSERT_EQ(intake_.events.size(), 1u);
  EXPECT_EQ(intake_.events[0].host, "web-1");

  intake_.commit =
      Status::unavailable("store: disk full");  // the commit fails after the queue took it
  r = call(request("POST", "/api/v1/events", one));
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(header(r, "Retry-After"), "1");

  intake_.commit = Status::ok();
  intake_.refuse = Status::unavailable("queue full");  // the queue refuses
  r = call(request("POST", "/api/v1/events", "[" + one + "," + one + "]"));
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(intake_.events.size(), 2u);  // nothing more taken
}

TEST_F(RouterTest, ABatchWithOneBadEventIsRefusedWhole) {
  make();
  HttpResponse r = call(
      request("POST", "/api/v1/events", R"([{"message":"ok"},{"severity":"nope","message":"x"}])"));
  EXPECT_EQ(r.status, 422) << r.body;
  EXPECT_EQ(intake_.submissions, 0);
  r = call(request("POST", "/api/v1/events", "{not json"));
  EXPECT_EQ(r.status, 400);
  HttpRequest text = request("POST", "/api/v1/events", R"({"message":"x"})");
  text.headers["content-type"] = "text/plain";
  EXPECT_EQ(call(text).status, 415);
}

TEST_F(RouterTest, SignedEndpointsRefuseAMissingOrWrongSignature) {
  make({}, {{"alertmanager", "s3cret", "X-Signature-256"}});
  const std::string payload = R"({"version":"4","status":"firing","alerts":[{"status":"firing",
    "labels":{"alertname":"DiskFull","instance":"web-1"},"annotations":{},"startsAt":"2026-01-01T00:00:00Z"}]})";
  HttpRequest req = request("POST", "/api/v1/webhooks/alertmanager", payload);
  EXPECT_EQ(call(req).status, 401);
  req.headers["x-signature-256"] = "sha256=" + hmac_hex("wrong", payload);
  EXPECT_EQ(call(req).status, 401);
  req.headers["x-signature-256"] = "sha256=" + hmac_hex("s3cret", payload);
  HttpResponse r = call(req);
  EXPECT_EQ(r.status, 202) << r.body;
  // Another endpoint without a configured secret needs none.
  EXPECT_EQ(call(request("POST", "/api/v1/events", R"({"message":"x"})")).status, 202);
}

TEST_F(RouterTest, ATicketBodyBecomesATypedCommandOrA400BeforeTheEngine) {
  make();
  HttpResponse r = call(request("POST", "/api/v1/tickets",
                                R"({"title":"printer jam","urgency":"high","team":"desk"})"));
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(body(r)["priority"], "P2");
  EXPECT_EQ(body(r)["team"], "desk");
  EXPECT_EQ(intake_.commands, 1);

  for (const char* bad : {R"({"urgency":"high"})", R"({"title":"x","type":"bogus"})",
                          R"({"title":"x","impact":"huge"})", R"({"title":"x","labels":{"a":1}})",
                          R"({"title":7})", "[]"}) {
    r = call(request("POST", "/api/v1/tickets", bad));
    EXPECT_EQ(r.status, 400) << bad << ": " << r.body;
  }
  add_ticket("INC-000001", "printer jam");
  for (const char* bad : {R"({})", R"({"status":"done"})", R"({"title":"x"})",
                          R"({"impact":"high","urgency":"bad"})", R"({"team":5})"}) {
    r = call(request("PATCH", "/api/v1/tickets/INC-000001", bad));
    EXPECT_EQ(r.status, 400) << bad << ": " << r.body;
  }
  EXPECT_EQ(intake_.commands, 1);  // none of them reached the engine
  r = call(request("PATCH", "/api/v1/tickets/INC-404", R"({"status":"resolved"})"));
  EXPECT_EQ(r.status, 404);
}

TEST_F(RouterTest, StoreFailuresAreAnsweredAndNothingIsSubmitted) {
  make();
  add_ticket("INC-000001", "disk full");
  store_.fail = Status::io_error("sqlite: disk I/O error");
  for (const char* path :
       {"/api/v1/tickets", "/api/v1/tickets/INC-000001", "/api/v1/tickets/INC-000001/timeline",
        "/api/v1/tickets/INC-000001/events", "/api/v1/tickets/INC-000001/similar", "/api/v1/stats",
        "/api/v1/silences"}) {
    HttpResponse r = call(request("GET", path));
    EXPECT_EQ(r.status, 500) << path;
    EXPECT_EQ(body(r)["error"]["code"], "internal") << path;
  }
  HttpResponse r =
      call(request("POST", "/api/v1/tickets/INC-000001/notes", R"({"text":"looked at it"})"));
  EXPECT_EQ(r.status, 500);
  EXPECT_EQ(intake_.commands, 0);
}

TEST_F(RouterTest, ACommandWhoseCommitFailsIsAnswered503) {
  make();
  intake_.commit = Status::unavailable("store: disk full");
  HttpResponse r = call(request("POST", "/api/v1/tickets", R"({"title":"printer jam"})"));
  EXPECT_EQ(r.status, 503) << r.body;
  intake_.commit = Status::ok();
  intake_.refuse = Status::unavailable("stopping");
  r = call(
      request("POST", "/api/v1/silences",
              R"({"matchers":[{"name":"host","value":"a"}],"endsAt":"2099-01-01T00:00:00Z"})"));
  EXPECT_EQ(r.status, 503) << r.body;
}

TEST_F(RouterTest, ReadinessFollowsThePipelineHealth) {
  make();
  EXPECT_EQ(call(request("GET", "/readyz")).status, 200);
  intake_.health_.store_healthy = false;
  HttpResponse r = call(request("GET", "/readyz"));
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(body(r)["status"], "store_unavailable");
  intake_.health_.accepting = false;
  EXPECT_EQ(body(call(request("GET", "/readyz")))["status"], "stopping");
  EXPECT_EQ(call(request("HEAD", "/healthz")).status, 200);
}

TEST_F(RouterTest, ASlowStoreReadDoesNotHoldTheCallingThread) {
  make({}, {}, 1, 1);
  store_.block = true;
  std::promise<HttpResponse> slow;
  auto slow_answer = slow.get_future();
  const auto start = std::chrono::steady_clock::now();
  router_->handle(request("GET", "/api/v1/tickets"),
                  [&slow](HttpResponse r) { slow.set_value(std::move(r)); });
  // handle() returned although the read is still blocked in the store...
  {
    std::unique_lock lock(store_.mu);
    ASSERT_TRUE(store_.cv.wait_for(lock, 10s, [this] { return store_.blocked_now; }));
  }
  EXPECT_EQ(slow_answer.wait_for(0s), std::future_status::timeout);
  // ...and the I/O thread keeps answering events and health meanwhile.
  EXPECT_EQ(call(request("POST", "/api/v1/events", R"({"message":"x"})")).status, 202);
  EXPECT_EQ(call(request("GET", "/healthz")).status, 200);
  // With the one reader busy and its queue (1) full, a third read is refused.
  router_->handle(request("GET", "/api/v1/tickets"), [](HttpResponse) {});
  HttpResponse refused = call(request("GET", "/api/v1/stats"));
  EXPECT_EQ(refused.status, 503);
  EXPECT_EQ(header(refused, "Retry-After"), "1");
  store_.release();
  ASSERT_EQ(slow_answer.wait_for(10s), std::future_status::ready);
  EXPECT_EQ(slow_answer.get().status, 200);
  (void)start;
}

TEST_F(RouterTest, TheActorIsTheTokenNameWithTheBodysNameAdded) {
  make(all_roles());
  HttpResponse r =
      call(request("POST", "/api/v1/tickets",
                   "{\"title\":\"printer jam\",\"actor\":\"alice\\n(evil)\"}", "t-write"));
  ASSERT_EQ(r.status, 201) << r.body;
  bool found = false;
  for (const auto& a : intake_.committed) {
    if (const auto* tl = std::get_if<TimelineAdded>(&a)) {
      EXPECT_EQ(tl->entry.actor, "user:writer (alice evil)");
      found = true;
    }
  }
  EXPECT_TRUE(found);
}

// The server's stop(): no new connections, and the answer of a request
// already handed to the router is written before on_idle runs (counted, not
// waited for by a timer).
// days is 1..365 (default 30) and the window ends today (UTC, by the
// router's clock); team "none" (any case) asks for the tickets without one.
TEST_F(RouterTest, TrendsTakeWholeUtcDaysAndATeam) {
  make();
  // 2023-11-14T22:13:20Z: today began at 2023-11-14T00:00:00Z.
  const TimePoint today = from_unix_ms(1'699'920'000'000);
  HttpResponse r = call(request("GET", "/api/v1/trends"));
  ASSERT_EQ(r.status, 200) << r.body;
  ASSERT_TRUE(store_.last_trends);
  EXPECT_EQ(store_.last_trends->days, 30);
  EXPECT_EQ(store_.last_trends->since, today - 29 * 24h);
  EXPECT_FALSE(store_.last_trends->team);
  json j = body(r);
  EXPECT_EQ(j["days"], 30);
  EXPECT_EQ(j["since"], "2023-10-16T00:00:00.000Z");
  EXPECT_TRUE(j["team"].is_null());
  ASSERT_EQ(j["per_day"].size(), 30u);
  EXPECT_EQ(j["per_day"][0], json({{"date", "2023-10-16"}, {"opened", 0}, {"resolved", 0}}));
  EXPECT_EQ(j["per_day"][29]["date"], "2023-11-14");
  for (const char* key : {"by_priority", "by_team", "top_fingerprints", "top_rules"})
    EXPECT_EQ(j[key], json::array()) << key;

  HttpRequest one = request("GET", "/api/v1/trends");
  one.query = {{"days", "1"}, {"team", "None"}};
  r = call(one);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(store_.last_trends->since, today);
  EXPECT_EQ(store_.last_trends->team, std::optional<std::string>(""));
  EXPECT_EQ(body(r)["team"], "None");
  HttpRequest net = request("GET", "/api/v1/trends");
  net.query = {{"days", "365"}, {"team", "NET"}};
  ASSERT_EQ(call(net).status, 200);
  EXPECT_EQ(store_.last_trends->team, std::optional<std::string>("NET"));
  EXPECT_EQ(store_.last_trends->days, 365);

  for (const char* bad : {"0", "366", "-1", "7d", "1.5", "", "99999999999"}) {
    HttpRequest q = request("GET", "/api/v1/trends");
    q.query = {{"days", bad}};
    r = call(q);
    EXPECT_EQ(r.status, 400) << bad;
    EXPECT_EQ(body(r)["error"]["message"],
              std::string("days must be an integer from 1 to 365, got \"") + bad + "\"");
  }
  store_.fail = Status::io_error("disk gone");
  EXPECT_EQ(call(request("GET", "/api/v1/trends")).status, 500);
}

// GET /api/v1/events hands its filters to the store (since= as a time or a
// duration before the injected clock's now; empty ones mean any), shapes
// each event with its decision, and refuses bad parameters with 400.
TEST_F(RouterTest, ListEventsPassesItsFiltersAndRefusesBadOnes) {
  make(all_roles());
  const TimePoint now = clock_.now();
  store::StoredEvent e;
  e.id = 42;
  e.event.host = "db01";
  e.event.message = "disk full";
  e.received_at = now - 1h;
  e.decision = "unmatched";
  e.detail = "no rule";
  store_.recent = {e};
  auto get = [&](std::map<std::string, std::string> query) {
    HttpRequest r = request("GET", "/api/v1/events", "", "t-read");
    for (auto& [k, v] : query) r.query[k] = v;
    return call(r);
  };
  HttpResponse r = get({{"decision", "unmatched"},
                        {"since", "24h"},
                        {"until", "2100-01-01T00:00:00Z"},
                        {"host", "db01"},
                        {"rule", ""},
                        {"limit", "5"},
                        {"cursor", "99"}});
  ASSERT_EQ(r.status, 200) << r.body;
  ASSERT_TRUE(store_.last_event_query);
  const store::EventQuery& q = *store_.last_event_query;
  EXPECT_EQ(q.decision, "unmatched");
  EXPECT_EQ(q.since, now - 24h);
  EXPECT_EQ(q.until, parse_rfc3339("2100-01-01T00:00:00Z").value());
  EXPECT_EQ(q.host, "db01");
  EXPECT_FALSE(q.rule);
  EXPECT_FALSE(q.ticket);
  EXPECT_EQ(q.limit, 5);
  EXPECT_EQ(q.cursor, "99");
  const auto answer = body(r);
  ASSERT_EQ(answer["events"].size(), 1u);
  EXPECT_EQ(answer["events"][0]["id"], 42);
  EXPECT_EQ(answer["events"][0]["decision"], "unmatched");
  EXPECT_EQ(answer["events"][0]["detail"], "no rule");
  EXPECT_EQ(answer["events"][0]["ticket"], "");
  EXPECT_EQ(answer["events"][0]["received_at"], format_rfc3339(now - 1h));
  EXPECT_EQ(answer["events"][0]["event"]["host"], "db01");
  EXPECT_EQ(answer["events"][0]["event"]["message"], "disk full");
  EXPECT_TRUE(answer["next_cursor"].is_null());

  const std::vector<std::pair<std::map<std::string, std::string>, std::string>> bad = {
      {{{"decision", "nope"}},
       "unknown decision \"nope\", expected one of ticketed, deduplicated, grouped, reopened, "
       "pending, resolved, inhibited, silenced, dropped, unmatched"},
      {{{"since", "yesterday"}},
       "since must be an RFC 3339 time (2026-11-28T14:03:00Z) or a duration before now (30m, "
       "24h, 7d), got \"yesterday\""},
      {{{"until", "-5m"}},
       "until must be an RFC 3339 time (2026-11-28T14:03:00Z) or a duration before now (30m, "
       "24h, 7d), got \"-5m\""},
      {{{"limit", "0"}}, "limit must be an integer from 1 to 1000, got \"0\""},
      {{{"limit", "1001"}}, "limit must be an integer from 1 to 1000, got \"1001\""},
  };
  for (const auto& [query, message] : bad) {
    HttpResponse b = get(query);
    EXPECT_EQ(b.status, 400) << message;
    EXPECT_EQ(body(b)["error"]["message"], message);
  }
  EXPECT_EQ(call(request("GET", "/api/v1/events", "", "t-ingest")).status, 403);
  store_.fail = Status::invalid_argument("invalid cursor");
  EXPECT_EQ(get({{"cursor", "x"}}).status, 400);
}

// The preview validates its body as POST /api/v1/silences does, matches
// the silence against each open ticket's newest events and the last day's
// events, and changes nothing.
TEST_F(RouterTest, ASilencePreviewShowsWhatItWouldMatchAndAddsNothing) {
  make(all_roles());
  auto stored = [&](std::string host, std::string message, Labels labels, TimePoint received) {
    store::StoredEvent e;
    e.event.host = std::move(host);
    e.event.message = std::move(message);
    e.event.severity = Severity::kError;
    e.event.labels = std::move(labels);
    e.received_at = received;
    return e;
  };
  const TimePoint now = clock_.now();
  add_ticket("INC-000001", "disk full on db01");
  add_ticket("INC-000002", "grouped: web1 and db01");
  add_ticket("INC-000003", "no events (manual)");
  add_ticket("INC-000004", "db02");
  store_.tickets["INC-000001"].priority = Priority::kP1;
  store_.events_of["INC-000001"] = {stored("db01", "disk full on /var", {{"env", "prod"}}, now)};
  store_.events_of["INC-000002"] = {stored("web1", "5xx", {}, now),
                                    stored("db01", "disk full on /var", {{"env", "stage"}}, now)};
  store_.events_of["INC-000004"] = {stored("db02", "disk full on /var2", {{"env", "prod"}}, now)};
  store_.recent = {stored("db01", "disk full on /var", {{"env", "prod"}}, now),
                   stored("db02", "disk full on /var", {}, now - 1h),
                   stored("db01", "old", {}, now - 25h)};
  auto preview = [&](const std::string& matchers, const std::string& token = "t-admin") {
    return call(request("POST", "/api/v1/silences/preview",
                        R"({"duration":"2h","matchers":)" + matchers + "}", token));
  };
  auto keys = [&](const HttpResponse& r) {
    std::vector<std::string> out;
    const json j = body(r);
    for (const json& t : j["tickets"]) out.push_back(t["key"]);
    return out;
  };
  using V = std::vector<std::string>;

  HttpResponse r = preview(R"({"host":"db01"})");
  ASSERT_EQ(r.status, 200) << r.body;
  json j = body(r);
  EXPECT_EQ(keys(r), (V{"INC-000001", "INC-000002"}));
  EXPECT_EQ(j["tickets_total"], 2);
  EXPECT_EQ(j["tickets_examined"], 4);
  EXPECT_EQ(j["tickets_capped"], false);
  EXPECT_EQ(j["tickets"][0]["host"], "db01");
  EXPECT_EQ(j["tickets"][0]["priority"], "P1");
  EXPECT_EQ(j["tickets"][0]["title"], "disk full on db01");
  EXPECT_EQ(j["tickets"][0]["status"], "new");
  EXPECT_EQ(j["recent_events"], 1);  // the one of 25 hours ago is not recent
  EXPECT_EQ(j["recent_events_examined"], 2);
  EXPECT_EQ(j["recent_events_capped"], false);
  EXPECT_EQ(store_.recent_since, now - 24h);

  EXPECT_EQ(keys(preview(R"({"host":"!db01"})")), (V{"INC-000002", "INC-000004"}));
  EXPECT_EQ(keys(preview(R"({"host":"~^db0[12]$"})")),
            (V{"INC-000001", "INC-000002", "INC-000004"}));
  EXPECT_EQ(keys(preview(R"({"message":"disk full on /var"})")), (V{"INC-000001", "INC-000002"}));
  EXPECT_EQ(body(preview(R"({"message":"disk full on /var"})"))["recent_events"], 2);
  EXPECT_EQ(keys(preview(R"({"labels.env":"prod"})")), (V{"INC-000001", "INC-000004"}));
  EXPECT_EQ(keys(preview(R"({"labels.env":"!~^prod$", "host":"db01"})")), (V{"INC-000002"}));
  EXPECT_EQ(keys(preview(R"([{"name":"host","value":"db.*","isRegex":true}])")),
            (V{"INC-000001", "INC-000002", "INC-000004"}));
  EXPECT_EQ(keys(preview(R"({"host":"nowhere"})")), V{});

  // The same refusals as POST /api/v1/silences, and the same role.
  HttpRequest plain =
      request("POST", "/api/v1/silences/preview", R"({"matchers":{"host":"x"}})", "t-admin");
  plain.headers["content-type"] = "text/plain";
  EXPECT_EQ(call(plain).status, 415);
  EXPECT_EQ(call(request("POST", "/api/v1/silences/preview", "{nope", "t-admin")).status, 400);
  r = preview(R"({"hots":"x"})");
  EXPECT_EQ(r.status, 422);
  EXPECT_EQ(body(r)["error"]["code"], "invalid_silence");
  r = call(request("POST", "/api/v1/silences/preview", R"({"matchers":{"host":"x"}})", "t-admin"));
  EXPECT_EQ(r.status, 422);
  EXPECT_EQ(body(r)["error"]["message"], "silence: set \"ends_at\" or \"duration\"");
  EXPECT_EQ(preview(R"({"host":"db01"})", "t-write").status, 403);
  EXPECT_EQ(preview(R"({"host":"db01"})", "t-read").status, 403);
  // Nothing went to the engine: no silence was added.
  EXPECT_EQ(intake_.commands, 0);
  EXPECT_TRUE(intake_.committed.empty());
}

TEST_F(RouterTest, StopWaitsForTheAnswersInFlight) {
  make();
  intake_.done_delay = 300ms;  // the commit takes a while
  boost::asio::io_context io;
  HttpServerOptions o;
  o.port = 0;
  HttpServer server(io, *router_, o, clock_);
  ASSERT_TRUE(server.start());
  std::thread io_thread([&io] {
    auto guard = boost::asio::make_work_guard(io);
    io.run();
  });
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(server.bound_port());
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  const std::string body = R"({"message":"disk full"})";
  const std::string req =
      "POST /api/v1/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
      "Content-Length: " +
      std::to_string(body.size()) + "\r\n\r\n" + body;
  ASSERT_EQ(::write(fd, req.data(), req.size()), static_cast<ssize_t>(req.size()));
  for (int i = 0; i < 500 && server.in_flight() == 0; ++i) std::this_thread::sleep_for(2ms);
  ASSERT_EQ(server.in_flight(), 1u);
  std::promise<size_t> idle;
  boost::asio::post(io, [&] { server.stop([&] { idle.set_value(server.in_flight()); }); });
  auto idle_at = idle.get_future();
  EXPECT_EQ(idle_at.wait_for(100ms), std::future_status::timeout);  // the answer is not written yet
  char buf[4096];
  const ssize_t n = ::read(fd, buf, sizeof buf);
  ASSERT_GT(n, 0);
  EXPECT_EQ(std::string(buf, n).rfind("HTTP/1.1 202", 0), 0u) << std::string(buf, n);
  ASSERT_EQ(idle_at.wait_for(10s), std::future_status::ready);
  EXPECT_EQ(idle_at.get(), 0u);
  ::close(fd);
  io.stop();
  io_thread.join();
}

}  // namespace
}  // namespace ticketd::api
