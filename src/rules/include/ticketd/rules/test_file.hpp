// The shape of a rule test file (ticketctl test-rules; docs/rules.md, "Rule
// tests"), checked as strictly as a rule file: an unknown key anywhere is an
// error at its file:line:column with a did-you-mean, so a typo such as
// "hots:" in an event or "priorty:" in an expectation cannot make a test pass
// by testing less. Running the tests is ticketctl's; this only validates.
#pragma once

#include <yaml-cpp/yaml.h>

#include <optional>
#include <string>
#include <vector>

#include "ticketd/rules/rule_set.hpp"

namespace ticketd::rules {

// The keys each level accepts.
const std::vector<std::string>& test_file_keys();    // rule_files, tests
const std::vector<std::string>& test_case_keys();    // name, events, until, expect
const std::vector<std::string>& test_event_keys();   // every event field, plus "at"
const std::vector<std::string>& test_expect_keys();  // ticket fields, breached, respond_by, ...

// Checks a rule test file's text: its YAML syntax, the "rule_files:" and
// "tests:" lists, and every key at the top level, in a test, in an event and
// in an expected ticket ("labels" maps are free-form). Returns the errors,
// ordered by position; empty when the file is well formed. Never throws.
std::vector<Diagnostic> check_rule_test_file(const std::string& text, const std::string& name);

// The document of a rule test file as the checker reads it (YAML merge keys
// resolved), for running the tests; nullopt when `text` is not YAML. Call
// check_rule_test_file first: this reports nothing.
std::optional<YAML::Node> load_rule_test_document(const std::string& text, const std::string& name);

}  // namespace ticketd::rules
