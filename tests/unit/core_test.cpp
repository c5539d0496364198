#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "ticketd/core/clock.hpp"
#include "ticketd/core/event.hpp"
#include "ticketd/core/json.hpp"
#include "ticketd/core/text.hpp"
#include "ticketd/core/ticket.hpp"
#include "ticketd/core/time.hpp"

namespace ticketd {
namespace {

using namespace std::chrono_literals;

TEST(Duration, ParsesEveryUnit) {
  EXPECT_EQ(*parse_duration("500ms"), 500ms);
  EXPECT_EQ(*parse_duration("30s"), 30s);
  EXPECT_EQ(*parse_duration("5m"), 5min);
  EXPECT_EQ(*parse_duration("2h"), 2h);
  EXPECT_EQ(*parse_duration("7d"), 7 * 24h);
  EXPECT_EQ(*parse_duration("1w"), 7 * 24h);
  EXPECT_EQ(*parse_duration("1h30m"), 90min);
  EXPECT_EQ(*parse_duration("0s"), 0ms);
}

TEST(Duration, RejectsBadInputWithTheValueInTheMessage) {
  for (const char* bad : {"", "5", "m", "-5m", "5 m", "5x", "1.5h", "99999999999999999999d"}) {
    auto d = parse_duration(bad);
    ASSERT_FALSE(d) << bad;
    EXPECT_EQ(d.error().code(), StatusCode::kInvalidArgument);
  }
  EXPECT_EQ(parse_duration("5x").error().message(),
            "duration: missing or unknown unit in \"5x\", expected ms, s, m, h, d or w");
}

TEST(Duration, FormatsShortestExactForm) {
  EXPECT_EQ(format_duration(0ms), "0s");
  EXPECT_EQ(format_duration(90s), "1m30s");
  EXPECT_EQ(format_duration(1500ms), "1s500ms");
  EXPECT_EQ(format_duration(7 * 24h), "7d");
}

TEST(Time, Rfc3339RoundTripsAndHandlesOffsets) {
  auto t = parse_rfc3339("2026-11-28T14:03:00Z");
  ASSERT_TRUE(t);
  EXPECT_EQ(format_rfc3339(*t), "2026-11-28T14:03:00.000Z");
  auto with_offset = parse_rfc3339("2026-11-28T15:03:00.123456+01:00");
  ASSERT_TRUE(with_offset);
  EXPECT_EQ(format_rfc3339(*with_offset), "2026-11-28T14:03:00.123Z");
  auto negative = parse_rfc3339("2026-12-31T23:30:00-01:00");
  ASSERT_TRUE(negative);
  EXPECT_EQ(format_rfc3339(*negative), "2027-01-01T00:30:00.000Z");
  EXPECT_TRUE(parse_rfc3339("2026-11-28 14:03:00z"));
}

TEST(Time, Rfc3339RejectsMalformed) {
  for (const char* bad :
       {"", "2026-11-28", "2026-13-01T00:00:00Z", "2026-02-30T00:00:00Z", "2026-11-28T25:00:00Z",
        "2026-11-28T14:03:00", "2026-11-28T14:03:00Zjunk", "2026-11-28T14:03:00.Z", "yesterday"}) {
    EXPECT_FALSE(parse_rfc3339(bad)) << bad;
  }
}

TEST(Clock, ManualClockOnlyMovesWhenTold) {
  ManualClock clock(from_unix_ms(1000));
  EXPECT_EQ(to_unix_ms(clock.now()), 1000);
  clock.advance(4min + 59s);
  EXPECT_EQ(clock.now(), from_unix_ms(1000) + 299s);
  clock.set(from_unix_ms(5));
  EXPECT_EQ(to_unix_ms(clock.now()), 5);
  SystemClock real;
  EXPECT_GT(to_unix_ms(real.now()), 1'700'000'000'000);
}

TEST(Priority, ItilMatrix) {
  const Level kLevels[] = {Level::kHigh, Level::kMedium, Level::kLow};
  const char* expected[3][3] = {{"P1", "P2", "P3"}, {"P2", "P3", "P4"}, {"P3", "P4", "P5"}};
  for (int i = 0; i < 3; ++i) {
    for (int u = 0; u < 3; ++u) {
      EXPECT_EQ(priority_name(priority_from(kLevels[i], kLevels[u])), expected[i][u])
          << "impact " << level_name(kLevels[i]) << " urgency " << level_name(kLevels[u]);
    }
  }
}

TEST(Priority, UrgencyFromSeverity) {
  EXPECT_EQ(urgency_from_severity(Severity::kEmergency), Level::kHigh);
  EXPECT_EQ(urgency_from_severity(Severity::kCritical), Level::kHigh);
  EXPECT_EQ(urgency_from_severity(Severity::kError), Level::kMedium);
  EXPECT_EQ(urgency_from_severity(Severity::kWarning), Level::kMedium);
  EXPECT_EQ(urgency_from_severity(Severity::kNotice), Level::kLow);
  EXPECT_EQ(urgency_from_severity(std::nullopt), Level::kLow);
}

TEST(Ticket, KeysAndNames) {
  EXPECT_EQ(format_ticket_key(TicketType::kIncident, 123), "INC-000123");
  EXPECT_EQ(format_ticket_key(TicketType::kServiceRequest, 1), "REQ-000001");
  EXPECT_EQ(format_ticket_key(TicketType::kProblem, 1234567), "PRB-1234567");
  EXPECT_EQ(format_ticket_key(TicketType::kChange, 9), "CHG-000009");
  EXPECT_EQ(parse_ticket_status("in_progress"), TicketStatus::kInProgress);
  EXPECT_FALSE(parse_ticket_status("open"));
  EXPECT_EQ(parse_priority("P4"), Priority::kP4);
  EXPECT_FALSE(parse_priority("P6"));
  EXPECT_TRUE(is_open(TicketStatus::kPending));
  EXPECT_FALSE(is_open(TicketStatus::kResolved));
}

TEST(Ticket, JsonCarriesTheContractFields) {
  Ticket t;
  t.key = "INC-000001";
  auto j = ticket_to_json(t);
  for (const char* k : {"key",       "type",       "title",       "description",     "status",
                        "priority",  "impact",     "urgency",     "category",        "team",
                        "assignee",  "rule",       "fingerprint", "event_count",     "first_seen",
                        "last_seen", "created_at", "updated_at",  "acknowledged_at", "resolved_at",
                        "closed_at", "sla",        "problem",     "labels",          "external"}) {
    EXPECT_TRUE(j.contains(k)) << k;
  }
}

TEST(Event, FromJsonFillsDefaultsAndFields) {
  const TimePoint now = from_unix_ms(1'800'000'000'000);
  auto e =
      event_from_json(nlohmann::json::parse(R"({"host":"db01","severity":"crit","message":"disk",
      "labels":{"mount":"/var","code":42},"annotations":{"runbook":"x"}})"),
                      now);
  ASSERT_TRUE(e) << e.error().message();
  EXPECT_EQ(e->source, "api");
  EXPECT_EQ(e->status, "firing");
  EXPECT_EQ(e->time, now);
  EXPECT_EQ(e->severity, Severity::kCritical);
  EXPECT_EQ(e->field("labels.mount"), "/var");
  EXPECT_EQ(e->field("labels.code"), "42");
  EXPECT_EQ(e->field("annotations.runbook"), "x");
  EXPECT_EQ(e->field("severity"), "critical");
  EXPECT_FALSE(e->field("app"));
  EXPECT_FALSE(e->field("labels.nope"));
}

TEST(Event, FromJsonNamesTheBadField) {
  const TimePoint now{};
  auto msg = [&](const char* text) {
    auto e = event_from_json(nlohmann::json::parse(text), now);
    return e ? std::string("ok") : e.error().message();
  };
  EXPECT_EQ(msg(R"([1])"), "event: must be a JSON object, got array");
  EXPECT_EQ(msg(R"({"host":5,"message":"x"})"), "event: \"host\" must be a string, got number");
  EXPECT_EQ(msg(R"({"status":"open","message":"x"})"),
            "event: \"status\" is \"open\", expected firing or resolved");
  EXPECT_EQ(msg(R"({"labels":{"a":{"b":1}},"message":"x"})"),
            "event: \"labels.a\" must be a string, got object");
  EXPECT_EQ(msg(R"({"labels":[1],"message":"x"})"),
            "event: \"labels\" must be an object of strings");
  EXPECT_EQ(msg(R"({"host":"h"})"),
            "event: carries nothing to act on; set at least one of \"message\", \"labels\", "
            "\"trap_oid\"");
  EXPECT_NE(msg(R"({"time":"noon","message":"x"})").find("event: \"time\": time: invalid RFC 3339"),
            std::string::npos);
}

TEST(Event, UnixTimesInSecondsOrMilliseconds) {
  auto s =
      event_from_json(nlohmann::json::parse(R"({"message":"x","time":1800000000})"), TimePoint{});
  ASSERT_TRUE(s);
  EXPECT_EQ(to_unix_ms(s->time), 1'800'000'000'000);
  auto ms = event_from_json(nlohmann::json::parse(R"({"message":"x","time":1800000000123})"),
                            TimePoint{});
  ASSERT_TRUE(ms);
  EXPECT_EQ(to_unix_ms(ms->time), 1'800'000'000'123);
  EXPECT_FALSE(event_from_json(nlohmann::json::parse(R"({"message":"x","time":-5})"), TimePoint{}));
}

TEST(Event, JsonRoundTrip) {
  Event e;
  e.host = "sw1";
  e.severity = Severity::kWarning;
  e.message = "link down";
  e.trap_oid = "IF-MIB::linkDown";
  e.labels = {{"ifIndex", "3"}};
  e.time = from_unix_ms(1'800'000'000'123);
  auto back = event_from_json(event_to_json(e), TimePoint{});
  ASSERT_TRUE(back);
  EXPECT_EQ(event_to_json(*back), event_to_json(e));
}

}  // namespace
}  // namespace ticketd

namespace ticketd {
namespace {

std::string nest(int depth) {
  return std::string(static_cast<size_t>(depth), '[') +
         std::string(static_cast<size_t>(depth), ']');
}

TEST(ParseJson, AcceptsUpToTheDepthLimitAndRefusesDeeper) {
  EXPECT_TRUE(parse_json(nest(kMaxJsonDepth)));
  auto deep = parse_json(nest(kMaxJsonDepth + 1));
  ASSERT_FALSE(deep);
  EXPECT_TRUE(is_too_deep(deep.error()));
  EXPECT_EQ(deep.error().message(), "JSON nested deeper than 64 levels");
  // 100,000 levels: refused while parsing, no stack overflow anywhere.
  auto huge = parse_json(nest(100000));
  ASSERT_FALSE(huge);
  EXPECT_TRUE(is_too_deep(huge.error()));
  // Brackets inside strings are not nesting.
  EXPECT_TRUE(parse_json("{\"a\":\"" + nest(1000) + "\"}"));
}

TEST(ParseJson, InvalidJsonNamesWhereWithoutTheLibraryTag) {
  auto r = parse_json("{\"host\":");
  ASSERT_FALSE(r);
  EXPECT_FALSE(is_too_deep(r.error()));
  EXPECT_EQ(r.error().message().rfind("parse error at line 1, column 9: ", 0), 0u)
      << r.error().message();
  EXPECT_FALSE(parse_json(""));
  EXPECT_EQ((*parse_json(R"({"a":[1,2,{"b":null}]})"))["a"][2]["b"], nullptr);
}

TEST(CapText, CutsAtCharacterBoundariesAndMarksTheCut) {
  EXPECT_EQ(cap_text("short", 100), "short");
  const std::string euro = "€€€€€€€€€€";  // 3 bytes each
  EXPECT_EQ(utf8_prefix(euro, 7), "€€");
  const std::string capped = cap_text(euro + euro, 20);
  EXPECT_LE(capped.size(), 20u);
  EXPECT_EQ(capped, "€€" + std::string(kTruncatedMarker));
  EXPECT_EQ(utf8_prefix("abc", 0), "");
}

}  // namespace
}  // namespace ticketd
