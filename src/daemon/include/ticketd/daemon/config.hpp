// Config: the daemon's YAML configuration (config/ticketd.yaml documents every key).
//
// Loaded and validated in one pass at start-up; errors name the key and
// value as "FILE:LINE: message". Relative paths are resolved against the
// config file's directory. load_config() checks the file alone (syntax,
// ranges, listener addresses and port overlaps, tokens); check_environment()
// checks what start-up needs from the machine (rules directory, store path,
// TLS files). `ticketd --check-config` and start-up both run the two, so
// the check refuses everything start-up would.
// A plain value; not synchronized.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "ticketd/api/auth.hpp"
#include "ticketd/connectors/connector.hpp"
#include "ticketd/connectors/outbox.hpp"
#include "ticketd/core/status.hpp"
#include "ticketd/core/time.hpp"
#include "ticketd/ingest/json_mapping.hpp"
#include "ticketd/ingest/snmp_trap_decoder.hpp"
#include "ticketd/ingest/webhook_parsers.hpp"

namespace ticketd::daemon {

struct Config {
  std::string path;  // the file it was loaded from
  std::string http_listen = "127.0.0.1:8080";
  // Syslog listeners; empty = off. TLS starts only with a certificate and key.
  std::string syslog_udp_listen = "127.0.0.1:5514";
  std::string snmp_listen =
      "127.0.0.1:1162";  // listen.snmp: SNMP traps and informs (UDP); empty = off
  std::string syslog_tcp_listen = "127.0.0.1:5514";
  std::string syslog_tls_listen = "127.0.0.1:6514";
  // RELP (rsyslog omrelp): acknowledges only what is stored. Off by default.
  std::string syslog_relp_listen;
  size_t syslog_max_message_bytes = 64 * 1024;
  size_t syslog_max_connections = 1000;
  Duration syslog_idle_timeout = std::chrono::minutes(10);
  std::string syslog_tls_cert;
  std::string syslog_tls_key;
  size_t syslog_max_connections_per_peer =
      100;  // per source address, each TCP/TLS listener; 0 = no limit
  Duration syslog_first_byte_timeout =
      std::chrono::seconds(10);  // a new connection silent this long is closed
  size_t syslog_udp_receive_buffer = 8 * 1024 * 1024;  // SO_RCVBUF of the UDP socket
  std::string rules_dir = "rules";
  std::string default_rule;  // handles events no rule matched; empty = none
  std::string store_path = "var/ticketd.db";
  // store.sync: full (default) fsyncs every commit, so an acknowledged event
  // survives power loss; normal survives a crash of ticketd, not of the OS.
  bool store_sync_full = true;
  Duration store_busy_timeout = std::chrono::seconds(5);  // store.busy_timeout: wait for a lock
  size_t store_readers = 4;  // store.readers: read connections, and API reader threads
  Duration event_retention = std::chrono::hours(24 * 7);
  size_t queue_capacity = 10000;        // events waiting for the engine
  size_t batch_max = 4096;              // at most, per store transaction
  size_t max_body_bytes = 1024 * 1024;  // HTTP request body limit
  Duration http_read_timeout = std::chrono::seconds(30);
  size_t http_max_connections = 1024;
  size_t http_max_connections_per_peer = 256;  // per source address; 0 = no limit
  Duration http_header_timeout =
      std::chrono::seconds(10);  // first request header of a new connection
  size_t http_max_inflight_body_bytes =
      64 * 1024 * 1024;            // request bodies in flight, all connections
  std::string log_level = "info";  // trace|debug|info|warn|error
  std::vector<api::ApiToken> tokens;
  // api.tls_cert / api.tls_key: PEM files (resolved against the config
  // file's directory); both set = the API is served over HTTPS only.
  std::string api_tls_cert;
  std::string api_tls_key;
  // snmp:
  std::vector<std::string> snmp_communities = {
      "public"};                             // v1/v2c allow-list; empty = refuse v1/v2c
  std::vector<ingest::SnmpUser> snmp_users;  // v3 USM users
  std::string snmp_engine_id;                // raw bytes; empty = derived from the host name
  std::vector<std::string> snmp_mib_dirs;    // vendor MIB files loaded at start and reload
  size_t snmp_udp_receive_buffer = 4 * 1024 * 1024;
  std::vector<api::WebhookSignature> signatures;
  // pagerduty.integrations: routing key -> the team and labels its events
  // get; when any is configured, other routing keys are refused.
  ingest::PagerDutyIntegrations pagerduty_integrations;
  // json_sources: POST /api/v1/events/{source} mappings, by source name.
  std::map<std::string, ingest::JsonMapping, std::less<>> json_sources;
  // backends: ticket systems that get every change of the tickets they take;
  // notifications: targets that tell people (webhook, email); outbox: retry
  // and circuit-breaker timing shared by both.
  std::vector<connectors::BackendConfig> backends;
  std::vector<connectors::BackendConfig> notifications;
  connectors::OutboxOptions outbox;

  // 1-based line of every key given in the file ("store.path" -> 23); keys
  // left at their default are absent.
  std::map<std::string, int> key_lines;
  // "FILE:LINE: " for `key`, or "FILE: " when the key is not in the file.
  std::string where(const std::string& key) const;
};

Result<Config> load_config(const std::string& path);
Result<Config> load_config_from_string(const std::string& text, const std::string& path);

// Checks, without changing anything, what start-up needs beyond the file:
// rules_dir exists; the store file is a writable SQLite file, or the
// directory it would be created in exists or can be created and is writable
// (directories created to find out are removed again); the syslog TLS
// certificate and key are readable PEM files that belong together. Binding
// the listeners is not tried (the daemon being checked may be running).
Status check_environment(const Config& config);

// "1048576", "512KiB", "1MiB", "1MB" -> bytes. Refuses 0 and anything that
// does not fit in 64 bits.
Result<size_t> parse_size(const std::string& text);

// True when host is a loopback address: IPv4 127.0.0.0/8, IPv6 ::1,
// ::ffff:127.x.y.z, or the literal "localhost". Names are not resolved, so any
// other name (even "127.0.0.1.nip.io") is not loopback.
bool is_loopback_host(const std::string& host);
// True when host is what the listeners accept: "localhost" or a literal IPv4
// or IPv6 address (an IPv6 scope such as "%eth0" allowed).
bool is_listen_host(const std::string& host);
// Splits "host:port" / "[v6]:port".
Status split_host_port(const std::string& text, std::string& host, uint16_t& port);

}  // namespace ticketd::daemon
