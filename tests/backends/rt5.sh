#!/usr/bin/env bash
# A throwaway Request Tracker 5 on loopback, for the rt connector's tests
# (tests/connectors/rt_test.cpp) and for trying the connector by hand.
#
#   rt5.sh start DIR [--owner PID] [--linger SECONDS]
#       Starts RT (or finds the one already running for DIR), waits until
#       REST2 answers, and prints KEY=VALUE lines:
#         RT_URL=http://127.0.0.1:PORT   RT_USER=root   RT_PASSWORD=password
#         RT_TOKEN=1-…   RT_KEY_FIELD=TicketdKey   RT_PID=…
#       With --owner, PID is recorded as a user of the instance; once no
#       recorded user is alive any more (released or dead) for --linger
#       seconds (default 0), a watcher stops RT. Without --owner, RT runs
#       until `stop`.
#   rt5.sh release DIR PID    PID no longer uses the instance.
#   rt5.sh stop DIR           Stops RT now (whoever uses it).
#
# Exit status 77 (with a message naming them) when the Debian packages
# request-tracker5, rt5-db-sqlite and rt5-standalone are not installed.
#
# Nothing of the system-wide RT install's configuration is used: RT reads
# DIR/run/RT_SiteConfig.pm (RT_SITE_CONFIG) and the empty DIR/run/RT_SiteConfig.d
# (RT_SITE_CONFIG_DIR) besides RT's built-in defaults, keeps its SQLite
# database, Mason cache and sessions under DIR/run, and listens on
# 127.0.0.1 only.
#
# The database is made once (rt-setup-database --action init, then
# the Perl below: the custom field TicketdKey applied to queues General and
# Ops, a queue Bare without it, a user alice, the status-change Scrip of
# docs/backends/rt.md, an auth token for root) into
# DIR/template, 5-8 s on 2 cores; every start copies that template, so
# each started RT begins with the same fresh database, ready in 1.3-2 s.
set -euo pipefail

RT_LIB=/usr/share/request-tracker5/lib
RT_SERVER=/usr/share/request-tracker5/libexec/rt-server
RT_SETUP_DB=/usr/sbin/rt-setup-database-5
PACKAGES="request-tracker5 rt5-db-sqlite rt5-standalone"
TEMPLATE_VERSION=3 # bump when the template's making changes

die() {
  echo "rt5.sh: $*" >&2
  exit 1
}

usage() {
  sed -n '2,20p' "$0" >&2
  exit 2
}

[ $# -ge 2 ] || usage
cmd=$1
dir=$2
shift 2
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
run=$dir/run
tpl=$dir/template

packages_present() {
  [ -x "$RT_SERVER" ] && [ -x "$RT_SETUP_DB" ] && perl -MDBD::SQLite -e 1 2>/dev/null &&
    perl -MStarlet -e 1 2>/dev/null
}

alive() { [ -n "${1:-}" ] && kill -0 "$1" 2>/dev/null; }

# The RT config for a database at $1 and port $2, in directory $3.
write_config() {
  local db=$1 port=$2 d=$3
  mkdir -p "$d/RT_SiteConfig.d" "$d/var/mason_data" "$d/var/session_data"
  cat >"$d/RT_SiteConfig.pm" <<EOF
# Written by tests/backends/rt5.sh; a throwaway RT for tests.
Set(\$rtname, 'ticketd-test');
Set(\$Organization, 'ticketd-test');
Set(\$Timezone, 'UTC');
Set(\$DatabaseType, 'SQLite');
Set(\$DatabaseName, '$db');
Set(\$WebDomain, '127.0.0.1');
Set(\$WebPort, $port);
Set(\$WebPath, '');
Set(\$WebBaseURL, 'http://127.0.0.1:$port');
Set(\$CorrespondAddress, 'rt\@localhost');
Set(\$CommentAddress, 'rt-comment\@localhost');
Set(\$LogToSyslog, undef);
Set(\$LogToSTDERR, 'warning');
Set(\$LogToFile, undef);
Set(\$MailCommand, 'mbox');
# Every REST2 request checks its token or password with bcrypt: RT's cost
# of 12 makes that ~0.4 s a request on a small machine; 4 makes it ~1 ms.
Set(\$BcryptCost, 4);
\$RT::VarPath = '$d/var';
\$RT::MasonDataDir = '$d/var/mason_data';
\$RT::MasonSessionDir = '$d/var/session_data';
1;
EOF
}

rt_env() {
  export RT_SITE_CONFIG=$1/RT_SiteConfig.pm RT_SITE_CONFIG_DIR=$1/RT_SiteConfig.d
}

# Builds DIR/template/rt.db and DIR/template/env once.
make_template() {
  if [ -f "$tpl/rt.db" ] && [ -f "$tpl/env" ] &&
    [ "$(cat "$tpl/version" 2>/dev/null)" = "$TEMPLATE_VERSION $(dpkg-query -W -f='${Version}' request-tracker5)" ]; then
    return 0
  fi
  local t0=$SECONDS
  rm -rf "$tpl"
  mkdir -p "$tpl"
  write_config "$tpl/rt.db" 80 "$tpl"
  (
    rt_env "$tpl"
    "$RT_SETUP_DB" --action init --dba-password '' --skip-create >"$tpl/setup.log" 2>&1 ||
      die "rt-setup-database failed; see $tpl/setup.log"
    perl -I"$RT_LIB" - >"$tpl/env.new" 2>>"$tpl/setup.log" <<'PERL' || die "setting up RT failed; see $tpl/setup.log"
use strict;
use warnings;
use RT;
RT::LoadConfig();
RT::Init();
my $sys = RT->SystemUser;
sub check { my ($what, $ok, $msg) = @_; die "$what: $msg\n" unless $ok; }

my $general = RT::Queue->new($sys);
$general->Load('General') or die "no queue General\n";
my $ops = RT::Queue->new($sys);
check('queue Ops', $ops->Create(Name => 'Ops', Description => 'team ops'));
my $bare = RT::Queue->new($sys);
check('queue Bare', $bare->Create(Name => 'Bare', Description => 'no TicketdKey field'));

my $cf = RT::CustomField->new($sys);
check('custom field', $cf->Create(
    Name        => 'TicketdKey',
    Type        => 'FreeformSingle',
    LookupType  => RT::Ticket->CustomFieldLookupType,   # RT::Queue-RT::Ticket
    Description => 'ticketd correlation key',
));
check('apply to General', $cf->AddToObject($general));
check('apply to Ops', $cf->AddToObject($ops));

my $alice = RT::User->new($sys);
check('user alice', $alice->Create(Name => 'alice', Privileged => 1,
                                   EmailAddress => 'alice@localhost'));
check('OwnTicket for alice', $alice->PrincipalObj->GrantRight(
    Right => 'OwnTicket', Object => RT->System));

# The Scrip of docs/backends/rt.md, posting status changes of ticketd's
# tickets to ticketd; here the URL comes from var/ticketd-webhook-url (no
# file: no post), written by the test that listens.
my $commit = <<'CODE';
my $ticket = $self->TicketObj;
my $key = $ticket->FirstCustomFieldValue('TicketdKey');
return 1 unless defined $key && length $key;
my $url = do {
    open my $f, '<', "$RT::VarPath/ticketd-webhook-url" or return 1;
    local $/;
    <$f>;
};
chomp $url;
my $txn = $self->TransactionObj;
require JSON;
require LWP::UserAgent;
my $ua = LWP::UserAgent->new(timeout => 5);
my $res = $ua->post($url,
    'Content-Type' => 'application/json',
    Content        => JSON::encode_json({
        id      => $ticket->id,
        status  => $txn->NewValue,
        by      => $txn->CreatorObj->Name,
        updated => $txn->CreatedObj->W3CDTF(Timezone => 'UTC'),
    }));
RT->Logger->warning('ticketd webhook for ticket ' . $ticket->id . ': ' . $res->status_line)
    unless $res->is_success;
return 1;
CODE
my $scrip = RT::Scrip->new($sys);
check('scrip', $scrip->Create(
    Description       => 'On status change notify ticketd',
    Queue             => 0,
    ScripCondition    => 'On Status Change',
    ScripAction       => 'User Defined',
    Template          => 'Blank',
    CustomPrepareCode => 'return 1;',
    CustomCommitCode  => $commit,
));

my $root = RT::User->new($sys);
$root->Load('root') or die "no user root\n";
my $token = RT::AuthToken->new(RT::CurrentUser->new($root));
my ($ok, $msg, $auth) = $token->Create(Owner => $root->id, Description => 'ticketd tests');
check('auth token', $ok, $msg);
print "RT_USER=root\nRT_PASSWORD=password\nRT_TOKEN=$auth\nRT_KEY_FIELD=TicketdKey\n";
PERL
  ) || exit 1
  mv "$tpl/env.new" "$tpl/env"
  echo "$TEMPLATE_VERSION $(dpkg-query -W -f='${Version}' request-tracker5)" >"$tpl/version"
  echo "rt5.sh: database template made in $((SECONDS - t0)) s" >&2
}

rest_ok() {
  local code
  code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 -u root:password "$1/REST/2.0/rt" || true)
  [ "$code" = 200 ]
}

# Kills the server of DIR/run and its watcher, if any.
kill_server() {
  local pid w
  pid=$(cat "$run/pid" 2>/dev/null || true)
  w=$(cat "$run/watcher" 2>/dev/null || true)
  if alive "$w"; then kill "$w" 2>/dev/null || true; fi
  if alive "$pid"; then
    # TERM, not INT: rt-server's INT handler chowns the system install's
    # /var/lib/request-tracker5 when run as root.
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 50); do alive "$pid" || break; sleep 0.1; done
    if alive "$pid"; then kill -KILL "$pid" 2>/dev/null || true; fi
  fi
  rm -f "$run/pid" "$run/watcher"
}

live_owners() {
  local n=0 f
  for f in "$run"/owners/*; do
    [ -e "$f" ] || continue
    if alive "$(basename "$f")"; then n=$((n + 1)); else rm -f "$f"; fi
  done
  echo $n
}

# Stops RT once no owner has been alive for $1 seconds. Runs detached.
watch_owners() {
  local linger=$1 idle=0
  while sleep 1; do
    [ -f "$run/pid" ] || exit 0
    if [ "$(live_owners)" -gt 0 ]; then idle=0; continue; fi
    idle=$((idle + 1))
    if [ $idle -gt "$linger" ]; then
      exec 9>"$dir/lock"
      flock 9
      [ "$(live_owners)" -gt 0 ] && { idle=0; flock -u 9; continue; }
      rm -f "$run/watcher"
      kill_server
      exit 0
    fi
  done
}

start() {
  local owner="" linger=0
  while [ $# -gt 0 ]; do
    case $1 in
      --owner) owner=$2; shift 2 ;;
      --linger) linger=$2; shift 2 ;;
      *) usage ;;
    esac
  done
  if ! packages_present; then
    echo "rt5.sh: Request Tracker 5 is not installed (Debian packages: $PACKAGES; scripts/install-deps.sh installs them)" >&2
    exit 77
  fi
  exec 9>"$dir/lock"
  flock 9
  local pid url
  pid=$(cat "$run/pid" 2>/dev/null || true)
  url=$(sed -n 's/^RT_URL=//p' "$run/env" 2>/dev/null || true)
  if alive "$pid" && [ -n "$url" ] && rest_ok "$url"; then
    if [ -n "$owner" ]; then
      mkdir -p "$run/owners"
      touch "$run/owners/$owner"
    fi
    cat "$run/env"
    return 0
  fi
  kill_server
  make_template

  local t0 port
  t0=$(date +%s.%N)
  rm -rf "$run"
  mkdir -p "$run/owners"
  port=$(perl -MIO::Socket::INET -e \
    'print IO::Socket::INET->new(Listen => 1, LocalAddr => "127.0.0.1", LocalPort => 0, ReuseAddr => 1)->sockport')
  cp "$tpl/rt.db" "$run/rt.db"
  write_config "$run/rt.db" "$port" "$run"
  url=http://127.0.0.1:$port
  (
    rt_env "$run"
    cd "$run"
    exec setsid "$RT_SERVER" --server Standalone --host 127.0.0.1 --port "$port" \
      </dev/null >"$run/server.log" 2>&1 9>&-
  ) &
  pid=$!
  echo "$pid" >"$run/pid"
  for _ in $(seq 600); do
    alive "$pid" || {
      tail -20 "$run/server.log" >&2
      die "RT exited while starting; see $run/server.log"
    }
    rest_ok "$url" && break
    sleep 0.1
  done
  rest_ok "$url" || {
    kill_server
    die "RT did not answer on $url within 60 s; see $run/server.log"
  }
  { echo "RT_URL=$url"; cat "$tpl/env"; echo "RT_PID=$pid"; } >"$run/env"
  if [ -n "$owner" ]; then
    touch "$run/owners/$owner"
    setsid "$0" watch "$dir" "$linger" </dev/null >/dev/null 2>&1 9>&- &
    echo $! >"$run/watcher"
  fi
  echo "rt5.sh: RT started on $url in $(perl -e "printf '%.1f', $(date +%s.%N) - $t0") s" >&2
  cat "$run/env"
}

case $cmd in
  start) start "$@" ;;
  release)
    [ $# -eq 1 ] || usage
    rm -f "$run/owners/$1"
    ;;
  watch) watch_owners "$1" ;; # internal: started by start --owner
  stop)
    exec 9>"$dir/lock"
    flock 9
    kill_server
    ;;
  *) usage ;;
esac
