// libFuzzer target: the JSON-source mapper (POST /api/v1/events/{source},
// ingest/json_mapping.hpp). The input's first line is a set of paths, one
// per space, that a mapping built from it uses for every field; the rest is
// the JSON body, also run through fixed mappings shaped like the documented
// ones (items, "#" hops into JSON strings, spreads, severity maps). Must
// never crash, hang or leak; a valid path must never make the mapper throw.
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "ticketd/core/event.hpp"
#include "ticketd/core/json.hpp"
#include "ticketd/ingest/json_mapping.hpp"

namespace {

using ticketd::ingest::JsonMapping;
using ticketd::ingest::JsonPaths;

std::vector<JsonMapping> fixed_mappings() {
  JsonMapping one;
  one.source = "one";
  one.host = {"/host/name", "/host"};
  one.message = {"/alert/title", "/message", ""};
  one.severity = {"/level"};
  one.severity_map = {{"High", "critical"}, {"Average", "error"}};
  one.status = {"/status"};
  one.resolved_values = {"OK", "RESOLVED"};
  one.fingerprint = {"/event/id"};
  one.time = {"/time", "/0"};
  one.labels = {{"trigger", {"/trigger/id"}}};
  one.labels_spread = {"/tags", "/labels"};
  one.annotations = {{"url", {"/url"}}};
  one.annotations_spread = {"/details"};
  JsonMapping many = one;
  many.source = "many";
  many.items = {"/alerts", "/Message#/alerts", "/0"};
  JsonMapping sns;
  sns.source = "sns";
  sns.message = {"/Message#/AlarmDescription", "/Message#/AlarmName", "/Message"};
  sns.host = {"/Message#/Trigger/Dimensions/0/value"};
  sns.status = {"/Message#/NewStateValue"};
  sns.resolved_values = {"OK"};
  sns.labels_spread = {"/Message#/Trigger/Dimensions", "/Message#/x#/y#"};
  return {one, many, sns};
}

void check(const ticketd::Result<std::vector<ticketd::Event>>& r) {
  if (!r) return;
  if (r->empty()) __builtin_trap();  // success means at least one event
  for (const ticketd::Event& e : *r) {
    if (e.message.empty()) __builtin_trap();  // a message is required
    (void)ticketd::event_to_json(e).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  const size_t nl = text.find('\n');
  const std::string first = nl == std::string::npos ? "" : text.substr(0, nl);
  const std::string rest = nl == std::string::npos ? text : text.substr(nl + 1);

  JsonPaths paths;
  std::istringstream words(first);
  for (std::string w; words >> w;) {
    if (ticketd::ingest::check_json_path(w)) paths.push_back(w);
  }
  auto parsed = ticketd::parse_json(rest);
  if (!parsed) return 0;
  const nlohmann::json& body = *parsed;
  static const std::vector<JsonMapping> fixed = fixed_mappings();
  for (const JsonMapping& m : fixed) check(ticketd::ingest::map_json_alerts(m, body, {}));
  if (!paths.empty()) {
    JsonMapping m;
    m.source = "fuzz";
    m.host = m.message = m.app = m.msgid = m.time = m.fingerprint = m.severity = m.status = paths;
    m.labels = m.annotations = {{"a", paths}};
    m.labels_spread = m.annotations_spread = paths;
    check(ticketd::ingest::map_json_alerts(m, body, {}));
    m.items = paths;
    check(ticketd::ingest::map_json_alerts(m, body, {}));
  }
  return 0;
}
