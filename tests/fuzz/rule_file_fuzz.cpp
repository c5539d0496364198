// libFuzzer target: bytes as a rule file and as a rule test file, the file
// input an engineer (or a tool writing rules) hands the daemon and ticketctl.
// The loader must answer every input with a rule set or diagnostics, never
// crash, hang or leak; a rule set it accepts must describe itself, match
// events and render its templates within their caps.
#include <cstddef>
#include <cstdint>
#include <string>

#include "ticketd/core/event.hpp"
#include "ticketd/rules/describe.hpp"
#include "ticketd/rules/rule_set.hpp"
#include "ticketd/rules/test_file.hpp"

namespace {

std::vector<ticketd::Event> sample_events() {
  std::vector<ticketd::Event> out;
  for (
      const char* text : {
          R"({"host":"db01","app":"sshd","severity":"error","message":"Failed password for root from 203.0.113.9 port 22"})",
          R"({"host":"sw1","source":"snmp","trap_oid":"IF-MIB::linkDown","labels":{"ifIndex":"3","env":"prod"}})",
          R"({"host":"","message":"no space left on /dev/sda1","status":"resolved"})",
      }) {
    auto e = ticketd::event_from_json(nlohmann::json::parse(text), ticketd::TimePoint{});
    if (e) out.push_back(*e);
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  (void)ticketd::rules::check_rule_test_file(text, "fuzz_test.yaml");
  const ticketd::rules::LoadResult r = ticketd::rules::load_rules_from_string(text, "fuzz.yaml");
  if (!r.ok()) {
    if (r.diagnostics.empty()) __builtin_trap();  // refused without saying why
    return 0;
  }
  (void)ticketd::rules::describe(*r.rules);
  static const std::vector<ticketd::Event> events = sample_events();
  for (const ticketd::Event& e : events) {
    for (size_t i : r.rules->candidates(e)) {
      const ticketd::rules::Rule& rule = r.rules->rules()[i];
      ticketd::rules::Captures caps;
      if (!rule.condition.test(e, &caps)) continue;
      auto lookup = [&](std::string_view name) -> std::optional<std::string> {
        if (auto it = caps.find(name); it != caps.end()) return it->second;
        return e.field(name);
      };
      using Caps = ticketd::rules::RenderCaps;
      // The caps bound the output (the marker adds a few bytes).
      if (rule.ticket.title.render(lookup, Caps::kTitle).size() > Caps::kTitle + 16)
        __builtin_trap();
      if (rule.fingerprint) (void)rule.fingerprint->render(lookup, Caps::kFingerprint);
      for (const auto& [name, label] : rule.ticket.labels) (void)label.render(lookup, Caps::kLabel);
    }
  }
  return 0;
}
