// Per-command help of ticketctl (`ticketctl COMMAND --help`) and the bash
// completion script (`ticketctl completion bash`).
//
// Pure text: no I/O, no state; safe to call from anywhere.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace ticketd::cli {

// The usage, options and examples of one top-level command (check-rules,
// tickets, ...); nullptr when `command` is not one.
const char* command_help(const std::string& command);

// The top-level commands, in the order of `ticketctl --help`.
const std::vector<std::string>& command_names();

// One command or "command subcommand" and the options it takes (without
// "--"), as ticketctl's option check knows them.
struct CompletionEntry {
  std::string command;
  std::string subcommand;  // "" for a command without subcommands
  std::vector<std::string> options;
};

// A bash completion script for ticketctl completing commands, subcommands,
// options and the values of enumerated options.
std::string bash_completion(const std::vector<CompletionEntry>& entries);

}  // namespace ticketd::cli
