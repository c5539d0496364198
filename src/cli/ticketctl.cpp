// ticketctl: the command-line client of ticketd.
//
// Offline commands (check-rules) read files; the others talk to a running
// daemon's REST API (--server / TICKETD_SERVER, --token / TICKETD_TOKEN).
// Exit codes: 0 success, 1 failure (invalid rules, API error), 2 usage;
// `rules diff` exits 0 when nothing would change, 2 when something would, 1 on error.
#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <regex>
#include <string>
#include <vector>

#include "help.hpp"
#include "http_client.hpp"
#include "offline.hpp"
#include "table.hpp"
#include "ticketd/core/text.hpp"
#include "ticketd/rules/describe.hpp"
#include "ticketd/rules/rule_set.hpp"

namespace {

using nlohmann::json;
using ticketd::cli::HttpClient;

constexpr const char* kUsage =
    R"(usage: ticketctl [--server URL] [--token TOKEN] [--cacert FILE] COMMAND [ARGS]

offline:
  check-rules [--format text|json] PATH...
                                  validate rule files or directories; exit 0 valid (warnings
                                  allowed), 1 errors; --format json: every diagnostic with file,
                                  line, column, severity and a stable code, for editors and CI
  test-rules FILE|DIR... [--run REGEX]
                                  run rule tests (events replayed on a simulated clock);
                                  --run: only the tests whose name matches (ECMAScript)
  replay --rules DIR [--until T] EVENTS.jsonl
                                  print the engine's actions for recorded events, one JSON per
                                  line; --until: run the clock on to T (RFC 3339, or a duration
                                  after the last event: 2h) so later timers fire too
  explain --rules DIR EVENT.json  every rule tried for one event, every failed condition, and
                                  the decision ("-" = stdin)
  replay --rules CANDIDATE_DIR --since 24h [--max-events N] [--json]
                                  (talks to the daemon) the events it stored since then, replayed
                                  through CANDIDATE_DIR: which would be decided differently from
                                  the running rules; exit 2 when something changes
api (default server http://127.0.0.1:8080, or $TICKETD_SERVER; token from $TICKETD_TOKEN;
     https://: --cacert FILE or $TICKETD_CACERT trusts a private CA's PEM certificate):
  tickets list [--status S] [--type T] [--priority P] [--team T|none] [--assignee A|none]
               [--q SEARCH] [--sort newest|priority] [--limit N] [--cursor C] [--json]
                                  S: open, new, assigned, ...; --sort priority: P1 first, then
                                  the nearest SLA due time; prints how many match in all
  tickets show KEY [--json]       one ticket with its timeline and the statuses it may go to
  tickets create --title T [--type incident|service_request|problem|change] [--impact L] [--urgency L]
                 [--team T] [--assignee A] [--category C] [--description D] [--label k=v,...]
  tickets assign KEY ASSIGNEE     also: tickets status KEY STATUS
  tickets unassign KEY            clear the assignee (an assigned ticket goes back to new)
  tickets ack KEY
  tickets note KEY TEXT [--public] a note; internal (staff only) unless --public
  tickets resolve KEY [--code CODE] [--note TEXT]
                                  CODE: fixed (default), workaround, no_fault_found, duplicate,
                                  known_error, change_rolled_back, user_error
  tickets close KEY [--code CODE] [--note TEXT]
  tickets reopen KEY [--note TEXT]  a resolved ticket back to in_progress
  tickets cancel KEY [--note TEXT]
  silence add FIELD=VALUE... --duration 2h [--comment TEXT] [--author NAME] [--start RFC3339]
                                  VALUE in rule syntax: db01, !db01, ~^db, !~test
  silence list [--json]
  silence expire ID
  rules list [--json]             loaded rules with hit counts and open tickets
  rules reload                    validate and load the rules directory (old set kept if invalid)
  rules diff DIR [--json]         what reloading DIR would change in the running daemon, field
                                  by field; exit 0 no changes, 2 changes, 1 error
  explain EVENT.json              explain against the running daemon (its state included)
  events list [--decision D] [--since 24h] [--until T] [--rule R] [--host H] [--ticket KEY]
              [--limit N] [--cursor C] [--json | --jsonl]
                                  stored events with the engine's decision, newest first; since/
                                  until: RFC 3339 or a duration before now (30m, 24h, 7d);
                                  --jsonl: export every matching event (all pages, or --limit
                                  in all), one per line as explain/replay read it
  outbox list [--target NAME] [--ticket KEY] [--held] [--limit N] [--json]
                                  what waits for backends and notification targets
  outbox retry ID                 send a held (or waiting) entry now
  outbox drop ID                  delete an entry unsent
shell:
  completion bash                 print a bash completion script (source it, or install it as
                                  share/bash-completion/completions/ticketctl)
ticketctl COMMAND --help shows a command's usage and examples.
options (a command refuses any option it does not take, exit 2):
  --json                          print the API's JSON instead of a table
  --jsonl                         (events list) one normalized event per line
  --help, -h                      this help; after a command, that command's help
  --version                       print the version
  --                              the arguments after it are not options (e.g. a note "-1")
)";

struct Args {
  std::string server;
  std::string token;
  std::string cacert;  // --cacert / TICKETD_CACERT: PEM CA file for https servers
  bool json_out = false;
  std::vector<std::string> positional;
  std::map<std::string, std::string> options;  // --status new -> {"status","new"}
  std::vector<std::string> given;              // every option name, in order ("server", ...)
};

int usage_error(const std::string& msg) {
  std::cerr << "ticketctl: " << msg << "\n\n" << kUsage;
  return 2;
}

std::string str(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return "";
  if (it->is_string()) return it->get<std::string>();
  return it->dump();
}

// Shortens "2026-11-28T14:03:00.123Z" to "2026-11-28 14:03:00".
std::string short_time(const std::string& t) {
  if (t.size() < 19) return t;
  std::string s = t.substr(0, 19);
  s[10] = ' ';
  return s;
}

// Prints an API error body and returns the exit code 1.
int api_error(const ticketd::cli::HttpResult& r) {
  auto j = json::parse(r.body, nullptr, false);
  if (!j.is_discarded() && j.contains("error")) {
    std::cerr << "ticketctl: " << r.status << " " << str(j["error"], "code") << ": "
              << str(j["error"], "message") << "\n";
  } else {
    std::cerr << "ticketctl: HTTP " << r.status << ": " << r.body << "\n";
  }
  return 1;
}

// The rule files `paths` name: files as given, directories' *.yaml / *.yml.
size_t count_rule_files(const std::vector<std::string>& paths) {
  size_t n = 0;
  for (const std::string& p : paths) {
    std::error_code ec;
    if (!std::filesystem::is_directory(p, ec)) {
      ++n;
      continue;
    }
    for (const auto& f : std::filesystem::directory_iterator(p, ec)) {
      const std::string ext = f.path().extension().string();
      n += f.is_regular_file(ec) && (ext == ".yaml" || ext == ".yml");
    }
  }
  return n;
}

// check-rules [--format text|json] PATH...: exit 0 valid (warnings allowed),
// 1 errors, 2 usage. JSON is for editors and CI: every diagnostic with its
// position, severity and stable code.
int check_rules(const Args& a) {
  // --json is the global spelling of --format json.
  const std::string format =
      a.options.count("format") ? a.options.at("format") : (a.json_out ? "json" : "text");
  if (a.json_out && format != "json")
    return usage_error("check-rules takes --json or --format " + format + ", not both");
  if (format != "text" && format != "json")
    return usage_error("check-rules --format takes text or json, not \"" + format + "\"");
  if (a.positional.size() < 2)
    return usage_error("check-rules needs at least one file or directory");
  std::vector<std::string> paths(a.positional.begin() + 1, a.positional.end());
  auto result = ticketd::rules::load_rules(paths);
  size_t errors = 0, warnings = 0;
  for (const auto& d : result.diagnostics) {
    if (d.level == ticketd::rules::Diagnostic::Level::kError)
      ++errors;
    else
      ++warnings;
  }
  if (format == "json") {
    json diags = json::array();
    for (const auto& d : result.diagnostics) {
      const bool error = d.level == ticketd::rules::Diagnostic::Level::kError;
      diags.push_back({{"file", d.file},
                       {"line", d.line},
                       {"column", d.column},
                       {"severity", error ? "error" : "warning"},
                       {"code", d.code.empty() ? (error ? "invalid" : "warning") : d.code},
                       {"message", d.message}});
    }
    json out = {{"valid", result.ok()},
                {"files", count_rule_files(paths)},
                {"rules", result.ok() ? json(result.rules->rules().size()) : json(nullptr)},
                {"errors", errors},
                {"warnings", warnings},
                {"diagnostics", diags}};
    std::cout << out.dump(2) << "\n";
    return result.ok() ? 0 : 1;
  }
  for (const auto& d : result.diagnostics) std::cout << d.to_string() << "\n";
  if (!result.ok()) {
    std::cout << errors << (errors == 1 ? " error" : " errors") << "\n";
    return 1;
  }
  std::cout << "ok: " << result.rules->rules().size() << " rules\n";
  return 0;
}

int tickets_list(const Args& a, HttpClient& client) {
  std::string query;
  for (const char* k :
       {"status", "type", "priority", "team", "assignee", "sort", "limit", "cursor", "q"}) {
    auto it = a.options.find(k);
    if (it == a.options.end()) continue;
    query +=
        (query.empty() ? "?" : "&") + std::string(k) + "=" + ticketd::cli::url_encode(it->second);
  }
  auto r = client.request("GET", "/api/v1/tickets" + query);
  if (!r) {
    std::cerr << "ticketctl: " << r.error().message() << "\n";
    return 1;
  }
  if (r->status != 200) return api_error(*r);
  auto j = json::parse(r->body, nullptr, false);
  if (j.is_discarded()) {
    std::cerr << "ticketctl: the server answered invalid JSON\n";
    return 1;
  }
  if (a.json_out) {
    std::cout << j.dump(2) << "\n";
    return 0;
  }
  ticketd::cli::Table table(
      {"KEY", "PRIORITY", "STATUS", "TEAM", "ASSIGNEE", "EVENTS", "LAST SEEN", "TITLE"});
  for (const auto& t : j["tickets"]) {
    table.add({str(t, "key"), str(t, "priority"), str(t, "status"), str(t, "team"),
               str(t, "assignee"), str(t, "event_count"), short_time(str(t, "last_seen")),
               str(t, "title")});
  }
  table.print(std::cout);
  if (j.contains("total") && j["total"].is_number_integer()) {
    const int64_t total = j["total"].get<int64_t>();
    std::cout << j["tickets"].size() << " shown of " << total << " matching\n";
  }
  if (j.contains("next_cursor") && !j["next_cursor"].is_null()) {
    std::cout << "more: --cursor " << j["next_cursor"].get<std::string>() << "\n";
  }
  return 0;
}

int tickets_show(const Args& a, HttpClient& client) {
  if (a.positional.size() < 3) return usage_error("tickets show needs a ticket KEY");
  const std::string key = ticketd::cli::url_encode(a.positional[2]);
  auto r = client.request("GET", "/api/v1/tickets/" + key);
  if (!r) {
    std::cerr << "ticketctl: " << r.error().message() << "\n";
    return 1;
  }
  if (r->status != 200) return api_error(*r);
  auto tl = client.request("GET", "/api/v1/tickets/" + key + "/timeline");
  if (!tl) {
    std::cerr << "ticketctl: " << tl.error().message() << "\n";
    return 1;
  }
  if (tl->status != 200) return api_error(*tl);
  auto t = json::parse(r->body, nullptr, false);
  auto timeline = json::parse(tl->body, nullptr, false);
  if (t.is_discarded() || timeline.is_discarded()) {
    std::cerr << "ticketctl: the server answered invalid JSON\n";
    return 1;
  }
  if (a.json_out) {
    t["timeline"] = timeline["timeline"];
    std::cout << t.dump(2) << "\n";
    return 0;
  }
  std::cout << str(t, "key") << "  " << str(t, "title") << "\n\n";
  ticketd::cli::Table fields({"FIELD", "VALUE"});
  for (const char* k :
       {"type", "status", "priority", "impact", "urgency", "category", "team", "assignee", "rule",
        "fingerprint", "event_count", "first_seen", "last_seen", "created_at", "updated_at",
        "acknowledged_at", "resolved_at", "closed_at"}) {
    std::string v = str(t, k);
    if (!v.empty()) fields.add({k, v});
  }
  if (t.contains("labels") && !t["labels"].empty()) {
    for (const auto& [k, v] : t["labels"].items())
      fields.add({"labels." + k, v.is_string() ? v.get<std::string>() : v.dump()});
  }
  if (t.contains("external") && t["external"].is_array()) {
    for (const auto& x : t["external"]) {
      std::string where = str(x, "key");
      if (!str(x, "url").empty()) where += "  " + str(x, "url");
      fields.add({"external." + str(x, "backend"), where});
    }
  }
  if (t.contains("transitions") && t["transitions"].is_array()) {
    std::string next;
    for (const auto& st : t["transitions"])
      next += (next.empty() ? "" : ", ") + (st.is_string() ? st.get<std::string>() : st.dump());
    fields.add({"transitions", next.empty() ? "(none)" : next});
  }
  if (t.contains("resolution") && t["resolution"].is_object()) {
    fields.add({"resolution", str(t["resolution"], "code")});
    if (!str(t["resolution"], "note").empty())
      fields.add({"resolution.note", str(t["resolution"], "note")});
  }
  fields.print(std::cout, 100);
  if (!str(t, "description").empty()) std::cout << "\n" << str(t, "description") << "\n";
  std::cout << "\nTimeline\n";
  ticketd::cli::Table entries({"TIME", "ACTOR", "KIND", "MESSAGE"});
  for (const auto& e : timeline["timeline"]) {
    std::string kind = str(e, "kind");
    if (kind == "note" && e.contains("details") && e["details"].is_object())
      kind += e["details"].value("visibility", "") == "public" ? " (public)" : " (internal)";
    entries.add({short_time(str(e, "time")), str(e, "actor"), kind, str(e, "message")});
  }
  entries.print(std::cout, 100);
  return 0;
}

// Sends a request and returns the parsed JSON body, or prints the error.
std::optional<json> call(HttpClient& client, const std::string& method, const std::string& path,
                         const std::string& body = "") {
  auto r = client.request(method, path, body);
  if (!r) {
    std::cerr << "ticketctl: " << r.error().message() << "\n";
    return std::nullopt;
  }
  if (r->status < 200 || r->status >= 300) {
    api_error(*r);
    if (r->status == 422) {
      auto j = json::parse(r->body, nullptr, false);
      if (!j.is_discarded() && j["error"].contains("details")) {
        for (const auto& d : j["error"]["details"])
          std::cerr << "  " << (d.is_string() ? d.get<std::string>() : d.dump()) << "\n";
      }
    }
    return std::nullopt;
  }
  auto j = json::parse(r->body, nullptr, false);
  if (j.is_discarded()) {
    std::cerr << "ticketctl: the server answered invalid JSON\n";
    return std::nullopt;
  }
  return j;
}

std::string option(const Args& a, const char* name) {
  auto it = a.options.find(name);
  return it == a.options.end() ? "" : it->second;
}

int print_ticket_result(const std::optional<json>& j, const Args& a) {
  if (!j) return 1;
  if (a.json_out) {
    std::cout << j->dump(2) << "\n";
  } else {
    std::cout << str(*j, "key") << "  " << str(*j, "status") << "  " << str(*j, "priority") << "  "
              << str(*j, "title") << "\n";
  }
  return 0;
}

int ticket_change(const Args& a, HttpClient& client) {
  const std::string sub = a.positional[1];
  if (sub == "create") {
    json body = json::object();
    for (const char* k :
         {"title", "type", "impact", "urgency", "team", "assignee", "category", "description"}) {
      if (!option(a, k).empty()) body[k] = option(a, k);
    }
    if (!body.contains("title")) return usage_error("tickets create needs --title");
    if (!option(a, "label").empty()) {
      json labels = json::object();
      std::string list = option(a, "label");
      // k=v pairs separated by ';' (values may contain commas, e.g. hosts=db1,db2)
      size_t start = 0;
      while (start < list.size()) {
        size_t end = list.find(';', start);
        std::string pair =
            list.substr(start, end == std::string::npos ? std::string::npos : end - start);
        auto eq = pair.find('=');
        if (eq == std::string::npos) return usage_error("--label takes k=v pairs separated by ';'");
        labels[pair.substr(0, eq)] = pair.substr(eq + 1);
        if (end == std::string::npos) break;
        start = end + 1;
      }
      body["labels"] = labels;
    }
    return print_ticket_result(call(client, "POST", "/api/v1/tickets", body.dump()), a);
  }
  if (a.positional.size() < 3) return usage_error("tickets " + sub + " needs a ticket KEY");
  const std::string path = "/api/v1/tickets/" + ticketd::cli::url_encode(a.positional[2]);
  auto arg = [&](const char* what) -> std::optional<std::string> {
    if (a.positional.size() < 4) {
      usage_error("tickets " + sub + " needs " + what);
      return std::nullopt;
    }
    std::string v = a.positional[3];
    for (size_t i = 4; i < a.positional.size(); ++i) v += " " + a.positional[i];
    return v;
  };
  if (sub == "assign") {
    auto who = arg("an ASSIGNEE");
    if (!who) return 2;
    return print_ticket_result(call(client, "PATCH", path, json{{"assignee", *who}}.dump()), a);
  }
  if (sub == "unassign")
    return print_ticket_result(call(client, "PATCH", path, json{{"assignee", ""}}.dump()), a);
  if (sub == "status") {
    auto st = arg("a STATUS");
    if (!st) return 2;
    return print_ticket_result(call(client, "PATCH", path, json{{"status", *st}}.dump()), a);
  }
  if (sub == "ack") return print_ticket_result(call(client, "POST", path + "/ack", "{}"), a);
  if (sub == "note") {
    auto text = arg("the note TEXT");
    if (!text) return 2;
    json body = {{"text", *text},
                 {"visibility", a.options.count("public") ? "public" : "internal"}};
    return print_ticket_result(call(client, "POST", path + "/notes", body.dump()), a);
  }
  if (sub == "resolve" || sub == "close" || sub == "cancel") {
    json body = {{"status", sub == "resolve" ? "resolved"
                            : sub == "close" ? "closed"
                                             : "cancelled"}};
    if (!option(a, "code").empty() || !option(a, "note").empty()) {
      json r = json::object();
      if (!option(a, "code").empty()) r["code"] = option(a, "code");
      if (!option(a, "note").empty()) r["note"] = option(a, "note");
      body["resolution"] = r;
    }
    return print_ticket_result(call(client, "PATCH", path, body.dump()), a);
  }
  if (sub == "reopen") {
    auto j = call(client, "PATCH", path, json{{"status", "in_progress"}}.dump());
    if (j && !option(a, "note").empty() &&
        !call(client, "POST", path + "/notes", json{{"text", option(a, "note")}}.dump())) {
      return 1;
    }
    return print_ticket_result(j, a);
  }
  return usage_error("unknown tickets subcommand \"" + sub + "\"");
}

int silence_cmd(const Args& a, HttpClient& client) {
  const std::string sub = a.positional.size() > 1 ? a.positional[1] : "";
  if (sub == "add") {
    json matchers = json::object();
    for (size_t i = 2; i < a.positional.size(); ++i) {
      const std::string& m = a.positional[i];
      auto eq = m.find('=');
      if (eq == std::string::npos || eq == 0)
        return usage_error("matcher \"" + m + "\" must be FIELD=VALUE");
      matchers[m.substr(0, eq)] = m.substr(eq + 1);
    }
    if (matchers.empty()) return usage_error("silence add needs at least one FIELD=VALUE matcher");
    json body = {{"matchers", matchers}};
    const std::string duration = option(a, "duration");
    const std::string end = option(a, "end");
    if (duration.empty() && end.empty())
      return usage_error("silence add needs --duration (e.g. 2h) or --end");
    if (!duration.empty()) body["duration"] = duration;
    if (!end.empty()) body["ends_at"] = end;
    if (!option(a, "start").empty()) body["starts_at"] = option(a, "start");
    if (!option(a, "comment").empty()) body["comment"] = option(a, "comment");
    std::string author = option(a, "author");
    if (author.empty() && std::getenv("USER")) author = std::getenv("USER");
    if (!author.empty()) body["created_by"] = author;
    auto j = call(client, "POST", "/api/v1/silences", body.dump());
    if (!j) return 1;
    if (a.json_out) {
      std::cout << j->dump(2) << "\n";
    } else {
      std::cout << str(*j, "id") << "\n";
    }
    return 0;
  }
  if (sub == "list") {
    auto j = call(client, "GET", "/api/v1/silences");
    if (!j) return 1;
    if (a.json_out) {
      std::cout << j->dump(2) << "\n";
      return 0;
    }
    ticketd::cli::Table t({"ID", "STATE", "MATCHERS", "ENDS", "BY", "SILENCED", "COMMENT"});
    for (const auto& s : (*j)["silences"]) {
      std::string m;
      for (const auto& [k, v] : s["matchers"].items())
        m += (m.empty() ? "" : " ") + k + "=" + v.get<std::string>();
      t.add({str(s, "id"), str(s, "state"), m, short_time(str(s, "ends_at")), str(s, "created_by"),
             str(s, "silenced_count"), str(s, "comment")});
    }
    t.print(std::cout);
    return 0;
  }
  if (sub == "expire") {
    if (a.positional.size() < 3) return usage_error("silence expire needs an ID");
    auto j =
        call(client, "DELETE", "/api/v1/silences/" + ticketd::cli::url_encode(a.positional[2]));
    if (!j) return 1;
    std::cout << "expired " << str(*j, "id") << "\n";
    return 0;
  }
  return usage_error("unknown silence subcommand \"" + sub + "\", expected add, list or expire");
}

int outbox_cmd(const Args& a, HttpClient& client) {
  const std::string sub = a.positional.size() > 1 ? a.positional[1] : "";
  if (sub == "list") {
    std::string query;
    auto add = [&](const char* name, const std::string& v) {
      if (!v.empty())
        query +=
            (query.empty() ? "?" : "&") + std::string(name) + "=" + ticketd::cli::url_encode(v);
    };
    add("target", option(a, "target"));
    add("ticket", option(a, "ticket"));
    add("limit", option(a, "limit"));
    if (a.options.count("held")) add("held", "true");
    auto j = call(client, "GET", "/api/v1/outbox" + query);
    if (!j) return 1;
    if (a.json_out) {
      std::cout << j->dump(2) << "\n";
      return 0;
    }
    ticketd::cli::Table t(
        {"ID", "TARGET", "TICKET", "KIND", "STATE", "ATTEMPTS", "NEXT", "QUEUED", "LAST ERROR"});
    for (const auto& e : (*j)["entries"]) {
      std::string kind = str(e, "kind");
      if (kind == "occurrences") kind += " x" + str(e, "count");
      t.add({str(e, "id"), str(e, "target"), str(e, "ticket"), kind,
             e.value("held", false) ? "held" : "waiting", str(e, "attempts"),
             short_time(str(e, "next_at")), short_time(str(e, "created_at")),
             str(e, "last_error")});
    }
    t.print(std::cout, 80);
    return 0;
  }
  if (sub == "retry" || sub == "drop") {
    if (a.positional.size() < 3) return usage_error("outbox " + sub + " needs an entry ID");
    const std::string id = ticketd::cli::url_encode(a.positional[2]);
    auto j = sub == "retry" ? call(client, "POST", "/api/v1/outbox/" + id + "/retry", "{}")
                            : call(client, "DELETE", "/api/v1/outbox/" + id);
    if (!j) return 1;
    std::cout << (sub == "retry" ? "released " : "dropped ") << str(*j, "id") << "\n";
    return 0;
  }
  return usage_error("unknown outbox subcommand \"" + sub + "\", expected list, retry or drop");
}

// events list: the stored events with the engine's decision, newest first.
// --jsonl exports: it follows the pages to the end (or --limit events in
// all) and prints each one's normalized event on a line, as `explain` and
// `replay` read them (newest first: `tac` before replaying).
int events_cmd(const Args& a, HttpClient& client) {
  const std::string sub = a.positional.size() > 1 ? a.positional[1] : "";
  if (sub != "list") return usage_error("unknown events subcommand \"" + sub + "\", expected list");
  const bool jsonl = a.options.count("jsonl") > 0;
  if (jsonl && a.json_out) return usage_error("events list takes --json or --jsonl, not both");
  std::string query;
  for (const char* k : {"decision", "since", "until", "rule", "host", "ticket"}) {
    const std::string v = option(a, k);
    if (!v.empty())
      query += (query.empty() ? "?" : "&") + std::string(k) + "=" + ticketd::cli::url_encode(v);
  }
  if (jsonl) {
    uint64_t wanted = std::numeric_limits<uint64_t>::max();
    if (const std::string l = option(a, "limit"); !l.empty()) {
      char* end = nullptr;
      wanted = std::strtoull(l.c_str(), &end, 10);
      if (*end != '\0' || wanted == 0 || l[0] == '-')
        return usage_error("--limit must be a positive number, got \"" + l + "\"");
    }
    std::string cursor = option(a, "cursor");
    uint64_t printed = 0;
    do {
      const uint64_t page = std::min<uint64_t>(1000, wanted - printed);
      std::string q = query + (query.empty() ? "?" : "&") + "limit=" + std::to_string(page);
      if (!cursor.empty()) q += "&cursor=" + ticketd::cli::url_encode(cursor);
      auto j = call(client, "GET", "/api/v1/events" + q);
      if (!j) return 1;
      for (const auto& e : (*j)["events"]) {
        std::cout << e["event"].dump() << "\n";
        ++printed;
      }
      cursor = (*j)["next_cursor"].is_string() ? (*j)["next_cursor"].get<std::string>() : "";
    } while (!cursor.empty() && printed < wanted);
    return std::cout.good() ? 0 : 1;
  }
  for (const char* k : {"limit", "cursor"}) {
    const std::string v = option(a, k);
    if (!v.empty())
      query += (query.empty() ? "?" : "&") + std::string(k) + "=" + ticketd::cli::url_encode(v);
  }
  auto j = call(client, "GET", "/api/v1/events" + query);
  if (!j) return 1;
  if (a.json_out) {
    std::cout << j->dump(2) << "\n";
    return 0;
  }
  ticketd::cli::Table t({"ID", "RECEIVED", "DECISION", "RULE", "TICKET", "HOST", "MESSAGE"});
  for (const auto& e : (*j)["events"]) {
    const json& ev = e.contains("event") ? e["event"] : json::object();
    t.add({str(e, "id"), short_time(str(e, "received_at")), str(e, "decision"), str(e, "rule"),
           str(e, "ticket"), str(ev, "host"), str(ev, "message")});
  }
  t.print(std::cout, 80);
  if (j->contains("next_cursor") && !(*j)["next_cursor"].is_null()) {
    std::cout << "more: --cursor " << (*j)["next_cursor"].get<std::string>() << "\n";
  }
  return 0;
}

// A value of a diff for people: strings quoted, null as "(unset)".
std::string shown(const json& v) { return v.is_null() ? "(unset)" : v.dump(); }

// `rules diff DIR`: what reloading DIR would change in the running daemon,
// field by field. Exit 0 no changes, 2 changes, 1 error.
int rules_diff(const Args& a, HttpClient& client) {
  if (a.positional.size() < 3) {
    std::cerr << "ticketctl: rules diff needs the rules DIR\n\n" << kUsage;
    return 1;
  }
  auto local = ticketd::rules::load_rules({a.positional[2]});
  json warnings = json::array();
  for (const auto& d : local.diagnostics) {
    if (!a.json_out) std::cout << d.to_string() << "\n";
    warnings.push_back(d.to_string());
  }
  if (!local.ok()) {
    if (a.json_out) {
      std::cout << json{{"error", "the new rules are invalid: a reload would be rejected"},
                        {"diagnostics", warnings}}
                       .dump(2)
                << "\n";
    } else {
      std::cout << "the new rules are invalid: a reload would be rejected\n";
    }
    return 1;
  }
  auto running = call(client, "GET", "/api/v1/rules/definition");
  if (!running) return 1;
  auto listed = call(client, "GET", "/api/v1/rules");
  if (!listed) return 1;
  std::map<std::string, int64_t> open;
  for (const auto& r : (*listed)["rules"]) open[str(r, "name")] = r.value("open_tickets", 0);

  using ticketd::rules::RuleChange;
  const auto diff =
      ticketd::rules::diff_rule_sets(*running, ticketd::rules::describe(*local.rules));
  if (a.json_out) {
    json out = ticketd::rules::to_json(diff);
    json affected = json::object();
    for (const RuleChange& c : diff.changes) {
      if (c.section != "rules" || c.kind == RuleChange::Kind::kAdded) continue;
      if (open[c.name] > 0) affected[c.name] = open[c.name];
    }
    out["open_tickets"] = affected;
    out["warnings"] = warnings;
    std::cout << out.dump(2) << "\n";
    return diff.empty() ? 0 : 2;
  }
  std::string section;
  std::map<std::string, int> counts;
  for (size_t i = 0; i < diff.changes.size(); ++i) {
    const RuleChange& c = diff.changes[i];
    ++counts[ticketd::rules::change_kind_name(c.kind)];
    if (c.section != section) {
      section = c.section;
      std::cout << section << ":\n";
    }
    const std::string label = c.name.empty() ? c.section : c.name;
    const bool first_of_item =
        i == 0 || diff.changes[i - 1].section != c.section || diff.changes[i - 1].name != c.name;
    if (c.kind == RuleChange::Kind::kAdded) {
      std::cout << "  + " << label << " (added";
      if (c.new_value.contains("file"))
        std::cout << ", " << str(c.new_value, "file") << ":" << str(c.new_value, "line");
      if (c.section == "sla") std::cout << ": " << c.new_value.dump();
      std::cout << ")\n";
      continue;
    }
    if (c.kind == RuleChange::Kind::kRemoved) {
      std::cout << "  - " << label << " (removed";
      if (c.section == "rules" && open[c.name] > 0) {
        std::cout << "; " << open[c.name] << " open tickets lose their rule: they stay open"
                  << " and deduplicate, but no longer resolve or escalate by rule";
      }
      std::cout << ")\n";
      continue;
    }
    if (first_of_item) {
      std::cout << "  ~ " << label;
      bool fields = false;
      for (size_t k = i; k < diff.changes.size() && diff.changes[k].section == c.section &&
                         diff.changes[k].name == c.name;
           ++k)
        fields = fields || diff.changes[k].kind == RuleChange::Kind::kChanged;
      if (c.section == "rules") {
        std::cout << (fields ? " (changed; " + std::to_string(open[c.name]) +
                                   " open tickets keep deduplicating, pending windows restart)"
                             : std::string(" (moved)"));
      }
      std::cout << "\n";
    }
    if (c.kind == RuleChange::Kind::kMoved) {
      std::cout << "      order: #" << c.old_value.dump() << " -> #" << c.new_value.dump() << ", "
                << c.detail << "\n";
    } else {
      std::cout << "      " << c.field << ": " << shown(c.old_value) << " -> " << shown(c.new_value)
                << "\n";
    }
  }
  if (!diff.notes.empty()) {
    std::cout << "no effect:\n";
    for (const auto& n : diff.notes) {
      std::cout << "  " << n.name << ": now in " << n.new_value.get<std::string>() << " (was "
                << n.old_value.get<std::string>() << ")\n";
    }
  }
  if (diff.empty()) {
    std::cout << "no changes\n";
    return 0;
  }
  std::cout << diff.changes.size() << (diff.changes.size() == 1 ? " change" : " changes") << " (";
  const char* sep = "";
  for (const char* kind : {"added", "removed", "changed", "moved"}) {
    if (!counts[kind]) continue;
    std::cout << sep << counts[kind] << " " << kind;
    sep = ", ";
  }
  std::cout << ")\n";
  return 2;
}

int rules_cmd(const Args& a, HttpClient& client) {
  const std::string sub = a.positional.size() > 1 ? a.positional[1] : "";
  if (sub == "list") {
    auto j = call(client, "GET", "/api/v1/rules");
    if (!j) return 1;
    if (a.json_out) {
      std::cout << j->dump(2) << "\n";
      return 0;
    }
    ticketd::cli::Table t({"RULE", "ACTION", "HITS", "OPEN", "FILE"});
    for (const auto& r : (*j)["rules"]) {
      t.add({str(r, "name"), str(r, "action"), str(r, "hits"), str(r, "open_tickets"),
             str(r, "file") + ":" + str(r, "line")});
    }
    t.print(std::cout, 80);
    return 0;
  }
  if (sub == "reload") {
    auto j = call(client, "POST", "/api/v1/rules/reload", "{}");
    if (!j) return 1;
    std::cout << "reloaded: " << str(*j, "rules") << " rules\n";
    return 0;
  }
  if (sub == "diff") return rules_diff(a, client);
  return usage_error("unknown rules subcommand \"" + sub + "\", expected list, reload or diff");
}

int explain_cmd(const Args& a, HttpClient& client) {
  if (a.positional.size() < 2)
    return usage_error("explain needs an EVENT.json file (or - for stdin)");
  const std::string file = a.positional[1];
  if (!option(a, "rules").empty()) {
    return ticketd::cli::explain_offline({option(a, "rules")}, file, a.json_out, std::cout);
  }
  std::string body;
  if (file == "-") {
    body.assign(std::istreambuf_iterator<char>(std::cin), {});
  } else {
    std::ifstream in(file);
    if (!in) {
      std::cerr << "ticketctl: cannot read " << file << "\n";
      return 1;
    }
    body.assign(std::istreambuf_iterator<char>(in), {});
  }
  auto j = call(client, "POST", "/api/v1/explain", body);
  if (!j) return 1;
  if (a.json_out) {
    std::cout << j->dump(2) << "\n";
  } else {
    ticketd::cli::print_explanation(j->dump(), std::cout);
  }
  return 0;
}

// replay --since D --rules CANDIDATE: the daemon's stored events since D,
// oldest first, replayed through the candidate rules and compared with the
// decisions the running rules made.
int replay_since(const Args& a) {
  if (option(a, "rules").empty())
    return usage_error("usage: ticketctl replay --rules CANDIDATE_DIR --since 24h [--json]");
  if (a.positional.size() > 1)
    return usage_error("replay --since reads the daemon's stored events, not " + a.positional[1]);
  if (a.options.count("until"))
    return usage_error("replay --since compares decisions event by event; --until is for files");
  size_t max_events = 200000;
  if (a.options.count("max-events")) {
    try {
      size_t used = 0;
      const std::string v = option(a, "max-events");
      const long long n = std::stoll(v, &used);
      if (used != v.size() || n < 1) throw std::out_of_range(v);
      max_events = static_cast<size_t>(n);
    } catch (...) {
      return usage_error("--max-events must be a positive integer");
    }
  }
  HttpClient client(a.server, a.token, a.cacert);
  const std::string since = option(a, "since");
  std::vector<ticketd::cli::StoredDecision> stored;
  std::string cursor;
  bool cut = false;
  do {
    std::string path = "/api/v1/events?limit=1000&since=" + ticketd::cli::url_encode(since);
    if (!cursor.empty()) path += "&cursor=" + ticketd::cli::url_encode(cursor);
    auto j = call(client, "GET", path);
    if (!j) return 1;
    for (const auto& e : (*j)["events"]) {
      if (stored.size() == max_events) {
        cut = true;
        break;
      }
      stored.push_back({str(e, "id"), str(e, "received_at"), str(e, "decision"), str(e, "rule"),
                        str(e, "ticket"), e.contains("event") ? e["event"].dump() : "{}"});
    }
    cursor = (*j)["next_cursor"].is_string() ? (*j)["next_cursor"].get<std::string>() : "";
  } while (!cursor.empty() && !cut);
  if (cut) {
    std::cerr << "ticketctl: more than " << max_events << " events since " << since
              << "; comparing the newest " << max_events << " (--max-events)\n";
  }
  std::reverse(stored.begin(), stored.end());  // the API lists newest first
  return ticketd::cli::replay_compare({option(a, "rules")}, stored, since, a.json_out, std::cout);
}

// The options each command takes besides the global ones; nullopt for an
// unknown command (reported by the dispatch in main).
std::optional<std::vector<std::string>> command_options(const Args& a) {
  using V = std::vector<std::string>;
  const std::string cmd = a.positional.empty() ? "" : a.positional[0];
  const std::string sub = a.positional.size() > 1 ? a.positional[1] : "";
  if (cmd == "check-rules") return V{"format"};
  if (cmd == "test-rules") return V{"run"};
  if (cmd == "replay") return V{"rules", "until", "since", "max-events"};
  if (cmd == "explain") return V{"rules"};
  if (cmd == "tickets") {
    if (sub == "list")
      return V{"status", "type", "priority", "team", "assignee", "q", "sort", "limit", "cursor"};
    if (sub == "create")
      return V{"title",    "type",     "impact",      "urgency", "team",
               "assignee", "category", "description", "label"};
    if (sub == "note") return V{"public"};
    if (sub == "resolve" || sub == "close" || sub == "cancel") return V{"code", "note"};
    if (sub == "reopen") return V{"note"};
    return V{};
  }
  if (cmd == "silence") {
    if (sub == "add") return V{"duration", "end", "start", "comment", "author"};
    return V{};
  }
  if (cmd == "rules") return V{};
  if (cmd == "events") {
    if (sub == "list")
      return V{"decision", "since", "until", "rule", "host", "ticket", "limit", "cursor", "jsonl"};
    return V{};
  }
  if (cmd == "outbox") {
    if (sub == "list") return V{"target", "ticket", "held", "limit"};
    return V{};
  }
  if (cmd == "completion") return V{};
  return std::nullopt;
}

// Refuses an option the command does not take (it would be silently
// ignored): `unknown option "--url" (did you mean "--server"?)`, exit 2.
std::optional<int> refuse_unknown_options(const Args& a) {
  auto allowed = command_options(a);
  if (!allowed) return std::nullopt;
  std::vector<std::string> known = *allowed;
  for (const char* g : {"server", "token", "cacert", "json"}) known.emplace_back(g);
  // Names people reach for that mean one of ours.
  static const std::map<std::string, std::string> kSynonyms = {
      {"url", "server"}, {"endpoint", "server"}, {"address", "server"}, {"api-token", "token"},
      {"auth", "token"}, {"bearer", "token"},    {"dir", "rules"},      {"message", "note"},
      {"text", "note"},  {"for", "duration"},    {"until", "end"},      {"filter", "run"}};
  for (const auto& name : a.given) {
    if (std::find(known.begin(), known.end(), name) != known.end()) continue;
    std::string guess;
    if (auto it = kSynonyms.find(name);
        it != kSynonyms.end() && std::find(known.begin(), known.end(), it->second) != known.end()) {
      guess = it->second;
    } else {
      guess = ticketd::did_you_mean(name, known);
    }
    std::cerr << "ticketctl: unknown option \"--" << name << "\"";
    if (!guess.empty()) std::cerr << " (did you mean \"--" << guess << "\"?)";
    std::cerr << "\n(ticketctl --help lists the commands and their options)\n";
    return 2;
  }
  return std::nullopt;
}

// The commands, subcommands and options `completion bash` completes: the
// options are the ones refuse_unknown_options() accepts.
std::vector<ticketd::cli::CompletionEntry> completion_entries() {
  static const std::vector<std::pair<std::string, std::vector<std::string>>> kCommands = {
      {"check-rules", {}},
      {"test-rules", {}},
      {"replay", {}},
      {"explain", {}},
      {"tickets",
       {"list", "show", "create", "assign", "unassign", "status", "ack", "note", "resolve", "close",
        "reopen", "cancel"}},
      {"silence", {"add", "list", "expire"}},
      {"rules", {"list", "reload", "diff"}},
      {"events", {"list"}},
      {"outbox", {"list", "retry", "drop"}},
      {"completion", {"bash"}},
  };
  std::vector<ticketd::cli::CompletionEntry> out;
  for (const auto& [cmd, subs] : kCommands) {
    std::vector<std::string> each = subs.empty() ? std::vector<std::string>{""} : subs;
    for (const std::string& sub : each) {
      Args a;
      a.positional = {cmd, sub};
      out.push_back({cmd, sub, command_options(a).value_or(std::vector<std::string>{})});
    }
  }
  return out;
}

// completion bash: the script on standard output; exit 2 for another shell.
int completion_cmd(const Args& a) {
  const std::string shell = a.positional.size() > 1 ? a.positional[1] : "";
  if (shell != "bash") {
    return usage_error(shell.empty() ? "completion needs a shell: bash"
                                     : "completion supports bash, not \"" + shell + "\"");
  }
  std::cout << ticketd::cli::bash_completion(completion_entries());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Args a;
  if (const char* s = std::getenv("TICKETD_SERVER")) a.server = s;
  if (const char* t = std::getenv("TICKETD_TOKEN")) a.token = t;
  if (const char* ca = std::getenv("TICKETD_CACERT")) a.cacert = ca;
  if (a.server.empty()) a.server = "http://127.0.0.1:8080";
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {  // after a command: that command's help
      const char* help =
          a.positional.empty() ? nullptr : ticketd::cli::command_help(a.positional[0]);
      std::cout << (help ? help : kUsage);
      return 0;
    } else if (arg == "--version") {
      std::cout << "ticketctl " << TICKETD_VERSION << "\n";
      return 0;
    } else if (arg == "--") {  // the rest are arguments, even if they start with "-"
      a.positional.insert(a.positional.end(), argv + i + 1, argv + argc);
      break;
    } else if (arg == "--json") {
      a.json_out = true;
      a.given.push_back("json");
    } else if (arg == "--held" || arg == "--public" || arg == "--jsonl") {  // flags: no value
      a.options[arg.substr(2)] = "true";
      a.given.push_back(arg.substr(2));
    } else if (arg.rfind("--", 0) == 0) {
      std::string name = arg.substr(2), value;
      if (auto eq = name.find('='); eq != std::string::npos) {
        value = name.substr(eq + 1);
        name = name.substr(0, eq);
      } else if (i + 1 < argc) {
        value = argv[++i];
      } else {
        a.given.push_back(name);
        if (auto refused = refuse_unknown_options(a)) return *refused;
        return usage_error("option --" + name + " needs a value");
      }
      a.given.push_back(name);
      if (name == "server")
        a.server = value;
      else if (name == "token")
        a.token = value;
      else if (name == "cacert")
        a.cacert = value;
      else
        a.options[name] = value;
    } else if (arg.size() > 1 && arg[0] == '-' &&
               !std::isdigit(static_cast<unsigned char>(arg[1]))) {
      std::cerr
          << "ticketctl: unknown option \"" << arg
          << "\" (options are spelled --name; put -- before an argument that starts with -)\n";
      return 2;
    } else {
      a.positional.push_back(arg);
    }
  }
  if (a.positional.empty()) return usage_error("no command given");
  if (auto refused = refuse_unknown_options(a)) return *refused;
  const std::string& cmd = a.positional[0];
  if (cmd == "check-rules") return check_rules(a);
  if (cmd == "completion") return completion_cmd(a);
  if (cmd == "test-rules") {
    if (a.positional.size() < 2)
      return usage_error("test-rules needs at least one file or directory");
    std::optional<std::regex> run;
    if (a.options.count("run")) {
      try {
        run.emplace(option(a, "run"), std::regex::ECMAScript);
      } catch (const std::regex_error& e) {
        std::cerr << "ticketctl: --run \"" << option(a, "run")
                  << "\" is not a valid regular expression: " << e.what() << "\n";
        return 2;
      }
    }
    return ticketd::cli::test_rules({a.positional.begin() + 1, a.positional.end()}, std::cout, run,
                                    option(a, "run"));
  }
  if (cmd == "replay" && a.options.count("since")) return replay_since(a);
  if (cmd == "replay") {
    if (option(a, "rules").empty() || a.positional.size() < 2) {
      return usage_error("usage: ticketctl replay --rules DIR [--until TIME] EVENTS.jsonl");
    }
    std::optional<ticketd::cli::ReplayUntil> until;
    if (std::find(a.given.begin(), a.given.end(), "until") != a.given.end()) {
      std::string error;
      until = ticketd::cli::parse_replay_until(option(a, "until"), error);
      if (!until) {
        std::cerr << "ticketctl: " << error << "\n";
        return 2;
      }
    }
    return ticketd::cli::replay({option(a, "rules")}, a.positional[1], std::cout, until);
  }
  HttpClient client(a.server, a.token, a.cacert);
  if (cmd == "silence") return silence_cmd(a, client);
  if (cmd == "rules") return rules_cmd(a, client);
  if (cmd == "outbox") return outbox_cmd(a, client);
  if (cmd == "events") return events_cmd(a, client);
  if (cmd == "explain") return explain_cmd(a, client);
  if (cmd == "tickets") {
    const std::string sub = a.positional.size() > 1 ? a.positional[1] : "";
    if (sub == "list") return tickets_list(a, client);
    if (sub == "show") return tickets_show(a, client);
    if (sub.empty())
      return usage_error(
          "tickets needs a subcommand: list, show, create, assign, unassign, status, ack, note, "
          "resolve, close, reopen, cancel");
    return ticket_change(a, client);
  }
  return usage_error("unknown command \"" + cmd + "\"");
}
