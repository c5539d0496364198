#include "ticketd/rules/test_file.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <optional>
#include <tuple>

#include "ticketd/core/event.hpp"
#include "ticketd/core/ticket.hpp"
#include "ticketd/core/time.hpp"
#include "yaml_diag.hpp"

namespace ticketd::rules {
namespace {

class TestFileChecker {
 public:
  TestFileChecker(std::string file, std::vector<Diagnostic>& out)
      : file_(std::move(file)), out_(out) {}

  void check_root(const YAML::Node& root) {
    if (!root.IsMap()) {
      error(root, "a rule test file must be a mapping with \"rule_files:\" and \"tests:\"");
      return;
    }
    check_keys(file_, root, "rule test file", test_file_keys(), out_);
    const YAML::Node files = root["rule_files"];
    if (!files) {
      error(root, "a rule test file needs \"rule_files:\" (a list of rule files)");
    } else if (!files.IsSequence()) {
      error(files, "\"rule_files\" must be a list");
    } else {
      for (const YAML::Node& f : files)
        if (!f.IsScalar()) error(f, "each of \"rule_files\" must be a file name");
    }
    const YAML::Node tests = root["tests"];
    if (!tests) {
      error(root, "a rule test file needs \"tests:\" (a list of tests)");
    } else if (!tests.IsSequence()) {
      error(tests, "\"tests\" must be a list");
    } else {
      for (const YAML::Node& t : tests) check_test(t);
    }
  }

 private:
  void error(const YAML::Node& n, std::string msg) {
    out_.push_back(error_at(file_, n, std::move(msg)));
  }

  // A list of mappings (or nothing at all); checks each mapping's keys.
  void check_list(const YAML::Node& list, const std::string& name, const std::string& item,
                  const std::vector<std::string>& known) {
    if (!list || list.IsNull()) return;
    if (!list.IsSequence()) {
      error(list, "\"" + name + "\" must be a list");
      return;
    }
    for (const YAML::Node& x : list) {
      if (!x.IsMap()) {
        error(x, "each of \"" + name + "\" must be a mapping");
        continue;
      }
      check_keys(file_, x, item, known, out_);
    }
  }

  void check_test(const YAML::Node& test) {
    if (!test.IsMap()) {
      error(test, "a test must be a mapping with \"events:\" and \"expect:\"");
      return;
    }
    check_keys(file_, test, "test", test_case_keys(), out_);
    check_list(test["events"], "events", "event", test_event_keys());
    check_list(test["expect"], "expect", "expected ticket", test_expect_keys());
    check_times(test);
  }

  // `at` and `until` are offsets from the start of the test: valid durations,
  // events in time order, `until` not before the last event (the simulated
  // clock only moves forward, so an earlier `until` would be ignored).
  void check_times(const YAML::Node& test) {
    Duration last{};
    std::string last_text = "0s";
    const YAML::Node events = test["events"];
    if (events && events.IsSequence()) {
      for (const YAML::Node& ev : events) {
        if (!ev.IsMap()) continue;
        if (!ev["at"]) {  // 0s, not the previous event's offset
          if (last > Duration{})
            error(ev, "this event has no \"at\", so it is at 0s, before the previous event (" +
                          last_text + "): give it an \"at\"; events must be in time order");
          continue;
        }
        const auto at = offset(ev["at"], "\"at\"");
        if (!at) continue;
        if (*at < last) {
          error(ev["at"], "\"at: " + ev["at"].Scalar() + "\" is before the previous event's (" +
                              last_text + "): events must be in time order");
          continue;
        }
        last = *at;
        last_text = ev["at"].Scalar();
      }
    }
    if (const YAML::Node until = test["until"]) {
      const auto u = offset(until, "\"until\"");
      if (u && *u < last) {
        error(until, "\"until: " + until.Scalar() + "\" is before the last event (at " + last_text +
                         "); the clock only moves forward: make it at least " + last_text);
      }
    }
  }

  std::optional<Duration> offset(const YAML::Node& n, const std::string& what) {
    if (!n.IsScalar()) {
      error(n, what + " must be a duration after the start of the test (0s, 90s, 5m, 2h)");
      return std::nullopt;
    }
    auto d = parse_duration(n.Scalar());
    if (!d) {
      error(n, what + ": " + d.error().message());
      return std::nullopt;
    }
    return *d;
  }

  std::string file_;
  std::vector<Diagnostic>& out_;
};

}  // namespace

const std::vector<std::string>& test_file_keys() {
  static const std::vector<std::string> keys = {"rule_files", "tests"};
  return keys;
}

const std::vector<std::string>& test_case_keys() {
  static const std::vector<std::string> keys = {"name", "events", "until", "expect"};
  return keys;
}

const std::vector<std::string>& test_event_keys() {
  static const std::vector<std::string> keys = [] {
    std::vector<std::string> k = event_json_keys();
    k.push_back("at");
    return k;
  }();
  return keys;
}

const std::vector<std::string>& test_expect_keys() {
  // Every field of a ticket's JSON, plus the "sla" fields compared by name.
  static const std::vector<std::string> keys = [] {
    std::vector<std::string> k;
    const nlohmann::json fields = ticket_to_json(Ticket{});
    for (const auto& [name, value] : fields.items()) k.push_back(name);
    for (const char* sla : {"breached", "respond_by", "resolve_by"}) k.emplace_back(sla);
    return k;
  }();
  return keys;
}

std::vector<Diagnostic> check_rule_test_file(const std::string& text, const std::string& name) {
  std::vector<Diagnostic> out;
  const std::optional<YAML::Node> root = load_yaml_document(text, name, out);
  if (!root) return out;
  TestFileChecker checker(name, out);
  try {
    checker.check_root(*root);
  } catch (const YAML::Exception& e) {
    out.push_back({Diagnostic::Level::kError, name, e.mark.line + 1, e.mark.column + 1,
                   "invalid rule test file: " + e.msg});
  }
  std::stable_sort(out.begin(), out.end(), [](const Diagnostic& a, const Diagnostic& b) {
    return std::tie(a.line, a.column) < std::tie(b.line, b.column);
  });
  return out;
}

std::optional<YAML::Node> load_rule_test_document(const std::string& text,
                                                  const std::string& name) {
  std::vector<Diagnostic> ignored;
  return load_yaml_document(text, name, ignored);
}

}  // namespace ticketd::rules
