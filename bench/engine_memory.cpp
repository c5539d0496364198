// Heap held by the correlation engine per open alert (issue 8's memory
// target), without the daemon, the store or the allocator's caches around it.
//
//   engine_memory [N]    default 100,000 distinct fingerprints
//
// Processes N syslog-like events, each a new fingerprint of one rule (so N
// open alerts, N groups and N open tickets), in batches as the daemon does,
// and prints the heap in use (mallinfo2) per open alert: everything the
// engine holds, and the part that is the open tickets themselves (title,
// description, labels: what the daemon also keeps in its store).
#include <malloc.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "ticketd/engine/engine.hpp"
#include "ticketd/rules/rule_set.hpp"

using namespace ticketd;

namespace {

size_t heap_in_use() {
  malloc_trim(0);
  return mallinfo2().uordblks;
}

constexpr const char* kRules = R"(
rules:
  - name: sshd-failure
    match: { message: '~Failed password for (?:invalid user )?\S+ from (?P<ip>\S+)' }
    fingerprint: "{{ host }}/ssh"
    ticket: { title: "SSH failures on {{ host }}", team: secops }
)";

}  // namespace

int main(int argc, char** argv) {
  const int n = argc > 1 ? std::atoi(argv[1]) : 100000;
  auto loaded = rules::load_rules_from_string(kRules, "bench.yaml");
  if (!loaded.ok()) {
    std::fprintf(stderr, "rules: %s\n", loaded.diagnostics.at(0).to_string().c_str());
    return 1;
  }
  const size_t before = heap_in_use();
  size_t ticket_bytes = 0;
  {
    engine::Engine eng(loaded.rules);
    eng.set_batch_mode(true);
    TimePoint now = from_unix_ms(1'800'000'000'000);
    Event e;
    e.source = "syslog";
    e.app = "sshd";
    e.severity = Severity::kWarning;
    e.facility = "auth";
    e.labels["pid"] = "4242";
    const auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < n; ++i) {
      if (i % 10 == 0) now += std::chrono::milliseconds(1);
      e.time = now;
      e.host = "host" + std::to_string(i) + ".example.net";
      e.message =
          "Failed password for root from 203.0.113." + std::to_string(i % 250) + " port 4711 ssh2";
      auto actions = eng.process(e, now);
      if (i % 4096 == 4095) {
        (void)eng.flush_updates();
        (void)eng.take_state_changes();
      }
      for (const auto& a : actions) {
        if (const auto* o = std::get_if<engine::TicketOpened>(&a)) {
          const Ticket& t = o->ticket;
          ticket_bytes += sizeof(Ticket) + t.key.capacity() + t.title.capacity() +
                          t.description.capacity() + t.fingerprint.capacity() + t.rule.capacity() +
                          t.team.capacity();
          for (const auto& [k, v] : t.labels) ticket_bytes += 64 + k.capacity() + v.capacity();
        }
      }
    }
    (void)eng.flush_updates();
    (void)eng.take_state_changes();
    const double secs =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const size_t after = heap_in_use();
    const double per = static_cast<double>(after - before) / n;
    std::printf("open alerts %d (open tickets %zu), %.0f events/s\n", n, eng.open_ticket_count(),
                n / secs);
    std::printf(
        "engine heap per open alert: %.0f B (of which the open ticket itself, approx.: %.0f B; the "
        "rest: %.0f B)\n",
        per, static_cast<double>(ticket_bytes) / n, per - static_cast<double>(ticket_bytes) / n);
  }
  return 0;
}
