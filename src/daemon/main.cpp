// ticketd: the daemon's command line.
#include <cstring>
#include <iostream>
#include <string>

#include "ticketd/daemon/daemon.hpp"

namespace {

void usage(std::ostream& out) {
  out << "usage: ticketd --config FILE [--check-config]\n"
         "       ticketd --version\n"
         "\n"
         "  --config FILE    configuration file (YAML), e.g. config/ticketd.yaml\n"
         "  --check-config   validate the config and its rules, then exit (0 valid, 1 invalid)\n"
         "  --version        print the version and exit\n";
}

}  // namespace

int main(int argc, char** argv) {
  std::string config_path;
  bool check = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--version") {
      std::cout << "ticketd " << TICKETD_VERSION << "\n";
      return 0;
    } else if (a == "--help" || a == "-h") {
      usage(std::cout);
      return 0;
    } else if (a == "--check-config") {
      check = true;
    } else if (a == "--config" && i + 1 < argc) {
      config_path = argv[++i];
    } else if (a.rfind("--config=", 0) == 0) {
      config_path = a.substr(9);
    } else {
      std::cerr << "ticketd: unknown argument \"" << a << "\"\n";
      usage(std::cerr);
      return 2;
    }
  }
  if (config_path.empty()) {
    std::cerr << "ticketd: --config FILE is required\n";
    usage(std::cerr);
    return 2;
  }
  auto config = ticketd::daemon::load_config(config_path);
  if (!config) {
    std::cerr << "ticketd: " << config.error().message() << "\n";
    return 1;
  }
  if (check) return ticketd::daemon::check_config(*config);
  try {
    return ticketd::daemon::run(*config, TICKETD_VERSION);
  } catch (const std::exception& e) {
    std::cerr << "ticketd: fatal: " << e.what() << "\n";
    return 1;
  }
}
