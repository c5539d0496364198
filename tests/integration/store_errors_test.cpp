// Store errors other than a full disk, in the real daemon
// (docs/reliability.md, "Full disk and store errors"): another process holds
// the store's write lock (BEGIN EXCLUSIVE, as a backup or the sqlite3 shell
// would) for longer than store.busy_timeout, so the daemon's commits fail
// with SQLITE_BUSY. Here the other process is this test, through the SQLite
// C API on its own connection.
#include <sqlite3.h>

#include <algorithm>

#include "harness.hpp"
#include "load_senders.hpp"
#include "relp_client.hpp"

namespace ticketd_test {
namespace {

// A connection of its own to the daemon's store that takes and gives back
// the write lock.
class LockHolder {
 public:
  explicit LockHolder(const fs::path& db) {
    if (sqlite3_open_v2(db.c_str(), &db_, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK)
      error_ = db_ ? sqlite3_errmsg(db_) : "out of memory";
    // Waits for the daemon's own commits to finish.
    if (db_) sqlite3_busy_timeout(db_, 30'000);
  }
  ~LockHolder() { sqlite3_close_v2(db_); }
  LockHolder(const LockHolder&) = delete;
  LockHolder& operator=(const LockHolder&) = delete;

  // "" when the lock is held, else why not.
  std::string take() { return error_.empty() ? exec("BEGIN EXCLUSIVE") : error_; }
  std::string give_back() { return exec("ROLLBACK"); }

 private:
  std::string exec(const char* sql) {
    char* err = nullptr;
    if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) == SQLITE_OK) return "";
    std::string msg = err ? err : sqlite3_errmsg(db_);
    sqlite3_free(err);
    return std::string(sql) + ": " + msg;
  }

  sqlite3* db_ = nullptr;
  std::string error_;
};

// The daemon waits store.busy_timeout for a lock, then its commit fails.
void short_busy_timeout(const Daemon& d) {
  edit_config(d, "store: { path: var/ticketd.db }",
              "store: { path: var/ticketd.db, busy_timeout: 250ms }");
}

// Repeatedly, the lock is taken for about a second (four times the busy
// timeout) while HTTP, TCP syslog and RELP senders keep sending: every 202
// and every RELP "200 OK" is stored exactly once, refusals are visible (503
// with Retry-After, TCP and RELP held back, RELP "500 not stored" for a
// batch whose commit failed), /healthz answers throughout, and the daemon
// recovers each time the lock is given back, without a restart.
TEST(StoreErrors, ExclusiveLockHeldByAnotherProcessUnderLoadLosesNothing) {
  constexpr int kCycles = 4;
  Daemon d;
  d.write_rules(kLoadRules);
  short_busy_timeout(d);
  const uint16_t relp_port = enable_relp(d);
  ASSERT_TRUE(d.start()) << d.log();
  LockHolder lock(d.dir() / "var" / "ticketd.db");

  LoadSenders senders(d, relp_port);
  uint64_t failures = 0;
  int healthz_not_200 = 0;
  for (int cycle = 0; cycle < kCycles; ++cycle) {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    ASSERT_EQ(lock.take(), "") << "cycle " << cycle;
    // A commit fails with SQLITE_BUSY, /readyz says so, /healthz still answers.
    EXPECT_TRUE(eventually([&] { return metric_u(d, "ticketd_store_failures_total") > failures; }))
        << "cycle " << cycle << "\n"
        << d.log();
    EXPECT_TRUE(eventually([&] { return http("GET", d.url("/readyz")).status == 503; }))
        << "cycle " << cycle;
    healthz_not_200 += http("GET", d.url("/healthz")).status != 200;
    std::this_thread::sleep_for(std::chrono::milliseconds(1000));
    healthz_not_200 += http("GET", d.url("/healthz")).status != 200;
    failures = metric_u(d, "ticketd_store_failures_total");
    ASSERT_EQ(lock.give_back(), "") << "cycle " << cycle;
    ASSERT_TRUE(eventually([&] { return http("GET", d.url("/readyz")).status == 200; }))
        << "cycle " << cycle << ": did not recover\n"
        << d.log();
  }
  senders.stop();

  const std::string figures = senders.check();
  EXPECT_GT(senders.http_refused(), 0) << "no commit failed while HTTP was sending";
  EXPECT_EQ(healthz_not_200, 0);
  EXPECT_NE(d.log().find("database is locked"), std::string::npos) << d.log();
  EXPECT_EQ(d.stop(), 0) << d.log();
  std::cout << "store busy: " << kCycles
            << " exclusive-lock holds of ~1.3 s (busy_timeout 250 ms); " << figures
            << "; store failures " << failures << "; no restart\n";
}

// RELP's "500 not stored": a batch that was queued while the store was
// healthy and whose commit then fails (SQLITE_BUSY) is answered 500, the
// session closes, and nothing of it is stored; the sender's resend on a new
// connection is acknowledged and stored once.
TEST(StoreErrors, RelpBatchWhoseCommitFailsIsAnswered500AndNotStored) {
  Daemon d;
  short_busy_timeout(d);
  const uint16_t port = enable_relp(d);
  ASSERT_TRUE(d.start()) << d.log();
  LockHolder lock(d.dir() / "var" / "ticketd.db");
  RelpClient c(port);
  ASSERT_TRUE(c.connected());
  c.send(1, "open", kRelpOffers);
  ASSERT_TRUE(c.next());

  // The store is healthy (nothing failed yet), so the message is queued;
  // its commit waits 250 ms for the lock, then fails.
  ASSERT_EQ(lock.take(), "");
  const std::string msg = "<12>Dec  2 13:00:00 web1 shop: committed while locked";
  c.send(2, "syslog", msg);
  auto r = c.next();
  ASSERT_TRUE(r) << d.log();
  EXPECT_EQ(r->txnr, 2u);
  EXPECT_EQ(r->command, "rsp");
  EXPECT_EQ(r->data.rfind("500 not stored", 0), 0u) << r->data;
  EXPECT_FALSE(c.next()) << "closed after a 500";
  EXPECT_GE(metric_u(d, "ticketd_store_failures_total"), 1u);
  // Reads go on beside the lock: the refused message is not stored.
  std::vector<std::string> stored = stored_event_messages(d);
  EXPECT_EQ(std::count(stored.begin(), stored.end(), "committed while locked"), 0);

  ASSERT_EQ(lock.give_back(), "");
  RelpClient again(port);
  again.send(1, "open", kRelpOffers);
  ASSERT_TRUE(again.next());
  again.send(2, "syslog", msg);
  r = again.next();  // held while the store recovers, then acknowledged
  ASSERT_TRUE(r) << d.log();
  EXPECT_EQ(r->txnr, 2u);
  EXPECT_EQ(r->data, "200 OK");
  stored = stored_event_messages(d);
  EXPECT_EQ(std::count(stored.begin(), stored.end(), "committed while locked"), 1);
  EXPECT_EQ(d.stop(), 0) << d.log();
}

}  // namespace
}  // namespace ticketd_test
