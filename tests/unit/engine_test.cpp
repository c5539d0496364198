#include "ticketd/engine/engine.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "ticketd/core/clock.hpp"

namespace ticketd::engine {
namespace {

using namespace std::chrono_literals;

std::shared_ptr<const rules::RuleSet> rules_from(const std::string& yaml) {
  auto r = rules::load_rules_from_string(yaml, "test.yaml");
  EXPECT_TRUE(r.ok()) << (r.diagnostics.empty() ? "" : r.diagnostics[0].to_string());
  return r.rules;
}

const char* kRules = R"(
rules:
  - name: disk-full
    match: { message: '~no space left on (?P<dev>\S+)' }
    ticket:
      impact: high
      team: storage
      category: infra/storage
      title: "Disk {{ dev }} full on {{ host }}"
      labels: { device: "{{ dev }}" }
    fingerprint: "{{ host }}/{{ dev }}"
  - name: drop-debug
    match: { severity: debug }
    action: drop
  - name: audit
    match: { app: audit }
    continue: true
    ticket: { type: service_request, title: "audit {{ host }}", urgency: low, impact: low }
  - name: any-error
    match: { severity: ">=error" }
)";

Event ev(std::string host, std::string message, std::optional<Severity> sev = Severity::kError) {
  Event e;
  e.host = std::move(host);
  e.message = std::move(message);
  e.severity = sev;
  return e;
}

template <typename T>
std::vector<T> only(const Actions& actions) {
  std::vector<T> out;
  for (const Action& a : actions) {
    if (auto* x = std::get_if<T>(&a)) out.push_back(*x);
  }
  return out;
}

class EngineTest : public ::testing::Test {
 protected:
  ManualClock clock{from_unix_ms(1'800'000'000'000)};
  Engine engine{rules_from(kRules)};
};

TEST_F(EngineTest, MatchingEventOpensATicket) {
  auto actions = engine.process(ev("db01", "write: no space left on /dev/sda1"), clock.now());
  auto opened = only<TicketOpened>(actions);
  ASSERT_EQ(opened.size(), 1u);
  const Ticket& t = opened[0].ticket;
  EXPECT_EQ(t.key, "INC-000001");
  EXPECT_EQ(t.title, "Disk /dev/sda1 full on db01");
  EXPECT_EQ(t.fingerprint, "db01//dev/sda1");
  EXPECT_EQ(t.rule, "disk-full");
  EXPECT_EQ(t.team, "storage");
  EXPECT_EQ(t.category, "infra/storage");
  EXPECT_EQ(t.impact, Level::kHigh);
  EXPECT_EQ(t.urgency, Level::kMedium);  // from severity error
  EXPECT_EQ(t.priority, Priority::kP2);
  EXPECT_EQ(t.status, TicketStatus::kNew);
  EXPECT_EQ(t.event_count, 1);
  EXPECT_EQ(t.first_seen, clock.now());
  EXPECT_EQ(t.labels.at("device"), "/dev/sda1");
  auto records = only<EventRecorded>(actions);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].decision, Decision::kTicketed);
  EXPECT_EQ(records[0].ticket_key, "INC-000001");
  auto timeline = only<TimelineAdded>(actions);
  ASSERT_EQ(timeline.size(), 1u);
  EXPECT_EQ(timeline[0].entry.kind, "created");
}

TEST_F(EngineTest, SameFingerprintUpdatesNeverASecondTicket) {
  engine.process(ev("db01", "no space left on sda1"), clock.now());
  clock.advance(30s);
  auto second = engine.process(ev("db01", "no space left on sda1"), clock.now());
  EXPECT_TRUE(only<TicketOpened>(second).empty());
  auto updated = only<TicketUpdated>(second);
  ASSERT_EQ(updated.size(), 1u);
  EXPECT_EQ(updated[0].ticket.key, "INC-000001");
  EXPECT_EQ(updated[0].ticket.event_count, 2);
  EXPECT_EQ(updated[0].ticket.last_seen, clock.now());
  EXPECT_EQ(updated[0].ticket.first_seen, clock.now() - 30s);
  EXPECT_EQ(only<TimelineAdded>(second).at(0).entry.kind, "event");
  EXPECT_EQ(only<EventRecorded>(second).at(0).decision, Decision::kDeduplicated);
  // A different device is a different alert.
  auto other = engine.process(ev("db01", "no space left on sdb1"), clock.now());
  ASSERT_EQ(only<TicketOpened>(other).size(), 1u);
  EXPECT_EQ(only<TicketOpened>(other)[0].ticket.key, "INC-000002");
  EXPECT_EQ(engine.open_ticket_count(), 2u);
}

TEST_F(EngineTest, FirstMatchWinsAndDefaultsApply) {
  // Matches any-error only: default fingerprint rule/host, default title.
  auto a = engine.process(ev("web1", "upstream timed out", Severity::kCritical), clock.now());
  auto t = only<TicketOpened>(a).at(0).ticket;
  EXPECT_EQ(t.rule, "any-error");
  EXPECT_EQ(t.fingerprint, "any-error/web1");
  EXPECT_EQ(t.title, "any-error on web1");
  EXPECT_EQ(t.description, "upstream timed out");
  EXPECT_EQ(t.urgency, Level::kHigh);
  EXPECT_EQ(t.impact, Level::kMedium);
  EXPECT_EQ(t.priority, Priority::kP2);
  EXPECT_EQ(engine.rule_hits().at("any-error"), 1u);
  EXPECT_EQ(engine.rule_hits().count("disk-full"), 0u);
}

TEST_F(EngineTest, ContinueLetsLaterRulesMatchToo) {
  Event e = ev("h1", "user added");
  e.app = "audit";
  auto a = engine.process(e, clock.now());
  auto opened = only<TicketOpened>(a);
  ASSERT_EQ(opened.size(), 2u);
  EXPECT_EQ(opened[0].ticket.key, "REQ-000001");
  EXPECT_EQ(opened[0].ticket.priority, Priority::kP5);
  EXPECT_EQ(opened[1].ticket.key, "INC-000001");
  EXPECT_EQ(only<EventRecorded>(a).size(), 2u);
}

TEST_F(EngineTest, DropAndUnmatchedAreRecordedNotTicketed) {
  auto dropped = engine.process(ev("h", "chatter", Severity::kDebug), clock.now());
  EXPECT_TRUE(only<TicketOpened>(dropped).empty());
  EXPECT_EQ(only<EventRecorded>(dropped).at(0).decision, Decision::kDropped);
  EXPECT_EQ(only<EventRecorded>(dropped).at(0).rule, "drop-debug");
  auto unmatched = engine.process(ev("h", "hello", Severity::kInfo), clock.now());
  EXPECT_TRUE(only<TicketOpened>(unmatched).empty());
  EXPECT_EQ(only<EventRecorded>(unmatched).at(0).decision, Decision::kUnmatched);
  EXPECT_EQ(engine.open_ticket_count(), 0u);
}

TEST_F(EngineTest, ResolvedEventResolvesAndTheNextOneOpensANewTicket) {
  engine.process(ev("db01", "no space left on sda1"), clock.now());
  clock.advance(5min);
  Event resolved = ev("db01", "no space left on sda1");
  resolved.status = "resolved";
  auto a = engine.process(resolved, clock.now());
  auto updated = only<TicketUpdated>(a);
  ASSERT_EQ(updated.size(), 1u);
  EXPECT_EQ(updated[0].ticket.status, TicketStatus::kResolved);
  EXPECT_EQ(updated[0].ticket.resolved_at, clock.now());
  EXPECT_EQ(only<EventRecorded>(a).at(0).decision, Decision::kResolved);
  EXPECT_EQ(engine.open_ticket_count(), 0u);
  // A resolved event with nothing open never opens a ticket.
  EXPECT_TRUE(only<TicketOpened>(engine.process(resolved, clock.now())).empty());
  auto again = engine.process(ev("db01", "no space left on sda1"), clock.now());
  ASSERT_EQ(only<TicketOpened>(again).size(), 1u);
  EXPECT_EQ(only<TicketOpened>(again)[0].ticket.key, "INC-000002");
}

TEST_F(EngineTest, RestoreContinuesNumberingAndDedup) {
  auto first = only<TicketOpened>(engine.process(ev("db01", "no space left on sda1"), clock.now()))
                   .at(0)
                   .ticket;
  Engine restarted(rules_from(kRules));
  ASSERT_TRUE(restarted.restore({{first}, {{TicketType::kIncident, 7}}, {}, {}}));
  auto a = restarted.process(ev("db01", "no space left on sda1"), clock.now());
  ASSERT_EQ(only<TicketUpdated>(a).size(), 1u);
  EXPECT_EQ(only<TicketUpdated>(a)[0].ticket.key, first.key);
  EXPECT_EQ(only<TicketUpdated>(a)[0].ticket.event_count, 2);
  auto b = restarted.process(ev("db02", "no space left on sda1"), clock.now());
  EXPECT_EQ(only<TicketOpened>(b).at(0).ticket.key, "INC-000008");
}

TEST_F(EngineTest, SetRulesKeepsOpenTickets) {
  engine.process(ev("db01", "no space left on sda1"), clock.now());
  engine.set_rules(rules_from(kRules));
  auto a = engine.process(ev("db01", "no space left on sda1"), clock.now());
  EXPECT_EQ(only<TicketUpdated>(a).size(), 1u);
}

TEST_F(EngineTest, LongMessagesAreCutAtACharacterBoundary) {
  std::string message = "no space left on sda1 ";
  for (int i = 0; i < 150; ++i) message += "\xC3\xA9";  // é
  auto a = engine.process(ev("db01", message), clock.now());
  auto timeline = only<TimelineAdded>(a);
  ASSERT_EQ(timeline.size(), 1u);
  EXPECT_NO_THROW(nlohmann::json(timeline[0].entry.message).dump());  // valid UTF-8
  EXPECT_LT(timeline[0].entry.message.size(), message.size());
}

TEST_F(EngineTest, ActionsSerializeToJson) {
  auto a = engine.process(ev("db01", "no space left on sda1"), clock.now());
  for (const Action& x : a) {
    auto j = action_to_json(x);
    EXPECT_TRUE(j.contains("action"));
  }
  EXPECT_EQ(action_to_json(a[0])["action"], "ticket_opened");
}

}  // namespace
}  // namespace ticketd::engine
