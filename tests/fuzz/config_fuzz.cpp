// libFuzzer target: bytes as the daemon's configuration file
// (config/ticketd.yaml), the file input an operator hands ticketd and
// `ticketd --check-config`. The loader must answer every input with a
// Config or an error naming the file, never crash, hang or leak.
//
// Files the config names (token_file, hmac_secret_file, ...) are resolved
// against the config's directory, here one under /dev/null, which cannot
// exist: a relative name never reaches a real file. The loader reads secret
// files only when they are regular and small, so an absolute name such as
// /dev/zero or a FIFO is refused without blocking. Nothing is written;
// check_environment(), which probes the store directory, is not called.
#include <cstddef>
#include <cstdint>
#include <string>

#include "ticketd/daemon/config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::string kPath = "/dev/null/ticketd-config-fuzz/ticketd.yaml";
  const std::string text(reinterpret_cast<const char*>(data), size);
  const ticketd::Result<ticketd::daemon::Config> r =
      ticketd::daemon::load_config_from_string(text, kPath);
  if (!r) {
    // Every refusal names the file (and the line, where there is one).
    if (r.error().message().rfind(kPath, 0) != 0) __builtin_trap();
    return 0;
  }
  const ticketd::daemon::Config& c = *r;
  for (const auto& [key, line] : c.key_lines) {
    if (line < 1) __builtin_trap();
    (void)c.where(key);
  }
  // Addresses the loader accepted split again the same way at start-up.
  for (const std::string* listen : {&c.http_listen, &c.syslog_udp_listen, &c.syslog_tcp_listen,
                                    &c.syslog_tls_listen, &c.syslog_relp_listen, &c.snmp_listen}) {
    if (listen->empty()) continue;
    std::string host;
    uint16_t port = 0;
    if (!ticketd::daemon::split_host_port(*listen, host, port)) __builtin_trap();
  }
  return 0;
}
