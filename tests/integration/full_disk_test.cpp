// Repeated full-disk cycles under load (docs/reliability.md, "Full disk"):
// the store's filesystem (a size-limited tmpfs) is filled and freed several
// times while an HTTP sender, a TCP syslog sender and a RELP sender keep
// sending. Nothing acknowledged is lost, nothing is acknowledged that was not
// stored, every TCP line read is stored once the space returns, and the
// daemon recovers each time without a restart. Needs root for the tmpfs
// (skipped otherwise).
#include "harness.hpp"
#include "load_senders.hpp"

namespace ticketd_test {
namespace {

TEST(FullDisk, RepeatedFillAndFreeCyclesUnderLoadLoseNothingAndNeedNoRestart) {
  constexpr int kCycles = 4;
  Daemon d;
  d.write_rules(kLoadRules);
  const uint16_t relp_port = enable_relp(d);
  Tmpfs var(d.dir() / "var", "32m");
  if (!var.mounted()) GTEST_SKIP() << "cannot mount a tmpfs here (needs root): " << var.error();
  ASSERT_TRUE(d.start()) << d.log();

  LoadSenders senders(d, relp_port);

  uint64_t failures_before = 0;
  for (int cycle = 0; cycle < kCycles; ++cycle) {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    var.fill();
    // The store notices, /readyz says so, and HTTP is refused, not acknowledged.
    ASSERT_TRUE(eventually([&] {
      return metric_u(d, "ticketd_store_failures_total") > failures_before;
    })) << "cycle "
        << cycle << "\n"
        << d.log();
    failures_before = metric_u(d, "ticketd_store_failures_total");
    EXPECT_TRUE(eventually([&] { return http("GET", d.url("/readyz")).status == 503; }))
        << "cycle " << cycle;
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    var.free_space();
    ASSERT_TRUE(eventually([&] { return http("GET", d.url("/readyz")).status == 200; }))
        << "cycle " << cycle << ": did not recover\n"
        << d.log();
  }
  senders.stop();

  const std::string figures = senders.check();
  EXPECT_GT(senders.http_refused(), 0) << "the disk never filled while HTTP was sending";
  EXPECT_EQ(d.stop(), 0) << d.log();
  std::cout << "full disk: " << kCycles << " fill/free cycles; " << figures << "; store failures "
            << failures_before << "; no restart\n";
}

}  // namespace
}  // namespace ticketd_test
