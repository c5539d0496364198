// Full-text search over a large store, and what keeping the index costs
// ingestion (docs/search.md, docs/performance.md).
//
//   search_bench [--tickets N] [--queries K] [--events E] [--dir DIR]
//
//   --tickets N   tickets generated into the store (default 1,000,000), through
//                 Store::apply in batches of 1,000: varied titles from eight alert
//                 kinds over 5,000 hosts, two events each (one repeated), a note
//                 on one in five, a resolution on three in ten
//   --queries K   runs of each query kind, each with other words (default 30)
//   --events E    events of each ingestion run (default 200,000)
//   --dir DIR     where the databases go (default: a new directory under /tmp,
//                 removed at the end)
//
// Prints: generation rate; per query kind the matches of its first run and
// p50/p99 latency of list_tickets (first page of 20, best first); ingestion
// events/s through Store::apply with and without the index's triggers, for
// events on 200 open tickets with repeated messages (the deduplication hot
// path) and with messages that all differ, and for events that each open a
// ticket (E/4 of them); the database size and the process's peak RSS.
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "common.hpp"
#include "ticketd/store/store.hpp"

using namespace ticketd;
namespace fs = std::filesystem;

namespace {

using Clock = std::chrono::steady_clock;
using bench::seconds_since;

[[noreturn]] void fail(const std::string& what) {
  std::fprintf(stderr, "search_bench: %s\n", what.c_str());
  std::exit(1);
}

const char* const kNoteWords[] = {
    "restarted", "service",   "rolled",   "back",      "deploy",    "vendor",  "case",
    "firmware",  "upgraded",  "replaced", "cable",     "rebooted",  "checked", "logs",
    "escalated", "customer",  "impact",   "mitigated", "increased", "quota",   "cleaned",
    "old",       "snapshots", "rotated",  "keys",      "failover",  "primary", "waiting",
    "for",       "spare",     "part",     "ticket",    "opened",    "with",    "datacenter",
    "team",      "confirmed", "fixed",    "after",     "patch",     "window",  "monitoring"};
const char* const kUsers[] = {"root", "admin", "oracle", "postgres", "ubuntu", "test", "git"};
const char* const kProcs[] = {"java", "python3", "postgres", "nginx", "node", "redis-server"};
const char* const kServices[] = {"checkout", "billing", "search", "auth", "inventory", "gateway"};
const char* const kSites[] = {"fra1", "ams2", "lon3", "nyc1", "sfo2", "sin1"};

template <class T, size_t N>
const T& pick(std::mt19937& rng, const T (&a)[N]) {
  return a[rng() % N];
}

std::string host_name(uint32_t i) {
  static const char* const kinds[] = {"db", "web", "sw", "app", "cache"};
  char buf[32];
  std::snprintf(buf, sizeof buf, "%s%03u", kinds[i % 5], i / 5 % 1000);
  return buf;
}

// One alert kind's title and event message, with the ticket's host.
void alert_text(std::mt19937& rng, int kind, const std::string& host, std::string* title,
                std::string* message) {
  const std::string n = std::to_string(rng() % 250);
  switch (kind) {
    case 0:
      *title = "Disk sd" + std::string(1, static_cast<char>('a' + rng() % 4)) + " full on " + host;
      *message = "write failed: No space left on device (block " + n + ")";
      break;
    case 1:
      *title = "SSH brute force on " + host + " from 203.0.113." + n;
      *message = "Failed password for " + std::string(pick(rng, kUsers)) + " from 203.0.113." + n +
                 " port " + std::to_string(1024 + rng() % 60000) + " ssh2";
      break;
    case 2:
      *title = "Interface Gi0/" + n + " down on " + host;
      *message = "%LINK-3-UPDOWN: Interface Gi0/" + n + ", changed state to down";
      break;
    case 3: {
      const std::string proc = pick(rng, kProcs);
      *title = "OOM killed " + proc + " on " + host;
      *message = "Out of memory: Killed process " + std::to_string(rng() % 65536) + " (" + proc +
                 ") total-vm:" + n + "MB";
      break;
    }
    case 4: {
      const std::string svc = pick(rng, kServices);
      *title = "HTTP 5xx rate high on " + svc + " via " + host;
      *message = "upstream " + svc + " returned 503 for " + n + "% of requests";
      break;
    }
    case 5:
      *title = "Certificate of " + host + ".example.com expires in " + std::to_string(rng() % 30) +
               " days";
      *message = "x509: certificate expires soon, serial " + std::to_string(rng());
      break;
    case 6:
      *title = "Replication lag on " + host;
      *message = "replica " + host + " is " + n + " seconds behind the primary";
      break;
    default:
      *title = "Backup job nightly-" + n + " failed on " + host;
      *message = "backup nightly-" + n + " exited with status 2: connection reset by peer";
      break;
  }
}

std::unique_ptr<store::Store> open_store(const std::string& path) {
  store::SqliteOptions o;
  o.path = path;
  o.sync_full = false;  // the CPU cost of the index, not the disk's fsync time
  auto s = store::open_sqlite_store(o);
  if (!s) fail("cannot open " + path + ": " + s.error().message());
  return std::move(s).value();
}

void apply_batch(store::Store& s, const Actions& a) {
  if (Status st = s.apply(a); !st) fail("apply failed: " + st.message());
}

void exec(const std::string& path, const char* sql) {
  sqlite3* db = nullptr;
  if (sqlite3_open(path.c_str(), &db) != SQLITE_OK) fail("cannot open " + path);
  char* err = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &err) != SQLITE_OK)
    fail(std::string("sqlite: ") + (err ? err : "?"));
  sqlite3_close(db);
}

uintmax_t db_bytes(const std::string& path) {
  std::error_code ec;
  uintmax_t total = 0;
  for (const char* suffix : {"", "-wal"}) {
    auto n = fs::file_size(path + suffix, ec);
    if (!ec) total += n;
  }
  return total;
}

// Generates `n` tickets into the store at `path`.
void generate(const std::string& path, int64_t n) {
  auto s = open_store(path);
  std::mt19937 rng(7);
  const TimePoint t0 = from_unix_ms(1'790'000'000'000);
  const auto started = Clock::now();
  Actions batch;
  for (int64_t i = 1; i <= n; ++i) {
    const std::string host = host_name(rng() % 5000);
    const int kind = static_cast<int>(rng() % 8);
    Ticket t;
    t.key = format_ticket_key(TicketType::kIncident, i);
    std::string message;
    alert_text(rng, kind, host, &t.title, &message);
    t.description = message;
    t.fingerprint = host + "/" + std::to_string(kind) + "/" + std::to_string(i);
    t.rule = "kind-" + std::to_string(kind);
    t.team = kind < 3 ? "infra" : kind < 6 ? "platform" : "dba";
    t.priority = static_cast<Priority>(1 + rng() % 5);
    t.labels = {{"site", pick(rng, kSites)},
                {"role", host.substr(0, host.find_first_of("0123456789"))}};
    t.event_count = 3;
    t.first_seen = t.last_seen = t.created_at = t.updated_at = t0 + std::chrono::seconds(i);
    if (rng() % 10 < 3) {
      t.status = TicketStatus::kResolved;
      t.resolved_at = t.updated_at;
      t.resolution = {
          rng() % 2 ? "fixed" : "workaround",
          std::string(pick(rng, kNoteWords)) + " " + pick(rng, kNoteWords) + " on " + host};
    }
    batch.emplace_back(TicketOpened{t});
    Event e;
    e.host = host;
    e.source = "syslog";
    e.time = t.first_seen;
    e.message = message;
    for (int k = 0; k < 2; ++k)  // the same message twice
      batch.emplace_back(
          EventRecorded{e, t.first_seen, Decision::kDeduplicated, t.rule, t.key, ""});
    std::string other_title;
    alert_text(rng, kind, host, &other_title, &e.message);  // and another one
    batch.emplace_back(EventRecorded{e, t.first_seen, Decision::kDeduplicated, t.rule, t.key, ""});
    if (rng() % 5 == 0) {
      std::string note;
      const int words = 4 + static_cast<int>(rng() % 12);
      for (int w = 0; w < words; ++w) note += std::string(w ? " " : "") + pick(rng, kNoteWords);
      note += " CHG" + std::to_string(rng() % 100000);
      if (i % 100000 == 50000) note += " kraken";  // the rare word: 1 in 100,000 tickets
      batch.emplace_back(TimelineAdded{{t.key, t.updated_at, "user:alice", "note", note, "{}"}});
    }
    if (batch.size() >= 4000 || i == n) {
      apply_batch(*s, batch);
      batch.clear();
    }
    if (i % 100000 == 0) {
      std::fprintf(stderr, "search_bench: %lld tickets, %.0f s\n", static_cast<long long>(i),
                   seconds_since(started));
    }
  }
  const double secs = seconds_since(started);
  std::printf(
      "generate: %lld tickets in %.1f s (%.0f tickets/s, %.0f actions/s); database %.0f MB\n",
      static_cast<long long>(n), secs, static_cast<double>(n) / secs,
      static_cast<double>(n) * 4.2 / secs, static_cast<double>(db_bytes(path)) / 1e6);
}

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const size_t i = std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())));
  return v[i];
}

struct Kind {
  const char* name;
  std::function<store::TicketQuery(std::mt19937&)> make;
};

void search(const std::string& path, int64_t tickets, int runs) {
  auto s = open_store(path);
  auto q_of = [](std::string text) {
    store::TicketQuery q;
    q.text = std::move(text);
    q.limit = 20;
    return q;
  };
  const std::vector<Kind> kinds = {
      {"one word (host)", [&](std::mt19937& r) { return q_of(host_name(r() % 5000)); }},
      {"two words", [&](std::mt19937& r) { return q_of("disk " + host_name(r() % 5000)); }},
      {"phrase",
       [&](std::mt19937& r) {
         return q_of("\"failed password for " + std::string(pick(r, kUsers)) + "\"");
       }},
      {"phrase + host",
       [&](std::mt19937& r) { return q_of("\"no space left\" " + host_name(r() % 5000)); }},
      {"prefix", [&](std::mt19937& r) { return q_of("db0" + std::to_string(r() % 10) + "*"); }},
      {"field (title:)", [&](std::mt19937& r) { return q_of("title:" + host_name(r() % 5000)); }},
      {"note: word",
       [&](std::mt19937& r) {
         return q_of("note:" + std::string(pick(r, kNoteWords)) + " " + pick(r, kNoteWords));
       }},
      {"word + status",
       [&](std::mt19937& r) {
         auto q = q_of(host_name(r() % 5000));
         q.status = TicketStatus::kResolved;
         return q;
       }},
      {"common + status",
       [&](std::mt19937&) {
         auto q = q_of("replication");
         q.status = TicketStatus::kResolved;
         return q;
       }},
      {"rare word", [&](std::mt19937&) { return q_of("kraken"); }},
      {"very common", [&](std::mt19937&) { return q_of("on"); }},
      {"key",
       [&](std::mt19937& r) {
         return q_of(format_ticket_key(TicketType::kIncident, 1 + r() % 1000));
       }},
  };
  std::printf("\n%-18s %9s %9s %9s %9s\n", "query", "matches", "p50 ms", "p99 ms", "max ms");
  std::mt19937 rng(11);
  for (const Kind& k : kinds) {
    std::vector<double> ms;
    std::string matches = "-";
    for (int i = 0; i < runs; ++i) {
      store::TicketQuery q = k.make(rng);
      const auto t0 = Clock::now();
      auto page = s->list_tickets(q);
      ms.push_back(seconds_since(t0) * 1000);
      if (!page) fail(std::string(k.name) + ": " + page.error().message());
      if (i == 0) {  // how many match: follow the query without a limit once, untimed
        store::TicketQuery all = q;
        all.limit = 1000;
        int64_t count = 0;
        for (int pages = 0; pages < 3; ++pages) {
          auto p = s->list_tickets(all);
          if (!p) fail(p.error().message());
          count += static_cast<int64_t>(p->tickets.size());
          if (p->next_cursor.empty()) break;
          all.cursor = p->next_cursor;
        }
        matches = count >= 3000 ? ">3000" : std::to_string(count);
      }
    }
    std::printf("%-18s %9s %9.2f %9.2f %9.2f\n", k.name, matches.c_str(), percentile(ms, 0.5),
                percentile(ms, 0.99), percentile(ms, 1.0));
  }
  // Store::similar for a random ticket (10 found): as the pipeline asks for
  // each new incident (fingerprint and rule, no text), and as the API asks
  // with the rule cleared, so that the words of the title rank them all.
  for (bool by_text : {false, true}) {
    std::vector<double> ms;
    for (int i = 0; i < runs; ++i) {
      const std::string key =
          format_ticket_key(TicketType::kIncident, 1 + static_cast<int64_t>(rng()) % tickets);
      auto t = s->get_ticket(key);
      if (!t) fail(t.error().message());
      if (!*t) continue;  // not every number is an incident's
      Ticket like = **t;
      if (by_text) like.rule.clear();
      const auto t0 = Clock::now();
      auto found = s->similar(like, {.limit = 10, .by_text = by_text});
      ms.push_back(seconds_since(t0) * 1000);
      if (!found) fail(found.error().message());
    }
    std::printf("%-18s %9s %9.2f %9.2f %9.2f\n", by_text ? "similar (text)" : "similar (fp, rule)",
                "10", percentile(ms, 0.5), percentile(ms, 0.99), percentile(ms, 1.0));
  }
}

// Events through Store::apply as the pipeline writes them on the
// deduplication path: batches of 1,000 events, each with a counters-only
// update of every ticket it touched.
enum class Mode { kRepeated, kDistinct, kNewTickets };

double ingest(const std::string& path, int64_t events, Mode mode, bool index) {
  const bool distinct = mode == Mode::kDistinct;
  for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(path + suffix);
  open_store(path).reset();  // the current schema
  if (!index) {
    // No index: its triggers dropped, and ticket_texts emptied as it is
    // written (what remains is the store's statement for a text it has not
    // met before, which the index alone needs: so "without" is a little
    // slower than a store without search where messages are new).
    exec(path,
         "DROP TRIGGER tickets_search_insert; DROP TRIGGER tickets_search_update;"
         " DROP TRIGGER timeline_search_note; DROP TRIGGER ticket_texts_search;"
         " CREATE TRIGGER ticket_texts_off AFTER INSERT ON ticket_texts"
         " BEGIN DELETE FROM ticket_texts WHERE ticket_key = new.ticket_key; END;");
  }
  auto s = open_store(path);
  std::mt19937 rng(3);
  const int tickets = 200;  // 1,000 events each by default: past the first 20 messages
  std::vector<Ticket> open;
  std::vector<std::string> hosts;
  Actions batch;
  const TimePoint t0 = from_unix_ms(1'790'000'000'000);
  for (int i = 1; i <= tickets; ++i) {
    Ticket t;
    t.key = format_ticket_key(TicketType::kIncident, i);
    hosts.push_back(host_name(static_cast<uint32_t>(i)));
    std::string message;
    alert_text(rng, i % 8, hosts.back(), &t.title, &message);
    t.description = message;
    t.fingerprint = hosts.back() + "/" + std::to_string(i);
    t.event_count = 1;
    t.first_seen = t.last_seen = t.created_at = t.updated_at = t0;
    batch.emplace_back(TicketOpened{t});
    open.push_back(t);
  }
  apply_batch(*s, batch);
  batch.clear();
  std::set<size_t> touched;
  const auto started = Clock::now();
  for (int64_t i = 0; i < events; ++i) {
    if (mode == Mode::kNewTickets) {  // a storm: each event opens a ticket
      Ticket t;
      t.key = format_ticket_key(TicketType::kIncident, tickets + 1 + i);
      const std::string host = host_name(static_cast<uint32_t>(rng() % 5000));
      Event e;
      e.source = "syslog";
      e.host = host;
      e.time = t0 + std::chrono::milliseconds(i);
      alert_text(rng, static_cast<int>(i % 8), host, &t.title, &e.message);
      t.description = e.message;
      t.fingerprint = host + "/new/" + std::to_string(i);
      t.labels = {{"site", pick(rng, kSites)}};
      t.event_count = 1;
      t.first_seen = t.last_seen = t.created_at = t.updated_at = e.time;
      batch.emplace_back(TicketOpened{t});
      batch.emplace_back(EventRecorded{e, e.time, Decision::kTicketed, "r", t.key, ""});
      batch.emplace_back(TimelineAdded{{t.key, e.time, "engine", "created", "opened", "{}"}});
      if (batch.size() >= 1500 || i + 1 == events) {
        apply_batch(*s, batch);
        batch.clear();
      }
      continue;
    }
    Ticket& t = open[rng() % tickets];
    Event e;
    e.source = "syslog";
    e.host = hosts[static_cast<size_t>(&t - open.data())];
    e.time = t0 + std::chrono::milliseconds(i);
    if (distinct) {
      e.message = "request " + std::to_string(i) + " failed: connection reset by peer";
    } else {
      e.message = "write failed: No space left on device (block " + std::to_string(i % 3) + ")";
    }
    ++t.event_count;
    t.last_seen = t.updated_at = e.time;
    batch.emplace_back(EventRecorded{e, e.time, Decision::kDeduplicated, "r", t.key, ""});
    touched.insert(static_cast<size_t>(&t - open.data()));
    if (batch.size() >= 1000 || i + 1 == events) {
      // Like the engine's batch mode: each changed ticket once per batch.
      for (size_t k : touched) batch.emplace_back(TicketUpdated{open[k], true});
      touched.clear();
      apply_batch(*s, batch);
      batch.clear();
    }
  }
  return static_cast<double>(events) / seconds_since(started);
}

}  // namespace

int main(int argc, char** argv) {
  int64_t tickets = 1'000'000, events = 200'000;
  int runs = 30;
  std::string dir;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) fail(a + " needs a value");
      return argv[++i];
    };
    auto number = [&]() -> int64_t {
      const std::string v = value();
      char* end = nullptr;
      const long long n = std::strtoll(v.c_str(), &end, 10);
      if (v.empty() || *end != '\0' || n < 1)
        fail(a + " wants a positive number, got \"" + v + "\"");
      return n;
    };
    if (a == "--tickets") {
      tickets = number();
    } else if (a == "--queries") {
      runs = static_cast<int>(number());
    } else if (a == "--events") {
      events = number();
    } else if (a == "--dir") {
      dir = value();
    } else {
      fail("unknown option " + a +
           " (usage: search_bench [--tickets N] [--queries K] [--events E] [--dir DIR])");
    }
  }
  const bool own_dir = dir.empty();
  if (own_dir)
    dir = (fs::temp_directory_path() / ("search-bench-" + std::to_string(::getpid()))).string();
  fs::create_directories(dir);
  const std::string big = dir + "/search.db";
  fs::remove(big);

  generate(big, tickets);
  search(big, tickets, runs);

  std::printf("\n%-34s %12s\n", "ingestion (Store::apply)", "events/s");
  const std::string small = dir + "/ingest.db";
  for (Mode mode : {Mode::kRepeated, Mode::kDistinct, Mode::kNewTickets}) {
    const int64_t n = mode == Mode::kNewTickets ? std::max<int64_t>(1, events / 4) : events;
    const double with = ingest(small, n, mode, true);
    const double without = ingest(small, n, mode, false);
    const char* what = mode == Mode::kRepeated   ? "repeated messages"
                       : mode == Mode::kDistinct ? "all messages distinct"
                                                 : "each event a new ticket";
    std::printf("%-34s %12.0f\n", (std::string(what) + ", with index").c_str(), with);
    std::printf("%-34s %12.0f   (index costs %.0f%%)\n",
                (std::string(what) + ", without index").c_str(), without,
                100.0 * (1.0 - with / without));
  }
  std::printf("\npeak RSS:%s\n", bench::peak_rss("self").c_str());
  if (own_dir) fs::remove_all(dir);
  return 0;
}
