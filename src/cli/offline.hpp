// ticketctl's offline commands: test-rules, replay and explain --rules.
// They run the pure engine on a simulated clock; no daemon, no store.
#pragma once

#include <optional>
#include <ostream>
#include <regex>
#include <string>
#include <vector>

#include "ticketd/core/time.hpp"

namespace ticketd::cli {

// Runs rule test files (or every test file under directories); with `run`,
// only the tests whose name it matches (std::regex_search, as `go test -run`).
// Returns the exit code: 0 all passed, 1 a test failed, a file is invalid or
// `run` selects no test.
int test_rules(const std::vector<std::string>& paths, std::ostream& out,
               const std::optional<std::regex>& run = std::nullopt,
               const std::string& run_pattern = "");

// Where `replay --until` leaves the simulated clock: an instant, or a
// duration after the last event.
struct ReplayUntil {
  std::optional<TimePoint> at;
  Duration after{};
  std::string text;  // as given, for messages
};

// Parses --until: RFC 3339 or a duration ("2h"); nullopt with `error` set.
std::optional<ReplayUntil> parse_replay_until(const std::string& text, std::string& error);

// Replays JSON-lines events through the rules; prints every action as one
// JSON object per line. With `until`, the clock then advances to it, firing
// the timers due by then. Returns the exit code (2: `until` is before the
// last event, or a duration with no event to count from).
int replay(const std::vector<std::string>& rule_paths, const std::string& events_file,
           std::ostream& out, const std::optional<ReplayUntil>& until = std::nullopt);

// One event as the daemon stored it, with the running rules' decision
// (an entry of GET /api/v1/events).
struct StoredDecision {
  std::string id;
  std::string received_at;
  std::string decision;
  std::string rule;
  std::string ticket;
  std::string event_json;  // the normalized event, as event_from_json reads it
};

// Replays stored events (oldest first) through a candidate rule set and
// compares each one's outcome with the stored decision: which rule decides it
// and whether that makes a ticket, drops it or leaves it unmatched. Silenced
// and inhibited events compare by rule (silences and open tickets before the
// window are not the rules'). Prints a summary of what would change (a table,
// or JSON with `as_json`). Returns 0 when nothing changes, 2 when something
// does, 1 when the rules are invalid.
int replay_compare(const std::vector<std::string>& rule_paths,
                   const std::vector<StoredDecision>& stored, const std::string& window,
                   bool as_json, std::ostream& out);

// Explains one event (a JSON file, "-" for stdin) against the rules.
int explain_offline(const std::vector<std::string>& rule_paths, const std::string& event_file,
                    bool json, std::ostream& out);

// Prints an explanation (the JSON of Explanation::to_json) as a table.
void print_explanation(const std::string& explanation_json, std::ostream& out);

}  // namespace ticketd::cli
