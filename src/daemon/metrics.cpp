#include "metrics.hpp"

#include <cstdio>

#include "ticketd/api/http_server.hpp"
#include "ticketd/connectors/outbox.hpp"
#include "ticketd/ingest/snmp_listener.hpp"
#include "ticketd/ingest/syslog_listener.hpp"

namespace ticketd::daemon {
namespace {

// Prometheus label value escaping: backslash, double quote, newline.
std::string escape_label(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

// One metric with its HELP and TYPE lines.
void append_metric(std::string& out, const char* name, const char* help, const char* type,
                   uint64_t v) {
  out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n" +
         name + " " + std::to_string(v) + "\n";
}

}  // namespace

std::string outbox_metrics(const connectors::Outbox& outbox, store::Store& store, TimePoint now) {
  auto targets = outbox.snapshot();
  auto depth = store.outbox_depth();
  // Entries for a target no longer configured show too (kind "unconfigured").
  if (depth) {
    for (const auto& [name, d] : *depth) {
      if (outbox.has_target(name)) continue;
      connectors::TargetSnapshot gone;
      gone.name = name;
      gone.kind = "unconfigured";
      targets.push_back(gone);
    }
  }
  if (targets.empty()) return "";
  std::string out;
  auto family = [&](const char* name, const char* help, const char* type, auto value) {
    out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
    for (const auto& t : targets) {
      out += std::string(name) + "{target=\"" + escape_label(t.name) + "\",kind=\"" +
             escape_label(t.kind) + "\"} " + value(t) + "\n";
    }
  };
  auto stored = [&](const std::string& name) {
    if (!depth) return store::OutboxDepth{};
    auto it = depth->find(name);
    return it == depth->end() ? store::OutboxDepth{} : it->second;
  };
  family("ticketd_outbox_queued", "Entries waiting in the outbox, held ones included.", "gauge",
         [&](const auto& t) { return std::to_string(stored(t.name).queued); });
  family("ticketd_outbox_held", "Entries held after a refusal, waiting for an operator.", "gauge",
         [&](const auto& t) { return std::to_string(stored(t.name).held); });
  family("ticketd_outbox_oldest_age_seconds", "Age of the oldest waiting entry (0: none).", "gauge",
         [&](const auto& t) {
           const auto d = stored(t.name);
           if (!d.oldest) return std::string("0");
           const auto age = std::chrono::duration_cast<std::chrono::seconds>(now - *d.oldest);
           return std::to_string(std::max<int64_t>(0, age.count()));
         });
  family("ticketd_outbox_sent_total", "Entries delivered.", "counter",
         [](const auto& t) { return std::to_string(t.sent); });
  family("ticketd_outbox_failures_total", "Failed sends (each retry counts).", "counter",
         [](const auto& t) { return std::to_string(t.failed); });
  family("ticketd_outbox_circuit_open", "1 while the target's circuit breaker is open.", "gauge",
         [](const auto& t) { return std::string(t.breaker_open ? "1" : "0"); });
  family("ticketd_outbox_throttled",
         "1 while the target waits out its Retry-After (honoured up to an hour).", "gauge",
         [](const auto& t) { return std::string(t.throttled ? "1" : "0"); });
  family("ticketd_backend_synced_total",
         "Changes taken from the backend (resolved or closed there).", "counter",
         [](const auto& t) { return std::to_string(t.synced); });
  if (!depth) out += "# outbox depth unavailable: " + depth.error().message() + "\n";
  return out;
}

std::string pipeline_metrics(const Pipeline& pipeline) {
  const auto& s = pipeline.stats();
  std::string out;
  auto counter = [&](const char* name, const char* help, uint64_t v, const char* type = "counter") {
    append_metric(out, name, help, type, v);
  };
  counter("ticketd_events_accepted_total", "Events accepted into the queue.", s.events_accepted);
  counter("ticketd_events_rejected_total",
          "Events refused to HTTP senders (503) or lost at a stop: queue full, store unavailable "
          "or shutting down.",
          s.events_rejected_full);
  counter("ticketd_events_rejected_store_unavailable_total",
          "Events refused because the store could not commit.", s.events_rejected_store);
  counter("ticketd_events_retried_total", "Syslog events kept and re-run after a failed commit.",
          s.events_retried);
  counter("ticketd_store_healthy", "1 while store commits succeed, 0 after a failed one.",
          pipeline.store_healthy() ? 1 : 0, "gauge");
  counter("ticketd_events_processed_total", "Events run through the engine and committed.",
          s.events_processed);
  out +=
      "# HELP ticketd_event_decisions_total What became of processed events.\n"
      "# TYPE ticketd_event_decisions_total counter\n";
  for (size_t d = 0; d < s.decisions.size(); ++d) {
    out += std::string("ticketd_event_decisions_total{decision=\"") +
           engine::decision_name(static_cast<engine::Decision>(d)) + "\"} " +
           std::to_string(s.decisions[d].load()) + "\n";
  }
  counter("ticketd_tickets_opened_total", "Tickets opened by the engine.", s.tickets_opened);
  counter("ticketd_notifications_total", "Escalation notifications sent.", s.notifications);
  counter("ticketd_store_failures_total", "Failed store commits.", s.store_failures);
  counter("ticketd_queue_depth", "Events waiting for the engine.", s.queue_depth, "gauge");
  counter("ticketd_store_commits_total",
          "Store transactions committed (one per batch of events and commands).", s.commits);
  auto seconds = [&](const char* name, const char* help, uint64_t micros) {
    char v[32];
    std::snprintf(v, sizeof v, "%.6f", static_cast<double>(micros) / 1e6);
    out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " counter\n" + name +
           " " + v + "\n";
  };
  seconds("ticketd_store_commit_seconds_total", "Time spent committing batches to the store.",
          s.commit_micros);
  seconds("ticketd_engine_seconds_total", "Time the engine spent deciding batches.",
          s.engine_micros);
  counter("ticketd_open_tickets", "Tickets still collecting events.", pipeline.open_tickets(),
          "gauge");
  out +=
      "# HELP ticketd_rule_hits_total Events matched per rule.\n# TYPE ticketd_rule_hits_total "
      "counter\n";
  for (const auto& [name, hits] : pipeline.rule_hits()) {
    out += "ticketd_rule_hits_total{rule=\"" + escape_label(name) + "\"} " + std::to_string(hits) +
           "\n";
  }
  return out;
}

std::string input_metrics(const std::vector<std::unique_ptr<ingest::SyslogListener>>& listeners,
                          const api::HttpServer* http_server) {
  std::string out;
  auto family = [&](const char* name, const char* help, const char* type, auto get) {
    out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
    for (const auto& l : listeners) {
      out += std::string(name) + "{transport=\"" + ingest::syslog_kind_name(l->options().kind) +
             "\"} " + std::to_string(get(l->stats())) + "\n";
    }
  };
  using S = ingest::SyslogStats;
  family("ticketd_syslog_received_total", "Syslog messages received.", "counter",
         [](const S& s) { return s.received.load(); });
  family("ticketd_syslog_parsed_total", "Syslog messages parsed.", "counter",
         [](const S& s) { return s.parsed.load(); });
  family("ticketd_syslog_malformed_total", "Syslog messages kept raw because they did not parse.",
         "counter", [](const S& s) { return s.malformed.load(); });
  family("ticketd_syslog_dropped_total", "Syslog messages dropped (UDP, queue full).", "counter",
         [](const S& s) { return s.dropped.load(); });
  family("ticketd_syslog_truncated_total", "Syslog messages cut at max_message_bytes.", "counter",
         [](const S& s) { return s.truncated.load(); });
  family("ticketd_syslog_bytes_total", "Syslog bytes received.", "counter",
         [](const S& s) { return s.bytes.load(); });
  family("ticketd_syslog_connections", "Open syslog connections.", "gauge",
         [](const S& s) { return s.connections.load(); });
  family("ticketd_syslog_connections_refused_total", "Connections refused (limit, TLS handshake).",
         "counter", [](const S& s) { return s.connections_refused.load(); });
  out +=
      "# HELP ticketd_syslog_kernel_dropped_total Datagrams the kernel dropped: receive buffer "
      "full.\n"
      "# TYPE ticketd_syslog_kernel_dropped_total counter\n";
  for (const auto& l : listeners) {
    if (l->options().kind != ingest::SyslogListenerOptions::Kind::kUdp) continue;
    out += "ticketd_syslog_kernel_dropped_total{transport=\"udp\"} " +
           std::to_string(l->stats().kernel_dropped.load()) + "\n";
  }
  out +=
      "# HELP ticketd_accept_errors_total Failed accept() calls (e.g. out of file descriptors).\n"
      "# TYPE ticketd_accept_errors_total counter\n";
  if (http_server) {
    out += "ticketd_accept_errors_total{listener=\"http\"} " +
           std::to_string(http_server->stats().accept_errors.load()) + "\n";
  }
  for (const auto& l : listeners) {
    if (l->options().kind == ingest::SyslogListenerOptions::Kind::kUdp) continue;
    out += std::string("ticketd_accept_errors_total{listener=\"syslog_") +
           ingest::syslog_kind_name(l->options().kind) + "\"} " +
           std::to_string(l->stats().accept_errors.load()) + "\n";
  }
  if (http_server) {
    const auto& h = http_server->stats();
    out +=
        "# HELP ticketd_http_connections Open HTTP connections.\n# TYPE ticketd_http_connections "
        "gauge\n"
        "ticketd_http_connections " +
        std::to_string(h.connections.load()) +
        "\n"
        "# HELP ticketd_http_connections_refused_total HTTP connections refused (max_connections, "
        "per peer).\n"
        "# TYPE ticketd_http_connections_refused_total counter\n"
        "ticketd_http_connections_refused_total " +
        std::to_string(h.connections_refused.load()) +
        "\n"
        "# HELP ticketd_http_body_budget_refused_total Requests answered 503: "
        "max_inflight_body_bytes reached.\n"
        "# TYPE ticketd_http_body_budget_refused_total counter\n"
        "ticketd_http_body_budget_refused_total " +
        std::to_string(h.busy_refused.load()) + "\n";
  }
  return out;
}

std::string snmp_metrics(const ingest::SnmpListener* snmp) {
  if (!snmp) return "";
  const auto& s = snmp->stats();
  const auto usm = snmp->decoder().stats();
  std::string out;
  auto metric = [&](const char* name, const char* help, uint64_t v) {
    append_metric(out, name, help, "counter", v);
  };
  metric("ticketd_snmp_received_total", "SNMP datagrams received.", s.received);
  metric("ticketd_snmp_notifications_total", "SNMP traps and informs decoded and queued.",
         s.notifications);
  metric("ticketd_snmp_informs_total", "SNMP informs answered.", s.informs);
  metric("ticketd_snmp_malformed_total", "SNMP datagrams dropped: not SNMP or broken BER.",
         s.malformed);
  metric("ticketd_snmp_auth_failures_total",
         "SNMP messages dropped: unknown community or user, wrong digest, not decryptable.",
         s.auth_failures);
  metric("ticketd_snmp_unsupported_total", "SNMP PDUs ignored (get, set, ...).", s.unsupported);
  metric("ticketd_snmp_reports_total", "SNMPv3 reports sent (engine discovery, time window).",
         s.reports);
  metric("ticketd_snmp_dropped_total", "SNMP traps dropped: queue full.", s.dropped);
  metric("ticketd_snmp_usm_unknown_user_names_total", "SNMPv3: usmStatsUnknownUserNames.",
         usm.unknown_user_names);
  metric("ticketd_snmp_usm_wrong_digests_total", "SNMPv3: usmStatsWrongDigests.",
         usm.wrong_digests);
  metric("ticketd_snmp_usm_decryption_errors_total", "SNMPv3: usmStatsDecryptionErrors.",
         usm.decryption_errors);
  metric("ticketd_snmp_usm_not_in_time_windows_total", "SNMPv3: usmStatsNotInTimeWindows.",
         usm.not_in_time_windows);
  return out;
}

}  // namespace ticketd::daemon
