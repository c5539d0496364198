// The ticketd process: wires config, rules, store, pipeline and HTTP server,
// then runs until SIGTERM/SIGINT. The only place naming concrete types.
#pragma once

#include <string>

#include "ticketd/daemon/config.hpp"

namespace ticketd::daemon {

// Validates the config and the rules it points at; prints problems to stderr.
// Returns the process exit code (0 valid, 1 invalid).
int check_config(const Config& config);

// Runs the daemon in the foreground. Returns the process exit code.
int run(const Config& config, const std::string& version);

}  // namespace ticketd::daemon
