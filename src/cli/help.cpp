// ticketctl's per-command help and bash completion script.
#include "help.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <sstream>

namespace ticketd::cli {
namespace {

struct Help {
  const char* name;
  const char* text;
};

// In the order of `ticketctl --help`.
const Help kHelp[] = {
    {"check-rules",
     R"(usage: ticketctl check-rules [--format text|json] PATH...

Validates rule files, or the *.yaml / *.yml files of directories, as the
daemon would load them. Prints "ok: N rules" (exit 0, warnings allowed) or one
file:line:column line per problem (exit 1); exit 2 on a usage error.

options:
  --format text|json   json: one object with every diagnostic (file, line, column,
                       severity, stable code, message), for editors and CI
  --json               the same as --format json

Examples:
  ticketctl check-rules rules/
  ticketctl check-rules rules/50-local.yaml
  ticketctl check-rules --format json rules/ > lint.json
)"},
    {"test-rules",
     R"(usage: ticketctl test-rules [--run REGEX] FILE|DIR...

Runs rule test files (YAML with a "tests:" key): their events are replayed
through the named rule files on a simulated clock and the tickets compared
with "expect". Prints ok/FAIL per test; exit 1 on any failure.

options:
  --run REGEX          only the tests whose name matches (ECMAScript, anywhere in
                       the name); exit 1 when none is selected, 2 when REGEX is bad

Examples:
  ticketctl test-rules rules/tests
  ticketctl test-rules --run 'link down' rules/tests
  ticketctl test-rules rules/tests/network_test.yaml
)"},
    {"replay",
     R"(usage: ticketctl replay --rules DIR [--until T] EVENTS.jsonl
       ticketctl replay --rules CANDIDATE_DIR --since T [--max-events N] [--json]

With EVENTS.jsonl (offline; "-" = stdin): prints the engine's actions for the
recorded events, one JSON object per line. With --since (talks to the
daemon): replays the events it stored since T through CANDIDATE_DIR and shows
which would be decided differently from the running rules; exit 2 when
something changes.

options:
  --rules DIR          the rule directory to replay through
  --until T            (files) run the clock on to T: RFC 3339, or a duration after
                       the last event (2h), so later timers fire too
  --since T            (daemon) RFC 3339 or a duration before now (30m, 24h, 7d)
  --max-events N       (daemon) compare at most the N newest events (default 200000)

Examples:
  ticketctl replay --rules rules/ examples/events.jsonl
  ticketctl replay --rules rules/ --until 2h examples/events.jsonl
  ticketctl replay --rules candidate/ --since 24h
)"},
    {"explain",
     R"(usage: ticketctl explain [--rules DIR] EVENT.json

Shows every rule tried for one event (a JSON object; "-" = stdin), each
failed condition, and the decision. With --rules offline against DIR;
without, against the running daemon (its open tickets and silences count).

options:
  --rules DIR          explain against these rule files instead of the daemon
  --json               every failed condition in full, as JSON

Examples:
  ticketctl explain --rules rules/ examples/event.json
  echo '{"host":"db01","severity":"error","message":"No space left on device"}' \
    | ticketctl explain --rules rules/ -
  ticketctl explain examples/event.json
)"},
    {"tickets",
     R"(usage: ticketctl tickets SUBCOMMAND [ARGS] [--json]

  list [--status S] [--type T] [--priority P] [--team T|none] [--assignee A|none]
       [--q SEARCH] [--sort newest|priority] [--limit N] [--cursor C]
                       tickets, newest first (--sort priority: P1 first, then the
                       nearest SLA due time); S: open, new, assigned, in_progress, ...
  show KEY             one ticket with its timeline and the statuses it may go to
  create --title T [--type incident|service_request|problem|change] [--impact L]
         [--urgency L] [--team T] [--assignee A] [--category C] [--description D]
         [--label k=v;...]
  assign KEY ASSIGNEE  unassign KEY
  status KEY STATUS    ack KEY
  note KEY TEXT [--public]
                       a note; internal (staff only) unless --public
  resolve KEY [--code CODE] [--note TEXT]
                       CODE: fixed (default), workaround, no_fault_found, duplicate,
                       known_error, change_rolled_back, user_error
  close KEY [--code CODE] [--note TEXT]
  reopen KEY [--note TEXT]
  cancel KEY [--note TEXT]

Talks to the daemon (--server URL or $TICKETD_SERVER, --token or $TICKETD_TOKEN).

Examples:
  ticketctl tickets list --status open --sort priority
  ticketctl tickets show INC-000042
  ticketctl tickets create --title "Replace UPS battery" --type service_request --team facilities
  ticketctl tickets ack INC-000042
  ticketctl tickets resolve INC-000042 --code workaround --note "restarted nginx"
)"},
    {"silence",
     R"(usage: ticketctl silence add FIELD=VALUE... (--duration D | --end T) [--start T]
                             [--comment TEXT] [--author NAME]
       ticketctl silence list [--json]
       ticketctl silence expire ID

Silenced events are stored and counted, never ticketed. VALUE is in rule
syntax: db01, !db01, ~^db, !~test.

Examples:
  ticketctl silence add host=db01 --duration 2h --comment "disk swap" --author alice
  ticketctl silence add 'host=~^web' app=nginx --end 2026-12-24T08:00:00Z
  ticketctl silence list
  ticketctl silence expire 3
)"},
    {"rules",
     R"(usage: ticketctl rules list [--json]
       ticketctl rules reload
       ticketctl rules diff DIR [--json]

  list                 the daemon's loaded rules with hit counts and open tickets
  reload               validate and load the rules directory (the old set stays
                       active when the new one is invalid)
  diff DIR             what reloading DIR would change, field by field; exit 0 no
                       changes, 2 changes, 1 error

Examples:
  ticketctl rules list
  ticketctl rules diff rules/ || test $? = 2
  ticketctl rules reload
)"},
    {"events",
     R"(usage: ticketctl events list [--decision D] [--since T] [--until T] [--rule R]
                             [--host H] [--ticket KEY] [--limit N] [--cursor C]
                             [--json | --jsonl]

Stored events with the engine's decision, newest first. D: ticketed,
deduplicated, grouped, reopened, pending, resolved, inhibited, silenced,
unmatched. T: RFC 3339 or a duration before now (30m, 24h, 7d). --jsonl
exports every matching event (all pages, or --limit in all), one per line as
explain and replay read it.

Examples:
  ticketctl events list --decision unmatched --since 24h
  ticketctl events list --host db01 --since 1h --jsonl | head -1 > e.json
  ticketctl events list --ticket INC-000042
)"},
    {"outbox",
     R"(usage: ticketctl outbox list [--target NAME] [--ticket KEY] [--held] [--limit N] [--json]
       ticketctl outbox retry ID
       ticketctl outbox drop ID

  list                 what waits for ticket backends and notification targets
  retry ID             send a held (or waiting) entry now
  drop ID              delete an entry unsent

Examples:
  ticketctl outbox list --held
  ticketctl outbox retry 17
  ticketctl outbox drop 17
)"},
    {"completion",
     R"(usage: ticketctl completion bash

Prints a bash completion script for ticketctl: commands, subcommands,
options and the values of enumerated options (--status, --priority, ...).

Examples:
  source <(ticketctl completion bash)
  ticketctl completion bash > ~/.local/share/bash-completion/completions/ticketctl
)"},
};

// Values offered after options that take one of a fixed set.
const std::map<std::string, std::string> kOptionValues = {
    {"format", "text json"},
    {"sort", "newest priority"},
    {"type", "incident service_request problem change"},
    {"priority", "P1 P2 P3 P4 P5"},
    {"impact", "high medium low"},
    {"urgency", "high medium low"},
    {"status", "open new assigned in_progress pending resolved closed cancelled"},
    {"code", "fixed workaround no_fault_found duplicate known_error change_rolled_back user_error"},
    {"decision",
     "ticketed deduplicated grouped reopened pending resolved inhibited silenced unmatched"},
};

// Options that take no value.
const std::vector<std::string> kFlags = {"json", "jsonl", "held", "public", "help", "version"};

}  // namespace

const char* command_help(const std::string& command) {
  for (const Help& h : kHelp)
    if (command == h.name) return h.text;
  return nullptr;
}

const std::vector<std::string>& command_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> v;
    for (const Help& h : kHelp) v.emplace_back(h.name);
    return v;
  }();
  return names;
}

std::string bash_completion(const std::vector<CompletionEntry>& entries) {
  std::ostringstream s;
  std::map<std::string, std::vector<std::string>> subcommands;  // command -> subcommands
  std::vector<std::string> order;
  for (const auto& e : entries) {
    if (!subcommands.count(e.command)) order.push_back(e.command);
    auto& subs = subcommands[e.command];
    if (!e.subcommand.empty()) subs.push_back(e.subcommand);
  }
  auto join = [](const std::vector<std::string>& v, const char* prefix) {
    std::string out;
    for (const auto& x : v) out += (out.empty() ? "" : " ") + std::string(prefix) + x;
    return out;
  };

  // Options whose value is free text: nothing to offer.
  std::set<std::string> free = {"server", "token"};
  for (const auto& e : entries)
    for (const auto& o : e.options)
      if (!kOptionValues.count(o) && o != "cacert" && o != "rules" &&
          std::find(kFlags.begin(), kFlags.end(), o) == kFlags.end())
        free.insert(o);
  std::string free_text;
  for (const auto& o : free) free_text += (free_text.empty() ? "--" : " | --") + o;

  s << R"(# bash completion for ticketctl                         -*- shell-script -*-
# Generated by `ticketctl completion bash`; install it as
# share/bash-completion/completions/ticketctl, or `source` it.

_ticketctl() {
    local cur="${COMP_WORDS[COMP_CWORD]}" prev=""
    ((COMP_CWORD > 0)) && prev="${COMP_WORDS[COMP_CWORD-1]}"
    local flags=")"
    << join(kFlags, "--") << R"("
    local cmd="" sub="" w i
    # The command and subcommand typed so far; an option's value is skipped.
    for ((i = 1; i < COMP_CWORD; i++)); do
        w="${COMP_WORDS[i]}"
        if [[ $w == --* ]]; then
            [[ $w != *=* && " $flags " != *" $w "* ]] && ((i++))
            continue
        fi
        if [[ -z $cmd ]]; then
            cmd=$w
        elif [[ -z $sub ]]; then
            sub=$w
        fi
    done

    # The value of an option.
    case "$prev" in
)";
  for (const auto& [opt, values] : kOptionValues) {
    s << "        --" << opt << ") COMPREPLY=($(compgen -W \"" << values
      << "\" -- \"$cur\")); return ;;\n";
  }
  s << R"(        --cacert) COMPREPLY=($(compgen -f -- "$cur")); return ;;
        --rules) COMPREPLY=($(compgen -d -- "$cur")); return ;;
        )"
    << free_text << R"() return ;;
    esac

    if [[ -z $cmd ]]; then
        COMPREPLY=($(compgen -W ")"
    << join(order, "") << R"( --server --token --cacert --help --version" -- "$cur"))
        return
    fi

    # The options of the command (and subcommand).
    local opts=""
    case "$cmd/$sub" in
)";
  for (const auto& e : entries) {
    if (e.options.empty()) continue;
    s << "        " << e.command << "/" << (e.subcommand.empty() ? "*" : e.subcommand)
      << ") opts=\"" << join(e.options, "--") << "\" ;;\n";
  }
  s << R"(    esac
    if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "$opts --json --help --server --token --cacert" -- "$cur"))
        return
    fi

    # Subcommands; other arguments complete as files (complete -o default).
    if [[ -z $sub ]]; then
        case "$cmd" in
)";
  for (const auto& c : order) {
    const auto& subs = subcommands[c];
    if (subs.empty()) continue;
    std::set<std::string> seen;
    std::vector<std::string> unique;
    for (const auto& x : subs)
      if (seen.insert(x).second) unique.push_back(x);
    s << "            " << c << ") COMPREPLY=($(compgen -W \"" << join(unique, "")
      << "\" -- \"$cur\")); return ;;\n";
  }
  s << R"(        esac
    fi
    COMPREPLY=()
}
complete -o default -F _ticketctl ticketctl
)";
  return s.str();
}

}  // namespace ticketd::cli
