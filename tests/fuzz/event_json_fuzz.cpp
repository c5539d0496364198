// libFuzzer target: bytes as an HTTP request target and as the JSON body of
// POST /api/v1/events and the webhooks (Alertmanager, Grafana, PagerDuty).
// Must never crash, hang or leak, whatever arrives.
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "ticketd/api/http_types.hpp"
#include "ticketd/core/event.hpp"
#include "ticketd/core/json.hpp"
#include "ticketd/ingest/webhook_parsers.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  std::string path;
  std::map<std::string, std::string> query;
  ticketd::api::split_target(text, path, query);

  auto parsed = ticketd::parse_json(text);
  if (!parsed) return 0;
  const nlohmann::json& j = *parsed;
  (void)ticketd::ingest::parse_alertmanager(j, ticketd::TimePoint{});
  (void)ticketd::ingest::parse_grafana(j, ticketd::TimePoint{});
  (void)ticketd::ingest::parse_pagerduty(j, ticketd::TimePoint{});
  auto one = [](const nlohmann::json& item) {
    auto e = ticketd::event_from_json(item, ticketd::TimePoint{});
    if (e) {
      // What we accept must serialize and read back the same.
      auto again = ticketd::event_from_json(ticketd::event_to_json(*e), ticketd::TimePoint{});
      if (!again || ticketd::event_to_json(*again) != ticketd::event_to_json(*e)) __builtin_trap();
      for (const char* f : {"host", "severity", "labels.a", "annotations.b", "time"})
        (void)e->field(f);
    }
  };
  if (j.is_array()) {
    for (const auto& item : j) one(item);
  } else {
    one(j);
  }
  return 0;
}
