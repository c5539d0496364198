// libFuzzer target: bytes as the body of every JSON route of the API.
//
// Each route parses its body with parse_json() (depth-limited) and then
// hands the document to its own reader: events and explain
// (event_from_json), the Alertmanager, Grafana and PagerDuty webhooks,
// silences (silence_from_json), and manual tickets (Engine::create_ticket /
// patch_ticket / add_note). Whatever is accepted must also serialize: a
// body nested 100,000 levels deep once overflowed the stack in dump().
// Must never crash, hang or leak.
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "api/commands.hpp"
#include "ticketd/core/event.hpp"
#include "ticketd/core/json.hpp"
#include "ticketd/core/ticket.hpp"
#include "ticketd/engine/engine.hpp"
#include "ticketd/engine/silence.hpp"
#include "ticketd/ingest/webhook_parsers.hpp"

namespace {

using ticketd::TimePoint;

void serialize(const ticketd::Event& e) { (void)ticketd::event_to_json(e).dump(); }

void actions(const ticketd::Result<ticketd::engine::Actions>& r) {
  if (!r) return;
  for (const auto& a : *r) {
    if (const auto* o = std::get_if<ticketd::engine::TicketOpened>(&a))
      (void)ticketd::ticket_to_json(o->ticket).dump();
    if (const auto* u = std::get_if<ticketd::engine::TicketUpdated>(&a))
      (void)ticketd::ticket_to_json(u->ticket).dump();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto parsed = ticketd::parse_json(text);
  if (!parsed) return 0;
  const nlohmann::json& j = *parsed;
  (void)j.dump();
  const TimePoint now = ticketd::from_unix_ms(1'800'000'000'000);

  // POST /api/v1/events (one or many), /api/v1/explain
  auto one = [&](const nlohmann::json& item) {
    if (auto e = ticketd::event_from_json(item, now)) serialize(*e);
  };
  if (j.is_array()) {
    for (const auto& item : j) one(item);
  } else {
    one(j);
  }
  // Webhooks
  if (auto am = ticketd::ingest::parse_alertmanager(j, now)) {
    for (const auto& e : *am) serialize(e);
  }
  if (auto gf = ticketd::ingest::parse_grafana(j, now)) {
    for (const auto& e : *gf) serialize(e);
  }
  if (auto pd = ticketd::ingest::parse_pagerduty(j, now); pd.ok()) serialize(pd.event.event);
  // POST /api/v1/silences
  if (auto s = ticketd::engine::silence_from_json(j, now))
    (void)ticketd::engine::silence_to_json(*s, now).dump();
  // POST /api/v1/tickets, PATCH /api/v1/tickets/{key}, POST .../notes
  ticketd::engine::Engine engine(nullptr);
  if (auto spec = ticketd::api::parse_new_ticket(j))
    actions(engine.create_ticket(*spec, "user:fuzz", now));
  if (auto patch = ticketd::api::parse_ticket_patch(j)) {
    actions(engine.patch_ticket("INC-000001", *patch, "user:fuzz", now, std::nullopt));
  }
  if (auto note = ticketd::api::parse_note(j)) {
    actions(engine.add_note("INC-000001", note->text, note->visibility, "user:fuzz", now,
                            std::nullopt));
  }
  return 0;
}
