// ticketctl's offline commands: test-rules, replay and explain --rules.
// They run the pure engine on a simulated clock; no daemon, no store.
#pragma once

#include <optional>
#include <ostream>
#include <regex>
#include <string>
#include <vector>

namespace ticketd::cli {

// Runs rule test files (or every test file under directories); with `run`,
// only the tests whose name it matches (std::regex_search, as `go test -run`).
// Returns the exit code: 0 all passed, 1 a test failed, a file is invalid or
// `run` selects no test.
int test_rules(const std::vector<std::string>& paths, std::ostream& out,
               const std::optional<std::regex>& run = std::nullopt,
               const std::string& run_pattern = "");

// Replays JSON-lines events through the rules; prints every action as one
// JSON object per line. Returns the exit code.
int replay(const std::vector<std::string>& rule_paths, const std::string& events_file,
           std::ostream& out);

// Explains one event (a JSON file, "-" for stdin) against the rules.
int explain_offline(const std::vector<std::string>& rule_paths, const std::string& event_file,
                    bool json, std::ostream& out);

// Prints an explanation (the JSON of Explanation::to_json) as a table.
void print_explanation(const std::string& explanation_json, std::ostream& out);

}  // namespace ticketd::cli
