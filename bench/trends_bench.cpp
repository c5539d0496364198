// What GET /api/v1/trends, POST /api/v1/silences/preview and the web page's
// queue (GET /api/v1/tickets with its total) cost the store
// at a realistic size (docs/performance.md).
//
//   trends_bench [--tickets N] [--span D] [--runs K] [--dir DIR]
//
//   --tickets N   tickets generated into the store (default 1,000,000), through
//                 Store::apply in batches: created evenly over the last D days,
//                 8 teams (one of them ""), 50 rules, 100,000 fingerprints;
//                 tickets older than a week resolved (99 %), newer ones half;
//                 one event each, four for those of the last day
//   --span D      days the tickets were created over (default 365; 400,000
//                 over 146 days is 1,000,000 a year, in less time to generate)
//   --runs K      runs of each measurement (default 20)
//   --dir DIR     where the database goes (default: a new directory under /tmp,
//                 removed at the end); an existing store.db there is reused
//
// Prints p50/p99 wall time and p50 CPU time (what counts on a shared
// machine) of Store::trends for 7, 30 and 365 days, with and without a
// team; of the queue's pages of 50 with their total (open by priority,
// with a team or unassigned; every ticket, newest or by priority, with a
// team); and of the preview's work: the open tickets (pages of 1,000, up to
// 10,000) with their newest 10 events each, and the last day's newest
// 10,001 events, every event matched against a silence (Silence::matches).
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "common.hpp"
#include "ticketd/engine/silence.hpp"
#include "ticketd/store/store.hpp"

using namespace ticketd;
namespace fs = std::filesystem;

namespace {

using Clock = std::chrono::steady_clock;
using bench::seconds_since;

[[noreturn]] void fail(const std::string& what) {
  std::fprintf(stderr, "trends_bench: %s\n", what.c_str());
  std::exit(1);
}

constexpr int64_t kDayMs = 86'400'000;
const TimePoint kNow = from_unix_ms(20'800LL * kDayMs + 15 * 3'600'000);  // 15:00 UTC

std::unique_ptr<store::Store> open_store(const std::string& path) {
  store::SqliteOptions o;
  o.path = path;
  o.sync_full = false;
  auto s = store::open_sqlite_store(o);
  if (!s) fail("cannot open " + path + ": " + s.error().message());
  return std::move(s).value();
}

void generate(store::Store& s, int64_t n, int64_t span_days) {
  std::mt19937 rng(11);
  const char* const teams[] = {"infra", "platform", "dba", "net", "storage", "web", "sec", ""};
  const auto started = Clock::now();
  const int64_t span = span_days * kDayMs;
  const int64_t first = to_unix_ms(kNow) - span;
  Actions batch;
  for (int64_t i = 1; i <= n; ++i) {
    Ticket t;
    t.key = format_ticket_key(TicketType::kIncident, i);
    const int64_t created = first + span * (i - 1) / n;
    t.first_seen = t.last_seen = t.created_at = t.updated_at = from_unix_ms(created);
    const uint32_t kind = rng() % 50;
    t.rule = "rule-" + std::to_string(kind);
    // 100,000 alerts (2,000 hosts x 50 kinds) that recur about ten times a year.
    t.fingerprint = "host" + std::to_string(rng() % 2000) + "/" + std::to_string(kind);
    t.team = teams[rng() % 8];
    t.title = "alert " + t.rule + " on " + t.fingerprint;
    t.priority = static_cast<Priority>(1 + rng() % 5);
    t.event_count = 1 + rng() % 20;
    const bool old = to_unix_ms(kNow) - created > 7 * kDayMs;
    if (rng() % 2) t.acknowledged_at = t.created_at + std::chrono::seconds(30 + rng() % 3600);
    if (old ? rng() % 100 != 0 : rng() % 2 == 0) {
      t.status = TicketStatus::kResolved;
      t.resolved_at = t.created_at + std::chrono::seconds(60 + rng() % (2 * 86400));
      t.updated_at = *t.resolved_at;
    } else {  // no fingerprint has two open tickets
      t.fingerprint += "/open" + std::to_string(i);
    }
    batch.emplace_back(TicketOpened{t});
    Event e;
    e.host = t.fingerprint.substr(0, t.fingerprint.find('/'));
    e.source = "syslog";
    e.severity = Severity::kError;
    e.message = "something failed on " + e.host + " (" + t.rule + ")";
    e.labels = {{"env", rng() % 3 ? "prod" : "stage"}};
    const int events = to_unix_ms(kNow) - created < kDayMs ? 4 : 1;
    for (int k = 0; k < events; ++k) {
      e.time = t.created_at + std::chrono::seconds(k);
      batch.emplace_back(EventRecorded{e, e.time, Decision::kDeduplicated, t.rule, t.key, ""});
    }
    if (batch.size() >= 4000 || i == n) {
      if (Status st = s.apply(batch); !st) fail("apply failed: " + st.message());
      batch.clear();
    }
    if (i % 100000 == 0)
      std::fprintf(stderr, "trends_bench: %lld tickets, %.0f s\n", static_cast<long long>(i),
                   seconds_since(started));
  }
  std::printf("generate: %lld tickets in %.1f s\n", static_cast<long long>(n),
              seconds_since(started));
}

double percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())))];
}

// Wall time and this process's CPU time: on a shared machine the CPU time
// is what the work costs.
void measure(const char* name, int runs, const std::function<std::string()>& run) {
  std::vector<double> ms, cpu;
  std::string what;
  for (int i = 0; i < runs; ++i) {
    const auto t0 = Clock::now();
    const std::clock_t c0 = std::clock();
    what = run();
    cpu.push_back(1000.0 * static_cast<double>(std::clock() - c0) / CLOCKS_PER_SEC);
    ms.push_back(seconds_since(t0) * 1000);
  }
  std::printf("%-32s p50 %7.1f ms  p99 %7.1f ms  cpu p50 %7.1f ms  (%s)\n", name,
              percentile(ms, 0.5), percentile(ms, 0.99), percentile(cpu, 0.5), what.c_str());
}

}  // namespace

int main(int argc, char** argv) {
  int64_t tickets = 1'000'000;
  int64_t span = 365;
  int runs = 20;
  std::string dir;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    if (a == "--tickets") {
      tickets = std::atoll(argv[i + 1]);
    } else if (a == "--span") {
      span = std::atoll(argv[i + 1]);
    } else if (a == "--runs") {
      runs = std::atoi(argv[i + 1]);
    } else if (a == "--dir") {
      dir = argv[i + 1];
    } else {
      fail("unknown option " + a);
    }
  }
  const bool temporary = dir.empty();
  if (temporary) dir = "/tmp/trends-bench-" + std::to_string(::getpid());
  fs::create_directories(dir);
  const std::string path = dir + "/store.db";
  const bool fresh = !fs::exists(path);
  auto s = open_store(path);
  if (fresh) generate(*s, tickets, std::max<int64_t>(span, 1));

  const TimePoint today = from_unix_ms(to_unix_ms(kNow) / kDayMs * kDayMs);
  for (int days : {7, 30, 365}) {
    for (const char* team : {"", "DBA"}) {
      store::TrendsQuery q;
      q.days = days;
      q.since = today - (days - 1) * std::chrono::hours(24);
      if (*team) q.team = team;
      const std::string name =
          "trends days=" + std::to_string(days) + (*team ? std::string(" team=") + team : "");
      measure(name.c_str(), runs, [&] {
        auto t = s->trends(q);
        if (!t) fail(t.error().message());
        int64_t opened = 0;
        for (const auto& d : t->per_day) opened += d.opened;
        return std::to_string(opened) + " tickets";
      });
    }
  }
  // The web page's queue: GET /api/v1/tickets pages of 50 with their total.
  struct Listing {
    const char* name;
    bool open_only;
    store::TicketSort sort;
    std::optional<std::string> team;
    std::optional<std::string> assignee;
  };
  const Listing listings[] = {
      {"queue: open, priority", true, store::TicketSort::kPriority, std::nullopt, std::nullopt},
      {"queue: open, priority, team=dba", true, store::TicketSort::kPriority, "dba", std::nullopt},
      {"queue: open, priority, unassigned", true, store::TicketSort::kPriority, std::nullopt, ""},
      {"queue: all, newest", false, store::TicketSort::kNewest, std::nullopt, std::nullopt},
      {"queue: all, priority", false, store::TicketSort::kPriority, std::nullopt, std::nullopt},
      {"queue: all, newest, team=dba", false, store::TicketSort::kNewest, "dba", std::nullopt},
  };
  for (const Listing& l : listings) {
    measure(l.name, runs, [&] {
      store::TicketQuery q;
      q.open_only = l.open_only;
      q.sort = l.sort;
      q.team = l.team;
      q.assignee = l.assignee;
      q.limit = 50;
      auto page = s->list_tickets(q);
      if (!page) fail(page.error().message());
      return std::to_string(page->tickets.size()) + " of " + std::to_string(page->total);
    });
  }
  // What the API does with them: the engine's matcher on every event read.
  auto silence = engine::silence_from_json(
      nlohmann::json::parse(R"j({"matchers":{"host":"~^host1[0-9]$","labels.env":"prod"},
                                 "duration":"1h"})j"),
      kNow);
  if (!silence) fail(silence.error().message());
  int64_t matched = 0;
  measure("preview: open tickets + events", runs, [&] {
    store::TicketQuery q;
    q.open_only = true;
    q.sort = store::TicketSort::kPriority;  // as the route reads them
    q.limit = 1000;
    int64_t examined = 0, events = 0;
    for (;;) {
      auto page = s->list_tickets(q);
      if (!page) fail(page.error().message());
      std::vector<std::string> keys;
      for (const Ticket& t : page->tickets) keys.push_back(t.key);
      auto ev = s->latest_ticket_events(keys, 10);
      if (!ev) fail(ev.error().message());
      for (const auto& [k, v] : *ev) {
        events += static_cast<int64_t>(v.size());
        for (const store::StoredEvent& e : v) {
          if (silence->matches(e.event)) {
            ++matched;
            break;
          }
        }
      }
      examined += static_cast<int64_t>(page->tickets.size());
      if (page->next_cursor.empty() || examined >= 10000) break;
      q.cursor = page->next_cursor;
    }
    return std::to_string(examined) + " tickets, " + std::to_string(events) + " events, " +
           std::to_string(matched / runs) + " matched";
  });
  measure("preview: recent events", runs, [&] {
    auto r = s->recent_events(kNow - std::chrono::hours(24), 10001);
    if (!r) fail(r.error().message());
    int64_t n = 0;
    for (const store::StoredEvent& e : *r) n += silence->matches(e.event) ? 1 : 0;
    return std::to_string(r->size()) + " events, " + std::to_string(n) + " matched";
  });
  s.reset();
  if (temporary) fs::remove_all(dir);
  return 0;
}
