#include "ticketd/daemon/daemon.hpp"

#include <malloc.h>
#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio.hpp>
#include <fstream>
#include <future>
#include <iostream>
#include <map>
#include <mutex>

#ifdef TICKETD_HAVE_SYSTEMD
#include <systemd/sd-daemon.h>
#endif

#include "metrics.hpp"
#include "pipeline.hpp"
#include "suggest.hpp"
#include "ticketd/api/http_server.hpp"
#include "ticketd/api/routes.hpp"
#include "ticketd/connectors/outbox.hpp"
#include "ticketd/connectors/planner.hpp"
#include "ticketd/ingest/snmp_listener.hpp"
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
std::shared_ptr<const rules::RuleSet> load_rule_set(const Config& config,
                                                    std::vector<std::string>* diagnostics) {
  auto result = rules::load_rules({config.rules_dir});
  auto line_of = [&config](const char* key) {
    auto it = config.key_lines.find(key);
    return it == config.key_lines.end() ? 0 : it->second;
  };
  if (result.rules && !config.default_rule.empty() && !result.rules->find(config.default_rule)) {
    result.diagnostics.push_back(
        {rules::Diagnostic::Level::kError, config.path, line_of("default_rule"), 0,
         "default_rule \"" + config.default_rule + "\" is not a rule in " + config.rules_dir});
    result.rules = nullptr;
  }
  if (result.rules && result.rules->rules().empty()) {
    result.diagnostics.push_back(
        {rules::Diagnostic::Level::kWarning, config.path, line_of("rules_dir"), 0,
         "rules_dir \"" + config.rules_dir +
             "\" has no rules: events will be stored, but no ticket will be opened"});
  }
  if (result.rules) {
    // An escalation may name a target this config does not have: the
    // notification is then only recorded (the notifications table).
    for (const rules::EscalationRule& e : result.rules->escalations) {
      for (const std::string& target : e.notify) {
        const bool known = std::any_of(config.notifications.begin(), config.notifications.end(),
                                       [&](const auto& n) { return n.name == target; });
        if (!known) {
          result.diagnostics.push_back(
              {rules::Diagnostic::Level::kWarning, config.path, line_of("notifications"), 0,
               "escalation " + e.name + " notifies \"" + target +
                   "\", which is not in notifications: it will be recorded, not delivered"});
        }
      }
    }
  }
  for (const auto& d : result.diagnostics) {
    spdlog::log(
        d.level == rules::Diagnostic::Level::kError ? spdlog::level::err : spdlog::level::warn,
        "rules: {}", d.to_string());
    if (diagnostics) diagnostics->push_back(d.to_string());
  }
  return result.rules;
}

// A URL for the log: without user:password@ and without the query (either
// may carry a credential).
std::string redact_url(const std::string& url) {
  std::string out = url.substr(0, url.find_first_of("?#"));
  const size_t scheme = out.find("://");
  const size_t host = scheme == std::string::npos ? 0 : scheme + 3;
  const size_t at = out.find('@', host);
  const size_t slash = out.find('/', host);
  if (at != std::string::npos && (slash == std::string::npos || at < slash))
    out.erase(host, at + 1 - host);
  if (out.size() < url.size() && url.find_first_of("?#") != std::string::npos) out += "?…";
  return out;
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
  if (!c.syslog_relp_listen.empty()) ++tcp_listeners;
  const uint64_t need =
      c.http_max_connections + c.syslog_max_connections * tcp_listeners + kReservedDescriptors;
  if (need <= limit) return Status::ok();
  return Status::invalid_argument(
      "connection limits need " + std::to_string(need) +
      " file descriptors: http.max_connections (" + std::to_string(c.http_max_connections) +
      ") + syslog.max_connections (" + std::to_string(c.syslog_max_connections) + ") x " +
      std::to_string(tcp_listeners) + " TCP/TLS listener(s) + " +
      std::to_string(kReservedDescriptors) +
      " reserved, but the open-file limit (RLIMIT_NOFILE) is " + std::to_string(limit) +
      ": lower http.max_connections / syslog.max_connections or raise the limit (ulimit -n, "
      "systemd LimitNOFILE=)");
}

}  // namespace

int check_config(const Config& config) {
  // load_config() has checked the file; this checks what start-up needs
  // from the machine, then the rules, reporting both.
  Status environment = check_environment(config);
  if (environment)
    environment = check_descriptor_budget(config, raise_descriptor_limit());  // as start-up does
  if (!environment) std::cerr << environment.message() << "\n";
  std::vector<std::string> diagnostics;
  spdlog::set_level(spdlog::level::off);  // the diagnostics are printed below
  auto rule_set = load_rule_set(config, &diagnostics);
  for (const auto& d : diagnostics) std::cerr << d << "\n";
  if (!environment || !rule_set) return 1;
  std::cout << config.path << ": ok (" << rule_set->rules().size() << " rules from "
            << config.rules_dir << ")\n";
  return 0;
}

namespace {

// The running daemon. Members are declared in start-up order, so leaving
// run() by any path stops them in reverse: the HTTP server and the syslog
// listeners (no new input), the router (its reader threads finish), the
// pipeline (drains its queue and commits everything), the I/O context, the
// store. A graceful stop (SIGTERM) runs the same order while the I/O thread
// still runs: inputs stop and hand on what they read, the pipeline commits
// it, then the daemon waits for the HTTP answers still in flight (counted by
// the server, not slept on) and stops the I/O thread.
class Daemon {
 public:
  Daemon(const Config& config, std::string version)
      : config_(config), version_(std::move(version)) {}

  int run() {
    if (!load_rules() || !open_store() || !make_outbox() || !start_pipeline() || !start_syslog() ||
        !start_snmp() || !start_http()) {
      return 1;
    }
    outbox_->start();
    signals_.async_wait(
        [this](const boost::system::error_code& ec, int sig) { on_signal(ec, sig); });
    notify_systemd("READY=1");
    spdlog::info("ticketd ready");
    for (;;) {
      try {
        io_.run();
        break;
      } catch (const std::exception& e) {
        spdlog::error("io: unexpected error: {}", e.what());  // keep serving
      }
    }
    outbox_->stop();  // the sends in flight finish (each bounded by its timeout)
    spdlog::info("ticketd stopped");
    return 0;
  }

 private:
  // The backends and notification targets, each with its own HTTP client
  // and worker thread; the planner that queues their entries.
  bool make_outbox() {
    outbox_ = std::make_unique<connectors::Outbox>(*store_, clock_, config_.outbox);
    std::vector<connectors::Route> routes;
    for (const auto* list : {&config_.backends, &config_.notifications}) {
      const bool backend = list == &config_.backends;
      for (const connectors::BackendConfig& b : *list) {
        connectors::CurlOptions o;
        o.timeout = b.timeout;
        o.verify_tls = b.verify_tls;
        o.ca_file = b.ca_file;
        o.user_agent = "ticketd/" + version_;
        auto http = connectors::make_curl_client(o);
        Status made = Status::ok();
        if (backend) {
          auto c = connectors::make_connector(b, *http);
          if (c)
            outbox_->add_backend(b, std::move(http), std::move(c).value());
          else
            made = c.error();
        } else {
          auto n = connectors::make_notifier(b, *http);
          if (n)
            outbox_->add_notifier(b, std::move(http), std::move(n).value());
          else
            made = n.error();
        }
        if (!made) {
          spdlog::critical("{}", made.message());
          return false;
        }
        routes.push_back({b.name, backend, b.when, b.comment_interval, b.on});
        spdlog::info("{} {}: {} {}", backend ? "backend" : "notification", b.name, b.kind,
                     redact_url(b.url));
      }
    }
    // Entries for a target no longer configured stay until it is back or an
    // operator drops them: say so rather than let them wait unseen.
    if (auto depth = store_->outbox_depth(); depth) {
      for (const auto& [target, d] : *depth) {
        if (outbox_->has_target(target)) continue;
        spdlog::warn(
            "outbox: {} entries wait for \"{}\", which is not configured (backends, "
            "notifications); add it back, or drop them: ticketctl outbox list --target {}",
            d.queued, target, target);
      }
    }
    planner_ = connectors::Planner(std::move(routes));
    outbox_->set_sync_sink(
        [this](const std::string& backend, const std::string& key,
               const connectors::RemoteChange& c) { apply_sync(backend, key, c); });
    return true;
  }

  // A remote ticket resolved, closed or reopened in its backend: the same
  // change to ticketd's ticket, by the actor "backend:<name>" (which the
  // planner does not send back to that backend). Waits until the change is
  // committed, so that the next change reads the ticket as it now is (a
  // backend that reports one change twice changes the ticket once). True
  // when the ticket changed.
  bool apply_sync(const std::string& backend, const std::string& key,
                  const connectors::RemoteChange& c) {
    std::lock_guard serial(sync_mu_);  // one change at a time, from any thread
    auto stored = store_->get_ticket(key);
    if (!stored || !*stored) return false;
    const Ticket& t = **stored;
    engine::TicketPatch patch;
    if (c.state == connectors::RemoteState::kReopened) {
      if (is_open(t.status)) return false;
      patch.status = TicketStatus::kInProgress;
    } else {
      patch.status = c.state == connectors::RemoteState::kClosed ? TicketStatus::kClosed
                                                                 : TicketStatus::kResolved;
      if (t.status == *patch.status || t.status == TicketStatus::kClosed ||
          t.status == TicketStatus::kCancelled)
        return false;
      // What the backend's people wrote when resolving is the resolution.
      if (!c.note.empty() && is_open(t.status)) patch.resolution = Resolution{"fixed", c.note};
    }
    const std::string actor = "backend:" + backend;
    std::string note = std::string(connectors::remote_state_name(c.state)) + " in " + backend;
    if (!c.by.empty()) note += " by " + c.by;
    if (!c.note.empty()) note += ": " + c.note;
    auto command = [key, patch, actor, note, stored = *stored](
                       engine::Engine& eng, TimePoint now,
                       engine::Actions& out) -> Result<nlohmann::json> {
      auto r = eng.patch_ticket(key, patch, actor, now, stored);
      if (!r) return r.error();
      for (auto& a : *r) out.push_back(std::move(a));
      auto n = eng.add_note(key, note, engine::NoteVisibility::kPublic, actor, now, stored);
      if (n) {
        for (auto& a : *n) out.push_back(std::move(a));
      }
      for (auto& a : eng.flush_updates()) out.push_back(std::move(a));
      return nlohmann::json::object();
    };
    auto done = std::make_shared<std::promise<Result<nlohmann::json>>>();
    auto answer = done->get_future();
    Status st = pipeline_->try_command(
        command, [done](Result<nlohmann::json> r) { done->set_value(std::move(r)); });
    if (!st) {
      spdlog::warn("backend {}: change to {} not applied: {}", backend, key, st.message());
      return false;
    }
    if (answer.wait_for(std::chrono::seconds(10)) != std::future_status::ready) {
      spdlog::warn("backend {}: change to {} not committed within 10 s", backend, key);
      return false;
    }
    Result<nlohmann::json> r = answer.get();
    if (!r) {
      spdlog::warn("backend {}: cannot apply the backend's change to {}: {}", backend, key,
                   r.error().message());
      return false;
    }
    spdlog::info("backend {}: {} {} from the backend", backend, key,
                 connectors::remote_state_name(c.state));
    return true;
  }

  // POST /api/v1/backends/{name}/webhook: a backend pushes its changes.
  Result<nlohmann::json> backend_webhook(const std::string& name, const std::string& body) {
    connectors::Connector* c = outbox_->connector(name);
    if (!c) return Status::not_found("no backend named " + name);
    auto changes = c->parse_webhook(body);
    if (!changes) return changes.error();
    constexpr size_t kMaxChanges = 1000;
    if (changes->size() > kMaxChanges)
      return Status::invalid_argument("at most " + std::to_string(kMaxChanges) +
                                      " changes per request, got " +
                                      std::to_string(changes->size()));
    // A remote ticket reported several times: its last state counts.
    std::vector<const connectors::RemoteChange*> last;
    std::map<std::string, size_t> at;
    for (const connectors::RemoteChange& ch : *changes) {
      auto [it, fresh] = at.emplace(ch.remote_id, last.size());
      if (fresh)
        last.push_back(&ch);
      else
        last[it->second] = &ch;
    }
    int applied = 0, unchanged = 0, unknown = 0;
    for (const connectors::RemoteChange* ch : last) {
      auto key = store_->ticket_for_remote(name, ch->remote_id);
      if (!key) return key.error();
      if (!*key)
        ++unknown;
      else if (apply_sync(name, **key, *ch))
        ++applied;
      else
        ++unchanged;
    }
    return nlohmann::json{{"changes", changes->size()},
                          {"applied", applied},
                          {"unchanged", unchanged},
                          {"unknown", unknown}};
  }
  bool open_store() {
    store::SqliteOptions o;
    o.path = config_.store_path;
    o.sync_full = config_.store_sync_full;
    o.readers = static_cast<int>(config_.store_readers);  // 1..64, checked by the config
    o.busy_timeout_ms =
        static_cast<int>(std::min<int64_t>(config_.store_busy_timeout.count(), INT32_MAX));
    auto opened = store::open_sqlite_store(o);
    if (!opened) {
      spdlog::critical("{}", opened.error().message());
      return false;
    }
    store_ = std::move(opened).value();
    return true;
  }

  bool load_rules() {
    rule_set_ = load_rule_set(config_, nullptr);
    if (!rule_set_) {
      spdlog::critical(
          "rules in {} are invalid; refusing to start (check with: ticketctl check-rules {})",
          config_.rules_dir, config_.rules_dir);
      return false;
    }
    spdlog::info("rules: loaded {} rules from {}", rule_set_->rules().size(), config_.rules_dir);
    return true;
  }

  bool start_pipeline() {
    auto state = store_->load_state();
    if (!state) {
      spdlog::critical("store: cannot load state: {}", state.error().message());
      return false;
    }
    engine::Engine engine(std::move(rule_set_));
    if (Status restored = engine.restore(*state); !restored)
      spdlog::warn("store: {}", restored.message());
    spdlog::info("store: {} ({} open tickets)", config_.store_path, state->open_tickets.size());
    state = StoredState{};  // the engine holds its own copy
    ::malloc_trim(0);  // hand back what reading the state needed (glibc keeps freed heap otherwise)
    engine.set_default_rule(config_.default_rule);
    Pipeline::Options po;
    po.capacity = config_.queue_capacity;
    po.batch_max = config_.batch_max;
    po.event_retention = config_.event_retention;
    // Suggested fixes go first, so that the planner sees the whole batch.
    po.plan = [this](engine::Actions& actions) {
      add_suggestions(*store_, actions);
      if (!planner_.empty()) planner_.plan(actions);
    };
    if (!planner_.empty()) po.outbox_queued = [this] { outbox_->wake(); };
    pipeline_ = std::make_unique<Pipeline>(std::move(engine), *store_, clock_, std::move(po));
    pipeline_->start();
    return true;
  }

  // Validates the rules directory and, when valid, hands the new set to the
  // pipeline (which swaps it between batches). Used by SIGHUP and the API.
  Result<size_t> reload(std::vector<std::string>* diagnostics) {
    spdlog::info("rules: reloading from {}", config_.rules_dir);
    auto fresh = load_rule_set(config_, diagnostics);
    if (!fresh) {
      spdlog::error("rules: reload rejected; the previous rule set stays active");
      return Status::invalid_argument("rules in " + config_.rules_dir +
                                      " are invalid; the previous rule set stays active");
    }
    const size_t n = fresh->rules().size();
    pipeline_->reload(std::move(fresh));
    if (snmp_ && load_snmp_names()) snmp_->set_names(snmp_names_);  // vendor MIBs dropped in since
    return n;
  }

  // Inputs hand events to the pipeline and never see rules or stores.
  bool start_syslog() {
    using Kind = ingest::SyslogListenerOptions::Kind;
    for (auto [kind, address] :
         {std::pair{Kind::kUdp, config_.syslog_udp_listen},
          std::pair{Kind::kTcp, config_.syslog_tcp_listen},
          std::pair{Kind::kTls,
                    config_.syslog_tls_cert.empty() ? std::string() : config_.syslog_tls_listen},
          std::pair{Kind::kRelp, config_.syslog_relp_listen}}) {
      if (address.empty()) continue;
      ingest::SyslogListenerOptions o;
      o.kind = kind;
      Status s = split_host_port(address, o.host, o.port);
      if (s) {
        o.max_message_bytes = config_.syslog_max_message_bytes;
        o.max_connections = config_.syslog_max_connections;
        o.idle_timeout = config_.syslog_idle_timeout;
        o.tls_cert_file = config_.syslog_tls_cert;
        o.tls_key_file = config_.syslog_tls_key;
        o.max_connections_per_peer = config_.syslog_max_connections_per_peer;
        o.first_byte_timeout = config_.syslog_first_byte_timeout;
        o.udp_receive_buffer = config_.syslog_udp_receive_buffer;
        auto l = std::make_unique<ingest::SyslogListener>(
            io_, o,
            [this](std::vector<Event>& events) {
              return pipeline_->try_submit(std::move(events), nullptr);
            },
            clock_,
            // RELP answers each message once it is durable (or failed).
            [this](std::vector<Event>& events, api::Intake::Done done) {
              return pipeline_->try_submit(std::move(events), std::move(done));
            });
        s = l->start();
        if (s) {
          spdlog::info("syslog: listening on {} {}:{}", ingest::syslog_kind_name(kind), o.host,
                       l->bound_port());
          listeners_.push_back(std::move(l));
        }
      }
      if (!s) {
        spdlog::critical("{}", s.message());
        return false;
      }
    }
    return true;
  }

  // snmpEngineBoots must grow at every start for the same engine ID: kept in
  // a file next to the store.
  uint32_t next_engine_boots() {
    const std::string path = config_.store_path + ".snmp-boots";
    uint32_t boots = 0;
    if (std::ifstream in(path); in) in >> boots;
    boots = boots >= 2147483646 ? 1 : boots + 1;
    std::ofstream out(path, std::ios::trunc);
    out << boots << "\n";
    if (!out)
      spdlog::warn("snmp: cannot write {}: v3 informs may be refused as replays after a restart",
                   path);
    return boots;
  }

  // Our SNMP engine ID (informs): from the config, else RFC 3411 text format
  // under net-snmp's enterprise number with the host name, stable across
  // restarts.
  std::string local_engine_id() const {
    if (!config_.snmp_engine_id.empty()) return config_.snmp_engine_id;
    char host[256] = {};
    ::gethostname(host, sizeof host - 1);
    std::string id("\x80\x00\x1f\x88\x04", 5);
    id += std::string("ticketd@") + host;
    return id.substr(0, 32);
  }

  bool load_snmp_names() {
    std::vector<std::string> warnings;
    auto names = ingest::SnmpNames::load(config_.snmp_mib_dirs, &warnings);
    for (const auto& w : warnings) spdlog::warn("snmp: {}", w);
    if (!names) {
      spdlog::error("snmp: {}", names.error().message());
      return false;
    }
    snmp_names_ = *names;
    return true;
  }

  bool start_snmp() {
    if (config_.snmp_listen.empty()) return true;
    if (!load_snmp_names()) return false;
    ingest::SnmpTrapDecoderConfig dc;
    dc.communities = config_.snmp_communities;
    dc.users = config_.snmp_users;
    dc.local_engine.engine_id = local_engine_id();
    dc.local_engine.boots = next_engine_boots();
    dc.local_engine.boot_time = clock_.now();
    auto decoder = ingest::SnmpTrapDecoder::create(std::move(dc));
    if (!decoder) {
      spdlog::critical("snmp: {}", decoder.error().message());
      return false;
    }
    ingest::SnmpListenerOptions o;
    if (Status s = split_host_port(config_.snmp_listen, o.host, o.port); !s) {
      spdlog::critical("{}", s.message());
      return false;
    }
    o.udp_receive_buffer = config_.snmp_udp_receive_buffer;
    snmp_ = std::make_unique<ingest::SnmpListener>(
        io_, o, std::shared_ptr<const ingest::SnmpTrapDecoder>(std::move(decoder).value()),
        snmp_names_,
        [this](std::vector<Event>& events) {
          return pipeline_->try_submit(std::move(events), nullptr);
        },
        clock_);
    if (Status s = snmp_->start(); !s) {
      spdlog::critical("{}", s.message());
      return false;
    }
    spdlog::info("snmp: listening on udp {}:{} ({} communities, {} v3 users, engine ID {})", o.host,
                 snmp_->bound_port(), config_.snmp_communities.size(), config_.snmp_users.size(),
                 ingest::format_snmp_engine_id(local_engine_id()));
    return true;
  }

  bool start_http() {
    api::RouterDeps deps{
        *pipeline_,
        *store_,
        clock_,
        config_.tokens,
        version_,
        [this](std::vector<std::string>* d) { return reload(d); },
        config_.signatures,
        [this] {
          return pipeline_metrics(*pipeline_) + input_metrics(listeners_, http_.get()) +
                 snmp_metrics(snmp_.get()) + outbox_metrics(*outbox_, *store_, clock_.now());
        }};
    deps.outbox_wake = [this] { outbox_->resume(); };
    deps.backend_webhook = [this](const std::string& name, const std::string& body) {
      return backend_webhook(name, body);
    };
    deps.pagerduty_integrations = config_.pagerduty_integrations;
    deps.json_sources = config_.json_sources;
    deps.reader_threads = config_.store_readers;
    router_ = std::make_unique<api::Router>(std::move(deps));
    api::HttpServerOptions o;
    if (Status s = split_host_port(config_.http_listen, o.host, o.port); !s) {
      spdlog::critical("{}", s.message());
      return false;
    }
    o.max_body_bytes = config_.max_body_bytes;
    o.read_timeout = config_.http_read_timeout;
    o.max_connections = config_.http_max_connections;
    o.max_connections_per_peer = config_.http_max_connections_per_peer;
    o.header_timeout = config_.http_header_timeout;
    o.max_inflight_body_bytes = config_.http_max_inflight_body_bytes;
    o.tls_cert_file = config_.api_tls_cert;
    o.tls_key_file = config_.api_tls_key;
    http_ = std::make_unique<api::HttpServer>(io_, *router_, o, clock_);
    if (Status s = http_->start(); !s) {
      spdlog::critical("{}", s.message());
      return false;
    }
    spdlog::info("http: listening on {}{}:{}", o.tls_cert_file.empty() ? "" : "https://", o.host,
                 http_->bound_port());
    return true;
  }

  void on_signal(const boost::system::error_code& ec, int sig) {
    if (ec) return;
    if (sig == SIGHUP) {
      notify_systemd("RELOADING=1");
      (void)reload(nullptr);  // logs its own outcome; the old rules stay on failure
      notify_systemd("READY=1");
      signals_.async_wait([this](const boost::system::error_code& e, int s) { on_signal(e, s); });
      return;
    }
    spdlog::info("{}: stopping: no new connections, draining the queue",
                 sig == SIGTERM ? "SIGTERM" : "SIGINT");
    notify_systemd("STOPPING=1");
    http_->stop();  // no new connections; answers still in flight are counted
    if (snmp_) snmp_->stop();
    // 1. Inputs stop reading and hand everything they read to the queue,
    //    which still accepts. 2. The pipeline commits all of it. 3. The HTTP
    //    answers go out. 4. Exit.
    drain_timer_.expires_after(kInputDrainTimeout);
    drain_timer_.async_wait([this](const boost::system::error_code& e) {
      if (!e) stop_pipeline(true);
    });
    inputs_left_ = listeners_.size();
    if (listeners_.empty()) return stop_pipeline(false);
    for (auto& l : listeners_) {
      l->stop([this] {
        if (--inputs_left_ == 0) stop_pipeline(false);
      });
    }
  }

  void stop_pipeline(bool timed_out) {
    if (pipeline_stopped_) return;
    pipeline_stopped_ = true;
    drain_timer_.cancel();
    if (timed_out) {
      spdlog::warn("syslog: inputs still delivering after {}s; stopping anyway",
                   std::chrono::duration_cast<std::chrono::seconds>(kInputDrainTimeout).count());
    }
    for (const auto& l : listeners_) {
      const auto& st = l->stats();
      spdlog::info("syslog {}: stopped: {} messages read, {} dropped (queue full), {} lost at stop",
                   ingest::syslog_kind_name(l->options().kind), st.received.load(),
                   st.dropped.load(), st.lost_at_stop.load());
    }
    pipeline_->stop();  // processes and commits everything queued; answers are posted
    // The I/O thread stops once every answer is written, or after a bound
    // for clients that do not read theirs.
    answers_timer_.expires_after(kAnswersTimeout);
    answers_timer_.async_wait([this](const boost::system::error_code& e) {
      if (e) return;
      spdlog::warn("http: {} answers still unwritten after {}s; stopping anyway",
                   http_->in_flight(),
                   std::chrono::duration_cast<std::chrono::seconds>(kAnswersTimeout).count());
      io_.stop();
    });
    http_->stop([this] { boost::asio::post(io_, [this] { io_.stop(); }); });
  }

  // How long SIGTERM waits for clients to take the answers of drained requests.
  static constexpr auto kAnswersTimeout = std::chrono::seconds(5);

  const Config& config_;
  const std::string version_;
  SystemClock clock_;
  std::shared_ptr<const rules::RuleSet> rule_set_;  // until the engine takes it
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<connectors::Outbox> outbox_;  // after the store, which it uses
  std::mutex sync_mu_;                          // changes from backends are applied one at a time
  connectors::Planner planner_;
  boost::asio::io_context io_;
  std::unique_ptr<Pipeline> pipeline_;
  std::vector<std::unique_ptr<ingest::SyslogListener>> listeners_;
  std::shared_ptr<const ingest::SnmpNames> snmp_names_;
  std::unique_ptr<ingest::SnmpListener> snmp_;
  std::unique_ptr<api::Router> router_;
  std::unique_ptr<api::HttpServer> http_;
  boost::asio::signal_set signals_{io_, SIGINT, SIGTERM, SIGHUP};
  boost::asio::steady_timer drain_timer_{io_};
  boost::asio::steady_timer answers_timer_{io_};
  size_t inputs_left_ = 0;
  bool pipeline_stopped_ = false;
};

// `%*` in a log pattern: the line's syslog priority, for journald's "<N>"
// prefix (SyslogLevelPrefix=, on by default): trace and debug 7, info 6,
// warn 4, error 3, critical 2.
class SyslogPriorityFlag : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    static constexpr char kPriority[] = {'7', '7', '6', '4', '3', '2', '7'};
    const auto level = static_cast<size_t>(msg.level);
    dest.push_back(level < sizeof kPriority ? kPriority[level] : '6');
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<SyslogPriorityFlag>();
  }
};

// True when standard output is a journald stream: systemd sets
// JOURNAL_STREAM to the "device:inode" of the stream it connected.
bool stdout_is_journal() {
  const char* stream = std::getenv("JOURNAL_STREAM");
  struct stat st {};
  if (!stream || ::fstat(STDOUT_FILENO, &st) != 0) return false;
  return std::string(stream) == std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino);
}

}  // namespace

int run(const Config& config, const std::string& version) {
  spdlog::set_level(spdlog::level::from_str(config.log_level));
  if (stdout_is_journal()) {
    // The journal stamps time and process itself; the prefix gives each line
    // its priority, so `journalctl -p warning` shows warnings and worse.
    auto formatter = std::make_unique<spdlog::pattern_formatter>();
    formatter->add_flag<SyslogPriorityFlag>('*').set_pattern("<%*>[%l] %v");
    spdlog::set_formatter(std::move(formatter));
  }
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
  Daemon daemon(config, version);
  return daemon.run();
}

}  // namespace ticketd::daemon
