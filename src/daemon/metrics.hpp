// The Prometheus text of /metrics: the pipeline's counters, the inputs' and
// the HTTP server's. Reads atomics only; callable from any thread.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "pipeline.hpp"

namespace ticketd::api {
class HttpServer;
}
namespace ticketd::ingest {
class SyslogListener;
class SnmpListener;
}  // namespace ticketd::ingest

namespace ticketd::connectors {
class Outbox;
}
namespace ticketd::store {
class Store;
}

namespace ticketd::daemon {

// Per backend and notification target: entries queued and held, age of the
// oldest, sends, failures, breaker state (reads the store's outbox depth).
std::string outbox_metrics(const connectors::Outbox& outbox, store::Store& store, TimePoint now);

std::string pipeline_metrics(const Pipeline& pipeline);
// `http_server` may be null (not serving yet).
// `snmp` may be null (no SNMP listener).
std::string snmp_metrics(const ingest::SnmpListener* snmp);
std::string input_metrics(const std::vector<std::unique_ptr<ingest::SyslogListener>>& listeners,
                          const api::HttpServer* http_server);

}  // namespace ticketd::daemon
