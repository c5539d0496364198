#include "ticketd/daemon/daemon.hpp"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <sys/resource.h>

#include <boost/asio.hpp>
#include <malloc.h>

#include <iostream>
#include <mutex>

#ifdef TICKETD_HAVE_SYSTEMD
#include <systemd/sd-daemon.h>
#endif

#include "ticketd/api/http_server.hpp"
#include "ticketd/api/routes.hpp"
#include "metrics.hpp"
#include "pipeline.hpp"
#include "ticketd/ingest/syslog_listener.hpp"
#include "ticketd/rules/rule_set.hpp"

namespace ticketd::daemon {
namespace {

void notify_systemd(const char* state) {
#ifdef TICKETD_HAVE_SYSTEMD
  sd_notify(0, state);
#else
  (void)state;
#endif
}

// Loads the rules directory, logging every diagnostic (and collecting them
// for an API answer); null on any error.
std::shared_ptr<const rules::RuleSet> load_rule_set(const Config& config, std::vector<std::string>* diagnostics) {
  auto result = rules::load_rules({config.rules_dir});
  auto line_of = [&config](const char* key) {
    auto it = config.key_lines.find(key);
    return it == config.key_lines.end() ? 0 : it->second;
  };
  if (result.rules && !config.default_rule.empty() && !result.rules->find(config.default_rule)) {
    result.diagnostics.push_back({rules::Diagnostic::Level::kError, config.path, line_of("default_rule"), 0,
                                  "default_rule \"" + config.default_rule + "\" is not a rule in " + config.rules_dir});
    result.rules = nullptr;
  }
  if (result.rules && result.rules->rules().empty()) {
    result.diagnostics.push_back({rules::Diagnostic::Level::kWarning, config.path, line_of("rules_dir"), 0,
                                  "rules_dir \"" + config.rules_dir +
                                      "\" has no rules: events will be stored, but no ticket will be opened"});
  }
  for (const auto& d : result.diagnostics) {
    spdlog::log(d.level == rules::Diagnostic::Level::kError ? spdlog::level::err : spdlog::level::warn, "rules: {}",
                d.to_string());
    if (diagnostics) diagnostics->push_back(d.to_string());
  }
  return result.rules;
}

// Descriptors kept for everything but client connections: stdio, the log,
// the store's database/WAL/SHM files, listening and UDP sockets, epoll,
// timers, the signal pipe, and 503/429 answers to connections over a limit.
constexpr uint64_t kReservedDescriptors = 64;
// How long SIGTERM waits for the syslog sessions to hand on what they read.
constexpr auto kInputDrainTimeout = std::chrono::seconds(10);

// Raises the soft RLIMIT_NOFILE to the hard limit; returns the soft limit.
uint64_t raise_descriptor_limit() {
  rlimit lim{};
  if (::getrlimit(RLIMIT_NOFILE, &lim) != 0) return UINT64_MAX;  // unknown: do not refuse
  if (lim.rlim_cur < lim.rlim_max) {
    rlimit raised = lim;
    raised.rlim_cur = lim.rlim_max;
    if (::setrlimit(RLIMIT_NOFILE, &raised) == 0) lim = raised;
  }
  return lim.rlim_cur == RLIM_INFINITY ? UINT64_MAX : static_cast<uint64_t>(lim.rlim_cur);
}

// The connection limits must fit in the descriptors the process may open,
// or a full listener turns into accept() failures instead of clean refusals.
Status check_descriptor_budget(const Config& c, uint64_t limit) {
  uint64_t tcp_listeners = c.syslog_tcp_listen.empty() ? 0 : 1;
  if (!c.syslog_tls_cert.empty() && !c.syslog_tls_listen.empty()) ++tcp_listeners;
  const uint64_t need = c.http_max_connections + c.syslog_max_connections * tcp_listeners + kReservedDescriptors;
  if (need <= limit) return Status::ok();
  return Status::invalid_argument(
      "connection limits need " + std::to_string(need) + " file descriptors: http.max_connections (" +
      std::to_string(c.http_max_connections) + ") + syslog.max_connections (" + std::to_string(c.syslog_max_connections) +
      ") x " + std::to_string(tcp_listeners) + " TCP/TLS listener(s) + " + std::to_string(kReservedDescriptors) +
      " reserved, but the open-file limit (RLIMIT_NOFILE) is " + std::to_string(limit) +
      ": lower http.max_connections / syslog.max_connections or raise the limit (ulimit -n, systemd LimitNOFILE=)");
}

}  // namespace

int check_config(const Config& config) {
  // load_config() has checked the file; this checks what start-up needs
  // from the machine, then the rules, reporting both.
  Status environment = check_environment(config);
  if (environment) environment = check_descriptor_budget(config, raise_descriptor_limit());  // as start-up does
  if (!environment) std::cerr << environment.message() << "\n";
  std::vector<std::string> diagnostics;
  spdlog::set_level(spdlog::level::off);  // the diagnostics are printed below
  auto rule_set = load_rule_set(config, &diagnostics);
  for (const auto& d : diagnostics) std::cerr << d << "\n";
  if (!environment || !rule_set) return 1;
  std::cout << config.path << ": ok (" << rule_set->rules().size() << " rules from " << config.rules_dir << ")\n";
  return 0;
}

int run(const Config& config, const std::string& version) {
  spdlog::set_level(spdlog::level::from_str(config.log_level));
  spdlog::info("ticketd {} starting (config {})", version, config.path);
  if (Status s = check_environment(config); !s) {  // the same check as --check-config
    spdlog::critical("{}", s.message());
    return 1;
  }

  const uint64_t fd_limit = raise_descriptor_limit();
  if (Status s = check_descriptor_budget(config, fd_limit); !s) {
    spdlog::critical("{}", s.message());
    return 1;
  }
  spdlog::info("descriptors: open-file limit {}", fd_limit);

  auto rule_set = load_rule_set(config, nullptr);
  if (!rule_set) {
    spdlog::critical("rules in {} are invalid; refusing to start (check with: ticketctl check-rules {})",
                     config.rules_dir, config.rules_dir);
    return 1;
  }
  spdlog::info("rules: loaded {} rules from {}", rule_set->rules().size(), config.rules_dir);

  store::SqliteOptions store_options;
  store_options.path = config.store_path;
  store_options.sync_full = config.store_sync_full;
  store_options.busy_timeout_ms = static_cast<int>(std::min<int64_t>(config.store_busy_timeout.count(), INT32_MAX));
  auto store = store::open_sqlite_store(store_options);
  if (!store) {
    spdlog::critical("{}", store.error().message());
    return 1;
  }
  auto state = (*store)->load_state();
  if (!state) {
    spdlog::critical("store: cannot load state: {}", state.error().message());
    return 1;
  }
  engine::Engine engine(rule_set);
  if (Status restored = engine.restore(*state); !restored) spdlog::warn("store: {}", restored.message());
  spdlog::info("store: {} ({} open tickets)", config.store_path, state->open_tickets.size());
  state = engine::EngineState{};  // the engine holds its own copy
  ::malloc_trim(0);  // hand back what reading the state needed (glibc keeps freed heap otherwise)
  engine.set_default_rule(config.default_rule);

  SystemClock clock;
  Pipeline pipeline(std::move(engine), **store, clock,
                    {config.queue_capacity, config.batch_max, config.event_retention});
  pipeline.start();

  // Validates the rules directory and, when valid, hands the new set to the
  // pipeline (which swaps it between batches). Used by SIGHUP and the API.
  auto reload = [&](std::vector<std::string>* diagnostics) -> Result<size_t> {
    spdlog::info("rules: reloading from {}", config.rules_dir);
    auto fresh = load_rule_set(config, diagnostics);
    if (!fresh) {
      spdlog::error("rules: reload rejected; the previous rule set stays active");
      return Status::invalid_argument("rules in " + config.rules_dir + " are invalid; the previous rule set stays active");
    }
    const size_t n = fresh->rules().size();
    pipeline.reload(std::move(fresh));
    return n;
  };

  boost::asio::io_context io;

  // Inputs hand events to the pipeline and never see rules or stores.
  std::vector<std::unique_ptr<ingest::SyslogListener>> listeners;
  auto add_syslog = [&](ingest::SyslogListenerOptions::Kind kind, const std::string& address) -> Status {
    if (address.empty()) return Status::ok();
    ingest::SyslogListenerOptions o;
    o.kind = kind;
    if (Status s = split_host_port(address, o.host, o.port); !s) return s;
    o.max_message_bytes = config.syslog_max_message_bytes;
    o.max_connections = config.syslog_max_connections;
    o.idle_timeout = config.syslog_idle_timeout;
    o.tls_cert_file = config.syslog_tls_cert;
    o.tls_key_file = config.syslog_tls_key;
    o.max_connections_per_peer = config.syslog_max_connections_per_peer;
    o.first_byte_timeout = config.syslog_first_byte_timeout;
    o.udp_receive_buffer = config.syslog_udp_receive_buffer;
    auto l = std::make_unique<ingest::SyslogListener>(
        io, o, [&pipeline](std::vector<Event>& events) { return pipeline.try_submit(std::move(events), nullptr); },
        clock);
    if (Status s = l->start(); !s) return s;
    spdlog::info("syslog: listening on {} {}:{}", ingest::syslog_kind_name(kind), o.host, l->bound_port());
    listeners.push_back(std::move(l));
    return Status::ok();
  };
  for (auto [kind, address] : {std::pair{ingest::SyslogListenerOptions::Kind::kUdp, config.syslog_udp_listen},
                               std::pair{ingest::SyslogListenerOptions::Kind::kTcp, config.syslog_tcp_listen},
                               std::pair{ingest::SyslogListenerOptions::Kind::kTls,
                                         config.syslog_tls_cert.empty() ? std::string() : config.syslog_tls_listen}}) {
    if (Status s = add_syslog(kind, address); !s) {
      spdlog::critical("{}", s.message());
      pipeline.stop();
      return 1;
    }
  }
  api::HttpServer* http_server = nullptr;  // set below; /metrics runs only once it serves
  auto metrics = [&pipeline, &listeners, &http_server] {
    return pipeline_metrics(pipeline) + input_metrics(listeners, http_server);
  };
  api::Router router({pipeline, **store, clock, config.tokens, version, reload, config.signatures, metrics});
  api::HttpServerOptions http_opts;
  if (Status s = split_host_port(config.http_listen, http_opts.host, http_opts.port); !s) {
    spdlog::critical("{}", s.message());
    pipeline.stop();
    return 1;
  }
  http_opts.max_body_bytes = config.max_body_bytes;
  http_opts.read_timeout = config.http_read_timeout;
  http_opts.max_connections = config.http_max_connections;
  http_opts.max_connections_per_peer = config.http_max_connections_per_peer;
  http_opts.header_timeout = config.http_header_timeout;
  http_opts.max_inflight_body_bytes = config.http_max_inflight_body_bytes;
  api::HttpServer http(io, router, http_opts, clock);
  http_server = &http;
  if (Status s = http.start(); !s) {
    spdlog::critical("{}", s.message());
    pipeline.stop();
    return 1;
  }
  spdlog::info("http: listening on {}:{}", http_opts.host, http.bound_port());

  boost::asio::signal_set signals(io, SIGINT, SIGTERM, SIGHUP);
  boost::asio::steady_timer shutdown_timer(io);
  boost::asio::steady_timer drain_timer(io);
  std::function<void(const boost::system::error_code&, int)> on_signal =
      [&](const boost::system::error_code& ec, int sig) {
        if (ec) return;
        if (sig == SIGHUP) {
          notify_systemd("RELOADING=1");
          (void)reload(nullptr);  // logs its own outcome; the old rules stay on failure
          notify_systemd("READY=1");
          signals.async_wait(on_signal);
          return;
        }
        spdlog::info("{}: stopping: no new connections, draining the queue", sig == SIGTERM ? "SIGTERM" : "SIGINT");
        notify_systemd("STOPPING=1");
        http.stop();
        // 1. Inputs stop reading and hand everything they read to the queue,
        //    which still accepts. 2. The pipeline commits all of it. 3. Exit.
        auto pipeline_stopped = std::make_shared<bool>(false);
        auto stop_pipeline = [&, pipeline_stopped](bool timed_out) {
          if (*pipeline_stopped) return;
          *pipeline_stopped = true;
          drain_timer.cancel();
          if (timed_out) spdlog::warn("syslog: inputs still delivering after {}s; stopping anyway",
                                      std::chrono::duration_cast<std::chrono::seconds>(kInputDrainTimeout).count());
          for (const auto& l : listeners) {
            const auto& st = l->stats();
            spdlog::info("syslog {}: stopped: {} messages read, {} dropped (queue full), {} lost at stop",
                         ingest::syslog_kind_name(l->options().kind), st.received.load(), st.dropped.load(),
                         st.lost_at_stop.load());
          }
          pipeline.stop();  // processes and commits everything queued
          // Let the answers to drained requests go out, then stop.
          shutdown_timer.expires_after(std::chrono::milliseconds(300));
          shutdown_timer.async_wait([&](const boost::system::error_code&) { io.stop(); });
        };
        auto waiting = std::make_shared<size_t>(listeners.size());
        drain_timer.expires_after(kInputDrainTimeout);
        drain_timer.async_wait([stop_pipeline](const boost::system::error_code& e) {
          if (!e) stop_pipeline(true);
        });
        if (listeners.empty()) stop_pipeline(false);
        for (auto& l : listeners) {
          l->stop([waiting, stop_pipeline] {
            if (--*waiting == 0) stop_pipeline(false);
          });
        }
      };
  signals.async_wait(on_signal);

  notify_systemd("READY=1");
  spdlog::info("ticketd ready");
  for (;;) {
    try {
      io.run();
      break;
    } catch (const std::exception& e) {
      spdlog::error("io: unexpected error: {}", e.what());  // keep serving
    }
  }
  spdlog::info("ticketd stopped");
  return 0;
}

}  // namespace ticketd::daemon
