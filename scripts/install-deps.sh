#!/usr/bin/env bash
# Installs the Debian 12 packages ticketd needs, by profile:
#   scripts/install-deps.sh run       build and run ticketd and ticketctl (make run, make build)
#   scripts/install-deps.sh package   run, plus what builds the .deb and its man pages (make package)
#   scripts/install-deps.sh [test]    everything: package, plus the test suite's tools (make test, .ci/run)
# Does nothing when every package is already present; runs `apt-get update`
# first only when a package cannot be found in the current package lists.
set -euo pipefail
profile=${1:-test}

run_packages=(
  build-essential cmake ninja-build ccache pkg-config  # toolchain
  libboost-dev                 # Asio (event loop, sockets, timers) and Beast (HTTP)
  libcurl4-openssl-dev         # HTTP client for backends and the ticketctl client
  nlohmann-json3-dev           # JSON for the API, events and actions
  libspdlog-dev                # logging
  libsqlite3-dev               # embedded default store
  libyaml-cpp-dev              # rule and config files (with line/column marks)
  libre2-dev                   # linear-time regexes for rule matchers
  libssl-dev                   # TLS, HMAC
  libsystemd-dev               # sd_notify
  libsnmp-dev                  # net-snmp's MIB parser: vendor MIB directories (src/ingest/snmp/snmp_mib_loader.cpp)
)
package_packages=(
  dpkg-dev file                # dpkg-shlibdeps and file(1): the .deb's Depends (cpack, CPACK_DEBIAN_PACKAGE_SHLIBDEPS)
  pandoc                       # man pages from docs/man/*.md (skipped without it)
)
test_packages=(
  libgtest-dev libgmock-dev    # unit tests
  snmp                         # net-snmp's snmptrap/snmpinform/snmptranslate: SNMP test datagrams, scripts/verify-snmp-names.py
  snmptrapd                    # net-snmp's trap receiver, a reference to compare SNMP decoding against
  curl                         # real HTTP client used by integration tests
  bsdutils                     # logger(1), used by syslog integration tests
  rsyslog rsyslog-openssl rsyslog-relp  # a real syslog forwarder (TCP, TLS, RELP) in integration tests
  openssl                      # test certificates for the TLS listener
  clang                        # libFuzzer targets run by make test
  clang-format-14              # the formatting check of make test (scripts/lint.sh)
  prometheus-alertmanager      # a real Alertmanager sending webhooks in integration tests
  sec                          # the Simple Event Correlator, measured beside ticketd by bench/run
  python3                      # fake backends (tests/fakes/*.py) for connector tests
  python3-yaml                 # rule files read as JSON for the rule schema test (tests/rule_schema.py)
  python3-jsonschema openapi-specification  # docs/api/openapi.json checked against the official OpenAPI 3.0 schema (tests/openapi_schema.py)
  time                         # /usr/bin/time: peak RSS of the peers in bench/run
  chromium                     # headless browser test of the web page
  chromium-driver python3-selenium  # WebDriver for that browser and its Python client: tests/web/browser_test.py drives the page (ctest web_browser)
  request-tracker5 rt5-db-sqlite rt5-standalone  # a real RT 5 for the rt connector's tests (tests/backends/rt5.sh); large: ~245 packages (Perl modules, exim4 as the MTA it requires, graphviz), ~55 MB download, ~215 MB installed
)

case $profile in
  run) packages=("${run_packages[@]}") ;;
  package) packages=("${run_packages[@]}" "${package_packages[@]}") ;;
  test) packages=("${run_packages[@]}" "${package_packages[@]}" "${test_packages[@]}") ;;
  *) echo "usage: $0 [run|package|test]" >&2; exit 2 ;;
esac

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
# request-tracker5 would make a database and cron jobs for a system-wide RT;
# the tests run their own RT (tests/backends/rt5.sh), so answer no. (After a
# purge debconf may refuse the first answer; the install then makes an
# unused SQLite database, which is harmless.)
if printf '%s\n' "${missing[@]}" | grep -qx request-tracker5; then
  $SUDO debconf-set-selections <<'EOF' || true
request-tracker5 request-tracker5/dbconfig-install boolean false
request-tracker5 request-tracker5/install-cronjobs boolean false
EOF
fi
if ! $SUDO apt-get install -y --no-install-recommends "${missing[@]}"; then
  echo "install-deps: a package was not found; running apt-get update first"
  $SUDO apt-get update
  $SUDO apt-get install -y --no-install-recommends "${missing[@]}"
fi
