// The correlation features of the engine, each driven by a manual clock.
#include <gtest/gtest.h>

#include "ticketd/core/clock.hpp"
#include "ticketd/engine/engine.hpp"

namespace ticketd::engine {
namespace {

using namespace std::chrono_literals;

// Feeds events and ticks through an engine and keeps the latest state of
// every ticket it reported, like the store would.
class Harness {
 public:
  explicit Harness(const std::string& yaml) : engine_(load(yaml)) {}

  static std::shared_ptr<const rules::RuleSet> load(const std::string& yaml) {
    auto r = rules::load_rules_from_string(yaml, "test.yaml");
    EXPECT_TRUE(r.ok()) << (r.diagnostics.empty() ? "" : r.diagnostics[0].to_string());
    return r.rules;
  }

  Decision send(Event e) {
    absorb(engine_.tick(clock.now()));
    Actions a = engine_.process(e, clock.now());
    Decision d = Decision::kUnmatched;
    for (const Action& x : a) {
      if (auto* r = std::get_if<EventRecorded>(&x)) {
        d = r->decision;
        last_detail = r->detail;
        last_ticket = r->ticket_key;
      }
    }
    absorb(std::move(a));
    EXPECT_TRUE(engine_.check_invariants());
    persist();
    return d;
  }
  void advance(Duration d) {
    clock.advance(d);
    absorb(engine_.tick(clock.now()));
    EXPECT_TRUE(engine_.check_invariants());
    persist();
  }
  // Applies the state records changed since the last step, like the store,
  // and checks that what is stored is the whole state: a change the engine
  // forgot to report would be lost at the next restart.
  void persist() {
    for (auto& r : engine_.take_state_changes().records) {
      if (r.value) {
        stored[r.key] = std::move(*r.value);
      } else {
        stored.erase(r.key);
      }
    }
    const auto now = engine_.state_records();
    if (stored == now) return;
    std::string diff;
    for (const auto& [k, v] : now) {
      auto it = stored.find(k);
      if (it == stored.end())
        diff += "  not stored: " + k + "\n";
      else if (it->second != v)
        diff += "  stale: " + k + "\n    stored " + it->second + "\n    engine " + v + "\n";
    }
    for (const auto& [k, v] : stored) {
      if (!now.count(k)) diff += "  gone from the engine, still stored: " + k + "\n";
    }
    ADD_FAILURE() << "state records out of step with the engine:\n" << diff;
  }
  // Restores from what this harness's store holds (or `from`'s).
  Status restore(std::vector<Ticket> open, std::map<TicketType, int64_t> seq, const Harness& from) {
    stored = from.stored;
    Status st = engine_.restore({std::move(open), std::move(seq), {}, from.records()});
    persist();
    return st;
  }
  // The stored records, as load_state() returns them.
  std::vector<std::pair<std::string, std::string>> records() const {
    return {stored.begin(), stored.end()};
  }
  void absorb(Actions a) {
    for (Action& x : a) {
      if (auto* o = std::get_if<TicketOpened>(&x)) {
        tickets[o->ticket.key] = o->ticket;
        order.push_back(o->ticket.key);
      } else if (auto* u = std::get_if<TicketUpdated>(&x)) {
        if (u->counters_only) {  // as the store writes it: the counters, nothing else
          // (A ticket this harness never saw came from a restore.)
          if (auto it = tickets.find(u->ticket.key); it != tickets.end()) {
            it->second.event_count = u->ticket.event_count;
            it->second.last_seen = u->ticket.last_seen;
            it->second.updated_at = u->ticket.updated_at;
            EXPECT_EQ(ticket_to_json(it->second), ticket_to_json(u->ticket))
                << "more than the counters changed";
          }
        }
        tickets[u->ticket.key] = u->ticket;
      } else if (auto* t = std::get_if<TimelineAdded>(&x)) {
        timeline[t->entry.ticket_key].push_back(t->entry);
      } else if (auto* n = std::get_if<Notify>(&x)) {
        notifications.push_back(*n);
      } else if (auto* p = std::get_if<ProblemLinked>(&x)) {
        tickets[p->incident_key].problem = p->problem_key;
      }
    }
  }
  // The single ticket; fails the test (without dereferencing) otherwise.
  const Ticket& only() {
    static const Ticket kNone;
    EXPECT_EQ(tickets.size(), 1u);
    return tickets.size() == 1 ? tickets.begin()->second : kNone;
  }
  // The key of the i-th ticket opened; fails the test when there is none.
  std::string nth(size_t i) {
    if (i < order.size()) return order[i];
    ADD_FAILURE() << "only " << order.size() << " tickets were opened, wanted #" << i;
    return "";
  }
  bool timeline_has(const std::string& key, const std::string& kind) {
    for (const auto& e : timeline[key]) {
      if (e.kind == kind) return true;
    }
    return false;
  }

  ManualClock clock{from_unix_ms(1'800'000'000'000)};
  Engine engine_;
  std::map<std::string, Ticket> tickets;
  std::vector<std::string> order;
  std::map<std::string, std::vector<TimelineEntry>> timeline;
  std::vector<Notify> notifications;
  std::string last_detail, last_ticket;
  std::map<std::string, std::string> stored;  // state records, see persist()
};

Event ev(std::string host, std::string message, std::map<std::string, std::string> labels = {}) {
  Event e;
  e.host = std::move(host);
  e.message = std::move(message);
  e.severity = Severity::kError;
  for (auto& [k, v] : labels) e.labels[k] = v;
  return e;
}

Event trap(std::string host, std::string oid, std::string if_index) {
  Event e;
  e.source = "snmp";
  e.host = std::move(host);
  e.trap_oid = std::move(oid);
  e.labels["ifIndex"] = std::move(if_index);
  e.labels["ifDescr"] = "Gi0/" + e.labels["ifIndex"];
  return e;
}

const char* kLink = R"(
rules:
  - name: interface-down
    match: { source: snmp, trap_oid: [IF-MIB::linkDown, 1.3.6.1.6.3.1.1.5.3] }
    ticket: { impact: medium, urgency: high, title: "Interface {{ labels.ifDescr }} down on {{ host }}" }
    fingerprint: "{{ host }}/{{ labels.ifIndex }}"
    resolve_when: { match: { trap_oid: [IF-MIB::linkUp, 1.3.6.1.6.3.1.1.5.4] } }
)";

TEST(Correlation, ResolveWhenPairsDownWithUp) {
  Harness h(kLink);
  EXPECT_EQ(h.send(trap("sw1", "IF-MIB::linkDown", "3")), Decision::kTicketed);
  h.advance(20s);
  EXPECT_EQ(h.send(trap("sw1", "IF-MIB::linkDown", "3")), Decision::kDeduplicated);
  h.advance(5min);
  EXPECT_EQ(h.send(trap("sw1", "IF-MIB::linkUp", "4")),
            Decision::kResolved);  // another port: nothing
  EXPECT_TRUE(is_open(h.only().status));
  EXPECT_EQ(h.send(trap("sw1", "IF-MIB::linkUp", "3")), Decision::kResolved);
  const Ticket& t = h.only();
  EXPECT_EQ(t.status, TicketStatus::kResolved);
  EXPECT_EQ(t.priority, Priority::kP2);
  EXPECT_EQ(t.title, "Interface Gi0/3 down on sw1");
  EXPECT_EQ(t.event_count, 2);  // the two downs; the up is on the timeline, not counted
  EXPECT_EQ(t.alerts, (std::vector<AlertRef>{{"sw1/3", "resolved"}}));
  // After resolution (no reopen window) a recurrence opens a new ticket.
  EXPECT_EQ(h.send(trap("sw1", "IF-MIB::linkDown", "3")), Decision::kTicketed);
  EXPECT_EQ(h.tickets.size(), 2u);
}

TEST(Correlation, ThresholdUsesASlidingWindowPerFingerprint) {
  Harness h(R"(
rules:
  - name: ssh-bruteforce
    match: { app: sshd, message: '~Failed password for (?P<user>\S+) from (?P<ip>\S+)' }
    ticket: { title: "SSH brute force on {{ host }} from {{ ip }}", impact: low, urgency: high }
    fingerprint: "{{ host }}/{{ ip }}"
    threshold: { count: 3, within: 2m }
)");
  auto fail = [](std::string ip) {
    Event e = ev("web1", "Failed password for root from " + ip + " port 22 ssh2");
    e.app = "sshd";
    return e;
  };
  EXPECT_EQ(h.send(fail("10.0.0.1")), Decision::kPending);
  EXPECT_EQ(h.last_detail, "threshold 1/3 within 2m");
  h.advance(1min);
  EXPECT_EQ(h.send(fail("10.0.0.1")), Decision::kPending);
  EXPECT_EQ(h.send(fail("10.0.0.2")), Decision::kPending);  // another source, its own window
  h.advance(61s);                                           // the first attempt left the window
  EXPECT_EQ(h.send(fail("10.0.0.1")), Decision::kPending);
  EXPECT_TRUE(h.tickets.empty());
  h.advance(10s);
  EXPECT_EQ(h.send(fail("10.0.0.1")), Decision::kTicketed);
  const Ticket& t = h.only();
  EXPECT_EQ(t.title, "SSH brute force on web1 from 10.0.0.1");
  EXPECT_EQ(t.event_count, 3);
  EXPECT_EQ(h.send(fail("10.0.0.1")), Decision::kDeduplicated);
}

TEST(Correlation, GroupByAndGroupWaitCollectAlertsIntoOneTicket) {
  Harness h(R"(
rules:
  - name: service-down
    match: { message: "~(?P<svc>\\w+) is down" }
    fingerprint: "{{ host }}/{{ svc }}"
    group_by: [host]
    group_wait: 30s
    ticket: { title: "Services down on {{ host }}" }
)");
  EXPECT_EQ(h.send(ev("web1", "nginx is down")), Decision::kPending);
  h.advance(10s);
  EXPECT_EQ(h.send(ev("web1", "php is down")), Decision::kPending);
  EXPECT_EQ(h.send(ev("web2", "nginx is down")), Decision::kPending);
  h.advance(19s);
  EXPECT_TRUE(h.tickets.empty());
  h.advance(1s);  // web1's group_wait ends
  ASSERT_EQ(h.tickets.size(), 1u);
  const Ticket& t = h.tickets.begin()->second;
  EXPECT_EQ(t.title, "Services down on web1");
  EXPECT_EQ(t.alerts.size(), 2u);
  EXPECT_EQ(t.event_count, 2);
  h.advance(10s);
  EXPECT_EQ(h.tickets.size(), 2u);  // web2's
  // A new alert of the same host joins the open ticket at once.
  EXPECT_EQ(h.send(ev("web1", "redis is down")), Decision::kGrouped);
  const std::string web1 = h.nth(0);
  EXPECT_EQ(h.tickets[web1].alerts.size(), 3u);
  // The ticket resolves only when all its alerts are resolved.
  auto resolved = [](Event e) {
    e.status = "resolved";
    return e;
  };
  h.send(resolved(ev("web1", "nginx is down")));
  h.send(resolved(ev("web1", "php is down")));
  EXPECT_TRUE(is_open(h.tickets[web1].status));
  h.send(resolved(ev("web1", "redis is down")));
  EXPECT_EQ(h.tickets[web1].status, TicketStatus::kResolved);
}

TEST(Correlation, AutoResolveAndReopenWindow) {
  Harness h(R"(
rules:
  - name: disk
    match: { message: "~disk full" }
    auto_resolve_after: 2h
    reopen_window: 30m
)");
  h.send(ev("db1", "disk full"));
  const std::string key = h.nth(0);
  h.advance(1h + 59min);
  EXPECT_TRUE(is_open(h.tickets[key].status));
  h.advance(1min);
  EXPECT_EQ(h.tickets[key].status, TicketStatus::kResolved);
  EXPECT_EQ(h.tickets[key].resolved_at, h.clock.now());
  h.advance(29min);
  EXPECT_EQ(h.send(ev("db1", "disk full")), Decision::kReopened);
  EXPECT_EQ(h.tickets[key].status, TicketStatus::kInProgress);
  EXPECT_FALSE(h.tickets[key].resolved_at);
  EXPECT_TRUE(h.timeline_has(key, "status"));
  // Past the window a recurrence is a new ticket.
  h.advance(2h);
  h.advance(31min);
  EXPECT_EQ(h.send(ev("db1", "disk full")), Decision::kTicketed);
  EXPECT_EQ(h.tickets.size(), 2u);
}

// A ticket with many alerts (past the size where set_alert_status indexes
// them): each alert is listed once, with its current status, through
// joining, resolving and firing again.
TEST(Correlation, ATicketWithManyAlertsListsEachOnceWithItsStatus) {
  Harness h(R"(
rules:
  - name: link
    match: { message: "~link down" }
    resolve_when: { match: { message: "~link up" } }
    fingerprint: "{{ host }}/{{ labels.port }}"
    group_by: [host]
)");
  for (int p = 0; p < 150; ++p) h.send(ev("sw1", "link down", {{"port", std::to_string(p)}}));
  ASSERT_EQ(h.tickets.size(), 1u);
  const std::string key = h.nth(0);
  for (int p = 0; p < 150; p += 3) h.send(ev("sw1", "link up", {{"port", std::to_string(p)}}));
  for (int p = 0; p < 150; p += 6) {
    EXPECT_EQ(h.send(ev("sw1", "link down", {{"port", std::to_string(p)}})),
              Decision::kDeduplicated);
  }
  const Ticket& t = h.tickets.at(key);
  ASSERT_EQ(t.alerts.size(), 150u);
  std::set<std::string> seen;
  for (size_t i = 0; i < t.alerts.size(); ++i) {
    const int port = std::stoi(t.alerts[i].fingerprint.substr(4));
    EXPECT_TRUE(seen.insert(t.alerts[i].fingerprint).second)
        << "listed twice: " << t.alerts[i].fingerprint;
    const bool resolved = port % 3 == 0 && port % 6 != 0;
    EXPECT_EQ(t.alerts[i].status, resolved ? "resolved" : "firing") << t.alerts[i].fingerprint;
  }
}

TEST(Correlation, FlappingHoldsTheTicketOpenUntilStable) {
  Harness h(R"(
rules:
  - name: link
    match: { message: "~link down" }
    resolve_when: { match: { message: "~link up" } }
    fingerprint: "{{ host }}"
    reopen_window: 1h
    flapping: { changes: 3, within: 10m }
)");
  h.send(ev("sw1", "link down"));
  const std::string key = h.nth(0);
  h.advance(1min);
  h.send(ev("sw1", "link up"));  // change 1
  EXPECT_EQ(h.tickets[key].status, TicketStatus::kResolved);
  h.advance(1min);
  EXPECT_EQ(h.send(ev("sw1", "link down")), Decision::kReopened);  // change 2
  h.advance(1min);
  h.send(ev("sw1", "link up"));  // change 3: flapping
  EXPECT_TRUE(h.tickets[key].flapping);
  EXPECT_TRUE(is_open(h.tickets[key].status));  // held open
  h.advance(1min);
  EXPECT_EQ(h.send(ev("sw1", "link down")), Decision::kDeduplicated);
  h.send(ev("sw1", "link up"));
  EXPECT_TRUE(is_open(h.tickets[key].status));
  EXPECT_EQ(h.tickets.size(), 1u);  // never a second ticket
  h.advance(9min);
  EXPECT_TRUE(h.tickets[key].flapping);
  h.advance(1min);  // 10 minutes without a change: stable, and resolved since the link is up
  EXPECT_FALSE(h.tickets[key].flapping);
  EXPECT_EQ(h.tickets[key].status, TicketStatus::kResolved);
}

TEST(Correlation, InhibitionAttachesSuppressedEventsToTheSourceTicket) {
  Harness h(R"(
rules:
  - name: host-unreachable
    match: { app: ping, message: "~unreachable" }
    fingerprint: "{{ host }}"
  - name: any-error
    match: { severity: ">=error" }
    fingerprint: "{{ host }}/{{ app }}"
inhibit:
  - name: host-down-inhibits-services
    source: { rule: host-unreachable }
    target: { source: syslog }
    equal: [host]
)");
  Event down = ev("db1", "db1 unreachable");
  down.app = "ping";
  h.send(down);
  const std::string key = h.nth(0);
  Event noise = ev("db1", "connection refused");
  noise.source = "syslog";
  noise.app = "postgres";
  EXPECT_EQ(h.send(noise), Decision::kInhibited);
  EXPECT_EQ(h.last_ticket, key);
  EXPECT_EQ(h.last_detail, "inhibit host-down-inhibits-services");
  EXPECT_EQ(h.send(noise), Decision::kInhibited);
  EXPECT_EQ(h.tickets[key].suppressed_count, 2);
  Event other_host = noise;
  other_host.host = "db2";
  EXPECT_EQ(h.send(other_host), Decision::kTicketed);  // equal: [host] differs
  Event api = noise;
  api.source = "api";
  EXPECT_EQ(h.send(api), Decision::kTicketed);  // not a target
  EXPECT_EQ(h.tickets.size(), 3u);
}

TEST(Correlation, SilencesMuteAndCount) {
  Harness h("rules:\n  - {name: err, match: {severity: \">=error\"}}\n");
  auto silence = silence_from_json(
      nlohmann::json::parse(
          R"({"matchers":{"host":"~^db"},"duration":"1h","created_by":"alice","comment":"swap"})"),
      h.clock.now());
  ASSERT_TRUE(silence) << silence.error().message();
  auto added = h.engine_.add_silence(*silence, h.clock.now());
  ASSERT_TRUE(added);
  const std::string id = std::get<SilenceSaved>(added->at(0)).id;
  EXPECT_EQ(id, "s-1");
  EXPECT_EQ(h.send(ev("db1", "boom")), Decision::kSilenced);
  EXPECT_EQ(h.last_detail, "silence s-1");
  EXPECT_EQ(h.send(ev("web1", "boom")), Decision::kTicketed);
  EXPECT_EQ(h.engine_.silences().at(0).silenced_count, 1);
  h.advance(1h);  // expired
  EXPECT_EQ(h.send(ev("db1", "boom")), Decision::kTicketed);
  auto s2 = h.engine_.add_silence(
      *silence_from_json(nlohmann::json::parse(R"({"matchers":{"host":"x"},"duration":"1h"})"),
                         h.clock.now()),
      h.clock.now());
  ASSERT_TRUE(s2);
  EXPECT_TRUE(h.engine_.expire_silence("s-2", h.clock.now()));
  EXPECT_EQ(h.engine_.expire_silence("s-2", h.clock.now()).error().code(), StatusCode::kConflict);
  EXPECT_EQ(h.engine_.expire_silence("s-9", h.clock.now()).error().code(), StatusCode::kNotFound);
  auto past = silence_from_json(
      nlohmann::json::parse(
          R"({"matchers":{"host":"x"},"starts_at":"2020-01-01T00:00:00Z","ends_at":"2020-01-02T00:00:00Z"})"),
      h.clock.now());
  ASSERT_TRUE(past);
  EXPECT_EQ(h.engine_.add_silence(*past, h.clock.now()).error().message(),
            "silence: \"ends_at\" is in the past");
}

TEST(Correlation, SilenceValidation) {
  auto bad = [](const char* text) {
    auto s = silence_from_json(nlohmann::json::parse(text), TimePoint{});
    return s ? std::string("ok") : s.error().message();
  };
  EXPECT_EQ(bad(R"({"duration":"1h"})"),
            "silence: \"matchers\" must be a non-empty object of field: value");
  EXPECT_EQ(
      bad(R"({"matchers":{"hots":"x"},"duration":"1h"})"),
      "silence: unknown field \"hots\"; use an event field or labels.NAME / annotations.NAME");
  EXPECT_EQ(bad(R"({"matchers":{"host":"x"}})"), "silence: set \"ends_at\" or \"duration\"");
  EXPECT_EQ(bad(R"({"matchers":{"host":"~("},"duration":"1h"})")
                .rfind("silence: matcher \"host\": invalid regex", 0),
            0u);
  // Alertmanager-style matchers: regexes are anchored.
  auto am =
      silence_from_json(nlohmann::json::parse(
                            R"({"matchers":[{"name":"labels.job","value":"node.*","isRegex":true}],
                                      "startsAt":"2026-01-01T00:00:00Z","endsAt":"2026-01-02T00:00:00Z","createdBy":"bob"})"),
                        TimePoint{});
  ASSERT_TRUE(am) << am.error().message();
  Event e;
  e.labels["job"] = "node-exporter";
  EXPECT_TRUE(am->condition.test(e, nullptr));
  e.labels["job"] = "my-node";
  EXPECT_FALSE(am->condition.test(e, nullptr));
  EXPECT_EQ(am->created_by, "bob");
}

// Silence::matches (what the API's silence preview asks of stored events)
// says yes exactly for the events the engine silences while the silence is
// active: =, !=, regexes, values with spaces, labels, Alertmanager lists.
TEST(Correlation, ASilenceMatchesExactlyTheEventsTheEngineSilences) {
  const std::vector<std::string> silences = {
      R"({"host":"db01"})",
      R"({"host":"!db01"})",
      R"({"host":"~^db"})",
      R"({"host":"!~^db"})",
      R"({"message":"disk full on /var"})",
      R"({"message":"~full on /v"})",
      R"({"labels.env":"prod", "host":"~^db"})",
      R"({"labels.env":"~^prod"})",
      R"({"labels.env":"!prod"})",
      R"({"severity":">=critical"})",
      R"([{"name":"labels.env","value":"prod|stage","isRegex":true,"isEqual":false}])",
  };
  const std::vector<Event> events = {
      ev("db01", "disk full on /var", {{"env", "prod"}}),
      ev("db02", "disk full on /var2", {{"env", "production"}}),
      ev("web1", "disk full on /var"),
      ev("xdb01", "disk  full on /var", {{"env", "stage"}}),
      ev("db01", "Disk full on /var", {{"env", "dev"}}),
  };
  Event critical = ev("web2", "boom");
  critical.severity = Severity::kCritical;
  std::vector<Event> all = events;
  all.push_back(critical);
  for (const std::string& matchers : silences) {
    for (size_t i = 0; i < all.size(); ++i) {
      Harness h("rules:\n  - {name: any, match: {message: \"~.\"}}\n");
      auto s = silence_from_json(
          nlohmann::json::parse(R"({"duration":"1h","matchers":)" + matchers + "}"), h.clock.now());
      ASSERT_TRUE(s) << matchers << ": " << s.error().message();
      const bool matches = s->matches(all[i]);
      ASSERT_TRUE(h.engine_.add_silence(*s, h.clock.now()));
      EXPECT_EQ(h.send(all[i]) == Decision::kSilenced, matches) << matchers << " event " << i;
    }
  }
  // And what they match, spelled out.
  auto matching = [&](const std::string& matchers) {
    auto s = silence_from_json(
        nlohmann::json::parse(R"({"duration":"1h","matchers":)" + matchers + "}"), TimePoint{});
    std::vector<size_t> out;
    for (size_t i = 0; i < all.size(); ++i) {
      if (s->matches(all[i])) out.push_back(i);
    }
    return out;
  };
  using V = std::vector<size_t>;
  EXPECT_EQ(matching(silences[0]), (V{0, 4}));
  EXPECT_EQ(matching(silences[1]), (V{1, 2, 3, 5}));
  EXPECT_EQ(matching(silences[2]), (V{0, 1, 4}));
  EXPECT_EQ(matching(silences[3]), (V{2, 3, 5}));
  EXPECT_EQ(matching(silences[4]), (V{0, 2}));           // exactly, spaces and case included
  EXPECT_EQ(matching(silences[5]), (V{0, 1, 2, 3, 4}));  // a regex finds it anywhere
  EXPECT_EQ(matching(silences[6]), (V{0}));
  EXPECT_EQ(matching(silences[7]), (V{0, 1}));
  EXPECT_EQ(matching(silences[8]), (V{1, 2, 3, 4, 5}));  // a missing label is not "prod"
  EXPECT_EQ(matching(silences[9]), (V{5}));
  EXPECT_EQ(matching(silences[10]), (V{1, 2, 4, 5}));  // anchored: "production" is not prod
}

TEST(Correlation, ChangeInProgressSilencesItsHostsAndCollectsTheirAlerts) {
  Harness h("rules:\n  - {name: err, match: {severity: \">=error\"}}\n");
  Ticket change;
  change.key = "CHG-000001";
  change.type = TicketType::kChange;
  change.status = TicketStatus::kInProgress;
  change.labels["hosts"] = "db1, db2";
  ASSERT_TRUE(h.engine_.restore({{change}, {{TicketType::kChange, 1}}, {}, {}}));
  EXPECT_EQ(h.send(ev("db2", "restarting")), Decision::kSilenced);
  EXPECT_EQ(h.last_ticket, "CHG-000001");
  EXPECT_EQ(h.tickets["CHG-000001"].suppressed_count, 1);
  EXPECT_EQ(h.send(ev("db3", "boom")), Decision::kTicketed);
}

TEST(Correlation, ProblemsOpenAfterNIncidentsAndCollectLaterOnes) {
  Harness h(R"(
rules:
  - name: disk-full
    match: { message: "~disk full" }
    resolve_when: { match: { message: "~disk ok" } }
problems:
  - name: recurring-disk-full
    when: { rule: disk-full }
    group_by: [host]
    threshold: { count: 3, within: 7d }
    ticket: { title: "Recurring disk full on {{ host }}", team: storage, impact: medium, urgency: low }
)");
  for (int i = 0; i < 2; ++i) {
    h.send(ev("db1", "disk full"));
    h.advance(1h);
    h.send(ev("db1", "disk ok"));
    h.advance(24h);
  }
  h.send(ev("db2", "disk full"));  // other host: its own window
  h.send(ev("db2", "disk ok"));
  EXPECT_EQ(h.tickets.size(), 3u);
  h.send(ev("db1", "disk full"));  // third on db1 within 7 days
  ASSERT_EQ(h.tickets.size(), 5u);
  const Ticket& problem = h.tickets[h.order.back()];
  EXPECT_EQ(problem.type, TicketType::kProblem);
  EXPECT_EQ(problem.key, "PRB-000001");
  EXPECT_EQ(problem.title, "Recurring disk full on db1");
  EXPECT_EQ(problem.team, "storage");
  EXPECT_EQ(problem.priority, Priority::kP4);
  EXPECT_EQ(problem.incidents,
            (std::vector<std::string>{"INC-000001", "INC-000002", "INC-000004"}));
  EXPECT_EQ(h.tickets["INC-000001"].problem, "PRB-000001");
  EXPECT_EQ(h.tickets["INC-000003"].problem, "");
  h.send(ev("db1", "disk ok"));
  h.send(ev("db1", "disk full"));  // a later incident links to the open problem
  EXPECT_EQ(h.tickets["INC-000005"].problem, "PRB-000001");
  EXPECT_TRUE(h.timeline_has("PRB-000001", "linked"));
}

TEST(Correlation, StormCollectsNewAlertsThenNormalBehaviourResumes) {
  Harness h(R"(
rules:
  - name: err
    match: { severity: ">=error" }
storm: { threshold: 3, within: 1m }
)");
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(h.send(ev("h" + std::to_string(i), "boom")), Decision::kTicketed);
  EXPECT_EQ(h.send(ev("h3", "boom")), Decision::kGrouped);
  EXPECT_EQ(h.last_detail, "storm");
  const std::string storm = h.last_ticket;
  EXPECT_EQ(h.send(ev("h4", "boom")), Decision::kGrouped);
  EXPECT_EQ(h.send(ev("h4", "boom again")), Decision::kDeduplicated);
  EXPECT_EQ(h.last_ticket, storm);
  EXPECT_EQ(h.tickets.size(), 4u);
  EXPECT_EQ(h.tickets[storm].labels.at("storm.err"), "2");
  EXPECT_EQ(h.tickets[storm].alerts.size(), 2u);
  EXPECT_EQ(h.tickets[storm].priority, Priority::kP1);
  h.advance(1min);
  EXPECT_EQ(h.send(ev("h5", "boom")), Decision::kTicketed);
  EXPECT_EQ(h.tickets.size(), 5u);
}

TEST(Correlation, SlaTargetsBreachesAndEscalation) {
  Harness h(R"(
rules:
  - name: db-down
    match: { message: "~db down" }
    ticket: { impact: high, urgency: high, team: dba }
sla:
  P1: { respond: 15m, resolve: 4h }
escalate:
  - name: page-leads
    when: { priority: [P1, P2], unacknowledged_for: 10m }
    do: { team: oncall-leads, notify: [oncall-webhook] }
  - when: { priority: [P2, P3], unresolved_for: 1h }
    do: { raise_priority: true }
)");
  h.send(ev("db1", "db down"));
  const std::string key = h.nth(0);
  const TimePoint opened = h.clock.now();
  EXPECT_EQ(h.tickets[key].respond_by, opened + 15min);
  EXPECT_EQ(h.tickets[key].resolve_by, opened + 4h);
  h.advance(9min);
  EXPECT_TRUE(h.notifications.empty());
  h.advance(1min);
  ASSERT_EQ(h.notifications.size(), 1u);
  EXPECT_EQ(h.notifications[0].target, "oncall-webhook");
  EXPECT_EQ(h.tickets[key].team, "oncall-leads");
  EXPECT_TRUE(h.timeline_has(key, "escalation"));
  h.advance(5min);
  EXPECT_EQ(h.tickets[key].breaches, std::vector<std::string>{"respond"});
  EXPECT_TRUE(h.timeline_has(key, "sla"));
  h.advance(4h);
  EXPECT_EQ(h.tickets[key].breaches, (std::vector<std::string>{"respond", "resolve"}));
  EXPECT_EQ(h.notifications.size(), 1u);  // an escalation fires once per ticket
}

// Regression: restoring state with escalations of two or more tickets
// read freed memory (items() of a temporary) and failed every restart.
// A deduplicated event into an alert that fires alone in its group does
// not rewrite the alert's record (the ticket's counters carry last_seen);
// after a restart its auto-resolve timer still counts from the last event.
TEST(Correlation, DeduplicationLeavesTheAlertRecordAndRestoreTakesLastSeenFromTheTicket) {
  const char* yaml = R"(
rules:
  - name: db-down
    match: { message: "~db down" }
    fingerprint: "{{ host }}"
    auto_resolve_after: 10m
)";
  Harness h(yaml);
  h.send(ev("db1", "db down"));
  ASSERT_EQ(h.tickets.size(), 1u);
  const std::string before = h.stored.at("a/db1");
  h.clock.advance(5min);
  (void)h.engine_.process(ev("db1", "db down"), h.clock.now());  // deduplicated
  auto changed = h.engine_.take_state_changes();
  for (const auto& r : changed.records)
    EXPECT_NE(r.key, "a/db1") << "rewritten on a deduplicated event";
  for (auto& r : changed.records) {
    if (r.value)
      h.stored[r.key] = *r.value;
    else
      h.stored.erase(r.key);
  }
  EXPECT_EQ(h.stored.at("a/db1"), before);
  h.persist();  // the stored records are still the whole state

  // The stored ticket (as the store holds it: counters written) restarts it.
  std::vector<Ticket> open;
  for (const auto& [key, t] : h.tickets) open.push_back(t);
  open.at(0).last_seen = h.clock.now();
  Harness after(yaml);
  after.clock.set(h.clock.now());
  ASSERT_TRUE(after.restore(open, {{TicketType::kIncident, 1}}, h));
  after.advance(9min);  // 9 minutes after the last event: still firing
  EXPECT_EQ(after.send(ev("db2", "db down")), Decision::kTicketed);
  EXPECT_EQ(after.engine_.open_ticket_count(), 2u);
  after.advance(2min);  // 11 minutes after db1's last event: auto-resolved
  EXPECT_EQ(after.engine_.open_ticket_count(), 1u);
}

TEST(Correlation, RestoreKeepsEscalationsOfSeveralTickets) {
  const char* yaml = R"(
rules:
  - name: db-down
    match: { message: "~db down" }
    ticket: { impact: high, urgency: high, team: dba }
    fingerprint: "{{ host }}"
sla:
  P1: { respond: 15m, resolve: 4h }
escalate:
  - name: page-leads
    when: { priority: [P1, P2], unacknowledged_for: 10m }
    do: { team: oncall-leads, notify: [oncall-webhook] }
)";
  Harness h(yaml);
  h.send(ev("db1", "db down"));
  h.send(ev("db2", "db down"));
  h.send(ev("db3", "db down"));
  h.advance(10min);
  ASSERT_EQ(h.notifications.size(), 3u);
  size_t escalated = 0;
  for (const auto& [key, value] : h.stored) escalated += key.rfind("e/", 0) == 0;
  ASSERT_EQ(escalated, 3u);
  std::vector<Ticket> open;
  for (const auto& [key, t] : h.tickets) open.push_back(t);

  Harness after(yaml);
  after.clock.set(h.clock.now());
  ASSERT_TRUE(after.restore(open, {{TicketType::kIncident, 3}}, h));
  EXPECT_EQ(after.engine_.open_ticket_count(), 3u);
  after.advance(1h);
  EXPECT_TRUE(after.notifications.empty()) << "escalations must not fire twice after a restart";
  EXPECT_EQ(after.send(ev("db2", "db down")), Decision::kDeduplicated);
}

TEST(Correlation, RestoreOfAMalformedSnapshotKeepsTheOpenTickets) {
  const char* yaml = R"(
rules:
  - name: db-down
    match: { message: "~db down" }
    fingerprint: "{{ host }}"
)";
  Harness h(yaml);
  h.send(ev("db1", "db down"));
  std::vector<Ticket> open;
  for (const auto& [key, t] : h.tickets) open.push_back(t);
  auto records = h.records();
  records.emplace_back("e/" + open.at(0).key, "42");    // not a list of names
  records.emplace_back("a/other", "{\"truncated\": ");  // not JSON

  Harness after(yaml);
  Status st = after.engine_.restore({open, {{TicketType::kIncident, 1}}, {}, records});
  EXPECT_FALSE(st);
  EXPECT_NE(st.message().find("rebuilt from open tickets only"), std::string::npos) << st.message();
  EXPECT_EQ(after.engine_.open_ticket_count(), 1u);
  EXPECT_EQ(after.send(ev("db1", "db down")), Decision::kDeduplicated);
  EXPECT_TRUE(after.engine_.check_invariants());
}

TEST(Correlation, ExplainListsEveryFailedCondition) {
  Harness h(R"(
rules:
  - name: picky
    match: { host: db01, app: postgres }
    any:
      - { severity: critical }
      - { message: '~^checkpoint (starting|complete)$', labels.env: prod }
    not: { message: '~.' }
)");
  Event e = ev("web1", "disk full");
  e.app = "nginx";
  Explanation ex = h.engine_.explain(e, h.clock.now());
  ASSERT_EQ(ex.rules.size(), 1u);
  EXPECT_FALSE(ex.rules[0].matched);
  const std::vector<std::string> want = {
      "host is \"web1\", expected db01", "app is \"nginx\", expected postgres",
      "none of the \"any\" alternatives holds (1: severity is \"error\", expected critical | 2: "
      "message is \"disk full\", expected ~^checkpoint (starting|complete)$ and labels.env is "
      "not set, expected prod)",
      "the \"not\" block matches"};
  EXPECT_EQ(ex.rules[0].failed, want);
  EXPECT_EQ(ex.rules[0].reason, want[0] + "; " + want[1] + "; " + want[2] + "; " + want[3]);
  auto j = ex.to_json();
  EXPECT_EQ(j["rules"][0]["failed"].size(), 4u);
}

TEST(Correlation, ExplainShowsEveryRuleAndChangesNothing) {
  Harness h(R"(
rules:
  - name: drop-debug
    match: { severity: debug }
    action: drop
  - name: ssh
    match: { app: sshd, message: '~from (?P<ip>\S+)' }
    fingerprint: "{{ host }}/{{ ip }}"
  - name: later
    match: { app: sshd }
)");
  Event e = ev("web1", "Failed password from 10.1.1.1");
  e.app = "sshd";
  Explanation ex = h.engine_.explain(e, h.clock.now());
  ASSERT_EQ(ex.rules.size(), 3u);
  EXPECT_FALSE(ex.rules[0].matched);
  EXPECT_EQ(ex.rules[0].reason, "severity is \"error\", expected debug");
  EXPECT_TRUE(ex.rules[1].matched);
  EXPECT_EQ(ex.rules[1].captures.at("ip"), "10.1.1.1");
  EXPECT_EQ(ex.rules[1].fingerprint, "web1/10.1.1.1");
  EXPECT_EQ(ex.rules[1].reason, "matched: ticketed INC-000001");
  EXPECT_EQ(ex.rules[2].reason, "not tried: an earlier rule matched without continue");
  auto j = ex.to_json();
  EXPECT_EQ(j["decision"], "ticketed");
  EXPECT_EQ(h.engine_.open_ticket_count(), 0u);  // nothing changed
  EXPECT_EQ(h.send(e), Decision::kTicketed);
  EXPECT_EQ(h.engine_.explain(e, h.clock.now()).to_json()["decision"], "deduplicated");
}

TEST(Correlation, SnapshotRestoresWindowsAndGroups) {
  const char* yaml = R"(
rules:
  - name: ssh
    match: { message: "~fail" }
    threshold: { count: 3, within: 10m }
  - name: svc
    match: { message: "~down" }
    group_by: [host]
    group_wait: 1m
    fingerprint: "{{ host }}/{{ message }}"
)";
  Harness h(yaml);
  h.send(ev("a", "fail"));
  h.send(ev("a", "fail"));
  h.send(ev("b", "x down"));
  Harness after(yaml);
  after.clock.set(h.clock.now());
  ASSERT_TRUE(after.restore({}, {}, h));
  EXPECT_EQ(after.send(ev("a", "fail")), Decision::kTicketed);  // the third within the window
  EXPECT_EQ(after.send(ev("b", "y down")), Decision::kPending);
  after.advance(1min);
  ASSERT_EQ(after.tickets.size(), 2u);
  EXPECT_EQ(after.tickets[after.nth(1)].alerts.size(), 2u);
}

TEST(Correlation, ReloadKeepsUnchangedRulesState) {
  const char* v1 =
      "rules:\n  - {name: a, match: {message: \"~x\"}, threshold: {count: 2, within: 1h}}\n"
      "  - {name: b, match: {message: \"~y\"}, threshold: {count: 2, within: 1h}}\n";
  const char* v2 =
      "rules:\n  - {name: a, match: {message: \"~x\"}, threshold: {count: 2, within: 1h}}\n"
      "  - {name: b, match: {message: \"~y\"}, threshold: {count: 3, within: 1h}}\n";
  Harness h(v1);
  h.send(ev("h", "x"));
  h.send(ev("h", "y"));
  h.engine_.set_rules(Harness::load(v2));
  EXPECT_EQ(h.send(ev("h", "x")), Decision::kTicketed);  // a unchanged: its window survived
  EXPECT_EQ(h.send(ev("h", "y")), Decision::kPending);   // b changed: counting starts again
}

TEST(Correlation, ChattyAlertsGetOneTimelineEntryPerHundredEventsAfterTheFirstHundred) {
  Harness h("rules:\n  - {name: err, match: {severity: \">=error\"}}\n");
  for (int i = 0; i < 350; ++i) h.send(ev("h1", "boom"));
  const std::string key = h.nth(0);
  EXPECT_EQ(h.tickets[key].event_count, 350);
  EXPECT_EQ(h.timeline[key].size(), 1u + 99u + 2u);  // created, #2..#100, #200, #300
}

TEST(Correlation, DefaultRuleHandlesWhatNoRuleMatched) {
  Harness h(R"(
rules:
  - { name: disk, match: { message: "~disk" } }
  - { name: everything-else, match: { app: never-matches }, ticket: { title: "Unclassified: {{ message }}", team: triage } }
)");
  EXPECT_EQ(h.send(ev("h", "something odd")), Decision::kUnmatched);
  h.engine_.set_default_rule("everything-else");
  EXPECT_EQ(h.send(ev("h", "something odd")), Decision::kTicketed);
  EXPECT_EQ(h.tickets[h.nth(0)].title, "Unclassified: something odd");
  EXPECT_EQ(h.tickets[h.nth(0)].team, "triage");
  EXPECT_EQ(h.send(ev("h", "disk full")), Decision::kTicketed);
  EXPECT_EQ(h.tickets[h.nth(1)].rule, "disk");
  auto ex = h.engine_.explain(ev("h2", "odd"), h.clock.now());
  EXPECT_EQ(ex.rules.back().reason.rfind("default rule: matched: ticketed", 0), 0u)
      << ex.rules.back().reason;
}

TEST(Correlation, BatchModeReportsEachChangedTicketOnceEvenIfItLeft) {
  Harness h("rules:\n  - {name: err, match: {severity: \">=error\"}}\n");
  h.engine_.set_batch_mode(true);
  Actions a = h.engine_.process(ev("h1", "boom"), h.clock.now());
  const std::string key = std::get<TicketOpened>(a[0]).ticket.key;
  for (int i = 0; i < 3; ++i) a = h.engine_.process(ev("h1", "boom"), h.clock.now());
  for (const Action& x : a) EXPECT_FALSE(std::holds_alternative<TicketUpdated>(x));
  auto closed = h.engine_.patch_ticket(key, engine::TicketPatch{.status = TicketStatus::kCancelled},
                                       "user:x", h.clock.now(), std::nullopt);
  ASSERT_TRUE(closed);
  EXPECT_TRUE(h.engine_.check_invariants());
  Actions flushed = h.engine_.flush_updates();
  ASSERT_EQ(flushed.size(), 1u);
  const Ticket& t = std::get<TicketUpdated>(flushed[0]).ticket;
  EXPECT_EQ(t.event_count, 4);
  EXPECT_EQ(t.status, TicketStatus::kCancelled);
  EXPECT_TRUE(h.engine_.flush_updates().empty());
}

// Regression: a ticket resolved by hand, forgotten by the engine (no reopen
// window) and reopened by hand had no group, so its alert's next event opened
// a second ticket for the fingerprint (refused by the store: 503).
TEST(Correlation, ATicketReopenedByHandKeepsDeduplicating) {
  Harness h("rules:\n  - {name: ro, match: {message: \"~ro\"}, fingerprint: \"{{ host }}\"}\n");
  ASSERT_EQ(h.send(ev("h1", "ro x")), Decision::kTicketed);
  const std::string key = h.nth(0);
  auto resolved =
      h.engine_.patch_ticket(key, engine::TicketPatch{.status = TicketStatus::kResolved}, "user:x",
                             h.clock.now(), std::nullopt);
  ASSERT_TRUE(resolved);
  h.absorb(std::move(resolved).value());
  h.advance(1s);  // the group leaves with its (zero) reopen window
  auto reopened =
      h.engine_.patch_ticket(key, engine::TicketPatch{.status = TicketStatus::kInProgress},
                             "user:x", h.clock.now(), h.tickets[key]);
  ASSERT_TRUE(reopened) << reopened.error().message();
  h.absorb(std::move(reopened).value());
  EXPECT_EQ(h.send(ev("h1", "ro x")), Decision::kDeduplicated);
  EXPECT_EQ(h.last_ticket, key);
  EXPECT_EQ(h.tickets.size(), 1u);
}

// Resolving by hand records how (code and note) on the ticket and its
// timeline; reopening clears it; an unknown code or a resolution without
// resolving is refused; cancelling records "cancelled".
TEST(Correlation, ResolutionIsRecordedAndClearedOnReopen) {
  Harness h("rules:\n  - {name: r, match: {message: \"~disk\"}, fingerprint: \"{{ host }}\"}\n");
  h.send(ev("h1", "disk full"));
  const std::string key = h.nth(0);
  auto run = [&](TicketPatch p) {
    auto r = h.engine_.patch_ticket(key, p, "user:alice", h.clock.now(), h.tickets[key]);
    if (r) h.absorb(std::move(r).value());
    return r ? Status::ok() : r.error();
  };
  EXPECT_EQ(run({.resolution = Resolution{"fixed", "x"}}).code(), StatusCode::kConflict);
  EXPECT_EQ(run({.status = TicketStatus::kResolved, .resolution = Resolution{"magic", ""}}).code(),
            StatusCode::kInvalidArgument);
  EXPECT_TRUE(is_open(h.tickets[key].status));  // nothing changed
  ASSERT_TRUE(run({.status = TicketStatus::kResolved,
                   .resolution = Resolution{"workaround", "rotated the logs"}}));
  EXPECT_EQ(h.tickets[key].resolution, (Resolution{"workaround", "rotated the logs"}));
  const TimelineEntry& e = h.timeline[key].back();
  EXPECT_EQ(e.kind, "status");
  EXPECT_NE(e.message.find("(workaround): rotated the logs"), std::string::npos) << e.message;
  EXPECT_EQ(e.details_json()["resolution"]["note"], "rotated the logs");
  // A better note later, without a status change.
  ASSERT_TRUE(run({.resolution = Resolution{"fixed", "replaced the disk"}}));
  EXPECT_EQ(h.tickets[key].resolution.code, "fixed");
  EXPECT_EQ(h.timeline[key].back().kind, "resolution");
  // Reopen, then cancel.
  ASSERT_TRUE(run({.status = TicketStatus::kInProgress}));
  EXPECT_TRUE(h.tickets[key].resolution.empty());
  EXPECT_TRUE(h.timeline[key].back().details_json().value("reopened", false));
  ASSERT_TRUE(run({.status = TicketStatus::kCancelled}));
  EXPECT_EQ(h.tickets[key].resolution.code, "cancelled");
  EXPECT_EQ(run({.status = TicketStatus::kInProgress}).code(), StatusCode::kConflict);
}

// A ticket the engine resolves (its alert cleared) says so; a person's
// resolution replaces that; closing keeps what resolving recorded.
TEST(Correlation, AutoResolvedTicketsCarryTheirReasonAndCloseKeepsIt) {
  Harness h(kLink);
  h.send(trap("sw1", "IF-MIB::linkDown", "3"));
  h.send(trap("sw1", "IF-MIB::linkUp", "3"));
  const std::string key = h.nth(0);
  EXPECT_EQ(h.tickets[key].resolution.code, "auto_resolved");
  auto closed = h.engine_.patch_ticket(key, {.status = TicketStatus::kClosed}, "user:bob",
                                       h.clock.now(), h.tickets[key]);
  ASSERT_TRUE(closed);
  h.absorb(std::move(closed).value());
  EXPECT_EQ(h.tickets[key].resolution.code, "auto_resolved");
}

// A priority change moves the SLA targets to the new priority's (measured
// from when the ticket opened), with a timeline entry; a priority without
// targets has none.
TEST(Correlation, SlaTargetsFollowAPriorityChange) {
  Harness h(R"(
rules:
  - name: db
    match: { message: "~db slow" }
    ticket: { impact: medium, urgency: low }
sla:
  P1: { respond: 15m, resolve: 4h }
  P4: { respond: 8h, resolve: 3d }
)");
  h.send(ev("db1", "db slow"));
  const std::string key = h.nth(0);
  const TimePoint opened = h.clock.now();
  ASSERT_EQ(h.tickets[key].priority, Priority::kP4);
  EXPECT_EQ(h.tickets[key].respond_by, opened + 8h);
  h.advance(5min);
  auto patch = [&](Level impact, Level urgency) {
    auto r = h.engine_.patch_ticket(key, {.impact = impact, .urgency = urgency}, "user:x",
                                    h.clock.now(), h.tickets[key]);
    ASSERT_TRUE(r) << r.error().message();
    h.absorb(std::move(r).value());
  };
  patch(Level::kHigh, Level::kHigh);
  EXPECT_EQ(h.tickets[key].priority, Priority::kP1);
  EXPECT_EQ(h.tickets[key].respond_by, opened + 15min);
  EXPECT_EQ(h.tickets[key].resolve_by, opened + 4h);
  EXPECT_EQ(h.timeline[key].back().kind, "sla");
  EXPECT_EQ(h.timeline[key].back().details_json()["priority"], "P1");
  h.advance(11min);  // 16 minutes after opening: the P1 respond target is missed
  EXPECT_EQ(h.tickets[key].breaches, std::vector<std::string>{"respond"});
  patch(Level::kMedium, Level::kMedium);  // P3: no targets
  EXPECT_EQ(h.tickets[key].priority, Priority::kP3);
  EXPECT_FALSE(h.tickets[key].respond_by);
  EXPECT_FALSE(h.tickets[key].resolve_by);
}

TEST(Correlation, NotesAreInternalUnlessMadePublic) {
  Harness h("rules:\n  - {name: r, match: {message: \"~x\"}}\n");
  h.send(ev("h1", "x"));
  const std::string key = h.nth(0);
  for (auto v : {NoteVisibility::kInternal, NoteVisibility::kPublic}) {
    auto r = h.engine_.add_note(key, "checked", v, "user:a", h.clock.now(), std::nullopt);
    ASSERT_TRUE(r);
    h.absorb(std::move(r).value());
    EXPECT_EQ(h.timeline[key].back().details_json()["visibility"], note_visibility_name(v));
  }
  EXPECT_EQ(parse_note_visibility("public"), NoteVisibility::kPublic);
  EXPECT_FALSE(parse_note_visibility("secret"));
}

// Problem windows leave once their incidents aged out (they stayed forever).
TEST(Correlation, ProblemWindowsLeaveWhenTheirIncidentsAgeOut) {
  Harness h(R"(
rules:
  - name: prob
    match: { message: "~prob" }
    fingerprint: "{{ host }}"
problems:
  - name: pr
    when: { rule: prob }
    group_by: [host]
    threshold: { count: 2, within: 10m }
)");
  EXPECT_EQ(h.send(ev("c", "prob")), Decision::kTicketed);
  EXPECT_EQ(h.stored.count("p/pr|c"), 1u);
  h.advance(9min);
  EXPECT_EQ(h.stored.count("p/pr|c"), 1u);
  h.advance(1min);
  EXPECT_EQ(h.stored.count("p/pr|c"), 0u) << "the window ended; its record must go";
}

}  // namespace
}  // namespace ticketd::engine

namespace ticketd::engine {
namespace {

// allowed_transitions() is the rule patch_ticket() checks: from every
// status, each status it lists is taken and every other one refused as a
// conflict, with nothing changed.
TEST(Transitions, EveryListedStatusIsTakenAndEveryOtherRefused) {
  const std::vector<TicketStatus> all = {TicketStatus::kNew,        TicketStatus::kAssigned,
                                         TicketStatus::kInProgress, TicketStatus::kPending,
                                         TicketStatus::kResolved,   TicketStatus::kClosed,
                                         TicketStatus::kCancelled};
  for (TicketStatus from : all) {
    const std::vector<TicketStatus> listed = allowed_transitions(from);
    EXPECT_EQ(std::count(listed.begin(), listed.end(), from), 0) << ticket_status_name(from);
    for (TicketStatus to : all) {
      if (to == from) continue;
      Harness h("rules:\n  - {name: r, match: {message: \"~disk\"}}\n");
      Ticket stored;
      stored.key = "INC-000001";
      stored.title = "disk";
      stored.status = from;
      stored.created_at = stored.updated_at = h.clock.now();
      auto r = h.engine_.patch_ticket(stored.key, {.status = to}, "user:x", h.clock.now(), stored);
      const bool offered = std::count(listed.begin(), listed.end(), to) == 1;
      EXPECT_EQ(static_cast<bool>(r), offered)
          << ticket_status_name(from) << " -> " << ticket_status_name(to);
      if (!r) {
        EXPECT_EQ(r.error().code(), StatusCode::kConflict);
      } else {
        bool moved = false;
        for (const Action& a : *r) {
          if (auto* u = std::get_if<TicketUpdated>(&a)) moved = u->ticket.status == to;
        }
        EXPECT_TRUE(moved) << ticket_status_name(from) << " -> " << ticket_status_name(to);
      }
    }
  }
  EXPECT_TRUE(allowed_transitions(TicketStatus::kClosed).empty());
  EXPECT_TRUE(allowed_transitions(TicketStatus::kCancelled).empty());
  EXPECT_EQ(allowed_transitions(TicketStatus::kResolved),
            (std::vector<TicketStatus>{TicketStatus::kInProgress, TicketStatus::kClosed,
                                       TicketStatus::kCancelled}));
}

// Clearing the assignee of an assigned ticket puts it back to new, on the
// timeline; other statuses keep theirs, and a status in the same patch wins.
TEST(Transitions, UnassigningAnAssignedTicketMakesItNewAgain) {
  Harness h("rules:\n  - {name: r, match: {message: \"~disk\"}}\n");
  NewTicket spec;
  spec.title = "printer";
  spec.assignee = "alice";
  auto created = h.engine_.create_ticket(spec, "user:alice", h.clock.now());
  ASSERT_TRUE(created);
  h.absorb(std::move(created).value());
  const std::string key = h.nth(0);
  ASSERT_EQ(h.tickets[key].status, TicketStatus::kAssigned);
  auto run = [&](TicketPatch p) {
    auto r = h.engine_.patch_ticket(key, p, "user:bob", h.clock.now(), h.tickets[key]);
    ASSERT_TRUE(r) << r.error().message();
    h.absorb(std::move(r).value());
  };
  run({.assignee = ""});
  EXPECT_EQ(h.tickets[key].status, TicketStatus::kNew);
  EXPECT_EQ(h.tickets[key].assignee, "");
  ASSERT_GE(h.timeline[key].size(), 3u);
  const TimelineEntry& assignment = h.timeline[key][h.timeline[key].size() - 2];
  const TimelineEntry& status = h.timeline[key].back();
  EXPECT_EQ(assignment.kind, "assignment");
  EXPECT_EQ(assignment.message, "assignee alice -> -");
  EXPECT_EQ(status.kind, "status");
  EXPECT_EQ(status.message, "assigned -> new");
  EXPECT_EQ(status.actor, "user:bob");
  run({.assignee = "carol"});
  EXPECT_EQ(h.tickets[key].status, TicketStatus::kAssigned);
  run({.status = TicketStatus::kPending, .assignee = ""});  // the patch's status wins
  EXPECT_EQ(h.tickets[key].status, TicketStatus::kPending);
  run({.assignee = "dave"});
  run({.assignee = ""});  // pending stays pending
  EXPECT_EQ(h.tickets[key].status, TicketStatus::kPending);
}

}  // namespace
}  // namespace ticketd::engine
