// Rule matching cost as the rule count grows: events/s through the engine
// (with the prefilter) and through a naive loop that tests every rule, for
// 10, 100, 1,000 and 10,000 rules. Half the rules anchor on an exact field
// (app), half only on a regex (message).
//
//   rules_bench [EVENTS]     default 20000 events per size
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>

#include "common.hpp"
#include "ticketd/engine/engine.hpp"

using namespace ticketd;

namespace {

std::string make_rules(int n) {
  std::string y = "rules:\n";
  for (int i = 0; i < n; ++i) {
    if (i % 2 == 0) {
      y += "  - { name: r" + std::to_string(i) + ", match: { app: app" + std::to_string(i) +
           ", message: '~error code (?P<code>\\d+)' } }\n";
    } else {
      y += "  - { name: r" + std::to_string(i) + ", match: { message: '~^svc" + std::to_string(i) +
           ": (?:failed|crashed) with status \\d+' } }\n";
    }
  }
  return y;
}

std::vector<Event> make_events(int n_rules, int count) {
  std::mt19937 rng(42);
  std::vector<Event> out;
  for (int i = 0; i < count; ++i) {
    Event e;
    e.host = "host" + std::to_string(rng() % 500);
    e.severity = Severity::kError;
    const int r = static_cast<int>(rng() % static_cast<unsigned>(n_rules));
    switch (rng() % 3) {
      case 0:  // hits an exact-anchored rule
        e.app = "app" + std::to_string(r - r % 2);
        e.message = "request failed: error code " + std::to_string(rng() % 100);
        break;
      case 1:  // hits a regex-only rule
        e.app = "svc";
        e.message = "svc" + std::to_string(r | 1) + ": failed with status 3";
        break;
      default:  // matches nothing
        e.app = "kernel";
        e.message = "eth0: link becomes ready";
        break;
    }
    out.push_back(std::move(e));
  }
  return out;
}

using bench::seconds_since;

}  // namespace

int main(int argc, char** argv) {
  const int events_per_size = argc > 1 ? std::atoi(argv[1]) : 20000;
  std::printf("%8s %16s %16s %14s %10s\n", "rules", "engine ev/s", "naive ev/s", "candidates/ev",
              "load ms");
  for (int n : {10, 100, 1000, 10000}) {
    auto t_load = std::chrono::steady_clock::now();
    auto loaded = rules::load_rules_from_string(make_rules(n), "bench.yaml");
    if (!loaded.ok()) {
      std::fprintf(stderr, "rules: %s\n", loaded.diagnostics.at(0).to_string().c_str());
      return 1;
    }
    const double load_ms = seconds_since(t_load) * 1000;
    auto events = make_events(n, events_per_size);

    engine::Engine eng(loaded.rules);
    TimePoint now = from_unix_ms(1'800'000'000'000);
    auto t0 = std::chrono::steady_clock::now();
    for (const Event& e : events) {
      now += std::chrono::milliseconds(1);
      auto actions = eng.process(e, now);
      (void)actions;
    }
    const double engine_rate = events.size() / seconds_since(t0);

    // Reference: the first matching rule found by testing every rule.
    size_t candidates = 0;
    for (const Event& e : events) candidates += loaded.rules->candidates(e).size();
    const int naive_count = std::min<int>(events_per_size, n >= 1000 ? 2000 : events_per_size);
    t0 = std::chrono::steady_clock::now();
    size_t matched = 0;
    for (int i = 0; i < naive_count; ++i) {
      for (const auto& r : loaded.rules->rules()) {
        rules::Captures c;
        if (r.condition.test(events[static_cast<size_t>(i)], &c)) {
          ++matched;
          break;
        }
      }
    }
    const double naive_rate = naive_count / seconds_since(t0);
    std::printf("%8d %16.0f %16.0f %14.2f %10.1f\n", n, engine_rate, naive_rate,
                static_cast<double>(candidates) / events.size(), load_ms);
    if (matched == 0) std::printf("(no matches?)\n");
  }
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  std::printf("peak RSS: %ld kB\n", ru.ru_maxrss);
  return 0;
}
